//! DOS/IIS-style LIST lines: `MM-DD-YY  HH:MMPM  <DIR>|size  name`.
//!
//! IIS (and some Windows servers) send these instead of `ls -l`. There is
//! no owner or mode; the name is whatever follows the size column, with
//! the alignment spaces before it dropped.

use super::text::{self, Tokens, datetime, small_number};
use super::{EntryKind, ParseError, RemoteEntry};
use chrono::NaiveDateTime;

/// Whether a column is a DOS date: `MM-DD-YY` or `MM-DD-YYYY`, with `-`
/// or `/` between the fields. Only the shape is checked here.
pub(super) fn looks_like_date(s: &str) -> bool {
    split_date(s).is_some()
}

/// The three digit fields of a DOS date, unvalidated.
fn split_date(s: &str) -> Option<(&str, &str, &str)> {
    let mut parts = s.split(['-', '/']);
    let (month, day, year) = (parts.next()?, parts.next()?, parts.next()?);
    let shape_ok = parts.next().is_none()
        && (1..=2).contains(&month.len())
        && (1..=2).contains(&day.len())
        && (year.len() == 2 || year.len() == 4)
        && [month, day, year].iter().all(|p| text::all_digits(p));
    shape_ok.then_some((month, day, year))
}

/// Parses a line whose first column passed [`looks_like_date`]. `line` is
/// the original (for errors), `trimmed` the line without its line ending.
pub(super) fn parse(line: &str, trimmed: &str) -> Result<RemoteEntry, ParseError> {
    let err = |reason: &str| ParseError::new(line, reason);
    let mut columns = Tokens::new(trimmed);
    let date = columns
        .next()
        .ok_or_else(|| err("unrecognised LIST line"))?;
    let time = columns.next().ok_or_else(|| err("missing time"))?;
    let mut next = columns.next().ok_or_else(|| err("missing size"))?;

    // The AM/PM marker is normally glued to the time, but not always.
    let mut time_text = time.text.to_string();
    if next.text.eq_ignore_ascii_case("AM") || next.text.eq_ignore_ascii_case("PM") {
        time_text.push_str(next.text);
        next = columns.next().ok_or_else(|| err("missing size"))?;
    }
    let modified = dos_datetime(date.text, &time_text).ok_or_else(|| err("bad date"))?;

    let (kind, size) = if next.text.eq_ignore_ascii_case("<DIR>") {
        (EntryKind::Dir, None)
    } else if next.text.starts_with('<') && next.text.ends_with('>') {
        // <JUNCTION>, <SYMLINKD> and the like: the name column then holds
        // `name [target]`, which we report rather than guess at.
        (EntryKind::Other, None)
    } else {
        (
            EntryKind::File,
            Some(dos_size(next.text).ok_or_else(|| err("bad size"))?),
        )
    };

    let name = text::rest_after(trimmed, next.end);
    if name.is_empty() {
        return Err(err("missing name"));
    }
    let mut entry = RemoteEntry::bare(name, kind);
    entry.size = size;
    entry.modified = Some(modified);
    Ok(entry)
}

/// A size, possibly with thousands separators (`1,234`) as `dir` prints.
fn dos_size(s: &str) -> Option<u64> {
    if !s.bytes().all(|b| b.is_ascii_digit() || b == b',') || !s.bytes().any(|b| b.is_ascii_digit())
    {
        return None;
    }
    s.bytes()
        .filter(u8::is_ascii_digit)
        .try_fold(0u64, |acc, b| {
            acc.checked_mul(10)?.checked_add(u64::from(b - b'0'))
        })
}

/// Month-day-year and a 12- or 24-hour time. Two-digit years pivot at 70,
/// as IIS dates before 1970 do not occur.
fn dos_datetime(date: &str, time: &str) -> Option<NaiveDateTime> {
    let (month, day, year) = split_date(date)?;
    let mut year = small_number(year, 4)?;
    if year < 100 {
        year += if year < 70 { 2000 } else { 1900 };
    }

    let upper = time.to_ascii_uppercase();
    let (clock, meridiem) = if let Some(c) = upper.strip_suffix("AM") {
        (c, Some(false))
    } else if let Some(c) = upper.strip_suffix("PM") {
        (c, Some(true))
    } else {
        (upper.as_str(), None)
    };
    let (hour, minute) = clock.split_once(':')?;
    if minute.len() != 2 {
        return None;
    }
    let (hour, minute) = (small_number(hour, 2)?, small_number(minute, 2)?);
    let hour = match meridiem {
        None => hour,
        Some(_) if !(1..=12).contains(&hour) => return None,
        Some(false) => hour % 12,
        Some(true) => hour % 12 + 12,
    };
    datetime(
        i32::try_from(year).ok()?,
        small_number(month, 2)?,
        small_number(day, 2)?,
        hour,
        minute,
        0,
        0,
    )
}
