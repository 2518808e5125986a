//! Bursts of file-system events settled into one batch of changes: a
//! build that writes 500 files, or an editor that writes, renames and
//! sets times for one save, gives each path once, after the burst.

use std::collections::{BTreeMap, HashSet};
use std::path::PathBuf;
use std::time::{Duration, Instant};

use super::local_events::Touch;

/// What is to be done about one path once its burst has settled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pending {
    /// Created or written: send it (a file, or a folder and what it holds).
    Changed,
    /// Removed or renamed away: remove it on the server (with delete).
    Removed,
}

/// The changes of one settled burst, in the order they must be applied:
/// renames first (each is the server's file moving, not new bytes), then
/// the paths.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Batch {
    pub renames: Vec<(PathBuf, PathBuf)>,
    pub paths: BTreeMap<PathBuf, Pending>,
    /// Events were lost: the whole folder must be compared again.
    pub rescan: bool,
}

/// Collects touches until none has come for `quiet`, or the oldest has
/// waited `longest` (a folder written to without a pause still goes out).
pub struct Settle {
    quiet: Duration,
    longest: Duration,
    batch: Batch,
    /// Paths written in this burst (even if renamed away since).
    written: HashSet<PathBuf>,
    first: Option<Instant>,
    last: Option<Instant>,
}

impl Settle {
    pub fn new(quiet: Duration, longest: Duration) -> Settle {
        Settle {
            quiet,
            longest,
            batch: Batch::default(),
            written: HashSet::new(),
            first: None,
            last: None,
        }
    }

    pub fn add(&mut self, touch: Touch, now: Instant) {
        self.first.get_or_insert(now);
        self.last = Some(now);
        let paths = &mut self.batch.paths;
        match touch {
            Touch::Changed(path) => {
                self.written.insert(path.clone());
                paths.insert(path, Pending::Changed);
            }
            Touch::Removed(path) => {
                paths.insert(path, Pending::Removed);
            }
            Touch::Renamed { from, to } => {
                // The two halves of the rename came first, as a removal
                // and a change: the rename stands for both.
                if paths.get(&to) == Some(&Pending::Changed) {
                    paths.remove(&to);
                    self.written.remove(&to);
                }
                let written_here = self.batch.renames.iter().all(|(_, t)| *t != from)
                    && self.written.contains(&from);
                if written_here {
                    // Written in this burst (an editor's new file renamed
                    // over the old one): its bytes are not on the server
                    // under the old name, so they are sent under the new.
                    paths.insert(to, Pending::Changed);
                    paths.insert(from, Pending::Removed);
                } else {
                    paths.remove(&from);
                    self.batch.renames.push((from, to));
                }
            }
            Touch::Rescan => self.batch.rescan = true,
        }
    }

    /// When the batch is due, if anything waits.
    pub fn due(&self) -> Option<Instant> {
        let (first, last) = (self.first?, self.last?);
        Some((last + self.quiet).min(first + self.longest))
    }

    /// The batch, if it is due at `now`.
    pub fn take(&mut self, now: Instant) -> Option<Batch> {
        if self.due()? > now {
            return None;
        }
        self.first = None;
        self.last = None;
        self.written.clear();
        Some(std::mem::take(&mut self.batch))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> PathBuf {
        PathBuf::from(s)
    }

    #[test]
    fn a_burst_gives_each_path_once_after_it_settles() {
        let quiet = Duration::from_millis(100);
        let mut settle = Settle::new(quiet, Duration::from_secs(2));
        let t0 = Instant::now();
        assert_eq!(settle.due(), None);
        for i in 0..500u64 {
            let now = t0 + Duration::from_millis(i / 10);
            for _ in 0..3 {
                settle.add(Touch::Changed(p(&format!("f{i}"))), now);
            }
        }
        let last = t0 + Duration::from_millis(49);
        assert!(settle.take(last + Duration::from_millis(50)).is_none());
        let batch = settle.take(last + quiet).unwrap();
        assert_eq!(batch.paths.len(), 500);
        assert!(batch.paths.values().all(|p| *p == Pending::Changed));
        assert!(settle.take(last + quiet * 10).is_none());
    }

    #[test]
    fn a_path_written_without_pause_still_goes_out() {
        let mut settle = Settle::new(Duration::from_millis(100), Duration::from_secs(2));
        let t0 = Instant::now();
        let mut sent = 0;
        for i in 0..300u64 {
            let now = t0 + Duration::from_millis(i * 20);
            settle.add(Touch::Changed(p("log")), now);
            if settle.take(now).is_some() {
                sent += 1;
            }
        }
        assert_eq!(sent, 2, "every 2 s over 6 s");
    }

    #[test]
    fn a_rename_moves_the_server_file_unless_it_was_written_in_the_burst() {
        let mut settle = Settle::new(Duration::from_millis(100), Duration::from_secs(2));
        let t0 = Instant::now();
        // A plain rename, as the system reports it: both halves, then the pair.
        settle.add(Touch::Removed(p("a")), t0);
        settle.add(Touch::Changed(p("b")), t0);
        settle.add(
            Touch::Renamed {
                from: p("a"),
                to: p("b"),
            },
            t0,
        );
        let batch = settle.take(t0 + Duration::from_secs(1)).unwrap();
        assert_eq!(batch.renames, vec![(p("a"), p("b"))]);
        assert!(batch.paths.is_empty(), "{batch:?}");

        // An editor's save: a new file written, renamed over the old.
        settle.add(Touch::Changed(p("x.tmp")), t0);
        settle.add(Touch::Removed(p("x.tmp")), t0);
        settle.add(Touch::Changed(p("x")), t0);
        settle.add(
            Touch::Renamed {
                from: p("x.tmp"),
                to: p("x"),
            },
            t0,
        );
        let batch = settle.take(t0 + Duration::from_secs(1)).unwrap();
        assert!(batch.renames.is_empty());
        assert_eq!(batch.paths.get(&p("x")), Some(&Pending::Changed));
        assert_eq!(batch.paths.get(&p("x.tmp")), Some(&Pending::Removed));

        // Renamed, then written: moved on the server, then sent.
        settle.add(
            Touch::Renamed {
                from: p("c"),
                to: p("d"),
            },
            t0,
        );
        settle.add(Touch::Changed(p("d")), t0);
        let batch = settle.take(t0 + Duration::from_secs(1)).unwrap();
        assert_eq!(batch.renames, vec![(p("c"), p("d"))]);
        assert_eq!(batch.paths.get(&p("d")), Some(&Pending::Changed));

        // Renamed twice: both moves, in order.
        settle.add(
            Touch::Renamed {
                from: p("e"),
                to: p("f"),
            },
            t0,
        );
        settle.add(
            Touch::Renamed {
                from: p("f"),
                to: p("g"),
            },
            t0,
        );
        settle.add(Touch::Rescan, t0);
        let batch = settle.take(t0 + Duration::from_secs(1)).unwrap();
        assert_eq!(batch.renames, vec![(p("e"), p("f")), (p("f"), p("g"))]);
        assert!(batch.rescan);
    }
}
