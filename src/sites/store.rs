//! The sites file: one JSON document with a schema version in the
//! platform's config folder. Writes are atomic (temp file, fsync, rename);
//! every change re-reads the file under a lock, so two Ferry windows add
//! to each other's edits instead of overwriting them; a file that cannot
//! be read is never overwritten.

use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::site::Site;

/// The version this Ferry writes. A file with a higher one was written by
/// a newer Ferry and is left alone.
pub const SCHEMA_VERSION: u32 = 1;

/// Bigger than any real bookmark collection; a bigger file is not ours.
const MAX_FILE_BYTES: u64 = 64 * 1024 * 1024;

#[derive(Debug, Serialize, Deserialize)]
struct SiteFile {
    version: u32,
    sites: Vec<Site>,
}

/// Why the sites could not be read or written, naming the file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StoreError {
    #[error("{path}: {message}")]
    Io { path: String, message: String },
    #[error(
        "{path} could not be read ({problem}); it was kept as {kept_as} and Ferry starts with no sites"
    )]
    Corrupt {
        path: String,
        problem: String,
        kept_as: String,
    },
    #[error("{path} was written by a newer Ferry (format {version}); it is left as it is")]
    NewerVersion { path: String, version: u32 },
}

/// The sites file at a path.
#[derive(Debug, Clone)]
pub struct SiteStore {
    path: PathBuf,
}

impl SiteStore {
    /// `sites.json` in the platform's config folder (on Linux
    /// `$XDG_CONFIG_HOME/ferry`, else `~/.config/ferry`).
    pub fn default_location() -> Option<SiteStore> {
        directories::ProjectDirs::from("", "", "ferry")
            .map(|dirs| SiteStore::at(dirs.config_dir().join("sites.json")))
    }

    pub fn at(path: impl Into<PathBuf>) -> SiteStore {
        SiteStore { path: path.into() }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The sites as the file has them now (none if there is no file yet).
    /// A corrupt file is moved aside and reported; see [`StoreError::Corrupt`].
    pub fn load(&self) -> Result<Vec<Site>, StoreError> {
        let _lock = self.lock()?;
        self.read()
    }

    /// Applies `change` to the current sites and writes the result, all
    /// under the lock: what another window saved in between is kept.
    pub fn update<R>(&self, change: impl FnOnce(&mut Vec<Site>) -> R) -> Result<R, StoreError> {
        let _lock = self.lock()?;
        let mut sites = match self.read() {
            Ok(sites) => sites,
            // Moved aside already: start afresh, the old file is kept.
            Err(StoreError::Corrupt { .. }) => Vec::new(),
            Err(err) => return Err(err),
        };
        let result = change(&mut sites);
        self.write(&sites)?;
        Ok(result)
    }

    fn io_error(&self, err: &std::io::Error) -> StoreError {
        StoreError::Io {
            path: self.path.display().to_string(),
            message: err.to_string(),
        }
    }

    /// An exclusive lock on `sites.json.lock`, released when dropped.
    fn lock(&self) -> Result<File, StoreError> {
        if let Some(dir) = self.path.parent() {
            fs::create_dir_all(dir).map_err(|e| self.io_error(&e))?;
        }
        let lock_path = with_suffix(&self.path, ".lock");
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)
            .map_err(|e| self.io_error(&e))?;
        file.lock().map_err(|e| self.io_error(&e))?;
        Ok(file)
    }

    fn read(&self) -> Result<Vec<Site>, StoreError> {
        let text = match fs::metadata(&self.path) {
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(err) => return Err(self.io_error(&err)),
            Ok(meta) if meta.len() > MAX_FILE_BYTES => {
                return self.corrupt(format!("{} bytes is too big for a sites file", meta.len()));
            }
            Ok(_) => match fs::read(&self.path) {
                Ok(bytes) => bytes,
                Err(err) => return Err(self.io_error(&err)),
            },
        };
        let value: serde_json::Value = match serde_json::from_slice(&text) {
            Ok(value) => value,
            Err(err) => return self.corrupt(err.to_string()),
        };
        let version = value.get("version").and_then(|v| v.as_u64()).unwrap_or(0);
        if version > u64::from(SCHEMA_VERSION) {
            return Err(StoreError::NewerVersion {
                path: self.path.display().to_string(),
                version: u32::try_from(version).unwrap_or(u32::MAX),
            });
        }
        match serde_json::from_value::<SiteFile>(value) {
            Ok(file) => Ok(file.sites),
            Err(err) => self.corrupt(err.to_string()),
        }
    }

    /// Moves an unreadable file aside (never deleting or overwriting it)
    /// and says where it went.
    fn corrupt<T>(&self, problem: String) -> Result<T, StoreError> {
        let stamp = chrono::Local::now().format("%Y%m%d-%H%M%S");
        let kept = with_suffix(&self.path, &format!(".corrupt-{stamp}"));
        let kept_as = match fs::rename(&self.path, &kept) {
            Ok(()) => kept.display().to_string(),
            // Could not move it: it stays where it is, and so does the
            // refusal to write over it.
            Err(err) => {
                return Err(StoreError::Io {
                    path: self.path.display().to_string(),
                    message: format!("could not be read ({problem}) nor moved aside ({err})"),
                });
            }
        };
        Err(StoreError::Corrupt {
            path: self.path.display().to_string(),
            problem,
            kept_as,
        })
    }

    /// Temp file beside the target, fsync, rename over, fsync the folder:
    /// a crash at any point leaves either the old file or the new one.
    fn write(&self, sites: &[Site]) -> Result<(), StoreError> {
        let file = SiteFile {
            version: SCHEMA_VERSION,
            sites: sites.to_vec(),
        };
        let json = serde_json::to_vec_pretty(&file).map_err(|e| StoreError::Io {
            path: self.path.display().to_string(),
            message: e.to_string(),
        })?;
        let temp = with_suffix(&self.path, &format!(".tmp-{}", std::process::id()));
        let written = (|| {
            let mut out = OpenOptions::new()
                .create(true)
                .truncate(true)
                .write(true)
                .open(&temp)?;
            out.write_all(&json)?;
            out.write_all(b"\n")?;
            out.sync_all()?;
            fs::rename(&temp, &self.path)?;
            if let Some(dir) = self.path.parent()
                && let Ok(dir) = File::open(dir)
            {
                let _ = dir.sync_all();
            }
            Ok::<(), std::io::Error>(())
        })();
        if let Err(err) = written {
            let _ = fs::remove_file(&temp);
            return Err(self.io_error(&err));
        }
        Ok(())
    }
}

pub(super) fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path
        .file_name()
        .map(|n| n.to_os_string())
        .unwrap_or_default();
    name.push(suffix);
    path.with_file_name(name)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sites::site::{LogonType, SiteProtocol, TransferMode};

    fn full_site() -> Site {
        Site {
            id: "abc123".into(),
            name: "Ünïcode ☃ site".into(),
            folder: vec!["Work".into(), "Clients".into()],
            host: "ftp.example.com".into(),
            port: 2121,
            protocol: SiteProtocol::ExplicitTls,
            logon: LogonType::Account,
            user: "alice".into(),
            account: "acct".into(),
            transfer_mode: TransferMode::Active,
            max_connections: 4,
            encoding: "latin-1".into(),
            local_dir: "/home/alice/www".into(),
            remote_dir: "/var/www/my site".into(),
            comments: "line one\nline two".into(),
            trusted_certificates: vec!["ab".repeat(32)],
            clear_data: true,
            clear_control_channel: true,
        }
    }

    #[test]
    fn every_field_round_trips_and_no_password_is_in_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let store = SiteStore::at(dir.path().join("ferry/sites.json"));
        assert_eq!(store.load().unwrap(), Vec::<Site>::new());
        store.update(|sites| sites.push(full_site())).unwrap();
        assert_eq!(store.load().unwrap(), vec![full_site()]);
        let text = fs::read_to_string(store.path()).unwrap();
        assert!(text.contains("\"version\": 1"), "{text}");
        assert!(!text.to_lowercase().contains("password\":"), "{text}");
    }

    #[test]
    fn a_corrupt_file_is_kept_aside_and_reported_and_the_next_save_starts_afresh() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sites.json");
        fs::write(&path, b"{ this is not json").unwrap();
        let store = SiteStore::at(&path);
        let err = store.load().unwrap_err();
        let StoreError::Corrupt { kept_as, .. } = &err else {
            panic!("{err:?}")
        };
        assert!(err.to_string().contains("sites.json"));
        assert_eq!(fs::read(kept_as).unwrap(), b"{ this is not json");
        store.update(|sites| sites.push(full_site())).unwrap();
        assert_eq!(store.load().unwrap().len(), 1);
        // The corrupt copy is still there.
        assert_eq!(fs::read(kept_as).unwrap(), b"{ this is not json");
    }

    #[test]
    fn a_file_from_a_newer_ferry_is_left_alone() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sites.json");
        fs::write(&path, br#"{"version": 9, "sites": [], "future": true}"#).unwrap();
        let store = SiteStore::at(&path);
        assert!(matches!(
            store.load(),
            Err(StoreError::NewerVersion { version: 9, .. })
        ));
        assert!(store.update(|s| s.push(full_site())).is_err());
        assert_eq!(
            fs::read(&path).unwrap(),
            br#"{"version": 9, "sites": [], "future": true}"#
        );
    }

    #[test]
    fn a_crash_before_the_rename_leaves_the_old_file_intact() {
        let dir = tempfile::tempdir().unwrap();
        let store = SiteStore::at(dir.path().join("sites.json"));
        store.update(|sites| sites.push(full_site())).unwrap();
        let before = fs::read(store.path()).unwrap();
        // What a crash between the temp write and the rename leaves: a
        // half-written temp file beside the real one.
        fs::write(
            with_suffix(store.path(), ".tmp-99999"),
            b"{\"version\": 1, \"si",
        )
        .unwrap();
        assert_eq!(store.load().unwrap(), vec![full_site()]);
        assert_eq!(fs::read(store.path()).unwrap(), before);
    }

    #[test]
    fn two_writers_keep_each_others_sites() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sites.json");
        let threads: Vec<_> = (0..8)
            .map(|i| {
                let store = SiteStore::at(&path);
                std::thread::spawn(move || {
                    for j in 0..10 {
                        store
                            .update(|sites| {
                                sites.push(Site {
                                    id: format!("{i}-{j}"),
                                    name: format!("site {i}-{j}"),
                                    ..Site::default()
                                })
                            })
                            .unwrap();
                    }
                })
            })
            .collect();
        for thread in threads {
            thread.join().unwrap();
        }
        assert_eq!(SiteStore::at(&path).load().unwrap().len(), 80);
    }
}
