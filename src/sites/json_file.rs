//! One JSON document with a schema version, kept safely: the one way
//! Ferry writes its own files (the sites, the certificates trusted
//! always). Writes are atomic (temp file, fsync, rename, fsync the
//! folder); every change re-reads the file under a lock, so two Ferry
//! processes add to each other's edits; a file that cannot be read is
//! moved aside and reported, never overwritten or taken for empty; a file
//! from a newer Ferry is left alone.

use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::Serialize;
use serde::de::DeserializeOwned;

/// Bigger than any real file of ours; a bigger file is not ours.
const MAX_FILE_BYTES: u64 = 64 * 1024 * 1024;

/// Why a file could not be read or written, naming it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StoreError {
    #[error("{path}: {message}")]
    Io { path: String, message: String },
    #[error(
        "{path} could not be read ({problem}); it was kept as {kept_as} and Ferry starts afresh"
    )]
    Corrupt {
        path: String,
        problem: String,
        kept_as: String,
    },
    #[error("{path} was written by a newer Ferry (format {version}); it is left as it is")]
    NewerVersion { path: String, version: u32 },
}

/// The document at `path`, of type `T`, whose `version` field this Ferry
/// writes as `version`.
#[derive(Debug, Clone)]
pub struct JsonFile {
    path: PathBuf,
    version: u32,
}

impl JsonFile {
    pub fn new(path: PathBuf, version: u32) -> JsonFile {
        JsonFile { path, version }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The document as the file has it now (`T::default()` if there is no
    /// file yet). A corrupt file is moved aside and reported.
    /// Reading a file that does not exist makes nothing (no folder, no
    /// lock file): a command-line run that only reads leaves no trace.
    pub fn load<T: DeserializeOwned + Default>(&self) -> Result<T, StoreError> {
        if matches!(fs::symlink_metadata(&self.path), Err(e) if e.kind() == std::io::ErrorKind::NotFound)
        {
            return Ok(T::default());
        }
        let _lock = self.lock()?;
        self.read()
    }

    /// Applies `change` to the current document and writes the result,
    /// all under the lock: what another process saved in between is kept.
    /// A corrupt file, once moved aside, counts as none.
    pub fn update<T, R>(&self, change: impl FnOnce(&mut T) -> R) -> Result<R, StoreError>
    where
        T: Serialize + DeserializeOwned + Default,
    {
        let _lock = self.lock()?;
        let mut document = match self.read() {
            Ok(document) => document,
            Err(StoreError::Corrupt { .. }) => T::default(),
            Err(err) => return Err(err),
        };
        let result = change(&mut document);
        self.write(&document)?;
        Ok(result)
    }

    fn io_error(&self, err: &std::io::Error) -> StoreError {
        StoreError::Io {
            path: self.path.display().to_string(),
            message: err.to_string(),
        }
    }

    /// An exclusive lock on `NAME.lock`, released when dropped.
    fn lock(&self) -> Result<File, StoreError> {
        if let Some(dir) = self.path.parent() {
            fs::create_dir_all(dir).map_err(|e| self.io_error(&e))?;
        }
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(with_suffix(&self.path, ".lock"))
            .map_err(|e| self.io_error(&e))?;
        file.lock().map_err(|e| self.io_error(&e))?;
        Ok(file)
    }

    fn read<T: DeserializeOwned + Default>(&self) -> Result<T, StoreError> {
        let text = match fs::metadata(&self.path) {
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(T::default()),
            Err(err) => return Err(self.io_error(&err)),
            Ok(meta) if meta.len() > MAX_FILE_BYTES => {
                return self.corrupt(format!("{} bytes is too big for this file", meta.len()));
            }
            Ok(_) => fs::read(&self.path).map_err(|e| self.io_error(&e))?,
        };
        let value: serde_json::Value = match serde_json::from_slice(&text) {
            Ok(value) => value,
            Err(err) => return self.corrupt(err.to_string()),
        };
        let version = value.get("version").and_then(|v| v.as_u64()).unwrap_or(0);
        if version > u64::from(self.version) {
            return Err(StoreError::NewerVersion {
                path: self.path.display().to_string(),
                version: u32::try_from(version).unwrap_or(u32::MAX),
            });
        }
        serde_json::from_value(value).or_else(|err| self.corrupt(err.to_string()))
    }

    /// Moves an unreadable file aside (never deleting or overwriting it)
    /// and says where it went.
    fn corrupt<T>(&self, problem: String) -> Result<T, StoreError> {
        let stamp = chrono::Local::now().format("%Y%m%d-%H%M%S");
        let kept = with_suffix(&self.path, &format!(".corrupt-{stamp}"));
        if let Err(err) = fs::rename(&self.path, &kept) {
            // Could not move it: it stays where it is, and so does the
            // refusal to write over it.
            return Err(StoreError::Io {
                path: self.path.display().to_string(),
                message: format!("could not be read ({problem}) nor moved aside ({err})"),
            });
        }
        Err(StoreError::Corrupt {
            path: self.path.display().to_string(),
            problem,
            kept_as: kept.display().to_string(),
        })
    }

    /// Temp file beside the target, fsync, rename over, fsync the folder:
    /// a crash at any point leaves either the old file or the new one.
    fn write<T: Serialize>(&self, document: &T) -> Result<(), StoreError> {
        let json = serde_json::to_vec_pretty(document).map_err(|e| StoreError::Io {
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
