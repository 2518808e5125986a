//! `ftp://`, `ftpes://`, `ftps://` and `sftp://` URLs, shared by the CLI
//! and the GUI.
//!
//! Schemes follow FileZilla: `ftp://` is plain FTP, `ftpes://` explicit TLS
//! (required), `ftps://` implicit TLS. Paths follow RFC 1738 as curl and lftp
//! read them: `ftp://host/dir/file` is relative to the folder the login lands
//! in, and `ftp://host//abs/file` (or `%2Fabs/file`) is absolute.

use std::fmt;

use percent_encoding::{AsciiSet, CONTROLS, utf8_percent_encode};

use crate::engine::{ConnectOptions, Secret, Security};

/// A parsed FTP URL. The password, if the URL had one, is kept apart and
/// never printed by `Display`.
#[derive(Clone, PartialEq, Eq)]
pub struct FtpUrl {
    pub security: Security,
    pub host: String,
    pub port: u16,
    pub user: Option<String>,
    pub password: Option<String>,
    /// The path as the server should see it: empty for the login folder,
    /// relative, or absolute (starting with `/`).
    pub path: String,
}

impl fmt::Debug for FtpUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "FtpUrl({self})")
    }
}

/// Why a URL was not accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid URL {url:?}: {reason}")]
pub struct UrlError {
    pub url: String,
    pub reason: String,
}

impl FtpUrl {
    /// Connect options for the URL's server, user and password (the rest
    /// at their defaults).
    pub fn connect_options(&self) -> ConnectOptions {
        let mut options = ConnectOptions::new(self.host.clone());
        options.port = self.port;
        options.security = self.security;
        options.user = self.user.clone();
        options.password = self.password.clone().map(Secret::new);
        options
    }

    /// Parses `scheme://[user[:password]@]host[:port][/path]`.
    pub fn parse(text: &str) -> Result<FtpUrl, UrlError> {
        let fail = |reason: &str| UrlError {
            url: redact(text),
            reason: reason.to_string(),
        };
        let (scheme, rest) = text
            .split_once("://")
            .ok_or_else(|| fail("expected ftp://, ftpes://, ftps:// or sftp://"))?;
        let security = match scheme.to_ascii_lowercase().as_str() {
            "ftp" => Security::Plain,
            "ftpes" => Security::ExplicitTls,
            "ftps" => Security::ImplicitTls,
            "sftp" => Security::Sftp,
            _ => return Err(fail("the scheme must be ftp, ftpes, ftps or sftp")),
        };
        let (authority, path) = match rest.find('/') {
            Some(i) => (&rest[..i], &rest[i + 1..]),
            None => (rest, ""),
        };
        let (userinfo, hostport) = match authority.rfind('@') {
            Some(i) => (Some(&authority[..i]), &authority[i + 1..]),
            None => (None, authority),
        };
        let (user, password) = match userinfo {
            None => (None, None),
            Some(info) => {
                let (user, password) = match info.split_once(':') {
                    Some((u, p)) => (u, Some(p)),
                    None => (info, None),
                };
                let user = decode(user).map_err(|r| fail(&r))?;
                let password = password.map(decode).transpose().map_err(|r| fail(&r))?;
                ((!user.is_empty()).then_some(user), password)
            }
        };
        let (host, port) = split_host_port(hostport).map_err(|r| fail(&r))?;
        if host.is_empty() {
            return Err(fail("the host is missing"));
        }
        let port = match port {
            Some(p) => p,
            None => security.default_port(),
        };
        let path = decode(path).map_err(|r| fail(&r))?;
        Ok(FtpUrl {
            security,
            host,
            port,
            user,
            password,
            path,
        })
    }

    /// The scheme that gives this URL's security.
    pub fn scheme(&self) -> &'static str {
        self.security.scheme()
    }
}

/// What a path keeps escaped: anything that would end it (`?`, `#`),
/// start an escape (`%`), or not survive being pasted (spaces, controls,
/// quotes, non-ASCII). `/` stays: it separates the folders.
const PATH: &AsciiSet = &CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'%')
    .add(b'<')
    .add(b'>')
    .add(b'?')
    .add(b'`')
    .add(b'{')
    .add(b'}')
    .add(b'\\');

/// A user name also keeps `@`, `:` and `/` escaped: they end it.
const USER: &AsciiSet = &PATH.add(b'@').add(b':').add(b'/');

impl fmt::Display for FtpUrl {
    /// The URL as `parse` reads it back: the same server, user and path,
    /// never the password.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}://", self.scheme())?;
        if let Some(user) = &self.user {
            write!(f, "{}@", utf8_percent_encode(user, USER))?;
        }
        if self.host.contains(':') {
            write!(f, "[{}]", self.host)?;
        } else {
            write!(f, "{}", self.host)?;
        }
        if self.port != self.security.default_port() {
            write!(f, ":{}", self.port)?;
        }
        // An absolute path is written with a second slash, as curl reads it.
        write!(f, "/{}", utf8_percent_encode(&self.path, PATH))
    }
}

fn split_host_port(hostport: &str) -> Result<(String, Option<u16>), String> {
    let (host, port) = if let Some(rest) = hostport.strip_prefix('[') {
        let (host, after) = rest
            .split_once(']')
            .ok_or_else(|| "an IPv6 address needs a closing ]".to_string())?;
        let port = match after {
            "" => None,
            p => Some(p.strip_prefix(':').ok_or("unexpected text after ]")?),
        };
        (host.to_string(), port)
    } else {
        match hostport.rsplit_once(':') {
            Some((h, p)) => (h.to_string(), Some(p)),
            None => (hostport.to_string(), None),
        }
    };
    // Brackets only delimit an IPv6 address; inside a host they would make
    // a URL that `Display` cannot write back.
    if host.contains(['[', ']']) {
        return Err(format!("{host:?} is not a host name"));
    }
    let port = match port {
        None | Some("") => None,
        Some(p) => Some(
            p.parse::<u16>()
                .ok()
                .filter(|p| *p != 0)
                // Not echoed: with a `/` typed in a password, what is
                // read as the port is the password's start.
                .ok_or_else(|| "the port must be a number from 1 to 65535".to_string())?,
        ),
    };
    Ok((host, port))
}

/// Percent-decodes into UTF-8 text.
fn decode(text: &str) -> Result<String, String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = bytes
                .get(i + 1..i + 3)
                .and_then(|h| std::str::from_utf8(h).ok())
                .and_then(|h| u8::from_str_radix(h, 16).ok())
                .ok_or_else(|| "a % must be followed by two hex digits".to_string())?;
            out.push(hex);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|_| "percent-escapes do not form UTF-8 text".to_string())
}

/// The URL with any password replaced, for error messages. A password may
/// hold `/` or `@` typed as they are, so the user part is taken to end at
/// the last `@` of the whole text: a password is hidden however it is
/// written (when a path holds an `@`, more than the password is hidden).
fn redact(text: &str) -> String {
    let Some((scheme, rest)) = text.split_once("://") else {
        return text.to_string();
    };
    let Some(at) = rest.rfind('@') else {
        return text.to_string();
    };
    match rest[..at].find(':') {
        Some(colon) => format!("{scheme}://{}:****{}", &rest[..colon], &rest[at..]),
        None => text.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_part() {
        let url = FtpUrl::parse("ftp://al%40ice:p%3Ass@example.com:2121/dir/a%20b.txt").unwrap();
        assert_eq!(url.security, Security::Plain);
        assert_eq!(url.user.as_deref(), Some("al@ice"));
        assert_eq!(url.password.as_deref(), Some("p:ss"));
        assert_eq!(url.host, "example.com");
        assert_eq!(url.port, 2121);
        assert_eq!(url.path, "dir/a b.txt");
    }

    #[test]
    fn schemes_and_default_ports() {
        assert_eq!(FtpUrl::parse("ftps://h").unwrap().port, 990);
        assert_eq!(FtpUrl::parse("ftpes://h/").unwrap().port, 21);
        let sftp = FtpUrl::parse("sftp://me@files.example.org/www/index.html").unwrap();
        assert_eq!(
            (sftp.security, sftp.port, sftp.path.as_str()),
            (Security::Sftp, 22, "www/index.html")
        );
        assert_eq!(
            sftp.to_string(),
            "sftp://me@files.example.org/www/index.html"
        );
        assert_eq!(
            FtpUrl::parse("ftpes://h").unwrap().security,
            Security::ExplicitTls
        );
        assert!(FtpUrl::parse("http://h").is_err());
        assert!(FtpUrl::parse("h/x").is_err());
    }

    #[test]
    fn absolute_and_relative_paths() {
        assert_eq!(FtpUrl::parse("ftp://h/a/b").unwrap().path, "a/b");
        assert_eq!(FtpUrl::parse("ftp://h//etc/x").unwrap().path, "/etc/x");
        assert_eq!(FtpUrl::parse("ftp://h/%2Fetc/x").unwrap().path, "/etc/x");
        assert_eq!(FtpUrl::parse("ftp://h").unwrap().path, "");
    }

    #[test]
    fn ipv6_and_user_with_at_sign() {
        let url = FtpUrl::parse("ftp://me@mail.com@[::1]:2121/x").unwrap();
        assert_eq!(url.user.as_deref(), Some("me@mail.com"));
        assert_eq!(url.host, "::1");
        assert_eq!(url.port, 2121);
        assert_eq!(url.to_string(), "ftp://me%40mail.com@[::1]:2121/x");
    }

    #[test]
    fn bad_input_is_an_error_not_a_panic() {
        for bad in [
            "ftp://",
            "ftp://h:99999",
            "ftp://h:0",
            "ftp://h:x",
            "ftp://[::1",
            "ftp://h/%zz",
            "ftp://h/%",
            "ftp://h/%ff",
            "ftp://:pw@/x",
        ] {
            assert!(FtpUrl::parse(bad).is_err(), "{bad}");
        }
    }

    /// Found by the `url` fuzz target: a host with a bracket in it was
    /// accepted, and `Display` wrote it back as a URL that did not parse.
    #[test]
    fn brackets_inside_a_host_are_refused() {
        for bad in [
            "ftp://:]:",
            "ftpes://me@ma:1]:990//etc/x",
            "ftp://[[x]/",
            "ftp://a[b/",
        ] {
            assert!(FtpUrl::parse(bad).is_err(), "{bad}");
        }
        let url = FtpUrl::parse("ftp://a:b:2121/x").unwrap();
        assert_eq!(FtpUrl::parse(&url.to_string()).unwrap(), url);
    }

    #[test]
    fn passwords_never_print() {
        let url = FtpUrl::parse("ftp://u:secret@h/x").unwrap();
        assert!(!url.to_string().contains("secret"));
        assert!(!format!("{url:?}").contains("secret"));
        let err = FtpUrl::parse("ftp://u:secret@h:bad/x").unwrap_err();
        assert!(!err.to_string().contains("secret"));
    }

    /// Copy URL and messages write URLs with `Display`: whatever a name
    /// holds, Ferry's own parser reads the same URL back.
    #[test]
    fn every_url_written_reads_back_the_same() {
        let names = [
            "100% sure.txt",
            "a#b?c.txt",
            "caf\u{e9} \u{1F600}.txt",
            "/abs/with space/x",
            "%2F",
            "tab\there",
            "back\\slash",
        ];
        for path in names {
            for user in [None, Some("me@mail.com"), Some("a:b/c%d")] {
                let url = FtpUrl {
                    security: Security::ExplicitTls,
                    host: "::1".to_string(),
                    port: 2121,
                    user: user.map(str::to_string),
                    password: None,
                    path: path.to_string(),
                };
                let text = url.to_string();
                assert!(!text.contains(' '), "{text}");
                assert_eq!(FtpUrl::parse(&text).unwrap(), url, "{text}");
            }
        }
        let url = FtpUrl::parse("ftp://h/100%25").unwrap();
        assert_eq!(url.to_string(), "ftp://h/100%25");
    }

    #[test]
    fn a_password_with_a_slash_or_an_at_sign_never_prints() {
        for bad in [
            "ftp://u:pa/ss@h:bad/x",
            "ftp://u:pa/ss@h:bad",
            "ftp://u:p%zz/@h/x",
        ] {
            let err = FtpUrl::parse(bad).unwrap_err();
            let shown = err.to_string();
            for part in ["pa/", "/ss", "p%zz"] {
                assert!(!shown.contains(part), "{shown}");
            }
        }
        assert_eq!(redact("ftp://u@h/x"), "ftp://u@h/x");
        // An @ in a path hides more than the password, never less.
        assert_eq!(redact("ftp://u:pw@h/a@b"), "ftp://u:****@b");
    }

    #[test]
    fn control_characters_decode_and_are_left_to_the_engine() {
        // The engine refuses CR/LF/NUL before sending; the URL only decodes.
        assert_eq!(
            FtpUrl::parse("ftp://h/a%0d%0aDELE%20x").unwrap().path,
            "a\r\nDELE x"
        );
    }
}
