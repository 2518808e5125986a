//! What a caller can ask of a connection.
//!
//! Commands are plain data: the GUI and the CLI build them from user intent
//! and send them to a [`super::Connection`]; nothing here touches the network.

use std::fmt;
use std::net::IpAddr;
use std::path::PathBuf;
use std::time::Duration;

/// Identifies one request on one connection; every outcome event carries it.
pub type RequestId = u64;

/// How the control connection is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub enum Security {
    /// Plain FTP: passwords and data travel in clear.
    #[default]
    Plain,
    /// `AUTH TLS` after the greeting (`ftpes://`); refusing it fails the connection.
    ExplicitTls,
    /// TLS from the first byte (`ftps://`, port 990 by default).
    ImplicitTls,
    /// Not FTP: SFTP over SSH (`sftp://`, port 22), everything encrypted,
    /// the server known by its host key (see [`SshOptions`]).
    Sftp,
}

impl Security {
    /// The port a URL without one means.
    pub fn default_port(self) -> u16 {
        match self {
            Security::ImplicitTls => 990,
            Security::Sftp => 22,
            _ => 21,
        }
    }

    /// The URL scheme that asks for it.
    pub fn scheme(self) -> &'static str {
        match self {
            Security::Plain => "ftp",
            Security::ExplicitTls => "ftpes",
            Security::ImplicitTls => "ftps",
            Security::Sftp => "sftp",
        }
    }

    /// What a person picks from a list.
    pub fn label(self) -> &'static str {
        match self {
            Security::Plain => "FTP",
            Security::ExplicitTls => "FTP over explicit TLS",
            Security::ImplicitTls => "FTP over implicit TLS",
            Security::Sftp => "SFTP (SSH File Transfer Protocol)",
        }
    }

    /// Whether TLS is used at all.
    pub fn is_tls(self) -> bool {
        matches!(self, Security::ExplicitTls | Security::ImplicitTls)
    }

    /// Whether the password and the files travel encrypted.
    pub fn is_encrypted(self) -> bool {
        self != Security::Plain
    }
}

/// Who opens the data connections.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub enum DataMode {
    /// The client connects to the server (EPSV, falling back to PASV).
    #[default]
    Passive,
    /// The server connects back to the client (PORT for IPv4, EPRT for IPv6).
    Active,
}

/// TYPE used for file transfers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub enum TransferType {
    /// TYPE I: bytes arrive exactly as stored.
    #[default]
    Binary,
    /// TYPE A: line endings converted between the server's CRLF and `\n`.
    Ascii,
}

impl TransferType {
    /// Plain `TYPE A`, never suppaftp's `TYPE A N`: the format control is
    /// optional (RFC 959, N is the default) and pyftpdlib refuses it with
    /// 504, which failed every `--ascii` login.
    pub fn command(self) -> &'static str {
        match self {
            TransferType::Binary => "TYPE I",
            TransferType::Ascii => "TYPE A",
        }
    }
}

/// A password or account string that never prints itself.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Secret {
        Secret(value.into())
    }

    /// The secret itself; the only way to read it, so every use is greppable.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(****)")
    }
}

/// Certificate trust for one connection.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TlsTrust {
    /// Accept any certificate. Only on explicit request, and said loudly.
    pub insecure: bool,
    /// SHA-256 fingerprints (hex, colons optional) accepted even when the
    /// certificate does not verify against the system roots.
    pub pinned_sha256: Vec<String>,
    /// Which TLS versions may be negotiated.
    pub versions: TlsVersions,
}

/// How an SFTP connection logs in and knows its server (unused by FTP).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SshOptions {
    /// Private key files to offer, before `~/.ssh`'s usual ones.
    pub identity_files: Vec<PathBuf>,
    /// Do not offer the SSH agent's keys (`SSH_AUTH_SOCK`).
    pub no_agent: bool,
    /// `known_hosts` files besides OpenSSH's own (`~/.ssh/known_hosts`,
    /// always read): Ferry's store of keys trusted always.
    pub known_hosts: Vec<PathBuf>,
    /// `SHA256:…` fingerprints accepted for an unknown host key
    /// (`--trust`, "Trust once"); never for a changed or revoked one.
    pub trusted_host_keys: Vec<String>,
}

/// TLS versions to offer. Both by default; one alone for a server that
/// mishandles the other, or to test each.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum TlsVersions {
    #[default]
    Both,
    Only12,
    Only13,
}

/// Everything needed to open and log in a connection, like ftplib's
/// `FTP(host, user, passwd, acct, timeout, source_address, encoding)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectOptions {
    pub host: String,
    pub port: u16,
    pub security: Security,
    /// `None` logs in as `anonymous`.
    pub user: Option<String>,
    pub password: Option<Secret>,
    /// Sent with ACCT when the server asks for it (reply 332).
    pub account: Option<Secret>,
    /// Applies to connecting, to every reply as a whole (however the server
    /// spaces its lines), and to data connections, which must move at
    /// least 1 KiB in every such interval.
    pub timeout: Duration,
    /// Local address to connect from (control and passive data connections).
    pub source_address: Option<IpAddr>,
    /// Encoding of file names on this server: `utf-8` (default), `latin-1`,
    /// or any WHATWG label such as `windows-1252` or `shift_jis`.
    pub encoding: String,
    pub data_mode: DataMode,
    /// Use the address inside a PASV reply instead of the control
    /// connection's peer. Off by default: a hostile server could otherwise
    /// point the data connection anywhere.
    pub trust_pasv_address: bool,
    pub transfer_type: TransferType,
    pub tls: TlsTrust,
    /// fdatasync each downloaded file before it is renamed into place, so
    /// it survives a power cut too. Off by default, as in curl, lftp,
    /// rsync and FileZilla: a flush per file makes trees of small files
    /// several times slower (on a laptop disk, ten times), and the partial
    /// file's rename with its size check already keeps an unfinished file from
    /// ever looking finished.
    pub sync_downloads: bool,
    /// Send PROT C after login: data connections (file contents and
    /// listings) go without TLS; the control connection stays encrypted.
    pub clear_data: bool,
    /// Send CCC after login: the control connection goes back to plain
    /// text (data stays encrypted), for firewalls that must read it.
    pub clear_control_channel: bool,
    /// The speed limits this connection's transfers share with every
    /// other connection given the same (clones share; none by default).
    pub rate_limits: super::rate_limit::RateLimits,
    /// Check each binary download and upload against the server's
    /// checksum of the file, where it offers one (see `engine::hash`): a
    /// mismatch fails the transfer, a download's partial file kept.
    pub verify_transfers: bool,
    /// For SFTP: key files, agent, known host keys.
    pub ssh: Box<SshOptions>,
}

impl ConnectOptions {
    /// Options for `host` with every default: anonymous, passive, binary,
    /// UTF-8, 30 s timeout, plain FTP on port 21.
    pub fn new(host: impl Into<String>) -> ConnectOptions {
        ConnectOptions {
            host: host.into(),
            port: 21,
            security: Security::Plain,
            user: None,
            password: None,
            account: None,
            timeout: Duration::from_secs(30),
            source_address: None,
            encoding: "utf-8".to_string(),
            data_mode: DataMode::Passive,
            trust_pasv_address: false,
            transfer_type: TransferType::Binary,
            tls: TlsTrust::default(),
            sync_downloads: false,
            clear_data: false,
            clear_control_channel: false,
            rate_limits: Default::default(),
            verify_transfers: false,
            ssh: Box::default(),
        }
    }
}

/// One thing to do on a connection. Outcomes arrive as
/// [`super::EventKind::Finished`] with the request's id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// Connect, secure, log in, read FEAT. Replaces any current session.
    Connect(ConnectOptions),
    /// PWD.
    Pwd,
    /// CWD to a path.
    Cwd(String),
    /// CDUP.
    Cdup,
    /// List a folder (the current one if `None`): MLSD when offered, else
    /// LIST, else NLST.
    List(Option<String>),
    /// Like `List`, with the entries also sent as `ListingPart` events
    /// while the folder is read; the final listing holds the rest (see
    /// `Session::list_in_parts`). For callers that print and forget.
    ListInParts(Option<String>),
    /// NLST: names only.
    NameList(Option<String>),
    Mkdir(String),
    Rmdir(String),
    /// Delete a folder and everything in it (symlinks are not followed).
    DeleteTree(String),
    Delete(String),
    Rename {
        from: String,
        to: String,
    },
    /// SIZE.
    Size(String),
    /// MDTM.
    ModificationTime(String),
    /// SIZE and MDTM together: does a file exist, how big, how old.
    Stat(String),
    /// Runs the inner download or upload in this transfer type, switching
    /// the session (one TYPE command) only when it is in the other: what
    /// FileZilla calls "Auto", text files by extension as ASCII, the rest
    /// binary (see `QueueOptions::text_extensions`).
    AsType(TransferType, Box<Command>),
    /// Whether a path (a symbolic link, say) leads to a folder: CWD into
    /// it, PWD, and back. Answers [`super::Outcome::Path`] with the folder
    /// as the server names it from inside (its real path, on servers whose
    /// PWD resolves links); a permanent (5xx) error when it is not one.
    Resolve(String),
    /// MFMT: set a remote file's modification time (UTC).
    SetModificationTime {
        path: String,
        time: chrono::NaiveDateTime,
    },
    /// SITE CHMOD mode path.
    Chmod {
        path: String,
        mode: String,
    },
    /// Any command line; the reply is returned whatever its code.
    Raw(String),
    /// The server's checksum of a file (the strongest it offers), or
    /// none when it offers no checksum command.
    Hash(String),
    /// Whether a server's file and a local one have the same checksum
    /// ([`super::Outcome::Same`]; `None` when the server gives none).
    SameFile {
        remote: String,
        local: PathBuf,
    },
    /// NOOP on an idle login, so the server's idle timeout (vsftpd's
    /// `idle_session_timeout`, pure-ftpd's 15 minutes) does not end it.
    /// One that was dropped anyway is logged in again first, in the folder
    /// it was in.
    KeepAlive,
    /// Download one file. The bytes go to a partial file of ours beside
    /// `local` and take its name only when complete; `resume` continues the
    /// partial file an earlier attempt left, if it is provably ours and was
    /// made for this same remote file (see `engine::part_path`).
    Download {
        remote: String,
        local: PathBuf,
        resume: bool,
        /// The size a listing reported, which saves a SIZE round trip per
        /// file. If the bytes that arrive disagree, SIZE is asked before
        /// the download counts as short (the file may have changed since).
        size: Option<u64>,
        /// Also ask for the file's modification time (MDTM), in the same
        /// round trip as the transfer's end where the server allows; it
        /// comes back in the summary's `source_modified`.
        fetch_time: bool,
    },
    /// Upload one file; `resume` appends to a shorter remote file.
    Upload {
        local: PathBuf,
        remote: String,
        resume: bool,
    },
    /// Copy one file from this connection's server to its partner's
    /// (see [`Command::Partner`]) without touching the local disk: FXP
    /// when `fxp` is set and both servers allow it, else streamed through
    /// one buffer. `resume` continues a shorter target (REST + APPE).
    Copy {
        source: String,
        target: String,
        resume: bool,
        /// The source's size from a listing, if known.
        size: Option<u64>,
        fxp: bool,
    },
    /// Runs a command on this connection's second session, the partner,
    /// used as the target of [`Command::Copy`]; `Partner(Connect(…))`
    /// logs it in. Its log lines come with this connection's; its
    /// Connected and Disconnected events are not reported.
    Partner(Box<Command>),
    /// TYPE I or TYPE A for the following transfers.
    SetTransferType(TransferType),
    /// QUIT and close; the connection can be reused with another `Connect`.
    Disconnect,
}

/// A command with the id its outcome will carry.
#[derive(Debug, Clone)]
pub struct Request {
    pub id: RequestId,
    pub command: Command,
}
