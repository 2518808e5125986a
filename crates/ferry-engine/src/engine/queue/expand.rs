//! Folders become items: a listed remote folder turns into downloads, a
//! local folder into uploads, and (for a mirror with `--delete`) what only
//! the target has into planned deletions. Names are checked here, before
//! anything is created or written.
//!
//! A deletion is only ever planned from a listing read whole, and only for
//! a name the source positively does not have; the coordinator holds the
//! plans until every folder of the run has been read (`release_deletions`).

use std::collections::{HashMap, HashSet};

use super::coordinator::Coordinator;
use super::item::{ItemKind, ItemState};
use super::local_tree::{ensure_local_dir, list_local};
use super::{Direction, ItemId, TransferSpec};
use crate::engine::error::Error;
use crate::engine::event::{FileStat, Listing};
use crate::engine::names::{is_safe_local_name, remote_join};
use crate::listing::{EntryKind, RemoteEntry};

impl Coordinator {
    /// A remote folder was listed: its files and folders join the queue.
    /// Unsafe names are skipped, never written outside the folder. A
    /// symbolic link joins as what it leads to, once the server has said
    /// (see `Job::ResolveLink`): the file it points to, or the folder,
    /// unless that folder holds the link (a loop). The local folder is
    /// made only now that the remote one is known to exist.
    ///
    /// For a copy, the same names go to the partner server: a name that
    /// could escape a folder here could escape one there.
    pub(super) fn expand_remote(&mut self, id: ItemId, listing: Listing) {
        self.expand_remote_into(id, listing, None);
    }

    /// [`Coordinator::expand_remote`] for a copy whose target folder was
    /// listed too (`target`): each file knows what it would replace, as an
    /// upload's do (see [`Coordinator::expand_local`]).
    pub(super) fn expand_remote_into(
        &mut self,
        id: ItemId,
        listing: Listing,
        target: Option<Listing>,
    ) {
        let parent = self.items_spec(id);
        let mut target_by_name: HashMap<String, FileStat> = HashMap::new();
        // Only a whole listing tells that a name is absent there.
        let absent_is_known = target.as_ref().is_some_and(Listing::is_complete);
        for entry in target.map(|t| t.entries).unwrap_or_default() {
            let stat = FileStat {
                size: entry.size,
                modified: entry.modified,
            };
            target_by_name.entry(entry.name).or_insert(stat);
        }
        let copy = parent.direction == Direction::Copy;
        let top = self.item(id).is_some_and(|i| i.parent.is_none());
        if !copy
            && !self.options.dry_run
            && let Err(err) = ensure_local_dir(&parent.local, top)
        {
            return self.set_state(id, ItemState::Failed(err));
        }
        if let Some(why) = self.tree_too_big(id, listing.entries.len()) {
            return self.set_state(id, ItemState::Failed(Error::Protocol(why)));
        }
        let mut kept = HashSet::new();
        let exact_times = listing.exact_times;
        for entry in listing.entries {
            let remote = remote_join(&parent.remote, &entry.name);
            if !is_safe_local_name(&entry.name) {
                let whose = if copy {
                    "the other server"
                } else {
                    "this computer"
                };
                self.skipped_child(
                    id,
                    parent.direction,
                    remote,
                    parent.local.clone(),
                    format!("the name {:?} is not safe on {whose}", entry.name),
                );
                continue;
            }
            kept.insert(entry.name.clone());
            let link = match &entry.kind {
                EntryKind::Symlink { target } => Some(target.clone()),
                _ => None,
            };
            if self.leaves_out(id, &entry.name, entry.kind == EntryKind::Dir) {
                continue;
            }
            let spec = TransferSpec {
                direction: parent.direction,
                remote,
                local: if copy {
                    Default::default()
                } else {
                    parent.local.join(&entry.name)
                },
                // A link may be a folder until the server says otherwise.
                recursive: entry.kind == EntryKind::Dir || link.is_some(),
                copy_to: if copy {
                    remote_join(&parent.copy_to, &entry.name)
                } else {
                    String::new()
                },
            };
            let child = self.add_item(Some(id), spec, ItemKind::Transfer);
            if let Some(link) = link {
                // A listing's size and time of a link are the link's own:
                // what it leads to is asked for once it is known.
                if let Some(item) = self.item_mut(child) {
                    item.link = Some(link);
                }
                continue;
            }
            let target = match target_by_name.get(&entry.name) {
                Some(stat) => Some(Some(*stat)),
                None if absent_is_known => Some(None),
                None => None,
            };
            if let Some(item) = self.item_mut(child) {
                item.total = entry.size;
                item.source = Some(FileStat {
                    size: entry.size,
                    modified: entry.modified,
                });
                item.source_time_exact = exact_times && entry.modified.is_some();
                if copy && entry.kind != EntryKind::Dir {
                    item.target = target;
                }
            }
        }
        if let Some(why) = listing.incomplete {
            // What could be read goes on; the folder itself fails, which
            // also holds back every deletion of the run.
            let err = Error::Protocol(format!(
                "the listing of {} is incomplete: {why}",
                parent.remote
            ));
            return self.set_state(id, ItemState::Failed(err));
        }
        if self.options.delete_extraneous && !copy {
            self.plan_local_deletions(id, &parent, &kept);
        }
        self.set_state(id, ItemState::Done);
    }

    /// A local folder is to be uploaded and the remote one exists (or, in
    /// a dry run, may not): its contents join the queue, knowing what each
    /// would replace. `remote` is the remote folder's listing, `None` when
    /// it could not be read (then nothing is assumed about what is there).
    pub(super) fn expand_local(&mut self, id: ItemId, remote: Option<Listing>) {
        let parent = self.items_spec(id);
        let (entries, skipped) = match list_local(&parent.local) {
            Ok(listed) => listed,
            Err(err) => return self.set_state(id, ItemState::Failed(err)),
        };
        if let Some(why) = self.tree_too_big(id, entries.len()) {
            return self.set_state(
                id,
                ItemState::Failed(Error::LocalIo {
                    path: parent.local.display().to_string(),
                    message: why,
                }),
            );
        }
        let remote_entries: &[RemoteEntry] = remote.as_ref().map_or(&[], |l| &l.entries);
        // By name, once: a folder of 100 000 files is not searched 100 000
        // times.
        // (The first of a name listed twice, as a search would find.)
        let mut remote_by_name: HashMap<&str, &RemoteEntry> = HashMap::new();
        for entry in remote_entries {
            remote_by_name.entry(entry.name.as_str()).or_insert(entry);
        }
        // Only a whole listing tells that a name is absent there.
        let absent_is_known = remote.as_ref().is_some_and(Listing::is_complete);
        let mut local_names = HashSet::new();
        for entry in entries {
            local_names.insert(entry.name.clone());
            if self.leaves_out(id, &entry.name, entry.is_dir) {
                continue;
            }
            let existing = remote_by_name.get(entry.name.as_str());
            let spec = TransferSpec {
                direction: Direction::Upload,
                remote: remote_join(&parent.remote, &entry.name),
                local: parent.local.join(&entry.name),
                recursive: entry.is_dir,
                copy_to: String::new(),
            };
            let child = self.add_item(Some(id), spec, ItemKind::Transfer);
            if let Some(item) = self.item_mut(child)
                && !entry.is_dir
            {
                item.total = Some(entry.size);
                item.target = match existing {
                    Some(r) => Some(Some(FileStat {
                        size: r.size,
                        modified: r.modified,
                    })),
                    None if absent_is_known => Some(None),
                    // Not named, but the listing may have left it out:
                    // ask the server before deciding (StatTarget).
                    None => None,
                };
            }
        }
        let mut uncomparable = false;
        for what in skipped {
            match what.name {
                // Left out here, so never deleted there.
                Some(name) => {
                    local_names.insert(name);
                }
                None => uncomparable = true,
            }
            self.skipped_child(
                id,
                Direction::Upload,
                parent.remote.clone(),
                parent.local.clone(),
                what.what,
            );
        }
        if self.options.delete_extraneous {
            match &remote {
                Some(listing) if !listing.is_complete() => self.block_deletions(format!(
                    "the listing of {} is incomplete ({})",
                    parent.remote,
                    listing.incomplete.as_deref().unwrap_or_default()
                )),
                Some(_) if uncomparable => self.warn(&format!(
                    "Nothing deleted in {}: {} holds a name that is not UTF-8, which no \
                     remote name can be compared with",
                    parent.remote,
                    parent.local.display()
                )),
                Some(listing) => {
                    self.plan_remote_deletions(id, &parent, &listing.entries, &local_names)
                }
                // Not there (a dry run) or not readable: nothing to go on.
                None => {}
            }
        }
        self.set_state(id, ItemState::Done);
    }

    pub(super) fn skipped_child(
        &mut self,
        parent: ItemId,
        direction: Direction,
        remote: String,
        local: std::path::PathBuf,
        reason: String,
    ) {
        let spec = TransferSpec {
            direction,
            remote,
            local,
            recursive: false,
            copy_to: String::new(),
        };
        let child = self.add_item(Some(parent), spec, ItemKind::Transfer);
        self.warn(&format!("Skipped: {reason}"));
        self.set_state(child, ItemState::Skipped(reason));
    }
}
