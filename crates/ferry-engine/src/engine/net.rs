//! Opening TCP connections with a timeout and an optional source address.

use std::io;
use std::net::{IpAddr, SocketAddr, TcpStream, ToSocketAddrs};
use std::time::Duration;

use socket2::{Domain, Protocol, Socket, Type};

use super::error::{Error, Result};

/// Resolves `host:port`; an IPv6 literal may come with or without brackets.
pub fn resolve(host: &str, port: u16) -> Result<Vec<SocketAddr>> {
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    let addrs: Vec<SocketAddr> = (bare, port)
        .to_socket_addrs()
        .map_err(|err| Error::Connection(format!("cannot resolve {host}: {err}")))?
        .collect();
    if addrs.is_empty() {
        return Err(Error::Connection(format!("{host} has no address")));
    }
    Ok(addrs)
}

/// Connects to `addr` within `timeout`, from `source` when given, and sets
/// read and write timeouts so no later call can block forever.
pub fn connect(
    addr: SocketAddr,
    source: Option<IpAddr>,
    timeout: Duration,
) -> io::Result<TcpStream> {
    let stream = match source {
        None => TcpStream::connect_timeout(&addr, timeout)?,
        Some(_) => {
            let socket = socket_for(addr, source)?;
            socket.connect_timeout(&addr.into(), timeout)?;
            socket.into()
        }
    };
    finish(stream, timeout)
}

/// A TCP socket for `addr`, bound to `source` when given.
fn socket_for(addr: SocketAddr, source: Option<IpAddr>) -> io::Result<Socket> {
    let socket = Socket::new(Domain::for_address(addr), Type::STREAM, Some(Protocol::TCP))?;
    if let Some(ip) = source {
        // The address named, for a user who typed it: "Cannot assign
        // requested address" alone does not say which.
        socket
            .bind(&SocketAddr::new(ip, 0).into())
            .map_err(|e| io::Error::new(e.kind(), format!("from {ip}: {e}")))?;
    }
    Ok(socket)
}

/// Timeouts and no Nagle on a new connection.
fn finish(stream: TcpStream, timeout: Duration) -> io::Result<TcpStream> {
    set_timeouts(&stream, timeout)?;
    // FTP is a conversation of small lines: a command held back by Nagle's
    // algorithm until the server's delayed ACK comes costs 40 ms a file.
    let _ = stream.set_nodelay(true);
    Ok(stream)
}

/// Starts a data connection to `addr` and returns before its handshake
/// completes, so the command that uses it (RETR, STOR, LIST) goes out in
/// the same round trip as the connection's SYN: waiting for the handshake
/// first cost a round trip per file. On Linux a blocking read or write on
/// a socket still connecting waits for the handshake (and a failure to
/// connect is the error of that read or write, within the socket
/// timeouts); elsewhere this connects as [`connect`] does.
#[cfg(not(target_os = "linux"))]
pub fn start_connect(
    addr: SocketAddr,
    source: Option<IpAddr>,
    timeout: Duration,
) -> io::Result<TcpStream> {
    connect(addr, source, timeout)
}

/// See the other `start_connect`.
#[cfg(target_os = "linux")]
pub fn start_connect(
    addr: SocketAddr,
    source: Option<IpAddr>,
    timeout: Duration,
) -> io::Result<TcpStream> {
    let socket = socket_for(addr, source)?;
    socket.set_nonblocking(true)?;
    match socket.connect(&addr.into()) {
        Ok(()) => {}
        Err(err) if err.raw_os_error() == Some(libc::EINPROGRESS) => {}
        Err(err) => return Err(err),
    }
    socket.set_nonblocking(false)?;
    finish(socket.into(), timeout)
}

/// Read and write timeouts on an existing socket.
pub fn set_timeouts(stream: &TcpStream, timeout: Duration) -> io::Result<()> {
    stream.set_read_timeout(Some(timeout))?;
    stream.set_write_timeout(Some(timeout))
}

/// Maps a socket error to the engine's terms (timeouts apart).
pub fn io_error(context: &str, err: &io::Error) -> Error {
    match err.kind() {
        io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock => match err.get_ref() {
            // Our own deadlines say what ran out.
            Some(why) => Error::Timeout(format!("{context}: {why}")),
            None => Error::Timeout(format!("{context}: no answer in time")),
        },
        _ => Error::Connection(format!("{context}: {err}")),
    }
}
