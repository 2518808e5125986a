//! Certificates trusted "always" for quick connections (sites keep their
//! own list): `trusted-certificates.json` beside the sites file, host:port
//! to SHA-256 fingerprints. Written like the sites file: locked, re-read,
//! temp file, fsync, rename.

use std::collections::BTreeMap;
use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::store::with_suffix;

#[derive(Debug, Default, Serialize, Deserialize)]
struct TrustFile {
    version: u32,
    /// "host:port" → fingerprints (lowercase hex with colons).
    hosts: BTreeMap<String, Vec<String>>,
}

#[derive(Debug, Clone)]
pub struct TrustStore {
    path: PathBuf,
}

impl TrustStore {
    /// Beside the sites file in the platform's config folder.
    pub fn default_location() -> Option<TrustStore> {
        directories::ProjectDirs::from("", "", "ferry")
            .map(|dirs| TrustStore::at(dirs.config_dir().join("trusted-certificates.json")))
    }

    pub fn at(path: impl Into<PathBuf>) -> TrustStore {
        TrustStore { path: path.into() }
    }

    /// The fingerprints trusted for `host:port` (none if the file is
    /// missing or unreadable: trusting nothing is the safe default).
    pub fn trusted(&self, host: &str, port: u16) -> Vec<String> {
        read(&self.path)
            .hosts
            .get(&key(host, port))
            .cloned()
            .unwrap_or_default()
    }

    /// Trusts `fingerprint` for `host:port` from now on.
    pub fn trust(&self, host: &str, port: u16, fingerprint: &str) -> Result<(), String> {
        let problem = |e: std::io::Error| format!("{}: {e}", self.path.display());
        if let Some(dir) = self.path.parent() {
            fs::create_dir_all(dir).map_err(problem)?;
        }
        let lock = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(with_suffix(&self.path, ".lock"))
            .map_err(problem)?;
        lock.lock().map_err(problem)?;
        let mut file = read(&self.path);
        file.version = 1;
        let list = file.hosts.entry(key(host, port)).or_default();
        if !list.iter().any(|f| f == fingerprint) {
            list.push(fingerprint.to_string());
        }
        let json = serde_json::to_vec_pretty(&file).map_err(|e| e.to_string())?;
        let temp = with_suffix(&self.path, &format!(".tmp-{}", std::process::id()));
        let mut out = File::create(&temp).map_err(problem)?;
        out.write_all(&json).map_err(problem)?;
        out.sync_all().map_err(problem)?;
        fs::rename(&temp, &self.path).map_err(problem)
    }
}

fn key(host: &str, port: u16) -> String {
    format!("{}:{port}", host.to_lowercase())
}

fn read(path: &Path) -> TrustFile {
    fs::read(path)
        .ok()
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trust_is_kept_per_host_and_port() {
        let dir = tempfile::tempdir().unwrap();
        let store = TrustStore::at(dir.path().join("trusted-certificates.json"));
        assert!(store.trusted("ftp.example.com", 21).is_empty());
        store.trust("FTP.example.com", 21, "aa:bb").unwrap();
        store.trust("ftp.example.com", 21, "aa:bb").unwrap();
        store.trust("ftp.example.com", 990, "cc:dd").unwrap();
        assert_eq!(store.trusted("ftp.example.com", 21), ["aa:bb"]);
        assert_eq!(store.trusted("ftp.example.com", 990), ["cc:dd"]);
    }
}
