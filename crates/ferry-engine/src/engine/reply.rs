//! Replies and errors from suppaftp, turned into our terms.

use suppaftp::FtpError;

use super::encoding::FileNameEncoding;
use super::error::Error;
use super::event::Reply;
use super::net;
use super::tls::RefusedCertificate;

/// The reply a suppaftp response carries, decoded with the session's encoding.
pub fn reply_from(response: &suppaftp::types::Response, encoding: &FileNameEncoding) -> Reply {
    let code = response
        .body
        .get(..3)
        .and_then(|digits| std::str::from_utf8(digits).ok())
        .and_then(|digits| digits.parse().ok())
        .unwrap_or_else(|| response.status.code() as u16);
    let text = encoding.decode(&response.body);
    Reply {
        code,
        text: text.trim_end().to_string(),
    }
}

impl Reply {
    /// The reply on one line, for messages: code and text of every line.
    pub fn one_line(&self) -> String {
        self.text
            .lines()
            .map(str::trim)
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// Whether the server's side of the session died with this reply
    /// (vsftpd's `500 OOPS:`, see [`super::error::is_session_death`]).
    pub fn ends_session(&self) -> bool {
        super::error::is_session_death(self.code, &super::error::reply_message(&self.text))
    }

    pub fn longest_line(&self) -> usize {
        self.text.lines().map(str::len).max().unwrap_or(0)
    }
}

/// Turns a suppaftp error into ours, naming a refused certificate when the
/// handshake failed because of it.
pub fn classify(err: FtpError, refused: &RefusedCertificate) -> Error {
    match err {
        FtpError::ConnectionError(io) => {
            // rustls fails the handshake on the first read or write, so a
            // refused certificate surfaces here as an I/O error.
            if let Some(problem) = refused.lock().ok().and_then(|mut slot| slot.take()) {
                Error::Certificate(Box::new(problem))
            } else if let Some(tls) = io.get_ref().and_then(|e| e.downcast_ref::<rustls::Error>()) {
                Error::Tls(tls.to_string())
            } else if io
                .get_ref()
                .is_some_and(|inner| inner.is::<suppaftp::ReplyTooLarge>())
            {
                Error::Protocol(format!("{io}"))
            } else if io.kind() == std::io::ErrorKind::InvalidInput {
                Error::InvalidInput(io.to_string())
            } else {
                net::io_error("the connection", &io)
            }
        }
        FtpError::SecureError(text) => match refused.lock().ok().and_then(|mut slot| slot.take()) {
            Some(problem) => Error::Certificate(Box::new(problem)),
            None => Error::Tls(text),
        },
        FtpError::UnexpectedResponse(response) => {
            let reply = reply_from(&response, &FileNameEncoding::Utf8);
            Error::from_reply(reply.code, &reply.text)
        }
        FtpError::BadResponse => Error::Protocol("the server sent a malformed reply".to_string()),
        FtpError::InvalidAddress(err) => {
            Error::Protocol(format!("the server sent an unusable address: {err}"))
        }
        FtpError::DataConnectionAlreadyOpen => {
            Error::Protocol("a data connection is already open".to_string())
        }
    }
}

pub fn describe_ftp_error(err: &FtpError) -> String {
    err.to_string()
}

/// The banner without its reply codes: `220-Hello` / `220 ready` become
/// `Hello` / `ready`.
pub fn welcome_text(raw: &str) -> String {
    raw.lines()
        .map(|line| {
            let bytes = line.as_bytes();
            if bytes.len() >= 4
                && bytes[..3].iter().all(u8::is_ascii_digit)
                && (bytes[3] == b' ' || bytes[3] == b'-')
            {
                line.get(4..).unwrap_or_default()
            } else {
                line
            }
        })
        .map(str::trim_end)
        .collect::<Vec<_>>()
        .join("\n")
}

/// The folder in a 257 reply: `257 "/a ""b"" c" is current` gives `/a "b" c`.
pub fn parse_pwd(text: &str) -> Option<String> {
    let start = text.find('"')? + 1;
    let mut out = String::new();
    let mut chars = text[start..].chars().peekable();
    while let Some(c) = chars.next() {
        if c == '"' {
            if chars.peek() == Some(&'"') {
                chars.next();
                out.push('"');
            } else {
                return Some(out);
            }
        } else {
            out.push(c);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_pwd_replies() {
        assert_eq!(
            parse_pwd("257 \"/home/a\" is current").as_deref(),
            Some("/home/a")
        );
        assert_eq!(
            parse_pwd("257 \"/a \"\"b\"\"\"").as_deref(),
            Some("/a \"b\"")
        );
        assert_eq!(parse_pwd("257 no quotes"), None);
        assert_eq!(parse_pwd("257 \"unterminated"), None);
    }

    #[test]
    fn strips_codes_from_the_banner() {
        assert_eq!(
            welcome_text("220-Hello\n220-there\n220 ready"),
            "Hello\nthere\nready"
        );
        assert_eq!(welcome_text("220 (vsFTPd 3.0.3)"), "(vsFTPd 3.0.3)");
    }
}
