//! Remote files opened for editing: where their local copies live, and
//! how Ferry tells that a copy was saved and that the server's file
//! changed meanwhile. The window and `ferry edit` share this; neither
//! the editor nor the upload is run here.
//!
//! A copy counts as changed when its bytes differ from what was last in
//! step with the server (a hash, not the modification time: an editor
//! that saves without a change, or touches the file, uploads nothing).
//! Every check goes by path, so an editor that saves by writing a new
//! file and renaming it over the old one (vim, VS Code, gedit) is
//! followed like one that writes in place.

use std::fs;
use std::io::{self, Read};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use super::error::{Error, Result};
use super::event::FileStat;
use super::names::{local_name, remote_basename};

/// A private folder for the copies of one session (of the window or of
/// one `ferry edit`): readable by this user only, never the user's
/// Downloads, removed with everything in it when dropped.
pub struct EditFolder {
    dir: tempfile::TempDir,
    next: u64,
}

impl EditFolder {
    /// Makes the folder in the system's temporary folder.
    pub fn new() -> Result<EditFolder> {
        EditFolder::new_in(&std::env::temp_dir())
    }

    /// Makes the folder inside `parent` (tests).
    pub fn new_in(parent: &Path) -> Result<EditFolder> {
        let dir = tempfile::Builder::new()
            .prefix("ferry-edit-")
            .tempdir_in(parent)
            .map_err(|e| Error::local(parent, &e))?;
        private(dir.path())?;
        Ok(EditFolder { dir, next: 0 })
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// A new place for the copy of `remote`: a folder of its own (so two
    /// files of one name from two folders or servers never meet) holding
    /// the file under its own name, which editors show and go by for
    /// its type. The name is the server's: checked before it is used.
    pub fn place_for(&mut self, remote: &str) -> Result<PathBuf> {
        let name = local_name(remote_basename(remote))?;
        self.next += 1;
        let folder = self.dir.path().join(self.next.to_string());
        fs::create_dir(&folder).map_err(|e| Error::local(&folder, &e))?;
        private(&folder)?;
        Ok(folder.join(name))
    }

    /// Keeps the folder and what is in it (a copy that could not be
    /// uploaded must not vanish with the session); returns its path.
    pub fn keep(self) -> PathBuf {
        self.dir.keep()
    }
}

#[cfg(unix)]
fn private(path: &Path) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(path, fs::Permissions::from_mode(0o700)).map_err(|e| Error::local(path, &e))
}

#[cfg(not(unix))]
fn private(_path: &Path) -> Result<()> {
    // The user's own temporary folder is private to them already.
    Ok(())
}

/// What became of the local copy since it was last in step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LocalChange {
    Unchanged,
    Changed,
    /// Deleted (or renamed away and not back).
    Gone,
}

/// Why an upload of an edited copy would overwrite someone else's work.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Conflict {
    /// The server's file is not what was downloaded (size or time).
    ChangedOnServer { was: FileStat, now: FileStat },
    /// The server's file is gone.
    GoneFromServer,
}

impl std::fmt::Display for Conflict {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Conflict::ChangedOnServer { was, now } => write!(
                f,
                "the file changed on the server since it was opened (then {}, now {})",
                describe(was),
                describe(now)
            ),
            Conflict::GoneFromServer => {
                write!(f, "the file was deleted on the server since it was opened")
            }
        }
    }
}

/// Both known and not the same.
fn differs<T: PartialEq>(then: Option<T>, now: Option<T>) -> bool {
    matches!((then, now), (Some(a), Some(b)) if a != b)
}

fn describe(stat: &FileStat) -> String {
    let size = match stat.size {
        Some(size) => format!("{size} bytes"),
        None => "size unknown".to_string(),
    };
    match stat.modified {
        Some(time) => format!("{size}, {} UTC", time.format("%Y-%m-%d %H:%M:%S")),
        None => size,
    }
}

/// Whether the server's file, described as `then` when a copy was made
/// and as `now`, changed in between. A size or a time the server gave
/// then and gives differently now is a change; one it never gives cannot
/// be compared (a server without SIZE and MDTM: the caller says so).
pub fn conflict(then: &FileStat, now: &FileStat) -> Option<Conflict> {
    if now.size.is_none() && now.modified.is_none() {
        return (then.size.is_some() || then.modified.is_some())
            .then_some(Conflict::GoneFromServer);
    }
    let changed = differs(then.size, now.size) || differs(then.modified, now.modified);
    changed.then_some(Conflict::ChangedOnServer {
        was: *then,
        now: *now,
    })
}

/// One remote file opened for editing and its local copy.
#[derive(Debug, Clone)]
pub struct EditedFile {
    pub remote: String,
    pub local: PathBuf,
    /// The server's size and time when the copy was last in step with
    /// it (downloaded, or uploaded).
    pub server: FileStat,
    synced: Fingerprint,
}

/// The local copy's bytes at one moment (taken as an upload starts, so
/// a save during the upload is not taken for uploaded).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Snapshot(Fingerprint);

/// The local copy as it was when last in step: its length and time say
/// quickly that nothing happened; the hash decides otherwise.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Fingerprint {
    len: u64,
    modified: Option<std::time::SystemTime>,
    sha256: [u8; 32],
}

impl Fingerprint {
    fn of(path: &Path) -> io::Result<Fingerprint> {
        let meta = fs::metadata(path)?;
        let mut file = fs::File::open(path)?;
        let mut hasher = Sha256::new();
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            let n = file.read(&mut buf)?;
            if n == 0 {
                break;
            }
            hasher.update(&buf[..n]);
        }
        Ok(Fingerprint {
            len: meta.len(),
            modified: meta.modified().ok(),
            sha256: hasher.finalize().into(),
        })
    }
}

impl EditedFile {
    /// `local` has just been downloaded from `remote`, which the server
    /// described as `server`.
    pub fn new(remote: String, local: PathBuf, server: FileStat) -> Result<EditedFile> {
        let synced = Fingerprint::of(&local).map_err(|e| Error::local(&local, &e))?;
        Ok(EditedFile {
            remote,
            local,
            server,
            synced,
        })
    }

    /// Whether the copy was saved with other bytes since it was last in
    /// step.
    pub fn local_change(&self) -> Result<LocalChange> {
        let meta = match fs::metadata(&self.local) {
            Ok(meta) => meta,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(LocalChange::Gone),
            Err(e) => return Err(Error::local(&self.local, &e)),
        };
        if meta.len() == self.synced.len && meta.modified().ok() == self.synced.modified {
            return Ok(LocalChange::Unchanged);
        }
        let now = match Fingerprint::of(&self.local) {
            Ok(now) => now,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(LocalChange::Gone),
            Err(e) => return Err(Error::local(&self.local, &e)),
        };
        Ok(if now.sha256 == self.synced.sha256 {
            LocalChange::Unchanged
        } else {
            LocalChange::Changed
        })
    }

    /// Whether the server's file, described now as `now`, is still the
    /// one the copy was made from. A size or a time the server gave then
    /// and gives differently now is a change; one it never gives cannot
    /// be compared (a server without SIZE and MDTM: the caller says so).
    pub fn conflict(&self, now: &FileStat) -> Option<Conflict> {
        conflict(&self.server, now)
    }

    /// Whether the server gave neither size nor time, so a change there
    /// cannot be seen.
    pub fn unverifiable(&self) -> bool {
        self.server.size.is_none() && self.server.modified.is_none()
    }

    /// The copy was uploaded and the server now describes the file as
    /// `server`: this is the new state to compare with.
    pub fn uploaded(&mut self, server: FileStat) -> Result<()> {
        let now = self.snapshot()?;
        self.uploaded_as(now, server);
        Ok(())
    }

    /// The copy's bytes now, to be given to [`EditedFile::uploaded_as`]
    /// once their upload is done.
    pub fn snapshot(&self) -> Result<Snapshot> {
        Fingerprint::of(&self.local)
            .map(Snapshot)
            .map_err(|e| Error::local(&self.local, &e))
    }

    /// What `sent` held is on the server, which describes the file as
    /// `server`; a save since then still counts as a change.
    pub fn uploaded_as(&mut self, sent: Snapshot, server: FileStat) {
        self.synced = sent.0;
        self.server = server;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stat(size: u64, secs: u32) -> FileStat {
        FileStat {
            size: Some(size),
            modified: chrono::NaiveDate::from_ymd_opt(2026, 11, 30)
                .and_then(|d| d.and_hms_opt(10, 0, secs)),
        }
    }

    #[test]
    fn the_folder_is_private_and_each_file_has_its_own() {
        let parent = tempfile::tempdir().unwrap();
        let mut folder = EditFolder::new_in(parent.path()).unwrap();
        let a = folder.place_for("/www/index.html").unwrap();
        let b = folder.place_for("/other/index.html").unwrap();
        assert_ne!(a, b);
        assert_eq!(a.file_name().unwrap(), "index.html");
        assert!(a.starts_with(folder.path()));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            for dir in [folder.path(), a.parent().unwrap()] {
                let mode = fs::metadata(dir).unwrap().permissions().mode() & 0o777;
                assert_eq!(mode, 0o700, "{}", dir.display());
            }
        }
        assert!(folder.place_for("/www/..").is_err());
        assert!(folder.place_for("evil\nname").is_err());
        let path = folder.path().to_path_buf();
        drop(folder);
        assert!(!path.exists(), "the folder goes with the session");
    }

    #[test]
    fn a_save_is_told_by_its_bytes_also_through_write_and_rename() {
        let dir = tempfile::tempdir().unwrap();
        let local = dir.path().join("a.txt");
        fs::write(&local, b"one").unwrap();
        let mut file = EditedFile::new("/a.txt".into(), local.clone(), stat(3, 0)).unwrap();
        assert_eq!(file.local_change().unwrap(), LocalChange::Unchanged);
        // Saved without a change (a new time, the same bytes).
        fs::write(&local, b"one").unwrap();
        assert_eq!(file.local_change().unwrap(), LocalChange::Unchanged);
        // Saved as vim does: a new file, renamed over the old one.
        let new = dir.path().join("a.txt.swp-new");
        fs::write(&new, b"two!").unwrap();
        fs::rename(&new, &local).unwrap();
        assert_eq!(file.local_change().unwrap(), LocalChange::Changed);
        file.uploaded(stat(4, 9)).unwrap();
        assert_eq!(file.local_change().unwrap(), LocalChange::Unchanged);
        assert_eq!(file.server, stat(4, 9));
        // Saved again while an upload of the earlier bytes ran.
        let sent = file.snapshot().unwrap();
        fs::write(&local, b"three").unwrap();
        file.uploaded_as(sent, stat(4, 10));
        assert_eq!(file.local_change().unwrap(), LocalChange::Changed);
        file.uploaded(stat(5, 11)).unwrap();
        fs::remove_file(&local).unwrap();
        assert_eq!(file.local_change().unwrap(), LocalChange::Gone);
    }

    #[test]
    fn a_change_on_the_server_is_a_conflict() {
        let dir = tempfile::tempdir().unwrap();
        let local = dir.path().join("a.txt");
        fs::write(&local, b"one").unwrap();
        let file = EditedFile::new("/a.txt".into(), local, stat(3, 0)).unwrap();
        assert_eq!(file.conflict(&stat(3, 0)), None);
        assert!(matches!(
            file.conflict(&stat(3, 1)),
            Some(Conflict::ChangedOnServer { .. })
        ));
        assert!(file.conflict(&stat(5, 0)).is_some());
        let gone = FileStat {
            size: None,
            modified: None,
        };
        assert_eq!(file.conflict(&gone), Some(Conflict::GoneFromServer));
        // A server that gives only a size: the size still counts.
        let size_only = FileStat {
            size: Some(3),
            modified: None,
        };
        assert_eq!(file.conflict(&size_only), None);
        let text = file.conflict(&stat(5, 0)).unwrap().to_string();
        assert!(
            text.contains("then 3 bytes") && text.contains("now 5 bytes"),
            "{text}"
        );
    }
}
