//! A mirror's deletions: planned from whole listings only, held until
//! every folder of the run has been read, then made all together, or none
//! of them when a folder could not be read whole, when there are more than
//! the bound, or when they would empty the whole target (a mistyped path).

use std::collections::HashSet;
use std::fs;

use super::coordinator::Coordinator;
use super::item::{ItemKind, ItemState};
use super::{Direction, ItemId, TransferSpec};
use crate::engine::error::Error;
use crate::engine::names::{is_safe_local_name, remote_join};
use crate::listing::{EntryKind, RemoteEntry};
use crate::units::count;

/// A deletion a mirror decided on, not yet made.
pub(super) struct PlannedDeletion {
    /// The folder item whose listing found the extra entry.
    pub parent: ItemId,
    pub spec: TransferSpec,
    /// Part of deleting every entry of the top target folder.
    pub empties_top: bool,
}

impl Coordinator {
    /// A mirror's deletions, once every folder of the run has been read:
    /// all of them, or (when a folder could not be read whole, or they
    /// would go past the bound or empty the whole target) none.
    pub(super) fn release_deletions(&mut self) {
        if self.open_folders > 0 {
            return;
        }
        if self.planned_deletions.is_empty() {
            // A run with nothing to delete: its doubts end with it.
            self.deletion_block = None;
            return;
        }
        let planned = std::mem::take(&mut self.planned_deletions);
        let blocked = self.deletion_block.take();
        let refusal = match blocked {
            Some(why) => Some((why, None)),
            None => self.deletion_refusal(&planned),
        };
        let Some((why, failing_root)) = refusal else {
            for deletion in planned {
                self.add_item(Some(deletion.parent), deletion.spec, ItemKind::DeleteTarget);
            }
            return;
        };
        self.warn(&format!(
            "Nothing was deleted ({} would have been): {why}",
            count(planned.len() as u64, "entry", "entries")
        ));
        for deletion in planned {
            let id = self.add_item(Some(deletion.parent), deletion.spec, ItemKind::DeleteTarget);
            self.set_state(id, ItemState::Skipped(format!("not deleted: {why}")));
        }
        if let Some(root) = failing_root {
            self.set_state(
                root,
                ItemState::Failed(Error::InvalidInput(format!("nothing was deleted: {why}"))),
            );
        }
    }

    /// Why deletions that every listing supports must still wait for the
    /// user's consent, and the item to fail for it.
    fn deletion_refusal(&self, planned: &[PlannedDeletion]) -> Option<(String, Option<ItemId>)> {
        if self.options.force_delete {
            return None;
        }
        let root_of = |d: &PlannedDeletion| self.item(d.parent).map(|i| i.root);
        if let Some(all) = planned.iter().find(|d| d.empties_top) {
            let root = root_of(all);
            let (target, source) = root
                .and_then(|r| self.item(r))
                .map(|i| describe_ends(&i.spec))
                .unwrap_or_default();
            let all = planned.iter().filter(|d| d.empties_top).count() as u64;
            let why = format!(
                "that would delete everything in {target} ({}), as {source} \
                 has none of it (a mistyped path?); --force-delete allows it",
                count(all, "entry", "entries")
            );
            return Some((why, root));
        }
        let max = self.options.max_delete?;
        let many = planned.len() as u64;
        (many > max).then(|| {
            let why = format!(
                "that would delete {}, more than the limit of {max} \
                 (--max-delete raises it, --force-delete lifts it)",
                count(many, "entry", "entries")
            );
            (why, planned.first().and_then(root_of))
        })
    }

    pub(super) fn block_deletions(&mut self, why: String) {
        self.deletion_block.get_or_insert(why);
    }

    /// For a download mirror: what the local folder has and the complete
    /// remote listing does not, planned for deletion. Ferry's own partial
    /// file of a file still on the server stays, and so does a name that
    /// cannot be compared (not UTF-8: no remote name became it).
    pub(super) fn plan_local_deletions(
        &mut self,
        id: ItemId,
        parent: &TransferSpec,
        kept: &HashSet<String>,
    ) {
        let read = match fs::read_dir(&parent.local) {
            Ok(read) => read,
            // A folder that is not there yet (dry run) has nothing extra.
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => return,
            Err(err) => {
                let err = Error::local(&parent.local, &err);
                return self.block_deletions(format!("the local folder could not be read ({err})"));
            }
        };
        let mut extras = Vec::new();
        let mut present = 0usize;
        for entry in read {
            let entry = match entry {
                Ok(entry) => entry,
                Err(err) => {
                    let err = Error::local(&parent.local, &err);
                    return self
                        .block_deletions(format!("the local folder could not be read ({err})"));
                }
            };
            present += 1;
            let path = entry.path();
            let Some(name) = entry.file_name().to_str().map(str::to_string) else {
                self.warn(&format!(
                    "Not deleted: {} (its name is not UTF-8, so no remote name can be \
                     compared with it)",
                    path.display()
                ));
                continue;
            };
            // What the filter leaves out is left alone on both sides.
            if self.leaves_out(id, &name, path.is_dir()) {
                continue;
            }
            // Only a partial file a record proves ours, for a name still
            // listed; a real file that merely looks like one is an extra.
            let is_our_part = crate::engine::partial_target(&path)
                .and_then(|target| {
                    target
                        .file_name()
                        .and_then(|n| n.to_str().map(str::to_string))
                })
                .is_some_and(|target| kept.contains(&target));
            if kept.contains(&name) || is_our_part {
                continue;
            }
            // A link is removed as a link; only real folders go recursively.
            let is_dir = fs::symlink_metadata(&path).is_ok_and(|m| m.is_dir());
            extras.push((path, is_dir));
        }
        extras.sort();
        let top = self.item(id).is_some_and(|i| i.parent.is_none());
        let empties_top = top && !extras.is_empty() && extras.len() == present;
        for (path, is_dir) in extras {
            let spec = TransferSpec {
                direction: Direction::Download,
                remote: parent.remote.clone(),
                local: path,
                recursive: is_dir,
                copy_to: String::new(),
            };
            self.plan_deletion(id, spec, empties_top);
        }
    }

    /// For an upload mirror: what the complete remote listing has and the
    /// local folder does not, planned for deletion.
    pub(super) fn plan_remote_deletions(
        &mut self,
        id: ItemId,
        parent: &TransferSpec,
        remote_entries: &[RemoteEntry],
        local_names: &HashSet<String>,
    ) {
        let present = remote_entries
            .iter()
            .filter(|e| !matches!(e.name.as_str(), "." | ".."))
            .count();
        let mut extras = Vec::new();
        for entry in remote_entries {
            if local_names.contains(&entry.name)
                || matches!(entry.name.as_str(), "." | "..")
                || self.leaves_out(id, &entry.name, entry.kind == EntryKind::Dir)
            {
                continue;
            }
            let remote = remote_join(&parent.remote, &entry.name);
            if !is_safe_local_name(&entry.name) {
                // Never build a command from a name that could escape.
                let reason = format!("the name {:?} is not safe to delete", entry.name);
                self.skipped_child(id, Direction::Upload, remote, parent.local.clone(), reason);
                continue;
            }
            extras.push(TransferSpec {
                direction: Direction::Upload,
                remote,
                local: parent.local.join(&entry.name),
                recursive: entry.kind == EntryKind::Dir,
                copy_to: String::new(),
            });
        }
        let top = self.item(id).is_some_and(|i| i.parent.is_none());
        let empties_top = top && !extras.is_empty() && extras.len() == present;
        for spec in extras {
            self.plan_deletion(id, spec, empties_top);
        }
    }

    fn plan_deletion(&mut self, parent: ItemId, spec: TransferSpec, empties_top: bool) {
        self.planned_deletions.push(PlannedDeletion {
            parent,
            spec,
            empties_top,
        });
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
            Err(err) => self.set_state(id, ItemState::Failed(Error::local(&spec.local, &err))),
        }
    }
}

/// What a person calls the two ends of a tree item: (its target, its
/// source), e.g. ("the local folder backup", "/site on the server").
pub(super) fn describe_ends(spec: &TransferSpec) -> (String, String) {
    use super::Direction;
    let local = format!("the local folder {}", spec.local.display());
    let remote = format!("{} on the server", spec.remote);
    match spec.direction {
        Direction::Download => (local, remote),
        Direction::Upload => (remote, local),
        Direction::Copy => (format!("{} on the other server", spec.copy_to), remote),
    }
}
