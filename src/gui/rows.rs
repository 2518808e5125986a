//! One row of either pane: a local or remote entry reduced to what the
//! table shows, plus how to show sizes and times to a person.

use std::borrow::Cow;
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
    /// "owner group", where the listing names them (LIST; MLSD rarely).
    pub owner: Option<String>,
}

impl FileRow {
    pub fn is_dir(&self) -> bool {
        self.kind == RowKind::Dir
    }

    /// A row with only a name and a kind (tests, and rows made by hand).
    pub fn named(name: &str, kind: RowKind) -> FileRow {
        FileRow {
            name: name.to_string(),
            kind,
            size: None,
            modified: None,
            permissions: String::new(),
            link_target: None,
            owner: None,
        }
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
            owner: match (&entry.owner, &entry.group) {
                (None, None) => None,
                (owner, group) => Some(
                    [owner.as_deref(), group.as_deref()]
                        .into_iter()
                        .flatten()
                        .collect::<Vec<_>>()
                        .join(" "),
                ),
            },
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
            owner: None,
        })
    }

    /// "Folder", "PDF document", "TXT file": what the Type column says,
    /// from the extension as FileZilla does.
    pub fn type_name(&self) -> Cow<'static, str> {
        match self.kind {
            RowKind::Dir => return "Folder".into(),
            RowKind::Other => return "Other".into(),
            RowKind::File | RowKind::Link => {}
        }
        let link = self.kind == RowKind::Link;
        let extension = match self.name.rsplit_once('.') {
            Some((stem, ext)) if !stem.is_empty() && !ext.is_empty() && ext.len() <= 8 => ext,
            _ => return (if link { "Link" } else { "File" }).into(),
        };
        let lower = extension.to_ascii_lowercase();
        let known = KNOWN_TYPES
            .iter()
            .find(|(exts, _)| exts.split(' ').any(|e| e == lower))
            .map(|(_, name)| *name);
        match (known, link) {
            (Some(name), false) => name.into(),
            (Some(name), true) => format!("Link ({name})").into(),
            (None, false) => format!("{} file", extension.to_ascii_uppercase()).into(),
            (None, true) => format!("Link ({} file)", extension.to_ascii_uppercase()).into(),
        }
    }

    /// The Permissions column: `drwxr-xr-x` with the type letter, or an
    /// MLSD `perm` fact (pyftpdlib's "radfwMT") in words; and what a hover
    /// explains, if anything.
    pub fn permissions_text(&self) -> (String, Option<String>) {
        let p = self.permissions.as_str();
        let rwx = p.len() == 9 && p.chars().all(|c| "rwxstST-".contains(c));
        if rwx {
            let kind = match self.kind {
                RowKind::Dir => 'd',
                RowKind::Link => 'l',
                RowKind::File => '-',
                RowKind::Other => '?',
            };
            return (format!("{kind}{p}"), None);
        }
        let facts = !p.is_empty() && p.chars().all(|c| PERM_FACTS.iter().any(|(f, _)| *f == c));
        if facts {
            let words: Vec<&str> = PERM_FACTS
                .iter()
                .filter(|(f, _)| p.contains(*f))
                .map(|(_, word)| *word)
                .collect();
            let hover = format!("The server allows: {} (MLSD perm={p})", words.join(", "));
            return (words.join(" "), Some(hover));
        }
        (p.to_string(), None)
    }
}

/// RFC 3659's `perm` letters (and pyftpdlib's M and T), as words.
const PERM_FACTS: &[(char, &str)] = &[
    ('r', "read"),
    ('w', "write"),
    ('a', "append"),
    ('d', "delete"),
    ('f', "rename"),
    ('e', "enter"),
    ('l', "list"),
    ('c', "create"),
    ('m', "mkdir"),
    ('p', "purge"),
    ('M', "chmod"),
    ('T', "set-time"),
];

/// Extensions (space-separated) and what people call such files.
const KNOWN_TYPES: &[(&str, &str)] = &[
    ("pdf", "PDF document"),
    ("txt text log", "Text file"),
    ("md markdown", "Markdown text"),
    ("html htm xhtml", "HTML page"),
    ("css", "CSS stylesheet"),
    ("js mjs", "JavaScript file"),
    ("ts", "TypeScript file"),
    ("json", "JSON file"),
    ("xml", "XML file"),
    ("yml yaml", "YAML file"),
    ("csv", "CSV table"),
    ("php", "PHP script"),
    ("py", "Python script"),
    ("sh bash", "Shell script"),
    ("rs", "Rust source"),
    ("c h", "C source"),
    ("png", "PNG image"),
    ("jpg jpeg", "JPEG image"),
    ("gif", "GIF image"),
    ("svg", "SVG image"),
    ("webp", "WebP image"),
    ("ico", "Icon"),
    ("mp3", "MP3 audio"),
    ("wav flac ogg", "Audio file"),
    ("mp4 mkv webm mov avi", "Video file"),
    ("zip", "ZIP archive"),
    ("gz tgz", "Gzip archive"),
    ("tar", "Tar archive"),
    ("xz bz2 7z rar zst", "Compressed archive"),
    ("doc docx odt", "Word document"),
    ("xls xlsx ods", "Spreadsheet"),
    ("ppt pptx odp", "Presentation"),
    ("exe msi", "Windows program"),
    ("deb rpm", "Package"),
    ("iso img", "Disk image"),
    ("sql", "SQL script"),
    ("ttf otf woff woff2", "Font"),
];

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
        // The permissions column says what kind it is first.
        assert_eq!(d.permissions_text().0.chars().next(), Some('d'));
        assert_eq!(f.permissions_text().0.chars().next(), Some('-'));
    }

    fn file(name: &str) -> FileRow {
        FileRow::named(name, RowKind::File)
    }

    #[test]
    fn types_come_from_the_extension() {
        assert_eq!(file("report.PDF").type_name(), "PDF document");
        assert_eq!(file("index.html").type_name(), "HTML page");
        assert_eq!(file("data.xyz").type_name(), "XYZ file");
        assert_eq!(file("README").type_name(), "File");
        assert_eq!(file(".bashrc").type_name(), "File");
        let link = FileRow {
            kind: RowKind::Link,
            ..file("a.png")
        };
        assert_eq!(link.type_name(), "Link (PNG image)");
    }

    #[test]
    fn mlsd_perm_facts_read_as_words() {
        let row = FileRow {
            permissions: "radfwMT".to_string(),
            ..file("a.txt")
        };
        let (text, hover) = row.permissions_text();
        assert_eq!(text, "read write append delete rename chmod set-time");
        assert!(hover.unwrap().contains("perm=radfwMT"));
        let plain = FileRow {
            permissions: "rw-r--r--".to_string(),
            ..file("a.txt")
        };
        assert_eq!(plain.permissions_text(), ("-rw-r--r--".to_string(), None));
    }
}
