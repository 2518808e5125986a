//! Commands sent together on a plain control connection.
//!
//! Where round trips dominate (many small files on a distant server) every
//! command that waits for the reply to the one before costs a round trip.
//! Servers read commands from a stream, so a client may send the next one
//! before the last reply is in (RFC 959 leaves replies in order). Ferry
//! does that only where the order of the replies is certain and nothing
//! sent depends on a reply not yet read:
//!
//! - at login, TYPE and PWD go out together: this also tells whether the
//!   server takes commands sent together at all;
//! - once a download's or a listing's data connection was closed by the
//!   server (it has sent everything and is done with the transfer), the
//!   file's MDTM and, on a queue's connections, the EPSV for the next data
//!   connection go out before the 226 is read: 226, 213 and 229 come back
//!   in one round trip;
//! - the next data connection then starts at the address already given,
//!   its command going out with the SYN (see `net::start_connect`);
//! - a small upload's bytes follow STOR without waiting for its 150: they
//!   wait in the server's socket until it accepts the connection, and the
//!   150 and the 226 come back together. Only what fits in the sockets'
//!   buffers goes this way, so a server that refuses the STOR and never
//!   accepts cannot leave the write blocked.
//!
//! Never while the server is still moving data (some servers watch the
//! control connection for ABOR then), never REST together with its
//! transfer (a refused REST must not turn into a transfer from byte 0),
//! never on TLS (suppaftp owns that stream) or in active mode. A server
//! that leaves the second of two commands sent together unanswered is
//! remembered for the life of the process and gets one at a time.

use std::collections::BTreeSet;
use std::net::{IpAddr, SocketAddr, TcpStream};
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use super::data::{DataStream, DirectData};
use super::{Session, net, parse_pwd};
use crate::engine::command::TransferType;
use crate::engine::error::{Error, Result};
use crate::engine::event::Reply;

/// How long a passive address asked for ahead is worth using: a server may
/// close a listener nobody connected to.
const READY_FOR: Duration = Duration::from_secs(10);

/// How long the login waits for the second of two replies whose commands
/// went out together, once the first is in, before it decides the server
/// dropped the second command.
const PROBE_PATIENCE: Duration = Duration::from_secs(3);

/// Servers (`host:port` and greeting) that dropped a command sent together
/// with another or answered such commands out of order.
static ONE_AT_A_TIME: Mutex<BTreeSet<String>> = Mutex::new(BTreeSet::new());

/// What a session knows about sending commands together.
pub(super) struct Pipeline {
    /// `host:port` and the greeting, the key of [`ONE_AT_A_TIME`] (another
    /// server on the same port later is another server).
    server: String,
    /// Plain control connection, passive mode, and the server has not
    /// been seen to drop commands sent together.
    pub(super) allowed: bool,
    /// After a download or a listing, ask for the next data connection's
    /// address (only on connections that run one transfer after another).
    pub(super) ahead: bool,
    /// A passive address the server gave for the next data connection.
    ready: Option<(SocketAddr, Instant)>,
    /// Where data connections start from, and whether a PASV reply's
    /// address is used as given (else only its port, on the server's IP).
    pub(super) source: Option<IpAddr>,
    pub(super) trust_pasv_address: bool,
}

impl Pipeline {
    pub(super) fn new(host: &str, port: u16, welcome: &str, plain_passive: bool) -> Pipeline {
        let server = format!("{host}:{port} {welcome}");
        let dropped = ONE_AT_A_TIME
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .contains(&server);
        Pipeline {
            server,
            allowed: plain_passive && !dropped,
            ahead: false,
            ready: None,
            source: None,
            trust_pasv_address: false,
        }
    }

    /// After anything that may have replaced the server's passive listener.
    pub(super) fn forget_ready(&mut self) {
        self.ready = None;
    }

    fn take_ready(&mut self) -> Option<SocketAddr> {
        let (address, since) = self.ready.take()?;
        (since.elapsed() < READY_FOR).then_some(address)
    }

    /// From now on this server gets one command at a time.
    fn one_at_a_time(&mut self) {
        self.allowed = false;
        self.ready = None;
        ONE_AT_A_TIME
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(self.server.clone());
    }
}

impl Session {
    /// Writes `lines` in one write, reading nothing.
    fn send_together(&mut self, lines: &[String]) -> Result<()> {
        self.write_commands(lines)
    }

    /// The next reply on the control connection, within the timeout.
    fn next_reply(&mut self) -> Result<Reply> {
        self.read_unread_reply(None, &mut || false)
    }

    /// The reply to a command that went out behind another: if it does not
    /// come, the server dropped it, and gets one command at a time.
    fn reply_behind(&mut self, patience: Option<Duration>) -> Result<Reply> {
        let reply = self.read_unread_reply(patience, &mut || false);
        if let Err(Error::Timeout(_)) = &reply {
            self.pipeline.one_at_a_time();
            // Nothing the user must act on: said in the log, not warned.
            self.log.status(
                "The server did not answer a command sent together with another; \
                 it gets one command at a time from now on",
            );
        }
        reply
    }

    /// The login's TYPE and PWD, together where allowed; `Ok(None)` when
    /// the server left the second unanswered (the connection is then out
    /// of step and must be made again).
    pub(super) fn type_and_home(&mut self, kind: TransferType) -> Result<Option<String>> {
        if !self.pipeline.allowed {
            self.set_transfer_type(kind)?;
            return self.pwd().map(Some);
        }
        self.send_together(&[kind.command().to_string(), "PWD".to_string()])?;
        let typed = self.next_reply()?;
        let home = match self.reply_behind(Some(PROBE_PATIENCE)) {
            Err(Error::Timeout(_)) => return Ok(None),
            other => other?,
        };
        if typed.code != 200 {
            return Err(Error::from_reply(typed.code, &typed.text));
        }
        self.transfer_type = kind;
        if home.code != 257 {
            return Err(Error::from_reply(home.code, &home.text));
        }
        parse_pwd(&home.text)
            .ok_or_else(|| Error::Protocol(format!("cannot read the folder from {:?}", home.text)))
            .map(Some)
    }

    /// SIZE and MDTM of `path` sent together where the server takes two
    /// commands at once: both replies in one wait instead of two. `None`
    /// where it gets one command at a time (the caller asks one by one);
    /// the replies' codes are the caller's to judge. A second reply that
    /// never comes leaves the connection out of step: it is broken, and
    /// the server gets one command at a time from then on.
    pub(super) fn size_and_time(&mut self, path: &str) -> Option<Result<(Reply, Reply)>> {
        if !self.pipeline.allowed {
            return None;
        }
        Some(self.size_and_time_together(path))
    }

    fn size_and_time_together(&mut self, path: &str) -> Result<(Reply, Reply)> {
        self.send_together(&[format!("SIZE {path}"), format!("MDTM {path}")])?;
        let first = self.next_reply()?;
        let second = match self.reply_behind(Some(PROBE_PATIENCE)) {
            Ok(second) => second,
            Err(err) => {
                self.broken = true;
                return Err(err);
            }
        };
        // Both answer 213; a server that runs commands at once (libunftp)
        // may answer MDTM first. A time is told by its form.
        if size_and_time_swapped(&first, &second) {
            self.pipeline.one_at_a_time();
            self.log.status(
                "The server answered two commands out of order; \
                 it gets one command at a time from now on",
            );
            return Ok((second, first));
        }
        Ok((first, second))
    }

    /// A data connection for `command`, opened by Ferry: at the passive
    /// address asked for ahead if there is one, else after EPSV (or PASV).
    /// Without `await_opening` the command's 150 is left unread, for
    /// [`Session::finish_direct`] to read with the transfer's end.
    pub(super) fn open_direct(
        &mut self,
        command: &str,
        offset: u64,
        await_opening: bool,
    ) -> Result<DataStream> {
        let address = match self.pipeline.take_ready() {
            Some(address) => address,
            None => self.passive_address()?,
        };
        if offset > 0 {
            self.expect(&format!("REST {offset}"), |c| c == 350)?;
        }
        self.log
            .detail(&format!("Opening data connection to {address}"));
        let stream = net::start_connect(address, self.pipeline.source, self.timeout)
            .map_err(|e| net::io_error("the data connection", &e))?;
        self.send_together(&[command.to_string()])?;
        let opened = if await_opening {
            Some(self.opening_reply()?)
        } else {
            None
        };
        Ok(DataStream::Direct(DirectData {
            stream,
            ended: false,
            opened,
        }))
    }

    /// The transfer command's first reply: its text if the server opened
    /// the transfer, else the server's refusal as the error.
    fn opening_reply(&mut self) -> Result<String> {
        let opened = self.next_reply()?;
        match opened.code {
            125 | 150 => Ok(opened.text),
            code => Err(Error::from_reply(code, &opened.text)),
        }
    }

    /// EPSV (or PASV once the server refused EPSV) and the address it gives.
    fn passive_address(&mut self) -> Result<SocketAddr> {
        if self.extended_passive {
            self.send_together(&["EPSV".to_string()])?;
            let reply = self.next_reply()?;
            if let Some(address) = self.address_from(&reply)? {
                return Ok(address);
            }
        }
        self.send_together(&["PASV".to_string()])?;
        let reply = self.next_reply()?;
        self.address_from(&reply)?
            .ok_or_else(|| Error::Protocol(format!("no data connection: {}", reply.one_line())))
    }

    /// The data address in an EPSV or PASV reply. `Ok(None)` when the
    /// server refused EPSV (PASV is used from then on).
    fn address_from(&mut self, reply: &Reply) -> Result<Option<SocketAddr>> {
        let peer = self.peer_ip();
        match reply.code {
            229 => {
                let port = epsv_port(&reply.text).ok_or_else(|| {
                    Error::Protocol(format!("cannot read EPSV's port from {:?}", reply.text))
                })?;
                let ip = peer.ok_or_else(|| Error::Connection("no server address".to_string()))?;
                Ok(Some(SocketAddr::new(ip, port)))
            }
            227 => {
                let given = pasv_address(&reply.text).ok_or_else(|| {
                    Error::Protocol(format!("cannot read PASV's address from {:?}", reply.text))
                })?;
                let ip = match peer {
                    Some(peer) if !self.pipeline.trust_pasv_address => peer,
                    _ => given.ip(),
                };
                Ok(Some(SocketAddr::new(ip, given.port())))
            }
            code if self.extended_passive && code >= 500 && !reply.ends_session() => {
                self.log.warning(&format!(
                    "The server refused EPSV ({}); using PASV",
                    reply.one_line()
                ));
                self.use_pasv();
                Ok(None)
            }
            code => Err(Error::from_reply(code, &reply.text)),
        }
    }

    /// Closes a data connection Ferry opened and reads the transfer's end.
    /// Once the server has closed it, `time_of`'s MDTM and the EPSV for
    /// the next data connection go out first, read after the end; else
    /// the MDTM follows it. Returns the time, if asked and given, and the
    /// transfer's replies (its 150 and its end) for the log.
    pub(super) fn finish_direct(
        &mut self,
        data: DirectData,
        time_of: Option<&str>,
    ) -> Result<(Option<chrono::NaiveDateTime>, String)> {
        let DirectData {
            stream,
            ended,
            opened,
        } = data;
        close(stream);
        // A small upload's 150 comes now, with its end.
        let opened = match opened {
            Some(text) => text,
            None => self.opening_reply()?,
        };
        let together = ended && self.pipeline.allowed;
        let time_line = time_of.map(|path| format!("MDTM {path}"));
        let mut behind = Vec::new();
        if together {
            behind.extend(time_line);
            if self.pipeline.ahead {
                behind.push(
                    if self.extended_passive {
                        "EPSV"
                    } else {
                        "PASV"
                    }
                    .to_string(),
                );
            }
        }
        if !behind.is_empty() {
            self.send_together(&behind)?;
        }
        let end = self.next_reply()?;
        let mut answers = Vec::with_capacity(behind.len());
        for _ in &behind {
            answers.push(self.reply_behind(None)?);
        }
        let in_order = expected_end(end.code)
            && behind
                .iter()
                .zip(&answers)
                .all(|(line, reply)| expected_answer(line, reply.code));
        let (end, answers) = if in_order {
            (end, answers)
        } else {
            self.sort_out_of_order(end, answers, &behind)
        };
        let replies = format!("{opened}\n{}", end.text);
        let mut time = None;
        for (line, reply) in behind.iter().zip(answers) {
            if line.starts_with("MDTM ") {
                time = (reply.code == 213)
                    .then(|| parse_mdtm(&reply.text))
                    .flatten();
                continue;
            }
            match self.address_from(&reply) {
                Ok(Some(address)) => self.pipeline.ready = Some((address, Instant::now())),
                Ok(None) => {}
                Err(err) => self.log.detail(&format!("No data address ahead: {err}")),
            }
        }
        if !matches!(end.code, 226 | 250) {
            return Err(Error::from_reply(end.code, &end.text));
        }
        if let Some(path) = time_of.filter(|_| !together) {
            time = self.modification_time(path).ok();
        }
        Ok((time, replies))
    }

    /// Replies to commands sent together that came back in another order
    /// (libunftp answers the next command while its data task has still
    /// to send the transfer's 226). Each kind of success has its own code
    /// (226 or 250, 213, 229 or 227), so successes go back to their
    /// commands; what is left are errors, given to the rest in the order
    /// they came (an error among errors: the transfer failed either way).
    /// This server gets one command at a time from now on.
    fn sort_out_of_order(
        &mut self,
        end: Reply,
        answers: Vec<Reply>,
        behind: &[String],
    ) -> (Reply, Vec<Reply>) {
        self.pipeline.one_at_a_time();
        self.log.status(
            "The server answered commands sent together out of order; \
             it gets one command at a time from now on",
        );
        in_command_order(end, answers, behind)
    }

    /// The first step of stopping a transfer Ferry opened: close it and
    /// read the server's one reply about it. False when the control
    /// connection is out of step.
    pub(super) fn end_direct_for_abort(&mut self, data: DirectData) -> bool {
        close(data.stream);
        // An unread 150 first; a refusal instead is the only reply.
        let reply = match data.opened {
            Some(_) => self.next_reply(),
            None => self.next_reply().and_then(|first| match first.code {
                125 | 150 => self.next_reply(),
                _ => Ok(first),
            }),
        };
        match reply {
            Ok(reply) => {
                self.log.detail(&format!(
                    "The server ended the transfer: {}",
                    reply.one_line()
                ));
                true
            }
            Err(err) => {
                self.log
                    .warning(&format!("The server did not confirm the abort: {err}"));
                false
            }
        }
    }
}

/// Closes a data connection (a FIN, or a reset if unread data remains,
/// which is what an abort wants).
fn close(stream: TcpStream) {
    drop(stream);
}

/// See [`Session::sort_out_of_order`]: `end` and `answers` as they came,
/// put in the order of the transfer's end and then `behind`.
fn in_command_order(end: Reply, answers: Vec<Reply>, behind: &[String]) -> (Reply, Vec<Reply>) {
    let mut left: Vec<Option<Reply>> = std::iter::once(end).chain(answers).map(Some).collect();
    let fits = |slot: usize, code: u16| match slot {
        0 => is_end_success(code),
        _ if behind[slot - 1].starts_with("MDTM ") => is_time_success(code),
        _ => is_passive_success(code),
    };
    let mut sorted: Vec<Option<Reply>> = (0..left.len())
        .map(|slot| {
            let at = left
                .iter()
                .position(|r| r.as_ref().is_some_and(|r| fits(slot, r.code)))?;
            left[at].take()
        })
        .collect();
    let mut rest = left.into_iter().flatten();
    for slot in sorted.iter_mut().filter(|slot| slot.is_none()) {
        *slot = rest.next();
    }
    let mut sorted = sorted.into_iter().map(Option::unwrap_or_default);
    let end = sorted.next().unwrap_or_default();
    (end, sorted.collect())
}

/// Whether the replies to SIZE and MDTM sent together came MDTM's first:
/// the first is a time and the second not, or the first a refusal and the
/// second a size.
fn size_and_time_swapped(first: &Reply, second: &Reply) -> bool {
    let is_time = |r: &Reply| r.code == 213 && parse_mdtm(&r.text).is_some();
    let is_size = |r: &Reply| r.code == 213 && !is_time(r);
    (is_time(first) && !is_time(second)) || (first.code != 213 && is_size(second))
}

fn is_end_success(code: u16) -> bool {
    matches!(code, 226 | 250)
}

fn is_time_success(code: u16) -> bool {
    code == 213
}

fn is_passive_success(code: u16) -> bool {
    matches!(code, 227 | 229)
}

/// Whether `code` can be a transfer's final reply.
fn expected_end(code: u16) -> bool {
    is_end_success(code) || code >= 400
}

/// Whether `code` can answer `line` (an MDTM, or EPSV or PASV).
fn expected_answer(line: &str, code: u16) -> bool {
    let success = match line.split(' ').next() {
        Some("MDTM") => is_time_success(code),
        _ => is_passive_success(code),
    };
    success || code >= 400
}

/// The time in an MDTM reply (`213 YYYYMMDDhhmmss[.fff]`).
pub(super) fn parse_mdtm(text: &str) -> Option<chrono::NaiveDateTime> {
    let stamp = text.get(4..).unwrap_or_default().trim();
    let digits = stamp.split('.').next().unwrap_or_default();
    chrono::NaiveDateTime::parse_from_str(digits, "%Y%m%d%H%M%S").ok()
}

/// The port in `229 Entering Extended Passive Mode (|||6446|)`: any
/// delimiter, the same four times (RFC 2428).
fn epsv_port(text: &str) -> Option<u16> {
    let inside = text.get(text.find('(')? + 1..text.rfind(')')?)?;
    let delimiter = inside.chars().next()?;
    let fields: Vec<&str> = inside.split(delimiter).collect();
    match fields.as_slice() {
        ["", "", "", port, ""] => port.parse().ok().filter(|p| *p != 0),
        _ => None,
    }
}

/// The address in `227 Entering Passive Mode (h1,h2,h3,h4,p1,p2)`, with
/// or without the parentheses (RFC 1123 says to look for the numbers).
fn pasv_address(text: &str) -> Option<SocketAddr> {
    let after_code = text.get(4..)?;
    after_code
        .split(|c: char| !(c.is_ascii_digit() || c == ','))
        .find_map(|run| {
            let numbers: Vec<u8> = run
                .split(',')
                .map(|n| n.parse::<u8>().ok())
                .collect::<Option<_>>()?;
            let [a, b, c, d, high, low] = numbers.as_slice() else {
                return None;
            };
            let port = u16::from(*high) << 8 | u16::from(*low);
            let ip = std::net::Ipv4Addr::new(*a, *b, *c, *d);
            (port != 0).then(|| SocketAddr::new(ip.into(), port))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn epsv_replies_are_read_with_any_delimiter_and_nothing_else() {
        assert_eq!(
            epsv_port("229 Entering Extended Passive Mode (|||6446|)"),
            Some(6446)
        );
        assert_eq!(epsv_port("229 ok (!!!21000!)"), Some(21000));
        assert_eq!(epsv_port("229 ok (|||0|)"), None);
        assert_eq!(epsv_port("229 ok (|||70000|)"), None);
        assert_eq!(epsv_port("229 ok (||1.2.3.4|5|)"), None);
        assert_eq!(epsv_port("229 ok"), None);
    }

    #[test]
    fn pasv_replies_are_read_with_or_without_parentheses() {
        let expected: SocketAddr = "10.0.0.7:5001".parse().unwrap();
        assert_eq!(
            pasv_address("227 Entering Passive Mode (10,0,0,7,19,137)."),
            Some(expected)
        );
        assert_eq!(pasv_address("227 =10,0,0,7,19,137"), Some(expected));
        assert_eq!(pasv_address("227 (10,0,0,7,19)"), None);
        assert_eq!(pasv_address("227 (10,0,0,700,19,137)"), None);
        assert_eq!(pasv_address("227 (1,2,3,4,0,0)"), None);
    }

    fn reply(code: u16) -> Reply {
        Reply {
            code,
            text: format!("{code} text"),
        }
    }

    fn codes((end, answers): (Reply, Vec<Reply>)) -> Vec<u16> {
        std::iter::once(end)
            .chain(answers)
            .map(|r| r.code)
            .collect()
    }

    #[test]
    fn replies_out_of_order_go_back_to_their_commands() {
        let behind = ["MDTM a".to_string(), "EPSV".to_string()];
        let sort = |came: [u16; 3]| {
            let [end, first, second] = came.map(reply);
            codes(in_command_order(end, vec![first, second], &behind))
        };
        assert_eq!(sort([229, 226, 213]), [226, 213, 229]);
        assert_eq!(sort([213, 229, 226]), [226, 213, 229]);
        // Errors fill what no success fits, in the order they came.
        assert_eq!(sort([229, 550, 451]), [550, 451, 229]);
        assert_eq!(sort([229, 226, 550]), [226, 550, 229]);
        assert_eq!(sort([501, 213, 226]), [226, 213, 501]);
    }

    #[test]
    fn size_and_time_replies_are_told_apart_whatever_their_order() {
        let size = Reply {
            code: 213,
            text: "213 1234".to_string(),
        };
        let time = Reply {
            code: 213,
            text: "213 20240102030405".to_string(),
        };
        let missing = reply(550);
        assert!(!size_and_time_swapped(&size, &time));
        assert!(size_and_time_swapped(&time, &size));
        assert!(size_and_time_swapped(&time, &missing));
        assert!(size_and_time_swapped(&missing, &size));
        assert!(!size_and_time_swapped(&missing, &time));
        assert!(!size_and_time_swapped(&size, &missing));
        assert!(!size_and_time_swapped(&missing, &missing));
    }

    #[test]
    fn mdtm_replies_are_read_with_or_without_fractions() {
        let time = parse_mdtm("213 20240102030405.123").unwrap();
        assert_eq!(time.to_string(), "2024-01-02 03:04:05");
        assert_eq!(parse_mdtm("213 2024"), None);
    }
}
