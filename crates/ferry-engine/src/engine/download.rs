//! Downloading one file: into a partial file of ours beside the target
//! (see [`super::partial`]), renamed to the target only once complete and
//! of the size the server announced, so an interrupted download never
//! looks finished and a later one can resume; never past that size.

use std::fs;
use std::io::Write;
use std::path::Path;
use std::time::Instant;

use super::command::{RequestId, TransferType};
use super::deadline::Paced;
use super::debug_log::LogSink;
use super::error::{Error, Result};
use super::event::TransferSummary;
use super::names::check_command_argument;
use super::net;
use super::partial::{self, Partial, Reopened};
use super::session::Session;
use super::transfer::{
    Check, Meter, TransferObserver, end_transfer, more_than_announced, pump, within_announced,
};

/// What to download and where.
pub struct DownloadTarget<'a> {
    pub remote: &'a str,
    pub local: &'a Path,
    /// Continue Ferry's partial file for `local` with REST, if it was made
    /// for this same remote file (see [`super::partial`]).
    pub resume: bool,
    /// The size a listing reported, if any (saves a SIZE).
    pub listed_size: Option<u64>,
    /// Ask for the file's modification time too (see `Command::Download`).
    pub fetch_time: bool,
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
        fetch_time,
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
        stop_if_cancelled(observer)?;
        let time = fetch_time.then(|| session.modification_time(remote).ok());
        return finish_download(
            partial,
            local,
            (offset, offset),
            time.flatten(),
            Instant::now(),
        );
    }

    // Checked against the server's checksum: hashed as it is written
    // (read back when it continues an earlier partial file).
    let mut check = Check::start_download(session, remote, (ascii, offset, total))?;
    let started = Instant::now();
    let mut total = total;
    let mut from = offset;
    let (done, source_modified) = loop {
        let received = receive(
            session,
            request,
            (remote, fetch_time),
            (&mut partial, &mut check),
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
    let path = partial.path().to_path_buf();
    if let Some((there, here)) = check.mismatch(session, remote, &path)? {
        return Err(Error::Protocol(format!(
            "the bytes received do not match the server's checksum of {remote} \
             (the server's {there}, received {}); the partial file is kept as {}",
            here.hex,
            path.display()
        )));
    }
    if sync {
        let path = partial.path().to_path_buf();
        partial
            .file()
            .sync_data()
            .map_err(|e| Error::local(&path, &e))?;
    }
    stop_if_cancelled(observer)?;
    finish_download(partial, local, (done, offset), source_modified, started)
}

/// The last look before the rename: a download cancelled while its last
/// bytes arrived (or whose connection was let go: a disconnect, a queue
/// stopped, the window closed) keeps its partial file for a resume and
/// puts nothing in place, so no file appears after the user said stop.
fn stop_if_cancelled(observer: &mut dyn TransferObserver) -> Result<()> {
    match observer.cancelled() {
        true => Err(Error::Cancelled),
        false => Ok(()),
    }
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
    let log = session.log().clone();
    let source = partial::Source {
        origin: &origin,
        remote,
        size: total,
    };
    open_partial_for(&source, &log, local, resume, &mut |started| {
        changed_since(session, remote, started)
    })
}

/// [`open_partial`] for any protocol: `modified_after(started)` says
/// whether the server's file changed after a partial file of ours for it
/// was begun (Unix seconds, UTC), which makes that file another version.
pub(super) fn open_partial_for(
    source: &partial::Source<'_>,
    log: &LogSink,
    local: &Path,
    resume: bool,
    modified_after: &mut dyn FnMut(i64) -> bool,
) -> Result<Partial> {
    if !resume {
        Partial::discard_for(local);
        return Partial::create(local, source);
    }
    match Partial::reopen(local, source)? {
        Reopened::Ours(found) => {
            if modified_after(found.started()) {
                log.warning(&format!(
                    "{} was modified on the server after {} was started; starting over",
                    source.remote,
                    found.path().display()
                ));
                found.discard();
            } else {
                return Ok(found);
            }
        }
        Reopened::Stale(why) => log.warning(&why),
        Reopened::None => {}
    }
    Partial::create(local, source)
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
/// holds afterwards, and the file's time if asked (`fetch_time`) and
/// given. With a known `total`, never writes past it.
fn receive(
    session: &mut Session,
    request: RequestId,
    (remote, fetch_time): (&str, bool),
    (partial, check): (&mut Partial, &mut Check),
    offset: u64,
    total: Option<u64>,
    observer: &mut dyn TransferObserver,
) -> std::result::Result<(u64, Option<chrono::NaiveDateTime>), Received> {
    let ascii = session.transfer_type() == TransferType::Ascii;
    let mut stream = session
        .open_data(&format!("RETR {remote}"), offset)
        .map_err(Received::Failed)?;
    let mut meter =
        Meter::new(request, offset, total).limited(session.rate_limits().download.clone());
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
            let keep = within_announced(chunk, written, total);
            check.update(keep);
            let out = if ascii {
                file.write_all(&converter.convert(keep))
            } else {
                file.write_all(keep)
            };
            out.map_err(|e| Error::local(&path, &e))?;
            written += keep.len() as u64;
            if keep.len() < chunk.len() {
                too_much = true;
                return Err(more_than_announced());
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
    let time_of = fetch_time.then_some(remote);
    let ended = end_transfer(session, stream, result, time_of, &mut meter, observer);
    match (ended, too_much, total) {
        (_, true, Some(cap)) => Err(Received::TooMuch(cap)),
        (Err(err), _, _) => Err(Received::Failed(err)),
        (Ok(time), _, _) => Ok((meter.done, time)),
    }
}

/// `(done, offset)`: the bytes the file holds, and where this run began.
fn finish_download(
    partial: Partial,
    local: &Path,
    (done, offset): (u64, u64),
    source_modified: Option<chrono::NaiveDateTime>,
    started: Instant,
) -> Result<TransferSummary> {
    refuse_unless_regular(local)?;
    partial.finish(local)?;
    Ok(TransferSummary {
        bytes: done - offset,
        resumed_from: offset,
        elapsed: started.elapsed(),
        source_modified,
    })
}

/// The final rename replaces only a regular file (or nothing). The queue
/// checked the target when it decided, but a folder, link, device node or
/// FIFO may have appeared there since; renaming over it would remove it.
pub(super) fn refuse_unless_regular(path: &Path) -> Result<()> {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ascii_line_endings_survive_buffer_edges() {
        let mut down = AsciiDownload::default();
        let mut out = down.convert(b"a\r");
        out.extend(down.convert(b"\nb\rc\r"));
        out.extend(down.finish());
        assert_eq!(out, b"a\nb\rc\r");
    }
}
