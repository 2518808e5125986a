//! SSH, for SFTP (issue 20): what Ferry decides itself whatever library
//! carries the bytes (which host keys are trusted), and the SFTP session.

pub mod known_hosts;
#[cfg(all(test, feature = "sshd-tests", unix))]
mod openssh_tests;
mod sftp;

pub use known_hosts::{HostKey, HostKeyVerdict};
pub use sftp::{SftpOptions, SftpSession};

/// A host key Ferry refused, with what a person needs to judge it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostKeyProblem {
    pub host: String,
    pub port: u16,
    pub key: HostKey,
    pub verdict: HostKeyVerdict,
}

impl HostKeyProblem {
    /// The refusal in words, the fingerprints on lines of their own.
    pub fn details(&self) -> String {
        let server = match self.port {
            22 => self.host.clone(),
            port => format!("{}:{port}", self.host),
        };
        let offered = format!(
            "  {} key offered: {}",
            self.key.key_type,
            self.key.fingerprint()
        );
        match &self.verdict {
            HostKeyVerdict::Changed { known } => {
                let mut text = format!(
                    "THE HOST KEY OF {server} HAS CHANGED: someone may be listening in, or the \
                     server was reinstalled. Nothing was sent. Ask its administrator which key \
                     is right; if the new one is, remove the old one from known_hosts.\n{offered}"
                );
                for (fingerprint, line) in known {
                    text.push_str(&format!("\n  known key (line {line}): {fingerprint}"));
                }
                text
            }
            HostKeyVerdict::Revoked { line } => format!(
                "the host key of {server} is marked @revoked (known_hosts line {line}); \
                 nothing was sent\n{offered}"
            ),
            HostKeyVerdict::Unknown { other_types } => {
                let others = match other_types.is_empty() {
                    true => String::new(),
                    false => format!(
                        " (keys of another type are known: {})",
                        other_types.join(", ")
                    ),
                };
                format!(
                    "the host key of {server} is not known{others}; nothing was sent. \
                     Check its fingerprint with the server's administrator, then trust it \
                     (--trust {})\n{offered}",
                    self.key.fingerprint()
                )
            }
            HostKeyVerdict::Trusted => format!("the host key of {server} is trusted\n{offered}"),
        }
    }
}
