//! The FTP engine: connections that run on their own threads, take
//! [`Command`]s and report [`Event`]s over crossbeam channels.
//!
//! Nothing here knows about egui or the terminal; the GUI and the CLI are
//! two thin front ends over the same commands and events.

mod command;
mod deadline;
mod debug_log;
mod download;
pub mod edit;
mod encoding;
mod error;
mod event;
pub mod find;
mod fxp;
pub mod hash;
pub mod names;
mod net;
mod partial;
pub mod queue;
pub mod rate_limit;
mod relay;
mod remote;
mod reply;
mod session;
pub mod ssh;
mod tls;
mod tls_stream;
mod transfer;
mod tree;
pub mod typed;
pub mod watch;
mod worker;

pub use command::{
    Command, ConnectOptions, DataMode, Request, RequestId, Secret, Security, SshOptions, TlsTrust,
    TlsVersions, TransferType,
};
pub use debug_log::{mask_command, mask_secrets};
pub use encoding::{
    FileNameEncoding, display_lines, display_name, display_text, is_control_for_display,
};
pub use error::{CertificateProblem, Error, Result};
pub use event::{
    ConnectionId, Event, EventKind, Features, FileStat, Listing, LogKind, LogLevel, LogLine,
    Outcome, Progress, Reply, SessionInfo, TransferSummary, Unread, eta_at,
};
pub use partial::{part_path, partial_target};
pub use session::{MAX_LISTING_BYTES, MAX_LISTING_ENTRIES, MAX_LISTING_LINE, MAX_REPLY_LINE};
pub use tls::{fingerprint, normalize_fingerprint};
pub use worker::Connection;
