//! Folders become items: a listed remote folder turns into downloads, a
//! local folder into uploads, and (for a mirror with `--delete`) what only
//! the target has into deletions. Names are checked here, before anything
//! is created or written.

use std::collections::HashSet;
use std::fs;

use super::coordinator::Coordinator;
use super::item::{ItemKind, ItemState};
use super::local_tree::list_local;
use super::{Direction, ItemId, TransferSpec};
use crate::engine::event::FileStat;
use crate::engine::names::{is_safe_local_name, remote_join};
use crate::listing::{EntryKind, RemoteEntry};

impl Coordinator {
    /// A remote folder was listed: its files and folders join the queue.
    /// Unsafe names and symbolic links are skipped, never followed or
    /// written outside the folder.
    ///
    /// For a copy, the same names go to the partner server: a name that
    /// could escape a folder here could escape one there.
    pub(super) fn expand_remote(&mut self, id: ItemId, entries: Vec<RemoteEntry>) {
        let parent = self.items_spec(id);
        let copy = parent.direction == Direction::Copy;
        let mut kept = HashSet::new();
        for entry in entries {
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
            let spec = TransferSpec {
                direction: parent.direction,
                remote,
                local: if copy {
                    Default::default()
                } else {
                    parent.local.join(&entry.name)
                },
                recursive: entry.kind == EntryKind::Dir,
                copy_to: if copy {
                    remote_join(&parent.copy_to, &entry.name)
                } else {
                    String::new()
                },
            };
            let child = self.add_item(Some(id), spec, ItemKind::Transfer);
            if matches!(entry.kind, EntryKind::Symlink { .. }) {
                self.set_state(
                    child,
                    ItemState::Skipped("a symbolic link (not followed)".to_string()),
                );
                continue;
            }
            if let Some(item) = self.item_mut(child) {
                item.total = entry.size;
                item.source = Some(FileStat {
                    size: entry.size,
                    modified: entry.modified,
                });
            }
        }
        if self.options.delete_extraneous && !copy {
            self.delete_local_extras(id, &parent, &kept);
        }
        self.set_state(id, ItemState::Done);
    }

    /// For a download mirror: what the local folder has and the server
    /// does not goes. A `.part` of a file still on the server stays.
    fn delete_local_extras(&mut self, id: ItemId, parent: &TransferSpec, kept: &HashSet<String>) {
        // A folder that is not there yet (dry run) has nothing extra.
        let Ok(read) = fs::read_dir(&parent.local) else {
            return;
        };
        let mut extras = Vec::new();
        for entry in read.flatten() {
            let name = entry.file_name();
            let name = name.to_string_lossy();
            // Only a partial file a record proves ours, for a name still
            // listed; a real file that merely looks like one is an extra.
            let is_our_part = crate::engine::partial_target(&entry.path())
                .and_then(|target| target.file_name().map(|n| n.to_string_lossy().into_owned()))
                .is_some_and(|target| kept.contains(&target));
            if kept.contains(name.as_ref()) || is_our_part {
                continue;
            }
            let path = entry.path();
            // A link is removed as a link; only real folders go recursively.
            let is_dir = fs::symlink_metadata(&path).is_ok_and(|m| m.is_dir());
            extras.push((path, is_dir));
        }
        extras.sort();
        for (path, is_dir) in extras {
            let spec = TransferSpec {
                direction: Direction::Download,
                remote: parent.remote.clone(),
                local: path,
                recursive: is_dir,
                copy_to: String::new(),
            };
            self.add_item(Some(id), spec, ItemKind::DeleteTarget);
        }
    }

    /// A local folder is to be uploaded and the remote one exists (or, in
    /// a dry run, may not): its contents join the queue, knowing what each
    /// would replace.
    pub(super) fn expand_local(&mut self, id: ItemId, remote_entries: Vec<RemoteEntry>) {
        let parent = self.items_spec(id);
        let (entries, skipped) = match list_local(&parent.local) {
            Ok(listed) => listed,
            Err(err) => return self.set_state(id, ItemState::Failed(err)),
        };
        let mut local_names = HashSet::new();
        for entry in entries {
            local_names.insert(entry.name.clone());
            let existing = remote_entries.iter().find(|r| r.name == entry.name);
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
                item.target = Some(existing.map(|r| FileStat {
                    size: r.size,
                    modified: r.modified,
                }));
            }
        }
        for what in skipped {
            self.skipped_child(
                id,
                Direction::Upload,
                parent.remote.clone(),
                parent.local.clone(),
                what,
            );
        }
        if self.options.delete_extraneous {
            for entry in remote_entries {
                if local_names.contains(&entry.name) || matches!(entry.name.as_str(), "." | "..") {
                    continue;
                }
                let remote = remote_join(&parent.remote, &entry.name);
                if !is_safe_local_name(&entry.name) {
                    // Never build a command from a name that could escape.
                    let reason = format!("the name {:?} is not safe to delete", entry.name);
                    self.skipped_child(id, Direction::Upload, remote, parent.local.clone(), reason);
                    continue;
                }
                let spec = TransferSpec {
                    direction: Direction::Upload,
                    remote,
                    local: parent.local.join(&entry.name),
                    recursive: entry.kind == EntryKind::Dir,
                    copy_to: String::new(),
                };
                self.add_item(Some(id), spec, ItemKind::DeleteTarget);
            }
        }
        self.set_state(id, ItemState::Done);
    }

    fn skipped_child(
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

    /// Items that need no connection: local deletions of a mirror.
    pub(super) fn run_local_items(&mut self) {
        // Only a mirror with --delete makes them; skip the scan otherwise.
        if !self.options.delete_extraneous {
            return;
        }
        let ids = self.ids_where(|i| {
            i.kind == ItemKind::DeleteTarget
                && i.spec.direction == Direction::Download
                && matches!(i.state, ItemState::Queued)
        });
        for id in ids {
            self.delete_local(id);
        }
    }

    pub(super) fn delete_local(&mut self, id: ItemId) {
        let spec = self.items_spec(id);
        if self.options.dry_run {
            let what = format!("would delete {}", spec.local.display());
            return self.set_state(id, ItemState::Planned(what));
        }
        // remove_dir_all does not follow symbolic links inside the tree.
        let removed = if spec.recursive {
            fs::remove_dir_all(&spec.local)
        } else {
            fs::remove_file(&spec.local)
        };
        match removed {
            Ok(()) => self.set_state(id, ItemState::Done),
            Err(err) => self.set_state(
                id,
                ItemState::Failed(crate::engine::error::Error::local(&spec.local, &err)),
            ),
        }
    }
}
