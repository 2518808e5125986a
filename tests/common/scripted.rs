//! A tiny FTP server whose every reply a test writes by hand, for the
//! behaviour real servers will not show on demand: oversized replies,
//! silence, ACCT, replies that break the rules.

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::thread::{self, JoinHandle};
use std::time::Duration;

/// One accepted control connection, as the script sees it.
pub struct Peer {
    reader: BufReader<TcpStream>,
    /// Every command line received, as bytes, for assertions after the run.
    pub received: Vec<Vec<u8>>,
}

impl Peer {
    /// Sends raw bytes (add the CRLF yourself).
    pub fn send(&mut self, bytes: &[u8]) {
        let _ = self.reader.get_mut().write_all(bytes);
    }

    /// Sends raw bytes; an error once the client has hung up.
    pub fn try_send(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        self.reader.get_mut().write_all(bytes)
    }

    /// Sends one reply line with CRLF.
    pub fn reply(&mut self, line: &str) {
        self.send(format!("{line}\r\n").as_bytes());
    }

    /// Reads the next command line (without CRLF); `None` when the client hung up.
    /// Bytes that are not UTF-8 show as U+FFFD here; `received` keeps them.
    pub fn command(&mut self) -> Option<String> {
        let mut line = Vec::new();
        match self.reader.read_until(b'\n', &mut line) {
            Ok(0) | Err(_) => None,
            Ok(_) => {
                let end = line.len()
                    - line
                        .iter()
                        .rev()
                        .take_while(|b| **b == b'\r' || **b == b'\n')
                        .count();
                line.truncate(end);
                let text = String::from_utf8_lossy(&line).into_owned();
                self.received.push(line);
                Some(text)
            }
        }
    }

    /// Reads commands, answering each with `answer` until it returns `None`
    /// or the client hangs up.
    pub fn serve(&mut self, mut answer: impl FnMut(&str) -> Option<String>) {
        while let Some(command) = self.command() {
            match answer(&command) {
                Some(reply) => self.reply(&reply),
                None => return,
            }
        }
    }
}

/// A server for one connection, running `script` on it in a thread.
pub struct ScriptedServer {
    pub port: u16,
    thread: Option<JoinHandle<Vec<Vec<u8>>>>,
}

impl ScriptedServer {
    pub fn start(script: impl FnOnce(&mut Peer) + Send + 'static) -> ScriptedServer {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
        let port = listener.local_addr().expect("local address").port();
        let thread = thread::spawn(move || {
            let (socket, _) = listener.accept().expect("accept the client");
            // Bounded: a confused test never hangs the suite.
            let _ = socket.set_read_timeout(Some(Duration::from_secs(20)));
            let mut peer = Peer {
                reader: BufReader::new(socket),
                received: Vec::new(),
            };
            script(&mut peer);
            peer.received
        });
        ScriptedServer {
            port,
            thread: Some(thread),
        }
    }

    /// Waits for the script to end and returns the commands it received.
    pub fn received(self) -> Vec<String> {
        self.received_bytes()
            .iter()
            .map(|line| String::from_utf8_lossy(line).into_owned())
            .collect()
    }

    /// The commands as the bytes that arrived.
    pub fn received_bytes(mut self) -> Vec<Vec<u8>> {
        self.thread
            .take()
            .map(|t| t.join().expect("script thread"))
            .unwrap_or_default()
    }
}
