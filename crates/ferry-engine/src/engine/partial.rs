//! Ferry's partial downloads: where an unfinished download's bytes wait,
//! and the record that proves a partial file is ours.
//!
//! A download writes to a new file beside its target, named
//! `NAME.XXXXXXXX.ferry-part` with eight random hex digits and created
//! with `create_new`. So it never opens, truncates or renames a file it did
//! not make itself, and no file of a listing, however it is named, can be
//! the one a running download writes to: a name that is taken is skipped,
//! and a name that a file is renamed onto meanwhile is caught before the
//! final rename (the file there is no longer the one we made).
//!
//! Which partial file belongs to which target is kept outside the download
//! folder: one small JSON record per target in the cache folder
//! (`$XDG_CACHE_HOME/ferry/partial` on Linux). It holds the partial file's
//! path and identity (device and inode), the server and remote path it was
//! made for, the size the server announced and when it began. A resume
//! continues a partial file only while all of that still holds; a file
//! without a record, or whose identity differs, is someone else's and is
//! never touched. Records whose partial file has gone are swept once per
//! process.

use std::collections::hash_map::RandomState;
use std::fs::{self, File, OpenOptions};
use std::hash::{BuildHasher, Hasher};
use std::io;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::error::{Error, Result};

/// The end of every partial file's name.
const SUFFIX: &str = "ferry-part";
/// Longest file name most file systems take, in bytes.
const NAME_MAX: usize = 255;

/// What a partial file is made from: a resume needs the same again.
#[derive(Debug, Clone, Copy)]
pub struct Source<'a> {
    /// The server and user (`ftp://user@host:port`), so the same path on
    /// another server is another file.
    pub origin: &'a str,
    pub remote: &'a str,
    /// The size the server announced, where it did.
    pub size: Option<u64>,
}

/// Which file a path names: the same device and inode, born at the same
/// moment, is the same file whatever has been renamed since. (An inode
/// number alone is not enough: a file deleted and another made at once
/// often get the same one.)
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
struct Identity {
    dev: u64,
    ino: u64,
    /// Creation time in nanoseconds since 1970, where the file system
    /// keeps one.
    born: Option<u128>,
}

impl Identity {
    fn of(meta: &fs::Metadata) -> Identity {
        let born = meta
            .created()
            .ok()
            .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
            .map(|d| d.as_nanos());
        let (dev, ino) = device_and_inode(meta);
        Identity { dev, ino, born }
    }
}

#[cfg(unix)]
fn device_and_inode(meta: &fs::Metadata) -> (u64, u64) {
    use std::os::unix::fs::MetadataExt;
    (meta.dev(), meta.ino())
}

/// Without inodes, the creation time alone tells files apart.
#[cfg(not(unix))]
fn device_and_inode(_: &fs::Metadata) -> (u64, u64) {
    (0, 0)
}

/// The record of one partial file, kept under the cache folder.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Record {
    target: PathBuf,
    part: PathBuf,
    identity: Identity,
    origin: String,
    remote: String,
    size: Option<u64>,
    /// When the partial file was made (Unix seconds, UTC): a remote file
    /// modified after this is another version.
    started: i64,
}

/// A partial file of ours, open for writing at its end.
pub struct Partial {
    path: PathBuf,
    file: File,
    identity: Identity,
    /// Where its record is; `None` when no record could be written (then
    /// it cannot be resumed, and goes when the download fails).
    record: Option<PathBuf>,
    started: i64,
    /// Bytes it held when opened.
    offset: u64,
}

/// What became of an attempt to continue a target's partial file.
pub enum Reopened {
    /// Ours, made for the same source, open at its end.
    Ours(Partial),
    /// There was a record, but it no longer holds; what was provably ours
    /// is gone, anything else untouched. The reason is for the log.
    Stale(String),
    /// No partial file of ours for this target.
    None,
}

impl Partial {
    /// Makes a new, empty partial file beside `target` (never an existing
    /// file) and records it as made for `source`.
    pub fn create(target: &Path, source: &Source<'_>) -> Result<Partial> {
        let target = absolute(target)?;
        let folder = target.parent().unwrap_or(Path::new("/"));
        let name = target.file_name().unwrap_or_default().to_string_lossy();
        let mut last = None;
        for _ in 0..16 {
            let path = folder.join(part_name(&name, &random_hex()));
            match OpenOptions::new().write(true).create_new(true).open(&path) {
                Ok(file) => {
                    let meta = file.metadata().map_err(|e| Error::local(&path, &e))?;
                    let mut partial = Partial {
                        path,
                        file,
                        identity: Identity::of(&meta),
                        record: None,
                        started: chrono::Utc::now().timestamp(),
                        offset: 0,
                    };
                    let record = Record {
                        target: target.clone(),
                        part: partial.path.clone(),
                        identity: partial.identity,
                        origin: source.origin.to_string(),
                        remote: source.remote.to_string(),
                        size: source.size,
                        started: partial.started,
                    };
                    partial.record = write_record(&record);
                    return Ok(partial);
                }
                Err(err) if err.kind() == io::ErrorKind::AlreadyExists => last = Some(path),
                Err(err) => return Err(Error::local(&path, &err)),
            }
        }
        let path = last.unwrap_or(target);
        Err(Error::LocalIo {
            path: path.display().to_string(),
            message: "no free name for a partial file beside it".to_string(),
        })
    }

    /// Opens the partial file a record says we made for `target`, if it is
    /// still that very file and was made for `source`. A record that no
    /// longer holds is dropped, with the partial file when it is provably
    /// ours (an older version of the source, a server that changed size).
    pub fn reopen(target: &Path, source: &Source<'_>) -> Result<Reopened> {
        let target = absolute(target)?;
        let Some((record_path, record)) = read_record(&target) else {
            return Ok(Reopened::None);
        };
        let Some(file) = open_ours(&record) else {
            let _ = fs::remove_file(&record_path);
            return Ok(Reopened::Stale(format!(
                "{} is no longer the partial file Ferry made; starting over without it",
                record.part.display()
            )));
        };
        let len = file
            .metadata()
            .map_err(|e| Error::local(&record.part, &e))?
            .len();
        let mismatch = if record.origin != source.origin || record.remote != source.remote {
            Some(format!("was made for {}{}", record.origin, record.remote))
        } else if record.size.is_some() && source.size.is_some() && record.size != source.size {
            Some(format!(
                "was made for a {}-byte version; the file now has {} bytes",
                record.size.unwrap_or_default(),
                source.size.unwrap_or_default()
            ))
        } else if source.size.is_some_and(|size| len > size) {
            Some("is longer than the file".to_string())
        } else {
            None
        };
        let mut partial = Partial {
            path: record.part.clone(),
            file,
            identity: record.identity,
            record: Some(record_path),
            started: record.started,
            offset: len,
        };
        if let Some(why) = mismatch {
            let path = partial.path.display().to_string();
            partial.discard();
            return Ok(Reopened::Stale(format!("{path} {why}; starting over")));
        }
        use std::io::Seek;
        partial
            .file
            .seek(io::SeekFrom::End(0))
            .map_err(|e| Error::local(&partial.path, &e))?;
        Ok(Reopened::Ours(partial))
    }

    /// Removes the partial file a record says we made for `target`, if it
    /// is still ours (a fresh download replaces it), and the record.
    pub fn discard_for(target: &Path) {
        let Ok(target) = absolute(target) else { return };
        let Some((record_path, record)) = read_record(&target) else {
            return;
        };
        if open_ours(&record).is_some() {
            let _ = fs::remove_file(&record.part);
        }
        let _ = fs::remove_file(record_path);
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn file(&mut self) -> &mut File {
        &mut self.file
    }

    /// Bytes it held when it was opened: where a resume starts.
    pub fn offset(&self) -> u64 {
        self.offset
    }

    /// When it was made (Unix seconds, UTC).
    pub fn started(&self) -> i64 {
        self.started
    }

    /// Whether a later run could resume it: it has a record and bytes.
    pub fn is_worth_keeping(&self) -> bool {
        self.record.is_some() && self.file.metadata().is_ok_and(|m| m.len() > 0)
    }

    /// Removes the partial file and its record.
    pub fn discard(self) {
        let Partial {
            path, file, record, ..
        } = self;
        drop(file);
        let _ = fs::remove_file(&path);
        if let Some(record) = record {
            let _ = fs::remove_file(record);
        }
    }

    /// Gives the complete file its name. The partial file's name must
    /// still be our file: a file renamed onto it meanwhile (a download of
    /// a remote file that happens to bear that name) is never moved.
    pub fn finish(self, target: &Path) -> Result<()> {
        let Partial {
            path,
            file,
            identity,
            record,
            ..
        } = self;
        drop(file);
        let now = fs::symlink_metadata(&path).map_err(|e| Error::local(&path, &e))?;
        if now.file_type().is_symlink() || Identity::of(&now) != identity {
            return Err(Error::LocalIo {
                path: path.display().to_string(),
                message: "was replaced by another file while the download ran; \
                          nothing was renamed"
                    .to_string(),
            });
        }
        fs::rename(&path, target).map_err(|e| Error::local(target, &e))?;
        if let Some(record) = record {
            let _ = fs::remove_file(record);
        }
        Ok(())
    }
}

/// Ferry's partial file for `target`, if a record proves one is there and
/// ours; `None` otherwise (whatever files lie beside `target`).
pub fn part_path(target: &Path) -> Option<PathBuf> {
    let target = absolute(target).ok()?;
    let (_, record) = read_record(&target)?;
    open_ours(&record).map(|_| record.part)
}

/// The target whose partial file `path` is, if it is one of ours.
pub fn partial_target(path: &Path) -> Option<PathBuf> {
    let path = absolute(path).ok()?;
    let name = path.file_name()?.to_str()?;
    let folder = path.parent()?;
    // NAME.XXXXXXXX.ferry-part; NAME may have been cut to fit.
    let stem = name.strip_suffix(SUFFIX)?.strip_suffix('.')?;
    let (base, hex) = stem.rsplit_once('.')?;
    if hex.len() != 8 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let owns = |target: PathBuf| {
        let (_, record) = read_record(&target)?;
        (record.part == path && open_ours(&record).is_some()).then_some(target)
    };
    if name.len() < NAME_MAX {
        return owns(folder.join(base));
    }
    // At the length limit NAME may have been cut: the target is a name
    // that begins with it (itself included).
    fs::read_dir(folder)
        .ok()?
        .flatten()
        .filter(|e| e.file_name().to_str().is_some_and(|n| n.starts_with(base)))
        .find_map(|e| owns(e.path()))
}

/// `NAME.HEX.ferry-part`, with NAME cut (on a character boundary) so the
/// whole fits in a file name.
fn part_name(name: &str, hex: &str) -> String {
    let tail = format!(".{hex}.{SUFFIX}");
    let mut cut = name.len().min(NAME_MAX - tail.len());
    while !name.is_char_boundary(cut) {
        cut -= 1;
    }
    format!("{}{tail}", &name[..cut])
}

/// Eight hex digits no other process or thread is likely to pick: the
/// process's random hash keys over a counter and the clock.
fn random_hex() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    static KEYS: OnceLock<RandomState> = OnceLock::new();
    let mut hasher = KEYS.get_or_init(RandomState::new).build_hasher();
    hasher.write_u64(COUNTER.fetch_add(1, Ordering::Relaxed));
    hasher.write_u32(std::process::id());
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default()
        .as_nanos();
    hasher.write_u128(nanos);
    format!("{:08x}", hasher.finish() as u32)
}

/// `path` made absolute (not resolved), as records name files.
fn absolute(path: &Path) -> Result<PathBuf> {
    std::path::absolute(path).map_err(|e| Error::local(path, &e))
}

/// The partial file a record names, opened, if it is still the file the
/// record describes (a regular file with the recorded identity). Opening
/// never creates or truncates, and the identity is checked on the open
/// handle, so a file swapped in meanwhile is never written to.
fn open_ours(record: &Record) -> Option<File> {
    let meta = fs::symlink_metadata(&record.part).ok()?;
    if !meta.is_file() || Identity::of(&meta) != record.identity {
        return None;
    }
    let file = OpenOptions::new().write(true).open(&record.part).ok()?;
    let opened = file.metadata().ok()?;
    (opened.is_file() && Identity::of(&opened) == record.identity).then_some(file)
}

/// Where records live; `None` when the platform has no cache folder.
fn record_dir() -> Option<&'static Path> {
    static DIR: OnceLock<Option<PathBuf>> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = directories::ProjectDirs::from("", "", "ferry")?
            .cache_dir()
            .join("partial");
        fs::create_dir_all(&dir).ok()?;
        sweep(&dir);
        Some(dir)
    })
    .as_deref()
}

/// Drops records whose partial file has gone or is another file now.
fn sweep(dir: &Path) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let gone = match fs::read(&path)
            .ok()
            .and_then(|b| serde_json::from_slice::<Record>(&b).ok())
        {
            Some(record) => fs::symlink_metadata(&record.part)
                .map(|m| !m.is_file() || Identity::of(&m) != record.identity)
                .unwrap_or(true),
            // Unreadable (a write cut short): old ones go.
            None => entry
                .metadata()
                .and_then(|m| m.modified())
                .ok()
                .and_then(|t| t.elapsed().ok())
                .is_some_and(|age| age.as_secs() > 3600),
        };
        if gone {
            let _ = fs::remove_file(&path);
        }
    }
}

/// The record file for `target` (absolute).
fn record_path(target: &Path) -> Option<PathBuf> {
    let digest = Sha256::digest(target.as_os_str().as_encoded_bytes());
    let key: String = digest[..16].iter().map(|b| format!("{b:02x}")).collect();
    Some(record_dir()?.join(format!("{key}.json")))
}

fn read_record(target: &Path) -> Option<(PathBuf, Record)> {
    let path = record_path(target)?;
    let record: Record = serde_json::from_slice(&fs::read(&path).ok()?).ok()?;
    // Another target whose path hashed alike is not this one's.
    (record.target == target).then_some((path, record))
}

/// Writes `record`; `None` when it cannot be written. A write cut short
/// (a crash) leaves a record that does not parse, which counts as none:
/// the partial file is then not resumed, never misread.
fn write_record(record: &Record) -> Option<PathBuf> {
    let path = record_path(&record.target)?;
    let text = serde_json::to_vec(record).ok()?;
    fs::write(&path, text).ok()?;
    Some(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn source(size: Option<u64>) -> Source<'static> {
        Source {
            origin: "ftp://u@127.0.0.1:21",
            remote: "/a.bin",
            size,
        }
    }

    #[test]
    fn names_end_with_random_hex_and_fit_a_file_name() {
        let name = part_name("report.pdf", "0123abcd");
        assert_eq!(name, "report.pdf.0123abcd.ferry-part");
        let long = "é".repeat(200);
        let cut = part_name(&long, "0123abcd");
        assert!(cut.len() <= NAME_MAX, "{}", cut.len());
        assert!(cut.ends_with(".0123abcd.ferry-part"));
        assert_ne!(random_hex(), random_hex());
    }

    #[test]
    fn a_partial_file_is_found_again_only_while_it_is_ours() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("a.bin");
        let mut partial = Partial::create(&target, &source(Some(10))).unwrap();
        std::io::Write::write_all(partial.file(), b"12345").unwrap();
        let path = partial.path().to_path_buf();
        drop(partial);
        assert_eq!(part_path(&target), Some(path.clone()));
        assert_eq!(partial_target(&path), Some(target.clone()));

        // The same source: resumed at its end.
        let Ok(Reopened::Ours(again)) = Partial::reopen(&target, &source(Some(10))) else {
            panic!()
        };
        assert_eq!(again.offset(), 5);
        drop(again);

        // Another file put in its place is not ours: left alone.
        fs::remove_file(&path).unwrap();
        fs::write(&path, b"not ours").unwrap();
        assert_eq!(part_path(&target), None);
        assert_eq!(partial_target(&path), None);
        assert!(matches!(
            Partial::reopen(&target, &source(Some(10))),
            Ok(Reopened::Stale(_))
        ));
        assert_eq!(fs::read(&path).unwrap(), b"not ours");
    }

    #[test]
    fn a_partial_file_of_a_target_with_a_long_name_is_still_known_as_ours() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("x".repeat(250));
        std::fs::write(&target, b"an older copy").unwrap();
        let partial = Partial::create(&target, &source(None)).unwrap();
        let path = partial.path().to_path_buf();
        drop(partial);
        assert!(path.file_name().unwrap().len() <= NAME_MAX);
        assert_eq!(partial_target(&path), Some(target.clone()));
        assert_eq!(part_path(&target), Some(path));
    }

    #[test]
    fn a_partial_file_of_another_version_is_not_resumed() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("a.bin");
        let partial = Partial::create(&target, &source(Some(10))).unwrap();
        let path = partial.path().to_path_buf();
        drop(partial);
        let Ok(Reopened::Stale(why)) = Partial::reopen(&target, &source(Some(12))) else {
            panic!()
        };
        assert!(why.contains("10-byte version"), "{why}");
        // It was ours, so it went; nothing else is recorded.
        assert!(!path.exists());
        assert!(matches!(
            Partial::reopen(&target, &source(Some(12))),
            Ok(Reopened::None)
        ));
    }
}
