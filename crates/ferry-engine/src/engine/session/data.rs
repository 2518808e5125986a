//! A data connection in flight: one suppaftp opened (TLS, active mode, a
//! server that takes one command at a time), or one Ferry opened itself on
//! a plain control connection, where the commands around it can be sent
//! together (see [`super::pipeline`]).

use std::io::{self, Read, Write};
use std::net::TcpStream;

use suppaftp::TransferStream;

use crate::engine::tls_stream::FtpsStream;

pub enum DataStream {
    /// suppaftp reads the transfer's replies.
    Suppaftp(TransferStream<FtpsStream>),
    /// Ferry reads the transfer's replies itself.
    Direct(DirectData),
}

/// A plain data connection whose replies Ferry reads.
pub struct DirectData {
    pub(super) stream: TcpStream,
    /// The server closed it: it has sent everything and is done with the
    /// transfer, so commands may follow before its final reply is read.
    pub(super) ended: bool,
    /// The transfer command's reply (150 or 125), for the log of replies
    /// a listing looks at; `None` while it is unread (a small upload sent
    /// without waiting for it, see [`super::Session::open_data_to_send`]).
    pub(super) opened: Option<String>,
}

impl DataStream {
    /// Says the upload's end to the server now (a FIN on a connection
    /// Ferry opened), so its final reply is under way while the caller
    /// finishes something else; the reply is read by `finish_data` as
    /// usual. A TLS stream ends only there, with its close_notify.
    pub fn end_sending(&self) {
        if let DataStream::Direct(direct) = self {
            let _ = direct.stream.shutdown(std::net::Shutdown::Write);
        }
    }

    /// The TCP socket under it, for timeouts.
    pub fn socket(&self) -> &TcpStream {
        match self {
            DataStream::Suppaftp(stream) => stream.get_ref().get_ref(),
            DataStream::Direct(direct) => &direct.stream,
        }
    }
}

impl Read for DataStream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            DataStream::Suppaftp(stream) => stream.read(buf),
            DataStream::Direct(direct) => {
                let read = direct.stream.read(buf)?;
                if read == 0 && !buf.is_empty() {
                    direct.ended = true;
                }
                Ok(read)
            }
        }
    }
}

impl Write for DataStream {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            DataStream::Suppaftp(stream) => stream.write(buf),
            DataStream::Direct(direct) => direct.stream.write(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            DataStream::Suppaftp(stream) => stream.flush(),
            DataStream::Direct(direct) => direct.stream.flush(),
        }
    }
}
