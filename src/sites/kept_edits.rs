//! Files opened to edit whose saved changes were not uploaded when the
//! window closed: `edits.json` beside the sites file (kept as the sites
//! file is, see [`JsonFile`]), so the next window lists them again and
//! can upload them once logged in to their server. Their copies stay in
//! the private folder they were edited in; an entry whose copy is gone
//! (the system emptied its temporary folder, a restart) is dropped.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::json_file::{JsonFile, StoreError};
use super::saved_queue::SavedServer;

const EDITS_VERSION: u32 = 1;

#[derive(Debug, Default, Serialize, Deserialize)]
struct EditsFile {
    version: u32,
    edits: Vec<KeptEdit>,
}

/// One edited file: where it goes, where its copy is, and the server's
/// size and time when the copy was made (for the conflict check).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeptEdit {
    pub server: SavedServer,
    pub remote: String,
    pub local: PathBuf,
    pub size: Option<u64>,
    pub modified: Option<chrono::NaiveDateTime>,
}

#[derive(Debug, Clone)]
pub struct EditsStore {
    file: JsonFile,
}

impl EditsStore {
    pub fn at(path: impl Into<PathBuf>) -> EditsStore {
        EditsStore {
            file: JsonFile::new(path.into(), EDITS_VERSION),
        }
    }

    /// What the last window kept whose copies are still there.
    pub fn load(&self) -> Result<Vec<KeptEdit>, StoreError> {
        let file: EditsFile = self.file.load()?;
        Ok(file
            .edits
            .into_iter()
            .filter(|e| e.local.is_file())
            .collect())
    }

    pub fn save(&self, edits: Vec<KeptEdit>) -> Result<(), StoreError> {
        self.file.update(|file: &mut EditsFile| {
            file.version = EDITS_VERSION;
            file.edits = edits;
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sites::SiteProtocol;

    #[test]
    fn kept_edits_come_back_while_their_copies_are_there() {
        let dir = tempfile::tempdir().unwrap();
        let copy = dir.path().join("index.html");
        std::fs::write(&copy, b"mine").unwrap();
        let store = EditsStore::at(dir.path().join("edits.json"));
        assert_eq!(store.load().unwrap(), Vec::new());
        let kept = KeptEdit {
            server: SavedServer {
                host: "ftp.example.com".into(),
                port: 21,
                user: Some("alice".into()),
                protocol: SiteProtocol::Plain,
                site_id: None,
            },
            remote: "/www/index.html".into(),
            local: copy.clone(),
            size: Some(3),
            modified: None,
        };
        store.save(vec![kept.clone()]).unwrap();
        assert_eq!(store.load().unwrap(), vec![kept]);
        std::fs::remove_file(&copy).unwrap();
        assert_eq!(store.load().unwrap(), Vec::new(), "the copy is gone");
    }
}
