//! A blocking front on an engine connection: the CLI has nothing else to
//! do while a command runs, so it waits here, printing log lines and
//! progress as they arrive.

use std::io::IsTerminal;
use std::time::Duration;

use crossbeam_channel::Receiver;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use super::output::print_log_line;
use crate::engine::typed::{List, TypedCommand};
use crate::engine::{
    Command, Connection, Error, Event, EventKind, Listing, LogKind, LogLine, Outcome, Progress,
};
use crate::listing::RemoteEntry;

pub struct Client {
    /// Always `Some` until dropped.
    connection: Option<Connection>,
    events: Receiver<Event>,
    verbose: u8,
    bar: Option<ProgressBar>,
}

impl Client {
    pub fn new(verbose: u8) -> Client {
        let (connection, events) = Connection::open();
        connection.set_debug_level(verbose.min(2));
        Client {
            connection: Some(connection),
            events,
            verbose,
            bar: None,
        }
    }

    /// Runs one command to its answer, of the type the command gives.
    pub fn request<R: TypedCommand>(&mut self, request: R) -> Result<R::Answer, Error> {
        R::answer(self.call(request.command())?)
    }

    /// Lists a folder, handing its entries to `part` as they are read;
    /// the listing returned holds those not handed over yet (see
    /// `Session::list_in_parts`).
    pub fn list_in_parts(
        &mut self,
        path: Option<String>,
        part: &mut dyn FnMut(Vec<RemoteEntry>),
    ) -> Result<Listing, Error> {
        let outcome = self.call_with_parts(Command::ListInParts(path), part)?;
        List::answer(outcome)
    }

    /// Runs one command to its outcome.
    fn call(&mut self, command: Command) -> Result<Outcome, Error> {
        self.call_with_parts(command, &mut |_| {})
    }

    /// Runs one command to its outcome, handing listing parts to `part`.
    fn call_with_parts(
        &mut self,
        command: Command,
        part: &mut dyn FnMut(Vec<RemoteEntry>),
    ) -> Result<Outcome, Error> {
        let Some(connection) = &self.connection else {
            return Err(Error::NotConnected);
        };
        let id = connection.send(command);
        loop {
            let event = self
                .events
                .recv()
                .map_err(|_| Error::Connection("the connection worker stopped".to_string()))?;
            match event.kind {
                EventKind::Log(line) => self.print_log(&line),
                EventKind::Progress(progress) if progress.request == id => {
                    self.show_progress(&progress);
                }
                EventKind::ListingPart {
                    request, entries, ..
                } if request == id => part(entries),
                EventKind::Finished { request, result } if request == id => {
                    if let Some(bar) = self.bar.take() {
                        bar.finish_and_clear();
                    }
                    return result;
                }
                _ => {}
            }
        }
    }

    /// Warnings always (an unencrypted channel, a refused PROT C), the
    /// rest only with -v.
    fn print_log(&self, line: &LogLine) {
        if self.verbose == 0 && line.kind != LogKind::Warning {
            return;
        }
        match &self.bar {
            Some(bar) => bar.suspend(|| print_log_line(line)),
            None => print_log_line(line),
        }
    }

    fn show_progress(&mut self, progress: &Progress) {
        let bar = self.bar.get_or_insert_with(|| {
            let bar = ProgressBar::with_draw_target(
                progress.total,
                if std::io::stderr().is_terminal() {
                    ProgressDrawTarget::stderr()
                } else {
                    ProgressDrawTarget::hidden()
                },
            );
            let style = ProgressStyle::with_template(
                "{wide_bar} {bytes}/{total_bytes} {binary_bytes_per_sec} ETA {eta}",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar());
            bar.set_style(style);
            bar.enable_steady_tick(Duration::from_millis(200));
            bar
        });
        bar.set_position(progress.bytes_done);
    }
}

impl Drop for Client {
    /// Says QUIT before the process ends, as a polite client does.
    fn drop(&mut self) {
        if let Some(connection) = self.connection.take() {
            connection.close();
        }
    }
}
