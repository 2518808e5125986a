//! MLSD lines (RFC 3659 section 7): `fact=value;fact=value; name`.
//!
//! The one space after the facts is the only separator: facts never
//! contain spaces, while names may contain spaces and `;`, so everything
//! after the first space is the name, verbatim.

use super::text::{self, datetime, small_number};
use super::{EntryKind, ParseError, RemoteEntry};
use chrono::NaiveDateTime;

/// Parses one MLSD line. `Ok(None)` for the `cdir`/`pdir` entries (the
/// listed directory itself and its parent), which are not children.
pub fn parse_mlsd_line(line: &str) -> Result<Option<RemoteEntry>, ParseError> {
    let trimmed = text::trim_eol(line);
    let err = |reason: &str| ParseError::new(line, reason);
    let Some((facts_text, name)) = trimmed.split_once(' ') else {
        return Err(err("missing space before name in MLSD line"));
    };
    if name.is_empty() {
        return Err(err("missing name in MLSD line"));
    }

    let mut facts = Facts::default();
    for fact in facts_text.split(';').filter(|f| !f.is_empty()) {
        let Some((key, value)) = fact.split_once('=') else {
            return Err(err("malformed MLSD fact"));
        };
        facts.record(key, value);
    }

    let kind = match facts.kind {
        None => EntryKind::Unknown,
        Some(value) => match mlsd_type(value) {
            Some(kind) => kind,
            None => return Ok(None),
        },
    };
    let mut entry = RemoteEntry::bare(name, kind);
    if let Some(size) = facts.size.or(facts.sizd) {
        entry.size = Some(size.parse().map_err(|_| err("bad size"))?);
    }
    if let Some(modify) = facts.modify {
        entry.modified = Some(modify_time(modify).ok_or_else(|| err("bad date"))?);
    }
    // unix.mode is what users recognise; perm (RFC 3659 letters) is the
    // fallback, and a garbled mode is not worth losing the entry over.
    entry.permissions = facts
        .mode
        .and_then(text::mode_string)
        .or_else(|| facts.perm.map(str::to_string));
    entry.owner = facts.owner.map(str::to_string);
    entry.group = facts.group.map(str::to_string);
    Ok(Some(entry))
}

/// The facts we use, borrowed from the line. Later duplicates win, which
/// is as good a rule as any for a server that repeats itself.
#[derive(Default)]
struct Facts<'a> {
    kind: Option<&'a str>,
    size: Option<&'a str>,
    sizd: Option<&'a str>,
    modify: Option<&'a str>,
    perm: Option<&'a str>,
    mode: Option<&'a str>,
    owner: Option<&'a str>,
    owner_rank: u8,
    group: Option<&'a str>,
    group_rank: u8,
}

impl<'a> Facts<'a> {
    fn record(&mut self, key: &str, value: &'a str) {
        // A name beats a numeric id, whichever order the server sends them.
        let owner_rank = match_key(key, &["unix.uid", "unix.owner", "unix.ownername"]);
        let group_rank = match_key(key, &["unix.gid", "unix.group", "unix.groupname"]);
        if owner_rank > 0 && owner_rank >= self.owner_rank {
            self.owner = Some(value);
            self.owner_rank = owner_rank;
        } else if group_rank > 0 && group_rank >= self.group_rank {
            self.group = Some(value);
            self.group_rank = group_rank;
        } else if key.eq_ignore_ascii_case("type") {
            self.kind = Some(value);
        } else if key.eq_ignore_ascii_case("size") {
            self.size = Some(value);
        } else if key.eq_ignore_ascii_case("sizd") {
            self.sizd = Some(value);
        } else if key.eq_ignore_ascii_case("modify") {
            self.modify = Some(value);
        } else if key.eq_ignore_ascii_case("perm") {
            self.perm = Some(value);
        } else if key.eq_ignore_ascii_case("unix.mode") {
            self.mode = Some(value);
        }
    }
}

/// 1-based position of `key` in `names` (case-insensitive), 0 if absent.
fn match_key(key: &str, names: &[&str]) -> u8 {
    names
        .iter()
        .position(|n| n.eq_ignore_ascii_case(key))
        .and_then(|i| u8::try_from(i + 1).ok())
        .unwrap_or(0)
}

/// Maps a `type` fact value to a kind; `None` for `cdir`/`pdir`.
fn mlsd_type(value: &str) -> Option<EntryKind> {
    const UNIX_PREFIX: &str = "os.unix=";
    let lower = value.to_ascii_lowercase();
    Some(match lower.as_str() {
        "file" => EntryKind::File,
        "dir" => EntryKind::Dir,
        "cdir" | "pdir" => return None,
        _ if lower.starts_with(UNIX_PREFIX) => {
            // `value` and `lower` have the same byte layout (ASCII
            // lowercasing), so offsets found in one are valid in the other.
            let sub = value.get(UNIX_PREFIX.len()..).unwrap_or("");
            let (what, target) = match sub.split_once(':') {
                Some((what, target)) => (what, Some(target)),
                None => (sub, None),
            };
            if what.eq_ignore_ascii_case("slink") || what.eq_ignore_ascii_case("symlink") {
                EntryKind::Symlink {
                    target: target.filter(|t| !t.is_empty()).map(str::to_string),
                }
            } else {
                EntryKind::Other
            }
        }
        _ => EntryKind::Other,
    })
}

/// `YYYYMMDDHHMMSS[.sss]`, UTC per RFC 3659; any number of fraction
/// digits is accepted, beyond nanoseconds they are dropped.
fn modify_time(value: &str) -> Option<NaiveDateTime> {
    let (main, fraction) = match value.split_once('.') {
        Some((main, fraction)) => (main, Some(fraction)),
        None => (value, None),
    };
    if main.len() != 14 || !text::all_digits(main) {
        return None;
    }
    let field = |from: usize, to: usize| main.get(from..to).and_then(|s| small_number(s, 4));
    let year = i32::try_from(field(0, 4)?).ok()?;
    let mut nano = 0;
    if let Some(fraction) = fraction {
        if !text::all_digits(fraction) {
            return None;
        }
        let digits = fraction.get(..fraction.len().min(9)).unwrap_or("");
        let scale = 10u32.pow(u32::try_from(9 - digits.len()).ok()?);
        nano = digits.parse::<u32>().ok()? * scale;
    }
    datetime(
        year,
        field(4, 6)?,
        field(6, 8)?,
        field(8, 10)?,
        field(10, 12)?,
        field(12, 14)?,
        nano,
    )
}
