//! The stream type suppaftp runs FTPS over, and the connector that makes it.
//!
//! suppaftp wraps every data connection in TLS once the control connection
//! is secure. Ours can hand out a plain TCP data connection instead after
//! the server agreed to `PROT C`, and it ends TLS on the control connection
//! the way RFC 4217 asks for after `CCC` (close_notify both ways), so the
//! server's close_notify is never read as the start of the next reply.

use std::io::{self, Read, Write};
use std::net::TcpStream;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rustls::pki_types::ServerName;

use super::deadline::WatchHandle;
use rustls::{ClientConfig, ClientConnection, StreamOwned};
use suppaftp::{FtpError, FtpResult, TlsConnector, TlsStream};

/// How long CCC waits for the server's close_notify; servers send it with
/// or right after their 200, and some never do.
const CLOSE_NOTIFY_WAIT: Duration = Duration::from_millis(500);

/// What the handshake settled on ("TLS 1.3, TLS13_AES_256_GCM_SHA384"),
/// for the status bar's lock.
pub type Negotiated = Arc<Mutex<Option<String>>>;

/// One connection of an FTPS session.
#[derive(Debug)]
pub struct FtpsStream {
    channel: Channel,
    /// Send close_notify when dropped (not after CCC took the socket back).
    close_on_drop: bool,
}

/// The bytes' way: through TLS, or (data after PROT C) straight over TCP.
#[derive(Debug)]
pub enum Channel {
    Tls(Box<StreamOwned<ClientConnection, TcpStream>>),
    Clear(TcpStream),
}

impl Read for Channel {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Channel::Tls(tls) => tls.read(buf),
            Channel::Clear(tcp) => tcp.read(buf),
        }
    }
}

impl Write for Channel {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Channel::Tls(tls) => tls.write(buf),
            Channel::Clear(tcp) => tcp.write(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            Channel::Tls(tls) => tls.flush(),
            Channel::Clear(tcp) => tcp.flush(),
        }
    }
}

impl FtpsStream {
    /// The TLS connection, if this stream has one (for ticket collection).
    pub fn tls_mut(&mut self) -> Option<&mut StreamOwned<ClientConnection, TcpStream>> {
        match &mut self.channel {
            Channel::Tls(tls) => Some(tls),
            Channel::Clear(_) => None,
        }
    }
}

impl TlsStream for FtpsStream {
    type InnerStream = Channel;

    /// suppaftp calls this only for CCC: end TLS cleanly and hand back the
    /// socket for plain-text commands.
    fn tcp_stream(mut self) -> FtpResult<TcpStream> {
        self.close_on_drop = false;
        match &mut self.channel {
            Channel::Tls(tls) => {
                end_tls_for_ccc(tls);
                tls.sock.try_clone().map_err(FtpError::ConnectionError)
            }
            Channel::Clear(tcp) => tcp.try_clone().map_err(FtpError::ConnectionError),
        }
    }

    fn get_ref(&self) -> &TcpStream {
        match &self.channel {
            Channel::Tls(tls) => tls.get_ref(),
            Channel::Clear(tcp) => tcp,
        }
    }

    fn mut_ref(&mut self) -> &mut Channel {
        &mut self.channel
    }
}

impl Drop for FtpsStream {
    fn drop(&mut self) {
        if let (true, Channel::Tls(tls)) = (self.close_on_drop, &mut self.channel) {
            let _ = tls.flush();
            tls.conn.send_close_notify();
            let _ = tls.conn.write_tls(&mut tls.sock);
        }
    }
}

/// Sends our close_notify and reads up to the server's, so no TLS record
/// is left in the socket for the plain-text reply reader to trip over.
fn end_tls_for_ccc(tls: &mut StreamOwned<ClientConnection, TcpStream>) {
    tls.conn.send_close_notify();
    while tls.conn.wants_write() {
        if tls.conn.write_tls(&mut tls.sock).is_err() {
            return;
        }
    }
    let previous = tls.sock.read_timeout().ok().flatten();
    if tls.sock.set_read_timeout(Some(CLOSE_NOTIFY_WAIT)).is_err() {
        return;
    }
    loop {
        match tls.conn.process_new_packets() {
            Ok(state) if state.peer_has_closed() => break,
            Ok(_) => {}
            Err(_) => break,
        }
        match tls.conn.read_tls(&mut tls.sock) {
            Ok(0) | Err(_) => break,
            Ok(_) => {}
        }
    }
    let _ = tls.sock.set_read_timeout(previous);
}

/// Makes the session's connections: TLS with the session's shared config
/// (so data connections resume the control connection's session), socket
/// timeouts set before the handshake so a silent server cannot stall it,
/// and plain TCP for data once `clear_data` is set after PROT C.
#[derive(Debug)]
pub struct FtpsConnector {
    config: Arc<ClientConfig>,
    timeout: Duration,
    negotiated: Negotiated,
    clear_data: Arc<AtomicBool>,
    /// The session's watchdog, which must see the control socket even when
    /// suppaftp opens it (implicit FTPS).
    watch: WatchHandle,
    /// For implicit FTPS: the control connection Ferry opened itself, used
    /// instead of the socket suppaftp hands to the first handshake (see
    /// [`FtpsConnector::with_control`]).
    control: Mutex<Option<TcpStream>>,
}

impl FtpsConnector {
    pub fn new(
        config: Arc<ClientConfig>,
        timeout: Duration,
        negotiated: Negotiated,
        clear_data: Arc<AtomicBool>,
        watch: WatchHandle,
    ) -> FtpsConnector {
        FtpsConnector {
            config,
            timeout,
            negotiated,
            clear_data,
            watch,
            control: Mutex::new(None),
        }
    }

    /// Uses `control` for the first handshake, in place of the socket
    /// suppaftp opened. suppaftp's implicit-TLS connect opens its own
    /// `TcpStream` to the address it is given, with no timeout and no
    /// source address, and offers no way to hand it a connected socket;
    /// so the session connects the real server itself (same path,
    /// timeout, source address and IPv6 handling as every other
    /// connection), gives suppaftp the address of a loopback stand-in to
    /// connect to, and swaps the sockets here. Data connections (every
    /// later handshake) use the socket they are given.
    pub fn with_control(self, control: TcpStream) -> FtpsConnector {
        *self.control.lock().unwrap_or_else(|e| e.into_inner()) = Some(control);
        self
    }
}

impl TlsConnector for FtpsConnector {
    type Stream = FtpsStream;

    fn connect(&self, domain: &str, stream: TcpStream) -> FtpResult<FtpsStream> {
        let ours = self
            .control
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take();
        // The stand-in's socket goes; the real server's takes its place.
        let stream = ours.unwrap_or(stream);
        self.watch.watch_first(&stream);
        if self.clear_data.load(Ordering::Relaxed) {
            return Ok(FtpsStream {
                channel: Channel::Clear(stream),
                close_on_drop: false,
            });
        }
        stream
            .set_read_timeout(Some(self.timeout))
            .and_then(|()| stream.set_write_timeout(Some(self.timeout)))
            .map_err(FtpError::ConnectionError)?;
        let name = ServerName::try_from(domain.to_string())
            .map_err(|e| FtpError::SecureError(e.to_string()))?;
        let conn = ClientConnection::new(self.config.clone(), name)
            .map_err(|e| FtpError::SecureError(e.to_string()))?;
        let mut tls = Box::new(StreamOwned::new(conn, stream));
        // Finish the handshake now, to learn what it settled on; a refusal
        // surfaces here as it would on the first read.
        tls.conn
            .complete_io(&mut tls.sock)
            .map_err(FtpError::ConnectionError)?;
        let version = tls.conn.protocol_version().map(|v| match v {
            rustls::ProtocolVersion::TLSv1_3 => "TLS 1.3".to_string(),
            rustls::ProtocolVersion::TLSv1_2 => "TLS 1.2".to_string(),
            other => format!("{other:?}"),
        });
        let suite = tls
            .conn
            .negotiated_cipher_suite()
            .map(|s| format!("{:?}", s.suite()));
        if let (Some(version), Some(suite), Ok(mut slot)) = (version, suite, self.negotiated.lock())
        {
            *slot = Some(format!("{version}, {suite}"));
        }
        Ok(FtpsStream {
            channel: Channel::Tls(tls),
            close_on_drop: true,
        })
    }
}
