//! Directory-listing parsers: MLSD (RFC 3659), LIST (Unix `ls -l` and
//! DOS/IIS styles) and NLST.
//!
//! Servers send whatever they like, so every parser here is total: any
//! input gives an entry, a skip or a [`ParseError`], never a panic. Names
//! are reported exactly as sent; deciding whether a name is safe to use
//! locally (`..`, `/`, control bytes) is the engine's job, not ours.

mod dos;
mod mlsd;
mod nlst;
mod text;

pub(crate) use text::mode_string;
mod unix;

#[cfg(test)]
mod tests;

pub use mlsd::parse_mlsd_line;
pub use nlst::parse_nlst_line;

use chrono::NaiveDateTime;

/// What a listing says an entry is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EntryKind {
    File,
    Dir,
    /// The target is known only when the server tells it (LIST `a -> b`,
    /// MLSD `OS.unix=slink:/b`).
    Symlink {
        target: Option<String>,
    },
    /// Devices, pipes, sockets, and MLSD types we do not know.
    Other,
    /// The listing does not say (NLST, or MLSD without a `type` fact).
    Unknown,
}

/// One entry of a remote directory, with whatever the server told us.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoteEntry {
    pub name: String,
    pub kind: EntryKind,
    pub size: Option<u64>,
    /// As the server reports it: MLSD is UTC, LIST is server-local time;
    /// neither is converted.
    pub modified: Option<NaiveDateTime>,
    /// `rw-r--r--` style for LIST and MLSD `unix.mode`, otherwise the raw
    /// MLSD `perm` fact.
    pub permissions: Option<String>,
    pub owner: Option<String>,
    pub group: Option<String>,
}

impl RemoteEntry {
    /// True only for entries the server says are directories; a symlink
    /// may point at one, but we cannot know without following it.
    pub fn is_dir(&self) -> bool {
        self.kind == EntryKind::Dir
    }

    /// An entry with only a name and a kind, the rest to be filled in.
    fn bare(name: &str, kind: EntryKind) -> Self {
        RemoteEntry {
            name: name.to_string(),
            kind,
            size: None,
            modified: None,
            permissions: None,
            owner: None,
            group: None,
        }
    }
}

/// A listing line we could not understand, kept so the user can be told
/// rather than having files silently vanish from a listing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    pub line: String,
    pub reason: String,
}

impl ParseError {
    fn new(line: &str, reason: &str) -> Self {
        ParseError {
            line: line.to_string(),
            reason: reason.to_string(),
        }
    }
}

impl std::fmt::Display for ParseError {
    /// The line is shown with `{:?}` so that control bytes from a hostile
    /// server cannot reach a terminal or log raw.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {:?}", self.reason, self.line)
    }
}

impl std::error::Error for ParseError {}

/// Which command produced the lines, and so how to read them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListingFormat {
    Mlsd,
    List,
    Nlst,
}

/// Parses one LIST line, Unix `ls -l` or DOS/IIS style, told apart by the
/// first column.
///
/// `now` is the server's idea of the present (approximated by ours): Unix
/// listings omit the year for recent files, and it is inferred from it.
/// Blank lines and `total N` lines give `Ok(None)`.
pub fn parse_list_line(line: &str, now: NaiveDateTime) -> Result<Option<RemoteEntry>, ParseError> {
    let trimmed = text::trim_eol(line);
    let mut tokens = text::Tokens::new(trimmed);
    let Some(first) = tokens.next() else {
        return Ok(None);
    };
    if first.text.eq_ignore_ascii_case("total") {
        let count = tokens.next();
        if tokens.next().is_none() && count.is_some_and(|t| text::all_digits(t.text)) {
            return Ok(None);
        }
    }
    if unix::looks_like_mode(first.text) {
        return unix::parse(line, trimmed, now).map(Some);
    }
    if dos::looks_like_date(first.text) {
        return dos::parse(line, trimmed).map(Some);
    }
    Err(ParseError::new(line, "unrecognised LIST line"))
}

/// Parses a whole listing. Bad lines are collected, not dropped, and do
/// not stop the rest; `.` and `..` are skipped because no caller wants to
/// recurse into them.
pub fn parse_listing(
    format: ListingFormat,
    lines: &[String],
    now: NaiveDateTime,
) -> (Vec<RemoteEntry>, Vec<ParseError>) {
    let mut entries = Vec::with_capacity(lines.len());
    let mut errors = Vec::new();
    for line in lines {
        match parse_listing_line(format, line, now) {
            Ok(Some(entry)) => entries.push(entry),
            Ok(None) => {}
            Err(err) => errors.push(err),
        }
    }
    (entries, errors)
}

/// One line of a listing: an entry, `None` for lines that name none
/// (`total 12`, blank, `.` and `..`), or why it could not be read.
pub fn parse_listing_line(
    format: ListingFormat,
    line: &str,
    now: NaiveDateTime,
) -> Result<Option<RemoteEntry>, ParseError> {
    let parsed = match format {
        ListingFormat::Mlsd => parse_mlsd_line(line),
        ListingFormat::List => parse_list_line(line, now),
        ListingFormat::Nlst => Ok(parse_nlst_line(line)),
    }?;
    Ok(parsed.filter(|entry| entry.name != "." && entry.name != ".."))
}
