//! The sites file: one JSON document with a schema version in the
//! platform's config folder. Writes are atomic (temp file, fsync, rename);
//! every change re-reads the file under a lock, so two Ferry windows add
//! to each other's edits instead of overwriting them; a file that cannot
//! be read is never overwritten.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::json_file::JsonFile;
pub use super::json_file::StoreError;
use super::site::Site;

/// The version this Ferry writes. A file with a higher one was written by
/// a newer Ferry and is left alone.
pub const SCHEMA_VERSION: u32 = 1;

#[derive(Debug, Default, Serialize, Deserialize)]
struct SiteFile {
    version: u32,
    sites: Vec<Site>,
}

/// The sites file at a path.
#[derive(Debug, Clone)]
pub struct SiteStore {
    file: JsonFile,
}

impl SiteStore {
    /// `sites.json` in the platform's config folder (on Linux
    /// `$XDG_CONFIG_HOME/ferry`, else `~/.config/ferry`).
    pub fn default_location() -> Option<SiteStore> {
        directories::ProjectDirs::from("", "", "ferry")
            .map(|dirs| SiteStore::at(dirs.config_dir().join("sites.json")))
    }

    pub fn at(path: impl Into<PathBuf>) -> SiteStore {
        SiteStore {
            file: JsonFile::new(path.into(), SCHEMA_VERSION),
        }
    }

    pub fn path(&self) -> &Path {
        self.file.path()
    }

    /// The sites as the file has them now (none if there is no file yet).
    /// A corrupt file is moved aside and reported; see [`StoreError::Corrupt`].
    pub fn load(&self) -> Result<Vec<Site>, StoreError> {
        self.file.load::<SiteFile>().map(|file| file.sites)
    }

    /// Applies `change` to the current sites and writes the result, all
    /// under the lock: what another window saved in between is kept.
    pub fn update<R>(&self, change: impl FnOnce(&mut Vec<Site>) -> R) -> Result<R, StoreError> {
        self.file.update(|file: &mut SiteFile| {
            file.version = SCHEMA_VERSION;
            change(&mut file.sites)
        })
    }
}

#[cfg(test)]
mod tests {
    use std::fs;

    use super::super::json_file::with_suffix;
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
            verify_transfers: true,
            key_file: "/home/alice/.ssh/id_ed25519".into(),
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
