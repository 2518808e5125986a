//! The one error type every engine operation reports.
//!
//! The variants mirror Python ftplib's classes (`error_temp`, `error_perm`,
//! `error_proto`) plus what a desktop client meets besides: TLS, timeouts,
//! local files and the user cancelling. Errors cross the event channel, so
//! they are plain data (`Clone`), and each carries what a person needs to act:
//! the server's reply code and text, or the local path.

use std::io;
use std::path::Path;

/// Why an engine operation failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// A 4xx reply: the server may accept the same request later.
    #[error("the server refused for now ({code} {text}); trying again later may work")]
    Temporary { code: u16, text: String },
    /// A 5xx reply: the server will not do this as asked.
    #[error("the server refused ({code} {text})")]
    Permanent { code: u16, text: String },
    /// The server sent something that is not valid FTP, or not what the
    /// command allows (a 1xx/2xx/3xx reply where another class was due, an
    /// oversized line, a short transfer).
    #[error("protocol error: {0}")]
    Protocol(String),
    /// The TLS handshake or a TLS record failed, or the server refused TLS.
    #[error("TLS error: {0}")]
    Tls(String),
    /// The server's certificate is not trusted; nothing was sent over it.
    #[error("the server's certificate is not trusted: {}", .0.details())]
    Certificate(Box<CertificateProblem>),
    /// The SSH server's host key is not one known for it (unknown,
    /// changed or revoked); nothing was sent over the connection, not even
    /// the user's name.
    #[error("{}", .0.details())]
    HostKey(Box<super::ssh::HostKeyProblem>),
    /// The server did not answer, or data stopped flowing, within the timeout.
    #[error("timed out: {0}")]
    Timeout(String),
    /// The connection could not be made, or broke.
    #[error("connection failed: {0}")]
    Connection(String),
    /// A local file or folder could not be read or written.
    #[error("{path}: {message}")]
    LocalIo { path: String, message: String },
    /// The user cancelled the operation.
    #[error("cancelled")]
    Cancelled,
    /// The request itself is unusable (CR/LF/NUL in a name, a bad argument);
    /// nothing was sent to the server.
    #[error("invalid request: {0}")]
    InvalidInput(String),
    /// A command was sent before `Connect` succeeded, or after the connection ended.
    #[error("not connected")]
    NotConnected,
    /// Existing targets were left as they are by Ferry's own decision, not
    /// a server's: the request said nothing may be replaced, or no free
    /// name was left to keep both. No reply code, since no server said it;
    /// nothing was sent or written for them. `on_server` says where they
    /// are (the command line's exit status follows it).
    #[error(
        "{what}: not replaced {} ({why})",
        if *.on_server { "on the server" } else { "on this computer" }
    )]
    NotReplaced {
        what: String,
        on_server: bool,
        why: String,
    },
}

/// What is wrong with a certificate that was refused, and how to recognise it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertificateProblem {
    /// What the verifier objected to (unknown issuer, expired, wrong name, …).
    pub reason: String,
    /// SHA-256 of the server's end-entity certificate (DER), lowercase hex
    /// with colons, the form `--trust` accepts.
    pub sha256: String,
    /// Who the certificate names, who signed it, the host names it is for,
    /// and when it is valid: what a person checks before trusting it.
    pub subject: String,
    pub issuer: String,
    pub names: Vec<String>,
    pub not_before: String,
    pub not_after: String,
}

impl CertificateProblem {
    /// The problem and every detail, one per line after the first.
    pub fn details(&self) -> String {
        let names = if self.names.is_empty() {
            "(none)".to_string()
        } else {
            self.names.join(", ")
        };
        format!(
            "{}\n  subject: {}\n  issuer: {}\n  names: {names}\n  valid: {} to {}\n  SHA-256 fingerprint: {}",
            self.reason, self.subject, self.issuer, self.not_before, self.not_after, self.sha256
        )
    }
}

impl Error {
    /// Classifies a reply that was not the success the command wanted.
    /// `text` may be the raw reply: its line codes are dropped.
    pub fn from_reply(code: u16, text: &str) -> Error {
        let text = reply_message(text);
        if is_session_death(code, &text) {
            return Error::Connection(format!("the server ended the session ({code} {text})"));
        }
        match code {
            400..=499 => Error::Temporary { code, text },
            500..=599 => Error::Permanent { code, text },
            _ => Error::Protocol(format!("unexpected reply {code} {text}")),
        }
    }

    /// Wraps a local I/O failure with the path it concerns.
    pub fn local(path: &Path, err: &io::Error) -> Error {
        Error::LocalIo {
            path: path.display().to_string(),
            message: local_message(err),
        }
    }

    /// The server's reply code, when the error came from a reply.
    pub fn reply_code(&self) -> Option<u16> {
        match self {
            Error::Temporary { code, .. } | Error::Permanent { code, .. } => Some(*code),
            _ => None,
        }
    }

    /// Whether the control connection can no longer be trusted after this
    /// error (it broke, or a reply may be half read).
    pub fn ends_session(&self) -> bool {
        matches!(
            self,
            Error::Connection(_)
                | Error::Timeout(_)
                | Error::Tls(_)
                | Error::Certificate(_)
                | Error::HostKey(_)
        ) || matches!(self, Error::Temporary { code: 421, .. })
    }
}

/// Whether a reply says the server's side of the session is dead rather
/// than refusing a request: vsftpd's `500 OOPS: …` (`priv_sock_get_cmd`
/// after a dropped session, a helper process that failed), sent by its
/// `die()` just before it closes the connection. Taken for a permanent
/// refusal, it failed transfers for good that a new login would finish;
/// as a lost connection, the session is opened again and the request
/// retried. The reply's own words are the only sign vsftpd gives.
/// `text` is the reply without its codes, as [`reply_message`] gives it.
pub fn is_session_death(code: u16, text: &str) -> bool {
    code == 500 && text.starts_with("OOPS:")
}

/// The words of a reply without its codes, on one line:
/// `550-No such\n550 file` gives `No such file`.
pub fn reply_message(text: &str) -> String {
    text.lines()
        .map(|line| {
            let bytes = line.as_bytes();
            let coded = bytes.len() >= 4
                && bytes[..3].iter().all(u8::is_ascii_digit)
                && (bytes[3] == b' ' || bytes[3] == b'-');
            if coded { &line[4..] } else { line }.trim()
        })
        .filter(|line| !line.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// A short, human message for a local I/O error (the path is shown apart).
fn local_message(err: &io::Error) -> String {
    match err.kind() {
        io::ErrorKind::NotFound => "no such file or folder".to_string(),
        io::ErrorKind::PermissionDenied => "permission denied".to_string(),
        io::ErrorKind::AlreadyExists => "already exists".to_string(),
        io::ErrorKind::StorageFull => "the disk is full".to_string(),
        _ => err.to_string(),
    }
}

/// Result of an engine operation.
pub type Result<T> = std::result::Result<T, Error>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_vsftpd_oops_is_a_lost_connection_and_other_500s_are_refusals() {
        let oops = Error::from_reply(500, "500 OOPS: priv_sock_get_cmd");
        assert!(matches!(oops, Error::Connection(_)), "{oops:?}");
        assert!(oops.ends_session());
        assert_eq!(
            oops.to_string(),
            "connection failed: the server ended the session (500 OOPS: priv_sock_get_cmd)"
        );
        let unknown = Error::from_reply(500, "500 Unknown command.");
        assert!(matches!(unknown, Error::Permanent { code: 500, .. }));
        // Only a 500 means it.
        let missing = Error::from_reply(550, "550 OOPS: no such file");
        assert!(matches!(missing, Error::Permanent { code: 550, .. }));
    }
}
