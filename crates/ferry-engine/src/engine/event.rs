//! What a connection reports back: plain data, safe to keep, clone and show.

use std::time::Duration;

use super::command::RequestId;
use super::error::Error;
use crate::listing::RemoteEntry;

/// Identifies a connection when several share one event channel.
pub type ConnectionId = u32;

/// One report from a connection's worker thread.
#[derive(Debug, Clone)]
pub struct Event {
    pub connection: ConnectionId,
    pub kind: EventKind,
}

/// Held by every listing part not yet dropped by whoever reads the
/// events: the connection reads at most a few parts ahead of its reader,
/// so a folder read faster than it is printed is not piled up in memory
/// (the event channel has no bound of its own).
#[derive(Debug, Clone, Default)]
pub struct Unread(std::sync::Arc<()>);

impl Unread {
    /// Parts sent with this and not dropped yet.
    pub fn parts_held(&self) -> usize {
        std::sync::Arc::strong_count(&self.0) - 1
    }
}

/// What happened.
#[derive(Debug, Clone)]
pub enum EventKind {
    /// A debug log line, already filtered by the connection's debug level
    /// and with `PASS`/`ACCT` arguments masked.
    Log(LogLine),
    /// The server's greeting, as soon as it arrives (before login).
    Welcome(String),
    /// Logged in and ready.
    Connected(SessionInfo),
    /// Transfer progress, at most about ten per second per transfer.
    Progress(Progress),
    /// Entries of a folder being read for `Command::ListInParts`, in order.
    ListingPart {
        request: RequestId,
        entries: Vec<crate::listing::RemoteEntry>,
        unread: Unread,
    },
    /// The outcome of a request; exactly one per request.
    Finished {
        request: RequestId,
        result: Result<Outcome, Error>,
    },
    /// The session ended (after `Disconnect`, or because it broke).
    Disconnected { reason: Option<Error> },
}

/// How interesting a log line is; a line is sent when its level is at most
/// the connection's debug level.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum LogLevel {
    /// Level 0: status and errors, always shown.
    Status = 0,
    /// Level 1: every command and reply.
    Protocol = 1,
    /// Level 2: data connections, byte counts, timings.
    Detail = 2,
}

/// What a log line is, so a viewer can colour it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogKind {
    Status,
    Error,
    Warning,
    /// A command we sent.
    Command,
    /// A reply line from the server.
    Reply,
    /// Data-connection details.
    Data,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogLine {
    pub level: LogLevel,
    pub kind: LogKind,
    pub text: String,
}

/// What is known about a logged-in session.
#[derive(Debug, Clone, Default)]
pub struct SessionInfo {
    pub welcome: String,
    /// Working folder right after login.
    pub home: String,
    pub features: Features,
    /// Whether control (and, with PROT P, data) connections use TLS.
    pub tls: bool,
    /// The TLS version and cipher suite, e.g. "TLS 1.3, TLS13_AES_256_GCM_SHA384";
    /// "SSH" for SFTP.
    pub tls_details: Option<String>,
    /// The login and the files travel encrypted: TLS for FTP, always for
    /// SFTP (SSH), which is not TLS.
    pub encrypted: bool,
}

/// The server's FEAT answer, kept whole and queryable.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Features {
    /// Each feature line as sent, without the leading space.
    pub lines: Vec<String>,
}

impl Features {
    /// Parses the text of a FEAT reply (`211-…` lines, then `211 End`).
    pub fn from_reply(text: &str) -> Features {
        let lines = text
            .lines()
            .filter(|line| line.starts_with(' '))
            .map(|line| line.trim().to_string())
            .filter(|line| !line.is_empty())
            .collect();
        Features { lines }
    }

    /// Whether a feature is offered: `supports("MLSD")`, `supports("AUTH TLS")`,
    /// `supports("REST STREAM")`. Case-insensitive; a one-word name matches
    /// the first word of a line, a longer one a line's start.
    pub fn supports(&self, name: &str) -> bool {
        let name = name.to_ascii_uppercase();
        self.lines.iter().any(|line| {
            let line = line.to_ascii_uppercase();
            if name.contains(' ') {
                line.starts_with(&name)
            } else {
                line.split_whitespace().next() == Some(name.as_str())
            }
        })
    }

    /// MLSD is offered: RFC 3659 has servers announce it as `MLST facts…`.
    pub fn has_mlsd(&self) -> bool {
        self.supports("MLST") || self.supports("MLSD")
    }
}

/// Progress of one transfer.
#[derive(Debug, Clone, PartialEq)]
pub struct Progress {
    pub request: RequestId,
    /// Bytes in the target so far, counting a resumed start.
    pub bytes_done: u64,
    /// Size of the whole file, when the server or the disk told us.
    pub total: Option<u64>,
    /// Average rate of this transfer, bytes per second.
    pub average_rate: f64,
    /// Rate over the last interval, bytes per second.
    pub current_rate: f64,
}

impl Progress {
    /// Time left at the average rate, when it can be told.
    pub fn eta(&self) -> Option<Duration> {
        let total = self.total?;
        if self.average_rate <= 0.0 || total < self.bytes_done {
            return None;
        }
        eta_at(total - self.bytes_done, self.average_rate)
    }
}

/// How long `left` bytes take at `rate` bytes per second; `None` when that
/// cannot be told or is beyond what a `Duration` holds (a server announcing
/// 2^64 bytes and sending a byte now and then must not crash the queue).
pub fn eta_at(left: u64, rate: f64) -> Option<Duration> {
    if rate.is_nan() || rate <= 0.0 || rate.is_infinite() {
        return None;
    }
    Duration::try_from_secs_f64(left as f64 / rate).ok()
}

/// A server reply: code and full (possibly multi-line) text.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Reply {
    pub code: u16,
    pub text: String,
}

/// What a successful request produced.
#[derive(Debug, Clone)]
pub enum Outcome {
    /// Nothing to report beyond success.
    Done,
    Connected(SessionInfo),
    /// PWD, CWD and CDUP report the working folder.
    Path(String),
    Listing(Listing),
    Names(Vec<String>),
    Size(u64),
    ModificationTime(chrono::NaiveDateTime),
    Stat(FileStat),
    Reply(Reply),
    Transferred(TransferSummary),
    /// A file's checksum on the server, if it gives one.
    Hash(Option<super::hash::FileHash>),
    /// Whether two files' checksums agree (`None`: the server gives none).
    Same(Option<bool>),
}

/// A folder's entries, and whether they are the whole truth about it.
///
/// Deciding to delete something because a listing does not name it is only
/// safe when the listing is whole: the folder was confirmed to exist, every
/// line was understood and the server did not cut the listing short. A
/// listing that falls short of that still shows what it has, but says why
/// in `incomplete`, and nothing is ever deleted on its word.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Listing {
    pub entries: Vec<RemoteEntry>,
    /// Why the listing may not name everything the folder holds (lines that
    /// could not be read, the server truncating it); `None` when complete.
    pub incomplete: Option<String>,
    /// The entries' times are exact and in UTC (MLSD's `modify` facts), as
    /// MDTM would give them: a download can be dated from them without
    /// asking again. LIST's are server-local and to the minute at best.
    pub exact_times: bool,
}

impl Listing {
    /// A listing read whole, every line understood.
    pub fn complete(entries: Vec<RemoteEntry>) -> Listing {
        Listing {
            entries,
            incomplete: None,
            exact_times: false,
        }
    }

    pub fn is_complete(&self) -> bool {
        self.incomplete.is_none()
    }
}

/// What is known of a file on either side; times are UTC.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct FileStat {
    pub size: Option<u64>,
    pub modified: Option<chrono::NaiveDateTime>,
}

impl FileStat {
    /// A local file's size and modification time.
    pub fn of_local(meta: &std::fs::Metadata) -> FileStat {
        FileStat {
            size: Some(meta.len()),
            modified: meta
                .modified()
                .ok()
                .map(|t| chrono::DateTime::<chrono::Utc>::from(t).naive_utc()),
        }
    }
}

/// How a finished transfer went.
#[derive(Debug, Clone, PartialEq)]
pub struct TransferSummary {
    /// Bytes moved in this run (not counting a resumed start).
    pub bytes: u64,
    /// Where it resumed from (0 for a fresh transfer).
    pub resumed_from: u64,
    pub elapsed: Duration,
    /// The source's modification time, for a download that asked for it
    /// (`fetch_time`) from a server that gave it.
    pub source_modified: Option<chrono::NaiveDateTime>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn features_from_a_feat_reply() {
        let features = Features::from_reply(
            "211-Features:\n MDTM\n MLST type*;size*;modify*;\n REST STREAM\n AUTH TLS\n UTF8\n211 End",
        );
        assert!(features.supports("mdtm"));
        assert!(features.has_mlsd());
        assert!(features.supports("REST STREAM"));
        assert!(features.supports("AUTH TLS"));
        assert!(features.supports("UTF8"));
        assert!(!features.supports("EPSV"));
    }

    #[test]
    fn eta_from_the_average_rate() {
        let progress = Progress {
            request: 1,
            bytes_done: 500,
            total: Some(1500),
            average_rate: 100.0,
            current_rate: 0.0,
        };
        assert_eq!(progress.eta(), Some(Duration::from_secs(10)));
    }

    #[test]
    fn an_eta_beyond_what_a_duration_holds_is_unknown_not_a_panic() {
        let progress = Progress {
            request: 1,
            bytes_done: 1,
            total: Some(u64::MAX),
            average_rate: 0.2,
            current_rate: 0.0,
        };
        assert_eq!(progress.eta(), None);
        assert_eq!(eta_at(u64::MAX, f64::MIN_POSITIVE), None);
        assert_eq!(eta_at(10, f64::NAN), None);
        assert_eq!(eta_at(10, f64::INFINITY), None);
        assert_eq!(eta_at(100, 10.0), Some(Duration::from_secs(10)));
    }
}
