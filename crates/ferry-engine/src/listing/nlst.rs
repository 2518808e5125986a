//! NLST lines: one name per line, nothing else.

use super::text;
use super::{EntryKind, RemoteEntry};

/// The line minus its line ending is the name; `None` for an empty line.
///
/// Some servers answer NLST with paths (`dir/name`); those are returned
/// as-is, since stripping them here would hide from the engine what the
/// server actually said, and the engine already vets names.
pub fn parse_nlst_line(line: &str) -> Option<RemoteEntry> {
    let name = text::trim_eol(line);
    if name.is_empty() {
        return None;
    }
    Some(RemoteEntry::bare(name, EntryKind::Unknown))
}
