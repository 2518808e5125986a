//! Drives an engine connection from a test: send a command, wait for its
//! outcome, keep every event for later assertions.

use std::time::Duration;

use crossbeam_channel::Receiver;
use ferry_engine::engine::{
    Command, ConnectOptions, Connection, Error, Event, EventKind, Outcome, Secret,
};

/// How long any single command may take before the test fails.
const DEADLINE: Duration = Duration::from_secs(60);

pub struct Harness {
    pub connection: Connection,
    events: Receiver<Event>,
    /// Everything received so far.
    pub seen: Vec<Event>,
}

impl Harness {
    pub fn new(debug_level: u8) -> Harness {
        let (connection, events) = Connection::open();
        connection.set_debug_level(debug_level);
        Harness {
            connection,
            events,
            seen: Vec::new(),
        }
    }

    /// Sends a command and waits for its outcome.
    pub fn call(&mut self, command: Command) -> Result<Outcome, Error> {
        let id = self.connection.send(command);
        self.wait(id)
    }

    /// Waits for the outcome of request `id`.
    pub fn wait(&mut self, id: u64) -> Result<Outcome, Error> {
        loop {
            let event = self
                .events
                .recv_timeout(DEADLINE)
                .expect("the engine answered within the deadline");
            self.seen.push(event.clone());
            if let EventKind::Finished { request, result } = event.kind
                && request == id
            {
                return result;
            }
        }
    }

    /// Receives the next event (for tests that react mid-transfer).
    pub fn next_event(&mut self) -> Event {
        let event = self
            .events
            .recv_timeout(DEADLINE)
            .expect("an event within the deadline");
        self.seen.push(event.clone());
        event
    }

    /// Reads events until a transfer has moved its first bytes.
    pub fn wait_for_first_bytes(&mut self) {
        loop {
            if let ferry_engine::engine::EventKind::Progress(p) = self.next_event().kind
                && p.bytes_done > 0
            {
                return;
            }
        }
    }

    /// The log lines seen so far, one string each.
    pub fn log_text(&self) -> Vec<String> {
        self.log_where(|_| true)
    }

    /// The log lines shown as errors.
    pub fn log_errors(&self) -> Vec<String> {
        self.log_where(|kind| kind == ferry_engine::engine::LogKind::Error)
    }

    fn log_where(&self, keep: impl Fn(ferry_engine::engine::LogKind) -> bool) -> Vec<String> {
        self.seen
            .iter()
            .filter_map(|e| match &e.kind {
                EventKind::Log(line) if keep(line.kind) => Some(line.text.clone()),
                _ => None,
            })
            .collect()
    }

    pub fn connect(&mut self, options: ConnectOptions) -> Outcome {
        self.call(Command::Connect(options))
            .expect("connect and log in")
    }
}

/// Plain-FTP options for a local server with user and password.
pub fn options(port: u16, user: &str, password: &str) -> ConnectOptions {
    let mut options = ConnectOptions::new("127.0.0.1");
    options.port = port;
    options.user = Some(user.to_string());
    options.password = Some(Secret::new(password));
    options.timeout = Duration::from_secs(10);
    options
}

/// Peak resident memory of this process so far, in KiB, for tests that
/// put a cap on what something may cost. Linux only, and never a silent
/// 0: a cap checked against nothing would pass for the wrong reason. The
/// process is the whole test binary, so a test that reads this runs
/// [`crate::alone::alone`] first, where no other test adds to the peak.
#[cfg(target_os = "linux")]
pub fn peak_rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("/proc/self/status");
    status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|n| n.parse().ok())
        .expect("VmHWM in /proc/self/status")
}
