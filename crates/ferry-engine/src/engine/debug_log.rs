//! The per-connection debug log, and the bridge that turns suppaftp's own
//! `log` records into our events.
//!
//! suppaftp writes every command it sends (`CC OUT: …`) and every reply line
//! it reads (`CC IN: […]`) to the `log` facade, including the ones it sends by
//! itself (EPSV, PASV, REST, AUTH, PBSZ, PROT, ABOR). Forwarding those records
//! gives an exact wire log without re-implementing the protocol. Each worker
//! thread installs a sink; the process-wide logger routes a record to the sink
//! of the thread that produced it. Every line passes [`mask_secrets`] first, so
//! no password reaches an event, whatever its level.

use std::cell::RefCell;
use std::sync::Arc;
use std::sync::Once;
use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};

use crossbeam_channel::Sender;

use super::event::{ConnectionId, Event, EventKind, LogKind, LogLevel, LogLine};

/// Where a worker thread's log lines go, and at which level.
#[derive(Clone)]
pub struct LogSink {
    connection: ConnectionId,
    events: Sender<Event>,
    level: Arc<AtomicU8>,
}

impl LogSink {
    pub fn new(connection: ConnectionId, events: Sender<Event>, level: Arc<AtomicU8>) -> LogSink {
        LogSink {
            connection,
            events,
            level,
        }
    }

    /// Sends a line if the connection's debug level shows it.
    pub fn emit(&self, level: LogLevel, kind: LogKind, text: &str) {
        if level as u8 > self.level.load(Ordering::Relaxed) {
            return;
        }
        let text = match kind {
            LogKind::Command => mask_command(text),
            _ => mask_secrets(text),
        };
        let line = LogLine { level, kind, text };
        // A caller that dropped its receiver no longer wants news.
        let _ = self.events.send(Event {
            connection: self.connection,
            kind: EventKind::Log(line),
        });
    }

    pub fn status(&self, text: &str) {
        self.emit(LogLevel::Status, LogKind::Status, text);
    }

    pub fn warning(&self, text: &str) {
        self.emit(LogLevel::Status, LogKind::Warning, text);
    }

    pub fn error(&self, text: &str) {
        self.emit(LogLevel::Status, LogKind::Error, text);
    }

    pub fn detail(&self, text: &str) {
        self.emit(LogLevel::Detail, LogKind::Data, text);
    }
}

/// State of the suppaftp bridge on one thread.
struct ThreadSink {
    sink: LogSink,
    /// suppaftp logs the first line of every reply twice, with a
    /// "Code parsed" record in between; this drops the repeat.
    skip_next_reply: bool,
    /// Reply lines read since that command (bounded), for callers that
    /// need words suppaftp does not hand back, like a listing's final 226.
    replies: String,
}

/// The most reply text kept per command; a listing's final reply is short.
const MAX_KEPT_REPLIES: usize = 16 * 1024;

thread_local! {
    static SINK: RefCell<Option<ThreadSink>> = const { RefCell::new(None) };
}

/// Routes suppaftp's records on this thread to `sink` from now on.
pub fn install_thread_sink(sink: LogSink) {
    install_global_logger();
    SINK.with(|slot| {
        *slot.borrow_mut() = Some(ThreadSink {
            sink,
            skip_next_reply: false,
            replies: String::new(),
        });
    });
}

/// The sink of the current worker thread, for code deep in a call (the
/// passive-connection builder) that has no other way to reach it.
pub fn thread_sink() -> Option<LogSink> {
    SINK.with(|slot| slot.borrow().as_ref().map(|s| s.sink.clone()))
}

/// Every reply line suppaftp read on this thread since it last sent a
/// command (a data command's 150 and its final 226, say), one per line.
/// suppaftp hands back no reply text of a finished transfer; its log is
/// the only place it shows. `None` when another logger was installed
/// first (see `install_global_logger`): then nobody can tell what the
/// server said, and callers must not take silence for "nothing said".
pub fn replies_since_last_command() -> Option<String> {
    if !BRIDGED.load(Ordering::Relaxed) {
        return None;
    }
    Some(SINK.with(|slot| {
        slot.borrow()
            .as_ref()
            .map(|s| s.replies.clone())
            .unwrap_or_default()
    }))
}

/// Whether our forwarder is the process's logger.
static BRIDGED: AtomicBool = AtomicBool::new(false);

fn install_global_logger() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        // Another logger (a test harness, an embedding app) wins; we then
        // get no protocol lines, never a crash.
        if log::set_logger(&FORWARDER).is_ok() {
            log::set_max_level(log::LevelFilter::Trace);
            BRIDGED.store(true, Ordering::Relaxed);
        }
    });
}

static FORWARDER: Forwarder = Forwarder;

struct Forwarder;

impl log::Log for Forwarder {
    fn enabled(&self, metadata: &log::Metadata<'_>) -> bool {
        metadata.target().starts_with("suppaftp")
    }

    fn log(&self, record: &log::Record<'_>) {
        if !self.enabled(record.metadata()) {
            return;
        }
        // Skip formatting entirely on threads that are not ours.
        let ours = SINK.with(|slot| slot.borrow().is_some());
        if !ours {
            return;
        }
        let message = record.args().to_string();
        SINK.with(|slot| {
            if let Some(state) = slot.borrow_mut().as_mut() {
                forward(state, &message);
            }
        });
    }

    fn flush(&self) {}
}

fn forward(state: &mut ThreadSink, message: &str) {
    if let Some(command) = message.strip_prefix("CC OUT: ") {
        state.replies.clear();
        state
            .sink
            .emit(LogLevel::Protocol, LogKind::Command, command.trim_end());
    } else if let Some(bytes) = message.strip_prefix("CC IN: ") {
        if state.skip_next_reply {
            state.skip_next_reply = false;
            return;
        }
        let text = decode_debug_bytes(bytes);
        if state.replies.len() + text.len() <= MAX_KEPT_REPLIES {
            state.replies.push_str(text.trim_end());
            state.replies.push('\n');
        }
        state
            .sink
            .emit(LogLevel::Protocol, LogKind::Reply, text.trim_end());
    } else if message.starts_with("Code parsed from response") {
        state.skip_next_reply = true;
    } else if message.starts_with("Code updated")
        || message.starts_with("Sending custom")
        || message.starts_with("FEAT IN")
        || message.starts_with("Server READY")
    {
        // Repeats of what the command and reply lines already show.
    } else {
        state.sink.emit(LogLevel::Detail, LogKind::Data, message);
    }
}

/// suppaftp logs reply lines as `{:?}` of a byte vector (`[50, 50, 48, …]`).
/// Turns that back into text; anything else is passed through unchanged.
fn decode_debug_bytes(text: &str) -> String {
    let Some(inner) = text.strip_prefix('[').and_then(|t| t.strip_suffix(']')) else {
        return text.to_string();
    };
    let bytes: Option<Vec<u8>> = inner
        .split(',')
        .map(|n| n.trim())
        .filter(|n| !n.is_empty())
        .map(|n| n.parse::<u8>().ok())
        .collect();
    match bytes {
        Some(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
        None => text.to_string(),
    }
}

/// Replaces the argument of every `PASS` and `ACCT` command in `text` with
/// `****`, up to the end of its line.
///
/// Applied to every log line, whatever its source, so a password typed into
/// the raw console, echoed back by a server ("500 'PASS x': command not
/// understood") or logged by a library never leaves the worker. Text that
/// merely names the commands — a HELP reply's "NOOP OPTS PASS PASV PBSZ" —
/// keeps its words: a `PASS` followed by another command's name is not
/// one with a password. The command lines Ferry sent go through
/// [`mask_command`] instead, which never guesses.
pub fn mask_secrets(text: &str) -> String {
    text.split_inclusive('\n').map(mask_line).collect()
}

/// A command line as sent: the argument of a `PASS` or `ACCT` command is
/// masked whatever it is (a password may well be "PASV"); any other
/// command's line is shown as it is, unless it carries a password some
/// other way (see [`mask_secrets`]).
pub fn mask_command(line: &str) -> String {
    let verb = line.split(' ').next().unwrap_or_default();
    if ["PASS", "ACCT"]
        .iter()
        .any(|v| v.eq_ignore_ascii_case(verb))
        && line.len() > verb.len()
    {
        let ending = line_ending(line);
        return format!("{} ****{ending}", &line[..verb.len()]);
    }
    mask_secrets(line)
}

/// Names of FTP commands (RFC 959 and its extensions), to tell a list of
/// them from a `PASS` with its password.
const COMMAND_NAMES: &[&str] = &[
    "ABOR", "ACCT", "ADAT", "ALLO", "APPE", "AUTH", "CCC", "CDUP", "CLNT", "CONF", "CWD", "DELE",
    "ENC", "EPRT", "EPSV", "FEAT", "HASH", "HELP", "HOST", "LANG", "LIST", "LPRT", "LPSV", "MDTM",
    "MFCT", "MFF", "MFMT", "MIC", "MKD", "MLSD", "MLST", "MODE", "NLST", "NOOP", "OPTS", "PASS",
    "PASV", "PBSZ", "PORT", "PROT", "PWD", "QUIT", "REIN", "REST", "RETR", "RMD", "RMDA", "RNFR",
    "RNTO", "SITE", "SIZE", "SMNT", "SPSV", "STAT", "STOR", "STOU", "STRU", "SYST", "THMB", "TYPE",
    "USER", "XCUP", "XCWD", "XMKD", "XPWD", "XRCP", "XRMD", "XRSQ", "XSEM", "XSEN",
];

fn line_ending(line: &str) -> &'static str {
    if line.ends_with("\r\n") {
        "\r\n"
    } else if line.ends_with('\n') {
        "\n"
    } else {
        ""
    }
}

fn mask_line(line: &str) -> String {
    let upper = line.to_ascii_uppercase();
    let mut cut = None;
    for keyword in ["PASS", "ACCT"] {
        let mut from = 0;
        while let Some(pos) = upper[from..].find(keyword) {
            let start = from + pos;
            let end = start + keyword.len();
            let word_start = start == 0 || !upper.as_bytes()[start - 1].is_ascii_alphanumeric();
            let followed_by_arg = upper.as_bytes().get(end) == Some(&b' ');
            // What follows, as written (a password "pasv" is not the
            // command): a list of command names if the next two words
            // (or the last one) are such names exactly.
            let mut next = line[end..]
                .split([' ', ',', '\t', '\r', '\n'])
                .filter(|w| !w.is_empty())
                .take(2)
                .peekable();
            let names_a_command =
                next.peek().is_some() && next.all(|word| COMMAND_NAMES.contains(&word));
            if word_start && followed_by_arg && !names_a_command {
                cut = Some(cut.map_or(end + 1, |c: usize| c.min(end + 1)));
                break;
            }
            from = end;
        }
    }
    match cut {
        Some(cut) => format!("{}****{}", &line[..cut], line_ending(line)),
        None => line.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_pass_and_acct_arguments() {
        assert_eq!(mask_secrets("PASS hunter2"), "PASS ****");
        assert_eq!(mask_secrets("pass hunter2\r\n"), "pass ****\r\n");
        assert_eq!(mask_secrets("ACCT billing-42"), "ACCT ****");
        assert_eq!(
            mask_secrets("Sending custom command: PASS a b c"),
            "Sending custom command: PASS ****"
        );
        assert_eq!(mask_secrets("USER alice"), "USER alice");
        assert_eq!(mask_secrets("230 PASSWORD ok"), "230 PASSWORD ok");
        assert_eq!(mask_secrets("BYPASS x"), "BYPASS x");
        assert_eq!(mask_secrets("a\nPASS x\nb"), "a\nPASS ****\nb");
        // A server that echoes the command back.
        assert_eq!(
            mask_secrets("500 'PASS hunter2': command not understood"),
            "500 'PASS ****"
        );
    }

    #[test]
    fn a_list_of_command_names_is_not_a_password() {
        // pure-ftpd's and vsftpd's HELP replies.
        for line in [
            " MODE NLST NOOP OPTS PASS PASV PBSZ PORT",
            " ABOR ACCT ALLO APPE CDUP CWD DELE EPRT EPSV FEAT HELP LIST MDTM MKD",
            "214-USER PASS ACCT CWD XCWD CDUP\r\n",
            "The following commands are recognized: PASS, PASV, PORT",
        ] {
            assert_eq!(mask_secrets(line), line);
        }
        // A password that is written like a command name in lower case,
        // or that only starts like one, is still a password.
        assert_eq!(mask_secrets("500 'PASS pasv'"), "500 'PASS ****");
        assert_eq!(mask_secrets("500 'PASS PASVword'"), "500 'PASS ****");
        assert_eq!(mask_secrets("500 'PASS LIST me'"), "500 'PASS ****");
    }

    #[test]
    fn the_command_sent_is_masked_whatever_its_password() {
        assert_eq!(mask_command("PASS PASV"), "PASS ****");
        assert_eq!(mask_command("pass NOOP OPTS\r\n"), "pass ****\r\n");
        assert_eq!(mask_command("ACCT x"), "ACCT ****");
        assert_eq!(mask_command("USER alice"), "USER alice");
        assert_eq!(mask_command("SITE HELP"), "SITE HELP");
        assert_eq!(mask_command("PASS"), "PASS");
    }

    #[test]
    fn decodes_suppaftp_byte_lists() {
        assert_eq!(
            decode_debug_bytes("[50, 50, 48, 32, 104, 105, 13, 10]"),
            "220 hi\r\n"
        );
        assert_eq!(decode_debug_bytes("not bytes"), "not bytes");
        assert_eq!(decode_debug_bytes("[999]"), "[999]");
    }
}
