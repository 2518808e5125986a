//! Keeping `--timeout` against a server that drips.
//!
//! A socket's read timeout bounds one read, not a reply: a server that
//! sends one `220-` line a second, or one byte of a file every few seconds,
//! never lets a read time out and could hold a connection for ever. Two
//! bounds close that gap:
//!
//! - [`Watchdog`] gives every control-connection exchange a deadline (the
//!   session timeout per reply it waits for). suppaftp reads replies
//!   itself, over plain TCP or TLS, so the deadline cannot live in a read
//!   call; a small thread shuts the socket down when it passes, which ends
//!   whatever read or write is blocked on it.
//! - [`Paced`] wraps a data connection and asks for progress, like curl's
//!   `--speed-limit`/`--speed-time`: at least [`MIN_PROGRESS`] bytes in
//!   every window of the timeout, or the transfer has stalled.

use std::io::{self, Read, Write};
use std::net::{Shutdown, TcpStream};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use super::session::DataStream;

/// Bytes a data connection must move in every window of the timeout.
/// A real link, even a modem, moves thousands of times more; a server
/// dripping a byte every few seconds moves less.
pub const MIN_PROGRESS: u64 = 1024;
/// How often a waiting data connection looks at its progress.
const POLL: Duration = Duration::from_millis(250);

/// What the watchdog thread and the session share.
#[derive(Default)]
struct Shared {
    state: Mutex<State>,
    wake: Condvar,
}

#[derive(Default)]
struct State {
    /// The control connection (a second handle on the same socket).
    socket: Option<TcpStream>,
    deadline: Option<Instant>,
    /// The deadline passed and the socket was shut down.
    fired: bool,
    stop: bool,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Shuts the control connection down when an exchange outlives its
/// deadline. One per session; its thread ends when it is dropped.
pub struct Watchdog {
    shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
}

/// A handle on a session's watchdog for the code that makes its
/// connections (the TLS connector), which sees the control socket first
/// in implicit FTPS.
#[derive(Clone, Default)]
pub struct WatchHandle {
    shared: Arc<Shared>,
}

impl std::fmt::Debug for WatchHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("WatchHandle")
    }
}

impl Watchdog {
    pub fn new() -> Watchdog {
        let shared = Arc::new(Shared::default());
        let watched = Arc::clone(&shared);
        // Without a thread there is no deadline, but the session still works.
        let thread = thread::Builder::new()
            .name("ferry-deadline".to_string())
            .spawn(move || watch(&watched))
            .ok();
        Watchdog { shared, thread }
    }

    pub fn handle(&self) -> WatchHandle {
        WatchHandle {
            shared: Arc::clone(&self.shared),
        }
    }

    /// Watches `socket` from now on (the control connection).
    pub fn watch(&self, socket: &TcpStream) {
        self.handle().watch(socket);
    }

    /// Forgets the socket (before trying the next address).
    pub fn unwatch(&self) {
        self.shared.lock().socket = None;
    }

    /// The exchange about to start must end within `within`.
    pub fn arm(&self, within: Duration) {
        let mut state = self.shared.lock();
        state.deadline = Some(Instant::now() + within);
        state.fired = false;
        drop(state);
        self.shared.wake.notify_all();
    }

    /// The exchange ended; `true` if its deadline had passed and the
    /// connection was shut down (so it cannot be used again).
    pub fn disarm(&self) -> bool {
        let mut state = self.shared.lock();
        state.deadline = None;
        state.fired
    }
}

impl WatchHandle {
    /// Watches `socket`; if the deadline has already passed, shuts it down
    /// at once.
    pub fn watch(&self, socket: &TcpStream) {
        let mut state = self.shared.lock();
        state.socket = socket.try_clone().ok();
        if state.fired
            && let Some(socket) = &state.socket
        {
            let _ = socket.shutdown(Shutdown::Both);
        }
    }

    /// Watches `socket` unless a socket is watched already: the first
    /// connection a session makes is its control connection.
    pub fn watch_first(&self, socket: &TcpStream) {
        if self.shared.lock().socket.is_none() {
            self.watch(socket);
        }
    }
}

impl Drop for Watchdog {
    fn drop(&mut self) {
        self.shared.lock().stop = true;
        self.shared.wake.notify_all();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// The watchdog thread: sleeps until the deadline (or a change), then
/// shuts the socket down if the exchange is still running.
fn watch(shared: &Shared) {
    let mut state = shared.lock();
    loop {
        if state.stop {
            return;
        }
        state = match state.deadline {
            None => shared
                .wake
                .wait(state)
                .unwrap_or_else(PoisonError::into_inner),
            Some(deadline) => {
                let now = Instant::now();
                if now >= deadline {
                    state.fired = true;
                    state.deadline = None;
                    if let Some(socket) = &state.socket {
                        let _ = socket.shutdown(Shutdown::Both);
                    }
                    continue;
                }
                shared
                    .wake
                    .wait_timeout(state, deadline - now)
                    .unwrap_or_else(PoisonError::into_inner)
                    .0
            }
        };
    }
}

/// Counts a data connection's bytes in windows of the timeout.
struct Progress {
    timeout: Duration,
    window_start: Instant,
    bytes: u64,
    last_byte: Instant,
}

impl Progress {
    fn new(timeout: Duration) -> Progress {
        let now = Instant::now();
        Progress {
            timeout,
            window_start: now,
            bytes: 0,
            last_byte: now,
        }
    }

    fn moved(&mut self, bytes: usize) {
        if bytes > 0 {
            self.bytes += bytes as u64;
            self.last_byte = Instant::now();
        }
        self.roll();
    }

    /// Starts the next window once this one is over and moved enough.
    fn roll(&mut self) {
        if self.window_start.elapsed() >= self.timeout && self.bytes >= MIN_PROGRESS {
            self.window_start = Instant::now();
            self.bytes = 0;
        }
    }

    /// Called while waiting: an error after a whole timeout without a
    /// byte, or a whole window with too few of them.
    fn check(&mut self) -> io::Result<()> {
        self.roll();
        let silent = self.last_byte.elapsed() >= self.timeout;
        let slow = self.window_start.elapsed() >= self.timeout && self.bytes < MIN_PROGRESS;
        if !(silent || slow) {
            return Ok(());
        }
        let why = if silent {
            format!(
                "no data for {} s; the transfer stalled",
                self.timeout.as_secs_f64()
            )
        } else {
            format!(
                "the transfer stalled ({} bytes in {} s, fewer than {MIN_PROGRESS})",
                self.bytes,
                self.timeout.as_secs_f64()
            )
        };
        Err(io::Error::new(io::ErrorKind::TimedOut, why))
    }
}

/// A data connection that must keep moving: reads and writes wait in
/// short steps and fail with `TimedOut` once a whole window of the timeout
/// moved fewer than [`MIN_PROGRESS`] bytes. Never returns `WouldBlock`.
pub struct Paced<'a> {
    stream: &'a mut DataStream,
    progress: Progress,
}

impl<'a> Paced<'a> {
    pub fn new(stream: &'a mut DataStream, timeout: Duration) -> Paced<'a> {
        let socket = stream.socket();
        let step = Some(POLL.min(timeout).max(Duration::from_millis(1)));
        let _ = socket.set_read_timeout(step);
        let _ = socket.set_write_timeout(step);
        Paced {
            stream,
            progress: Progress::new(timeout),
        }
    }

    /// Runs `op` until it moves something (or fails for good), looking at
    /// the progress whenever it had to wait.
    fn patiently(
        &mut self,
        mut op: impl FnMut(&mut DataStream) -> io::Result<usize>,
    ) -> io::Result<usize> {
        loop {
            match op(self.stream) {
                Ok(n) => {
                    self.progress.moved(n);
                    return Ok(n);
                }
                Err(err)
                    if matches!(
                        err.kind(),
                        io::ErrorKind::WouldBlock
                            | io::ErrorKind::TimedOut
                            | io::ErrorKind::Interrupted
                    ) =>
                {
                    self.progress.check()?;
                }
                Err(err) => return Err(err),
            }
        }
    }
}

impl Read for Paced<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.patiently(|stream| stream.read(buf))
    }
}

impl Write for Paced<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.patiently(|stream| stream.write(buf))
    }

    fn flush(&mut self) -> io::Result<()> {
        self.patiently(|stream| stream.flush().map(|()| 0))
            .map(drop)
    }
}

impl Drop for Paced<'_> {
    /// Back to whole-timeout waits for whoever uses the stream next.
    fn drop(&mut self) {
        let socket = self.stream.socket();
        let _ = socket.set_read_timeout(Some(self.progress.timeout));
        let _ = socket.set_write_timeout(Some(self.progress.timeout));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_deadline_shuts_a_silent_connection_down() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let mut client = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let (_server, _) = listener.accept().unwrap();
        client
            .set_read_timeout(Some(Duration::from_secs(30)))
            .unwrap();
        let dog = Watchdog::new();
        dog.watch(&client);
        dog.arm(Duration::from_millis(200));
        let started = Instant::now();
        let read = client.read(&mut [0u8; 16]);
        assert!(matches!(read, Ok(0) | Err(_)), "{read:?}");
        assert!(started.elapsed() < Duration::from_secs(10));
        assert!(dog.disarm());
    }

    #[test]
    fn a_disarmed_deadline_leaves_the_connection_alone() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let client = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let (mut server, _) = listener.accept().unwrap();
        let dog = Watchdog::new();
        dog.watch(&client);
        dog.arm(Duration::from_millis(100));
        assert!(!dog.disarm());
        thread::sleep(Duration::from_millis(300));
        server.write_all(b"x").unwrap();
        let mut byte = [0u8; 1];
        (&client).read_exact(&mut byte).unwrap();
        assert_eq!(&byte, b"x");
    }

    #[test]
    fn progress_fails_only_a_whole_window_with_too_few_bytes() {
        let mut progress = Progress::new(Duration::from_millis(80));
        assert!(progress.check().is_ok());
        // Bytes keep coming, but too few of them.
        for _ in 0..5 {
            thread::sleep(Duration::from_millis(20));
            progress.moved(10);
        }
        let err = progress.check().unwrap_err();
        assert!(err.to_string().contains("fewer than"), "{err}");
        // Enough in a window: the next one starts.
        progress.moved(2000);
        assert!(progress.check().is_ok());
        // Then silence for a whole timeout.
        thread::sleep(Duration::from_millis(90));
        let err = progress.check().unwrap_err();
        assert!(err.to_string().contains("no data"), "{err}");
    }
}
