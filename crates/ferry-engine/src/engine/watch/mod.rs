//! Keeping a server folder up to date with a local one ("watch"): the
//! local folder is first mirrored to the server with a mirror's rules
//! (nothing deleted on doubt), then every change the system reports is
//! sent as it settles: files written go through a transfer queue that
//! stays logged in, folders that appear are mirrored, and with `delete`
//! what is renamed or deleted here is renamed or deleted there.
//!
//! When the server cannot be reached, nothing is lost: the changes are
//! not replayed one by one but the whole folder is mirrored again once
//! the server answers (with back-off), which covers everything that
//! happened meanwhile, as do lost system events (an overflow).

pub mod local_events;
mod remote;
mod settle;

use std::path::{Component, Path, PathBuf};
use std::thread;
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, Sender, never, select, unbounded};

use super::command::{Command, ConnectOptions};
use super::error::{Error, Result};
use super::event::{LogKind, LogLevel, LogLine};
use super::names::remote_join;
use super::queue::{
    Direction, ExistsPolicy, ItemState, NamePattern, QueueEvent, QueueOptions, TransferQueue,
    TransferSpec,
};
use local_events::{LocalEvents, Touch};
use remote::Remote;
use settle::{Batch, Settle};

/// What a watch leaves out unless told otherwise: version control, build
/// dependencies and editors' swap and backup files.
pub const DEFAULT_EXCLUDES: &[&str] = &[".git/", "node_modules/", "*.swp", "*.swx", "*~", ".#*"];

/// How long a burst of changes must be quiet before it is sent.
pub const DEFAULT_QUIET: Duration = Duration::from_millis(100);
/// The longest a change waits while its folder keeps changing.
const LONGEST_WAIT: Duration = Duration::from_secs(2);
/// The first wait before mirroring again after the server did not
/// answer; doubled each time up to [`MAX_RETRY_WAIT`].
const FIRST_RETRY_WAIT: Duration = Duration::from_secs(1);
const MAX_RETRY_WAIT: Duration = Duration::from_secs(60);

/// What to keep up to date, and how.
#[derive(Debug, Clone)]
pub struct WatchOptions {
    pub local: PathBuf,
    /// The server's folder ("" for the login folder).
    pub remote: String,
    /// Delete and rename on the server what is deleted and renamed here
    /// (and delete what only the server has, at each full mirror, with
    /// the mirror's limits: `queue.max_delete`, `queue.force_delete`).
    pub delete: bool,
    /// Connections, retries, times, debug level and the name filter.
    pub queue: QueueOptions,
    /// How long a burst must be quiet before it is sent.
    pub quiet: Duration,
    /// The watch's queue items take ids from `first_item_id` on (see
    /// [`from_mirror`]), so a window can show them beside its own
    /// queues' without two items sharing an id: 2^40 ids are used.
    pub first_item_id: u64,
}

/// What a watch reports.
#[derive(Debug, Clone)]
pub enum WatchEvent {
    /// From a queue sending files: the first mirror, each change, each
    /// mirror again. Item ids never repeat across them.
    Queue(QueueEvent),
    /// The server's folder was compared with the local one and brought
    /// in step; changes are watched from here on.
    InStep { again: bool },
    /// What the watch did or noticed itself ("renamed a to b", "deleted
    /// c", changes missed): for every user to see.
    Said(LogLine),
    /// A line of the log of the connection that renames and deletes.
    Log(LogLine),
    /// A change could not be sent because the server could not be
    /// reached; the folder is mirrored again once it answers.
    Behind(Error),
    /// Watching ended: asked to stop (`None`), or the local folder could
    /// no longer be watched.
    Ended(Option<Error>),
}

/// A running watch; dropping it stops it (and waits for it).
pub struct KeepUpToDate {
    stop: Option<Sender<()>>,
    thread: Option<thread::JoinHandle<()>>,
}

impl KeepUpToDate {
    /// Starts watching `options.local` (refused at once when it cannot
    /// be watched) and mirroring it to the server `connect` names.
    pub fn start(
        connect: ConnectOptions,
        options: WatchOptions,
    ) -> Result<(KeepUpToDate, Receiver<WatchEvent>)> {
        let root = options
            .local
            .canonicalize()
            .map_err(|e| Error::local(&options.local, &e))?;
        if !root.is_dir() {
            return Err(Error::LocalIo {
                path: options.local.display().to_string(),
                message: "is not a folder".to_string(),
            });
        }
        // Watching starts before the first mirror, so nothing changed
        // while it runs is missed.
        let local = LocalEvents::watch(&root)?;
        let (stop, stopped) = unbounded();
        let (news, events) = unbounded();
        let watch = Watch {
            remote: Remote::new(connect.clone(), options.queue.debug_level),
            connect,
            root,
            options,
            news,
            changes: None,
            changes_busy: false,
            mirrors: 0,
        };
        let thread = thread::Builder::new()
            .name("ferry-watch".to_string())
            .spawn(move || watch.run(local, stopped))
            .map_err(|err| Error::LocalIo {
                path: "<thread>".to_string(),
                message: err.to_string(),
            })?;
        Ok((
            KeepUpToDate {
                stop: Some(stop),
                thread: Some(thread),
            },
            events,
        ))
    }

    /// Asks the watch to end once the files being sent are sent (no
    /// further change is taken, no mirror goes on); `Ended` follows.
    /// Dropping the handle (or [`KeepUpToDate::stop`]) ends it at once.
    pub fn finish(&self) {
        if let Some(stop) = &self.stop {
            let _ = stop.send(());
        }
    }

    /// Stops watching at once: what is being sent is stopped as a queue
    /// stops (an upload under way ends where it is), and the connections
    /// say QUIT.
    pub fn stop(mut self) {
        self.end_now();
    }

    fn end_now(&mut self) {
        self.stop.take();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for KeepUpToDate {
    fn drop(&mut self) {
        self.end_now();
    }
}

/// Item ids, from the watch's first: the queue that sends single files
/// starts at [`CHANGE_IDS`] above it, each mirror at its number (1 to
/// [`MIRROR_SLOTS`], then again from 1) times [`MIRROR_IDS`].
const CHANGE_IDS: u64 = 1 << 39;
const MIRROR_IDS: u64 = 1 << 32;
const MIRROR_SLOTS: u64 = 127;

struct Watch {
    connect: ConnectOptions,
    root: PathBuf,
    options: WatchOptions,
    news: Sender<WatchEvent>,
    remote: Remote,
    /// The queue that sends written files, started at the first.
    changes: Option<(TransferQueue, Receiver<QueueEvent>)>,
    /// Whether that queue has files to send (since its last `Idle`).
    changes_busy: bool,
    mirrors: u64,
}

/// What became of a batch that reached the server.
enum Sent {
    All,
    /// Left to a mirror of everything (too many deletions at once).
    MirrorNeeded,
}

/// How a mirror ended.
enum Mirrored {
    InStep,
    /// The server could not be reached, or some files could not be sent
    /// for a passing reason.
    NotReached(Error),
    Stopped,
}

impl Watch {
    fn run(mut self, local: LocalEvents, stop: Receiver<()>) {
        let mut settle = Settle::new(self.options.quiet, LONGEST_WAIT);
        let mut mirror_due = Some(Instant::now());
        let mut retry_wait = FIRST_RETRY_WAIT;
        let mut mirrored_once = false;
        let ended = loop {
            if mirror_due.is_some_and(|when| when <= Instant::now()) {
                let spec = self.spec(PathBuf::new());
                match self.mirror(spec, self.options.delete, &stop) {
                    Mirrored::InStep => {
                        let _ = self.news.send(WatchEvent::InStep {
                            again: mirrored_once,
                        });
                        mirrored_once = true;
                        mirror_due = None;
                        retry_wait = FIRST_RETRY_WAIT;
                    }
                    Mirrored::NotReached(err) => {
                        let _ = self.news.send(WatchEvent::Behind(err));
                        mirror_due = Some(Instant::now() + retry_wait);
                        retry_wait = (retry_wait * 2).min(MAX_RETRY_WAIT);
                    }
                    Mirrored::Stopped => break None,
                }
            }
            let wake = [settle.due(), mirror_due].into_iter().flatten().min();
            let timeout = match wake {
                Some(when) => crossbeam_channel::at(when),
                None => never(),
            };
            let queue_events = match &self.changes {
                Some((_, events)) => events.clone(),
                None => never(),
            };
            select! {
                recv(stop) -> asked => {
                    if asked.is_ok() {
                        self.send_what_is_under_way(&stop);
                    }
                    break None;
                }
                recv(local.touches) -> touch => match touch {
                    Ok(touch) => {
                        if let Some(touch) = self.relative(touch) {
                            settle.add(touch, Instant::now());
                        }
                    }
                    Err(_) => break Some(Error::LocalIo {
                        path: self.root.display().to_string(),
                        message: "the system stopped reporting changes".to_string(),
                    }),
                },
                recv(queue_events) -> event => {
                    if let Ok(event) = event {
                        self.forward_change(event, &mut mirror_due);
                    }
                }
                recv(timeout) -> _ => {}
            }
            if !self.root.is_dir() {
                // The folder itself went (deleted, unmounted): that is no
                // reason to empty the server's; the watch ends.
                break Some(Error::LocalIo {
                    path: self.root.display().to_string(),
                    message: "the watched folder is gone; nothing was deleted on the server"
                        .to_string(),
                });
            }
            if let Some(batch) = settle.take(Instant::now()) {
                if batch.rescan && mirror_due.is_none() {
                    self.log(
                        LogKind::Warning,
                        "changes were missed; comparing everything again",
                    );
                    mirror_due = Some(Instant::now());
                }
                // While behind, the next mirror covers every change.
                if mirror_due.is_none() {
                    match self.apply(batch, &stop) {
                        Ok(Sent::All) => {}
                        Ok(Sent::MirrorNeeded) => mirror_due = Some(Instant::now()),
                        Err(err) => {
                            let _ = self.news.send(WatchEvent::Behind(err));
                            mirror_due = Some(Instant::now() + retry_wait);
                        }
                    }
                }
            }
        };
        if let Some((queue, _)) = self.changes.take() {
            queue.shut_down();
        }
        self.remote.close();
        let _ = self.news.send(WatchEvent::Ended(ended));
    }

    /// Waits until the change queue has sent what it has (or the handle
    /// goes), passing its events on.
    fn send_what_is_under_way(&mut self, stop: &Receiver<()>) {
        let Some((_, events)) = &self.changes else {
            return;
        };
        let events = events.clone();
        while self.changes_busy {
            select! {
                recv(stop) -> asked => if asked.is_err() { return },
                recv(events) -> event => match event {
                    Ok(event) => self.forward_change(event, &mut None),
                    Err(_) => return,
                },
            }
        }
    }

    /// A queue event of the change queue, passed on; a file that could
    /// not be sent for a passing reason (after the queue's own retries)
    /// makes a mirror due.
    fn forward_change(&mut self, event: QueueEvent, mirror_due: &mut Option<Instant>) {
        let unreached = match &event {
            QueueEvent::State {
                state: ItemState::Failed(err),
                ..
            } if crate::engine::queue::is_passing(err) => Some(err.clone()),
            QueueEvent::ConnectFailed(err) => Some(err.clone()),
            QueueEvent::Idle(_) => {
                self.changes_busy = false;
                None
            }
            _ => None,
        };
        let _ = self.news.send(WatchEvent::Queue(event));
        if let Some(err) = unreached
            && mirror_due.is_none()
        {
            let _ = self.news.send(WatchEvent::Behind(err));
            *mirror_due = Some(Instant::now() + FIRST_RETRY_WAIT);
        }
    }

    /// A touch in terms of paths below the root; `None` for the root
    /// itself, for what lies outside it and for what the filter leaves
    /// out.
    fn relative(&self, touch: Touch) -> Option<Touch> {
        let rel = |path: &Path| -> Option<PathBuf> {
            let rel = path.strip_prefix(&self.root).ok()?;
            if rel.as_os_str().is_empty() || self.left_out(rel) {
                return None;
            }
            Some(rel.to_path_buf())
        };
        match touch {
            Touch::Changed(path) => rel(&path).map(Touch::Changed),
            Touch::Removed(path) => rel(&path).map(Touch::Removed),
            Touch::Renamed { from, to } => match (rel(&from), rel(&to)) {
                (Some(from), Some(to)) => Some(Touch::Renamed { from, to }),
                // Renamed out of sight (or from it): gone, or new.
                (Some(from), None) => Some(Touch::Removed(from)),
                (None, Some(to)) => Some(Touch::Changed(to)),
                (None, None) => None,
            },
            Touch::Rescan => Some(Touch::Rescan),
        }
    }

    /// Whether the filter leaves `rel` out: the path itself, or any
    /// folder above it.
    fn left_out(&self, rel: &Path) -> bool {
        let filter = &self.options.queue.filter;
        let parts: Vec<String> = rel
            .components()
            .map(|c| c.as_os_str().to_string_lossy().into_owned())
            .collect();
        let here = std::fs::metadata(self.root.join(rel)).ok();
        (1..=parts.len()).any(|n| {
            let path = parts[..n].join("/");
            match (n < parts.len(), &here) {
                (true, _) => filter.leaves_out(&path, true),
                (false, Some(meta)) => filter.leaves_out(&path, meta.is_dir()),
                // Gone: whether it was a file or a folder is not known;
                // left out if either would be (nothing deleted on doubt).
                (false, None) => filter.leaves_out(&path, true) || filter.leaves_out(&path, false),
            }
        })
    }

    /// The server path for `rel`; `None` for a name that cannot be sent.
    fn remote_path(&self, rel: &Path) -> Option<String> {
        let mut path = self.options.remote.trim_end_matches('/').to_string();
        for part in rel.components() {
            let Component::Normal(name) = part else {
                return None;
            };
            path = remote_join(&path, name.to_str()?);
        }
        Some(path)
    }

    fn spec(&self, rel: PathBuf) -> TransferSpec {
        TransferSpec {
            direction: Direction::Upload,
            remote: self.remote_path(&rel).unwrap_or_default(),
            local: self.root.join(rel),
            recursive: true,
            copy_to: String::new(),
        }
    }

    /// The options of one of the watch's queues: the caller's, with
    /// `exists`, ids from `first`, nothing deleted, no plan only.
    fn queue_options(&self, exists: ExistsPolicy, first: u64) -> QueueOptions {
        QueueOptions {
            exists,
            first_item_id: first,
            delete_extraneous: false,
            files_as_trees: false,
            resume: false,
            dry_run: false,
            ..self.options.queue.clone()
        }
    }

    /// Mirrors one folder (the root, or a folder that appeared) to the
    /// server through a queue of its own, with a mirror's rules, to the
    /// end.
    fn mirror(&mut self, spec: TransferSpec, delete: bool, stop: &Receiver<()>) -> Mirrored {
        self.mirrors += 1;
        let first =
            self.options.first_item_id + (1 + (self.mirrors - 1) % MIRROR_SLOTS) * MIRROR_IDS;
        let mut options = self.queue_options(ExistsPolicy::OverwriteIfChanged, first);
        options.delete_extraneous = delete;
        options.resume = true;
        let (queue, events) = match TransferQueue::start(self.connect.clone(), options) {
            Ok(started) => started,
            Err(err) => return Mirrored::NotReached(err),
        };
        queue.add(spec);
        let mut unreached = None;
        let outcome = loop {
            select! {
                recv(stop) -> _ => break Mirrored::Stopped,
                recv(events) -> event => {
                    let Ok(event) = event else {
                        break Mirrored::NotReached(Error::Protocol(
                            "internal error in Ferry: the transfer queue stopped".to_string(),
                        ));
                    };
                    match &event {
                        QueueEvent::State { state: ItemState::Failed(err), .. }
                            if crate::engine::queue::is_passing(err) =>
                        {
                            unreached.get_or_insert(err.clone());
                        }
                        QueueEvent::ConnectFailed(err) => {
                            unreached.get_or_insert(err.clone());
                        }
                        _ => {}
                    }
                    let idle = matches!(event, QueueEvent::Idle(_));
                    let _ = self.news.send(WatchEvent::Queue(event));
                    if idle {
                        break match unreached.take() {
                            Some(err) => Mirrored::NotReached(err),
                            None => Mirrored::InStep,
                        };
                    }
                }
            }
        };
        queue.shut_down();
        outcome
    }

    /// Sends one settled batch. An error means the server could not be
    /// reached; what failed for other reasons is reported and left.
    fn apply(&mut self, batch: Batch, stop: &Receiver<()>) -> Result<Sent> {
        let mut paths = batch.paths;
        for (from, to) in batch.renames {
            if !self.options.delete {
                // Without delete the old name stays on the server; the
                // new one is sent.
                paths.insert(to, settle::Pending::Changed);
                continue;
            }
            let (Some(old), Some(new)) = (self.remote_path(&from), self.remote_path(&to)) else {
                continue;
            };
            let rename = Command::Rename {
                from: old.clone(),
                to: new.clone(),
            };
            match self.remote.call(rename, &self.news) {
                Ok(_) => self.log(LogKind::Status, &format!("renamed {old} to {new}")),
                Err(err) if crate::engine::queue::is_passing(&err) => return Err(err),
                // Never on the server (or refused): sent under its new
                // name, and the old one deleted if it is there.
                Err(_) => {
                    paths.insert(to, settle::Pending::Changed);
                    paths.insert(from, settle::Pending::Removed);
                }
            }
        }
        let mut deletions = Vec::new();
        for rel in paths.into_keys() {
            let local = self.root.join(&rel);
            let Some(remote) = self.remote_path(&rel) else {
                self.log(
                    LogKind::Warning,
                    &format!("{}: the name cannot be sent to the server", local.display()),
                );
                continue;
            };
            match std::fs::metadata(&local) {
                Ok(meta) if meta.is_dir() => {
                    // A folder that appeared (made, moved in, unpacked):
                    // mirrored, so only what the server lacks is sent.
                    match self.mirror(self.spec(rel), false, stop) {
                        Mirrored::InStep => {}
                        Mirrored::NotReached(err) => return Err(err),
                        Mirrored::Stopped => return Ok(Sent::All),
                    }
                }
                Ok(_) => self.send_file(local, remote),
                Err(err) if err.kind() == std::io::ErrorKind::NotFound => {
                    if self.options.delete {
                        deletions.push(remote);
                    }
                }
                Err(err) => self.log(LogKind::Error, &Error::local(&local, &err).to_string()),
            }
        }
        self.delete(deletions)
    }

    fn send_file(&mut self, local: PathBuf, remote: String) {
        if self.changes.is_none() {
            // Written here after it was sent: sent again, whatever the
            // server's time says.
            let first = self.options.first_item_id + CHANGE_IDS;
            let options = self.queue_options(ExistsPolicy::Overwrite, first);
            match TransferQueue::start(self.connect.clone(), options) {
                Ok(started) => self.changes = Some(started),
                Err(err) => {
                    self.log(LogKind::Error, &err.to_string());
                    return;
                }
            }
        }
        if let Some((queue, _)) = &self.changes {
            self.changes_busy = true;
            queue.add(TransferSpec {
                direction: Direction::Upload,
                remote,
                local,
                recursive: false,
                copy_to: String::new(),
            });
        }
    }

    /// Deletes on the server what was deleted here: a file, or else a
    /// folder and what it holds. Something the server never had is no
    /// error. More than the mirror's limit at once is left to a mirror,
    /// which checks it as a mirror does.
    fn delete(&mut self, paths: Vec<String>) -> Result<Sent> {
        if paths.is_empty() {
            return Ok(Sent::All);
        }
        let limit = self.options.queue.max_delete;
        if !self.options.queue.force_delete && limit.is_some_and(|max| paths.len() as u64 > max) {
            self.log(
                LogKind::Warning,
                &format!(
                    "{} entries were deleted here at once: comparing everything before deleting",
                    paths.len()
                ),
            );
            return Ok(Sent::MirrorNeeded);
        }
        for path in paths {
            match self.remote.call(Command::Delete(path.clone()), &self.news) {
                Ok(_) => {
                    self.log(LogKind::Status, &format!("deleted {path}"));
                    continue;
                }
                Err(err) if crate::engine::queue::is_passing(&err) => return Err(err),
                Err(_) => {}
            }
            match self
                .remote
                .call(Command::DeleteTree(path.clone()), &self.news)
            {
                Ok(_) => self.log(LogKind::Status, &format!("deleted the folder {path}")),
                Err(err) if crate::engine::queue::is_passing(&err) => return Err(err),
                // Not there: nothing to delete.
                Err(Error::Permanent { code: 550, .. }) => {}
                Err(err) => self.log(LogKind::Error, &format!("{path}: {err}")),
            }
        }
        Ok(Sent::All)
    }

    fn log(&self, kind: LogKind, text: &str) {
        let _ = self.news.send(WatchEvent::Said(LogLine {
            level: LogLevel::Status,
            kind,
            text: text.to_string(),
        }));
    }
}

/// Whether a queue item of the watch whose ids start at `first` is a
/// mirror's (the first, one after an outage, a folder that appeared)
/// rather than a single file sent as it changed.
pub fn from_mirror(first: u64, id: super::queue::ItemId) -> bool {
    id.wrapping_sub(first) < CHANGE_IDS
}

/// The default excludes as patterns.
pub fn default_excludes() -> Vec<NamePattern> {
    DEFAULT_EXCLUDES
        .iter()
        .filter_map(|text| NamePattern::new(text).ok())
        .collect()
}
