//! One entry of the transfer queue and the states it passes through.

use std::time::Instant;

use super::policy::ExistsPolicy;
use super::{ItemId, TransferSpec};
use crate::engine::error::Error;
use crate::engine::event::{FileStat, Listing};

/// Where an item is in its life. `Done`, `Failed`, `Skipped`, `Planned`
/// and `Cancelled` are final; a failed or cancelled item can be queued
/// again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ItemState {
    Queued,
    /// A folder being listed (download) or created (upload).
    Expanding,
    Running,
    /// The target exists and the policy is "ask": waiting for
    /// [`super::QueueCommand::Answer`].
    Asking {
        source: FileStat,
        target: FileStat,
    },
    /// Waiting to try again after a passing failure.
    Retrying {
        attempt: u32,
        reason: Error,
    },
    Done,
    Failed(Error),
    /// Not transferred, on purpose (the target exists, an unsafe name…).
    Skipped(String),
    /// A dry run: what would have happened.
    Planned(String),
    Cancelled,
}

impl ItemState {
    pub fn is_final(&self) -> bool {
        matches!(
            self,
            ItemState::Done
                | ItemState::Failed(_)
                | ItemState::Skipped(_)
                | ItemState::Planned(_)
                | ItemState::Cancelled
        )
    }
}

/// What an item does with its spec.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ItemKind {
    /// Moves bytes (or, when the spec is recursive, expands a folder).
    Transfer,
    /// A mirror with `--delete`: removes the spec's target, which the
    /// source no longer has.
    DeleteTarget,
}

pub(super) struct Item {
    pub id: ItemId,
    pub parent: Option<ItemId>,
    /// The item the user added that this one was found under (itself for
    /// such an item), and how many folders down from it.
    pub root: ItemId,
    pub depth: u32,
    pub spec: TransferSpec,
    pub kind: ItemKind,
    pub state: ItemState,
    /// Failed attempts so far.
    pub attempts: u32,
    /// Not to be started before this moment (retry back-off).
    pub not_before: Instant,
    pub bytes_done: u64,
    pub total: Option<u64>,
    /// What is known of the source (from a listing or the local disk).
    pub source: Option<FileStat>,
    /// The source's time is exact and UTC (from MLSD or MDTM): a download
    /// is dated from it without another MDTM.
    pub source_time_exact: bool,
    /// What is known of the target: `Some(None)` when it is known to be
    /// absent, `None` when nobody has looked yet.
    pub target: Option<Option<FileStat>>,
    /// The user's answer for this item, overriding the queue's policy.
    pub answer: Option<ExistsPolicy>,
    /// For "rename" uploads: the number tried last and the original name.
    pub rename: Option<(u32, String)>,
    /// Its checksums were compared already (mirror --checksum).
    pub compared: bool,
    /// Whether the bytes moved and only the timestamp is left to set.
    pub transferred: bool,
    /// Why a folder named as a tree turned out not to be listable, while
    /// the queue checks whether it is a file to fetch instead.
    pub not_a_folder: Option<Error>,
    /// A copy's source folder, read and waiting for its target folder to
    /// be made.
    pub listing: Option<Listing>,
    /// A symbolic link found in a listing, not yet known to lead to a
    /// folder or a file: its target as listed, if the listing gave it.
    /// Such an item counts as a folder until it is known.
    pub link: Option<Option<String>>,
    /// A folder reached through a link: its path as the server named it
    /// from inside, to tell a link that leads back into its own tree.
    pub real_path: Option<String>,
}

impl Item {
    pub fn new(
        id: ItemId,
        parent: Option<(ItemId, ItemId, u32)>,
        spec: TransferSpec,
        kind: ItemKind,
    ) -> Item {
        let (root, depth) = parent.map_or((id, 0), |(_, root, depth)| (root, depth + 1));
        Item {
            id,
            parent: parent.map(|(parent, _, _)| parent),
            root,
            depth,
            spec,
            kind,
            state: ItemState::Queued,
            attempts: 0,
            not_before: Instant::now(),
            bytes_done: 0,
            total: None,
            source: None,
            source_time_exact: false,
            target: None,
            answer: None,
            rename: None,
            compared: false,
            transferred: false,
            not_a_folder: None,
            listing: None,
            link: None,
            real_path: None,
        }
    }

    /// Ready to hand to a connection now.
    pub fn is_runnable(&self, now: Instant) -> bool {
        matches!(self.state, ItemState::Queued | ItemState::Retrying { .. })
            && self.not_before <= now
    }

    /// A folder to list and expand (or create and fill).
    pub fn is_folder(&self) -> bool {
        self.spec.recursive && self.kind == ItemKind::Transfer
    }
}

/// Whether an error is worth another attempt: the server or the network
/// may behave next time, unlike a 5xx refusal or a local problem.
///
/// 522 is the exception among 5xx: a data connection's TLS was refused,
/// as vsftpd does ("session reuse required") once rustls has no session
/// ticket left to resume with; a fresh login brings new tickets.
pub(crate) fn is_passing(error: &Error) -> bool {
    matches!(
        error,
        Error::Temporary { .. }
            | Error::Timeout(_)
            | Error::Connection(_)
            | Error::NotConnected
            | Error::Permanent { code: 522, .. }
    )
}
