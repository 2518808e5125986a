//! The local side's disk work on its own thread: listing a folder of
//! 100 000 files, counting or deleting a tree, moving it to the trash (a
//! copy across disks, for the freedesktop trash) or saving the log to a
//! slow disk must not freeze the window.

use std::fs;
use std::path::{Path, PathBuf};
use std::thread;

use crossbeam_channel::{Receiver, Sender, unbounded};

use super::bridge::{Waker, relay, take_some};
use super::chosen::FolderCount;
use super::rows::FileRow;

/// Entries a count stops at: enough to tell a person "a lot", bounded so
/// a count of a whole disk does not hold up the listings behind it.
const COUNT_BOUND: u64 = 100_000;

/// Something to do on the local disk.
#[derive(Debug, Clone)]
pub enum LocalOp {
    List(PathBuf),
    Rename {
        from: PathBuf,
        to: PathBuf,
    },
    /// Files, and folders with everything in them (links are removed, not
    /// followed), for good.
    Delete(Vec<PathBuf>),
    /// Files and folders moved to the desktop's trash.
    Trash(Vec<PathBuf>),
    Mkdir(PathBuf),
    /// How many entries the folder holds, all the way down (links are
    /// counted, not followed).
    Count(PathBuf),
    /// The message log's text, written to a file the user picked
    /// (replacing it: the save dialog asked).
    SaveLog {
        path: PathBuf,
        text: String,
    },
}

/// What became of a [`LocalOp`].
#[derive(Debug, Clone)]
pub enum LocalResult {
    Listed {
        folder: PathBuf,
        rows: Vec<FileRow>,
    },
    Done {
        what: String,
    },
    Failed {
        what: String,
        error: String,
    },
    Counted {
        folder: PathBuf,
        count: Result<FolderCount, String>,
    },
}

pub struct LocalFs {
    ops: Sender<LocalOp>,
    results: Receiver<LocalResult>,
    /// Operations sent whose result has not been taken yet (each gives
    /// exactly one).
    outstanding: usize,
}

impl LocalFs {
    pub fn start(waker: Waker) -> LocalFs {
        let (ops, inbox) = unbounded::<LocalOp>();
        let (out, results) = unbounded();
        let _ = thread::Builder::new()
            .name("ferry-local".to_string())
            .spawn(move || {
                for op in inbox.iter() {
                    if out.send(run(op)).is_err() {
                        return;
                    }
                }
            });
        LocalFs {
            ops,
            results: relay(results, waker, "local"),
            outstanding: 0,
        }
    }

    pub fn send(&mut self, op: LocalOp) {
        if self.ops.send(op).is_ok() {
            self.outstanding += 1;
        }
    }

    /// Results since the last call, at most `max`, and whether more wait.
    pub fn results(&mut self, max: usize) -> (Vec<LocalResult>, bool) {
        let (results, more) = take_some(&self.results, max);
        self.outstanding = self.outstanding.saturating_sub(results.len());
        (results, more)
    }

    /// Whether every operation sent has had its result taken.
    pub fn is_idle(&self) -> bool {
        self.outstanding == 0
    }
}

fn run(op: LocalOp) -> LocalResult {
    match op {
        LocalOp::List(folder) => match list(&folder) {
            Ok(rows) => LocalResult::Listed { folder, rows },
            Err(err) => LocalResult::Failed {
                what: format!("Listing {}", folder.display()),
                error: err.to_string(),
            },
        },
        LocalOp::Rename { from, to } => outcome(
            format!("Renaming {} to {}", from.display(), to.display()),
            if to.exists() {
                Err(std::io::Error::other("the new name is taken"))
            } else {
                fs::rename(&from, &to)
            },
        ),
        LocalOp::Delete(paths) => {
            let what = format!("Deleting {} for good", names(&paths));
            outcome(what, paths.iter().try_for_each(|p| delete(p)))
        }
        LocalOp::Trash(paths) => {
            let what = format!("Moving {} to the trash", names(&paths));
            outcome(
                what,
                trash::delete_all(&paths).map_err(std::io::Error::other),
            )
        }
        LocalOp::Count(folder) => LocalResult::Counted {
            count: count(&folder, COUNT_BOUND).map_err(|e| e.to_string()),
            folder,
        },
        LocalOp::SaveLog { path, text } => outcome(
            format!("Saving the log to {}", path.display()),
            fs::write(&path, text),
        ),
        LocalOp::Mkdir(path) => outcome(
            format!("Creating {}", path.display()),
            fs::create_dir(&path),
        ),
    }
}

fn outcome(what: String, result: std::io::Result<()>) -> LocalResult {
    match result {
        Ok(()) => LocalResult::Done { what },
        Err(err) => LocalResult::Failed {
            what,
            error: err.to_string(),
        },
    }
}

fn list(folder: &Path) -> std::io::Result<Vec<FileRow>> {
    let mut rows = Vec::new();
    for entry in fs::read_dir(folder)? {
        let entry = entry?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if let Some(row) = FileRow::from_local(&entry.path(), name) {
            rows.push(row);
        }
    }
    Ok(rows)
}

/// The paths, as a log line names them (a long list is cut short).
fn names(paths: &[PathBuf]) -> String {
    let mut shown: Vec<String> = paths
        .iter()
        .take(3)
        .map(|p| p.display().to_string())
        .collect();
    if paths.len() > 3 {
        shown.push(format!("and {} more", paths.len() - 3));
    }
    shown.join(", ")
}

/// Counts what `folder` holds, depth first, without following links; stops
/// at `bound` entries.
fn count(folder: &Path, bound: u64) -> std::io::Result<FolderCount> {
    let mut total = FolderCount {
        items: 0,
        folders: 0,
        whole_tree: true,
        at_least: false,
    };
    let mut todo = vec![folder.to_path_buf()];
    while let Some(dir) = todo.pop() {
        for entry in fs::read_dir(&dir)? {
            if total.items == bound {
                total.at_least = true;
                return Ok(total);
            }
            let entry = entry?;
            total.items += 1;
            // The entry's own type: a link to a folder is not entered.
            if entry.file_type()?.is_dir() {
                total.folders += 1;
                todo.push(entry.path());
            }
        }
    }
    Ok(total)
}

fn delete(path: &Path) -> std::io::Result<()> {
    let meta = fs::symlink_metadata(path)?;
    if meta.is_dir() {
        // Does not follow links inside the tree.
        fs::remove_dir_all(path)
    } else {
        fs::remove_file(path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Makes a symbolic link the Unix way.
    #[cfg(unix)]
    #[test]
    fn a_count_goes_all_the_way_down_and_stops_at_its_bound() {
        let dir = tempfile::tempdir().unwrap();
        fs::create_dir_all(dir.path().join("a/b")).unwrap();
        fs::write(dir.path().join("a/b/f"), b"x").unwrap();
        fs::write(dir.path().join("g"), b"x").unwrap();
        // A link to a folder is one entry, not entered.
        std::os::unix::fs::symlink(dir.path().join("a"), dir.path().join("l")).unwrap();
        let all = count(dir.path(), 100).unwrap();
        assert_eq!((all.items, all.folders, all.at_least), (5, 2, false));
        let some = count(dir.path(), 2).unwrap();
        assert_eq!((some.items, some.at_least), (2, true));
    }

    #[test]
    fn the_log_is_saved_on_the_disk_thread_and_a_failure_is_told() {
        let dir = tempfile::tempdir().unwrap();
        let mut worker = LocalFs::start(Waker::default());
        let path = dir.path().join("ferry-log.txt");
        worker.send(LocalOp::SaveLog {
            path: path.clone(),
            text: "< 220 hello\n".to_string(),
        });
        let saved = worker.results.recv().unwrap();
        assert!(
            matches!(&saved, LocalResult::Done { what } if what.contains("ferry-log.txt")),
            "{saved:?}"
        );
        assert_eq!(fs::read_to_string(&path).unwrap(), "< 220 hello\n");
        // A folder that is not there: said, not lost.
        worker.send(LocalOp::SaveLog {
            path: dir.path().join("gone/ferry-log.txt"),
            text: String::new(),
        });
        let failed = worker.results.recv().unwrap();
        assert!(
            matches!(&failed, LocalResult::Failed { what, .. } if what.starts_with("Saving the log")),
            "{failed:?}"
        );
    }
}
