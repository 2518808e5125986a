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

impl Peer {
    /// Greets with `banner` (whole reply lines, CRLF added) and lets
    /// USER and PASS in.
    pub fn greet_and_log_in(&mut self, banner: &str) {
        self.reply(banner);
        assert!(self.command().is_some_and(|c| c.starts_with("USER ")));
        self.reply("331 Password please");
        assert!(self.command().is_some_and(|c| c.starts_with("PASS ")));
        self.reply("230 In");
    }

    /// Answers like a minimal server until the client hangs up, with
    /// `special` asked first for each command. PASV opens a data port on
    /// 127.0.0.1, and a LIST, MLSD or NLST then sends `listing` on it.
    pub fn serve_with_listing(
        &mut self,
        listing: &[u8],
        special: impl FnMut(&str) -> Option<String>,
    ) {
        self.serve_folder(listing, &[], special);
    }

    /// As [`Peer::serve_with_listing`], and `files` (name, bytes) answer
    /// SIZE and RETR.
    pub fn serve_folder(
        &mut self,
        listing: &[u8],
        files: &[(&str, &[u8])],
        mut special: impl FnMut(&str) -> Option<String>,
    ) {
        let mut data: Option<TcpListener> = None;
        while let Some(command) = self.command() {
            if let Some(reply) = special(&command) {
                self.reply(&reply);
                // As servers do: 421 closes the connection by definition,
                // and vsftpd's "500 OOPS:" comes from a session that died.
                if reply.starts_with("421") || reply.starts_with("500 OOPS:") {
                    return;
                }
                continue;
            }
            let (verb, argument) = command.split_once(' ').unwrap_or((&command, ""));
            let file = files
                .iter()
                .find(|(name, _)| *name == argument.trim_start_matches('/'));
            match (verb, file) {
                ("PASV", _) => {
                    let listener = TcpListener::bind("127.0.0.1:0").expect("a data port");
                    let port = listener.local_addr().expect("its address").port();
                    data = Some(listener);
                    self.reply(&format!(
                        "227 Entering Passive Mode (127,0,0,1,{},{})",
                        port / 256,
                        port % 256
                    ));
                }
                ("SIZE", Some((_, bytes))) => self.reply(&format!("213 {}", bytes.len())),
                ("SIZE" | "RETR", None) => self.reply("550 No such file"),
                ("LIST" | "MLSD" | "NLST" | "RETR", _) => {
                    let bytes = file.map_or(listing, |(_, bytes)| *bytes);
                    match data.take() {
                        Some(listener) => {
                            self.reply("150 Here it comes");
                            let (mut socket, _) = listener.accept().expect("the data connection");
                            let _ = socket.write_all(bytes);
                            drop(socket);
                            self.reply("226 Done");
                        }
                        None => self.reply("425 Use PASV first"),
                    }
                }
                _ => self.reply(&minimal_reply(&command)),
            }
        }
    }
}

/// What a minimal server says to what Ferry sends around its requests:
/// FEAT (SIZE only: no EPSV, so PASV), TYPE, PWD, QUIT; 502 to the rest.
pub fn minimal_reply(command: &str) -> String {
    let verb = command.split_whitespace().next().unwrap_or_default();
    match verb.to_ascii_uppercase().as_str() {
        "FEAT" => "211-Features:\r\n SIZE\r\n211 End",
        "TYPE" => "200 Type set",
        "PWD" => "257 \"/\" is the current directory",
        "QUIT" => "221 Bye",
        _ => "502 Not implemented",
    }
    .to_string()
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

    /// A server for up to `connections` connections, one after another or
    /// at once, each running `script` (with its number, from 0) in a
    /// thread of its own: for what a client does after a connection dies.
    pub fn start_each(
        connections: usize,
        script: impl Fn(&mut Peer, usize) + Send + Sync + 'static,
    ) -> ScriptedServer {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
        let port = listener.local_addr().expect("local address").port();
        let script = std::sync::Arc::new(script);
        let thread = thread::spawn(move || {
            // Bounded: connections that never come end the wait after 20 s.
            let deadline = std::time::Instant::now() + Duration::from_secs(20);
            listener
                .set_nonblocking(true)
                .expect("a non-blocking listener");
            let mut sessions = Vec::new();
            for number in 0..connections {
                let socket = loop {
                    match listener.accept() {
                        Ok((socket, _)) => break Some(socket),
                        Err(_) if std::time::Instant::now() < deadline => {
                            thread::sleep(Duration::from_millis(10));
                        }
                        Err(_) => break None,
                    }
                };
                let Some(socket) = socket else { break };
                let _ = socket.set_nonblocking(false);
                let _ = socket.set_read_timeout(Some(Duration::from_secs(20)));
                let script = script.clone();
                sessions.push(thread::spawn(move || {
                    let mut peer = Peer {
                        reader: BufReader::new(socket),
                        received: Vec::new(),
                    };
                    script(&mut peer, number);
                    peer.received
                }));
            }
            sessions
                .into_iter()
                .flat_map(|session| session.join().expect("script thread"))
                .collect()
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
