//! The transfers a window had not finished when it closed, kept for the
//! next start as FileZilla keeps its queue: `queue.json` beside the sites
//! file, kept as the sites file is ([`JsonFile`]): written atomically, a
//! corrupt file moved aside and reported. Never a password: the server is
//! named by host, port, user and protocol (and its saved site, if any),
//! and logging in again asks for the password as any connection does.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::SiteProtocol;
use super::json_file::{JsonFile, StoreError};

/// The version this Ferry writes.
const QUEUE_VERSION: u32 = 1;

/// Most transfers kept: a queue is a to-do list, not an archive.
pub const MAX_SAVED: usize = 10_000;

#[derive(Debug, Default, Serialize, Deserialize)]
struct QueueFile {
    version: u32,
    queue: Option<SavedQueue>,
}

/// Where the transfers were going, without its password.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SavedServer {
    pub host: String,
    pub port: u16,
    pub user: Option<String>,
    pub protocol: SiteProtocol,
    /// The saved site the login came from, if any.
    pub site_id: Option<String>,
}

impl SavedServer {
    /// The server `options` log in to (and the saved site it came from).
    pub fn of(options: &crate::engine::ConnectOptions, site_id: Option<String>) -> SavedServer {
        SavedServer {
            host: options.host.clone(),
            port: options.port,
            user: options.user.clone(),
            protocol: SiteProtocol::from_security(options.security),
            site_id,
        }
    }

    /// Whether `options` log in to this server as this user.
    pub fn is_logged_in_by(&self, options: &crate::engine::ConnectOptions) -> bool {
        options.host.eq_ignore_ascii_case(&self.host)
            && options.port == self.port
            && options.user == self.user
    }

    /// "alice@ftp.example.com:21", as the window names a server.
    pub fn describe(&self) -> String {
        let user = self
            .user
            .as_deref()
            .map(|u| format!("{u}@"))
            .unwrap_or_default();
        format!("{user}{}:{}", self.host, self.port)
    }
}

/// One transfer as the user asked for it: a file or a whole folder.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SavedTransfer {
    /// `true`: from this computer to the server.
    pub upload: bool,
    pub remote: String,
    pub local: PathBuf,
    pub folder: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SavedQueue {
    pub server: SavedServer,
    pub transfers: Vec<SavedTransfer>,
}

#[derive(Debug, Clone)]
pub struct QueueStore {
    file: JsonFile,
}

impl QueueStore {
    pub fn at(path: impl Into<PathBuf>) -> QueueStore {
        QueueStore {
            file: JsonFile::new(path.into(), QUEUE_VERSION),
        }
    }

    /// Where it is kept (other files of the window go beside it).
    pub fn path(&self) -> &std::path::Path {
        self.file.path()
    }

    /// What the last window left, if anything.
    pub fn load(&self) -> Result<Option<SavedQueue>, StoreError> {
        let file: QueueFile = self.file.load()?;
        Ok(file.queue.filter(|q| !q.transfers.is_empty()))
    }

    /// Keeps `queue` (at most [`MAX_SAVED`] transfers) in place of what
    /// was kept; `None` or an empty queue keeps nothing.
    pub fn save(&self, queue: Option<SavedQueue>) -> Result<(), StoreError> {
        let queue = queue.filter(|q| !q.transfers.is_empty()).map(|mut q| {
            q.transfers.truncate(MAX_SAVED);
            q
        });
        self.file.update(|file: &mut QueueFile| {
            file.version = QUEUE_VERSION;
            file.queue = queue;
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn queue() -> SavedQueue {
        SavedQueue {
            server: SavedServer {
                host: "ftp.example.com".into(),
                port: 21,
                user: Some("alice".into()),
                protocol: SiteProtocol::ExplicitTls,
                site_id: None,
            },
            transfers: vec![SavedTransfer {
                upload: false,
                remote: "/www/index.html".into(),
                local: PathBuf::from("/home/alice/index.html"),
                folder: false,
            }],
        }
    }

    #[test]
    fn a_queue_is_kept_and_given_back_whole_and_an_empty_one_is_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let store = QueueStore::at(dir.path().join("queue.json"));
        assert_eq!(store.load().unwrap(), None);
        store.save(Some(queue())).unwrap();
        assert_eq!(store.load().unwrap(), Some(queue()));
        let text = std::fs::read_to_string(dir.path().join("queue.json")).unwrap();
        assert!(!text.to_lowercase().contains("password"), "{text}");
        store.save(None).unwrap();
        assert_eq!(store.load().unwrap(), None);
    }

    #[test]
    fn a_corrupt_queue_file_is_moved_aside_and_reported() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("queue.json");
        std::fs::write(&path, b"{ not json").unwrap();
        let store = QueueStore::at(&path);
        let err = store.load().unwrap_err();
        assert!(matches!(err, StoreError::Corrupt { .. }), "{err}");
        assert_eq!(store.load().unwrap(), None);
    }
}
