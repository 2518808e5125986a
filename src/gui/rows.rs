//! One row of either pane: a local or remote entry reduced to what the
//! table shows, plus how to show sizes and times to a person.

use std::fs;
use std::path::Path;

use chrono::{DateTime, Local, NaiveDateTime, Utc};

use crate::listing::{EntryKind, RemoteEntry};
pub use crate::units::human_size;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum RowKind {
    Dir,
    File,
    Link,
    Other,
}

/// A file or folder as a pane lists it.
#[derive(Debug, Clone, PartialEq)]
pub struct FileRow {
    pub name: String,
    pub kind: RowKind,
    pub size: Option<u64>,
    /// UTC (MLSD, MDTM and the local disk are; LIST times are taken as is).
    pub modified: Option<NaiveDateTime>,
    pub permissions: String,
    pub link_target: Option<String>,
}

impl FileRow {
    pub fn is_dir(&self) -> bool {
        self.kind == RowKind::Dir
    }

    pub fn from_remote(entry: &RemoteEntry) -> FileRow {
        let (kind, link_target) = match &entry.kind {
            EntryKind::Dir => (RowKind::Dir, None),
            EntryKind::File | EntryKind::Unknown => (RowKind::File, None),
            EntryKind::Symlink { target } => (RowKind::Link, target.clone()),
            EntryKind::Other => (RowKind::Other, None),
        };
        FileRow {
            name: entry.name.clone(),
            kind,
            size: entry.size,
            modified: entry.modified,
            permissions: entry.permissions.clone().unwrap_or_default(),
            link_target,
        }
    }

    /// A local entry, described without following a link.
    pub fn from_local(path: &Path, name: String) -> Option<FileRow> {
        let meta = fs::symlink_metadata(path).ok()?;
        let kind = if meta.file_type().is_symlink() {
            // A link to a folder opens like a folder; to a file, like a file.
            match fs::metadata(path) {
                Ok(target) if target.is_dir() => RowKind::Dir,
                _ => RowKind::Link,
            }
        } else if meta.is_dir() {
            RowKind::Dir
        } else if meta.is_file() {
            RowKind::File
        } else {
            RowKind::Other
        };
        let link_target = meta
            .file_type()
            .is_symlink()
            .then(|| fs::read_link(path).ok())
            .flatten()
            .map(|t| t.display().to_string());
        Some(FileRow {
            name,
            kind,
            size: (kind != RowKind::Dir).then_some(meta.len()),
            modified: meta
                .modified()
                .ok()
                .map(|t| DateTime::<Utc>::from(t).naive_utc()),
            permissions: unix_permissions(&meta),
            link_target,
        })
    }

    pub fn type_name(&self) -> &'static str {
        match self.kind {
            RowKind::Dir => "Folder",
            RowKind::File => "File",
            RowKind::Link => "Link",
            RowKind::Other => "Other",
        }
    }
}

#[cfg(unix)]
fn unix_permissions(meta: &fs::Metadata) -> String {
    use std::os::unix::fs::PermissionsExt;
    let mode = meta.permissions().mode();
    let mut text = String::with_capacity(9);
    for shift in [6u32, 3, 0] {
        let bits = (mode >> shift) & 7;
        text.push(if bits & 4 != 0 { 'r' } else { '-' });
        text.push(if bits & 2 != 0 { 'w' } else { '-' });
        text.push(if bits & 1 != 0 { 'x' } else { '-' });
    }
    text
}

#[cfg(not(unix))]
fn unix_permissions(meta: &fs::Metadata) -> String {
    if meta.permissions().readonly() {
        "read-only".to_string()
    } else {
        String::new()
    }
}

/// A UTC time in the viewer's local time, as people read it.
pub fn local_time(utc: NaiveDateTime) -> String {
    DateTime::<Local>::from(utc.and_utc())
        .format("%Y-%m-%d %H:%M")
        .to_string()
}

// The test makes a symbolic link the Unix way.
#[cfg(all(test, unix))]
mod tests {
    use super::*;

    #[test]
    fn local_rows_describe_files_folders_and_links() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("f.txt"), b"abc").unwrap();
        std::fs::create_dir(dir.path().join("d")).unwrap();
        std::os::unix::fs::symlink(dir.path().join("d"), dir.path().join("l")).unwrap();
        let f = FileRow::from_local(&dir.path().join("f.txt"), "f.txt".into()).unwrap();
        assert_eq!((f.kind, f.size), (RowKind::File, Some(3)));
        let d = FileRow::from_local(&dir.path().join("d"), "d".into()).unwrap();
        assert!(d.is_dir());
        let l = FileRow::from_local(&dir.path().join("l"), "l".into()).unwrap();
        assert!(l.is_dir() && l.link_target.is_some());
    }
}
