//! Streaming one file up over a session's data connection, and what every
//! transfer shares: the pump, the meter, the ending.
//!
//! Bytes move through one fixed buffer, never a whole file in memory.
//! Downloads are in [`super::download`].

use std::fs::{self, File};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::Path;
use std::time::{Duration, Instant};

use super::command::{RequestId, TransferType};
use super::deadline::Paced;
use super::error::{Error, Result};
use super::event::{Progress, TransferSummary};
use super::names::check_command_argument;
use super::net;
use super::rate_limit::RateLimit;
use super::session::{DataStream, Session};
use super::tls;

// The worker reaches downloads through here, beside uploads.
pub use super::download::{DownloadTarget, download};

/// Size of the one buffer a transfer uses.
const BUFFER_SIZE: usize = 256 * 1024;
/// Progress events are sent at most this often.
const PROGRESS_INTERVAL: Duration = Duration::from_millis(100);

/// What a transfer reports to and asks of its caller while it runs.
pub trait TransferObserver {
    fn progress(&mut self, progress: Progress);
    /// Polled between buffers; `true` stops the transfer with ABOR.
    fn cancelled(&mut self) -> bool;
}

/// Uploads `local` to `remote`; with `resume`, appends to a shorter remote
/// file (APPE) instead of starting over.
pub fn upload(
    session: &mut Session,
    request: RequestId,
    local: &Path,
    remote: &str,
    resume: bool,
    observer: &mut dyn TransferObserver,
) -> Result<TransferSummary> {
    check_command_argument("the remote path", remote)?;
    let ascii = session.transfer_type() == TransferType::Ascii;
    let (mut file, meta) = open_upload_source(local)?;
    let total = meta.len();
    let mut offset = 0;
    if resume && !ascii {
        let remote_size = session.size(remote).unwrap_or(0);
        if remote_size == total {
            session
                .log()
                .status(&format!("{remote} is already complete"));
            return Ok(TransferSummary {
                bytes: 0,
                resumed_from: total,
                elapsed: Duration::ZERO,
                source_modified: None,
            });
        }
        if remote_size < total {
            offset = remote_size;
        }
    }
    file.seek(SeekFrom::Start(offset))
        .map_err(|e| Error::local(local, &e))?;
    let command = if offset > 0 {
        session
            .log()
            .status(&format!("Resuming {remote} at byte {offset}"));
        format!("APPE {remote}")
    } else {
        format!("STOR {remote}")
    };
    let mut check = Check::start(session, remote, ascii, offset)?;
    let started = Instant::now();
    // TYPE A may double the bytes (every LF becomes CRLF).
    let on_the_wire = (total - offset).saturating_mul(if ascii { 2 } else { 1 });
    let mut stream = session.open_data_to_send(&command, on_the_wire)?;
    let mut meter =
        Meter::new(request, offset, Some(total)).limited(session.rate_limits().upload.clone());
    let mut converter = AsciiUpload::default();
    let mut paced = Paced::new(&mut stream, session.timeout());
    let result = pump(
        &mut file,
        &|err| Error::local(local, &err),
        &mut |chunk| {
            let sent = if ascii {
                paced.write_all(&converter.convert(chunk))
            } else {
                check.update(chunk);
                paced.write_all(chunk)
            };
            sent.map_err(|err| net::io_error("sending data", &err))
        },
        &mut meter,
        observer,
    )
    .and_then(|()| {
        paced
            .flush()
            .map_err(|err| net::io_error("sending data", &err))
    });
    drop(paced);
    // An upload never reads, so the session ticket the server sent for the
    // next data connection would be lost with this one: take it now.
    tls::collect_session_tickets(&mut stream, session.tickets());
    end_transfer(session, stream, result, None, &mut meter, observer)?;
    session.log().detail(&format!(
        "{command}: {} bytes in {:.2?}",
        meter.done - offset,
        started.elapsed()
    ));
    check_unchanged_during_upload(session.log(), &file, local, &meta, meter.done, ascii)?;
    if let Some((there, here)) = check.mismatch(session, remote, local)? {
        return Err(Error::Protocol(format!(
            "the server's copy of {remote} does not match what was sent \
             (the server's {there}, sent {}); upload it again",
            here.hex
        )));
    }
    Ok(TransferSummary {
        bytes: meter.done - offset,
        resumed_from: offset,
        elapsed: started.elapsed(),
        source_modified: None,
    })
}

/// The local file an upload sends, open, with what it was when opened;
/// a folder is refused (a tree is uploaded otherwise).
pub(super) fn open_upload_source(local: &Path) -> Result<(File, std::fs::Metadata)> {
    let file = File::open(local).map_err(|e| Error::local(local, &e))?;
    let meta = file.metadata().map_err(|e| Error::local(local, &e))?;
    if meta.is_dir() {
        return Err(Error::LocalIo {
            path: local.display().to_string(),
            message: "is a folder (use a recursive upload)".to_string(),
        });
    }
    Ok((file, meta))
}

/// A local file written to while it was being sent leaves the server a
/// copy that matches no version of it: that is a failure, not a success.
/// A file deleted meanwhile is fine (the open handle read it whole).
pub(super) fn check_unchanged_during_upload(
    log: &super::debug_log::LogSink,
    file: &File,
    local: &Path,
    before: &fs::Metadata,
    sent: u64,
    ascii: bool,
) -> Result<()> {
    let after = file.metadata().map_err(|e| Error::local(local, &e))?;
    let short = !ascii && sent != before.len();
    if short || after.len() != before.len() || after.modified().ok() != before.modified().ok() {
        return Err(Error::LocalIo {
            path: local.display().to_string(),
            message: format!(
                "changed while it was being uploaded ({} bytes when it started, {} now, \
                 {sent} sent); the server's copy matches neither: upload it again",
                before.len(),
                after.len()
            ),
        });
    }
    if fs::symlink_metadata(local).is_err() {
        log.warning(&format!(
            "{} was deleted during the upload; the server has it whole, as it was",
            local.display()
        ));
    }
    Ok(())
}

/// A transfer checked against the server's checksum (with verification
/// on, a binary transfer, a server that gives checksums): the bytes are
/// hashed as they go by, or read back when the transfer continued an
/// earlier part of the file.
pub(super) struct Check {
    algorithm: Option<super::hash::HashAlgorithm>,
    hasher: Option<super::hash::BackgroundHasher>,
    /// The server's checksum being asked on a second login meanwhile.
    early: Option<std::thread::JoinHandle<Result<Option<super::hash::FileHash>>>>,
}

/// Downloads at least this big have their checksum asked on a second
/// login while they run: the server's hash of 1 GiB took as long as the
/// download itself on loopback.
const EARLY_HASH_FROM: u64 = 64 * 1024 * 1024;

impl Check {
    pub(super) fn start(
        session: &mut Session,
        remote: &str,
        ascii: bool,
        offset: u64,
    ) -> Result<Check> {
        let algorithm = match ascii {
            true => None,
            false => session.verifying_with(remote)?,
        };
        let hasher = algorithm
            .filter(|_| offset == 0)
            .map(super::hash::BackgroundHasher::new);
        Ok(Check {
            algorithm,
            hasher,
            early: None,
        })
    }

    /// As [`Check::start`], for a download of `total` bytes: a big one
    /// has the server's checksum asked beside it.
    pub(super) fn start_download(
        session: &mut Session,
        remote: &str,
        (ascii, offset, total): (bool, u64, Option<u64>),
    ) -> Result<Check> {
        let mut check = Check::start(session, remote, ascii, offset)?;
        if check.algorithm.is_some() && total.is_some_and(|t| t >= EARLY_HASH_FROM) {
            check.early = session.early_remote_hash(remote);
        }
        Ok(check)
    }

    pub(super) fn update(&mut self, bytes: &[u8]) {
        if let Some(hasher) = self.hasher.as_mut() {
            hasher.update(bytes);
        }
    }

    /// The server's checksum and this side's, when they differ; `local`
    /// holds the whole file now.
    pub(super) fn mismatch(
        self,
        session: &mut Session,
        remote: &str,
        local: &Path,
    ) -> Result<Option<(super::hash::FileHash, super::hash::FileHash)>> {
        let Some(algorithm) = self.algorithm else {
            return Ok(None);
        };
        let here = match self.hasher.and_then(super::hash::BackgroundHasher::finish) {
            Some(here) => here,
            None => super::hash::of_file(local, algorithm).map_err(|e| Error::local(local, &e))?,
        };
        // The answer of the second login, when it gave one of this kind;
        // else asked here, now.
        let early = self
            .early
            .and_then(|thread| thread.join().ok())
            .and_then(Result::ok)
            .flatten()
            .filter(|h| h.algorithm == algorithm);
        let there = match early {
            Some(there) => there,
            None => match session.remote_hash(remote)? {
                Some(there) => there,
                None => return Ok(None),
            },
        };
        if there == here {
            session.log().status(&format!("{remote}: {there} checked"));
            return Ok(None);
        }
        Ok(Some((there, here)))
    }
}

/// The part of `chunk` that fits within the size the source announced,
/// `done` bytes in; shorter than `chunk` when the source sends more than it
/// said, which callers treat as a failure after keeping what fits.
pub(super) fn within_announced(chunk: &[u8], done: u64, total: Option<u64>) -> &[u8] {
    let room = total.map_or(u64::MAX, |t| t.saturating_sub(done));
    &chunk[..chunk.len().min(usize::try_from(room).unwrap_or(usize::MAX))]
}

/// The error for a source that sent more than it announced (its message
/// is replaced by the caller, which knows the sizes).
pub(super) fn more_than_announced() -> Error {
    Error::Protocol("more bytes than announced".to_string())
}

/// Moves bytes from `source` to `sink` through one buffer until the source
/// ends, the observer cancels, or either side fails.
pub(super) fn pump(
    source: &mut dyn Read,
    source_error: &dyn Fn(io::Error) -> Error,
    sink: &mut dyn FnMut(&[u8]) -> Result<()>,
    meter: &mut Meter,
    observer: &mut dyn TransferObserver,
) -> Result<()> {
    let mut buffer = vec![0u8; BUFFER_SIZE];
    loop {
        if observer.cancelled() {
            return Err(Error::Cancelled);
        }
        let chunk = meter.chunk(buffer.len());
        let read = match source.read(&mut buffer[..chunk]) {
            Ok(0) => return Ok(()),
            Ok(n) => n,
            Err(err) if err.kind() == io::ErrorKind::Interrupted => continue,
            Err(err) => return Err(source_error(err)),
        };
        sink(&buffer[..read])?;
        meter.add(read as u64, observer);
    }
}

/// Completes the data connection after `result`: the server's 226 on
/// success, an abort on failure. A final progress event goes out either way.
/// With `time_of`, a download also asks for that file's modification time
/// (see [`Session::finish_data_and_time`]).
pub(super) fn end_transfer(
    session: &mut Session,
    stream: DataStream,
    result: Result<()>,
    time_of: Option<&str>,
    meter: &mut Meter,
    observer: &mut dyn TransferObserver,
) -> Result<Option<chrono::NaiveDateTime>> {
    let outcome = match result {
        Ok(()) => session.finish_data_and_time(stream, time_of),
        Err(err) => {
            session.abort_data(stream);
            Err(err)
        }
    };
    meter.report(observer);
    outcome
}

/// Counts bytes and turns them into throttled progress events.
pub(super) struct Meter {
    request: RequestId,
    started: Instant,
    start_bytes: u64,
    pub(super) done: u64,
    total: Option<u64>,
    last_report: Instant,
    last_bytes: u64,
    /// The speed limit the bytes follow.
    limit: Option<RateLimit>,
}

impl Meter {
    pub(super) fn new(request: RequestId, offset: u64, total: Option<u64>) -> Meter {
        let now = Instant::now();
        Meter {
            request,
            started: now,
            start_bytes: offset,
            done: offset,
            total,
            last_report: now,
            last_bytes: offset,
            limit: None,
        }
    }

    /// The same meter, pacing its bytes to `limit`.
    pub(super) fn limited(mut self, limit: RateLimit) -> Meter {
        self.limit = Some(limit);
        self
    }

    /// How much to read next (less than `max` under a speed limit).
    pub(super) fn chunk(&self, max: usize) -> usize {
        self.limit.as_ref().map_or(max, |l| l.chunk(max))
    }

    pub(super) fn add(&mut self, bytes: u64, observer: &mut dyn TransferObserver) {
        if let Some(limit) = &self.limit {
            limit.take(bytes);
        }
        self.done += bytes;
        if self.last_report.elapsed() >= PROGRESS_INTERVAL {
            self.report(observer);
        }
    }

    pub(super) fn report(&mut self, observer: &mut dyn TransferObserver) {
        let now = Instant::now();
        let interval = now.duration_since(self.last_report).as_secs_f64();
        let elapsed = now.duration_since(self.started).as_secs_f64();
        let rate = |bytes: u64, secs: f64| if secs > 0.0 { bytes as f64 / secs } else { 0.0 };
        observer.progress(Progress {
            request: self.request,
            bytes_done: self.done,
            total: self.total,
            average_rate: rate(self.done - self.start_bytes, elapsed),
            current_rate: rate(self.done - self.last_bytes, interval),
        });
        self.last_report = now;
        self.last_bytes = self.done;
    }
}

/// Bare LF to CRLF, as TYPE A requires on the wire.
#[derive(Default)]
struct AsciiUpload {
    last_was_cr: bool,
}

impl AsciiUpload {
    fn convert(&mut self, chunk: &[u8]) -> Vec<u8> {
        let mut out = Vec::with_capacity(chunk.len() + chunk.len() / 16);
        for &byte in chunk {
            if byte == b'\n' && !self.last_was_cr {
                out.push(b'\r');
            }
            out.push(byte);
            self.last_was_cr = byte == b'\r';
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ascii_line_endings_survive_buffer_edges() {
        let mut up = AsciiUpload::default();
        let mut out = up.convert(b"a\nb\r");
        out.extend(up.convert(b"\nc\n"));
        assert_eq!(out, b"a\r\nb\r\nc\r\n");
    }
}
