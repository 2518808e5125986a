//! The worker thread behind a [`Connection`]: it owns the session, runs
//! requests one at a time and reports every outcome as an event.
//!
//! Callers never wait on it: `Connection::send` only queues a request.
//! Cancelling goes around the queue (a shared set of request ids polled
//! between buffers), so a transfer stops promptly even with requests behind it.

use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, AtomicU8, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::{self, JoinHandle};
use std::time::Duration;

use crossbeam_channel::{Receiver, Sender, unbounded};

use super::command::{Command, ConnectOptions, Request, RequestId};
use super::debug_log::{self, LogSink};
use super::error::{Error, Result};
use super::event::{ConnectionId, Event, EventKind, Outcome, Progress, SessionInfo, Unread};
use super::relay;
use super::remote::Remote;
use super::session::Session;
use super::ssh::{SftpOptions, SftpSession};
use super::transfer::{self, TransferObserver};

/// Request ids asked to stop.
#[derive(Default)]
struct CancelSet {
    ids: Mutex<HashSet<RequestId>>,
    /// Everything, queued, running or sent later: the handle is gone or
    /// is going, and nothing asked of this connection may still change a
    /// file (a running download stops before its rename).
    all: AtomicBool,
}

impl CancelSet {
    fn cancel(&self, id: RequestId) {
        if let Ok(mut ids) = self.ids.lock() {
            ids.insert(id);
        }
    }

    fn cancel_all(&self) {
        self.all.store(true, Ordering::Relaxed);
    }

    fn is_cancelled(&self, id: RequestId) -> bool {
        self.all.load(Ordering::Relaxed)
            || self
                .ids
                .lock()
                .map(|ids| ids.contains(&id))
                .unwrap_or(false)
    }

    fn forget(&self, id: RequestId) {
        if let Ok(mut ids) = self.ids.lock() {
            ids.remove(&id);
        }
    }
}

/// A handle on one FTP connection and its worker thread.
///
/// Dropping the handle cancels what is queued or running (a running
/// transfer aborts with ABOR and a download keeps its partial file, never
/// renamed into place; queued requests finish as cancelled without
/// running) and lets the worker say QUIT and end on its own; it never
/// waits for the network, so a GUI can drop a connection from its frame.
/// [`Connection::close`] does the same and waits.
pub struct Connection {
    id: ConnectionId,
    requests: Option<Sender<Request>>,
    next_request: AtomicU64,
    cancels: Arc<CancelSet>,
    debug_level: Arc<AtomicU8>,
    /// See [`Connection::ask_ahead`].
    ask_ahead: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Connection {
    /// Starts a worker whose events go to `events`, tagged with `id`.
    pub fn spawn(id: ConnectionId, events: Sender<Event>) -> Connection {
        let (requests, inbox) = unbounded();
        let cancels = Arc::new(CancelSet::default());
        let debug_level = Arc::new(AtomicU8::new(0));
        let ask_ahead = Arc::new(AtomicBool::new(false));
        let worker = Worker {
            ask_ahead: ask_ahead.clone(),
            id,
            inbox,
            events: events.clone(),
            cancels: cancels.clone(),
            log: LogSink::new(id, events, debug_level.clone()),
            session: None,
            reconnect_with: None,
            cwd: None,
            partner: Side::default(),
            on_partner: false,
        };
        let thread = thread::Builder::new()
            .name(format!("ferry-connection-{id}"))
            .spawn(move || worker.run())
            .ok();
        Connection {
            id,
            requests: Some(requests),
            next_request: AtomicU64::new(1),
            cancels,
            debug_level,
            ask_ahead,
            thread,
        }
    }

    /// A connection with its own event channel, for callers with just one.
    pub fn open() -> (Connection, Receiver<Event>) {
        let (tx, rx) = unbounded();
        (Connection::spawn(0, tx), rx)
    }

    pub fn id(&self) -> ConnectionId {
        self.id
    }

    /// Queues a command; its outcome arrives as `Finished` with the returned id.
    pub fn send(&self, command: Command) -> RequestId {
        let id = self.next_request.fetch_add(1, Ordering::Relaxed);
        if let Some(requests) = &self.requests {
            let _ = requests.send(Request { id, command });
        }
        id
    }

    /// Stops a request: a running transfer is aborted (ABOR), a queued one
    /// finishes as cancelled without running.
    pub fn cancel(&self, id: RequestId) {
        self.cancels.cancel(id);
    }

    /// Tells the worker to finish without waiting for it: what runs aborts,
    /// what is queued finishes as cancelled, then it says QUIT. Owners
    /// letting go of several connections hang up on all of them first, so
    /// they all stop at once and their QUITs go out together, then wait.
    pub(crate) fn hang_up(&mut self) {
        self.cancels.cancel_all();
        self.requests = None;
    }

    /// For a connection that runs one transfer after another (a queue's):
    /// after each download or listing, ask for the next data connection's
    /// address in the same round trip (see `session::pipeline`). Not for
    /// browsing, where the next request may never come and the server
    /// would hold a listener for nothing. Takes effect at the next login.
    pub fn ask_ahead(&self) {
        self.ask_ahead.store(true, Ordering::Relaxed);
    }

    /// Debug level 0, 1 or 2, effective at once (like ftplib's `set_debuglevel`).
    pub fn set_debug_level(&self, level: u8) {
        self.debug_level.store(level.min(2), Ordering::Relaxed);
    }
}

impl Connection {
    /// Like dropping, but waits until the worker has said QUIT and ended.
    pub fn close(mut self) {
        self.cancels.cancel_all();
        self.requests = None;
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for Connection {
    fn drop(&mut self) {
        self.cancels.cancel_all();
        // Closing the queue tells the worker to finish.
        self.requests = None;
    }
}

struct Worker {
    id: ConnectionId,
    ask_ahead: Arc<AtomicBool>,
    inbox: Receiver<Request>,
    events: Sender<Event>,
    cancels: Arc<CancelSet>,
    log: LogSink,
    session: Option<Box<dyn Remote>>,
    /// Options of the last successful login, kept so a session that broke
    /// (dropped connection, 421, an abort that left it out of step) is
    /// replaced on the next request instead of failing it.
    reconnect_with: Option<ConnectOptions>,
    /// Working folder to restore after a reconnect.
    cwd: Option<String>,
    /// The second session, target of server-to-server copies.
    partner: Side,
    /// The partner's state is in the fields above for the moment.
    on_partner: bool,
}

/// Whether `command` only asks (a listing, a folder, a size): sent again
/// after a lost connection, it cannot do anything twice. A listing in
/// parts is not: its first parts may have gone out already.
fn asks_only(command: &Command) -> bool {
    matches!(
        command,
        Command::Pwd
            | Command::Cwd(_)
            | Command::Cdup
            | Command::List(_)
            | Command::NameList(_)
            | Command::Size(_)
            | Command::ModificationTime(_)
            | Command::Stat(_)
            | Command::Resolve(_)
            | Command::KeepAlive
    )
}

/// The state of the session that is not in use at the moment.
#[derive(Default)]
struct Side {
    session: Option<Box<dyn Remote>>,
    reconnect_with: Option<ConnectOptions>,
    cwd: Option<String>,
}

impl Worker {
    fn run(mut self) {
        debug_log::install_thread_sink(self.log.clone());
        while let Ok(request) = self.inbox.recv() {
            let mut result = if self.cancels.is_cancelled(request.id) {
                Err(Error::Cancelled)
            } else {
                self.handle_guarded(&request)
            };
            // A login the server dropped while idle (its idle timeout, a
            // NAT forgetting the connection) is found by the next request:
            // a question that changes nothing is asked again on a new
            // login, in the same folder, instead of failing.
            // Only a connection that broke: a server too slow to answer
            // (a timeout) is not asked everything twice.
            if matches!(result, Err(Error::Connection(_)))
                && asks_only(&request.command)
                && self.reconnect_with.is_some()
                && !self.on_partner
                && !self.cancels.is_cancelled(request.id)
            {
                self.drop_broken_session();
                if self.session.is_none() {
                    let again = self.handle_guarded(&request);
                    // The server's own answer on the new login stands; a
                    // login that failed too leaves the first error.
                    if !matches!(again, Err(Error::Connection(_) | Error::Timeout(_))) {
                        result = again;
                    }
                }
            }
            self.cancels.forget(request.id);
            match &result {
                Err(Error::Cancelled) | Ok(_) => {}
                // "Is it there?" answered "no" is news, not an error.
                Err(err @ Error::Permanent { .. }) if asks_whether_it_exists(&request.command) => {
                    self.log.detail(&format!("Not there: {err}"));
                }
                Err(err) => self.log.error(&err.to_string()),
            }
            self.emit(EventKind::Finished {
                request: request.id,
                result,
            });
            self.drop_broken_session();
        }
        for session in [self.session.take(), self.partner.session.take()]
            .into_iter()
            .flatten()
        {
            session.quit();
        }
    }

    /// Runs a request; a panic (a bug of ours or of a library, never a
    /// server's doing) fails that request instead of leaving it without
    /// an answer, and the sessions start over, since one may have been
    /// half way through an exchange. The window and the queue go on.
    fn handle_guarded(&mut self, request: &Request) -> Result<Outcome> {
        self.guarded(|worker| worker.handle(request))
    }

    fn guarded(&mut self, work: impl FnOnce(&mut Worker) -> Result<Outcome>) -> Result<Outcome> {
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| work(self)));
        outcome.unwrap_or_else(|panic| {
            if self.on_partner {
                self.swap_sides();
            }
            self.session = None;
            self.partner.session = None;
            let what = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "a panic".to_string());
            Err(Error::Protocol(format!(
                "internal error in Ferry ({what}); the connection starts over. Please report this."
            )))
        })
    }

    fn emit(&self, kind: EventKind) {
        // The caller follows one session per connection: the partner's
        // comings and goings would read as this one's.
        if self.on_partner
            && matches!(
                kind,
                EventKind::Connected(_) | EventKind::Disconnected { .. } | EventKind::Welcome(_)
            )
        {
            return;
        }
        let _ = self.events.send(Event {
            connection: self.id,
            kind,
        });
    }

    /// A session whose control connection broke is closed and reported, so
    /// the caller knows to reconnect instead of getting stale replies.
    /// A server that insists on TLS session reuse (proftpd's default,
    /// vsftpd's require_ssl_reuse) refuses an upload's data connection once
    /// the TLS 1.3 tickets are used up, and an upload cannot collect new
    /// ones from servers that only send them when writing. TLS 1.2
    /// sessions resume any number of times: log in again with TLS 1.2 for
    /// the rest of this connection's life.
    fn fall_back_to_tls12_if_refused(&mut self, err: &Error) {
        let refused = matches!(
            err,
            Error::Temporary { code: 425, .. } | Error::Permanent { code: 522, .. }
        );
        let on_tls13 = self
            .session
            .as_ref()
            .and_then(|s| s.info().tls_details.as_deref())
            .is_some_and(|d| d.starts_with("TLS 1.3"));
        let Some(options) = self.reconnect_with.as_mut() else {
            return;
        };
        if refused && on_tls13 && options.tls.versions == crate::engine::TlsVersions::Both {
            options.tls.versions = crate::engine::TlsVersions::Only12;
            self.log.warning(
                "The server refused to resume the TLS 1.3 session for an upload; \
                 logging in again with TLS 1.2, whose sessions resume for every transfer",
            );
            if let Some(session) = self.session.take() {
                session.quit();
            }
        }
    }

    fn drop_broken_session(&mut self) {
        if self.session.as_ref().is_some_and(|s| s.is_broken()) {
            self.session = None;
            self.log.warning("The connection was lost");
            self.emit(EventKind::Disconnected {
                reason: Some(Error::Connection("the connection was lost".to_string())),
            });
        }
    }

    /// The live session, reconnecting first if the last one broke.
    fn session(&mut self) -> Result<&mut (dyn Remote + 'static)> {
        if self.session.is_none()
            && let Some(options) = self.reconnect_with.clone()
        {
            self.log.status("Reconnecting…");
            self.open_session(&options)?;
            if let Some(cwd) = self.cwd.clone()
                && let Some(session) = self.session.as_mut()
                && let Err(err) = session.cwd(&cwd)
            {
                self.log.warning(&format!(
                    "Could not return to {cwd} after reconnecting: {err}"
                ));
            }
        }
        self.session.as_deref_mut().ok_or(Error::NotConnected)
    }

    /// The FTP session, for what only FTP can do (`what`, for the refusal).
    fn ftp_session(&mut self, what: &str) -> Result<&mut Session> {
        self.session()?
            .ftp()
            .ok_or_else(|| Error::InvalidInput(format!("{what}: only over FTP, not SFTP")))
    }

    /// Runs `work` with the partner's session in place of this one's.
    fn on_partner<R>(&mut self, work: impl FnOnce(&mut Worker) -> R) -> R {
        self.swap_sides();
        let result = work(self);
        if self.session.as_ref().is_some_and(|s| s.is_broken()) {
            self.session = None;
            self.log
                .warning("The connection to the other server was lost; it will reconnect");
        }
        self.swap_sides();
        result
    }

    fn swap_sides(&mut self) {
        std::mem::swap(&mut self.session, &mut self.partner.session);
        std::mem::swap(&mut self.reconnect_with, &mut self.partner.reconnect_with);
        std::mem::swap(&mut self.cwd, &mut self.partner.cwd);
        self.on_partner = !self.on_partner;
    }

    fn copy(&mut self, request: RequestId, command: &Command) -> Result<Outcome> {
        let Command::Copy {
            source,
            target,
            resume,
            size,
            fxp,
        } = command
        else {
            return Err(Error::InvalidInput("not a copy".to_string()));
        };
        let mut observer = self.observer(request);
        let mut other = self.on_partner(|w| {
            w.session()?;
            w.session.take().ok_or(Error::NotConnected)
        })?;
        let job = relay::CopyJob {
            source,
            target,
            resume: *resume,
            listed_size: *size,
            fxp: *fxp,
        };
        let result = self
            .session()
            .and_then(|from| match (from.ftp(), other.ftp()) {
                (Some(from), Some(to)) => relay::copy(from, to, request, &job, &mut observer),
                _ => Err(Error::InvalidInput(
                    "a copy between servers needs FTP on both sides for now".to_string(),
                )),
            });
        self.on_partner(|w| w.session = Some(other));
        result.map(Outcome::Transferred)
    }

    fn handle(&mut self, request: &Request) -> Result<Outcome> {
        match &request.command {
            Command::Partner(inner) => {
                if self.on_partner || matches!(**inner, Command::Partner(_) | Command::Copy { .. })
                {
                    return Err(Error::InvalidInput(
                        "a partner has no partner of its own".to_string(),
                    ));
                }
                let inner = Request {
                    id: request.id,
                    command: (**inner).clone(),
                };
                self.on_partner(|w| w.handle(&inner))
            }
            copy @ Command::Copy { .. } => self.copy(request.id, copy),
            Command::AsType(kind, inner) => {
                if !matches!(**inner, Command::Download { .. } | Command::Upload { .. }) {
                    return Err(Error::InvalidInput(
                        "a transfer type applies to a download or an upload".to_string(),
                    ));
                }
                match self.session()?.ftp() {
                    Some(ftp) if ftp.transfer_type() != *kind => ftp.set_transfer_type(*kind)?,
                    Some(_) => {}
                    // SFTP moves bytes as they are: a text file goes as binary.
                    None => {}
                }
                let inner = Request {
                    id: request.id,
                    command: (**inner).clone(),
                };
                self.handle(&inner)
            }
            Command::Connect(options) => self.connect(options),
            Command::Disconnect => {
                self.reconnect_with = None;
                self.cwd = None;
                if let Some(session) = self.session.take() {
                    session.quit();
                    self.log.status("Disconnected");
                    self.emit(EventKind::Disconnected { reason: None });
                }
                Ok(Outcome::Done)
            }
            Command::Pwd => self.session()?.pwd().map(Outcome::Path),
            Command::Cwd(path) => {
                let cwd = self.session()?.cwd(path)?;
                self.cwd = Some(cwd.clone());
                Ok(Outcome::Path(cwd))
            }
            Command::Cdup => {
                let cwd = self.session()?.cdup()?;
                self.cwd = Some(cwd.clone());
                Ok(Outcome::Path(cwd))
            }
            Command::List(path) => self.session()?.list(path.as_deref()).map(Outcome::Listing),
            Command::ListInParts(path) => {
                let (events, connection, request) = (self.events.clone(), self.id, request.id);
                let unread = Unread::default();
                let mut part = |entries| {
                    wait_for_reader(&unread);
                    let unread = unread.clone();
                    let kind = EventKind::ListingPart {
                        request,
                        entries,
                        unread,
                    };
                    let _ = events.send(Event { connection, kind });
                };
                self.session()?
                    .list_in_parts(path.as_deref(), &mut part)
                    .map(Outcome::Listing)
            }
            Command::NameList(path) => self
                .session()?
                .name_list(path.as_deref())
                .map(Outcome::Names),
            Command::Mkdir(path) => self.session()?.mkdir(path).map(|()| Outcome::Done),
            Command::Rmdir(path) => self.session()?.rmdir(path).map(|()| Outcome::Done),
            Command::DeleteTree(path) => {
                let session = self.session()?;
                super::tree::delete_tree(session, path).map(|_| Outcome::Done)
            }
            Command::Delete(path) => self.session()?.delete(path).map(|()| Outcome::Done),
            Command::Rename { from, to } => {
                self.session()?.rename(from, to).map(|()| Outcome::Done)
            }
            Command::Size(path) => self.session()?.size(path).map(Outcome::Size),
            Command::ModificationTime(path) => self
                .session()?
                .modification_time(path)
                .map(Outcome::ModificationTime),
            Command::Chmod { path, mode } => {
                self.session()?.chmod(path, mode).map(|()| Outcome::Done)
            }
            Command::Stat(path) => self.session()?.stat(path).map(Outcome::Stat),
            Command::Resolve(path) => self.session()?.resolve_folder(path).map(Outcome::Path),
            Command::SetModificationTime { path, time } => self
                .session()?
                .set_modification_time(path, *time)
                .map(|()| Outcome::Done),
            Command::Raw(line) => self
                .ftp_session("raw commands")?
                .raw(line)
                .map(Outcome::Reply),
            // SFTP servers give no checksums Ferry asks for (yet): none.
            Command::Hash(path) => match self.session()?.ftp() {
                Some(ftp) => ftp.remote_hash(path).map(Outcome::Hash),
                None => Ok(Outcome::Hash(None)),
            },
            Command::SameFile { remote, local } => {
                let there = match self.session()?.ftp() {
                    Some(ftp) => ftp.remote_hash(remote)?,
                    None => None,
                };
                let Some(there) = there else {
                    return Ok(Outcome::Same(None));
                };
                let here = super::hash::of_file(local, there.algorithm)
                    .map_err(|e| Error::local(local, &e))?;
                Ok(Outcome::Same(Some(here == there)))
            }
            Command::KeepAlive => self.session()?.keep_alive().map(|()| Outcome::Done),
            Command::SetTransferType(kind) => match self.session()?.ftp() {
                Some(ftp) => ftp.set_transfer_type(*kind).map(|()| Outcome::Done),
                None => Ok(Outcome::Done),
            },
            Command::Download {
                remote,
                local,
                resume,
                size,
                fetch_time,
            } => {
                let mut observer = self.observer(request.id);
                let session = self.session()?;
                let target = transfer::DownloadTarget {
                    remote,
                    local,
                    resume: *resume,
                    listed_size: *size,
                    fetch_time: *fetch_time,
                };
                session
                    .download(request.id, &target, &mut observer)
                    .map(Outcome::Transferred)
            }
            Command::Upload {
                local,
                remote,
                resume,
            } => {
                let mut observer = self.observer(request.id);
                let session = self.session()?;
                let result = session
                    .upload(request.id, local, remote, *resume, &mut observer)
                    .map(Outcome::Transferred);
                if let Err(err) = &result {
                    self.fall_back_to_tls12_if_refused(err);
                }
                result
            }
        }
    }

    fn connect(&mut self, options: &ConnectOptions) -> Result<Outcome> {
        if let Some(old) = self.session.take() {
            old.quit();
        }
        self.reconnect_with = None;
        self.cwd = None;
        let info = self.open_session(options)?;
        self.reconnect_with = Some(options.clone());
        Ok(Outcome::Connected(info))
    }

    fn open_session(&mut self, options: &ConnectOptions) -> Result<SessionInfo> {
        let events = self.events.clone();
        let id = self.id;
        let mut on_welcome = |text: &str| {
            let _ = events.send(Event {
                connection: id,
                kind: EventKind::Welcome(text.to_string()),
            });
        };
        let mut session: Box<dyn Remote> = match options.security {
            super::Security::Sftp => Box::new(SftpSession::connect(
                &SftpOptions::from_connect(options),
                self.log.clone(),
            )?),
            _ => Box::new(Session::connect(
                options,
                self.log.clone(),
                &mut on_welcome,
            )?),
        };
        session.ask_ahead(self.ask_ahead.load(Ordering::Relaxed));
        let info = session.info().clone();
        self.session = Some(session);
        self.emit(EventKind::Connected(info.clone()));
        Ok(info)
    }

    fn observer(&self, request: RequestId) -> WorkerObserver {
        WorkerObserver {
            request,
            connection: self.id,
            events: self.events.clone(),
            cancels: self.cancels.clone(),
        }
    }
}

/// Commands whose 5xx reply means "no such file", which callers expect.
fn asks_whether_it_exists(command: &Command) -> bool {
    match command {
        Command::Stat(_)
        | Command::Size(_)
        | Command::ModificationTime(_)
        | Command::Resolve(_) => true,
        Command::Partner(inner) => asks_whether_it_exists(inner),
        _ => false,
    }
}

/// Forwards a transfer's progress as events and reads its cancel flag.
/// Listing parts read ahead of the reader at most (4 096 entries).
const PARTS_AHEAD: usize = 4;

/// Waits while the reader holds [`PARTS_AHEAD`] parts, for at most a
/// second each time: a reader that keeps every event (a test's log of
/// them) slows the listing down, never stops it.
fn wait_for_reader(unread: &Unread) {
    let started = std::time::Instant::now();
    while unread.parts_held() >= PARTS_AHEAD && started.elapsed() < Duration::from_secs(1) {
        thread::sleep(Duration::from_millis(1));
    }
}

struct WorkerObserver {
    request: RequestId,
    connection: ConnectionId,
    events: Sender<Event>,
    cancels: Arc<CancelSet>,
}

impl TransferObserver for WorkerObserver {
    fn progress(&mut self, progress: Progress) {
        let _ = self.events.send(Event {
            connection: self.connection,
            kind: EventKind::Progress(progress),
        });
    }

    fn cancelled(&mut self) -> bool {
        self.cancels.is_cancelled(self.request)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn worker() -> Worker {
        let (_, inbox) = unbounded();
        let (events, _) = unbounded();
        Worker {
            id: 1,
            ask_ahead: Arc::default(),
            inbox,
            events: events.clone(),
            cancels: Arc::default(),
            log: LogSink::new(1, events, Arc::new(AtomicU8::new(0))),
            session: None,
            reconnect_with: None,
            cwd: None,
            partner: Side::default(),
            on_partner: false,
        }
    }

    #[test]
    fn a_panic_fails_the_request_and_puts_the_sides_back() {
        let mut worker = worker();
        worker.cwd = Some("/mine".to_string());
        worker.partner.cwd = Some("/partner".to_string());
        // A panic while the partner's session is in place (as in a copy).
        let result = worker.guarded(|w| w.on_partner(|_| panic!("boom")));
        let Err(Error::Protocol(message)) = result else {
            panic!("{result:?}")
        };
        assert!(message.contains("internal error") && message.contains("boom"));
        assert!(!worker.on_partner);
        assert_eq!(worker.cwd.as_deref(), Some("/mine"));
        assert_eq!(worker.partner.cwd.as_deref(), Some("/partner"));
        // The worker still answers.
        let result = worker.guarded(|_| Ok(Outcome::Done));
        assert!(matches!(result, Ok(Outcome::Done)));
    }
}
