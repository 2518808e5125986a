//! View → Compare folders: each row of one pane marked against the row
//! of the same name in the other, as FileZilla's directory comparison
//! does: only on this side, newer on this side, a different size. Files
//! are compared by size and modification time, with a tolerance (LIST
//! gives whole minutes at best); folders only by being there.

use std::collections::HashMap;

use super::rows::{FileRow, RowKind};

/// How long two times may differ and still be the same time, unless the
/// settings say otherwise: LIST gives whole minutes, so anything closer
/// is not "newer".
pub const TOLERANCE_SECS: u64 = 60;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mark {
    /// The other side has nothing of this name.
    OnlyHere,
    /// Same size, modified later here.
    NewerHere,
    /// The sizes differ.
    SizeDiffers,
}

impl Mark {
    /// For the status line's legend.
    pub fn short(self) -> &'static str {
        match self {
            Mark::OnlyHere => "only on one side",
            Mark::NewerHere => "newer",
            Mark::SizeDiffers => "another size",
        }
    }

    pub fn describe(self) -> &'static str {
        match self {
            Mark::OnlyHere => "Only on this side",
            Mark::NewerHere => "Newer on this side",
            Mark::SizeDiffers => "A different size on the other side",
        }
    }
}

/// The marks of `here`'s rows against `there`'s, by name; rows that
/// match get none. Times within `tolerance` seconds are the same.
pub fn marks(here: &[FileRow], there: &[FileRow], tolerance: u64) -> HashMap<String, Mark> {
    let tolerance = i64::try_from(tolerance).unwrap_or(i64::MAX);
    let others: HashMap<&str, &FileRow> = there.iter().map(|r| (r.name.as_str(), r)).collect();
    let mut marks = HashMap::new();
    for row in here {
        let Some(other) = others.get(row.name.as_str()) else {
            marks.insert(row.name.clone(), Mark::OnlyHere);
            continue;
        };
        if row.kind != RowKind::File || other.kind != RowKind::File {
            continue;
        }
        let mark = match (row.size, other.size) {
            (Some(a), Some(b)) if a != b => Some(Mark::SizeDiffers),
            _ => match (row.modified, other.modified) {
                (Some(a), Some(b)) if (a - b).num_seconds() > tolerance => Some(Mark::NewerHere),
                _ => None,
            },
        };
        if let Some(mark) = mark {
            marks.insert(row.name.clone(), mark);
        }
    }
    marks
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(name: &str, size: u64, minute: u32) -> FileRow {
        FileRow {
            size: Some(size),
            modified: chrono::NaiveDate::from_ymd_opt(2026, 11, 30)
                .and_then(|d| d.and_hms_opt(10, minute, 0)),
            ..FileRow::named(name, RowKind::File)
        }
    }

    #[test]
    fn rows_are_marked_against_the_other_side() {
        let here = vec![
            file("same.txt", 10, 0),
            file("bigger.txt", 20, 0),
            file("newer.txt", 10, 5),
            file("a minute off.txt", 10, 1),
            file("only here.txt", 1, 0),
            FileRow::named("dir", RowKind::Dir),
            FileRow::named("new dir", RowKind::Dir),
        ];
        let there = vec![
            file("same.txt", 10, 0),
            file("bigger.txt", 10, 0),
            file("newer.txt", 10, 0),
            file("a minute off.txt", 10, 0),
            file("only there.txt", 1, 0),
            FileRow::named("dir", RowKind::Dir),
        ];
        let marks = marks(&here, &there, TOLERANCE_SECS);
        assert_eq!(marks.get("same.txt"), None);
        assert_eq!(marks.get("bigger.txt"), Some(&Mark::SizeDiffers));
        assert_eq!(marks.get("newer.txt"), Some(&Mark::NewerHere));
        assert_eq!(marks.get("a minute off.txt"), None, "within the tolerance");
        assert_eq!(marks.get("only here.txt"), Some(&Mark::OnlyHere));
        assert_eq!(marks.get("dir"), None);
        assert_eq!(marks.get("new dir"), Some(&Mark::OnlyHere));
        assert_eq!(marks.get("only there.txt"), None, "not a row of this side");
        assert_eq!(marks.len(), 4);
        // A server whose times are a few minutes off: a wider tolerance.
        let wide = super::marks(&here, &there, 600);
        assert_eq!(wide.get("newer.txt"), None);
    }
}
