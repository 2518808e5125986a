//! Streaming one file down or up over a session's data connection.
//!
//! Bytes move through one fixed buffer, never a whole file in memory.
//! Downloads land in a partial file of ours beside the target (see
//! [`super::partial`]) and take the target's name only once complete and
//! of the size the server announced, so an interrupted download never
//! looks finished and a later one can resume.

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
use super::partial::{self, Partial, Reopened};
use super::session::{DataStream, Session};
use super::tls;

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

/// What to download and where.
pub struct DownloadTarget<'a> {
    pub remote: &'a str,
    pub local: &'a Path,
    /// Continue Ferry's partial file for `local` with REST, if it was made
    /// for this same remote file (see [`super::partial`]).
    pub resume: bool,
    /// The size a listing reported, if any (saves a SIZE).
    pub listed_size: Option<u64>,
}

/// Downloads `remote` to `local` through a partial file of ours beside it;
/// with `resume`, continues the one an earlier attempt left, when it is
/// ours and was made for the same version of the same file.
pub fn download(
    session: &mut Session,
    request: RequestId,
    target: &DownloadTarget<'_>,
    observer: &mut dyn TransferObserver,
) -> Result<TransferSummary> {
    let DownloadTarget {
        remote,
        local,
        resume,
        listed_size,
    } = *target;
    check_command_argument("the remote path", remote)?;
    let ascii = session.transfer_type() == TransferType::Ascii;
    let sync = session.sync_downloads();
    // SIZE is only meaningful in binary mode; a server without it is fine.
    let total = if ascii {
        None
    } else {
        listed_size.or_else(|| session.size(remote).ok())
    };
    // Opened before RETR so a local problem shows before the server is
    // asked; a failure before any byte arrived takes it away again.
    let mut partial = open_partial(session, local, remote, total, resume && !ascii)?;
    let offset = partial.offset();
    if offset > 0 {
        session
            .log()
            .status(&format!("Resuming {remote} at byte {offset}"));
    }
    if total == Some(offset) && offset > 0 {
        // Everything is already here; no data connection needed.
        return finish_download(partial, local, offset, offset, Instant::now());
    }

    let started = Instant::now();
    let mut total = total;
    let mut from = offset;
    let done = loop {
        let received = receive(
            session,
            request,
            remote,
            &mut partial,
            from,
            total,
            observer,
        );
        match received {
            Ok(done) => break done,
            Err(Received::Failed(err)) => {
                // A partial file with bytes is what a resume starts from;
                // an empty one is only litter (a full disk left 1 819).
                if !partial.is_worth_keeping() {
                    partial.discard();
                }
                return Err(err);
            }
            Err(Received::TooMuch(cap)) => {
                // A listing's size may be older than the file: only SIZE's
                // own answer makes more bytes than announced a failure.
                let now = match listed_size {
                    Some(_) if total == listed_size => session.size(remote).ok(),
                    _ => None,
                };
                if let Some(now) = now.filter(|now| *now > cap) {
                    session.log().status(&format!(
                        "{remote} has grown to {now} bytes since it was listed; continuing"
                    ));
                    from = cap;
                    total = Some(now);
                    continue;
                }
                // The bytes are not the file the server announced: keep
                // nothing that a resume could mistake for it.
                partial.discard();
                return Err(Error::Protocol(format!(
                    "the server sent more than the {cap} bytes it announced for {remote}; \
                     the download was stopped and its partial file removed"
                )));
            }
        }
    };
    session.log().detail(&format!(
        "RETR {remote}: {} bytes in {:.2?}",
        done - offset,
        started.elapsed()
    ));
    // A listed size may be older than the file: ask the server before
    // calling the download short.
    let total = match total {
        Some(listed) if done != listed && listed_size.is_some() => session.size(remote).ok(),
        other => other,
    };
    if let Some(total) = total
        && done != total
    {
        let kept = if partial.is_worth_keeping() {
            format!("the partial file is kept as {}", partial.path().display())
        } else {
            partial.discard();
            "nothing was kept".to_string()
        };
        return Err(Error::Protocol(format!(
            "the server sent {done} of {total} bytes; {kept}"
        )));
    }
    if sync {
        let path = partial.path().to_path_buf();
        partial
            .file()
            .sync_data()
            .map_err(|e| Error::local(&path, &e))?;
    }
    finish_download(partial, local, done, offset, started)
}

/// The partial file this download writes: with `resume`, ours from an
/// earlier attempt when it was made for this same file and the file has
/// not changed since; otherwise a new one (an older one of ours for this
/// target goes; nobody else's file is touched).
fn open_partial(
    session: &mut Session,
    local: &Path,
    remote: &str,
    total: Option<u64>,
    resume: bool,
) -> Result<Partial> {
    let origin = session.origin().to_string();
    let source = partial::Source {
        origin: &origin,
        remote,
        size: total,
    };
    if !resume {
        Partial::discard_for(local);
        return Partial::create(local, &source);
    }
    match Partial::reopen(local, &source)? {
        Reopened::Ours(found) => {
            if changed_since(session, remote, found.started()) {
                session.log().warning(&format!(
                    "{remote} was modified on the server after {} was started; starting over",
                    found.path().display()
                ));
                found.discard();
            } else {
                return Ok(found);
            }
        }
        Reopened::Stale(why) => session.log().warning(&why),
        Reopened::None => {}
    }
    Partial::create(local, &source)
}

/// Whether the server says `remote` was modified after `started` (Unix
/// seconds, UTC), which makes a partial file begun then another version.
/// A server without MDTM, or an unreadable time, says nothing.
fn changed_since(session: &mut Session, remote: &str, started: i64) -> bool {
    let features = &session.info().features;
    if !(features.supports("MDTM") || features.lines.is_empty()) {
        return false;
    }
    session
        .modification_time(remote)
        .is_ok_and(|modified| modified.and_utc().timestamp() > started)
}

/// Why one RETR did not bring the file.
enum Received {
    Failed(Error),
    /// The server sent more than this many bytes in all (the announced
    /// size); nothing past it was written.
    TooMuch(u64),
}

/// One RETR from `offset` into the partial file: returns the bytes it
/// holds afterwards. With a known `total`, never writes past it.
fn receive(
    session: &mut Session,
    request: RequestId,
    remote: &str,
    partial: &mut Partial,
    offset: u64,
    total: Option<u64>,
    observer: &mut dyn TransferObserver,
) -> std::result::Result<u64, Received> {
    let ascii = session.transfer_type() == TransferType::Ascii;
    let mut stream = session
        .open_data(&format!("RETR {remote}"), offset)
        .map_err(Received::Failed)?;
    let mut meter = Meter::new(request, offset, total);
    let mut converter = AsciiDownload::default();
    let mut written = offset;
    let mut too_much = false;
    let path = partial.path().to_path_buf();
    let file = partial.file();
    let mut paced = Paced::new(&mut stream, session.timeout());
    let result = pump(
        &mut paced,
        &|err| net::io_error("receiving data", &err),
        &mut |chunk| {
            let room = total.map_or(u64::MAX, |t| t.saturating_sub(written));
            let keep = &chunk[..chunk.len().min(usize::try_from(room).unwrap_or(usize::MAX))];
            let out = if ascii {
                file.write_all(&converter.convert(keep))
            } else {
                file.write_all(keep)
            };
            out.map_err(|e| Error::local(&path, &e))?;
            written += keep.len() as u64;
            if keep.len() < chunk.len() {
                too_much = true;
                return Err(Error::Protocol("more bytes than announced".to_string()));
            }
            Ok(())
        },
        &mut meter,
        observer,
    )
    .and_then(|()| {
        if ascii {
            file.write_all(&converter.finish())
                .map_err(|e| Error::local(&path, &e))?;
        }
        Ok(())
    });
    drop(paced);
    let ended = end_transfer(session, stream, result, &mut meter, observer);
    match (ended, too_much, total) {
        (_, true, Some(cap)) => Err(Received::TooMuch(cap)),
        (Err(err), _, _) => Err(Received::Failed(err)),
        (Ok(()), _, _) => Ok(meter.done),
    }
}

fn finish_download(
    partial: Partial,
    local: &Path,
    done: u64,
    offset: u64,
    started: Instant,
) -> Result<TransferSummary> {
    refuse_unless_regular(local)?;
    partial.finish(local)?;
    Ok(TransferSummary {
        bytes: done - offset,
        resumed_from: offset,
        elapsed: started.elapsed(),
    })
}

/// The final rename replaces only a regular file (or nothing). The queue
/// checked the target when it decided, but a folder, link, device node or
/// FIFO may have appeared there since; renaming over it would remove it.
fn refuse_unless_regular(path: &Path) -> Result<()> {
    let meta = match fs::symlink_metadata(path) {
        Ok(meta) => meta,
        Err(_) => return Ok(()),
    };
    let what = if meta.file_type().is_symlink() {
        "is a symbolic link; refusing to write through it"
    } else if meta.is_dir() {
        "is a folder; cannot replace it with a file"
    } else if !meta.is_file() {
        "is not a regular file (a device, pipe or socket); refusing to replace it"
    } else {
        return Ok(());
    };
    Err(Error::LocalIo {
        path: path.display().to_string(),
        message: format!("{what}; the download is kept as its partial file"),
    })
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
    let mut file = File::open(local).map_err(|e| Error::local(local, &e))?;
    let meta = file.metadata().map_err(|e| Error::local(local, &e))?;
    if meta.is_dir() {
        return Err(Error::LocalIo {
            path: local.display().to_string(),
            message: "is a folder (use a recursive upload)".to_string(),
        });
    }
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
    let started = Instant::now();
    let mut stream = session.open_data(&command, 0)?;
    let mut meter = Meter::new(request, offset, Some(total));
    let mut converter = AsciiUpload::default();
    let mut paced = Paced::new(&mut stream, session.timeout());
    let result = pump(
        &mut file,
        &|err| Error::local(local, &err),
        &mut |chunk| {
            let sent = if ascii {
                paced.write_all(&converter.convert(chunk))
            } else {
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
    end_transfer(session, stream, result, &mut meter, observer)?;
    session.log().detail(&format!(
        "{command}: {} bytes in {:.2?}",
        meter.done - offset,
        started.elapsed()
    ));
    check_unchanged_during_upload(session, &file, local, &meta, meter.done, ascii)?;
    Ok(TransferSummary {
        bytes: meter.done - offset,
        resumed_from: offset,
        elapsed: started.elapsed(),
    })
}

/// A local file written to while it was being sent leaves the server a
/// copy that matches no version of it: that is a failure, not a success.
/// A file deleted meanwhile is fine (the open handle read it whole).
fn check_unchanged_during_upload(
    session: &Session,
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
        session.log().warning(&format!(
            "{} was deleted during the upload; the server has it whole, as it was",
            local.display()
        ));
    }
    Ok(())
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
        let read = match source.read(&mut buffer) {
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
pub(super) fn end_transfer(
    session: &mut Session,
    stream: DataStream,
    result: Result<()>,
    meter: &mut Meter,
    observer: &mut dyn TransferObserver,
) -> Result<()> {
    let outcome = match result {
        Ok(()) => session.finish_data(stream),
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
        }
    }

    fn add(&mut self, bytes: u64, observer: &mut dyn TransferObserver) {
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

/// CRLF to the local line ending, across buffer boundaries.
#[derive(Default)]
struct AsciiDownload {
    pending_cr: bool,
}

impl AsciiDownload {
    fn convert(&mut self, chunk: &[u8]) -> Vec<u8> {
        let mut out = Vec::with_capacity(chunk.len());
        for &byte in chunk {
            if self.pending_cr {
                self.pending_cr = false;
                if byte != b'\n' {
                    out.push(b'\r');
                }
            }
            if byte == b'\r' {
                self.pending_cr = true;
            } else {
                out.push(byte);
            }
        }
        out
    }

    fn finish(&mut self) -> Vec<u8> {
        if std::mem::take(&mut self.pending_cr) {
            vec![b'\r']
        } else {
            Vec::new()
        }
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
    fn ascii_conversions_survive_buffer_edges() {
        let mut down = AsciiDownload::default();
        let mut out = down.convert(b"a\r");
        out.extend(down.convert(b"\nb\rc\r"));
        out.extend(down.finish());
        assert_eq!(out, b"a\nb\rc\r");

        let mut up = AsciiUpload::default();
        let mut out = up.convert(b"a\nb\r");
        out.extend(up.convert(b"\nc\n"));
        assert_eq!(out, b"a\r\nb\r\nc\r\n");
    }
}
