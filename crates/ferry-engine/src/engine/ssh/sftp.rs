//! An SFTP session: SSH (russh) with the host key judged by Ferry
//! ([`super::known_hosts`]), logged in by agent, key files or password,
//! and the SFTP subsystem (russh-sftp's raw session, whose requests can be
//! many in flight at once).
//!
//! The engine's threads are blocking; russh is async. Each session owns
//! a single-threaded tokio runtime and runs one operation at a time on
//! it, so the session is used like the FTP one: a call, an answer.
//!
//! SFTP is request and response over one channel: a client that waits
//! for each 32 KiB before asking for the next crawls at one round trip
//! per 32 KiB. Transfers here keep about 2 MiB of requests outstanding,
//! as OpenSSH's sftp does (64 of 32 KiB), in requests as large as the
//! server says it takes (`limits@openssh.com`: 255 KiB for OpenSSH's
//! server, which cut the per-request work eightfold), and write what
//! arrives in order, so a partial file always holds the file's first
//! bytes and nothing else, and a resume continues from its length.
//!
//! Refusals carry the FTP reply codes the rest of the engine reads
//! (550: no such file or not allowed, 553: name not allowed, 502: not
//! supported), with the SFTP status in their text.

use std::collections::VecDeque;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use russh::client;
use russh::keys::{PrivateKeyWithHashAlg, PublicKeyOrCertificate};
use russh_sftp::client::RawSftpSession;
use russh_sftp::client::error::Error as SftpError;
use russh_sftp::protocol::{FileAttributes, OpenFlags, StatusCode};

use super::HostKeyProblem;
use super::known_hosts::{self, HostKey, HostKeyVerdict, KnownHosts};
use crate::engine::debug_log::LogSink;
use crate::engine::error::{Error, Result};
use crate::engine::event::{FileStat, SessionInfo, TransferSummary};
use crate::engine::partial::{self, Partial};
use crate::engine::rate_limit::RateLimits;
use crate::engine::transfer::{Meter, TransferObserver};
use crate::engine::{LogKind, LogLevel, RequestId, Secret};
use crate::listing::{EntryKind, RemoteEntry};

/// Bytes asked for by each read or sent by each write where the server
/// does not say what it takes: OpenSSH's default, which every server takes.
const REQUEST_SIZE: usize = 32 * 1024;
/// At most this per request where the server says it takes more
/// (`limits@openssh.com`; OpenSSH's server takes 255 KiB).
const LARGEST_REQUEST: usize = 256 * 1024;
/// Bytes kept in flight: 64 requests of 32 KiB, as OpenSSH's sftp.
const BYTES_IN_FLIGHT: usize = 2 * 1024 * 1024;

/// How big each read and write is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Requests {
    read: usize,
    write: usize,
}

impl Requests {
    /// From the server's `limits@openssh.com` answer (0: not said).
    fn within(max_read: u64, max_write: u64) -> Requests {
        let size = |max: u64| match usize::try_from(max) {
            Ok(0) | Err(_) => REQUEST_SIZE,
            Ok(max) => max.min(LARGEST_REQUEST),
        };
        Requests {
            read: size(max_read),
            write: size(max_write),
        }
    }

    /// Requests of `size` outstanding at once: about [`BYTES_IN_FLIGHT`].
    fn in_flight(size: usize) -> usize {
        (BYTES_IN_FLIGHT / size.max(1)).clamp(8, 64)
    }
}

impl Default for Requests {
    fn default() -> Requests {
        Requests {
            read: REQUEST_SIZE,
            write: REQUEST_SIZE,
        }
    }
}

/// What an SFTP connection needs.
#[derive(Debug, Clone)]
pub struct SftpOptions {
    pub host: String,
    pub port: u16,
    pub user: String,
    pub password: Option<Secret>,
    /// Private keys to offer, in order, before `~/.ssh`'s usual ones.
    pub identity_files: Vec<PathBuf>,
    /// Also offer `~/.ssh/id_ed25519`, `id_ecdsa` and `id_rsa`.
    pub default_identities: bool,
    /// The SSH agent's socket; `None` takes `SSH_AUTH_SOCK`.
    pub agent_socket: Option<PathBuf>,
    pub use_agent: bool,
    /// Bounds connecting and each request's answer.
    pub timeout: Duration,
    /// `known_hosts` files that say which keys are known: OpenSSH's and
    /// Ferry's own. A file that cannot be read refuses the connection.
    pub known_hosts: Vec<PathBuf>,
    /// `SHA256:…` fingerprints accepted for a server whose key is
    /// unknown (`--trust`, "Trust once"). Never for a changed or revoked
    /// key: those are refused whatever is passed here.
    pub trusted_fingerprints: Vec<String>,
    pub rate_limits: RateLimits,
    /// fdatasync each download before its rename (`--fsync`).
    pub sync_downloads: bool,
}

impl SftpOptions {
    pub fn new(host: impl Into<String>, user: impl Into<String>) -> SftpOptions {
        SftpOptions {
            host: host.into(),
            port: 22,
            user: user.into(),
            password: None,
            identity_files: Vec::new(),
            default_identities: true,
            agent_socket: None,
            use_agent: true,
            timeout: Duration::from_secs(30),
            known_hosts: known_hosts::openssh_file().into_iter().collect(),
            trusted_fingerprints: Vec::new(),
            rate_limits: RateLimits::default(),
            sync_downloads: false,
        }
    }
}

impl SftpOptions {
    /// The SFTP side of the engine's connect options.
    pub fn from_connect(options: &crate::engine::ConnectOptions) -> SftpOptions {
        let mut known_hosts: Vec<PathBuf> = known_hosts::openssh_file().into_iter().collect();
        known_hosts.extend(options.ssh.known_hosts.iter().cloned());
        SftpOptions {
            host: options.host.clone(),
            port: options.port,
            user: options
                .user
                .clone()
                .unwrap_or_else(|| "anonymous".to_string()),
            password: options.password.clone(),
            identity_files: options.ssh.identity_files.clone(),
            default_identities: true,
            agent_socket: None,
            use_agent: !options.ssh.no_agent,
            timeout: options.timeout,
            known_hosts,
            trusted_fingerprints: options.ssh.trusted_host_keys.clone(),
            rate_limits: options.rate_limits.clone(),
            sync_downloads: options.sync_downloads,
        }
    }
}

/// russh's side of the connection: judges the host key.
struct Judge {
    host: String,
    port: u16,
    files: Vec<PathBuf>,
    trusted: Vec<String>,
    /// Why the key was refused, for the error the connection then gives.
    refusal: Arc<Mutex<Option<Error>>>,
}

impl Judge {
    fn judge(&self, key: &HostKey) -> std::result::Result<(), Error> {
        let mut files = Vec::new();
        for path in &self.files {
            let known = known_hosts::read_file(path).map_err(|e| Error::local(path, &e))?;
            files.push(known);
        }
        let refs: Vec<&KnownHosts> = files.iter().collect();
        let verdict = known_hosts::combined_verdict(&refs, &self.host, self.port, key);
        let fingerprint = key.fingerprint();
        let trusted_once = self
            .trusted
            .iter()
            .any(|t| same_fingerprint(t, &fingerprint));
        match verdict {
            HostKeyVerdict::Trusted => Ok(()),
            HostKeyVerdict::Unknown { .. } if trusted_once => Ok(()),
            verdict => Err(Error::HostKey(Box::new(HostKeyProblem {
                host: self.host.clone(),
                port: self.port,
                key: key.clone(),
                verdict,
            }))),
        }
    }
}

/// `SHA256:abc` and `abc` name the same fingerprint; base64 is case-sensitive.
fn same_fingerprint(given: &str, fingerprint: &str) -> bool {
    let strip = |f: &str| {
        f.trim()
            .trim_start_matches("SHA256:")
            .trim_end_matches('=')
            .to_string()
    };
    strip(given) == strip(fingerprint)
}

impl client::Handler for Judge {
    type Error = russh::Error;

    async fn check_server_key(
        &mut self,
        offered: &PublicKeyOrCertificate,
    ) -> std::result::Result<bool, Self::Error> {
        let PublicKeyOrCertificate::PublicKey { key, .. } = offered else {
            *lock(&self.refusal) = Some(Error::Protocol(
                "the server offered a host certificate; Ferry checks host keys only".to_string(),
            ));
            return Ok(false);
        };
        let blob = key.to_bytes().map_err(|_| russh::Error::UnknownKey)?;
        let key = HostKey::new(key.algorithm().as_str(), blob);
        match self.judge(&key) {
            Ok(()) => Ok(true),
            Err(err) => {
                *lock(&self.refusal) = Some(err);
                Ok(false)
            }
        }
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// A logged-in SFTP session.
pub struct SftpSession {
    runtime: tokio::runtime::Runtime,
    ssh: client::Handle<Judge>,
    sftp: Arc<RawSftpSession>,
    home: String,
    /// The folder relative paths start from: SFTP has no working folder
    /// on the server's side, so the session keeps one, as FTP's CWD does.
    cwd: String,
    info: SessionInfo,
    /// The connection broke or stopped answering: the worker replaces
    /// the session before the next request.
    broken: bool,
    log: LogSink,
    timeout: Duration,
    rate_limits: RateLimits,
    sync_downloads: bool,
    requests: Requests,
    origin: String,
}

impl SftpSession {
    /// Connects, judges the host key, logs in and starts SFTP.
    pub fn connect(options: &SftpOptions, log: LogSink) -> Result<SftpSession> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_io()
            .enable_time()
            .build()
            .map_err(|e| Error::Connection(format!("cannot start the SSH runtime: {e}")))?;
        let refusal = Arc::new(Mutex::new(None));
        let judge = Judge {
            host: options.host.clone(),
            port: options.port,
            files: options.known_hosts.clone(),
            trusted: options.trusted_fingerprints.clone(),
            refusal: refusal.clone(),
        };
        let config = Arc::new(client::Config {
            nodelay: true,
            // Large enough that 64 requests of 32 KiB never wait for the
            // window (OpenSSH's server gives 2 MiB too).
            window_size: 8 * 1024 * 1024,
            ..client::Config::default()
        });
        log.status(&format!(
            "Connecting to {}:{} (SFTP)…",
            options.host, options.port
        ));
        let timeout = options.timeout;
        let (ssh, sftp, home, requests) = runtime.block_on(async {
            let address = (options.host.as_str(), options.port);
            let connected = tokio::time::timeout(timeout, client::connect(config, address, judge))
                .await
                .map_err(|_| {
                    Error::Timeout(format!("no SSH greeting within {} s", timeout.as_secs()))
                })?;
            let mut ssh = match connected {
                Ok(ssh) => ssh,
                Err(err) => {
                    return Err(lock(&refusal)
                        .take()
                        .unwrap_or_else(|| Error::Connection(format!("SSH: {err}"))));
                }
            };
            log.status("The server's host key is known");
            authenticate(&mut ssh, options, &log).await?;
            let channel = ssh
                .channel_open_session()
                .await
                .map_err(|e| Error::Connection(format!("SSH channel: {e}")))?;
            channel
                .request_subsystem(true, "sftp")
                .await
                .map_err(|e| Error::Connection(format!("the SFTP subsystem: {e}")))?;
            let sftp = RawSftpSession::new(channel.into_stream());
            sftp.set_timeout(timeout.as_secs().max(1));
            let version = sftp
                .init()
                .await
                .map_err(|e| sftp_error("starting SFTP", e))?;
            let home = sftp
                .realpath(".")
                .await
                .map_err(|e| sftp_error("finding the login folder", e))?
                .files
                .into_iter()
                .next()
                .map(|f| f.filename)
                .unwrap_or_else(|| "/".to_string());
            log.status(&format!(
                "SFTP version {}; the login folder is {home}",
                version.version
            ));
            let requests = match version.extensions.contains_key("limits@openssh.com") {
                true => match sftp.limits().await {
                    Ok(limits) => Requests::within(limits.max_read_len, limits.max_write_len),
                    Err(_) => Requests::default(),
                },
                false => Requests::default(),
            };
            log.detail(&format!(
                "Reads of {} bytes, writes of {} bytes",
                requests.read, requests.write
            ));
            Ok((ssh, Arc::new(sftp), home, requests))
        })?;
        let info = SessionInfo {
            welcome: String::new(),
            home: home.clone(),
            features: Default::default(),
            tls: false,
            tls_details: Some("SSH".to_string()),
            encrypted: true,
        };
        Ok(SftpSession {
            runtime,
            ssh,
            sftp,
            cwd: home.clone(),
            home,
            info,
            broken: false,
            log,
            timeout,
            rate_limits: options.rate_limits.clone(),
            sync_downloads: options.sync_downloads,
            requests,
            origin: format!("sftp://{}@{}:{}", options.user, options.host, options.port),
        })
    }

    /// The folder the login landed in, absolute.
    pub fn home(&self) -> &str {
        &self.home
    }

    /// `path` made absolute against the working folder.
    pub fn absolute(&self, path: &str) -> String {
        if path.starts_with('/') {
            path.to_string()
        } else if path.is_empty() || path == "." {
            self.cwd.clone()
        } else {
            format!("{}/{}", self.cwd.trim_end_matches('/'), path)
        }
    }

    pub fn info(&self) -> &SessionInfo {
        &self.info
    }

    pub fn log(&self) -> &LogSink {
        &self.log
    }

    pub fn is_broken(&self) -> bool {
        self.broken
    }

    /// A failure that leaves the connection unusable marks it broken.
    fn watch<T>(&mut self, result: Result<T>) -> Result<T> {
        if let Err(Error::Connection(_) | Error::Timeout(_)) = &result {
            self.broken = true;
        }
        result
    }

    pub fn pwd(&self) -> String {
        self.cwd.clone()
    }

    /// Makes `path` the working folder: the server's real path of it,
    /// which must be a folder.
    pub fn cwd(&mut self, path: &str) -> Result<String> {
        let folder = self.resolve_folder(path)?;
        self.cwd = folder.clone();
        Ok(folder)
    }

    /// The server's real path of `path` if it is a folder (following
    /// links); 550 when it is not one or is not there.
    pub fn resolve_folder(&mut self, path: &str) -> Result<String> {
        let path = self.absolute(path);
        self.logged(&format!("REALPATH {path}"));
        let sftp = self.sftp.clone();
        let result = self.runtime.block_on(async move {
            let real = sftp
                .realpath(path.as_str())
                .await
                .map_err(|e| sftp_error(&path, e))?
                .files
                .into_iter()
                .next()
                .map(|f| f.filename)
                .ok_or_else(|| Error::Protocol(format!("no real path for {path}")))?;
            let attrs = sftp
                .stat(real.as_str())
                .await
                .map_err(|e| sftp_error(&real, e))?
                .attrs;
            match attrs.permissions.map(|m| m & 0o170000) {
                Some(0o040000) => Ok(real),
                _ => Err(Error::Permanent {
                    code: 550,
                    text: format!("{real}: not a folder"),
                }),
            }
        });
        self.watch(result)
    }

    fn logged(&self, what: &str) {
        self.log.emit(LogLevel::Protocol, LogKind::Command, what);
    }

    /// The entries of a folder, `.` and `..` left out.
    pub fn list(&mut self, path: &str) -> Result<Vec<RemoteEntry>> {
        let path = self.absolute(path);
        self.logged(&format!("OPENDIR {path}"));
        let sftp = self.sftp.clone();
        let result = self.runtime.block_on(async move {
            let handle = sftp
                .opendir(path.as_str())
                .await
                .map_err(|e| sftp_error(&path, e))?
                .handle;
            let mut entries = Vec::new();
            let result = loop {
                match sftp.readdir(handle.as_str()).await {
                    Ok(name) => entries.extend(
                        name.files
                            .into_iter()
                            .filter(|f| f.filename != "." && f.filename != "..")
                            .map(|f| entry_from(&f.filename, &f.attrs)),
                    ),
                    Err(SftpError::Status(status)) if status.status_code == StatusCode::Eof => {
                        break Ok(());
                    }
                    Err(err) => break Err(sftp_error(&path, err)),
                }
            };
            let _ = sftp.close(handle).await;
            result.map(|()| entries)
        });
        self.watch(result)
    }

    /// Size and time of a file (following links); missing: 550.
    pub fn stat(&mut self, path: &str) -> Result<FileStat> {
        let path = self.absolute(path);
        self.logged(&format!("STAT {path}"));
        let sftp = self.sftp.clone();
        let attrs = self
            .runtime
            .block_on(async move {
                sftp.stat(path.as_str())
                    .await
                    .map_err(|e| sftp_error(&path, e))
            })?
            .attrs;
        Ok(FileStat {
            size: attrs.size,
            modified: attrs.mtime.and_then(time_of),
        })
    }

    /// One request on `path` (made absolute, logged as `verb path`) whose
    /// answer is only a status.
    fn on_path<F, Fut, T>(&mut self, verb: &str, path: &str, request: F) -> Result<()>
    where
        F: FnOnce(Arc<RawSftpSession>, String) -> Fut,
        Fut: std::future::Future<Output = std::result::Result<T, SftpError>>,
    {
        let path = self.absolute(path);
        self.logged(&format!("{verb} {path}"));
        let answer = self
            .runtime
            .block_on(request(self.sftp.clone(), path.clone()));
        let result = answer.map(drop).map_err(|e| sftp_error(&path, e));
        self.watch(result)
    }

    pub fn mkdir(&mut self, path: &str) -> Result<()> {
        self.on_path("MKDIR", path, |sftp, path| async move {
            sftp.mkdir(path, FileAttributes::empty()).await
        })
    }

    pub fn rmdir(&mut self, path: &str) -> Result<()> {
        self.on_path(
            "RMDIR",
            path,
            |sftp, path| async move { sftp.rmdir(path).await },
        )
    }

    pub fn delete(&mut self, path: &str) -> Result<()> {
        self.on_path("REMOVE", path, |sftp, path| async move {
            sftp.remove(path).await
        })
    }

    pub fn rename(&mut self, from: &str, to: &str) -> Result<()> {
        let (from, to) = (self.absolute(from), self.absolute(to));
        self.logged(&format!("RENAME {from} {to}"));
        let sftp = self.sftp.clone();
        self.runtime.block_on(async move {
            sftp.rename(from.as_str(), to.as_str())
                .await
                .map(drop)
                .map_err(|e| sftp_error(&from, e))
        })
    }

    /// Sets the permission bits (`mode` in octal, as `chmod` takes it).
    pub fn chmod(&mut self, path: &str, mode: &str) -> Result<()> {
        let bits = u32::from_str_radix(mode, 8)
            .ok()
            .filter(|bits| *bits <= 0o7777)
            .ok_or_else(|| Error::InvalidInput(format!("{mode:?} is not an octal mode")))?;
        let path = self.absolute(path);
        self.logged(&format!("SETSTAT {path} mode {bits:o}"));
        let attrs = FileAttributes {
            permissions: Some(bits),
            ..FileAttributes::empty()
        };
        self.setstat(path, attrs)
    }

    /// Sets a file's modification time (UTC), its access time with it.
    pub fn set_modification_time(&mut self, path: &str, time: chrono::NaiveDateTime) -> Result<()> {
        let seconds = u32::try_from(time.and_utc().timestamp())
            .map_err(|_| Error::InvalidInput(format!("{time} cannot be given over SFTP")))?;
        let path = self.absolute(path);
        self.logged(&format!("SETSTAT {path} mtime {seconds}"));
        let attrs = FileAttributes {
            atime: Some(seconds),
            mtime: Some(seconds),
            ..FileAttributes::empty()
        };
        self.setstat(path, attrs)
    }

    fn setstat(&mut self, path: String, attrs: FileAttributes) -> Result<()> {
        let sftp = self.sftp.clone();
        self.runtime.block_on(async move {
            sftp.setstat(path.as_str(), attrs)
                .await
                .map(drop)
                .map_err(|e| sftp_error(&path, e))
        })
    }

    /// Downloads `remote` into a partial file beside `local`, renamed into
    /// place when whole; with `resume`, continues a partial file of ours
    /// made for the same file. The summary carries the file's time.
    pub fn download(
        &mut self,
        request: RequestId,
        remote: &str,
        local: &Path,
        resume: bool,
        observer: &mut dyn TransferObserver,
    ) -> Result<TransferSummary> {
        let result = self.receive(request, remote, local, resume, observer);
        self.watch(result)
    }

    fn receive(
        &mut self,
        request: RequestId,
        remote: &str,
        local: &Path,
        resume: bool,
        observer: &mut dyn TransferObserver,
    ) -> Result<TransferSummary> {
        let path = self.absolute(remote);
        self.logged(&format!("OPEN {path} (read)"));
        let sftp = self.sftp.clone();
        let (handle, attrs) = self.runtime.block_on(async {
            let handle = sftp
                .open(path.as_str(), OpenFlags::READ, FileAttributes::empty())
                .await
                .map_err(|e| sftp_error(&path, e))?
                .handle;
            match sftp.fstat(handle.as_str()).await {
                Ok(attrs) => Ok((handle, attrs.attrs)),
                Err(err) => {
                    let _ = sftp.close(handle).await;
                    Err(sftp_error(&path, err))
                }
            }
        })?;
        let total = attrs.size;
        let source = partial::Source {
            origin: &self.origin,
            remote: &path,
            size: total,
        };
        // A partial file begun before the server's file last changed is
        // another version's: started over, as over FTP.
        let modified = attrs.mtime.map(i64::from);
        let opened = crate::engine::download::open_partial_for(
            &source,
            &self.log,
            local,
            resume,
            &mut |started| modified.is_some_and(|m| m > started),
        );
        let mut partial = match opened {
            Ok(partial) => partial,
            Err(err) => {
                self.close_handle(handle);
                return Err(err);
            }
        };
        let offset = partial.offset();
        if offset > 0 {
            self.log
                .status(&format!("Resuming {path} at byte {offset}"));
        }
        let started = Instant::now();
        let mut meter =
            Meter::new(request, offset, total).limited(self.rate_limits.download.clone());
        let received = self.runtime.block_on(read_pipelined(
            sftp,
            (handle.clone(), self.requests.read),
            (offset, total),
            &mut partial,
            &mut meter,
            observer,
        ));
        self.close_handle(handle);
        meter.report(observer);
        let done = match received {
            Ok(done) => done,
            Err(err) => {
                if !partial.is_worth_keeping() {
                    partial.discard();
                }
                return Err(err);
            }
        };
        if let Some(total) = total
            && done != total
        {
            return Err(Error::Protocol(format!(
                "the server sent {done} of the {total} bytes of {path}; the partial file is kept as {}",
                partial.path().display()
            )));
        }
        if observer.cancelled() {
            return Err(Error::Cancelled);
        }
        if self.sync_downloads {
            let path = partial.path().to_path_buf();
            partial
                .file()
                .sync_data()
                .map_err(|e| Error::local(&path, &e))?;
        }
        crate::engine::download::refuse_unless_regular(local)?;
        partial.finish(local)?;
        self.log.detail(&format!(
            "{path}: {} bytes in {:.2?}",
            done - offset,
            started.elapsed()
        ));
        Ok(TransferSummary {
            bytes: done - offset,
            resumed_from: offset,
            elapsed: started.elapsed(),
            source_modified: attrs.mtime.and_then(time_of),
        })
    }

    /// Uploads `local` to `remote`; with `resume`, continues a shorter
    /// remote file from its end.
    pub fn upload(
        &mut self,
        request: RequestId,
        local: &Path,
        remote: &str,
        resume: bool,
        observer: &mut dyn TransferObserver,
    ) -> Result<TransferSummary> {
        let result = self.send(request, local, remote, resume, observer);
        self.watch(result)
    }

    fn send(
        &mut self,
        request: RequestId,
        local: &Path,
        remote: &str,
        resume: bool,
        observer: &mut dyn TransferObserver,
    ) -> Result<TransferSummary> {
        let (mut file, meta) = crate::engine::transfer::open_upload_source(local)?;
        let total = meta.len();
        let path = self.absolute(remote);
        let offset = match resume {
            true => match self.stat(remote) {
                Ok(FileStat {
                    size: Some(size), ..
                }) if size <= total => size,
                _ => 0,
            },
            false => 0,
        };
        if offset > 0 {
            use std::io::{Seek, SeekFrom};
            file.seek(SeekFrom::Start(offset))
                .map_err(|e| Error::local(local, &e))?;
            self.log
                .status(&format!("Resuming {path} at byte {offset}"));
        }
        let flags = match offset {
            0 => OpenFlags::WRITE | OpenFlags::CREATE | OpenFlags::TRUNCATE,
            _ => OpenFlags::WRITE,
        };
        self.logged(&format!("OPEN {path} (write)"));
        let sftp = self.sftp.clone();
        let handle = self.runtime.block_on(async {
            sftp.open(path.as_str(), flags, FileAttributes::empty())
                .await
                .map(|h| h.handle)
                .map_err(|e| sftp_error(&path, e))
        })?;
        let started = Instant::now();
        let mut meter =
            Meter::new(request, offset, Some(total)).limited(self.rate_limits.upload.clone());
        let sent = self.runtime.block_on(write_pipelined(
            sftp.clone(),
            (handle.clone(), self.requests.write),
            (&mut file, local, offset),
            &mut meter,
            observer,
        ));
        // The close's answer is the last word on the writes before it.
        let closed = self.runtime.block_on(async {
            sftp.close(handle)
                .await
                .map(drop)
                .map_err(|e| sftp_error(&path, e))
        });
        meter.report(observer);
        let done = sent?;
        closed?;
        // A file written to while it was sent leaves the server a copy
        // that matches no version of it: a failure, as over FTP.
        crate::engine::transfer::check_unchanged_during_upload(
            &self.log, &file, local, &meta, done, false,
        )?;
        Ok(TransferSummary {
            bytes: done - offset,
            resumed_from: offset,
            elapsed: started.elapsed(),
            source_modified: None,
        })
    }

    fn close_handle(&mut self, handle: String) {
        let sftp = self.sftp.clone();
        let _ = self
            .runtime
            .block_on(async move { sftp.close(handle).await });
    }

    /// Ends the session politely; the server may already be gone.
    pub fn quit(self) {
        let SftpSession {
            runtime, ssh, sftp, ..
        } = self;
        let _ = sftp.close_session();
        let _ = runtime.block_on(async {
            tokio::time::timeout(
                Duration::from_secs(2),
                ssh.disconnect(russh::Disconnect::ByApplication, "", "en"),
            )
            .await
        });
    }

    pub fn timeout(&self) -> Duration {
        self.timeout
    }
}

/// Reads the open file from `offset` into `partial` with up to
/// [`Requests::in_flight`] reads outstanding, writing each answer in order.
/// Returns how many bytes the partial file holds at the end.
async fn read_pipelined(
    sftp: Arc<RawSftpSession>,
    (handle, request_size): (String, usize),
    (offset, total): (u64, Option<u64>),
    partial: &mut Partial,
    meter: &mut Meter,
    observer: &mut dyn TransferObserver,
) -> Result<u64> {
    type Pending = tokio::task::JoinHandle<std::result::Result<Vec<u8>, SftpError>>;
    let ask = |at: u64, len: usize| -> Pending {
        let (sftp, handle) = (sftp.clone(), handle.clone());
        tokio::spawn(async move { sftp.read(handle, at, len as u32).await.map(|d| d.data) })
    };
    let mut pending: VecDeque<(u64, usize, Pending)> = VecDeque::new();
    let mut next = offset;
    let mut written = offset;
    let mut at_end = false;
    let path = partial.path().to_path_buf();
    loop {
        if observer.cancelled() {
            return Err(Error::Cancelled);
        }
        while !at_end
            && pending.len() < Requests::in_flight(request_size)
            && total.is_none_or(|t| next < t)
        {
            let len = meter.chunk(request_size);
            let len = total.map_or(len, |t| len.min((t - next) as usize));
            pending.push_back((next, len, ask(next, len)));
            next += len as u64;
        }
        let Some((at, len, answer)) = pending.pop_front() else {
            return Ok(written);
        };
        debug_assert_eq!(at, written);
        let mut bytes = match answer.await {
            Ok(Ok(bytes)) => bytes,
            Ok(Err(SftpError::Status(status))) if status.status_code == StatusCode::Eof => {
                Vec::new()
            }
            Ok(Err(err)) => return Err(sftp_error("reading", err)),
            Err(err) => return Err(Error::Connection(format!("an SFTP read stopped: {err}"))),
        };
        // A short answer (allowed by the protocol): ask for the rest of
        // this request's bytes before anything after them is written.
        while !bytes.is_empty() && bytes.len() < len {
            let done = bytes.len();
            match sftp
                .read(handle.as_str(), at + done as u64, (len - done) as u32)
                .await
            {
                Ok(more) if !more.data.is_empty() => bytes.extend_from_slice(&more.data),
                Ok(_) => break,
                Err(SftpError::Status(status)) if status.status_code == StatusCode::Eof => break,
                Err(err) => return Err(sftp_error("reading", err)),
            }
        }
        if bytes.len() < len {
            // The file ends here; reads asked beyond it answer EOF.
            at_end = true;
            for (_, _, later) in pending.drain(..) {
                later.abort();
            }
        }
        partial
            .file()
            .write_all(&bytes)
            .map_err(|e| Error::local(&path, &e))?;
        written += bytes.len() as u64;
        meter.add(bytes.len() as u64, observer);
    }
}

/// Sends the local file from `offset` with up to [`Requests::in_flight`] writes
/// outstanding. Returns where the remote file ends (offset + bytes sent).
async fn write_pipelined(
    sftp: Arc<RawSftpSession>,
    (handle, request_size): (String, usize),
    (file, local, offset): (&mut std::fs::File, &Path, u64),
    meter: &mut Meter,
    observer: &mut dyn TransferObserver,
) -> Result<u64> {
    type Pending = tokio::task::JoinHandle<std::result::Result<(), SftpError>>;
    let mut pending: VecDeque<Pending> = VecDeque::new();
    let mut at = offset;
    let mut at_end = false;
    loop {
        if observer.cancelled() {
            // What was sent is let through, so the server's file ends
            // where its bytes end and a resume continues from there.
            for answer in pending.drain(..) {
                let _ = answer.await;
            }
            return Err(Error::Cancelled);
        }
        while !at_end && pending.len() < Requests::in_flight(request_size) {
            let mut chunk = vec![0u8; meter.chunk(request_size)];
            let read = read_full(file, &mut chunk).map_err(|e| Error::local(local, &e))?;
            if read == 0 {
                at_end = true;
                break;
            }
            chunk.truncate(read);
            let (sftp, handle) = (sftp.clone(), handle.clone());
            let from = at;
            pending.push_back(tokio::spawn(async move {
                sftp.write(handle, from, chunk).await.map(drop)
            }));
            at += read as u64;
            meter.add(read as u64, observer);
        }
        let Some(answer) = pending.pop_front() else {
            return Ok(at);
        };
        match answer.await {
            Ok(Ok(())) => {}
            Ok(Err(err)) => return Err(sftp_error("writing", err)),
            Err(err) => return Err(Error::Connection(format!("an SFTP write stopped: {err}"))),
        }
    }
}

/// Fills `buffer` unless the file ends first; returns the bytes read.
fn read_full(file: &mut std::fs::File, buffer: &mut [u8]) -> std::io::Result<usize> {
    let mut filled = 0;
    while filled < buffer.len() {
        match file.read(&mut buffer[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(err) if err.kind() == std::io::ErrorKind::Interrupted => {}
            Err(err) => return Err(err),
        }
    }
    Ok(filled)
}

/// Tries the agent's keys, then key files, then the password, saying
/// each in the log (never a secret).
async fn authenticate(
    ssh: &mut client::Handle<Judge>,
    options: &SftpOptions,
    log: &LogSink,
) -> Result<()> {
    let user = options.user.as_str();
    let mut tried: Vec<String> = Vec::new();
    let refused = |tried: &[String]| Error::Permanent {
        code: 530,
        text: format!(
            "the server accepted none of the ways of logging in as {user} that were tried ({})",
            match tried.is_empty() {
                true => "none: no password, key or agent".to_string(),
                false => tried.join(", "),
            }
        ),
    };
    #[cfg(unix)]
    if options.use_agent {
        let socket = options
            .agent_socket
            .clone()
            .or_else(|| std::env::var_os("SSH_AUTH_SOCK").map(PathBuf::from))
            .filter(|socket| !socket.as_os_str().is_empty());
        if let Some(socket) = socket {
            match russh::keys::agent::client::AgentClient::connect_uds(&socket).await {
                Ok(mut agent) => {
                    let identities = agent.request_identities().await.unwrap_or_default();
                    for identity in identities {
                        let russh::keys::agent::AgentIdentity::PublicKey { key, comment } =
                            identity
                        else {
                            continue;
                        };
                        let name = format!("the agent's key {comment}");
                        log.status(&format!("Trying {name}"));
                        tried.push(name);
                        let hash = match key.algorithm().is_rsa() {
                            true => rsa_hash(ssh).await,
                            false => None,
                        };
                        if let Ok(result) = ssh
                            .authenticate_publickey_with(user, key, hash, &mut agent)
                            .await
                            && result.success()
                        {
                            log.status(&format!(
                                "Logged in as {user} with {}",
                                tried.last().map_or("", |t| t)
                            ));
                            return Ok(());
                        }
                    }
                }
                Err(err) => log.warning(&format!("The SSH agent did not answer: {err}")),
            }
        }
    }
    let mut files = options.identity_files.clone();
    if options.default_identities
        && let Some(home) = directories::BaseDirs::new().map(|b| b.home_dir().join(".ssh"))
    {
        for name in ["id_ed25519", "id_ecdsa", "id_rsa"] {
            let path = home.join(name);
            if path.is_file() && !files.contains(&path) {
                files.push(path);
            }
        }
    }
    for path in files {
        let key = match russh::keys::load_secret_key(&path, None) {
            Ok(key) => key,
            Err(err) => {
                log.warning(&format!(
                    "Cannot use the key {} ({err}); a key with a passphrase is not supported yet",
                    path.display()
                ));
                continue;
            }
        };
        let name = format!("the key {}", path.display());
        log.status(&format!("Trying {name}"));
        tried.push(name);
        let hash = match key.algorithm().is_rsa() {
            true => rsa_hash(ssh).await,
            false => None,
        };
        let key = PrivateKeyWithHashAlg::new(Arc::new(key), hash);
        match ssh.authenticate_publickey(user, key).await {
            Ok(result) if result.success() => {
                log.status(&format!(
                    "Logged in as {user} with the key {}",
                    path.display()
                ));
                return Ok(());
            }
            Ok(_) => {}
            Err(err) => return Err(Error::Connection(format!("SSH: {err}"))),
        }
    }
    if let Some(password) = &options.password {
        log.status("Trying the password");
        tried.push("the password".to_string());
        match ssh.authenticate_password(user, password.expose()).await {
            Ok(result) if result.success() => {
                log.status(&format!("Logged in as {user} with the password"));
                return Ok(());
            }
            Ok(_) => {}
            Err(err) => return Err(Error::Connection(format!("SSH: {err}"))),
        }
        // Many servers take passwords only through PAM's questions
        // (keyboard-interactive): a question that asks for the password,
        // and nothing else, is answered with it.
        if keyboard_interactive_with_password(ssh, user, password.expose(), log).await? {
            log.status(&format!(
                "Logged in as {user} with the password (keyboard-interactive)"
            ));
            return Ok(());
        }
    }
    Err(refused(&tried))
}

/// Keyboard-interactive login answering the server's password question
/// with `password`; `false` when the server refuses it or asks anything
/// else (a one-time code: not answered here).
async fn keyboard_interactive_with_password(
    ssh: &mut client::Handle<Judge>,
    user: &str,
    password: &str,
    log: &LogSink,
) -> Result<bool> {
    use russh::client::KeyboardInteractiveAuthResponse as Reply;
    let connection = |err: russh::Error| Error::Connection(format!("SSH: {err}"));
    let mut reply = ssh
        .authenticate_keyboard_interactive_start(user, None)
        .await
        .map_err(connection)?;
    // A few rounds at most: a server that keeps asking is refused.
    for _ in 0..4 {
        match reply {
            Reply::Success => return Ok(true),
            Reply::Failure { .. } => return Ok(false),
            Reply::InfoRequest { prompts, .. } => {
                let answers = match prompts.as_slice() {
                    [] => Vec::new(),
                    [only] if !only.echo && only.prompt.to_lowercase().contains("password") => {
                        log.status("Answering the server's password question");
                        vec![password.to_string()]
                    }
                    others => {
                        let asked: Vec<String> = others
                            .iter()
                            .map(|p| crate::engine::display_text(p.prompt.trim()))
                            .collect();
                        log.warning(&format!(
                            "The server asks {}; Ferry answers only a password question so far",
                            asked.join(", ")
                        ));
                        return Ok(false);
                    }
                };
                reply = ssh
                    .authenticate_keyboard_interactive_respond(answers)
                    .await
                    .map_err(connection)?;
            }
        }
    }
    Ok(false)
}

/// The RSA signature hash the server takes (rsa-sha2-512 or -256 where
/// it says so, else the old SHA-1 one).
async fn rsa_hash(ssh: &client::Handle<Judge>) -> Option<russh::keys::HashAlg> {
    ssh.best_supported_rsa_hash().await.ok().flatten().flatten()
}

/// A listing entry from SFTP attributes (the file type in the mode's
/// high bits, as `stat` gives it).
fn entry_from(name: &str, attrs: &FileAttributes) -> RemoteEntry {
    let mode = attrs.permissions.unwrap_or(0);
    let kind = match mode & 0o170000 {
        0o040000 => EntryKind::Dir,
        0o100000 => EntryKind::File,
        0o120000 => EntryKind::Symlink { target: None },
        0 => EntryKind::Unknown,
        _ => EntryKind::Other,
    };
    RemoteEntry {
        name: name.to_string(),
        kind,
        size: attrs.size,
        modified: attrs.mtime.and_then(time_of),
        permissions: attrs
            .permissions
            .and_then(|m| crate::listing::mode_string(&format!("{:o}", m & 0o7777))),
        owner: attrs
            .user
            .clone()
            .or_else(|| attrs.uid.map(|u| u.to_string())),
        group: attrs
            .group
            .clone()
            .or_else(|| attrs.gid.map(|g| g.to_string())),
    }
}

fn time_of(seconds: u32) -> Option<chrono::NaiveDateTime> {
    chrono::DateTime::from_timestamp(i64::from(seconds), 0).map(|t| t.naive_utc())
}

/// An SFTP failure as the engine's error, with FTP's codes for the
/// refusals the rest of the engine tells apart.
fn sftp_error(what: &str, err: SftpError) -> Error {
    match err {
        SftpError::Status(status) => {
            let code = match status.status_code {
                StatusCode::NoSuchFile | StatusCode::PermissionDenied | StatusCode::Failure => 550,
                StatusCode::OpUnsupported => 502,
                StatusCode::BadMessage => 501,
                StatusCode::NoConnection | StatusCode::ConnectionLost => {
                    return Error::Connection(format!("{what}: {}", status.error_message));
                }
                _ => 550,
            };
            let message = match status.error_message.trim() {
                "" => status.status_code.to_string(),
                text => text.to_string(),
            };
            Error::Permanent {
                code,
                text: format!("{what}: {message} (SFTP {})", status.status_code),
            }
        }
        SftpError::Timeout => Error::Timeout(format!("{what}: the SFTP server did not answer")),
        SftpError::IO(text) => Error::Connection(format!("{what}: {text}")),
        other => Error::Protocol(format!("{what}: {other}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_are_as_large_as_the_server_takes_within_bounds() {
        // No limits said: OpenSSH's default, 64 of them in flight.
        assert_eq!(Requests::default().read, REQUEST_SIZE);
        assert_eq!(Requests::within(0, 0), Requests::default());
        assert_eq!(Requests::in_flight(REQUEST_SIZE), 64);
        // OpenSSH's server: 255 KiB, 8 in flight (about 2 MiB).
        let openssh = Requests::within(261_120, 261_120);
        assert_eq!((openssh.read, openssh.write), (261_120, 261_120));
        assert_eq!(Requests::in_flight(openssh.read), 8);
        // More than Ferry asks for at once; less than the usual 32 KiB.
        assert_eq!(Requests::within(16 << 20, 8192).read, LARGEST_REQUEST);
        assert_eq!(Requests::within(16 << 20, 8192).write, 8192);
        assert_eq!(Requests::in_flight(8192), 64);
    }

    #[test]
    fn a_fingerprint_is_the_same_with_or_without_its_prefix() {
        let fp = "SHA256:3Hf7L834uET2ZWV4IiZ8+dH4A5EprHCT/xozOGd9p0k";
        assert!(same_fingerprint(fp, fp));
        assert!(same_fingerprint(&fp[7..], fp));
        assert!(same_fingerprint(&format!(" {fp}= "), fp));
        assert!(!same_fingerprint(&fp.to_lowercase(), fp));
    }
}
