//! The local side of tree transfers: listing a folder to upload, and
//! creating folders to download into without following planted links.

use std::fs;
use std::io;
use std::path::Path;

use crate::engine::error::{Error, Result};

/// One entry of a local folder, as an upload sees it.
pub(super) struct LocalEntry {
    pub name: String,
    pub is_dir: bool,
    pub size: u64,
}

/// An entry of a local folder that an upload leaves out, and why.
pub(super) struct SkippedLocal {
    /// Its name, when it is UTF-8 (a link to a folder); `None` for a name
    /// that is not, which no remote name can be matched against.
    pub name: Option<String>,
    pub what: String,
}

/// What a local folder holds. Symbolic links to folders are not followed
/// (no loops); links to files are uploaded as the file. Names that are not
/// UTF-8 cannot be named on the server and are returned in `skipped`.
pub(super) fn list_local(dir: &Path) -> Result<(Vec<LocalEntry>, Vec<SkippedLocal>)> {
    let mut entries = Vec::new();
    let mut skipped = Vec::new();
    let read = fs::read_dir(dir).map_err(|e| Error::local(dir, &e))?;
    for entry in read {
        let entry = entry.map_err(|e| Error::local(dir, &e))?;
        let path = entry.path();
        let Some(name) = entry.file_name().to_str().map(str::to_string) else {
            skipped.push(SkippedLocal {
                name: None,
                what: format!("{} (the name is not UTF-8)", path.display()),
            });
            continue;
        };
        let link = fs::symlink_metadata(&path).map_err(|e| Error::local(&path, &e))?;
        // An unfinished download of ours is not part of the tree.
        if link.is_file() && crate::engine::partial_target(&path).is_some() {
            skipped.push(SkippedLocal {
                what: format!("{} (an unfinished download, not uploaded)", path.display()),
                name: Some(name),
            });
            continue;
        }
        if link.file_type().is_symlink() {
            match fs::metadata(&path) {
                Ok(target) if target.is_file() => entries.push(LocalEntry {
                    name,
                    is_dir: false,
                    size: target.len(),
                }),
                _ => skipped.push(SkippedLocal {
                    what: format!("{} (a link to a folder, not followed)", path.display()),
                    name: Some(name),
                }),
            }
            continue;
        }
        entries.push(LocalEntry {
            name,
            is_dir: link.is_dir(),
            size: link.len(),
        });
    }
    entries.sort_by(|a, b| a.name.cmp(&b.name));
    Ok((entries, skipped))
}

/// Makes sure `dir` is a real folder to download into: created if missing
/// (with its missing parents when `parents`: the folder the user named),
/// refused if it is a symbolic link (which could lead outside the folder
/// the user chose) or a file.
pub(super) fn ensure_local_dir(dir: &Path, parents: bool) -> Result<()> {
    match fs::symlink_metadata(dir) {
        Ok(meta) if meta.file_type().is_symlink() => Err(Error::LocalIo {
            path: dir.display().to_string(),
            message: "is a symbolic link; refusing to download through it".to_string(),
        }),
        Ok(meta) if meta.is_dir() => Ok(()),
        Ok(_) => Err(Error::LocalIo {
            path: dir.display().to_string(),
            message: "exists and is not a folder".to_string(),
        }),
        Err(err) if err.kind() == io::ErrorKind::NotFound => {
            let made = if parents {
                fs::create_dir_all(dir)
            } else {
                fs::create_dir(dir)
            };
            made.map_err(|e| Error::local(dir, &e))
        }
        Err(err) => Err(Error::local(dir, &err)),
    }
}

// The tests make symbolic links the Unix way.
#[cfg(all(test, unix))]
mod tests {
    use super::*;

    #[test]
    fn a_planted_link_is_not_a_folder_to_write_into() {
        let root = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        let link = root.path().join("sub");
        std::os::unix::fs::symlink(outside.path(), &link).unwrap();
        assert!(ensure_local_dir(&link, false).is_err());
        let fresh = root.path().join("fresh");
        ensure_local_dir(&fresh, false).unwrap();
        assert!(fresh.is_dir());
        ensure_local_dir(&fresh, false).unwrap();
        let deep = root.path().join("a/b/c");
        assert!(ensure_local_dir(&deep, false).is_err());
        ensure_local_dir(&deep, true).unwrap();
        assert!(deep.is_dir());
    }

    #[test]
    fn links_to_folders_are_not_followed() {
        let root = tempfile::tempdir().unwrap();
        fs::create_dir(root.path().join("real")).unwrap();
        fs::write(root.path().join("f.txt"), b"abc").unwrap();
        std::os::unix::fs::symlink(root.path(), root.path().join("loop")).unwrap();
        let (entries, skipped) = list_local(root.path()).unwrap();
        let names: Vec<&str> = entries.iter().map(|e| e.name.as_str()).collect();
        assert_eq!(names, ["f.txt", "real"]);
        assert_eq!(entries[0].size, 3);
        assert_eq!(skipped.len(), 1);
    }
}
