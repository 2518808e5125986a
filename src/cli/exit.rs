//! Exit statuses, as DESIGN.md promises them to scripts.

use std::process::ExitCode;

use crate::engine::Error;

pub const OK: u8 = 0;
pub const USAGE: u8 = 2;
pub const CONNECT: u8 = 3;
pub const PERMANENT: u8 = 4;
pub const TEMPORARY: u8 = 5;
pub const TLS: u8 = 6;
pub const LOCAL: u8 = 7;
/// Interrupted by the user, as shells count SIGINT.
pub const CANCELLED: u8 = 130;
/// Standard output was closed before everything was written (`| head`),
/// as shells count a command stopped by SIGPIPE. Not 0: not everything
/// asked for reached its reader; the reader chose that, so nothing is said.
pub const OUTPUT_CLOSED: u8 = 141;

/// Where in the run an error happened: connecting and logging in fail
/// with status 3 whatever the reply, except TLS refusals.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    Connect,
    Work,
}

pub fn status_for(error: &Error, phase: Phase) -> u8 {
    match error {
        // A host key that is not trusted is the SSH side of the same
        // refusal: status 6, as the contract says for certificates.
        Error::Tls(_) | Error::Certificate(_) | Error::HostKey(_) => TLS,
        Error::InvalidInput(_) => USAGE,
        Error::LocalIo { .. } => LOCAL,
        // Where the file is decides, as the contract has it for refusals.
        Error::NotReplaced {
            on_server: true, ..
        } => PERMANENT,
        Error::NotReplaced {
            on_server: false, ..
        } => LOCAL,
        Error::Cancelled => CANCELLED,
        _ if phase == Phase::Connect => CONNECT,
        Error::NotConnected | Error::Connection(_) => CONNECT,
        Error::Permanent { .. } | Error::Protocol(_) => PERMANENT,
        Error::Temporary { .. } | Error::Timeout(_) => TEMPORARY,
    }
}

pub fn code(status: u8) -> ExitCode {
    ExitCode::from(status)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_follow_the_contract() {
        let perm = Error::Permanent {
            code: 550,
            text: String::new(),
        };
        let temp = Error::Temporary {
            code: 450,
            text: String::new(),
        };
        assert_eq!(status_for(&perm, Phase::Work), PERMANENT);
        assert_eq!(status_for(&perm, Phase::Connect), CONNECT);
        assert_eq!(status_for(&temp, Phase::Work), TEMPORARY);
        assert_eq!(
            status_for(&Error::Timeout(String::new()), Phase::Work),
            TEMPORARY
        );
        assert_eq!(status_for(&Error::Tls(String::new()), Phase::Connect), TLS);
        assert_eq!(
            status_for(
                &Error::LocalIo {
                    path: String::new(),
                    message: String::new()
                },
                Phase::Work
            ),
            LOCAL
        );
        assert_eq!(
            status_for(&Error::InvalidInput(String::new()), Phase::Connect),
            USAGE
        );
        let not_replaced = |on_server| Error::NotReplaced {
            what: String::new(),
            on_server,
            why: String::new(),
        };
        assert_eq!(status_for(&not_replaced(true), Phase::Work), PERMANENT);
        assert_eq!(status_for(&not_replaced(false), Phase::Work), LOCAL);
    }
}
