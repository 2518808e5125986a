//! Reading folders: listings and how far they can be trusted.
//!
//! A listing decides what a mirror deletes, so it is believed whole only
//! when the folder is known to exist and be readable and every line was
//! understood; otherwise it says why not ([`Listing::incomplete`]), or the
//! read fails.

use std::io::{BufRead, BufReader, Read};

use super::Session;
use crate::engine::deadline::Paced;
use crate::engine::debug_log;
use crate::engine::error::{Error, Result};
use crate::engine::event::{Listing, Reply};
use crate::engine::names::check_command_argument;
use crate::engine::net;
use crate::listing::{self, EntryKind, ListingFormat, RemoteEntry};

/// Longest listing line (a 10 000-character name still fits).
pub const MAX_LISTING_LINE: usize = 64 * 1024;
/// Largest listing we hold in memory: about 700 000 LIST lines.
pub const MAX_LISTING_BYTES: usize = 64 * 1024 * 1024;
/// Most entries (lines) of one listing: 64 MiB of one-byte lines would
/// otherwise become tens of millions of strings.
pub const MAX_LISTING_ENTRIES: usize = 1_000_000;
/// Entries handed over at a time by [`Session::list_in_parts`].
pub const LISTING_PART: usize = 1024;
/// Unreadable listing lines reported one by one; the rest are counted.
const MAX_WARNED_LINES: usize = 10;

impl Session {
    /// Lists a folder: MLSD when the server offers it, else LIST, else NLST.
    ///
    /// The listing says whether it is the whole truth ([`Listing::incomplete`]):
    /// lines that could not be read, or a server saying it cut the listing
    /// short (pure-ftpd: `226 Output truncated to 10000 matches`), make it
    /// incomplete, and callers must not delete anything on its word. An
    /// empty answer, or one naming a single entry, is believed only once the
    /// folder is confirmed to exist and be readable (MLST, or CWD into it):
    /// vsftpd answers `LIST` of a missing or unreadable folder with 226 and
    /// nothing (or the folder's own line), and `LIST` of a file with that
    /// file's line.
    pub fn list(&mut self, path: Option<&str>) -> Result<Listing> {
        self.list_streaming(path, None)
    }

    /// Like [`Session::list`], handing the entries to `part` in parts of
    /// [`LISTING_PART`] as they are read, so a caller that only prints
    /// them never holds the whole folder; the [`Listing`] returned holds
    /// the rest. Nothing is handed over before the second entry (a listing
    /// of one entry or none is believed only once confirmed), and entries
    /// handed over stay valid if the listing then fails or is incomplete:
    /// the result says so, as for [`Session::list`].
    pub fn list_in_parts(
        &mut self,
        path: Option<&str>,
        part: &mut dyn FnMut(Vec<RemoteEntry>),
    ) -> Result<Listing> {
        self.list_streaming(path, Some(part))
    }

    fn list_streaming(
        &mut self,
        path: Option<&str>,
        mut part: Option<&mut dyn FnMut(Vec<RemoteEntry>)>,
    ) -> Result<Listing> {
        let mut formats = vec![ListingFormat::List, ListingFormat::Nlst];
        if self.info.features.has_mlsd() {
            formats.insert(0, ListingFormat::Mlsd);
        }
        let mut last_error = None;
        for format in formats {
            let verb = match format {
                ListingFormat::Mlsd => "MLSD",
                ListingFormat::List => "LIST",
                ListingFormat::Nlst => "NLST",
            };
            let now = chrono::Local::now().naive_local();
            let mut parsed = Parsed::default();
            let mut handed = 0usize;
            // Held whole, the lines wait as text (a third of the size of
            // entries) until the read is done, so a listing cut at the
            // size limit has never cost more than its text.
            let mut lines = Vec::new();
            let read = self.read_listing(verb, path, &mut |line| match part.as_mut() {
                None => lines.push(line.to_string()),
                Some(part) => {
                    parsed.add(format, line, now);
                    if parsed.entries.len() >= LISTING_PART {
                        handed += parsed.entries.len();
                        part(std::mem::take(&mut parsed.entries));
                    }
                }
            });
            if read.is_ok() {
                for line in std::mem::take(&mut lines) {
                    parsed.add(format, &line, now);
                }
            }
            drop(lines);
            let Parsed {
                entries,
                errors,
                unread,
            } = parsed;
            match read {
                Ok(final_reply) => {
                    let mut problems = Vec::new();
                    if unread > 0 {
                        for error in &errors {
                            self.log
                                .warning(&format!("Could not read a listing line: {error}"));
                        }
                        if unread > MAX_WARNED_LINES {
                            self.log.warning(&format!(
                                "… and {} more listing lines that could not be read",
                                unread - MAX_WARNED_LINES
                            ));
                        }
                        problems.push(format!("{unread} listing line(s) could not be read"));
                    }
                    let final_reply = match final_reply {
                        Some(reply) => reply,
                        None => {
                            problems.push(
                                "the server's last word on it could not be read (another \
                                 logger holds the protocol log), so a cut could not be seen"
                                    .to_string(),
                            );
                            String::new()
                        }
                    };
                    if let Some(failed) = unopened_notice(&final_reply) {
                        let folder = path
                            .filter(|p| !p.is_empty())
                            .unwrap_or("the current folder");
                        return Err(Error::Permanent {
                            code: 550,
                            text: format!("{folder} could not be listed ({failed})"),
                        });
                    }
                    if let Some(cut) = truncation_notice(&final_reply) {
                        problems.push(format!("the server cut the listing short ({cut})"));
                    }
                    if let Some(folder) = path.filter(|p| !p.is_empty())
                        && handed + entries.len() <= 1
                    {
                        self.confirm_folder(folder)?;
                        if let [only] = entries.as_slice() {
                            self.confirm_not_itself(folder, only)?;
                        }
                    }
                    let incomplete = (!problems.is_empty()).then(|| problems.join("; "));
                    if let Some(why) = &incomplete {
                        let folder = path
                            .filter(|p| !p.is_empty())
                            .unwrap_or("the current folder");
                        self.log.warning(&format!(
                            "The listing of {folder} is INCOMPLETE: {why}; \
                             nothing will be deleted on its word"
                        ));
                    }
                    return Ok(Listing {
                        entries,
                        incomplete,
                        exact_times: format == ListingFormat::Mlsd,
                    });
                }
                // Only "not understood" falls back; a missing folder does not.
                Err(
                    err @ Error::Permanent {
                        code: 500..=502, ..
                    },
                ) => last_error = Some(err),
                Err(err) => return Err(err),
            }
        }
        Err(last_error.unwrap_or(Error::Protocol("no listing command works".to_string())))
    }

    /// A folder listed as one entry of its own name may be a folder that
    /// holds a namesake (`x/x`), or one the server could enter but not
    /// read, whose own line it listed instead (vsftpd, for mode 711): then
    /// there is no `x/x` to enter, and the listing is not of its contents.
    fn confirm_not_itself(&mut self, path: &str, only: &RemoteEntry) -> Result<()> {
        let own_name = crate::engine::names::remote_basename(path);
        let maybe_itself = matches!(only.kind, EntryKind::Dir | EntryKind::Unknown)
            && (only.name == own_name || only.name.trim_end_matches('/') == path);
        if !maybe_itself {
            return Ok(());
        }
        let inner = crate::engine::names::remote_join(path, own_name);
        self.confirm_folder(&inner).map_err(|_| Error::Permanent {
            code: 550,
            text: format!("{path} could not be read: the server listed only the folder itself"),
        })
    }

    /// Makes sure `path` is a folder that can be listed, for a listing too
    /// thin to be believed on its own. MLST tells in one round trip where
    /// the server offers it; otherwise CWD into the folder and back.
    fn confirm_folder(&mut self, path: &str) -> Result<()> {
        check_command_argument("the path", path)?;
        if self.info.features.supports("MLST") {
            let reply = self.raw(&format!("MLST {path}"))?;
            match reply.code {
                250 => match mlst_verdict(&reply.text) {
                    Some(Ok(())) => return Ok(()),
                    Some(Err(what)) => {
                        return Err(Error::Permanent {
                            code: 550,
                            text: format!("{path} {what}"),
                        });
                    }
                    // Facts we cannot judge: CWD below decides.
                    None => {}
                },
                // Not understood: CWD below decides.
                500..=502 => {}
                _ => return Err(not_a_folder(path, &reply)),
            }
        }
        let here = self.pwd()?;
        let reply = self.raw(&format!("CWD {path}"))?;
        if reply.code / 100 != 2 {
            return Err(not_a_folder(path, &reply));
        }
        // Back where we were: a session in another folder than it thinks
        // would resolve relative paths wrongly, so it is not trusted.
        if let Err(err) = self.path_command("CWD", &here, |c| c / 100 == 2) {
            self.broken = true;
            return Err(err);
        }
        Ok(())
    }

    /// NLST: names only.
    pub fn name_list(&mut self, path: Option<&str>) -> Result<Vec<String>> {
        let mut names = Vec::new();
        self.read_listing("NLST", path, &mut |line| {
            if let Some(entry) = listing::parse_nlst_line(line) {
                names.push(entry.name);
            }
        })?;
        Ok(names)
    }

    /// Runs a listing command and hands each line (without its CRLF,
    /// blank lines skipped) to `line` as it is read, within the size
    /// limits; returns the replies to it (the 150 and the final 226), whose
    /// words may say the listing was cut short (`None`: they cannot be read).
    fn read_listing(
        &mut self,
        verb: &str,
        path: Option<&str>,
        each: &mut dyn FnMut(&str),
    ) -> Result<Option<String>> {
        let command = match path {
            Some(p) if !p.is_empty() => {
                check_command_argument("the path", p)?;
                format!("{verb} {p}")
            }
            _ => verb.to_string(),
        };
        let mut stream = self.open_data(&command, 0)?;
        let encoding = self.encoding;
        let mut reader = BufReader::with_capacity(64 * 1024, Paced::new(&mut stream, self.timeout));
        let mut lines = 0usize;
        let mut total = 0usize;
        let mut line = Vec::new();
        let outcome = loop {
            line.clear();
            let read = (&mut reader)
                .take(MAX_LISTING_LINE as u64 + 1)
                .read_until(b'\n', &mut line);
            match read {
                Ok(0) => break Ok(()),
                Ok(n) => {
                    total += n;
                    if line.len() > MAX_LISTING_LINE {
                        break Err(Error::Protocol(format!(
                            "a {verb} line is longer than {MAX_LISTING_LINE} bytes"
                        )));
                    }
                    if total > MAX_LISTING_BYTES {
                        break Err(Error::Protocol(format!(
                            "the {verb} listing is larger than {} MiB",
                            MAX_LISTING_BYTES / (1024 * 1024)
                        )));
                    }
                    let bytes = line.strip_suffix(b"\n").unwrap_or(&line);
                    let bytes = bytes.strip_suffix(b"\r").unwrap_or(bytes);
                    if !bytes.is_empty() {
                        if lines == MAX_LISTING_ENTRIES {
                            break Err(Error::Protocol(format!(
                                "the {verb} listing has more than {MAX_LISTING_ENTRIES} entries"
                            )));
                        }
                        lines += 1;
                        each(&encoding.decode(bytes));
                    }
                }
                Err(err) => break Err(net::io_error("reading the listing", &err)),
            }
        };
        drop(reader);
        match outcome {
            Ok(()) => {
                self.finish_data(stream)?;
                let replies = self
                    .take_direct_replies()
                    .or_else(debug_log::replies_since_last_command);
                self.log
                    .detail(&format!("{verb}: {lines} lines, {total} bytes"));
                Ok(replies)
            }
            Err(err) => {
                self.abort_data(stream);
                Err(err)
            }
        }
    }
}

/// Entries read so far, and the lines that could not be read (the first
/// few kept for the log, all counted).
#[derive(Default)]
struct Parsed {
    entries: Vec<RemoteEntry>,
    errors: Vec<listing::ParseError>,
    unread: usize,
}

impl Parsed {
    fn add(&mut self, format: ListingFormat, line: &str, now: chrono::NaiveDateTime) {
        match listing::parse_listing_line(format, line, now) {
            Ok(Some(entry)) => self.entries.push(entry),
            Ok(None) => {}
            Err(error) => {
                self.unread += 1;
                if self.errors.len() < MAX_WARNED_LINES {
                    self.errors.push(error);
                }
            }
        }
    }
}

/// The line of a listing's replies that says the server cut it short, if
/// any (pure-ftpd: "Output truncated to 10000 matches").
fn truncation_notice(replies: &str) -> Option<String> {
    replies
        .lines()
        .find(|line| line.to_ascii_lowercase().contains("truncat"))
        .map(|line| line.trim().to_string())
}

/// The line of a listing's replies that says the server could not read the
/// folder though it answered 2xx (vsftpd: "226 Transfer done (but failed to
/// open directory).").
fn unopened_notice(replies: &str) -> Option<String> {
    replies
        .lines()
        .find(|line| line.to_ascii_lowercase().contains("failed to open"))
        .map(|line| line.trim().to_string())
}

/// What an MLST reply says of a path we want to list: `Some(Ok)` for a
/// folder we may list, `Some(Err(what it is instead))`, or `None` when the
/// facts do not tell.
fn mlst_verdict(text: &str) -> Option<std::result::Result<(), String>> {
    // The facts are on the one line that starts with a space.
    let line = text.lines().find(|l| l.starts_with(' '))?.trim_start();
    let facts = line.split_once(' ').map_or(line, |(facts, _)| facts);
    let fact = |name: &str| {
        facts.split(';').find_map(|f| {
            let (key, value) = f.split_once('=')?;
            key.eq_ignore_ascii_case(name).then_some(value)
        })
    };
    let kind = fact("type")?.to_ascii_lowercase();
    match kind.as_str() {
        "dir" | "cdir" | "pdir" => {}
        "file" => return Some(Err("is a file, not a folder".to_string())),
        _ => return None,
    }
    // RFC 3659 perm letters: "l" lists, "e" enters. Without the fact, try.
    match fact("perm") {
        Some(perm) if !perm.contains(['l', 'L', 'e', 'E']) => {
            Some(Err("is a folder this login may not list".to_string()))
        }
        _ => Some(Ok(())),
    }
}

/// The error for a path that turned out not to be a folder we can list.
fn not_a_folder(path: &str, reply: &Reply) -> Error {
    let text = format!(
        "{path} is not a folder that can be listed: {}",
        crate::engine::error::reply_message(&reply.text)
    );
    if reply.code / 100 == 4 {
        Error::Temporary {
            code: reply.code,
            text,
        }
    } else {
        Error::Permanent {
            code: reply.code.max(500),
            text,
        }
    }
}
