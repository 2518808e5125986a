//! Small text helpers shared by the parsers.
//!
//! Everything slices with `str::get` at offsets found by `str::find`, which
//! are always char boundaries, so no input can make these panic.

use chrono::{NaiveDate, NaiveDateTime};

/// Drops the line ending a server may leave on a line (`\r\n`, `\n`, or a
/// stray `\r`), but no other trailing whitespace: it may be part of a name.
pub(super) fn trim_eol(line: &str) -> &str {
    line.trim_end_matches(['\r', '\n'])
}

/// Column separators in listings. Only ASCII space and tab: other
/// whitespace (NBSP, ideographic space) belongs to names.
pub(super) fn is_sep(c: char) -> bool {
    c == ' ' || c == '\t'
}

/// A column of a listing line and where it lies in the line.
#[derive(Debug, Clone, Copy)]
pub(super) struct Token<'a> {
    pub text: &'a str,
    pub start: usize,
    pub end: usize,
}

/// Lazily splits a line into columns, remembering offsets so the name can
/// be taken verbatim (internal spaces included) from the original line.
pub(super) struct Tokens<'a> {
    line: &'a str,
    pos: usize,
}

impl<'a> Tokens<'a> {
    pub(super) fn new(line: &'a str) -> Self {
        Tokens { line, pos: 0 }
    }
}

impl<'a> Iterator for Tokens<'a> {
    type Item = Token<'a>;

    fn next(&mut self) -> Option<Token<'a>> {
        let rest = self.line.get(self.pos..)?;
        let start = self.pos + rest.find(|c| !is_sep(c))?;
        let from_start = self.line.get(start..)?;
        let end = start + from_start.find(is_sep).unwrap_or(from_start.len());
        self.pos = end;
        Some(Token {
            text: self.line.get(start..end)?,
            start,
            end,
        })
    }
}

/// The rest of `line` after byte offset `end`, skipping every separator.
pub(super) fn rest_after(line: &str, end: usize) -> &str {
    line.get(end..).unwrap_or("").trim_start_matches(is_sep)
}

pub(super) fn all_digits(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

/// Parses a short run of ASCII digits (a date or time field). Rejects
/// signs and anything `u32::from_str` would otherwise accept.
pub(super) fn small_number(s: &str, max_len: usize) -> Option<u32> {
    if s.len() > max_len || !all_digits(s) {
        return None;
    }
    s.parse().ok()
}

/// English three-letter month abbreviation, any case, to 1..=12.
pub(super) fn month_number(s: &str) -> Option<u32> {
    const MONTHS: [&str; 12] = [
        "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
    ];
    MONTHS
        .iter()
        .position(|m| m.eq_ignore_ascii_case(s))
        .and_then(|i| u32::try_from(i + 1).ok())
}

/// A calendar date and time of day, or `None` if it does not exist.
pub(super) fn datetime(
    year: i32,
    month: u32,
    day: u32,
    hour: u32,
    minute: u32,
    second: u32,
    nano: u32,
) -> Option<NaiveDateTime> {
    NaiveDate::from_ymd_opt(year, month, day)?.and_hms_nano_opt(hour, minute, second, nano)
}

/// Renders an octal mode (`0644`, `4755`, `100644`) as `ls -l` does, so
/// MLSD and LIST entries show permissions the same way.
pub(crate) fn mode_string(octal: &str) -> Option<String> {
    if octal.is_empty() || octal.len() > 7 || !octal.bytes().all(|b| (b'0'..=b'7').contains(&b)) {
        return None;
    }
    let mode = u32::from_str_radix(octal, 8).ok()?;
    let bit = |mask: u32| mode & mask != 0;
    // (read, write, execute, special bit, letter for special+exec).
    let triads = [
        (0o400, 0o200, 0o100, 0o4000, 's'),
        (0o040, 0o020, 0o010, 0o2000, 's'),
        (0o004, 0o002, 0o001, 0o1000, 't'),
    ];
    let mut out = String::with_capacity(9);
    for (r, w, x, special, letter) in triads {
        out.push(if bit(r) { 'r' } else { '-' });
        out.push(if bit(w) { 'w' } else { '-' });
        out.push(match (bit(x), bit(special)) {
            (true, true) => letter,
            (false, true) => letter.to_ascii_uppercase(),
            (true, false) => 'x',
            (false, false) => '-',
        });
    }
    Some(out)
}
