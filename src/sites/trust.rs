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

/// Fingerprints trusted always, by server: what the file held when read,
/// kept in memory by whoever must not read the disk at every connect (the
/// window).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustedCertificates {
    /// "host:port" → fingerprints (lowercase hex with colons).
    hosts: BTreeMap<String, Vec<String>>,
}

impl TrustedCertificates {
    /// The fingerprints trusted for `host:port`.
    pub fn get(&self, host: &str, port: u16) -> &[String] {
        self.hosts
            .get(&key(host, port))
            .map(Vec::as_slice)
            .unwrap_or_default()
    }

    /// Trusts `fingerprint` for `host:port` too.
    pub fn add(&mut self, host: &str, port: u16, fingerprint: &str) {
        let list = self.hosts.entry(key(host, port)).or_default();
        if !list.iter().any(|f| f == fingerprint) {
            list.push(fingerprint.to_string());
        }
    }

    /// Adds everything `other` trusts (nothing trusted here is forgotten).
    pub fn merge(&mut self, other: &TrustedCertificates) {
        for (host, fingerprints) in &other.hosts {
            let list = self.hosts.entry(host.clone()).or_default();
            for fingerprint in fingerprints {
                if !list.contains(fingerprint) {
                    list.push(fingerprint.clone());
                }
            }
        }
    }
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
        self.load().get(host, port).to_vec()
    }

    /// Everything the file trusts (nothing if it is missing or
    /// unreadable).
    pub fn load(&self) -> TrustedCertificates {
        TrustedCertificates {
            hosts: read(&self.path).hosts,
        }
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
        let mut trusted = self.load();
        trusted.add(host, port, fingerprint);
        let file = TrustFile {
            version: 1,
            hosts: trusted.hosts,
        };
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
        let mut all = store.load();
        assert_eq!(all.get("FTP.EXAMPLE.COM", 21), ["aa:bb"]);
        let mut more = TrustedCertificates::default();
        more.add("ftp.example.com", 21, "ee:ff");
        more.add("other.example.com", 21, "aa:bb");
        all.merge(&more);
        assert_eq!(all.get("ftp.example.com", 21), ["aa:bb", "ee:ff"]);
        assert_eq!(all.get("other.example.com", 21), ["aa:bb"]);
        assert!(all.get("other.example.com", 990).is_empty());
    }
}
