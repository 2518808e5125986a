//! Everything the command line writes: results on stdout, messages on
//! stderr, and how listings and log lines look there.
//!
//! Two rules live here so no command has to remember them:
//!
//! - Text from a server is shown escaped ([`display_text`],
//!   [`display_lines`]): a name, a reply or an error carrying `ESC [2J` or a
//!   BEL never reaches the terminal raw. Messages are escaped whole, which
//!   is harmless for our own words (escaping twice changes nothing).
//! - A closed pipe is not a crash. `ferry ls … | head -1` closes stdout
//!   early; `println!` would then panic ("failed printing to stdout",
//!   status 101). Here the first failed write is remembered, nothing more
//!   is written, the command finishes what it changes on the server and
//!   the run ends quietly with [`super::exit::OUTPUT_CLOSED`] (141, as a
//!   shell counts a command stopped by SIGPIPE), or with a message and
//!   status 7 when stdout failed otherwise (a full disk). A closed stderr
//!   is ignored: messages are for a person who is no longer listening.

use std::io::{self, BufWriter, Write};
use std::sync::OnceLock;

use crate::engine::{LogKind, LogLine, display_lines, display_text, is_control_for_display};
use crate::listing::{EntryKind, RemoteEntry};

/// How standard output failed, the first time it did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StdoutProblem {
    /// The reader went away (a closed pipe).
    Closed,
    /// Any other write error, as the system words it.
    Failed(String),
}

static STDOUT_PROBLEM: OnceLock<StdoutProblem> = OnceLock::new();

/// What went wrong with standard output during the run, if anything.
pub fn stdout_problem() -> Option<StdoutProblem> {
    STDOUT_PROBLEM.get().cloned()
}

/// Whether nothing more can be written to standard output.
pub fn stdout_closed() -> bool {
    STDOUT_PROBLEM.get().is_some()
}

/// Writes lines to standard output (a line break after each), through
/// one buffer; after the first failed write nothing more is written.
/// The lines must already be fit to show (see [`display_text`]).
pub fn print_lines<I, S>(lines: I)
where
    I: IntoIterator<Item = S>,
    S: AsRef<str>,
{
    if stdout_closed() {
        return;
    }
    let mut out = BufWriter::new(io::stdout().lock());
    let written = lines
        .into_iter()
        .try_for_each(|line| {
            out.write_all(line.as_ref().as_bytes())?;
            out.write_all(b"\n")
        })
        .and_then(|()| out.flush());
    if let Err(err) = written {
        note_stdout_failure(&err);
        // The buffer still holds what could not be written; dropping it
        // would try again and fail the same way.
        drop(out.into_parts());
    }
}

/// Writes one line to standard output, as [`print_lines`] does.
pub fn print_line(line: &str) {
    print_lines([line]);
}

fn note_stdout_failure(err: &io::Error) {
    let problem = if err.kind() == io::ErrorKind::BrokenPipe {
        StdoutProblem::Closed
    } else {
        StdoutProblem::Failed(err.to_string())
    };
    let _ = STDOUT_PROBLEM.set(problem);
}

/// A message for the person at the terminal, on stderr, with control
/// characters escaped (line breaks kept). Never fails: a closed stderr
/// only means nobody reads it.
pub fn message(text: &str) {
    let mut err = io::stderr().lock();
    let _ = writeln!(err, "{}", display_lines(text));
}

/// A prompt on stderr, without a line break (the answer follows on it).
pub fn prompt(text: &str) {
    let mut err = io::stderr().lock();
    let _ = write!(err, "{}", display_text(text)).and_then(|()| err.flush());
}

/// `ls` and `ls -l` (for `--json`, see [`JsonListing`]).
pub fn print_listing(entries: &[RemoteEntry], long: bool) {
    print_lines(entries.iter().map(|entry| {
        if long {
            long_line(entry)
        } else {
            display_text(&entry.name)
        }
    }));
}

/// `ls --json` printed while the folder is read: the text
/// `serde_json::to_string_pretty` makes of the whole folder (one array),
/// written an entry at a time. The last entry waits for the next
/// (its closing brace takes a comma only if one follows), so a folder of
/// 100 000 entries is never held whole. `[` goes out with the first
/// entry: a listing that fails before any entry printed nothing.
#[derive(Default)]
pub struct JsonListing {
    started: bool,
    last: Option<String>,
}

impl JsonListing {
    pub fn add(&mut self, entries: &[RemoteEntry]) {
        print_lines(self.lines_for(entries));
    }

    /// Ends the array (an empty one when no entry came).
    pub fn finish(self) {
        print_lines(self.closing());
    }

    /// After a failure: ends the array if any of it was printed, so what
    /// was printed still parses (the exit status says it is not whole).
    pub fn end_if_started(self) {
        if self.started {
            self.finish();
        }
    }

    /// The lines `entries` complete: all but the last entry's.
    fn lines_for(&mut self, entries: &[RemoteEntry]) -> Vec<String> {
        let mut lines = Vec::new();
        for entry in entries {
            if !std::mem::replace(&mut self.started, true) {
                lines.push("[".to_string());
            }
            let text = serde_json::to_string_pretty(&entry_json(entry))
                .unwrap_or_else(|_| "{}".to_string());
            // Inside the array every line is indented two more spaces.
            let indented = text
                .lines()
                .map(|line| format!("  {line}"))
                .collect::<Vec<_>>()
                .join("\n");
            if let Some(last) = self.last.replace(indented) {
                lines.push(json_for_terminal(&format!("{last},")));
            }
        }
        lines
    }

    fn closing(self) -> Vec<String> {
        match self.last {
            Some(last) => vec![json_for_terminal(&last), "]".to_string()],
            None => vec!["[]".to_string()],
        }
    }
}

/// JSON on standard output, safe for a terminal (see [`json_for_terminal`]).
pub fn print_json(json: &str) {
    print_line(&json_for_terminal(json));
}

/// JSON text with every character a terminal could act on written as a
/// `\u` escape. serde_json escapes only what JSON requires (U+0000–U+001F,
/// quotes, backslashes) and writes DEL, C1 controls (U+009B is CSI to many
/// terminals) and bidi overrides raw. Such characters can only stand
/// inside strings, where `\u` escapes mean the same characters, so a
/// script reads exactly the same values.
fn json_for_terminal(json: &str) -> String {
    use std::fmt::Write;
    let mut safe = String::with_capacity(json.len());
    for c in json.chars() {
        if is_control_for_display(c) && c != '\n' {
            let _ = write!(safe, "\\u{:04x}", u32::from(c));
        } else {
            safe.push(c);
        }
    }
    safe
}

fn kind_name(kind: &EntryKind) -> &'static str {
    match kind {
        EntryKind::File => "file",
        EntryKind::Dir => "dir",
        EntryKind::Symlink { .. } => "symlink",
        EntryKind::Other => "other",
        EntryKind::Unknown => "unknown",
    }
}

fn entry_json(entry: &RemoteEntry) -> serde_json::Value {
    let target = match &entry.kind {
        EntryKind::Symlink { target } => target.clone(),
        _ => None,
    };
    serde_json::json!({
        "name": entry.name,
        "type": kind_name(&entry.kind),
        "size": entry.size,
        "modified": entry.modified.map(|t| t.format("%Y-%m-%dT%H:%M:%S").to_string()),
        "permissions": entry.permissions,
        "owner": entry.owner,
        "group": entry.group,
        "target": target,
    })
}

/// `ls -l`: every field that came from the server (permissions, name,
/// link target) is shown escaped.
pub fn long_line(entry: &RemoteEntry) -> String {
    let kind = match entry.kind {
        EntryKind::Dir => 'd',
        EntryKind::Symlink { .. } => 'l',
        EntryKind::File => '-',
        EntryKind::Other => 'o',
        EntryKind::Unknown => '?',
    };
    let size = entry
        .size
        .map(|s| s.to_string())
        .unwrap_or_else(|| "-".to_string());
    let modified = entry
        .modified
        .map(|t| t.format("%Y-%m-%d %H:%M").to_string())
        .unwrap_or_else(|| "-".repeat(16));
    let mut line = format!(
        "{kind} {:<10} {size:>12} {modified} {}",
        display_text(entry.permissions.as_deref().unwrap_or("-")),
        display_text(&entry.name)
    );
    if let EntryKind::Symlink {
        target: Some(target),
    } = &entry.kind
    {
        line.push_str(" -> ");
        line.push_str(&display_text(target));
    }
    line
}

/// A debug-log line on stderr, marked by what it is.
pub fn print_log_line(line: &LogLine) {
    let prefix = match line.kind {
        LogKind::Command => "> ",
        LogKind::Reply => "< ",
        LogKind::Error => "error: ",
        LogKind::Warning => "warning: ",
        LogKind::Data => "* ",
        LogKind::Status => "",
    };
    message(&format!("{prefix}{}", line.text));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_keeps_its_values_and_loses_its_terminal_controls() {
        let value = serde_json::json!({ "name": "a\u{1b}[2J\u{7f}\u{9b}1m\u{202e}b\n" });
        let text = serde_json::to_string_pretty(&value).unwrap();
        assert!(
            text.contains('\u{9b}'),
            "serde_json writes C1 raw: {text:?}"
        );
        let safe = json_for_terminal(&text);
        assert!(!safe.chars().any(|c| is_control_for_display(c) && c != '\n'));
        let back: serde_json::Value = serde_json::from_str(&safe).unwrap();
        assert_eq!(back, value);
    }

    fn entry(name: &str, kind: EntryKind) -> RemoteEntry {
        RemoteEntry {
            name: name.to_string(),
            kind,
            size: Some(7),
            modified: None,
            permissions: Some("rw-r--r--".to_string()),
            owner: None,
            group: None,
        }
    }

    /// Printed an entry at a time, in parts, `ls --json` is the very text
    /// of the whole folder printed at once, and an empty folder is `[]`.
    #[test]
    fn json_listing_in_parts_is_the_whole_array() {
        let parts = [
            vec![
                entry("a", EntryKind::File),
                entry("b\u{9b}", EntryKind::Dir),
            ],
            vec![],
            vec![entry(
                "c",
                EntryKind::Symlink {
                    target: Some("a".to_string()),
                },
            )],
        ];
        let mut out = JsonListing::default();
        let mut lines = Vec::new();
        for part in &parts {
            lines.extend(out.lines_for(part));
        }
        lines.extend(out.closing());
        let whole: Vec<serde_json::Value> = parts.iter().flatten().map(entry_json).collect();
        let want = json_for_terminal(&serde_json::to_string_pretty(&whole).unwrap());
        assert_eq!(lines.join("\n"), want);
        assert_eq!(JsonListing::default().closing(), ["[]"]);
    }
}
