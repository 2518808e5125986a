//! The control connection as the client meets it: the input is what a
//! server sends, byte for byte, to a real `ferry::engine::Connection`
//! that connects (plain FTP), lists, asks PWD, SIZE, MDTM and so on.
//!
//! The input is `CONTROL` or `CONTROL\n=====\nLISTING`. A one-shot server
//! on 127.0.0.1 writes CONTROL at once, shuts its sending side (so a
//! client waiting for more sees the end at once, not a timeout) and
//! reads until the client hangs up. In CONTROL, `$p` becomes the port of a
//! data listener and `$P` the same port as PASV's `p1,p2`; every data
//! connection made to it gets LISTING and is closed.
//!
//! Any error outcome is fine. A panic on any thread aborts (libfuzzer-sys
//! makes every panic abort), and so do an event channel that closes
//! before every request has its outcome and a request without an outcome
//! after `DEADLINE`: that is a hang.
//!
//! With `FERRY_FUZZ_VERBOSE` set, every event is printed, to see how far
//! an input gets.
//!
//! A port number in the input may send the client to any port on
//! 127.0.0.1, so run this in its own network namespace (see README.md).

#![no_main]

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use crossbeam_channel::RecvTimeoutError;
use ferry::engine::{Command, ConnectOptions, Connection, EventKind, Secret};
use libfuzzer_sys::fuzz_target;

const SEPARATOR: &[u8] = b"\n=====\n";
/// The client's timeout for connecting, each reply and stalled data.
const CLIENT_TIMEOUT: Duration = Duration::from_millis(300);
/// Longest wait for all outcomes before it counts as a hang.
const DEADLINE: Duration = Duration::from_secs(20);
/// How long the control server waits for the client to read or hang up.
const SERVER_PATIENCE: Duration = Duration::from_secs(5);

fuzz_target!(|data: &[u8]| {
    let (control, listing) = match find(data, SEPARATOR) {
        Some(at) => (&data[..at], &data[at + SEPARATOR.len()..]),
        None => (data, &[][..]),
    };
    let stop = Arc::new(AtomicBool::new(false));
    let (data_port, data_server) = data_server(listing.to_vec(), stop.clone());
    let control = substitute(control, data_port);
    let (control_port, control_server) = control_server(control, stop.clone());

    let (connection, events) = Connection::open();
    connection.set_debug_level(2);
    let mut options = ConnectOptions::new("127.0.0.1");
    options.port = control_port;
    options.user = Some("fuzz".to_string());
    options.password = Some(Secret::new("secret"));
    options.timeout = CLIENT_TIMEOUT;
    let mut pending = vec![
        connection.send(Command::Connect(options)),
        connection.send(Command::Pwd),
        connection.send(Command::Cwd("sub dir".to_string())),
        connection.send(Command::List(None)),
        connection.send(Command::NameList(Some("sub dir".to_string()))),
        connection.send(Command::Size("f".to_string())),
        connection.send(Command::ModificationTime("f".to_string())),
        connection.send(Command::Stat("f".to_string())),
        connection.send(Command::Raw("SITE HELP".to_string())),
        connection.send(Command::Cdup),
    ];
    let verbose = std::env::var_os("FERRY_FUZZ_VERBOSE").is_some();
    let start = Instant::now();
    while !pending.is_empty() {
        let left = DEADLINE.saturating_sub(start.elapsed());
        match events.recv_timeout(left) {
            Ok(event) => {
                if verbose {
                    eprintln!("{:?} {:?}", start.elapsed(), event.kind);
                }
                if let EventKind::Finished { request, .. } = event.kind {
                    pending.retain(|id| *id != request);
                }
            }
            Err(RecvTimeoutError::Timeout) => {
                panic!("hang: requests {pending:?} have no outcome after {DEADLINE:?}")
            }
            Err(RecvTimeoutError::Disconnected) => {
                panic!("the worker ended with requests {pending:?} unanswered")
            }
        }
    }
    connection.close();
    stop.store(true, Ordering::Relaxed);
    wake(control_port);
    wake(data_port);
    let _ = control_server.join();
    let _ = data_server.join();
});

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// `$p` as the port in decimal, `$P` as PASV's `p1,p2`.
fn substitute(control: &[u8], port: u16) -> Vec<u8> {
    let mut out = Vec::with_capacity(control.len() + 16);
    let mut i = 0;
    while i < control.len() {
        match (control[i], control.get(i + 1)) {
            (b'$', Some(b'p')) => out.extend_from_slice(port.to_string().as_bytes()),
            (b'$', Some(b'P')) => {
                out.extend_from_slice(format!("{},{}", port >> 8, port & 0xff).as_bytes())
            }
            (byte, _) => {
                out.push(byte);
                i += 1;
                continue;
            }
        }
        i += 2;
    }
    out
}

fn bind() -> (TcpListener, u16) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
    let port = listener.local_addr().expect("a local address").port();
    (listener, port)
}

/// Wakes a server blocked in `accept` so that it sees `stop`; refused
/// once it has stopped listening, which is fine.
fn wake(port: u16) {
    let _ = TcpStream::connect_timeout(&([127, 0, 0, 1], port).into(), SERVER_PATIENCE);
}

/// Accepts one control connection (then stops listening, so reconnects
/// are refused at once), sends `control` and reads until the client
/// hangs up.
fn control_server(control: Vec<u8>, stop: Arc<AtomicBool>) -> (u16, JoinHandle<()>) {
    let (listener, port) = bind();
    let thread = thread::spawn(move || {
        let socket = listener.accept();
        drop(listener);
        let Ok((mut socket, _)) = socket else {
            return;
        };
        if stop.load(Ordering::Relaxed) {
            return;
        }
        let _ = socket.set_read_timeout(Some(SERVER_PATIENCE));
        let _ = socket.set_write_timeout(Some(SERVER_PATIENCE));
        let _ = socket.write_all(&control);
        let _ = socket.shutdown(Shutdown::Write);
        let mut sink = [0u8; 4096];
        while matches!(socket.read(&mut sink), Ok(n) if n > 0) {}
    });
    (port, thread)
}

/// Serves `listing` on every data connection until `stop`.
fn data_server(listing: Vec<u8>, stop: Arc<AtomicBool>) -> (u16, JoinHandle<()>) {
    let (listener, port) = bind();
    let thread = thread::spawn(move || {
        while let Ok((mut socket, _)) = listener.accept() {
            if stop.load(Ordering::Relaxed) {
                return;
            }
            let _ = socket.set_write_timeout(Some(Duration::from_secs(1)));
            let _ = socket.write_all(&listing);
            let _ = socket.shutdown(Shutdown::Both);
        }
    });
    (port, thread)
}
