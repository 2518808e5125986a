//! FXP: the target server listens (PASV), the source server is told to
//! connect there (PORT), and the file goes straight from one to the other;
//! this computer only reads both servers' replies.
//!
//! Most servers refuse it by default, for good reason (a PORT naming a
//! third host is the FTP bounce attack): vsftpd without `port_promiscuous`
//! refuses a PORT that names another host and, without `pasv_promiscuous`,
//! a data connection from one. A refusal is not a failure here; the caller
//! relays the bytes instead. FXP between TLS sessions needs CPSV or SSCN,
//! which Ferry does not speak: said, and relayed.

use super::error::{Error, Result};
use super::relay::CopyJob;
use super::session::Session;
use super::transfer::TransferObserver;

pub enum FxpOutcome {
    /// The bytes the target received.
    Done(u64),
    /// FXP is not possible with these servers; why.
    Refused(String),
}

pub fn copy(
    source: &mut Session,
    target: &mut Session,
    job: &CopyJob<'_>,
    offset: u64,
    observer: &mut dyn TransferObserver,
) -> Result<FxpOutcome> {
    if source.info().tls || target.info().tls {
        return Ok(FxpOutcome::Refused(
            "FXP between TLS sessions needs CPSV or SSCN, which Ferry does not support yet"
                .to_string(),
        ));
    }
    // The target's own address as this computer reaches it, not the one
    // its PASV reply names: a hostile target must not aim the source
    // server at a third host.
    let Some(std::net::IpAddr::V4(host)) = target.peer_ip() else {
        return Ok(FxpOutcome::Refused(
            "the target is not reached over IPv4, and PORT names IPv4 addresses only".to_string(),
        ));
    };
    let pasv = target.raw("PASV")?;
    let Some(data_port) = (pasv.code == 227).then(|| pasv_port(&pasv.text)).flatten() else {
        return Ok(FxpOutcome::Refused(format!(
            "the target did not open a port ({})",
            pasv.one_line()
        )));
    };
    let [a, b, c, d] = host.octets();
    let address = format!("{a},{b},{c},{d},{},{}", data_port >> 8, data_port & 0xff);
    let port = source.raw(&format!("PORT {address}"))?;
    if port.code != 200 {
        return Ok(FxpOutcome::Refused(format!(
            "the source refused to send to the target ({})",
            port.one_line()
        )));
    }
    if offset > 0 {
        for session in [&mut *source, &mut *target] {
            let rest = session.raw(&format!("REST {offset}"))?;
            if rest.code != 350 {
                return Ok(FxpOutcome::Refused(format!(
                    "REST was refused ({})",
                    rest.one_line()
                )));
            }
        }
    }
    let mut cancelled = || observer.cancelled();
    // The source first: it connects to the target's port at once (the
    // target's kernel takes the connection before the STOR), so a refused
    // RETR leaves nothing half started on the target.
    source.send_unread(&format!("RETR {}", job.source))?;
    let retr = source.read_unread_reply(None, &mut cancelled)?;
    if !(100..200).contains(&retr.code) {
        return match retr.code {
            425 | 426 => Ok(FxpOutcome::Refused(format!(
                "the source could not reach the target ({})",
                retr.one_line()
            ))),
            code => Err(Error::from_reply(code, &retr.text)),
        };
    }
    let store = if offset > 0 { "APPE" } else { "STOR" };
    target.send_unread(&format!("{store} {}", job.target))?;
    let stor = target.read_unread_reply(None, &mut cancelled)?;
    if !(100..200).contains(&stor.code) {
        // The source's transfer ends too, one way or another.
        let _ = source.read_unread_reply(None, &mut cancelled);
        return match stor.code {
            425 | 426 => Ok(FxpOutcome::Refused(format!(
                "the target refused the source's connection ({})",
                stor.one_line()
            ))),
            code => Err(Error::from_reply(code, &stor.text)),
        };
    }
    // The transfer runs between the servers; it may take long, so the
    // wait for its end is bounded by cancellation, not by a timeout.
    const NO_LIMIT: Option<std::time::Duration> = Some(std::time::Duration::from_secs(24 * 3600));
    let sent = source.read_unread_reply(NO_LIMIT, &mut cancelled);
    let stored = target.read_unread_reply(NO_LIMIT, &mut cancelled);
    let (sent, stored) = match (sent, stored) {
        (Err(Error::Cancelled), _) | (_, Err(Error::Cancelled)) => {
            for session in [&mut *source, &mut *target] {
                let _ = session.raw("ABOR");
                session.mark_broken();
            }
            return Err(Error::Cancelled);
        }
        (sent, stored) => (sent?, stored?),
    };
    for reply in [&sent, &stored] {
        if reply.code != 226 && reply.code != 250 {
            return Err(Error::from_reply(reply.code, &reply.text));
        }
    }
    let size = target.size(job.target).ok();
    source.log().status(&format!(
        "FXP: {} went straight from server to server",
        job.source
    ));
    Ok(FxpOutcome::Done(
        size.map_or(0, |s| s.saturating_sub(offset)),
    ))
}

/// The port from "227 Entering Passive Mode (h1,h2,h3,h4,p1,p2)."; the
/// address part is not used (see [`copy`]).
fn pasv_port(text: &str) -> Option<u16> {
    let rest = text.get(4..)?;
    let inner = match (rest.find('('), rest.find(')')) {
        (Some(open), Some(close)) if close > open => &rest[open + 1..close],
        _ => {
            let tail = &rest[rest.find(|c: char| c.is_ascii_digit())?..];
            let end = tail
                .find(|c: char| !(c.is_ascii_digit() || c == ','))
                .unwrap_or(tail.len());
            &tail[..end]
        }
    };
    let numbers: Vec<u8> = inner
        .split(',')
        .map(|n| n.trim().parse::<u8>())
        .collect::<std::result::Result<_, _>>()
        .ok()?;
    match numbers[..] {
        [_, _, _, _, high, low] => Some(u16::from(high) << 8 | u16::from(low)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::pasv_port;

    #[test]
    fn pasv_replies_give_the_port() {
        assert_eq!(
            pasv_port("227 Entering Passive Mode (127,0,0,1,200,15)."),
            Some(200 * 256 + 15)
        );
        assert_eq!(pasv_port("227 =127,0,0,1,4,1"), Some(1025));
        assert_eq!(pasv_port("227 Entering Passive Mode (1,2,3)."), None);
        assert_eq!(pasv_port("227 (999,0,0,1,1,1)"), None);
        assert_eq!(pasv_port("227 nothing"), None);
    }
}
