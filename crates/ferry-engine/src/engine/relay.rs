//! Server to server: a file read from one server's data connection is
//! written to the other's through one fixed buffer, so nothing touches the
//! local disk and memory stays flat whatever the size. FXP (the servers
//! talking to each other directly) is tried first when asked for, and the
//! relay takes over when either server will not.

use std::io::Write;

use super::command::RequestId;
use super::deadline::Paced;
use super::error::{Error, Result};
use super::event::TransferSummary;
use super::fxp::{self, FxpOutcome};
use super::names::check_command_argument;
use super::net;
use super::session::Session;
use super::tls;
use super::transfer::{
    Meter, TransferObserver, end_transfer, more_than_announced, pump, within_announced,
};

/// One file to copy.
pub struct CopyJob<'a> {
    /// Path on the source server (the worker's own session).
    pub source: &'a str,
    /// Path on the target server (the worker's partner session).
    pub target: &'a str,
    /// Continue a shorter target file (REST on the source, APPE on the target).
    pub resume: bool,
    /// The size a listing reported, saving a SIZE round trip.
    pub listed_size: Option<u64>,
    /// Try FXP first.
    pub fxp: bool,
}

pub fn copy(
    source: &mut Session,
    target: &mut Session,
    request: RequestId,
    job: &CopyJob<'_>,
    observer: &mut dyn TransferObserver,
) -> Result<TransferSummary> {
    check_command_argument("the source path", job.source)?;
    check_command_argument("the target path", job.target)?;
    let started = std::time::Instant::now();
    let total = job.listed_size.or_else(|| source.size(job.source).ok());
    let mut offset = 0;
    if job.resume {
        let have = target.size(job.target).unwrap_or(0);
        if total.is_none_or(|t| have <= t) {
            offset = have;
        }
    }
    if offset > 0 && total == Some(offset) {
        source
            .log()
            .status(&format!("{} is already complete", job.target));
        return Ok(TransferSummary {
            bytes: 0,
            resumed_from: offset,
            elapsed: started.elapsed(),
            source_modified: None,
        });
    }
    if offset > 0 {
        source.log().status(&format!(
            "Resuming the copy of {} at byte {offset}",
            job.source
        ));
    }
    if job.fxp {
        match fxp::copy(source, target, job, offset, observer)? {
            FxpOutcome::Done(bytes) => {
                check_size(target, job.target, total, offset + bytes)?;
                verify_copy(source, target, job)?;
                return Ok(TransferSummary {
                    bytes,
                    resumed_from: offset,
                    elapsed: started.elapsed(),
                    source_modified: None,
                });
            }
            FxpOutcome::Refused(reason) => source.log().warning(&format!(
                "FXP is not possible here ({reason}); relaying the bytes through this computer instead"
            )),
        }
    }
    let bytes = relay(source, target, request, job, offset, total, observer)?;
    verify_copy(source, target, job)?;
    Ok(TransferSummary {
        bytes,
        resumed_from: offset,
        elapsed: started.elapsed(),
        source_modified: None,
    })
}

/// The streamed copy; returns the bytes moved.
fn relay(
    source: &mut Session,
    target: &mut Session,
    request: RequestId,
    job: &CopyJob<'_>,
    offset: u64,
    total: Option<u64>,
    observer: &mut dyn TransferObserver,
) -> Result<u64> {
    let mut from = source.open_data(&format!("RETR {}", job.source), offset)?;
    let store = if offset > 0 { "APPE" } else { "STOR" };
    // A small file's bytes go without waiting for the target's 150.
    let sending = total.map_or(u64::MAX, |t| t.saturating_sub(offset));
    let mut to = match target.open_data_to_send(&format!("{store} {}", job.target), sending) {
        Ok(stream) => stream,
        Err(err) => {
            source.abort_data(from);
            return Err(err);
        }
    };
    // Bytes read from a server: the download limit.
    let mut meter =
        Meter::new(request, offset, total).limited(source.rate_limits().download.clone());
    let mut reading = Paced::new(&mut from, source.timeout());
    let mut writing = Paced::new(&mut to, target.timeout());
    let mut relayed = offset;
    let mut too_much = false;
    let result = pump(
        &mut reading,
        &|err| net::io_error("receiving data", &err),
        &mut |chunk| {
            // Never past the size the source announced.
            let keep = within_announced(chunk, relayed, total);
            writing
                .write_all(keep)
                .map_err(|err| net::io_error("sending data", &err))?;
            relayed += keep.len() as u64;
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
        writing
            .flush()
            .map_err(|err| net::io_error("sending data", &err))
    });
    drop((reading, writing));
    tls::collect_session_tickets(&mut to, target.tickets());
    // Whatever happened, the target keeps what arrived: ending its data
    // connection ends the upload there, ready for a resume (APPE). Ended
    // first and read last, the target's 226 comes back while the source's
    // end (and its next data address, asked ahead) is read: one wait for
    // both servers instead of one each.
    to.end_sending();
    let ended = end_transfer(source, from, result, None, &mut meter, observer).map(drop);
    let stored = target.finish_data(to);
    if let (true, Some(total)) = (too_much, total) {
        // What the target holds has the announced size but may not be the
        // file: a resume would take it as complete, so it goes.
        let removed = target.delete(job.target).is_ok();
        let what = if removed {
            "the copy was removed from the target"
        } else {
            "the target's copy could not be removed: delete it before resuming"
        };
        return Err(Error::Protocol(format!(
            "the source server sent more than the {total} bytes it announced for {}; {what}",
            job.source
        )));
    }
    ended?;
    stored?;
    let done = meter.done;
    source.log().detail(&format!(
        "Copied {} to the other server: {} bytes",
        job.source,
        done - offset
    ));
    check_size(target, job.target, total, done)?;
    Ok(done - offset)
}

/// With verification on, both servers' checksums of the file must agree
/// (compared only when they give the same kind; said otherwise).
fn verify_copy(source: &mut Session, target: &mut Session, job: &CopyJob<'_>) -> Result<()> {
    if source.verifying_with(job.source)?.is_none() {
        return Ok(());
    }
    let (Some(there), Some(copied)) = (
        source.remote_hash(job.source)?,
        target.remote_hash(job.target)?,
    ) else {
        return Ok(());
    };
    if there.algorithm != copied.algorithm {
        source.log().warning(&format!(
            "{}: not checked: the servers give different checksums ({} and {})",
            job.source,
            there.algorithm.name(),
            copied.algorithm.name()
        ));
        return Ok(());
    }
    if there != copied {
        return Err(Error::Protocol(format!(
            "the copy of {} does not match the source (the source's {there}, the copy's {}); \
             copy it again",
            job.source, copied.hex
        )));
    }
    source
        .log()
        .status(&format!("{}: {there} checked on both servers", job.source));
    Ok(())
}

/// A copy shorter or longer than the source is a failure, whoever said 226.
fn check_size(target: &mut Session, path: &str, total: Option<u64>, done: u64) -> Result<()> {
    let Some(total) = total else {
        return Ok(());
    };
    if done == total {
        return Ok(());
    }
    let stored = target.size(path).ok();
    if stored == Some(total) {
        return Ok(());
    }
    Err(Error::Protocol(format!(
        "the copy of {path} has {} of {total} bytes; the partial file stays on the target for a resume",
        stored.unwrap_or(done)
    )))
}
