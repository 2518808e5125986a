//! An explicit-FTPS server that accepts CCC the way proftpd does: it
//! answers 200, then sends its TLS close_notify a moment later, reads the
//! client's, and goes on in plain text. libunftp and vsftpd refuse CCC, so
//! without this the accepted path would only ever be checked by hand.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;
use std::thread::{self, JoinHandle};
use std::time::Duration;

use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use rustls::{ServerConfig, ServerConnection, StreamOwned};

use crate::certs::TestCert;

pub struct CccServer {
    pub port: u16,
    thread: Option<JoinHandle<Transcript>>,
}

/// What the server saw, for assertions.
#[derive(Debug, Default)]
pub struct Transcript {
    /// Commands read inside TLS.
    pub encrypted: Vec<String>,
    /// Commands read in plain text after CCC.
    pub plain: Vec<String>,
    /// The client ended TLS with a close_notify of its own.
    pub client_sent_close_notify: bool,
}

impl CccServer {
    /// `close_notify_delay`: how long after its 200 the server sends its
    /// close_notify (a separate TCP segment, as happens on real networks).
    pub fn start(cert: &TestCert, close_notify_delay: Duration) -> CccServer {
        let config = Arc::new(
            ServerConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
                .with_safe_default_protocol_versions()
                .expect("protocol versions")
                .with_no_client_auth()
                .with_single_cert(
                    vec![CertificateDer::from(cert.cert_der.clone())],
                    PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(cert.key_der.clone())),
                )
                .expect("server certificate"),
        );
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
        let port = listener.local_addr().expect("local address").port();
        let thread = thread::spawn(move || {
            let (socket, _) = listener.accept().expect("accept the client");
            let _ = socket.set_read_timeout(Some(Duration::from_secs(20)));
            serve(socket, config, close_notify_delay)
        });
        CccServer {
            port,
            thread: Some(thread),
        }
    }

    /// Waits for the client to hang up and returns what the server saw.
    pub fn transcript(mut self) -> Transcript {
        self.thread
            .take()
            .map(|t| t.join().expect("server thread"))
            .unwrap_or_default()
    }
}

fn serve(mut socket: TcpStream, config: Arc<ServerConfig>, delay: Duration) -> Transcript {
    let mut transcript = Transcript::default();
    let _ = socket.write_all(b"220 scripted FTPS server\r\n");
    match read_line(&mut socket).as_deref() {
        Some("AUTH TLS") => {
            let _ = socket.write_all(b"234 go ahead\r\n");
        }
        other => panic!("expected AUTH TLS, got {other:?}"),
    }
    let conn = ServerConnection::new(config).expect("server connection");
    let mut tls = StreamOwned::new(conn, socket);
    while let Some(command) = read_line(&mut tls) {
        transcript.encrypted.push(command.clone());
        let verb = command.split(' ').next().unwrap_or("").to_ascii_uppercase();
        let reply = match verb.as_str() {
            // Data in clear is against this server's policy.
            "PROT" if command.ends_with(" C") => "534 PROT C refused by policy",
            "USER" => "331 password please",
            "PASS" => "230 logged in",
            "PWD" => "257 \"/\" is the folder",
            "CCC" => "200 clearing the control channel",
            "PBSZ" | "PROT" | "TYPE" | "OPTS" => "200 ok",
            _ => "502 not here",
        };
        let _ = tls.write_all(format!("{reply}\r\n").as_bytes());
        let _ = tls.flush();
        if verb == "CCC" {
            break;
        }
    }
    thread::sleep(delay);
    tls.conn.send_close_notify();
    let _ = tls.conn.complete_io(&mut tls.sock);
    // The client's close_notify, read a record at a time straight from the
    // socket: rustls's own read would take whatever follows it too, and
    // the plain-text command after it would be lost to this server.
    for _ in 0..4 {
        let mut record = vec![0u8; 5];
        if tls.sock.read_exact(&mut record).is_err() {
            break;
        }
        let length = usize::from(u16::from_be_bytes([record[3], record[4]]));
        record.resize(5 + length, 0);
        if tls.sock.read_exact(&mut record[5..]).is_err()
            || tls.conn.read_tls(&mut &record[..]).is_err()
        {
            break;
        }
        match tls.conn.process_new_packets() {
            Ok(state) if state.peer_has_closed() => {
                transcript.client_sent_close_notify = true;
                break;
            }
            Ok(_) => {}
            Err(_) => break,
        }
    }
    let mut socket = tls.sock;
    while let Some(command) = read_line(&mut socket) {
        transcript.plain.push(command.clone());
        let reply = match command.to_ascii_uppercase().as_str() {
            "NOOP" => "200 plain-text NOOP",
            "QUIT" => "221 bye",
            _ => "502 not here",
        };
        let _ = socket.write_all(format!("{reply}\r\n").as_bytes());
        if reply.starts_with("221") {
            break;
        }
    }
    transcript
}

/// One CRLF line, byte by byte (slow and simple: the test sends a few).
fn read_line(stream: &mut impl Read) -> Option<String> {
    let mut line = Vec::new();
    let mut byte = [0u8; 1];
    loop {
        match stream.read(&mut byte) {
            Ok(1) if byte[0] == b'\n' => break,
            Ok(1) => line.push(byte[0]),
            _ => return None,
        }
    }
    if line.last() == Some(&b'\r') {
        line.pop();
    }
    Some(String::from_utf8_lossy(&line).into_owned())
}
