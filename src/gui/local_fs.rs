//! The local side's disk work on its own thread: listing a folder of
//! 100 000 files or deleting a tree must not freeze the window.

use std::fs;
use std::path::{Path, PathBuf};
use std::thread;

use crossbeam_channel::{Receiver, Sender, unbounded};

use super::bridge::{Waker, relay};
use super::rows::FileRow;

/// Something to do on the local disk.
#[derive(Debug, Clone)]
pub enum LocalOp {
    List(PathBuf),
    Rename {
        from: PathBuf,
        to: PathBuf,
    },
    /// Files, and folders with everything in them (links are removed, not
    /// followed).
    Delete(Vec<PathBuf>),
    Mkdir(PathBuf),
}

/// What became of a [`LocalOp`].
#[derive(Debug, Clone)]
pub enum LocalResult {
    Listed { folder: PathBuf, rows: Vec<FileRow> },
    Done { what: String },
    Failed { what: String, error: String },
}

pub struct LocalFs {
    ops: Sender<LocalOp>,
    pub results: Receiver<LocalResult>,
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
        }
    }

    pub fn send(&self, op: LocalOp) {
        let _ = self.ops.send(op);
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
            let what = format!("Deleting {} item(s)", paths.len());
            outcome(what, paths.iter().try_for_each(|p| delete(p)))
        }
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

fn delete(path: &Path) -> std::io::Result<()> {
    let meta = fs::symlink_metadata(path)?;
    if meta.is_dir() {
        // Does not follow links inside the tree.
        fs::remove_dir_all(path)
    } else {
        fs::remove_file(path)
    }
}
