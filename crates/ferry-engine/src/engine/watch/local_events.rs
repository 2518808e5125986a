//! What the system says happens in a local folder (inotify, FSEvents,
//! ReadDirectoryChangesW, through `notify`), in the few terms Ferry acts
//! on. Reads and opens are left out; a write shows as a change of the
//! path, so a file saved by renaming a new one over it is a change too.

use std::path::{Path, PathBuf};

use crossbeam_channel::{Receiver, unbounded};
use notify::event::{AccessKind, AccessMode, ModifyKind, RenameMode};
use notify::{EventKind, RecommendedWatcher, RecursiveMode, Watcher};

use crate::engine::error::{Error, Result};

/// One thing that happened to a path under the watched folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Touch {
    /// Created, written or renamed here: look at it again.
    Changed(PathBuf),
    /// Deleted, or renamed away.
    Removed(PathBuf),
    /// Renamed with both names known (after the two halves, each also
    /// reported on its own as a removal and a change).
    Renamed { from: PathBuf, to: PathBuf },
    /// Events were lost (the system's queue overflowed, the watch broke):
    /// nothing short of looking at everything again is safe.
    Rescan,
}

/// Watches a folder (and what is below it) while it lives.
pub struct LocalEvents {
    _watcher: RecommendedWatcher,
    pub touches: Receiver<Touch>,
}

impl LocalEvents {
    pub fn watch(folder: &Path) -> Result<LocalEvents> {
        let (sender, touches) = unbounded();
        let mut watcher =
            notify::recommended_watcher(move |event: notify::Result<notify::Event>| {
                for touch in touches_of(event) {
                    let _ = sender.send(touch);
                }
            })
            .map_err(|e| watch_error(folder, &e))?;
        watcher
            .watch(folder, RecursiveMode::Recursive)
            .map_err(|e| watch_error(folder, &e))?;
        Ok(LocalEvents {
            _watcher: watcher,
            touches,
        })
    }
}

fn watch_error(folder: &Path, err: &notify::Error) -> Error {
    Error::LocalIo {
        path: folder.display().to_string(),
        message: format!("cannot watch for changes: {err}"),
    }
}

fn touches_of(event: notify::Result<notify::Event>) -> Vec<Touch> {
    let Ok(event) = event else {
        return vec![Touch::Rescan];
    };
    if event.need_rescan() {
        return vec![Touch::Rescan];
    }
    let mut paths = event.paths.into_iter();
    match event.kind {
        EventKind::Access(AccessKind::Close(AccessMode::Write)) => {
            paths.map(Touch::Changed).collect()
        }
        EventKind::Access(_) => Vec::new(),
        EventKind::Modify(ModifyKind::Name(RenameMode::From)) => {
            paths.map(Touch::Removed).collect()
        }
        EventKind::Modify(ModifyKind::Name(RenameMode::Both)) => {
            match (paths.next(), paths.next()) {
                (Some(from), Some(to)) => vec![Touch::Renamed { from, to }],
                (Some(one), None) => vec![Touch::Changed(one)],
                _ => Vec::new(),
            }
        }
        EventKind::Remove(_) => paths.map(Touch::Removed).collect(),
        // Created, written, attributes, renamed to, and what the platform
        // could not say more about: look again.
        _ => paths.map(Touch::Changed).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn next(events: &LocalEvents, wanted: impl Fn(&Touch) -> bool) -> Touch {
        loop {
            let touch = events
                .touches
                .recv_timeout(Duration::from_secs(5))
                .expect("an event within 5 s");
            if wanted(&touch) {
                return touch;
            }
        }
    }

    #[test]
    fn writes_renames_and_deletes_are_reported() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().canonicalize().unwrap();
        let events = LocalEvents::watch(&root).unwrap();
        // (A file made in a new folder at once may come before the folder
        // is watched: the folder's own event covers it.)
        std::fs::create_dir(root.join("sub")).unwrap();
        assert_eq!(
            next(&events, |t| matches!(t, Touch::Changed(_))),
            Touch::Changed(root.join("sub"))
        );
        let file = root.join("a.txt");
        std::fs::write(&file, b"x").unwrap();
        assert_eq!(
            next(
                &events,
                |t| matches!(t, Touch::Changed(p) if p.ends_with("a.txt"))
            ),
            Touch::Changed(file.clone())
        );
        let moved = root.join("sub/b.txt");
        std::fs::rename(&file, &moved).unwrap();
        assert_eq!(
            next(&events, |t| matches!(t, Touch::Renamed { .. })),
            Touch::Renamed {
                from: file,
                to: moved.clone()
            }
        );
        std::fs::remove_file(&moved).unwrap();
        assert_eq!(
            next(&events, |t| matches!(t, Touch::Removed(_))),
            Touch::Removed(moved)
        );
    }
}
