//! `get`, `put` and `mirror`: the command line hands one item to the
//! engine's transfer queue and reports what becomes of it, with an overall
//! progress bar on a terminal and a summary at the end.

use std::collections::HashMap;
use std::io::IsTerminal;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use super::Failure;
use super::args::{ExistsArgs, QueueArgs, TransferArgs};
use super::exit::Phase;
use super::output::{self, print_log_line};
use crate::engine::queue::{
    Direction, ExistsPolicy, ItemId, ItemKind, ItemState, NameFilter, NamePattern, Overall,
    QueueEvent, QueueOptions, TARGET_EXISTS, TransferQueue, TransferSpec,
};
use crate::engine::{ConnectOptions, Error, LogKind, display_text};
use crate::units::{count, human_size};

/// The policy the flags ask for. No flag means "refuse": the run fails if
/// a target exists, as scripts expect nothing replaced unless they say so.
pub fn exists_policy(args: &ExistsArgs, resume: bool) -> ExistsPolicy {
    if args.overwrite {
        ExistsPolicy::Overwrite
    } else if args.overwrite_if_newer {
        ExistsPolicy::OverwriteIfNewer
    } else if args.overwrite_if_size_differs {
        ExistsPolicy::OverwriteIfSizeDiffers
    } else if args.keep_both {
        ExistsPolicy::Rename
    } else if resume {
        ExistsPolicy::Resume
    } else {
        ExistsPolicy::Skip
    }
}

/// Whether no exists flag was given, so an existing target is an error.
pub fn refuses_existing(args: &ExistsArgs, resume: bool) -> bool {
    !(resume
        || args.overwrite
        || args.overwrite_if_newer
        || args.overwrite_if_size_differs
        || args.keep_both
        || args.skip_existing)
}

/// The queue's options from the flags; a pattern that is not a glob is
/// a usage error.
pub fn queue_options(
    args: &QueueArgs,
    exists: ExistsPolicy,
    verbose: u8,
) -> Result<QueueOptions, Failure> {
    let patterns = |texts: &[String]| {
        texts
            .iter()
            .map(|text| NamePattern::new(text))
            .collect::<Result<Vec<_>, String>>()
            .map_err(super::usage)
    };
    let filter = NameFilter {
        include: patterns(&args.include)?,
        exclude: patterns(&args.exclude)?,
    };
    Ok(QueueOptions {
        connections: usize::from(args.jobs),
        exists,
        max_attempts: args.retries.saturating_add(1),
        download_times: !args.no_times,
        upload_times: args.upload_times,
        max_depth: args.max_depth,
        max_entries: args.max_entries,
        debug_level: verbose.min(2),
        filter,
        ..QueueOptions::default()
    })
}

/// How the run went, for the exit status.
#[derive(Default)]
struct Tally {
    first_failure: Option<Error>,
    connect_error: Option<Error>,
    refused_existing: u64,
    /// Whether the refused targets are on the server (uploads).
    refused_remote: bool,
}

/// Runs `spec` with the queue and exists options of `get`, `put` and
/// `copy`; `adjust` sets what only one of them has.
pub fn run_with_args(
    servers: Servers,
    args: &TransferArgs,
    specs: Vec<TransferSpec>,
    verbose: u8,
    adjust: impl FnOnce(&mut QueueOptions),
) -> Result<(), Failure> {
    let exists = exists_policy(&args.exists, args.resume);
    let refuse = refuses_existing(&args.exists, args.resume);
    let mut options = queue_options(&args.queue, exists, verbose)?;
    adjust(&mut options);
    run(servers, options, specs, refuse, verbose)
}

/// The server of a transfer, or the two of a copy (source, target).
pub enum Servers {
    One(ConnectOptions),
    Two(ConnectOptions, Box<ConnectOptions>),
}

/// Runs `specs` through one queue (one set of logins) to the end.
/// `refuse_existing` turns files skipped because they exist into a failure.
pub fn run(
    servers: Servers,
    options: QueueOptions,
    specs: Vec<TransferSpec>,
    refuse_existing: bool,
    verbose: u8,
) -> Result<(), Failure> {
    let summary_wanted = specs.len() > 1 || specs.iter().any(|spec| spec.recursive);
    let dry_run = options.dry_run;
    let (queue, events) = match servers {
        Servers::One(connect) => TransferQueue::start(connect, options)?,
        Servers::Two(source, target) => TransferQueue::start_copy(source, *target, options)?,
    };
    for spec in specs {
        queue.add(spec);
    }
    let started = std::time::Instant::now();
    let bar = overall_bar();
    let mut specs: HashMap<ItemId, (TransferSpec, ItemKind)> = HashMap::new();
    let mut tally = Tally::default();
    let mut overall = Overall::default();
    let mut ended = false;
    for event in events.iter() {
        match event {
            QueueEvent::Added { id, spec, kind, .. } => {
                specs.insert(id, (spec, kind));
            }
            QueueEvent::Retargeted { id, spec } => {
                if let Some(entry) = specs.get_mut(&id) {
                    entry.0 = spec;
                }
            }
            QueueEvent::State { id, state } => {
                let Some((spec, kind)) = specs.get(&id) else {
                    continue;
                };
                let say = |text: String| bar.suspend(|| output::message(&text));
                let name = source_name(spec, *kind);
                match state {
                    ItemState::Failed(err) => {
                        say(format!("ferry: {name}: {err}"));
                        tally.first_failure.get_or_insert(err);
                    }
                    ItemState::Retrying { attempt, reason } => {
                        say(format!(
                            "ferry: {name}: {reason}; trying again (attempt {attempt})"
                        ));
                    }
                    ItemState::Skipped(reason) => {
                        if refuse_existing && reason == TARGET_EXISTS {
                            tally.refused_existing += 1;
                            tally.refused_remote |= spec.direction != Direction::Download;
                            say(format!("ferry: {} already exists", target_name(spec)));
                        } else if verbose > 0 {
                            say(format!("skipped {name}: {reason}"));
                        }
                    }
                    ItemState::Planned(what) => {
                        bar.suspend(|| output::print_line(&display_text(&what)));
                        // A plan nobody reads any more is not worth
                        // listing the rest of the tree for.
                        if output::stdout_closed() {
                            break;
                        }
                    }
                    ItemState::Done
                        if verbose > 0 && *kind == ItemKind::Transfer && !spec.recursive =>
                    {
                        say(format!("done {name}"));
                    }
                    _ => {}
                }
            }
            QueueEvent::ConnectFailed(err) => {
                tally.connect_error.get_or_insert(err);
            }
            QueueEvent::Overall(now) => {
                bar.set_length(now.bytes_total);
                bar.set_position(now.bytes_done);
                bar.set_message(format!("{}/{} files", now.files_done, now.files_total));
                overall = now;
            }
            QueueEvent::Log { line, .. } => {
                // The queue's own warnings (skipped names…) always show.
                if verbose > 0 || line.kind == LogKind::Warning {
                    bar.suspend(|| print_log_line(&line));
                }
            }
            QueueEvent::Progress { .. } => {}
            QueueEvent::Idle(last) => {
                overall = last;
                ended = true;
                break;
            }
        }
    }
    // Stopped on purpose (nobody reads the plan any more), or by the queue
    // without saying it was done: the latter is never a success.
    if !ended && !output::stdout_closed() {
        tally.first_failure.get_or_insert(Error::Protocol(
            "internal error in Ferry: the transfer queue stopped unexpectedly".to_string(),
        ));
    }
    bar.finish_and_clear();
    queue.shut_down();
    // A run cut short by its reader (`--dry-run | head`) has no summary
    // worth reading.
    let cut_short = output::stdout_closed();
    let trouble = overall.files_failed > 0 || overall.folders_failed > 0 || overall.not_deleted > 0;
    if !cut_short && (summary_wanted || trouble || std::io::stderr().is_terminal()) {
        output::message(&summary(&overall, started.elapsed(), dry_run));
    }
    finish(tally)
}

fn finish(tally: Tally) -> Result<(), Failure> {
    if let Some(error) = tally.first_failure {
        let phase = if tally.connect_error.as_ref() == Some(&error) {
            Phase::Connect
        } else {
            Phase::Work
        };
        return Err(Failure {
            error,
            phase,
            hint: None,
            status: None,
        });
    }
    if tally.refused_existing > 0 {
        // Ferry refused, not a server: no reply code to quote. The exit
        // status still says where the files are (4 server, 7 here).
        return Err(Error::NotReplaced {
            what: format!("{} existing file(s)", tally.refused_existing),
            on_server: tally.refused_remote,
            why: "Ferry replaces a file only when told to".to_string(),
        }
        .into());
    }
    Ok(())
}

fn summary(overall: &Overall, elapsed: Duration, dry_run: bool) -> String {
    let secs = elapsed.as_secs_f64();
    let rate = overall.bytes_done as f64 / secs.max(0.001);
    let mut text = format!(
        "{} files: {} done, {} skipped, {} failed",
        overall.files_total, overall.files_done, overall.files_skipped, overall.files_failed,
    );
    if overall.folders_failed > 0 {
        let folders = count(overall.folders_failed, "folder", "folders");
        text += &format!("; {folders} not read whole");
    }
    if overall.deleted > 0 || overall.not_deleted > 0 {
        let verb = if dry_run { "to delete" } else { "deleted" };
        text += &format!("; {} {verb}", overall.deleted);
        if overall.not_deleted > 0 {
            text += &format!(", {} not deleted", overall.not_deleted);
        }
    }
    text + &format!(
        "; {} bytes in {secs:.2} s ({}/s)",
        overall.bytes_done,
        human_size(rate as u64)
    )
}

/// What a person calls the item: where its bytes come from.
fn source_name(spec: &TransferSpec, kind: ItemKind) -> String {
    match (spec.direction, kind) {
        (_, ItemKind::DeleteTarget) => target_name(spec),
        (Direction::Download, ItemKind::Transfer) => spec.remote.clone(),
        (Direction::Upload, ItemKind::Transfer) => spec.local.display().to_string(),
        (Direction::Copy, ItemKind::Transfer) => spec.remote.clone(),
    }
}

fn target_name(spec: &TransferSpec) -> String {
    match spec.direction {
        Direction::Download => spec.local.display().to_string(),
        Direction::Upload => spec.remote.clone(),
        Direction::Copy => spec.copy_to.clone(),
    }
}

/// One bar for the whole run on a terminal; nothing when piped.
fn overall_bar() -> ProgressBar {
    let target = if std::io::stderr().is_terminal() {
        ProgressDrawTarget::stderr()
    } else {
        ProgressDrawTarget::hidden()
    };
    let bar = ProgressBar::with_draw_target(Some(0), target);
    let style = ProgressStyle::with_template(
        "{wide_bar} {bytes}/{total_bytes} {binary_bytes_per_sec} ETA {eta} {msg}",
    )
    .unwrap_or_else(|_| ProgressStyle::default_bar());
    bar.set_style(style);
    bar.enable_steady_tick(Duration::from_millis(200));
    bar
}
