//! Finding files on a server: a tree walked by listing its folders on a
//! few connections at once, each match reported as soon as its folder is
//! read. Bounded like any tree walk (depth, entries), and links to
//! folders are not followed (they can match by name).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::thread;

use chrono::NaiveDateTime;
use crossbeam_channel::{Receiver, Sender, unbounded};
use glob::{MatchOptions, Pattern};

use super::command::{Command, ConnectOptions};
use super::error::{Error, Result};
use super::event::{EventKind, Outcome};
use super::names::remote_join;
use super::worker::Connection;
use crate::listing::{EntryKind, RemoteEntry};

/// What to look for, and where.
#[derive(Debug, Clone)]
pub struct FindOptions {
    /// The folder to search ("" for the login folder).
    pub root: String,
    /// A glob on names (`*.pdf`, `report-202?-*`); `*` for every name.
    pub pattern: String,
    pub case_insensitive: bool,
    /// Files only of at least / at most this many bytes (folders never
    /// match a size).
    pub min_size: Option<u64>,
    pub max_size: Option<u64>,
    /// Modified at or after / before (as the server's listing says).
    pub newer_than: Option<NaiveDateTime>,
    pub older_than: Option<NaiveDateTime>,
    /// Folders below the root to enter at most.
    pub max_depth: u32,
    /// Entries to read at most (the walk stops there, with an error).
    pub max_entries: u64,
    /// Connections listing at once (1 to 10).
    pub connections: usize,
}

impl FindOptions {
    /// Names matching `pattern` (in its case) below `root`, on
    /// `connections`, within the usual tree bounds; nothing else asked.
    pub fn named(root: &str, pattern: &str, connections: usize) -> FindOptions {
        FindOptions {
            root: root.to_string(),
            pattern: pattern.to_string(),
            case_insensitive: false,
            min_size: None,
            max_size: None,
            newer_than: None,
            older_than: None,
            max_depth: super::queue::DEFAULT_MAX_DEPTH,
            max_entries: super::queue::DEFAULT_MAX_ENTRIES,
            connections,
        }
    }
}

/// One match.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    /// The full path on the server.
    pub path: String,
    pub entry: RemoteEntry,
}

/// What a search reports, as it goes.
#[derive(Debug, Clone)]
pub enum FindEvent {
    Found(Found),
    /// A folder that could not be read (or not read whole): the results
    /// miss what it holds.
    Unread {
        folder: String,
        error: Error,
    },
    /// The walk is over: every folder read, the bounds reached, or
    /// stopped. `error` says why it ended early.
    Done {
        folders: u64,
        entries: u64,
        error: Option<Error>,
    },
}

/// A running search; dropping it stops it.
pub struct Search {
    stop: Arc<AtomicBool>,
}

impl Drop for Search {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
    }
}

struct Matcher {
    pattern: Pattern,
    options: MatchOptions,
    find: FindOptions,
}

impl Matcher {
    fn matches(&self, entry: &RemoteEntry) -> bool {
        if !self.pattern.matches_with(&entry.name, self.options) {
            return false;
        }
        let is_file = entry.kind != EntryKind::Dir;
        let size_asked = self.find.min_size.is_some() || self.find.max_size.is_some();
        if size_asked {
            let Some(size) = entry.size.filter(|_| is_file) else {
                return false;
            };
            if self.find.min_size.is_some_and(|min| size < min)
                || self.find.max_size.is_some_and(|max| size > max)
            {
                return false;
            }
        }
        let time_asked = self.find.newer_than.is_some() || self.find.older_than.is_some();
        if time_asked {
            let Some(time) = entry.modified else {
                return false;
            };
            if self.find.newer_than.is_some_and(|t| time < t)
                || self.find.older_than.is_some_and(|t| time >= t)
            {
                return false;
            }
        }
        true
    }
}

/// Starts searching the server `connect` names; matches arrive on the
/// receiver, then one `Done`.
pub fn find(
    connect: ConnectOptions,
    options: FindOptions,
) -> Result<(Search, Receiver<FindEvent>)> {
    let pattern = Pattern::new(&options.pattern)
        .map_err(|e| Error::InvalidInput(format!("{:?} is not a glob: {e}", options.pattern)))?;
    let matcher = Arc::new(Matcher {
        pattern,
        options: MatchOptions {
            case_sensitive: !options.case_insensitive,
            require_literal_separator: true,
            require_literal_leading_dot: false,
        },
        find: options.clone(),
    });
    let (events, outbox) = unbounded();
    let (folders_in, folders_out) = unbounded::<(String, u32)>();
    let stop = Arc::new(AtomicBool::new(false));
    let workers = options.connections.clamp(1, 10);
    let walk = Arc::new(Walk {
        outstanding: AtomicUsize::new(1),
        listers: AtomicUsize::new(workers),
        folders: AtomicU64::new(0),
        entries: AtomicU64::new(0),
        max_entries: options.max_entries,
        stop: Arc::clone(&stop),
        first_error: std::sync::Mutex::new(None),
    });
    let _ = folders_in.send((options.root.trim_end_matches('/').to_string(), 0));
    let mut handles = Vec::new();
    for _ in 0..workers {
        let (connect, matcher, walk) = (connect.clone(), Arc::clone(&matcher), Arc::clone(&walk));
        let (folders_in, folders_out, events) =
            (folders_in.clone(), folders_out.clone(), events.clone());
        let handle = thread::Builder::new()
            .name("ferry-find".to_string())
            .spawn(move || {
                lister(
                    &connect,
                    &matcher,
                    &walk,
                    &folders_in,
                    &folders_out,
                    &events,
                )
            })
            .map_err(|e| Error::LocalIo {
                path: "<thread>".to_string(),
                message: e.to_string(),
            })?;
        handles.push(handle);
    }
    drop(folders_in);
    let done_walk = Arc::clone(&walk);
    let _ = thread::Builder::new()
        .name("ferry-find-end".to_string())
        .spawn(move || {
            for handle in handles {
                let _ = handle.join();
            }
            let error = done_walk
                .first_error
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .take();
            let _ = events.send(FindEvent::Done {
                folders: done_walk.folders.load(Ordering::SeqCst),
                entries: done_walk.entries.load(Ordering::SeqCst),
                error,
            });
        });
    Ok((Search { stop }, outbox))
}

/// The walk's shared state.
struct Walk {
    /// Folders queued or being listed; the walk is over at zero.
    outstanding: AtomicUsize,
    /// Connections still at work; the walk ends if none could log in.
    listers: AtomicUsize,
    folders: AtomicU64,
    entries: AtomicU64,
    max_entries: u64,
    stop: Arc<AtomicBool>,
    /// Why the walk ended early (a bound, a login that failed).
    first_error: std::sync::Mutex<Option<Error>>,
}

impl Walk {
    fn fail(&self, error: Error) {
        self.first_error
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get_or_insert(error);
        self.stop.store(true, Ordering::SeqCst);
    }

    fn over(&self) -> bool {
        self.stop.load(Ordering::SeqCst) || self.outstanding.load(Ordering::SeqCst) == 0
    }
}

/// One connection's share: lists folders from the queue until the walk
/// is over.
fn lister(
    connect: &ConnectOptions,
    matcher: &Matcher,
    walk: &Walk,
    folders_in: &Sender<(String, u32)>,
    folders_out: &Receiver<(String, u32)>,
    events: &Sender<FindEvent>,
) {
    let (connection, replies) = Connection::open();
    let call = |command: Command| -> Result<Outcome> {
        let id = connection.send(command);
        loop {
            let event = replies
                .recv()
                .map_err(|_| Error::Connection("the connection worker stopped".to_string()))?;
            if let EventKind::Finished { request, result } = event.kind
                && request == id
            {
                return result;
            }
        }
    };
    if let Err(error) = call(Command::Connect(connect.clone())) {
        // The others may still log in; if none can, the walk ends here.
        if walk.listers.fetch_sub(1, Ordering::SeqCst) == 1 {
            walk.fail(error);
        }
        connection.close();
        return;
    }
    while !walk.over() {
        let Ok((folder, depth)) = folders_out.recv_timeout(std::time::Duration::from_millis(50))
        else {
            continue;
        };
        let path = (!folder.is_empty()).then(|| folder.clone());
        match call(Command::List(path)) {
            Ok(Outcome::Listing(listing)) => {
                walk.folders.fetch_add(1, Ordering::SeqCst);
                if let Some(why) = listing.incomplete {
                    let _ = events.send(FindEvent::Unread {
                        folder: folder.clone(),
                        error: Error::Protocol(format!("the listing is incomplete: {why}")),
                    });
                }
                for entry in listing.entries {
                    let seen = walk.entries.fetch_add(1, Ordering::SeqCst) + 1;
                    if seen > walk.max_entries {
                        walk.fail(Error::Protocol(format!(
                            "more than {} entries: the search stopped there (--max-entries)",
                            walk.max_entries
                        )));
                        break;
                    }
                    let full = remote_join(&folder, &entry.name);
                    if entry.kind == EntryKind::Dir && depth < matcher.find.max_depth {
                        walk.outstanding.fetch_add(1, Ordering::SeqCst);
                        let _ = folders_in.send((full.clone(), depth + 1));
                    }
                    if matcher.matches(&entry) {
                        let _ = events.send(FindEvent::Found(Found { path: full, entry }));
                    }
                }
            }
            Ok(_) => {}
            Err(error) => {
                let _ = events.send(FindEvent::Unread {
                    folder: folder.clone(),
                    error,
                });
            }
        }
        walk.outstanding.fetch_sub(1, Ordering::SeqCst);
    }
    connection.close();
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(name: &str, kind: EntryKind, size: u64) -> RemoteEntry {
        RemoteEntry {
            name: name.to_string(),
            kind,
            size: Some(size),
            modified: chrono::NaiveDate::from_ymd_opt(2026, 6, 1)
                .and_then(|d| d.and_hms_opt(12, 0, 0)),
            permissions: None,
            owner: None,
            group: None,
        }
    }

    fn matcher(
        pattern: &str,
        case_insensitive: bool,
        adjust: impl FnOnce(&mut FindOptions),
    ) -> Matcher {
        let mut find = FindOptions {
            root: String::new(),
            pattern: pattern.to_string(),
            case_insensitive,
            min_size: None,
            max_size: None,
            newer_than: None,
            older_than: None,
            max_depth: 64,
            max_entries: 1000,
            connections: 1,
        };
        adjust(&mut find);
        Matcher {
            pattern: Pattern::new(pattern).unwrap(),
            options: MatchOptions {
                case_sensitive: !case_insensitive,
                require_literal_separator: true,
                require_literal_leading_dot: false,
            },
            find,
        }
    }

    #[test]
    fn names_sizes_and_dates_narrow_the_matches() {
        let pdf = entry("Report.PDF", EntryKind::File, 5000);
        assert!(!matcher("*.pdf", false, |_| {}).matches(&pdf));
        assert!(matcher("*.pdf", true, |_| {}).matches(&pdf));
        assert!(matcher("*.pdf", true, |f| f.min_size = Some(4000)).matches(&pdf));
        assert!(!matcher("*.pdf", true, |f| f.max_size = Some(4000)).matches(&pdf));
        let june = chrono::NaiveDate::from_ymd_opt(2026, 6, 1).unwrap();
        let after = june.and_hms_opt(0, 0, 0).unwrap();
        assert!(matcher("*", false, |f| f.newer_than = Some(after)).matches(&pdf));
        assert!(!matcher("*", false, |f| f.older_than = Some(after)).matches(&pdf));
        // A folder never matches a size.
        let folder = entry("reports", EntryKind::Dir, 4096);
        assert!(matcher("rep*", false, |_| {}).matches(&folder));
        assert!(!matcher("rep*", false, |f| f.min_size = Some(1)).matches(&folder));
    }
}
