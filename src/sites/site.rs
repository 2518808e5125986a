//! A saved site: everything needed to connect, except the password, which
//! lives in the OS keyring (see `secrets`).

use serde::{Deserialize, Serialize};

use crate::engine::{ConnectOptions, DataMode, Security, TlsTrust};

/// How the site is reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum SiteProtocol {
    /// Plain FTP: the password travels in clear.
    #[default]
    Plain,
    /// AUTH TLS required (`ftpes://`).
    ExplicitTls,
    /// TLS from the first byte (`ftps://`, port 990).
    ImplicitTls,
    /// SFTP over SSH (`sftp://`, port 22).
    Sftp,
}

impl SiteProtocol {
    pub fn security(self) -> Security {
        match self {
            SiteProtocol::Plain => Security::Plain,
            SiteProtocol::ExplicitTls => Security::ExplicitTls,
            SiteProtocol::ImplicitTls => Security::ImplicitTls,
            SiteProtocol::Sftp => Security::Sftp,
        }
    }

    pub fn from_security(security: Security) -> SiteProtocol {
        match security {
            Security::Plain => SiteProtocol::Plain,
            Security::ExplicitTls => SiteProtocol::ExplicitTls,
            Security::ImplicitTls => SiteProtocol::ImplicitTls,
            Security::Sftp => SiteProtocol::Sftp,
        }
    }

    pub fn default_port(self) -> u16 {
        self.security().default_port()
    }
}

/// How the site logs in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum LogonType {
    /// `anonymous`, no password kept.
    Anonymous,
    /// User and password; the password is in the keyring.
    #[default]
    Normal,
    /// User only; the password is asked for at every connect.
    AskForPassword,
    /// User, password and account (ACCT); both secrets in the keyring.
    Account,
}

/// Passive, active, or whatever the defaults say.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum TransferMode {
    #[default]
    Default,
    Passive,
    Active,
}

/// One bookmark. Plain data, stored as JSON; never holds a secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Site {
    /// Stable identity (the keyring entry is keyed by it, so a rename
    /// keeps the password).
    pub id: String,
    pub name: String,
    /// Folder path in the site tree, outermost first (empty: top level).
    pub folder: Vec<String>,
    pub host: String,
    /// 0: the protocol's default.
    pub port: u16,
    pub protocol: SiteProtocol,
    pub logon: LogonType,
    pub user: String,
    /// Account for ACCT; not a secret on its own (some servers use it as
    /// a group name), so it is kept here. The password never is.
    pub account: String,
    pub transfer_mode: TransferMode,
    /// Transfer connections, 1–10; 0: the app's default.
    pub max_connections: u8,
    /// File-name encoding: "utf-8" (default), "latin-1", …
    pub encoding: String,
    pub local_dir: String,
    pub remote_dir: String,
    pub comments: String,
    /// SHA-256 fingerprints of certificates trusted for this site.
    pub trusted_certificates: Vec<String>,
    /// FTPS only: PROT C after login, data connections without TLS.
    pub clear_data: bool,
    /// FTPS only: CCC after login, commands in clear from then on.
    pub clear_control_channel: bool,
    /// Check transfers against the server's checksums, when it gives
    /// them (`--verify`).
    pub verify_transfers: bool,
    /// SFTP only: a private key file to log in with (empty: none), tried
    /// before `~/.ssh`'s usual keys. A path, never the key.
    pub key_file: String,
}

impl Default for Site {
    fn default() -> Site {
        Site {
            id: String::new(),
            name: String::new(),
            folder: Vec::new(),
            host: String::new(),
            port: 0,
            protocol: SiteProtocol::Plain,
            logon: LogonType::Normal,
            user: String::new(),
            account: String::new(),
            transfer_mode: TransferMode::Default,
            max_connections: 0,
            encoding: "utf-8".to_string(),
            local_dir: String::new(),
            remote_dir: String::new(),
            comments: String::new(),
            trusted_certificates: Vec::new(),
            clear_data: false,
            clear_control_channel: false,
            verify_transfers: false,
            key_file: String::new(),
        }
    }
}

impl Site {
    /// The folder path and name, as a person writes it: `Work/Clients/acme`.
    pub fn path(&self) -> String {
        let mut parts = self.folder.clone();
        parts.push(self.name.clone());
        parts.join("/")
    }

    pub fn effective_port(&self) -> u16 {
        if self.port == 0 {
            self.protocol.default_port()
        } else {
            self.port
        }
    }

    /// Connect options for this site; `password` comes from the keyring or
    /// the user.
    /// An SFTP site with a key file of its own: it logs in with the key,
    /// so no password is asked for when none is kept.
    pub fn logs_in_with_key(&self) -> bool {
        self.protocol == SiteProtocol::Sftp && !self.key_file.is_empty()
    }

    pub fn connect_options(&self, password: Option<String>) -> ConnectOptions {
        let mut options = ConnectOptions::new(self.host.clone());
        options.port = self.effective_port();
        options.security = self.protocol.security();
        match self.logon {
            LogonType::Anonymous => {}
            _ => {
                options.user = (!self.user.is_empty()).then(|| self.user.clone());
                options.password = password.map(crate::engine::Secret::new);
            }
        }
        if self.logon == LogonType::Account && !self.account.is_empty() {
            options.account = Some(crate::engine::Secret::new(self.account.clone()));
        }
        if self.transfer_mode == TransferMode::Active {
            options.data_mode = DataMode::Active;
        }
        if !self.encoding.is_empty() {
            options.encoding = self.encoding.clone();
        }
        options.tls = TlsTrust {
            pinned_sha256: self.trusted_certificates.clone(),
            ..TlsTrust::default()
        };
        options.clear_data = self.clear_data;
        options.verify_transfers = self.verify_transfers;
        options.clear_control_channel = self.clear_control_channel;
        if self.protocol == SiteProtocol::Sftp && !self.key_file.is_empty() {
            options
                .ssh
                .identity_files
                .push(std::path::PathBuf::from(&self.key_file));
        }
        options
    }
}

/// A fresh random id for a new site.
pub fn new_site_id() -> String {
    use std::hash::{BuildHasher, Hasher};
    // Two RandomState hashes: 128 random bits without another dependency.
    let mut id = String::new();
    for _ in 0..2 {
        let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
        hasher.write_u128(
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos())
                .unwrap_or_default(),
        );
        id.push_str(&format!("{:016x}", hasher.finish()));
    }
    id
}

#[cfg(test)]
mod tests {
    use super::*;

    /// "Verify transfers when the server can" is kept in the sites file
    /// (older files without it read as off) and reaches the connection.
    #[test]
    fn the_verify_setting_is_kept_and_reaches_the_connection() {
        let site = Site {
            host: "example.com".to_string(),
            verify_transfers: true,
            ..Site::default()
        };
        let json = serde_json::to_string(&site).unwrap();
        assert!(json.contains("\"verify_transfers\":true"), "{json}");
        let again: Site = serde_json::from_str(&json).unwrap();
        assert!(again.connect_options(None).verify_transfers);
        let old: Site = serde_json::from_str(r#"{"host":"example.com"}"#).unwrap();
        assert!(!old.connect_options(None).verify_transfers);
    }
}
