//! Unix-style LIST lines, as `ls -l` prints them:
//! `mode links owner group size date name`.
//!
//! Servers disagree on the columns before the date (no link count, no
//! group, device numbers instead of a size, groups with spaces), so the
//! date is found first and everything else is read relative to it. The
//! name is the rest of the line after exactly one space following the
//! date, so names with internal (or even leading) spaces survive.

use super::text::{Token, Tokens, all_digits, datetime, month_number, small_number};
use super::{EntryKind, ParseError, RemoteEntry};
use chrono::{Datelike, NaiveDateTime, TimeDelta};

/// How many columns we look at before giving up on finding a date: ten
/// covers mode, links, owner, a two-word group and device numbers, and the
/// cap keeps a pathological line from being scanned column by column.
const MAX_COLUMNS_BEFORE_DATE: usize = 10;
/// Columns a date can take (`Jan 2 03:04:05 2023`, `2023-01-02 03:04:05 +0100`).
const MAX_DATE_COLUMNS: usize = 4;

/// Whether a column is an `ls -l` mode like `drwxr-xr-x`, optionally with
/// an ACL (`+`), extended-attribute (`@`) or SELinux (`.`) mark.
pub(super) fn looks_like_mode(s: &str) -> bool {
    let mut chars = s.chars();
    let Some(kind) = chars.next() else {
        return false;
    };
    if !"-dlcbpsDnwM?".contains(kind) {
        return false;
    }
    let mut count = 0;
    for c in chars.by_ref().take(9) {
        if !"rwxsStTlL-".contains(c) {
            return false;
        }
        count += 1;
    }
    let mark = chars.next();
    count == 9 && chars.next().is_none() && mark.is_none_or(|m| "+@.".contains(m))
}

/// Parses a line whose first column passed [`looks_like_mode`]. `line` is
/// the original (for errors), `trimmed` the line without its line ending.
pub(super) fn parse(
    line: &str,
    trimmed: &str,
    now: NaiveDateTime,
) -> Result<RemoteEntry, ParseError> {
    let err = |reason: &str| ParseError::new(line, reason);
    let columns: Vec<Token<'_>> = Tokens::new(trimmed)
        .take(MAX_COLUMNS_BEFORE_DATE + MAX_DATE_COLUMNS)
        .collect();
    let mode = columns
        .first()
        .ok_or_else(|| err("unrecognised LIST line"))?;

    // Leftmost date wins: a name may itself look like a date. At least
    // mode, owner and size come before it, which stops an owner called
    // `jan` from being read as a month.
    let (date_at, date) = (3..columns.len().min(MAX_COLUMNS_BEFORE_DATE + 1))
        .filter(|&i| columns.get(i - 1).is_some_and(|t| size_like(t.text)))
        .find_map(|i| columns.get(i..).and_then(match_date).map(|d| (i, d)))
        .ok_or_else(|| err("unrecognised LIST line: no date column"))?;
    let last_date_column = columns
        .get(date_at + date.columns - 1)
        .ok_or_else(|| err("unrecognised LIST line"))?;

    // Exactly one separator after the date; the rest, as is, is the name.
    let name = trimmed.get(last_date_column.end + 1..).unwrap_or("");
    if name.is_empty() {
        return Err(err("missing name"));
    }

    let modified = date.resolve(now).ok_or_else(|| err("bad date"))?;

    // The size column, or the `major, minor` pair of a device.
    let size_column = date_at - 1;
    let size_text = columns.get(size_column).map_or("", |t| t.text);
    let (size, first_size_column) = if size_text.contains(',') {
        (None, size_column)
    } else if size_column >= 2
        && columns
            .get(size_column - 1)
            .is_some_and(|t| is_major(t.text))
    {
        (None, size_column - 1)
    } else {
        let size = size_text.parse::<u64>().map_err(|_| err("bad size"))?;
        (Some(size), size_column)
    };

    let (owner, group) = owner_and_group(trimmed, columns.get(1..first_size_column).unwrap_or(&[]));

    let mut mode_chars = mode.text.chars();
    let kind_char = mode_chars.next().unwrap_or('?');
    let permissions: String = mode_chars.take(9).collect();

    let (name, kind) = match kind_char {
        '-' => (name, EntryKind::File),
        'd' => (name, EntryKind::Dir),
        'l' => match name.split_once(" -> ") {
            Some((link, target)) if !link.is_empty() => (
                link,
                EntryKind::Symlink {
                    target: Some(target.to_string()),
                },
            ),
            _ => (name, EntryKind::Symlink { target: None }),
        },
        _ => (name, EntryKind::Other),
    };

    let mut entry = RemoteEntry::bare(name, kind);
    entry.size = size;
    entry.modified = Some(modified);
    entry.permissions = Some(permissions);
    entry.owner = owner;
    entry.group = group;
    Ok(entry)
}

/// A size, or the minor (or `major,minor`) of a device.
fn size_like(s: &str) -> bool {
    match s.split_once(',') {
        Some((major, minor)) => all_digits(major) && (minor.is_empty() || all_digits(minor)),
        None => all_digits(s),
    }
}

/// The `major,` half of a device's `major, minor`.
fn is_major(s: &str) -> bool {
    s.strip_suffix(',').is_some_and(all_digits)
}

/// Reads the columns between the mode and the size. A leading number is
/// the link count; then the owner; whatever is left is the group, kept
/// whole because Windows-hosted servers send groups like `Domain Users`.
fn owner_and_group(line: &str, columns: &[Token<'_>]) -> (Option<String>, Option<String>) {
    let rest = match columns {
        [links, rest @ ..] if !rest.is_empty() && all_digits(links.text) => rest,
        _ => columns,
    };
    let owner = rest.first().map(|t| t.text.to_string());
    let group = match rest {
        [_, first, .., last] => line.get(first.start..last.end).map(str::to_string),
        [_, only] => Some(only.text.to_string()),
        _ => None,
    };
    (owner, group)
}

/// A date as it appears in the listing, before the year is known.
struct ListDate {
    /// How many columns it took.
    columns: usize,
    year: Option<u32>,
    month: u32,
    day: u32,
    hour: u32,
    minute: u32,
    second: u32,
    nano: u32,
}

impl ListDate {
    /// The full timestamp. Without a year, `ls` means "within the last six
    /// months", so take this year unless that lands more than a day in the
    /// future (clock skew and time zones), in which case it was last year.
    fn resolve(&self, now: NaiveDateTime) -> Option<NaiveDateTime> {
        let at = |year: i32| {
            datetime(
                year,
                self.month,
                self.day,
                self.hour,
                self.minute,
                self.second,
                self.nano,
            )
        };
        if let Some(year) = self.year {
            return at(i32::try_from(year).ok()?);
        }
        let limit = TimeDelta::try_days(1)
            .and_then(|d| now.checked_add_signed(d))
            .unwrap_or(now);
        match at(now.year()) {
            Some(this_year) if this_year <= limit => Some(this_year),
            // Also reached for Feb 29 when this year has none.
            _ => at(now.year() - 1),
        }
    }
}

/// Recognises a date at the start of `columns`: `Mon DD HH:MM`,
/// `Mon DD YYYY`, `Mon DD HH:MM:SS YYYY` (BSD `ls -T`), or ISO
/// `YYYY-MM-DD HH:MM[:SS[.frac] [+zone]]`. The shape decides; impossible
/// values (`Feb 30`, `25:00`) are left for [`ListDate::resolve`] to reject
/// so the line reports "bad date" rather than "unrecognised".
fn match_date(columns: &[Token<'_>]) -> Option<ListDate> {
    let first = columns.first()?.text;
    if let Some(month) = month_number(first) {
        let day = small_number(columns.get(1)?.text, 2)?;
        let third = columns.get(2)?.text;
        if let Some(year) = small_number(third, 4).filter(|_| third.len() == 4) {
            return Some(ListDate {
                columns: 3,
                year: Some(year),
                month,
                day,
                hour: 0,
                minute: 0,
                second: 0,
                nano: 0,
            });
        }
        let (hour, minute, second, nano, with_seconds) = clock(third)?;
        let year = columns
            .get(3)
            .map(|t| t.text)
            .filter(|t| with_seconds && t.len() == 4)
            .and_then(|t| small_number(t, 4));
        if with_seconds && year.is_none() {
            return None;
        }
        return Some(ListDate {
            columns: if year.is_some() { 4 } else { 3 },
            year,
            month,
            day,
            hour,
            minute,
            second,
            nano,
        });
    }

    let mut parts = first.split('-');
    let (year, month, day) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() || year.len() != 4 || month.len() != 2 || day.len() != 2 {
        return None;
    }
    let (hour, minute, second, nano, with_seconds) = clock(columns.get(1)?.text)?;
    // `full-iso` adds a zone after seconds; the time is kept as-is.
    let zone = columns
        .get(2)
        .is_some_and(|t| with_seconds && is_zone(t.text));
    Some(ListDate {
        columns: if zone { 3 } else { 2 },
        year: Some(small_number(year, 4)?),
        month: small_number(month, 2)?,
        day: small_number(day, 2)?,
        hour,
        minute,
        second,
        nano,
    })
}

/// `H:MM`, `HH:MM` or `HH:MM:SS[.fraction]`; the flag says seconds were
/// present.
fn clock(s: &str) -> Option<(u32, u32, u32, u32, bool)> {
    let mut parts = s.split(':');
    let hour = small_number(parts.next()?, 2)?;
    let minute_text = parts.next()?;
    if minute_text.len() != 2 {
        return None;
    }
    let minute = small_number(minute_text, 2)?;
    let Some(seconds_text) = parts.next() else {
        return Some((hour, minute, 0, 0, false));
    };
    if parts.next().is_some() {
        return None;
    }
    let (whole, fraction) = seconds_text.split_once('.').unwrap_or((seconds_text, ""));
    if whole.len() != 2 || !(fraction.is_empty() || all_digits(fraction)) {
        return None;
    }
    let digits = fraction.get(..fraction.len().min(9)).unwrap_or("");
    let nano = if digits.is_empty() {
        0
    } else {
        digits.parse::<u32>().ok()? * 10u32.pow(u32::try_from(9 - digits.len()).ok()?)
    };
    Some((hour, minute, small_number(whole, 2)?, nano, true))
}

/// A numeric UTC offset such as `+0100` or `-0530`.
fn is_zone(s: &str) -> bool {
    s.strip_prefix(['+', '-'])
        .is_some_and(|digits| digits.len() == 4 && all_digits(digits))
}
