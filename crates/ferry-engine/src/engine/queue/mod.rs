//! The transfer queue: downloads and uploads of files and whole trees over
//! a pool of connections, shared by the GUI and the command line.
//!
//! A coordinator thread owns the queue and up to N [`Connection`]s of its
//! own (separate from any browsing connection). It hands one file at a time
//! to each idle connection, expands folders into their files by listing
//! them on the same pool, retries what failed for a passing reason with
//! back-off, and reports every item's state and progress as
//! [`QueueEvent`]s. Callers steer it with [`QueueCommand`]s; nothing blocks.
//!
//! [`Connection`]: super::Connection

mod coordinator;
mod deletions;
mod dispatch;
mod expand;
mod filter;
mod item;
mod local_tree;
mod policy;

use std::path::PathBuf;
use std::thread;
use std::time::Duration;

use crossbeam_channel::{Receiver, Sender, unbounded};

use super::command::ConnectOptions;
use super::error::Error;
use super::event::LogLine;

pub use filter::{NameFilter, NamePattern};
pub(crate) use item::is_passing;
pub use item::{ItemKind, ItemState};
pub use policy::{ExistsPolicy, TARGET_EXISTS};

/// Deletions a mirror makes without `--force-delete`.
pub const DEFAULT_MAX_DELETE: u64 = 100;
/// Folder nesting a tree transfer follows (PATH_MAX allows about 2 000
/// one-letter levels; real trees stay far below this).
pub const DEFAULT_MAX_DEPTH: u32 = 64;
/// Entries one tree transfer takes (about 100 MB of queue bookkeeping).
pub const DEFAULT_MAX_ENTRIES: u64 = 250_000;

/// Identifies an item in the queue (a file, or a folder being expanded).
pub type ItemId = u64;

/// Which way bytes go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    Download,
    Upload,
    /// From the queue's server to its partner server (see
    /// [`TransferQueue::start_copy`]), never through the local disk.
    Copy,
}

/// One thing to transfer, as the user asked for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransferSpec {
    pub direction: Direction,
    /// Remote file or folder path.
    pub remote: String,
    /// Local file or folder path.
    pub local: PathBuf,
    /// A whole folder tree rather than one file.
    pub recursive: bool,
    /// Copy only: the file or folder path on the partner server (`local`
    /// is unused).
    pub copy_to: String,
}

/// How the queue behaves; fixed when it starts (except the exists policy,
/// which an "apply to all" answer changes).
#[derive(Debug, Clone)]
pub struct QueueOptions {
    /// Transfer connections, 1 to 10.
    pub connections: usize,
    /// What to do when a target exists.
    pub exists: ExistsPolicy,
    /// Continue downloads from the partial file an earlier attempt left
    /// (only one Ferry made, for the same remote file).
    pub resume: bool,
    /// Attempts per item for passing failures (4xx, dropped connections,
    /// timeouts) before it fails for good.
    pub max_attempts: u32,
    /// First retry delay; doubled on each further attempt.
    pub retry_delay: Duration,
    /// Give downloaded files the remote modification time (MDTM).
    pub download_times: bool,
    /// Give uploaded files the local modification time (MFMT, where the
    /// server offers it).
    pub upload_times: bool,
    /// Debug level (0–2) of the queue's connections.
    pub debug_level: u8,
    /// Mirror: delete what the target folder has and the source does not.
    /// Deletions wait until every folder of the run has been read, and
    /// happen only if every one was read whole (see [`QueueOptions::max_delete`]).
    pub delete_extraneous: bool,
    /// Mirror: the most entries one run may delete (a folder counts once);
    /// above it nothing is deleted and the run fails. `None`: no bound.
    pub max_delete: Option<u64>,
    /// Mirror: delete above `max_delete`, and empty a whole target folder
    /// (what a mistyped source path would ask for).
    pub force_delete: bool,
    /// A tree asked for by the user that turns out to be a file is fetched
    /// as that file (`get -r`, `cp -r`); a mirror, which makes a folder a
    /// copy of a folder, says no instead.
    pub files_as_trees: bool,
    /// Files whose extension (lowercase, without the dot) is listed go in
    /// text mode (TYPE A: line endings converted), every other file in
    /// binary; empty: every file in the session's own mode (FileZilla's
    /// "Auto" transfer type when filled).
    pub text_extensions: Vec<String>,
    /// Deepest folder nesting a tree transfer follows below its top folder.
    pub max_depth: u32,
    /// Most entries (files and folders) one tree transfer takes into the
    /// queue; a server that lists an endless tree ends here.
    pub max_entries: u64,
    /// Decide everything, change nothing: items end as
    /// [`ItemState::Planned`].
    pub dry_run: bool,
    /// Copies between servers try FXP first (and relay when refused).
    pub fxp: bool,
    /// Mirror: a file of the same size on both sides is compared by
    /// checksum (the server's and this computer's) rather than by time;
    /// a server without checksums falls back to size and time.
    pub compare_checksums: bool,
    /// Names a tree transfer leaves out (`--include`, `--exclude`); they
    /// are never deleted by a mirror either.
    pub filter: NameFilter,
    /// The first item's id (then counting up), so that several queues
    /// can share one view without their ids meeting.
    pub first_item_id: ItemId,
}

impl Default for QueueOptions {
    fn default() -> QueueOptions {
        QueueOptions {
            connections: 2,
            exists: ExistsPolicy::Skip,
            resume: false,
            max_attempts: 5,
            retry_delay: Duration::from_millis(500),
            download_times: true,
            upload_times: false,
            debug_level: 0,
            delete_extraneous: false,
            max_delete: Some(DEFAULT_MAX_DELETE),
            force_delete: false,
            files_as_trees: true,
            text_extensions: Vec::new(),
            max_depth: DEFAULT_MAX_DEPTH,
            max_entries: DEFAULT_MAX_ENTRIES,
            dry_run: false,
            fxp: false,
            compare_checksums: false,
            filter: NameFilter::default(),
            first_item_id: 1,
        }
    }
}

/// What a caller can ask of a running queue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum QueueCommand {
    Add(TransferSpec),
    Cancel(ItemId),
    CancelAll,
    /// Queue a failed or cancelled item again.
    Retry(ItemId),
    MoveUp(ItemId),
    MoveDown(ItemId),
    /// Whether copies not yet started try FXP first.
    SetFxp(bool),
    /// Paused, nothing new starts (no file, no folder, no connection);
    /// what is under way finishes. Resumed, the queue goes on where it
    /// stood.
    Pause(bool),
    /// The answer to an item [`ItemState::Asking`]; `for_all` makes it the
    /// policy for every later conflict too.
    Answer {
        id: ItemId,
        policy: ExistsPolicy,
        for_all: bool,
    },
}

/// Totals over the whole queue.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Overall {
    pub files_total: u64,
    pub files_done: u64,
    pub files_failed: u64,
    pub files_skipped: u64,
    /// Entries a mirror deleted (or, in a dry run, would delete).
    pub deleted: u64,
    /// Deletions that were refused, failed or held back.
    pub not_deleted: u64,
    /// Folders that could not be read or created whole.
    pub folders_failed: u64,
    pub bytes_total: u64,
    pub bytes_done: u64,
    /// Bytes per second over the last interval, all connections together.
    pub rate: f64,
    /// Time left at the current rate, when there is one.
    pub eta: Option<Duration>,
}

/// What the queue reports.
#[derive(Debug, Clone)]
pub enum QueueEvent {
    /// An item joined the queue (`parent` is the folder it was found in).
    Added {
        id: ItemId,
        parent: Option<ItemId>,
        spec: TransferSpec,
        kind: ItemKind,
    },
    /// An item's target changed ("rename" found a free name).
    Retargeted { id: ItemId, spec: TransferSpec },
    /// An item changed state; every item ends with a final state.
    State { id: ItemId, state: ItemState },
    /// A running item's progress, about ten times a second.
    Progress {
        id: ItemId,
        bytes_done: u64,
        total: Option<u64>,
        current_rate: f64,
        average_rate: f64,
        eta: Option<Duration>,
    },
    /// The whole queue's progress, about ten times a second.
    Overall(Overall),
    /// A line from one of the queue's connections.
    Log { connection: u32, line: LogLine },
    /// A connection could not log in; items that could not start because
    /// of it fail with this error.
    ConnectFailed(Error),
    /// Nothing is queued or running any more.
    Idle(Overall),
}

/// A handle on a running queue. Dropping it stops the queue at once,
/// without waiting: running transfers are aborted (a download's partial
/// file stays for a resume and is never renamed into place), nothing
/// queued starts, every unfinished item ends `Cancelled`, and the events
/// channel closes once the last connection has said QUIT and ended.
pub struct TransferQueue {
    commands: Sender<QueueCommand>,
    thread: Option<thread::JoinHandle<()>>,
}

impl TransferQueue {
    /// Starts a queue whose connections log in with `connect`.
    pub fn start(
        connect: ConnectOptions,
        options: QueueOptions,
    ) -> Result<(TransferQueue, Receiver<QueueEvent>), Error> {
        TransferQueue::start_with(connect, None, options)
    }

    /// Starts a queue for [`Direction::Copy`] items: each of its
    /// connections logs in to `source` and also to `target`, and moves
    /// files from one to the other.
    pub fn start_copy(
        source: ConnectOptions,
        target: ConnectOptions,
        options: QueueOptions,
    ) -> Result<(TransferQueue, Receiver<QueueEvent>), Error> {
        TransferQueue::start_with(source, Some(target), options)
    }

    fn start_with(
        connect: ConnectOptions,
        partner: Option<ConnectOptions>,
        options: QueueOptions,
    ) -> Result<(TransferQueue, Receiver<QueueEvent>), Error> {
        let (commands, inbox) = unbounded();
        let (events, outbox) = unbounded();
        let coordinator = coordinator::Coordinator::new(connect, partner, options, inbox, events);
        let thread = thread::Builder::new()
            .name("ferry-queue".to_string())
            .spawn(move || coordinator.run())
            .map_err(|err| Error::LocalIo {
                path: "<thread>".to_string(),
                message: err.to_string(),
            })?;
        let queue = TransferQueue {
            commands,
            thread: Some(thread),
        };
        Ok((queue, outbox))
    }

    pub fn send(&self, command: QueueCommand) {
        let _ = self.commands.send(command);
    }

    pub fn add(&self, spec: TransferSpec) {
        self.send(QueueCommand::Add(spec));
    }

    /// Stops the queue as dropping does, and waits until its connections
    /// have said QUIT and ended: once it returns, no worker of this queue
    /// is left to write or rename a file, and a command-line run ends
    /// politely.
    pub fn shut_down(mut self) {
        let (closed, _) = crossbeam_channel::bounded(0);
        self.commands = closed;
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
