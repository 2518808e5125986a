//! One logged-in FTP session: a suppaftp control connection and what we
//! know about the server.
//!
//! Commands go through suppaftp's `custom_command`, which hands back every
//! reply whatever its code, so we classify replies ourselves (ftplib's
//! temporary / permanent / protocol) and keep the server's own words for the
//! user. suppaftp still does what it does well: the TLS upgrade, data
//! connections (EPSV/PASV/PORT with REST right before the transfer), ABOR,
//! and bounding every reply to 256 KiB.

use std::io::{Read, Write};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use suppaftp::{FtpError, ImplFtpStream, Mode, Status};

use super::command::{ConnectOptions, DataMode, Security, TransferType};
use super::deadline::Watchdog;
use super::debug_log::{self, LogSink};
use super::encoding::{FileNameEncoding, Latin1};
use super::error::{Error, Result};
use super::event::{Features, FileStat, Reply, SessionInfo};
use super::names::check_command_argument;
use super::net;
use super::reply::{classify, describe_ftp_error, parse_pwd, reply_from, welcome_text};
use super::tls::{self, RefusedCertificate};
use super::tls_stream::{FtpsConnector, FtpsStream, Negotiated};

/// suppaftp's client over our stream type.
type FtpClient = ImplFtpStream<FtpsStream>;

/// Commands after which a passive address asked for ahead may no longer
/// be listened on.
const REPLACES_LISTENER: [&str; 9] = [
    "PASV", "EPSV", "SPSV", "LPSV", "PORT", "EPRT", "LPRT", "REIN", "ABOR",
];

/// Longest reply line we accept; longer is a protocol error.
pub const MAX_REPLY_LINE: usize = 64 * 1024;

/// The most an upload sends before the server has said it opened the
/// transfer: what a socket's send buffer and a not yet accepted peer's
/// receive window hold on every system we know (64 KiB and more), so a
/// server that refuses the STOR cannot leave the write waiting.
const SENT_UNCONFIRMED: u64 = 64 * 1024;

mod data;
mod listing;
mod pipeline;

pub use data::DataStream;
pub use listing::{MAX_LISTING_BYTES, MAX_LISTING_ENTRIES, MAX_LISTING_LINE};

pub struct Session {
    ftp: FtpClient,
    /// `ftp://user@host:port`: which server's files these are.
    origin: String,
    encoding: FileNameEncoding,
    info: SessionInfo,
    log: LogSink,
    timeout: Duration,
    /// Passive data connections use EPSV until the server refuses it.
    extended_passive: bool,
    active: bool,
    transfer_type: TransferType,
    sync_downloads: bool,
    /// The speed limits its transfers follow (shared).
    rate_limits: super::rate_limit::RateLimits,
    /// Check transfers against the server's checksums.
    verify: bool,
    /// What it logged in with, for a second login that asks a big file's
    /// checksum while this one moves it (only kept when verifying).
    verify_login: Option<Box<ConnectOptions>>,
    /// How this server gives checksums, once known (`Some(None)`: it
    /// gives none); and whether `OPTS HASH` has chosen the algorithm.
    hash_method: Option<Option<super::hash::HashCommand>>,
    hash_chosen: bool,
    /// TLS 1.3 session tickets in hand, for data connections to resume.
    tickets: tls::Tickets,
    /// Set when the control connection can no longer be trusted.
    broken: bool,
    refused: RefusedCertificate,
    /// Set after PROT C: the connector makes data connections without TLS.
    clear_data: Arc<AtomicBool>,
    /// Set by the passive-connection builder when the server has named a
    /// data address for the current data command: a refusal before it is
    /// the passive command's (EPSV), after it the transfer's.
    data_address_given: Arc<AtomicBool>,
    /// Ends a control-connection exchange that outlives its deadline.
    watchdog: Watchdog,
    /// Commands sent together, data connections of our own.
    pipeline: pipeline::Pipeline,
    /// The replies of the last transfer on a data connection of our own
    /// (its 150 and its end), for a listing that looks for "truncated".
    direct_replies: Option<String>,
}

impl Session {
    /// Connects, secures, logs in, reads FEAT and the working folder.
    /// `on_welcome` gets the banner as soon as it arrives, before login.
    pub fn connect(
        options: &ConnectOptions,
        log: LogSink,
        on_welcome: &mut dyn FnMut(&str),
    ) -> Result<Session> {
        check_command_argument("the user name", options.user.as_deref().unwrap_or(""))?;
        if let Some(p) = &options.password {
            check_command_argument("the password", p.expose())?;
        }
        if let Some(a) = &options.account {
            check_command_argument("the account", a.expose())?;
        }
        let encoding = FileNameEncoding::from_label(&options.encoding).ok_or_else(|| {
            Error::InvalidInput(format!("unknown file-name encoding {:?}", options.encoding))
        })?;
        let refused: RefusedCertificate = Arc::new(Mutex::new(None));
        let tickets: tls::Tickets = Arc::default();
        let config = tls::client_config(&options.tls, refused.clone(), tickets.clone());
        let negotiated: Negotiated = Arc::new(Mutex::new(None));
        let clear_data = Arc::new(AtomicBool::new(false));
        let watchdog = Watchdog::new();
        let connector = || {
            FtpsConnector::new(
                config.clone(),
                options.timeout,
                negotiated.clone(),
                clear_data.clone(),
                watchdog.handle(),
            )
        };
        if options.tls.insecure && options.security.is_tls() {
            log.warning("certificate checks are OFF (--insecure): anyone between you and the server can read and change this session");
        }
        let addrs = net::resolve(&options.host, options.port)?;
        let mut last_error = None;
        let mut ftp = None;
        for addr in addrs {
            log.status(&format!(
                "Connecting to {}:{} ({addr})…",
                options.host, options.port
            ));
            watchdog.unwatch();
            match open_control(options, addr, connector, &watchdog) {
                Ok(stream) => {
                    ftp = Some(stream);
                    break;
                }
                Err(err) => {
                    log.warning(&format!("{addr}: {}", describe_ftp_error(&err)));
                    last_error = Some(err);
                }
            }
        }
        let Some(mut ftp) = ftp else {
            let err = match last_error.map(|e| classify(e, &refused)) {
                Some(Error::Connection(reason)) => Error::Connection(format!(
                    "cannot connect to {}:{}: {}",
                    options.host,
                    options.port,
                    reason.trim_start_matches("the connection: ")
                )),
                Some(other) => other,
                None => Error::Connection("no address to connect to".to_string()),
            };
            return Err(err);
        };
        ftp.set_encoding_for(encoding);
        let welcome = welcome_text(ftp.get_welcome_msg().unwrap_or_default());
        log.status(&format!("Connected. The server says: {welcome}"));
        on_welcome(&welcome);

        let ftp = match options.security {
            Security::ExplicitTls => within(&watchdog, options.timeout * 4, || {
                ftp.into_secure(connector(), tls_host(&options.host))
            })
            .map_err(|err| match err {
                FtpError::UnexpectedResponse(r) => Error::Tls(format!(
                    "the server refused to switch to TLS ({}); not logging in without it",
                    reply_from(&r, &encoding).one_line()
                )),
                other => classify(other, &refused),
            })?,
            _ => ftp,
        };
        let data_address_given = Arc::new(AtomicBool::new(false));
        let ftp = configure_data_connections(ftp, options, data_address_given.clone());
        let plain_passive = !options.security.is_tls() && options.data_mode == DataMode::Passive;
        let mut pipeline =
            pipeline::Pipeline::new(&options.host, options.port, &welcome, plain_passive);
        pipeline.source = options.source_address;
        pipeline.trust_pasv_address = options.trust_pasv_address;
        let log_again = log.clone();
        let mut session = Session {
            ftp,
            origin: format!(
                "ftp://{}@{}:{}",
                options.user.as_deref().unwrap_or("anonymous"),
                options.host,
                options.port
            ),
            active: options.data_mode == DataMode::Active,
            encoding,
            info: SessionInfo {
                welcome,
                tls: options.security.is_tls(),
                encrypted: options.security.is_tls(),
                tls_details: negotiated.lock().ok().and_then(|n| n.clone()),
                ..SessionInfo::default()
            },
            log,
            timeout: options.timeout,
            extended_passive: true,
            transfer_type: options.transfer_type,
            sync_downloads: options.sync_downloads,
            rate_limits: options.rate_limits.clone(),
            verify: options.verify_transfers,
            verify_login: options.verify_transfers.then(|| Box::new(options.clone())),
            hash_method: None,
            hash_chosen: false,
            tickets,
            broken: false,
            refused,
            clear_data: clear_data.clone(),
            data_address_given,
            watchdog,
            pipeline,
            direct_replies: None,
        };
        if options.security == Security::ImplicitTls {
            // suppaftp's implicit mode does not negotiate data protection.
            session.expect("PBSZ 0", |c| c == 200)?;
            session.expect("PROT P", |c| c == 200)?;
        }
        session.login(options)?;
        session.read_features();
        match session.type_and_home(options.transfer_type)? {
            Some(home) => session.info.home = home,
            // Out of step: start again, one command at a time.
            None => return Session::connect(options, log_again, on_welcome),
        }
        if options.clear_data && session.info.tls {
            session.clear_data_channel()?;
        }
        if session.info.tls {
            let details = session
                .info
                .tls_details
                .clone()
                .unwrap_or_else(|| "TLS".to_string());
            let what = if clear_data.load(Ordering::Relaxed) {
                "the control connection is encrypted, data connections are NOT"
            } else {
                "control and data connections are encrypted"
            };
            session
                .log
                .status(&format!("Logged in; {what} ({details})"));
        } else {
            session.log.status("Logged in (unencrypted FTP)");
        }
        if options.clear_control_channel && session.info.tls {
            session = session.clear_control_channel()?;
        }
        Ok(session)
    }

    /// PROT C: data connections without TLS from now on (for servers or
    /// links where encrypting bulk data costs too much); the login and the
    /// commands stay encrypted. Only on request, and said loudly. A refusal
    /// leaves data encrypted, which is never less safe than asked for.
    fn clear_data_channel(&mut self) -> Result<()> {
        let reply = self.raw("PROT C")?;
        if reply.code != 200 {
            self.log.warning(&format!(
                "The server refused PROT C ({}); data connections stay encrypted",
                reply.one_line()
            ));
            return Ok(());
        }
        self.clear_data.store(true, Ordering::Relaxed);
        self.log.warning(
            "PROT C: file contents and listings travel UNENCRYPTED from now on \
             (the login and commands stay encrypted)",
        );
        self.info.tls_details = self
            .info
            .tls_details
            .take()
            .map(|d| format!("{d}; data unencrypted (PROT C)"));
        Ok(())
    }

    /// CCC: the control connection goes back to plain text after login
    /// (for firewalls that must read it); data stays encrypted. Only on
    /// request, and said loudly. If the server refuses, the connection is
    /// closed rather than carried on in a state nobody asked for.
    fn clear_control_channel(mut self) -> Result<Session> {
        self.log.warning(
            "CCC: the control connection continues UNENCRYPTED (commands and replies, \
             not passwords or data, can be read on the way)",
        );
        let encoding = self.encoding;
        // CCC's reply, then up to half a second for the close_notify.
        let ftp = within(&self.watchdog, self.timeout * 2, || {
            self.ftp.clear_command_channel()
        })
        .map_err(|err| match err {
            FtpError::UnexpectedResponse(r) => Error::Tls(format!(
                "the server refused to clear the control channel ({}); disconnected",
                reply_from(&r, &encoding).one_line()
            )),
            other => classify(other, &self.refused),
        })?;
        self.info.tls_details = self
            .info
            .tls_details
            .take()
            .map(|d| format!("{d}; control channel cleared (CCC)"));
        Ok(Session { ftp, ..self })
    }

    fn login(&mut self, options: &ConnectOptions) -> Result<()> {
        let user = options
            .user
            .clone()
            .unwrap_or_else(|| "anonymous".to_string());
        let anonymous = user.eq_ignore_ascii_case("anonymous") || user.eq_ignore_ascii_case("ftp");
        let password = match (&options.password, anonymous) {
            (Some(p), _) => p.expose().to_string(),
            (None, true) => "anonymous@".to_string(),
            (None, false) => String::new(),
        };
        let mut reply = self.raw(&format!("USER {user}"))?;
        for _ in 0..3 {
            match reply.code {
                230 | 202 => {
                    self.log.status(&format!("Logged in as {user}"));
                    return Ok(());
                }
                331 => reply = self.raw(&format!("PASS {password}"))?,
                332 => {
                    let Some(account) = &options.account else {
                        return Err(Error::Permanent {
                            code: 332,
                            text: "the server asks for an account (ACCT) and none was given"
                                .to_string(),
                        });
                    };
                    let line = format!("ACCT {}", account.expose());
                    reply = self.raw(&line)?;
                }
                _ => break,
            }
        }
        Err(Error::from_reply(reply.code, &reply.text))
    }

    fn read_features(&mut self) {
        match self.raw("FEAT") {
            Ok(reply) if reply.code == 211 => {
                self.info.features = Features::from_reply(&reply.text);
            }
            _ => self
                .log
                .detail("The server does not answer FEAT; assuming no extensions"),
        }
        let features = self.info.features.clone();
        if !features.lines.is_empty() && !features.supports("EPSV") {
            self.use_pasv();
        }
        if features.supports("UTF8") && self.encoding.is_utf8() {
            // Some servers only send UTF-8 names once asked; failure is harmless.
            let _ = self.raw("OPTS UTF8 ON");
        }
    }

    fn use_pasv(&mut self) {
        if self.extended_passive && !self.active {
            self.extended_passive = false;
            self.ftp.set_mode(Mode::Passive);
        }
    }

    /// `ftp://user@host:port`, whatever the security: the same files
    /// over FTP and FTPS.
    pub fn origin(&self) -> &str {
        &self.origin
    }

    pub fn info(&self) -> &SessionInfo {
        &self.info
    }

    pub fn log(&self) -> &LogSink {
        &self.log
    }

    pub fn tickets(&self) -> &tls::Tickets {
        &self.tickets
    }

    /// Whether downloads are flushed to disk before their rename.
    pub fn sync_downloads(&self) -> bool {
        self.sync_downloads
    }

    pub fn transfer_type(&self) -> TransferType {
        self.transfer_type
    }

    pub fn is_broken(&self) -> bool {
        self.broken
    }

    /// Sends one command line and returns the reply, whatever its code.
    pub fn raw(&mut self, line: &str) -> Result<Reply> {
        check_command_argument("the command", line)?;
        let verb = line
            .split(' ')
            .next()
            .unwrap_or_default()
            .to_ascii_uppercase();
        if REPLACES_LISTENER.contains(&verb.as_str()) {
            self.pipeline.forget_ready();
        }
        match self.exchange(1, |ftp| ftp.custom_command(line, &[])) {
            Err(FtpError::UnexpectedResponse(response)) => {
                let reply = reply_from(&response, &self.encoding);
                if reply.longest_line() > MAX_REPLY_LINE {
                    self.broken = true;
                    return Err(Error::Protocol(format!(
                        "a reply line of {} bytes is longer than the {MAX_REPLY_LINE}-byte limit",
                        reply.longest_line()
                    )));
                }
                if reply.code == 421 || reply.ends_session() {
                    self.broken = true;
                }
                Ok(reply)
            }
            Ok(response) => Ok(reply_from(&response, &self.encoding)),
            Err(err) => Err(self.fail(err)),
        }
    }

    /// See [`super::Connection::ask_ahead`].
    pub fn ask_ahead(&mut self, on: bool) {
        self.pipeline.ahead = on;
    }

    /// The server's address on the control connection.
    pub fn peer_ip(&self) -> Option<std::net::IpAddr> {
        self.ftp.get_ref().peer_addr().ok().map(|a| a.ip())
    }

    /// After an exchange that may have left replies unread: reconnect
    /// before the next command.
    pub fn mark_broken(&mut self) {
        self.broken = true;
    }

    /// Writes a command on a plain control connection without reading its
    /// reply, for FXP, where the two servers' replies interleave and a
    /// command can have two replies (1xx, then 2xx) that suppaftp would
    /// not read for a command without a data connection of ours.
    pub fn send_unread(&mut self, line: &str) -> Result<()> {
        check_command_argument("the command", line)?;
        // FXP's PASV or PORT replaces a listener asked for ahead.
        self.pipeline.forget_ready();
        self.write_commands(&[line.to_string()])
    }

    /// Writes the `lines`, each with its CRLF, in one write on a plain
    /// control connection (names in the site's file-name encoding, as
    /// suppaftp writes them), logging each line as a command.
    fn write_commands(&mut self, lines: &[String]) -> Result<()> {
        let mut bytes = Vec::new();
        for line in lines {
            let encoded = self.encoding.encode(line).map_err(|e| {
                Error::InvalidInput(format!("{}: {e}", super::encoding::display_text(line)))
            })?;
            bytes.extend_from_slice(&encoded);
            bytes.extend_from_slice(b"\r\n");
        }
        if self.info.tls {
            return Err(Error::Tls(
                "commands can be written directly only on a plain control connection".to_string(),
            ));
        }
        for line in lines {
            self.log.emit(
                crate::engine::LogLevel::Protocol,
                crate::engine::LogKind::Command,
                line,
            );
        }
        let socket = self.ftp.get_ref();
        let mut writer: &std::net::TcpStream = &socket;
        writer
            .write_all(&bytes)
            .and_then(|()| writer.flush())
            .map_err(|e| {
                self.broken = true;
                net::io_error("the control connection", &e)
            })
    }

    /// Reads one reply (all its lines) from a plain control connection,
    /// a byte at a time so nothing after it is taken from the socket.
    /// `patience` bounds the wait for its first byte (a transfer between
    /// two servers may take long); `cancelled` is asked every 200 ms.
    pub fn read_unread_reply(
        &mut self,
        patience: Option<Duration>,
        cancelled: &mut dyn FnMut() -> bool,
    ) -> Result<Reply> {
        let result = read_plain_reply(&self.ftp.get_ref(), self.timeout, patience, cancelled);
        match result {
            Ok(bytes) => {
                let text = self.encoding.decode(&bytes);
                let text = text.trim_end().to_string();
                for line in text.lines() {
                    self.log.emit(
                        crate::engine::LogLevel::Protocol,
                        crate::engine::LogKind::Reply,
                        line,
                    );
                }
                let code = text.get(..3).and_then(|c| c.parse().ok()).unwrap_or(0);
                let reply = Reply { code, text };
                if code == 421 || reply.ends_session() {
                    self.broken = true;
                }
                Ok(reply)
            }
            Err(err) => {
                self.broken = true;
                Err(err)
            }
        }
    }

    /// Sends a command and fails unless `ok` accepts the reply code.
    pub fn expect(&mut self, line: &str, ok: impl Fn(u16) -> bool) -> Result<Reply> {
        let reply = self.raw(line)?;
        if ok(reply.code) {
            Ok(reply)
        } else {
            Err(Error::from_reply(reply.code, &reply.text))
        }
    }

    /// Sends `verb path` after checking the path.
    fn path_command(&mut self, verb: &str, path: &str, ok: impl Fn(u16) -> bool) -> Result<Reply> {
        check_command_argument("the path", path)?;
        self.expect(&format!("{verb} {path}"), ok)
    }

    pub fn pwd(&mut self) -> Result<String> {
        let reply = self.expect("PWD", |c| c == 257)?;
        parse_pwd(&reply.text)
            .ok_or_else(|| Error::Protocol(format!("cannot read the folder from {:?}", reply.text)))
    }

    pub fn cwd(&mut self, path: &str) -> Result<String> {
        self.path_command("CWD", path, |c| c / 100 == 2)?;
        self.pwd()
    }

    /// Enters `path` and comes back: the folder's path as PWD gives it
    /// from inside, or the server's refusal (a file, a link to a file or
    /// to nothing). See [`super::Command::Resolve`].
    pub fn resolve_folder(&mut self, path: &str) -> Result<String> {
        let here = self.pwd()?;
        self.path_command("CWD", path, |c| c / 100 == 2)?;
        let inside = self.pwd();
        // Back where we were: a session in another folder than it thinks
        // would resolve relative paths wrongly, so it is not trusted.
        if let Err(err) = self.path_command("CWD", &here, |c| c / 100 == 2) {
            self.broken = true;
            return Err(err);
        }
        inside
    }

    pub fn cdup(&mut self) -> Result<String> {
        self.expect("CDUP", |c| c / 100 == 2)?;
        self.pwd()
    }

    pub fn mkdir(&mut self, path: &str) -> Result<()> {
        self.path_command("MKD", path, |c| c == 257 || c == 250 || c == 200)
            .map(drop)
    }

    pub fn rmdir(&mut self, path: &str) -> Result<()> {
        self.path_command("RMD", path, |c| c / 100 == 2).map(drop)
    }

    pub fn delete(&mut self, path: &str) -> Result<()> {
        self.path_command("DELE", path, |c| c / 100 == 2).map(drop)
    }

    pub fn rename(&mut self, from: &str, to: &str) -> Result<()> {
        check_command_argument("the new name", to)?;
        self.path_command("RNFR", from, |c| c == 350)?;
        self.path_command("RNTO", to, |c| c / 100 == 2).map(drop)
    }

    pub fn size(&mut self, path: &str) -> Result<u64> {
        let reply = self.path_command("SIZE", path, |c| c == 213)?;
        parse_size(&reply)
    }

    pub fn modification_time(&mut self, path: &str) -> Result<chrono::NaiveDateTime> {
        let reply = self.path_command("MDTM", path, |c| c == 213)?;
        pipeline::parse_mdtm(&reply.text)
            .ok_or_else(|| Error::Protocol(format!("cannot read a time from {:?}", reply.text)))
    }

    /// Size and modification time of a file, each only if the server
    /// tells. `Err(Permanent)` when the file is not there (both 550).
    pub fn stat(&mut self, path: &str) -> Result<FileStat> {
        // MDTM on a server without it would only add a 500 to the log.
        let features = &self.info.features;
        let offers_time = features.supports("MDTM") || features.lines.is_empty();
        if offers_time {
            check_command_argument("the path", path)?;
            if let Some(replies) = self.size_and_time(path) {
                let (size, time) = replies?;
                let size = judged(size, 213).and_then(|reply| parse_size(&reply));
                let modified = judged(time, 213).and_then(|reply| {
                    pipeline::parse_mdtm(&reply.text).ok_or_else(|| {
                        Error::Protocol(format!("cannot read a time from {:?}", reply.text))
                    })
                });
                return stat_from(size, modified);
            }
        }
        let size = self.size(path);
        let modified = if offers_time {
            self.modification_time(path)
        } else {
            Err(Error::Permanent {
                code: 502,
                text: "MDTM is not offered".to_string(),
            })
        };
        stat_from(size, modified)
    }

    /// MFMT: sets a remote file's modification time (UTC), where offered.
    pub fn set_modification_time(&mut self, path: &str, time: chrono::NaiveDateTime) -> Result<()> {
        if !self.info.features.supports("MFMT") {
            return Err(Error::Permanent {
                code: 502,
                text: "the server does not offer MFMT".to_string(),
            });
        }
        let stamp = time.format("%Y%m%d%H%M%S");
        self.path_command(&format!("MFMT {stamp}"), path, |c| c / 100 == 2)
            .map(drop)
    }

    pub fn chmod(&mut self, path: &str, mode: &str) -> Result<()> {
        if mode.is_empty() || !mode.chars().all(|c| c.is_ascii_digit() && c < '8') {
            return Err(Error::InvalidInput(format!(
                "{mode:?} is not an octal mode like 644"
            )));
        }
        self.path_command(&format!("SITE CHMOD {mode}"), path, |c| c / 100 == 2)
            .map(drop)
    }

    /// `TYPE I` or `TYPE A` (see [`TransferType::command`]). Line endings are converted in `transfer`, not by suppaftp, so its
    /// own notion of the type is not needed.
    pub fn set_transfer_type(&mut self, kind: TransferType) -> Result<()> {
        self.expect(kind.command(), |c| c == 200)?;
        self.transfer_type = kind;
        Ok(())
    }

    /// Opens a data connection for `command` (RETR, STOR, APPE, LIST…),
    /// sending `REST offset` first when `offset > 0`. Falls back from EPSV
    /// to PASV when the server does not understand EPSV.
    pub fn open_data(&mut self, command: &str, offset: u64) -> Result<DataStream> {
        check_command_argument("the command", command)?;
        self.direct_replies = None;
        if self.pipeline.allowed {
            return self.open_direct(command, offset, true);
        }
        self.pipeline.forget_ready();
        // At most one fallback of each kind: EPSV → PASV, PROT C → PROT P.
        for _ in 0..3 {
            if offset > 0 {
                let offset = usize::try_from(offset)
                    .map_err(|_| Error::InvalidInput("resume offset too large".to_string()))?;
                // A refused REST shows in the transfer's reply; a broken
                // connection does not wait for it.
                if let Err(err @ FtpError::ConnectionError(_)) =
                    self.exchange(1, |ftp| ftp.resume_transfer(offset))
                {
                    return Err(self.fail(err));
                }
            }
            // The passive reply, the connection, the transfer's reply.
            self.data_address_given.store(false, Ordering::Relaxed);
            let opened = self.exchange(3, |ftp| {
                ftp.custom_data_command(command, &[Status::AboutToSend, Status::AlreadyOpen])
            });
            match opened {
                Ok((_, stream)) => {
                    let stream = DataStream::Suppaftp(stream);
                    let _ = net::set_timeouts(stream.socket(), self.timeout);
                    if let Ok(peer) = stream.socket().peer_addr() {
                        self.log
                            .detail(&format!("Data connection open with {peer}"));
                    }
                    return Ok(stream);
                }
                Err(FtpError::UnexpectedResponse(response))
                    if self.clear_data.load(Ordering::Relaxed)
                        && reply_from(&response, &self.encoding).code == 522 =>
                {
                    // vsftpd's force_local_data_ssl takes PROT C, then
                    // refuses every clear data connection with 522.
                    let reply = reply_from(&response, &self.encoding);
                    self.log.warning(&format!(
                        "The server refused an unencrypted data connection ({}); \
                         encrypting data again (PROT P)",
                        reply.one_line()
                    ));
                    self.expect("PROT P", |c| c == 200)?;
                    self.clear_data.store(false, Ordering::Relaxed);
                }
                // A session that died answering EPSV (vsftpd's "500 OOPS:")
                // did not refuse EPSV: it goes on to `fail` below.
                Err(FtpError::UnexpectedResponse(response))
                    if self.extended_passive
                        && !self.active
                        && !self.data_address_given.load(Ordering::Relaxed)
                        && !reply_from(&response, &self.encoding).ends_session() =>
                {
                    let reply = reply_from(&response, &self.encoding);
                    self.log.warning(&format!(
                        "The server refused EPSV ({}); using PASV",
                        reply.one_line()
                    ));
                    self.use_pasv();
                }
                Err(err) => return Err(self.fail(err)),
            }
        }
        Err(Error::Protocol(
            "could not open a data connection".to_string(),
        ))
    }

    /// Opens a data connection for an upload command (STOR, APPE) that
    /// will send `bytes`. Where commands may be sent together and the
    /// bytes fit in the sockets' buffers, the bytes go without waiting for
    /// the server's 150 (see [`pipeline`]): one round trip less a file.
    pub fn open_data_to_send(&mut self, command: &str, bytes: u64) -> Result<DataStream> {
        check_command_argument("the command", command)?;
        if self.pipeline.allowed && bytes <= SENT_UNCONFIRMED {
            self.direct_replies = None;
            return self.open_direct(command, 0, false);
        }
        self.open_data(command, 0)
    }

    /// Closes a finished data connection and checks the server's 226/250.
    pub fn finish_data(&mut self, stream: DataStream) -> Result<()> {
        self.finish_data_and_time(stream, None).map(drop)
    }

    /// Like [`Session::finish_data`], and asks for `time_of`'s modification
    /// time too: in the same round trip where the server allows (see
    /// [`pipeline`]). `Ok(None)` when the server gives no time.
    pub fn finish_data_and_time(
        &mut self,
        stream: DataStream,
        time_of: Option<&str>,
    ) -> Result<Option<chrono::NaiveDateTime>> {
        match stream {
            DataStream::Suppaftp(stream) => {
                self.exchange(1, |_| stream.finish())
                    .map_err(|e| self.fail(e))?;
                Ok(time_of.and_then(|path| self.modification_time(path).ok()))
            }
            DataStream::Direct(direct) => {
                let (time, replies) = self.finish_direct(direct, time_of)?;
                self.direct_replies = Some(replies);
                Ok(time)
            }
        }
    }

    /// The replies of the last transfer on a data connection of our own.
    pub(super) fn take_direct_replies(&mut self) -> Option<String> {
        self.direct_replies.take()
    }

    /// The session timeout: per reply, and per window of a data transfer.
    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    /// The speed limits its transfers follow.
    pub fn rate_limits(&self) -> &super::rate_limit::RateLimits {
        &self.rate_limits
    }

    /// The algorithm transfers are checked with, when they are to be and
    /// the server gives checksums (found out at the first, with `path`).
    pub fn verifying_with(&mut self, path: &str) -> Result<Option<super::hash::HashAlgorithm>> {
        if !self.verify {
            return Ok(None);
        }
        Ok(self
            .hash_method(path)?
            .map(super::hash::HashCommand::algorithm))
    }

    /// How this server gives checksums: the strongest FEAT lists, else
    /// the first of the usual commands it answers for `path`; said once
    /// when it has none.
    fn hash_method(&mut self, path: &str) -> Result<Option<super::hash::HashCommand>> {
        if let Some(method) = self.hash_method {
            return Ok(method);
        }
        let mut method = super::hash::offered(&self.info.features);
        if method.is_none() {
            // Asked of a file that is not there, so that finding out costs
            // no hash of a big file: "not there" (550) says the command is
            // known, "not understood" (500, 502, 504) that it is not.
            let probe = format!("{path}.ferry-probe-{}", std::process::id());
            for command in super::hash::TRIED {
                match self.path_command(command.verb(), &probe, |_| true) {
                    Ok(reply) if !matches!(reply.code, 500 | 502 | 504) => {
                        method = Some(command);
                        break;
                    }
                    Ok(_) => {}
                    Err(err) => return Err(err),
                }
            }
        }
        match method {
            Some(command) => self.log.detail(&format!(
                "Checksums: {} ({})",
                command.verb(),
                command.algorithm().name()
            )),
            None => self.log.warning(
                "The server offers no checksum command (HASH, XSHA256, XSHA1, XMD5, MD5, \
                 SITE MD5, XCRC): transfers cannot be checked against it",
            ),
        }
        self.hash_method = Some(method);
        Ok(method)
    }

    /// For a big download being verified: the server's checksum asked on
    /// a second login now, so the server hashes the file while this login
    /// moves it, instead of after. `None` when not verifying.
    pub fn early_remote_hash(
        &self,
        path: &str,
    ) -> Option<std::thread::JoinHandle<Result<Option<super::hash::FileHash>>>> {
        let options = self.verify_login.as_deref()?.clone();
        let log = self.log.clone();
        let path = path.to_string();
        std::thread::Builder::new()
            .name("ferry-early-hash".to_string())
            .spawn(move || {
                let mut second = Session::connect(&options, log, &mut |_| {})?;
                let hash = second.remote_hash(&path);
                second.quit();
                hash
            })
            .ok()
    }

    /// The server's checksum of `path`, or `None` when it gives none.
    pub fn remote_hash(&mut self, path: &str) -> Result<Option<super::hash::FileHash>> {
        let Some(command) = self.hash_method(path)? else {
            return Ok(None);
        };
        if let super::hash::HashCommand::Hash(algorithm) = command
            && !self.hash_chosen
        {
            self.expect(&format!("OPTS HASH {}", algorithm.name()), |c| c / 100 == 2)?;
            self.hash_chosen = true;
        }
        let reply = self.path_command(command.verb(), path, |c| c / 100 == 2)?;
        command
            .parse(reply.code, &reply.text)
            .map(Some)
            .ok_or_else(|| {
                Error::Protocol(format!(
                    "no {} checksum in the reply {:?}",
                    command.algorithm().name(),
                    reply.text
                ))
            })
    }

    /// Runs one control-connection exchange under its deadline: the
    /// session timeout for each of the `replies` it waits for, however the
    /// server spaces the bytes. Past it, the connection is shut down and
    /// the exchange fails with a timeout.
    fn exchange<T>(
        &mut self,
        replies: u32,
        call: impl FnOnce(&mut FtpClient) -> suppaftp::FtpResult<T>,
    ) -> suppaftp::FtpResult<T> {
        let result = within(&self.watchdog, self.timeout * replies, || {
            call(&mut self.ftp)
        });
        if matches!(&result, Err(FtpError::ConnectionError(e)) if e.kind() == std::io::ErrorKind::TimedOut)
        {
            self.broken = true;
        }
        result
    }

    /// Stops a transfer: closes its data connection, reads the server's one
    /// reply about it (426, 451 or 226: any is fine), then sends ABOR.
    ///
    /// The order matters. ABOR during a transfer earns one or two replies
    /// depending on the server (libunftp even sends 226 before 426), and a
    /// reply left unread would answer the next command. Closing the data
    /// connection first ends every transfer with exactly one reply; ABOR
    /// then finds no transfer and earns exactly one (225 or 226), telling
    /// servers that wait for it that we are done. A NOOP proves the control
    /// connection is in step; if it is not, the session is marked broken
    /// and the worker reconnects.
    pub fn abort_data(&mut self, stream: DataStream) {
        let stream = match stream {
            DataStream::Suppaftp(stream) => stream,
            DataStream::Direct(direct) => {
                if !self.end_direct_for_abort(direct) {
                    self.broken = true;
                    return;
                }
                return self.abort_and_check();
            }
        };
        match self.exchange(1, |_| stream.finish()) {
            Ok(()) => {}
            Err(FtpError::UnexpectedResponse(response)) => {
                let reply = reply_from(&response, &self.encoding);
                self.log.detail(&format!(
                    "The server ended the transfer: {}",
                    reply.one_line()
                ));
            }
            Err(err) => {
                self.log.warning(&format!(
                    "The server did not confirm the abort: {}",
                    describe_ftp_error(&err)
                ));
                self.broken = true;
                return;
            }
        }
        self.abort_and_check();
    }

    /// ABOR once the transfer has ended, then a NOOP to prove the replies
    /// are in step (see [`Session::abort_data`]).
    fn abort_and_check(&mut self) {
        match self.raw("ABOR") {
            Ok(reply) => self.log.detail(&format!("ABOR: {}", reply.one_line())),
            Err(_) => {
                self.broken = true;
                return;
            }
        }
        match self.raw("NOOP") {
            Ok(reply) if reply.code == 200 => {}
            _ => {
                self.log
                    .warning("The control connection is out of step after the abort; reconnecting");
                self.broken = true;
            }
        }
    }

    /// QUIT, politely; the connection closes either way.
    pub fn quit(mut self) {
        let _ = self.raw("QUIT");
    }

    /// Converts a suppaftp error and notes whether the session survived it.
    fn fail(&mut self, err: FtpError) -> Error {
        let err = classify(err, &self.refused);
        if err.ends_session() || matches!(err, Error::Protocol(_)) {
            self.broken = true;
        }
        err
    }
}

/// Data-connection settings; suppaftp's builders take the stream by value.
/// suppaftp calls the passive builder once the server's EPSV or PASV reply
/// named an address, and before it sends the transfer's command: it
/// raises `address_given` then, so a refusal can be put on the right step.
fn configure_data_connections(
    mut ftp: FtpClient,
    options: &ConnectOptions,
    address_given: Arc<AtomicBool>,
) -> FtpClient {
    ftp.set_passive_nat_workaround(!options.trust_pasv_address);
    let source = options.source_address;
    let timeout = options.timeout;
    let ftp = ftp.passive_stream_builder(move |addr: SocketAddr| {
        address_given.store(true, Ordering::Relaxed);
        if let Some(log) = debug_log::thread_sink() {
            log.detail(&format!("Opening data connection to {addr}"));
        }
        net::start_connect(addr, source, timeout).map_err(FtpError::ConnectionError)
    });
    match options.data_mode {
        DataMode::Passive => {
            let mut ftp = ftp;
            ftp.set_mode(Mode::ExtendedPassive);
            ftp
        }
        DataMode::Active => ftp.active_mode(timeout),
    }
}

/// Connects and reads the greeting (after the TLS handshake, for implicit
/// FTPS), within the timeout for each.
fn open_control(
    options: &ConnectOptions,
    addr: SocketAddr,
    connector: impl FnOnce() -> FtpsConnector,
    watchdog: &Watchdog,
) -> suppaftp::FtpResult<FtpClient> {
    let tcp = net::connect(addr, options.source_address, options.timeout)
        .map_err(FtpError::ConnectionError)?;
    watchdog.watch(&tcp);
    match options.security {
        Security::ImplicitTls => {
            // suppaftp's implicit-TLS connect opens a socket of its own:
            // it gets a loopback stand-in's address, and the connector
            // swaps in the real server's socket (FtpsConnector::with_control).
            let stand_in = std::net::TcpListener::bind((std::net::Ipv4Addr::LOCALHOST, 0))
                .and_then(|l| Ok((l.local_addr()?, l)))
                .map_err(FtpError::ConnectionError)?;
            let connector = connector().with_control(tcp);
            within(watchdog, options.timeout * 2, || {
                FtpClient::connect_secure_implicit(stand_in.0, connector, tls_host(&options.host))
            })
        }
        _ => within(watchdog, options.timeout, || {
            FtpClient::connect_with_stream(tcp)
        }),
    }
}

/// Runs `call` with the watchdog armed for `limit`: if the deadline passed
/// (and the socket was shut down), the result is a timeout whatever
/// `call` returned.
fn within<T>(
    watchdog: &Watchdog,
    limit: Duration,
    call: impl FnOnce() -> suppaftp::FtpResult<T>,
) -> suppaftp::FtpResult<T> {
    watchdog.arm(limit);
    let result = call();
    if watchdog.disarm() {
        return Err(FtpError::ConnectionError(std::io::Error::new(
            std::io::ErrorKind::TimedOut,
            format!(
                "the server did not complete its reply within {} s",
                limit.as_secs_f64()
            ),
        )));
    }
    result
}

/// Reads one FTP reply from `socket`: lines until one that starts with
/// the same three digits and a space. Lines are capped like suppaftp's;
/// the first byte may wait `patience` (default: the session timeout), and
/// the whole reply must arrive within the session timeout of its first
/// byte, however the server spaces the rest.
///
/// Nothing after the reply is taken from the socket (suppaftp reads the
/// next one through its own buffer): what has arrived is peeked at, and
/// only the bytes up to the reply's last line feed are read. Reading a
/// byte at a time did the same with a system call per byte — 176 of them
/// per file of a pipelined tree download.
fn read_plain_reply(
    mut socket: &std::net::TcpStream,
    timeout: Duration,
    patience: Option<Duration>,
    cancelled: &mut dyn FnMut() -> bool,
) -> Result<Vec<u8>> {
    const POLL: Duration = Duration::from_millis(200);
    let previous = socket.read_timeout().ok().flatten();
    let _ = socket.set_read_timeout(Some(POLL));
    let started = std::time::Instant::now();
    let mut reply = Vec::new();
    let mut line = Vec::new();
    let mut first_byte: Option<std::time::Instant> = None;
    let mut arrived = [0u8; 4096];
    let result = 'reading: loop {
        if first_byte.is_some_and(|first| first.elapsed() > timeout) {
            break Err(Error::Timeout(format!(
                "the server did not complete its reply within {} s",
                timeout.as_secs_f64()
            )));
        }
        match socket.peek(&mut arrived) {
            Ok(0) => {
                break Err(Error::Connection(
                    "the server closed the connection".to_string(),
                ));
            }
            Ok(count) => {
                first_byte.get_or_insert_with(std::time::Instant::now);
                // The bytes of this reply among those that arrived: all of
                // them, unless its last line ends among them.
                let mut ours = count;
                let mut done = false;
                for (at, &byte) in arrived[..count].iter().enumerate() {
                    line.push(byte);
                    if line.len() > MAX_REPLY_LINE {
                        break 'reading Err(Error::Protocol(format!(
                            "a reply line is longer than the {MAX_REPLY_LINE}-byte limit"
                        )));
                    }
                    if byte != b'\n' {
                        continue;
                    }
                    reply.extend_from_slice(&line);
                    let first = reply.get(..3).map(<[u8]>::to_vec).unwrap_or_default();
                    done = line.len() >= 4
                        && line[..3] == first[..]
                        && line[..3].iter().all(u8::is_ascii_digit)
                        && line[3] == b' ';
                    line.clear();
                    if done {
                        ours = at + 1;
                        break;
                    }
                }
                // They are in the socket's buffer already: this returns at once.
                if let Err(e) = socket.read_exact(&mut arrived[..ours]) {
                    break Err(net::io_error("the control connection", &e));
                }
                if done {
                    break Ok(reply);
                }
            }
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) =>
            {
                if cancelled() {
                    break Err(Error::Cancelled);
                }
                // After the first byte, the deadline above applies.
                if first_byte.is_none() && started.elapsed() > patience.unwrap_or(timeout) {
                    break Err(Error::Timeout("the server's reply".to_string()));
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => break Err(net::io_error("the control connection", &e)),
        }
    };
    let _ = socket.set_read_timeout(previous);
    result
}

/// The name TLS checks the certificate against (brackets off IPv6 literals).
fn tls_host(host: &str) -> &str {
    host.trim_start_matches('[').trim_end_matches(']')
}

trait SetEncoding {
    fn set_encoding_for(&mut self, encoding: FileNameEncoding);
}

impl SetEncoding for FtpClient {
    fn set_encoding_for(&mut self, encoding: FileNameEncoding) {
        match encoding {
            FileNameEncoding::Utf8 => self.set_encoding(super::encoding::Utf8Lossless),
            FileNameEncoding::Latin1 => self.set_encoding(Latin1),
            FileNameEncoding::Other(labelled) => self.set_encoding(labelled),
        }
    }
}

/// A reply with the code wanted, or the error its code says.
fn judged(reply: Reply, wanted: u16) -> Result<Reply> {
    match reply.code == wanted {
        true => Ok(reply),
        false => Err(Error::from_reply(reply.code, &reply.text)),
    }
}

/// The size in a SIZE reply ("213 1234").
fn parse_size(reply: &Reply) -> Result<u64> {
    reply
        .text
        .get(4..)
        .and_then(|t| t.trim().parse().ok())
        .ok_or_else(|| Error::Protocol(format!("cannot read a size from {:?}", reply.text)))
}

/// What SIZE and MDTM say of a file together: missing when both refuse
/// (SIZE with 550), a failure when either failed other than by refusing,
/// else what each told (a refusal: not told).
fn stat_from(size: Result<u64>, modified: Result<chrono::NaiveDateTime>) -> Result<FileStat> {
    match (size, modified) {
        (Err(missing @ Error::Permanent { code: 550, .. }), Err(Error::Permanent { .. })) => {
            Err(missing)
        }
        (Err(err), _) if !matches!(err, Error::Permanent { .. }) => Err(err),
        (_, Err(err)) if !matches!(err, Error::Permanent { .. }) => Err(err),
        (size, modified) => Ok(FileStat {
            size: size.ok(),
            modified: modified.ok(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reply_read_directly_takes_its_own_bytes_and_leaves_the_next_ones() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let client = std::net::TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let (mut server, _) = listener.accept().unwrap();
        // A multi-line reply longer than one peek, whose inner lines start
        // with other codes, then a reply and the start of a third, all in
        // one write; then the rest of the third in pieces.
        let mut long = b"211-Features:\r\n".to_vec();
        for n in 0..400 {
            long.extend_from_slice(
                format!(" 226 EXT{n}\r\n226 other code\r\n211-more\r\n").as_bytes(),
            );
        }
        long.extend_from_slice(b"211 End\r\n");
        let mut first_write = long.clone();
        first_write.extend_from_slice(b"200 Type set to I\r\n229 Entering Ext");
        server.write_all(&first_write).unwrap();
        let writer = std::thread::spawn(move || {
            for piece in [&b"ended Passive Mode"[..], b" (|||5000|)\r", b"\n150 Here"] {
                std::thread::sleep(Duration::from_millis(50));
                server.write_all(piece).unwrap();
            }
            server
        });
        let read = |client: &std::net::TcpStream| {
            read_plain_reply(client, Duration::from_secs(5), None, &mut || false).unwrap()
        };
        assert_eq!(read(&client), long);
        assert_eq!(read(&client), b"200 Type set to I\r\n");
        assert_eq!(
            read(&client),
            b"229 Entering Extended Passive Mode (|||5000|)\r\n"
        );
        let _server = writer.join().unwrap();
        // What follows the replies is still there for the next reader.
        let mut rest = [0u8; 8];
        (&client).read_exact(&mut rest).unwrap();
        assert_eq!(&rest, b"150 Here");
    }

    #[test]
    fn a_reply_read_directly_must_complete_within_the_timeout_of_its_first_byte() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let client = std::net::TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let (mut server, _) = listener.accept().unwrap();
        // A continuation line every 200 ms, for up to 20 s.
        let dripper = std::thread::spawn(move || {
            for _ in 0..100 {
                if server.write_all(b"226-still copying\r\n").is_err() {
                    return;
                }
                std::thread::sleep(Duration::from_millis(200));
            }
        });
        let started = std::time::Instant::now();
        let result = read_plain_reply(&client, Duration::from_secs(1), None, &mut || false);
        assert!(matches!(result, Err(Error::Timeout(_))), "{result:?}");
        assert!(started.elapsed() < Duration::from_secs(3));
        drop(client);
        dripper.join().unwrap();
    }
}
