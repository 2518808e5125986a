//! What to do when the target of a transfer already exists: FileZilla's
//! choices, decided from what is known of both sides.

use std::path::{Path, PathBuf};

use crate::engine::event::FileStat;

/// The answer to "the target exists", per item or for the whole queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ExistsPolicy {
    /// Stop the item and ask the caller (the GUI shows a dialog).
    Ask,
    Overwrite,
    /// Overwrite when the source is newer than the target.
    OverwriteIfNewer,
    /// Overwrite when the sizes differ.
    OverwriteIfSizeDiffers,
    /// Overwrite when the size differs or the source is newer: what a
    /// mirror wants, so a second run moves nothing.
    OverwriteIfChanged,
    /// Continue a shorter target; start over when it is longer.
    Resume,
    /// Keep both: the new file gets a number, `name (1).ext`.
    Rename,
    /// Leave the target alone and report the item as skipped.
    #[default]
    Skip,
}

/// The reason an item is skipped under [`ExistsPolicy::Skip`]; the command
/// line turns it into a refusal.
pub const TARGET_EXISTS: &str = "the target exists";

/// What the queue does with one item whose target exists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Decision {
    Transfer { resume: bool },
    Skip(String),
    Rename,
    Ask,
}

/// Times from a LIST line have whole minutes at best; two times this close
/// are the same time.
const LOOSE_TIME_SLACK_SECS: i64 = 60;
/// Exact times (MLSD, MDTM, the local disk) still differ by rounding.
const EXACT_TIME_SLACK_SECS: i64 = 1;

/// Decides for a target that exists. `source` may be partly unknown (a
/// server without SIZE or MDTM); then the safer choice wins: "newer" and
/// "differs" are only acted on when they can be seen.
pub(super) fn decide(policy: ExistsPolicy, source: &FileStat, target: &FileStat) -> Decision {
    let size_differs = match (source.size, target.size) {
        (Some(a), Some(b)) => a != b,
        _ => false,
    };
    match policy {
        ExistsPolicy::Ask => Decision::Ask,
        ExistsPolicy::Overwrite => Decision::Transfer { resume: false },
        ExistsPolicy::Skip => Decision::Skip(TARGET_EXISTS.to_string()),
        ExistsPolicy::Rename => Decision::Rename,
        ExistsPolicy::OverwriteIfNewer => {
            if is_newer(source, target) {
                Decision::Transfer { resume: false }
            } else {
                Decision::Skip("the target is as new as the source".to_string())
            }
        }
        ExistsPolicy::OverwriteIfSizeDiffers => {
            if size_differs {
                Decision::Transfer { resume: false }
            } else {
                Decision::Skip("the target has the same size".to_string())
            }
        }
        ExistsPolicy::OverwriteIfChanged => {
            if size_differs || is_newer(source, target) {
                Decision::Transfer { resume: false }
            } else {
                Decision::Skip("unchanged".to_string())
            }
        }
        ExistsPolicy::Resume => match (source.size, target.size) {
            (Some(a), Some(b)) if a == b => Decision::Skip("already complete".to_string()),
            (Some(a), Some(b)) if b > a => Decision::Transfer { resume: false },
            _ => Decision::Transfer { resume: true },
        },
    }
}

/// Whether `source` was modified after `target`, beyond rounding.
fn is_newer(source: &FileStat, target: &FileStat) -> bool {
    let (Some(a), Some(b)) = (source.modified, target.modified) else {
        return false;
    };
    let whole_minutes = |t: chrono::NaiveDateTime| chrono::Timelike::second(&t) == 0;
    let slack = if whole_minutes(a) || whole_minutes(b) {
        LOOSE_TIME_SLACK_SECS
    } else {
        EXACT_TIME_SLACK_SECS
    };
    (a - b).num_seconds() >= slack
}

/// `name (n).ext` for the n-th try at a free name.
pub(super) fn numbered_name(name: &str, n: u32) -> String {
    // A leading dot is a hidden file's name, not an extension.
    match name.rfind('.') {
        Some(dot) if dot > 0 => format!("{} ({n}){}", &name[..dot], &name[dot..]),
        _ => format!("{name} ({n})"),
    }
}

/// The first `name (n).ext` beside `path` that neither exists nor has a
/// partial download of ours in progress.
pub(super) fn free_local_name(path: &Path) -> Option<PathBuf> {
    let name = path.file_name()?.to_str()?;
    (1..10_000)
        .map(|n| path.with_file_name(numbered_name(name, n)))
        .find(|candidate| {
            std::fs::symlink_metadata(candidate).is_err()
                && crate::engine::part_path(candidate).is_none()
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    fn at(h: u32, m: u32, s: u32) -> Option<chrono::NaiveDateTime> {
        NaiveDate::from_ymd_opt(2026, 11, 25).and_then(|d| d.and_hms_opt(h, m, s))
    }

    fn stat(size: u64, modified: Option<chrono::NaiveDateTime>) -> FileStat {
        FileStat {
            size: Some(size),
            modified,
        }
    }

    #[test]
    fn newer_and_size_rules() {
        let old = stat(10, at(10, 0, 5));
        let new = stat(10, at(11, 0, 5));
        let bigger = stat(20, at(10, 0, 5));
        use ExistsPolicy::*;
        assert_eq!(
            decide(OverwriteIfNewer, &new, &old),
            Decision::Transfer { resume: false }
        );
        assert!(matches!(
            decide(OverwriteIfNewer, &old, &new),
            Decision::Skip(_)
        ));
        assert!(matches!(
            decide(OverwriteIfNewer, &old, &old),
            Decision::Skip(_)
        ));
        assert_eq!(
            decide(OverwriteIfSizeDiffers, &bigger, &old),
            Decision::Transfer { resume: false }
        );
        assert!(matches!(
            decide(OverwriteIfSizeDiffers, &new, &old),
            Decision::Skip(_)
        ));
        assert_eq!(
            decide(OverwriteIfChanged, &bigger, &old),
            Decision::Transfer { resume: false }
        );
        assert_eq!(
            decide(OverwriteIfChanged, &new, &old),
            Decision::Transfer { resume: false }
        );
        assert!(matches!(
            decide(OverwriteIfChanged, &old, &new),
            Decision::Skip(_)
        ));
        assert_eq!(
            decide(Overwrite, &old, &new),
            Decision::Transfer { resume: false }
        );
        assert!(matches!(decide(Skip, &new, &old), Decision::Skip(_)));
        assert_eq!(decide(Ask, &new, &old), Decision::Ask);
        assert_eq!(decide(Rename, &new, &old), Decision::Rename);
    }

    #[test]
    fn listing_times_in_whole_minutes_are_not_newer_than_the_exact_copy() {
        // A LIST line says 10:00; the file we downloaded carries 10:00:37.
        let listed = stat(10, at(10, 0, 0));
        let local = stat(10, at(10, 0, 37));
        assert!(matches!(
            decide(ExistsPolicy::OverwriteIfChanged, &listed, &local),
            Decision::Skip(_)
        ));
        let later = stat(10, at(10, 2, 0));
        assert!(matches!(
            decide(ExistsPolicy::OverwriteIfChanged, &later, &local),
            Decision::Transfer { .. }
        ));
    }

    #[test]
    fn unknown_facts_never_overwrite() {
        let unknown = FileStat::default();
        let known = stat(10, at(10, 0, 5));
        assert!(matches!(
            decide(ExistsPolicy::OverwriteIfNewer, &unknown, &known),
            Decision::Skip(_)
        ));
        assert!(matches!(
            decide(ExistsPolicy::OverwriteIfSizeDiffers, &known, &unknown),
            Decision::Skip(_)
        ));
    }

    #[test]
    fn resume_continues_only_a_shorter_target() {
        let full = stat(100, None);
        assert_eq!(
            decide(ExistsPolicy::Resume, &full, &stat(40, None)),
            Decision::Transfer { resume: true }
        );
        assert!(matches!(
            decide(ExistsPolicy::Resume, &full, &full),
            Decision::Skip(_)
        ));
        assert_eq!(
            decide(ExistsPolicy::Resume, &full, &stat(400, None)),
            Decision::Transfer { resume: false }
        );
    }

    #[test]
    fn numbered_names_keep_the_extension() {
        assert_eq!(numbered_name("report.pdf", 1), "report (1).pdf");
        assert_eq!(numbered_name("archive.tar.gz", 2), "archive.tar (2).gz");
        assert_eq!(numbered_name(".bashrc", 1), ".bashrc (1)");
        assert_eq!(numbered_name("README", 3), "README (3)");
    }

    #[test]
    fn a_free_name_skips_taken_ones_and_our_partial_files_only() {
        use crate::engine::partial::{Partial, Source};
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("a.txt");
        std::fs::write(&target, b"x").unwrap();
        std::fs::write(dir.path().join("a (1).txt"), b"x").unwrap();
        // A download to "a (2).txt" is under way: that name is not free.
        let source = Source {
            origin: "ftp://u@h:21",
            remote: "/a.txt",
            size: None,
        };
        let _running = Partial::create(&dir.path().join("a (2).txt"), &source).unwrap();
        // A file that merely looks like a partial file is not ours.
        std::fs::write(dir.path().join("a (3).txt.0123abcd.ferry-part"), b"x").unwrap();
        assert_eq!(
            free_local_name(&target).unwrap(),
            dir.path().join("a (3).txt")
        );
    }
}
