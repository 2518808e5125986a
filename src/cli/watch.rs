//! `ferry watch LOCALDIR URL`: the engine's watch, reported a line per
//! change on standard output (what was sent, renamed, deleted), problems
//! on standard error, until Ctrl-C.

use crossbeam_channel::{Receiver, bounded, select};

use super::output::{self, print_log_line};
use super::{Failure, usage};
use crate::engine::queue::{ItemKind, ItemState, QueueEvent, TransferSpec};
use crate::engine::watch::{DEFAULT_EXCLUDES, KeepUpToDate, WatchEvent, WatchOptions, from_mirror};
use crate::engine::{ConnectOptions, LogKind, display_text};

pub fn run(
    connect: ConnectOptions,
    options: WatchOptions,
    default_excludes: bool,
    verbose: u8,
) -> Result<(), Failure> {
    let interrupted = interrupt_channel()?;
    let local = options.local.display().to_string();
    let (watch, events) = KeepUpToDate::start(connect, options)?;
    if default_excludes {
        output::message(&format!(
            "ferry: left out: {} (--no-default-excludes sends them)",
            DEFAULT_EXCLUDES.join(" ")
        ));
    }
    output::message(&format!("ferry: comparing {local} with the server…"));
    let mut report = Report::default();
    let mut watch = Some(watch);
    let mut finishing = false;
    loop {
        select! {
            recv(interrupted) -> _ => {
                if !finishing {
                    // The files being sent are sent whole, nothing more.
                    finishing = true;
                    output::message(
                        "ferry: stopping once the files under way are sent (Ctrl-C again: at once)…",
                    );
                    if let Some(watch) = &watch {
                        watch.finish();
                    }
                } else if let Some(watch) = watch.take() {
                    // At once: an upload under way ends where it is, as
                    // `ferry put` stopped by Ctrl-C; the connections say QUIT.
                    output::message("ferry: stopping now");
                    watch.stop();
                }
            }
            recv(events) -> event => {
                let Ok(event) = event else { return Ok(()) };
                if let Some(ended) = report.event(event, &local, verbose) {
                    return ended;
                }
            }
        }
    }
}

/// Ctrl-C (SIGINT, and SIGTERM) as a message, so the watch ends politely.
fn interrupt_channel() -> Result<Receiver<()>, Failure> {
    let (sender, receiver) = bounded(1);
    ctrlc::set_handler(move || {
        let _ = sender.try_send(());
    })
    .map_err(|e| usage(format!("cannot catch Ctrl-C: {e}")))?;
    Ok(receiver)
}

#[derive(Default)]
struct Report {
    /// The single files sent as they changed, by item id.
    specs: std::collections::HashMap<u64, TransferSpec>,
}

impl Report {
    /// Prints what `event` says; `Some` once the watch has ended.
    fn event(
        &mut self,
        event: WatchEvent,
        local: &str,
        verbose: u8,
    ) -> Option<Result<(), Failure>> {
        match event {
            WatchEvent::Queue(event) => self.queue_event(event, verbose),
            WatchEvent::InStep { again: false } => output::message(&format!(
                "ferry: in step; watching {local} for changes (Ctrl-C to stop)"
            )),
            WatchEvent::InStep { again: true } => {
                output::message("ferry: in step with the server again")
            }
            WatchEvent::Said(line) => match line.kind {
                LogKind::Status => output::print_line(&display_text(&line.text)),
                _ => output::message(&format!("ferry: {}", display_text(&line.text))),
            },
            WatchEvent::Log(line) if verbose > 0 || line.kind == LogKind::Warning => {
                print_log_line(&line);
            }
            WatchEvent::Log(_) => {}
            WatchEvent::Behind(err) => output::message(&format!(
                "ferry: the server cannot be reached ({err}); what changes is sent once it answers"
            )),
            WatchEvent::Ended(None) => return Some(Ok(())),
            WatchEvent::Ended(Some(err)) => return Some(Err(err.into())),
        }
        None
    }

    fn queue_event(&mut self, event: QueueEvent, verbose: u8) {
        match event {
            // A mirror's files (20 000 at the first) are named only with
            // -v: their specs are not kept otherwise.
            QueueEvent::Added {
                id,
                spec,
                kind: ItemKind::Transfer,
                ..
            } if !spec.recursive && (verbose > 0 || !from_mirror(0, id)) => {
                self.specs.insert(id, spec);
            }
            QueueEvent::State { id, state } => {
                let Some(spec) = self.specs.get(&id) else {
                    return;
                };
                let name = display_text(&spec.remote);
                let last = state.is_final();
                match state {
                    // A mirror's files are many; its summary is the
                    // "in step" line (each file with -v).
                    ItemState::Done => output::print_line(&format!("sent {name}")),
                    ItemState::Failed(err) => output::message(&format!("ferry: {name}: {err}")),
                    ItemState::Retrying { reason, .. } => {
                        output::message(&format!("ferry: {name}: {reason}; trying again"))
                    }
                    _ => {}
                }
                if last {
                    self.specs.remove(&id);
                }
            }
            QueueEvent::ConnectFailed(err) => output::message(&format!("ferry: {err}")),
            QueueEvent::Log { line, .. } if verbose > 0 || line.kind == LogKind::Warning => {
                print_log_line(&line);
            }
            _ => {}
        }
    }
}
