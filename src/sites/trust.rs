//! Certificates trusted "always" for quick connections (sites keep their
//! own list): `trusted-certificates.json` beside the sites file, host:port
//! to SHA-256 fingerprints. Kept as the sites file is ([`JsonFile`]):
//! locked, re-read, written atomically, and a corrupt file moved aside and
//! reported rather than silently taken for "nothing trusted".

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::json_file::{JsonFile, StoreError};

/// The version this Ferry writes.
const TRUST_VERSION: u32 = 1;

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
    file: JsonFile,
}

/// Ferry's own store of SSH host keys trusted always: a `known_hosts`
/// file (OpenSSH's format, so `ssh-keygen -F` reads it) beside the sites
/// file. Read with `~/.ssh/known_hosts`, which Ferry never writes to.
pub fn ssh_known_hosts_location() -> Option<PathBuf> {
    directories::ProjectDirs::from("", "", "ferry")
        .map(|dirs| dirs.config_dir().join("known_hosts"))
}

impl TrustStore {
    /// Beside the sites file in the platform's config folder.
    pub fn default_location() -> Option<TrustStore> {
        directories::ProjectDirs::from("", "", "ferry")
            .map(|dirs| TrustStore::at(dirs.config_dir().join("trusted-certificates.json")))
    }

    pub fn at(path: impl Into<PathBuf>) -> TrustStore {
        TrustStore {
            file: JsonFile::new(path.into(), TRUST_VERSION),
        }
    }

    /// The fingerprints trusted for `host:port`. An unreadable file trusts
    /// nothing (the safe default) and says why: it was moved aside.
    pub fn trusted(&self, host: &str, port: u16) -> Result<Vec<String>, StoreError> {
        Ok(self.load()?.get(host, port).to_vec())
    }

    /// Everything the file trusts (nothing if there is no file yet).
    pub fn load(&self) -> Result<TrustedCertificates, StoreError> {
        let file: TrustFile = self.file.load()?;
        Ok(TrustedCertificates { hosts: file.hosts })
    }

    /// Trusts `fingerprint` for `host:port` from now on.
    pub fn trust(&self, host: &str, port: u16, fingerprint: &str) -> Result<(), StoreError> {
        self.file.update(|file: &mut TrustFile| {
            file.version = TRUST_VERSION;
            let mut trusted = TrustedCertificates {
                hosts: std::mem::take(&mut file.hosts),
            };
            trusted.add(host, port, fingerprint);
            file.hosts = trusted.hosts;
        })
    }
}

fn key(host: &str, port: u16) -> String {
    format!("{}:{port}", host.to_lowercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trust_is_kept_per_host_and_port() {
        let dir = tempfile::tempdir().unwrap();
        let store = TrustStore::at(dir.path().join("trusted-certificates.json"));
        assert!(store.trusted("ftp.example.com", 21).unwrap().is_empty());
        store.trust("FTP.example.com", 21, "aa:bb").unwrap();
        store.trust("ftp.example.com", 21, "aa:bb").unwrap();
        store.trust("ftp.example.com", 990, "cc:dd").unwrap();
        assert_eq!(store.trusted("ftp.example.com", 21).unwrap(), ["aa:bb"]);
        assert_eq!(store.trusted("ftp.example.com", 990).unwrap(), ["cc:dd"]);
        let mut all = store.load().unwrap();
        assert_eq!(all.get("FTP.EXAMPLE.COM", 21), ["aa:bb"]);
        let mut more = TrustedCertificates::default();
        more.add("ftp.example.com", 21, "ee:ff");
        more.add("other.example.com", 21, "aa:bb");
        all.merge(&more);
        assert_eq!(all.get("ftp.example.com", 21), ["aa:bb", "ee:ff"]);
        assert_eq!(all.get("other.example.com", 21), ["aa:bb"]);
        assert!(all.get("other.example.com", 990).is_empty());
    }

    /// A trust file that cannot be read was taken for "nothing trusted",
    /// and the next "Trust always" wrote over it: every fingerprint in it
    /// lost without a word. Now it is kept aside and reported, as the
    /// sites file is.
    #[test]
    fn a_corrupt_trust_file_is_kept_aside_and_reported_never_overwritten() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("trusted-certificates.json");
        std::fs::write(&path, b"{ not json").unwrap();
        let store = TrustStore::at(&path);
        let err = store.load().unwrap_err();
        let StoreError::Corrupt { kept_as, .. } = &err else {
            panic!("{err}");
        };
        assert_eq!(std::fs::read(kept_as).unwrap(), b"{ not json");
        assert!(err.to_string().contains("kept as"), "{err}");
        store.trust("h", 21, "aa:bb").unwrap();
        assert_eq!(store.trusted("h", 21).unwrap(), ["aa:bb"]);
        assert_eq!(std::fs::read(kept_as).unwrap(), b"{ not json");
    }
}
