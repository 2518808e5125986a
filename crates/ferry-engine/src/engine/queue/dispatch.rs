//! What an item needs next: decide on an existing target, move the bytes,
//! date the result, and read the outcome of each step.

use std::fs;
use std::io;

use super::coordinator::{Coordinator, Job};
use super::item::{ItemKind, ItemState};
use super::policy::{Decision, ExistsPolicy, decide, free_local_name, numbered_name};
use super::{Direction, ItemId, QueueEvent};
use crate::engine::command::Command;
use crate::engine::error::Error;
use crate::engine::event::{FileStat, LogKind, LogLevel, LogLine, Outcome};
use crate::engine::names::{remote_basename, remote_join};

impl Coordinator {
    /// Starts the runnable item at `position` on idle connection `slot`.
    /// Either a job is sent or the item leaves the runnable states.
    pub(super) fn start_item(&mut self, slot: usize, position: usize) {
        let item = &self.items[position];
        let id = item.id;
        let spec = item.spec.clone();
        let dry_run = self.options.dry_run;
        let max_depth = self.options.max_depth;
        if item.is_folder() && item.depth > max_depth {
            let why = format!(
                "nested more than {max_depth} folders deep; not followed further \
                 (--max-depth raises the bound)"
            );
            let err = match spec.direction {
                Direction::Upload => Error::LocalIo {
                    path: spec.local.display().to_string(),
                    message: why,
                },
                _ => Error::Protocol(format!("{} is {why}", spec.remote)),
            };
            return self.set_state(id, ItemState::Failed(err));
        }
        if item.link.is_some() && item.kind == ItemKind::Transfer {
            self.set_state(id, ItemState::Expanding);
            self.send_job(slot, Command::Resolve(spec.remote), Job::ResolveLink(id));
            return;
        }
        match (item.kind, spec.direction, spec.recursive) {
            (ItemKind::DeleteTarget, Direction::Upload, recursive) => {
                if dry_run {
                    self.set_state(
                        id,
                        ItemState::Planned(format!("would delete {}", spec.remote)),
                    );
                    return;
                }
                let command = if recursive {
                    Command::DeleteTree(spec.remote)
                } else {
                    Command::Delete(spec.remote)
                };
                self.set_state(id, ItemState::Running);
                self.send_job(slot, command, Job::Delete(id));
            }
            // Local deletions need no connection (see `run_local_items`).
            (ItemKind::DeleteTarget, Direction::Download, _) => self.delete_local(id),
            // The local folder is made once the listing shows the remote
            // one exists (`expand_remote`), never for a mistyped path.
            (ItemKind::Transfer, Direction::Download, true) => {
                self.set_state(id, ItemState::Expanding);
                self.send_job(slot, Command::List(Some(spec.remote)), Job::List(id));
            }
            (ItemKind::Transfer, Direction::Upload, true) => {
                self.set_state(id, ItemState::Expanding);
                // The login folder or the root is there already.
                let exists = spec.remote.is_empty() || spec.remote == "/";
                if dry_run || exists {
                    self.send_job(slot, Command::List(Some(spec.remote)), Job::ListTarget(id));
                } else {
                    self.send_job(slot, Command::Mkdir(spec.remote), Job::Mkdir(id));
                }
            }
            (ItemKind::Transfer, Direction::Download, false) => self.start_download(slot, id),
            (ItemKind::Transfer, Direction::Upload, false) => self.start_upload(slot, id),
            // The source folder is read first: a mistyped one makes no
            // empty folder on the target (see `copy_target_ready`).
            (ItemKind::Transfer, Direction::Copy, true) => {
                self.set_state(id, ItemState::Expanding);
                self.send_job(slot, Command::List(Some(spec.remote)), Job::List(id));
            }
            (ItemKind::Transfer, Direction::Copy, false) => self.start_copy(slot, id),
            // Copies do not mirror, so nothing asks to delete on the target.
            (ItemKind::DeleteTarget, Direction::Copy, _) => self.set_state(
                id,
                ItemState::Skipped("deleting on a copy's target is not supported".to_string()),
            ),
        }
    }

    /// A file from this server to the partner: like an upload whose source
    /// is remote. The target is asked about on the partner.
    fn start_copy(&mut self, slot: usize, id: ItemId) {
        let Some(item) = self.item(id) else { return };
        let source_path = item.spec.remote.clone();
        let target_path = item.spec.copy_to.clone();
        let retrying = item.attempts > 0;
        let source = item.source;
        let known_target = item.target;
        let policy = item.answer.unwrap_or(self.options.exists);
        if retrying {
            // Our own earlier attempt left part of it on the target: append.
            return self.transfer(slot, id, true);
        }
        let needs_source = !matches!(
            policy,
            ExistsPolicy::Overwrite | ExistsPolicy::Skip | ExistsPolicy::Rename | ExistsPolicy::Ask
        );
        match (known_target, source) {
            (None, _) => {
                self.set_state(id, ItemState::Running);
                let stat = Command::Partner(Box::new(Command::Stat(target_path)));
                self.send_job(slot, stat, Job::StatTarget(id));
            }
            (Some(None), _) => self.transfer(slot, id, false),
            (Some(Some(_)), None) if needs_source => {
                self.set_state(id, ItemState::Running);
                self.send_job(slot, Command::Stat(source_path), Job::StatSource(id));
            }
            (Some(Some(target)), source) => {
                self.apply(slot, id, policy, source.unwrap_or_default(), target)
            }
        }
    }

    fn start_download(&mut self, slot: usize, id: ItemId) {
        let Some(item) = self.item(id) else { return };
        let local = item.spec.local.clone();
        let retrying = item.attempts > 0;
        let source = item.source;
        let policy = item.answer.unwrap_or(self.options.exists);
        if retrying {
            // Our own earlier attempt left a partial file: continue it.
            return self.transfer(slot, id, true);
        }
        let target = match fs::symlink_metadata(&local) {
            Err(err) if err.kind() == io::ErrorKind::NotFound => {
                let resume = self.options.resume;
                return self.transfer(slot, id, resume);
            }
            Err(err) => return self.set_state(id, ItemState::Failed(Error::local(&local, &err))),
            Ok(meta) if meta.file_type().is_symlink() => {
                return self.set_state(
                    id,
                    ItemState::Failed(Error::LocalIo {
                        path: local.display().to_string(),
                        message: "is a symbolic link; refusing to write through it".to_string(),
                    }),
                );
            }
            Ok(meta) if meta.is_dir() => {
                return self.set_state(
                    id,
                    ItemState::Failed(Error::LocalIo {
                        path: local.display().to_string(),
                        message: "is a folder; cannot replace it with a file".to_string(),
                    }),
                );
            }
            // A device node, FIFO or socket is no file to replace: writing
            // "over" it would feed a device or replace a pipe someone uses.
            Ok(meta) if !meta.is_file() => {
                return self.set_state(
                    id,
                    ItemState::Failed(Error::LocalIo {
                        path: local.display().to_string(),
                        message: "is not a regular file (a device, pipe or socket); \
                                  refusing to replace it"
                            .to_string(),
                    }),
                );
            }
            Ok(meta) => FileStat::of_local(&meta),
        };
        let needs_source = !matches!(
            policy,
            ExistsPolicy::Overwrite | ExistsPolicy::Skip | ExistsPolicy::Rename | ExistsPolicy::Ask
        );
        match source {
            None if needs_source => {
                let remote = self.items_spec(id).remote;
                self.set_state(id, ItemState::Running);
                self.send_job(slot, Command::Stat(remote), Job::StatSource(id));
            }
            source => {
                let source = source.unwrap_or_default();
                self.apply(slot, id, policy, source, target);
            }
        }
    }

    fn start_upload(&mut self, slot: usize, id: ItemId) {
        let Some(item) = self.item(id) else { return };
        let local = item.spec.local.clone();
        let remote = item.spec.remote.clone();
        let retrying = item.attempts > 0;
        let known_target = item.target;
        let policy = item.answer.unwrap_or(self.options.exists);
        let source = match fs::metadata(&local) {
            Ok(meta) if meta.is_file() => FileStat::of_local(&meta),
            Ok(_) => {
                return self.set_state(
                    id,
                    ItemState::Failed(Error::LocalIo {
                        path: local.display().to_string(),
                        message: "is not a file".to_string(),
                    }),
                );
            }
            Err(err) => return self.set_state(id, ItemState::Failed(Error::local(&local, &err))),
        };
        if let Some(item) = self.item_mut(id) {
            item.source = Some(source);
            item.total = source.size;
        }
        if retrying {
            // Our own earlier attempt may have left part of it: append.
            return self.transfer(slot, id, true);
        }
        match known_target {
            None => {
                self.set_state(id, ItemState::Running);
                self.send_job(slot, Command::Stat(remote), Job::StatTarget(id));
            }
            Some(None) => self.transfer(slot, id, false),
            Some(Some(target)) => self.apply(slot, id, policy, source, target),
        }
    }

    /// Acts on the policy for an item whose target exists.
    fn apply(
        &mut self,
        slot: usize,
        id: ItemId,
        policy: ExistsPolicy,
        source: FileStat,
        target: FileStat,
    ) {
        let same_size = source.size.is_some() && source.size == target.size;
        let comparing = self.options.compare_checksums
            && policy == ExistsPolicy::OverwriteIfChanged
            && same_size
            && self.items_spec(id).direction != Direction::Copy
            && self.item(id).is_some_and(|i| !i.compared);
        if comparing {
            let spec = self.items_spec(id);
            let command = Command::SameFile {
                remote: spec.remote,
                local: spec.local,
            };
            // Taken: no other connection starts it while it is compared.
            self.set_state(id, ItemState::Running);
            return self.send_job(slot, command, Job::Compare(id));
        }
        match decide(policy, &source, &target) {
            Decision::Transfer { resume } => {
                let resume = resume || (self.options.resume && self.is_download(id));
                self.transfer(slot, id, resume);
            }
            Decision::Skip(reason) => self.set_state(id, ItemState::Skipped(reason)),
            Decision::Ask => self.set_state(id, ItemState::Asking { source, target }),
            Decision::Rename => {
                if self.is_download(id) {
                    let local = self.items_spec(id).local;
                    match free_local_name(&local) {
                        Some(free) => {
                            self.retarget(id, |spec| spec.local = free);
                            self.transfer(slot, id, false);
                        }
                        None => self.set_state(
                            id,
                            ItemState::Failed(Error::LocalIo {
                                path: local.display().to_string(),
                                message: "no free numbered name beside it".to_string(),
                            }),
                        ),
                    }
                } else {
                    self.try_next_remote_name(slot, id);
                }
            }
        }
    }

    /// Asks the server whether `name (n).ext` is free, for a "rename" upload.
    fn try_next_remote_name(&mut self, slot: usize, id: ItemId) {
        let Some(item) = self.item_mut(id) else {
            return;
        };
        let copy = item.spec.direction == Direction::Copy;
        let (n, original) = match item.rename.take() {
            Some((n, original)) => (n + 1, original),
            None if copy => (1, item.spec.copy_to.clone()),
            None => (1, item.spec.remote.clone()),
        };
        if n > 1000 {
            return self.set_state(
                id,
                // Ferry gave up, not the server: no reply to quote.
                ItemState::Failed(Error::NotReplaced {
                    what: original,
                    on_server: true,
                    why: "no free numbered name was left to keep both".to_string(),
                }),
            );
        }
        let name = numbered_name(remote_basename(&original), n);
        let parent = original
            .strip_suffix(remote_basename(&original))
            .unwrap_or("");
        let candidate = remote_join(parent.trim_end_matches('/'), &name);
        let candidate = if parent == "/" {
            format!("/{name}")
        } else {
            candidate
        };
        item.rename = Some((n, original));
        item.target = None;
        let stat = if copy {
            self.retarget(id, |spec| spec.copy_to = candidate.clone());
            Command::Partner(Box::new(Command::Stat(candidate)))
        } else {
            self.retarget(id, |spec| spec.remote = candidate.clone());
            Command::Stat(candidate)
        };
        self.set_state(id, ItemState::Running);
        self.send_job(slot, stat, Job::StatTarget(id));
    }

    /// Moves the bytes (or, in a dry run, says it would).
    fn transfer(&mut self, slot: usize, id: ItemId, resume: bool) {
        let spec = self.items_spec(id);
        if self.options.dry_run {
            let what = match spec.direction {
                Direction::Download => {
                    format!("would download {} to {}", spec.remote, spec.local.display())
                }
                Direction::Upload => {
                    format!("would upload {} to {}", spec.local.display(), spec.remote)
                }
                Direction::Copy => {
                    format!(
                        "would copy {} to {} on the other server",
                        spec.remote, spec.copy_to
                    )
                }
            };
            return self.set_state(id, ItemState::Planned(what));
        }
        let size = self.item(id).and_then(|i| i.source).and_then(|s| s.size);
        let fetch_time = self.wants_server_time(slot, id);
        let command = match spec.direction {
            Direction::Download => Command::Download {
                remote: spec.remote,
                local: spec.local,
                resume,
                size,
                fetch_time,
            },
            Direction::Upload => Command::Upload {
                local: spec.local,
                remote: spec.remote,
                resume,
            },
            Direction::Copy => Command::Copy {
                source: spec.remote,
                target: spec.copy_to,
                resume,
                size,
                fxp: self.options.fxp,
            },
        };
        let command = match self.text_mode(&command) {
            Some(kind) => Command::AsType(kind, Box::new(command)),
            None => command,
        };
        self.set_state(id, ItemState::Running);
        self.send_job(slot, command, Job::Transfer(id));
    }

    /// The transfer type a download or upload takes by its extension,
    /// when the queue sorts files so (`text_extensions`); copies between
    /// servers stay byte for byte.
    fn text_mode(&self, command: &Command) -> Option<crate::engine::command::TransferType> {
        use crate::engine::command::TransferType;
        if self.options.text_extensions.is_empty() {
            return None;
        }
        let remote = match command {
            Command::Download { remote, .. } | Command::Upload { remote, .. } => remote,
            _ => return None,
        };
        let name = remote_basename(remote);
        let text = name
            .rsplit_once('.')
            .filter(|(stem, _)| !stem.is_empty())
            .is_some_and(|(_, ext)| {
                self.options
                    .text_extensions
                    .iter()
                    .any(|e| e.eq_ignore_ascii_case(ext))
            });
        Some(match text {
            true => TransferType::Ascii,
            false => TransferType::Binary,
        })
    }

    /// Whether a download asks the server for the file's time: times are
    /// kept and neither the listing (MLSD) nor a stat gave the exact one.
    /// It comes with the transfer's end, in the same round trip where the
    /// server allows (see `session::pipeline`).
    fn wants_server_time(&self, slot: usize, id: ItemId) -> bool {
        let Some(item) = self.item(id) else {
            return false;
        };
        let exact = item.source_time_exact && item.source.and_then(|s| s.modified).is_some();
        let features = &self.slots[slot].features;
        self.options.download_times
            && item.spec.direction == Direction::Download
            && !exact
            && (features.supports("MDTM") || features.lines.is_empty())
    }

    /// The bytes are there: date the copy like the original if asked (the
    /// time the listing gave, else the one `fetched` with the download),
    /// then the item is done.
    fn transferred(&mut self, slot: usize, id: ItemId, fetched: Option<chrono::NaiveDateTime>) {
        let Some(item) = self.item_mut(id) else {
            return;
        };
        item.transferred = true;
        let spec = item.spec.clone();
        let source_time = item.source.and_then(|s| s.modified);
        let exact_source_time = source_time.filter(|_| item.source_time_exact);
        let features = &self.slots[slot].features;
        match spec.direction {
            Direction::Download if self.options.download_times => {
                if let Some(time) = exact_source_time.or(fetched) {
                    self.date_download(&spec.local, time);
                }
            }
            Direction::Upload if self.options.upload_times && features.supports("MFMT") => {
                if let Some(time) = source_time {
                    let command = Command::SetModificationTime {
                        path: spec.remote,
                        time,
                    };
                    return self.send_job(slot, command, Job::PushTime(id));
                }
            }
            // The partner's features are not known here; copies keep the
            // target server's own time.
            _ => {}
        }
        self.set_state(id, ItemState::Done);
    }

    /// Dates a downloaded file like the original; a failure is a warning.
    fn date_download(&self, local: &std::path::Path, time: chrono::NaiveDateTime) {
        if let Err(err) = set_local_time(local, time) {
            self.warn(&format!(
                "could not set the time of {}: {err}",
                local.display()
            ));
        }
    }

    /// Reads the outcome of a job other than connecting.
    pub(super) fn finished(&mut self, slot: usize, job: Job, result: Result<Outcome, Error>) {
        match (job, result) {
            (Job::Transfer(id), Ok(outcome)) => {
                let mut fetched = None;
                if let (Outcome::Transferred(summary), Some(item)) = (outcome, self.item_mut(id)) {
                    item.bytes_done = summary.resumed_from + summary.bytes;
                    item.total = Some(item.bytes_done);
                    fetched = summary.source_modified;
                }
                self.transferred(slot, id, fetched);
            }
            (Job::List(id), Ok(Outcome::Listing(listing))) => {
                let spec = self.items_spec(id);
                let root = spec.copy_to.is_empty() || spec.copy_to == "/";
                if spec.direction == Direction::Copy && !root && !self.options.dry_run {
                    // The source exists: now the folder to copy into.
                    if let Some(item) = self.item_mut(id) {
                        item.listing = Some(listing);
                    }
                    let mkdir = Command::Partner(Box::new(Command::Mkdir(spec.copy_to)));
                    self.send_job(slot, mkdir, Job::MkdirCopyTarget(id));
                } else {
                    self.expand_remote(id, listing);
                }
            }
            (Job::Mkdir(id), result) => match result {
                // A folder that is already there is fine to upload into.
                Ok(_) | Err(Error::Permanent { .. }) => {
                    let remote = self.items_spec(id).remote;
                    self.send_job(slot, Command::List(Some(remote)), Job::ListTarget(id));
                }
                Err(err) => self.item_failed(id, err),
            },
            (Job::ListTarget(id), result) => match result {
                Ok(Outcome::Listing(listing)) => self.expand_local(id, Some(listing)),
                // Nothing there yet (a dry run does not create it), or a
                // folder that cannot be read: nothing is known of it.
                Err(Error::Permanent { .. }) => self.expand_local(id, None),
                Ok(_) => self.item_failed(
                    id,
                    Error::Protocol("the listing did not arrive".to_string()),
                ),
                Err(err) => self.item_failed(id, err),
            },
            (Job::StatTarget(id), result) => {
                let target = match result {
                    Ok(Outcome::Stat(stat)) => Some(stat),
                    Err(Error::Permanent { .. }) => None,
                    Ok(_) => Some(FileStat::default()),
                    Err(err) => return self.item_failed(id, err),
                };
                let default_policy = self.options.exists;
                let Some(item) = self.item_mut(id) else {
                    return;
                };
                item.target = Some(target);
                let source = item.source.unwrap_or_default();
                let renaming = item.rename.is_some();
                let policy = item.answer.unwrap_or(default_policy);
                match (target, renaming) {
                    (None, _) => self.transfer(slot, id, false),
                    (Some(_), true) => self.try_next_remote_name(slot, id),
                    (Some(target), false) => self.apply(slot, id, policy, source, target),
                }
            }
            (Job::Compare(id), result) => {
                let same = match result {
                    Ok(Outcome::Same(same)) => same,
                    Ok(_) => None,
                    Err(err) => return self.item_failed(id, err),
                };
                let Some(item) = self.item_mut(id) else {
                    return;
                };
                item.compared = true;
                let (source, target) = (item.source.unwrap_or_default(), item.target.flatten());
                match (same, target) {
                    (Some(true), _) => {
                        self.set_state(id, ItemState::Skipped("the same checksum".to_string()))
                    }
                    (Some(false), _) => self.transfer(slot, id, false),
                    // No checksums here: size and time decide, as without.
                    (None, Some(target)) => {
                        self.apply(slot, id, ExistsPolicy::OverwriteIfChanged, source, target)
                    }
                    (None, None) => self.transfer(slot, id, false),
                }
            }
            (Job::StatSource(id), result) => {
                let source = match result {
                    Ok(Outcome::Stat(stat)) => stat,
                    Err(err @ Error::Permanent { .. }) => {
                        return self.set_state(id, ItemState::Failed(err));
                    }
                    Ok(_) => FileStat::default(),
                    Err(err) => return self.item_failed(id, err),
                };
                let copy = self.items_spec(id).direction == Direction::Copy;
                if let Some(item) = self.item_mut(id) {
                    item.source = Some(source);
                    // SIZE and MDTM (or MLST): an exact time, in UTC.
                    item.source_time_exact = source.modified.is_some();
                }
                // Decide again, now with the facts.
                if copy {
                    self.start_copy(slot, id);
                } else {
                    self.start_download(slot, id);
                }
            }
            (Job::MkdirCopyTarget(id), result) => match result {
                // A folder that is already there is fine to copy into. Its
                // listing tells what each copy would replace: one wait for
                // the folder instead of SIZE and MDTM for every file.
                Ok(_) | Err(Error::Permanent { .. }) => {
                    let folder = self.items_spec(id).copy_to;
                    let list = Command::Partner(Box::new(Command::List(Some(folder))));
                    self.send_job(slot, list, Job::ListCopyTarget(id));
                }
                // A retry lists the source again.
                Err(err) => {
                    if let Some(item) = self.item_mut(id) {
                        item.listing = None;
                    }
                    self.item_failed(id, err)
                }
            },
            (Job::ListCopyTarget(id), result) => {
                let source = self.item_mut(id).and_then(|i| i.listing.take());
                let Some(source) = source else {
                    return self.item_failed(
                        id,
                        Error::Protocol("the listing did not arrive".to_string()),
                    );
                };
                // Unread, nothing is assumed: each copy asks (StatTarget).
                let target = match result {
                    Ok(Outcome::Listing(target)) => Some(target),
                    _ => None,
                };
                self.expand_remote_into(id, source, target);
            }
            (Job::Delete(id), result) => match result {
                Ok(_) => self.set_state(id, ItemState::Done),
                Err(err) => self.item_failed(id, err),
            },
            (Job::PushTime(id), result) => {
                if let Err(err) = result {
                    self.warn(&format!("could not set the remote time: {err}"));
                }
                self.set_state(id, ItemState::Done);
            }
            (Job::List(id), Ok(_)) => {
                self.item_failed(
                    id,
                    Error::Protocol("the listing did not arrive".to_string()),
                );
            }
            (Job::List(id), Err(err @ Error::Permanent { .. })) if self.may_be_a_file(id) => {
                // `get -r` of a file: fetch the file, as `cp -r` would.
                let remote = self.items_spec(id).remote;
                if let Some(item) = self.item_mut(id) {
                    item.not_a_folder = Some(err);
                }
                self.send_job(slot, Command::Stat(remote), Job::ProbeFile(id));
            }
            (Job::ProbeFile(id), result) => {
                let not_a_folder = self.item_mut(id).and_then(|i| i.not_a_folder.take());
                match result {
                    Ok(Outcome::Stat(stat)) if stat.size.is_some() => {
                        self.log_status(&format!(
                            "{} is a file; fetching it as one",
                            self.items_spec(id).remote
                        ));
                        self.folder_became_file(id);
                        let local = self.items_spec(id).local;
                        if let Some(folder) = local.parent().filter(|_| !self.options.dry_run)
                            && let Err(err) = std::fs::create_dir_all(folder)
                        {
                            let err = Error::local(folder, &err);
                            return self.set_state(id, ItemState::Failed(err));
                        }
                        if let Some(item) = self.item_mut(id) {
                            item.source = Some(stat);
                            item.source_time_exact = stat.modified.is_some();
                            item.total = stat.size;
                        }
                        let spec = self.items_spec(id);
                        self.emit(QueueEvent::Retargeted { id, spec });
                        self.set_state(id, ItemState::Queued);
                    }
                    _ => {
                        let err = not_a_folder.unwrap_or(Error::Protocol(
                            "the folder could not be listed".to_string(),
                        ));
                        self.set_state(id, ItemState::Failed(err));
                    }
                }
            }
            (Job::ResolveLink(id), result) => match result {
                Ok(Outcome::Path(inside)) => self.link_is_a_folder(slot, id, inside),
                // Not a folder: the file it points to (or nothing, which
                // the file's SIZE will say).
                Err(Error::Permanent { .. }) => self.link_is_a_file(id),
                Ok(_) => self.item_failed(
                    id,
                    Error::Protocol("the link could not be followed".to_string()),
                ),
                Err(err) => self.item_failed(id, err),
            },
            (Job::Transfer(id) | Job::List(id), Err(err)) => self.item_failed(id, err),
            (Job::Connect | Job::ConnectPartner, _) => {}
        }
    }

    /// A link leads to a folder (`inside`, as the server named it from
    /// there): it is copied as that folder, unless the folder is one the
    /// link is in (or holds one), which would copy the tree into itself
    /// without end. Both the server's name for it and the link's own
    /// target text are checked against the folders above the link, by
    /// their listed paths and by the real paths of links followed to
    /// reach them: servers whose PWD does not resolve links are still
    /// caught by the text, and `--max-depth` bounds what neither shows.
    fn link_is_a_folder(&mut self, slot: usize, id: ItemId, inside: String) {
        use crate::engine::names::{remote_parent, remote_resolve};
        let Some(item) = self.item(id) else { return };
        // The queue's paths may be relative to the login folder; PWD's
        // answers are absolute. All are compared absolute.
        let home = self.slots.get(slot).map_or("/", |s| s.home.as_str());
        let absolute = |path: &str| remote_resolve(home, path);
        let folder = absolute(&remote_parent(&item.spec.remote));
        let mut leads_to = vec![absolute(&inside)];
        if let Some(Some(target)) = &item.link {
            leads_to.push(remote_resolve(&folder, target));
        }
        let mut above = Vec::new();
        let mut next = item.parent;
        while let Some(parent) = next.and_then(|p| self.item(p)) {
            above.push(absolute(&parent.spec.remote));
            above.extend(parent.real_path.as_deref().map(absolute));
            next = parent.parent;
        }
        let loop_at = leads_to.iter().find(|to| {
            above
                .iter()
                .any(|folder| crate::engine::names::remote_contains(to, folder))
        });
        if let Some(to) = loop_at {
            let why = format!("a link to {to}, which holds it: not followed (it would never end)");
            self.warn(&format!("{}: {why}", self.items_spec(id).remote));
            return self.set_state(id, ItemState::Skipped(why));
        }
        if let Some(item) = self.item_mut(id) {
            item.link = None;
            item.real_path = Some(inside);
        }
        self.set_state(id, ItemState::Queued);
    }

    /// A link does not lead to a folder: it is fetched as the file it
    /// points to, its size and time asked for as any file's.
    fn link_is_a_file(&mut self, id: ItemId) {
        self.folder_became_file(id);
        if let Some(item) = self.item_mut(id) {
            item.link = None;
        }
        let spec = self.items_spec(id);
        self.emit(QueueEvent::Retargeted { id, spec });
        self.set_state(id, ItemState::Queued);
    }

    /// Whether a tree the user asked for that could not be listed may be a
    /// single file: only the item they added (a folder found in a listing
    /// is a folder), and never for a mirror (see `files_as_trees`).
    fn may_be_a_file(&self, id: ItemId) -> bool {
        self.item(id).is_some_and(|i| {
            i.parent.is_none() && i.is_folder() && i.spec.direction != Direction::Upload
        }) && self.options.files_as_trees
            && !self.options.delete_extraneous
    }

    fn is_download(&self, id: ItemId) -> bool {
        self.item(id)
            .is_some_and(|i| i.spec.direction == Direction::Download)
    }

    pub(super) fn items_spec(&self, id: ItemId) -> super::TransferSpec {
        self.item(id)
            .map(|i| i.spec.clone())
            .unwrap_or_else(|| super::TransferSpec {
                direction: Direction::Download,
                remote: String::new(),
                local: Default::default(),
                recursive: false,
                copy_to: String::new(),
            })
    }

    fn retarget(&mut self, id: ItemId, change: impl FnOnce(&mut super::TransferSpec)) {
        if let Some(item) = self.item_mut(id) {
            change(&mut item.spec);
            let spec = item.spec.clone();
            self.emit(QueueEvent::Retargeted { id, spec });
        }
    }

    /// A problem that does not fail the item, for the log.
    pub(super) fn warn(&self, message: &str) {
        self.log_line(LogKind::Warning, message);
    }

    /// News of the queue's own, for the log.
    pub(super) fn log_status(&self, message: &str) {
        self.log_line(LogKind::Status, message);
    }

    fn log_line(&self, kind: LogKind, message: &str) {
        self.emit(QueueEvent::Log {
            connection: 0,
            line: LogLine {
                level: LogLevel::Status,
                kind,
                text: message.to_string(),
            },
        });
    }
}

/// Dates a downloaded file like the original. The path is checked not to
/// be a link first: we only touch what we wrote.
fn set_local_time(path: &std::path::Path, time: chrono::NaiveDateTime) -> std::io::Result<()> {
    if fs::symlink_metadata(path)?.file_type().is_symlink() {
        return Err(io::Error::other("it is a symbolic link"));
    }
    let file = fs::File::options().write(true).open(path)?;
    let stamp = std::time::SystemTime::from(time.and_utc());
    file.set_modified(stamp)
}
