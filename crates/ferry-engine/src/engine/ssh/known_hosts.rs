//! Which SSH host keys are known: OpenSSH's `known_hosts` format, read
//! from `~/.ssh/known_hosts` and from Ferry's own file of keys a person
//! chose to trust always (written in the same format, so either tool can
//! read the other's).
//!
//! A key is never trusted because nothing says otherwise: a host with no
//! entry is [`HostKeyVerdict::Unknown`] (a person decides, seeing the
//! fingerprint); a host whose entries hold another key of the same type
//! is [`HostKeyVerdict::Changed`] (refused, both fingerprints named); a
//! key marked `@revoked` is refused whatever else says it is known.
//!
//! Written here rather than taken from russh (`russh::keys::known_hosts`),
//! which splits fields on single spaces, knows no `@revoked`, wildcards or
//! negated patterns, and fails the whole file on one line it cannot read.
//! A line Ferry cannot read is skipped and counted, never a reason to
//! trust or refuse anything.

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD};
use hmac::{Hmac, Mac};
use sha1::Sha1;
use sha2::{Digest, Sha256};

/// A server's public host key as it arrives in the key exchange: its
/// type (`ssh-ed25519`, `ecdsa-sha2-nistp256`, `ssh-rsa`) and the key's
/// wire encoding, which is what `known_hosts` holds in base64.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostKey {
    pub key_type: String,
    pub blob: Vec<u8>,
}

impl HostKey {
    pub fn new(key_type: &str, blob: Vec<u8>) -> HostKey {
        HostKey {
            key_type: key_type.to_string(),
            blob,
        }
    }

    /// OpenSSH's fingerprint, `SHA256:` and the unpadded base64 of the
    /// SHA-256 of the key: what `ssh-keygen -lf` prints and what servers'
    /// administrators publish.
    pub fn fingerprint(&self) -> String {
        format!(
            "SHA256:{}",
            STANDARD_NO_PAD.encode(Sha256::digest(&self.blob))
        )
    }

    /// The `known_hosts` line that makes this key known for `host` and
    /// `port` (bracketed with the port unless it is 22).
    pub fn known_hosts_line(&self, host: &str, port: u16) -> String {
        format!(
            "{} {} {}",
            host_form(host, port),
            self.key_type,
            STANDARD.encode(&self.blob)
        )
    }
}

/// What the known keys say of a server's key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HostKeyVerdict {
    /// An entry for this host holds this very key.
    Trusted,
    /// No entry for this host holds a key of this type. `other_types`
    /// lists the types that are known for it (a server may have several).
    Unknown { other_types: Vec<String> },
    /// Entries for this host hold other keys of this type: the server's
    /// key is not the one seen before. Never to be accepted with a click.
    Changed {
        /// Fingerprints of the keys known for the host, with the line
        /// (from 1) of the file that holds each.
        known: Vec<(String, usize)>,
    },
    /// The key is marked `@revoked` (for this host or all).
    Revoked { line: usize },
}

/// One file's worth of entries.
#[derive(Debug, Default)]
pub struct KnownHosts {
    entries: Vec<Entry>,
    /// Lines that are neither blank, comments nor entries Ferry can read.
    pub unreadable: usize,
}

#[derive(Debug)]
struct Entry {
    marker: Marker,
    patterns: String,
    key: HostKey,
    line: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Marker {
    None,
    Revoked,
    /// A certificate authority's key: trusts host certificates it signed,
    /// which Ferry does not check; such lines are neither trust nor doubt.
    CertAuthority,
}

impl KnownHosts {
    pub fn parse(text: &str) -> KnownHosts {
        let mut known = KnownHosts::default();
        for (index, line) in text.lines().enumerate() {
            let line_number = index + 1;
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            match parse_entry(line, line_number) {
                Some(entry) => known.entries.push(entry),
                None => known.unreadable += 1,
            }
        }
        known
    }

    /// What these entries say of `key`, offered by `host` on `port`.
    pub fn verdict(&self, host: &str, port: u16, key: &HostKey) -> HostKeyVerdict {
        let name = host_form(host, port);
        // Revoked keys first: a revocation holds whatever else is known.
        if let Some(revoked) = self.entries.iter().find(|e| {
            e.marker == Marker::Revoked
                && e.key.blob == key.blob
                && patterns_match(&e.patterns, &name)
        }) {
            return HostKeyVerdict::Revoked { line: revoked.line };
        }
        let for_host: Vec<&Entry> = self
            .entries
            .iter()
            .filter(|e| e.marker == Marker::None && patterns_match(&e.patterns, &name))
            .collect();
        if for_host.iter().any(|e| e.key == *key) {
            return HostKeyVerdict::Trusted;
        }
        let same_type: Vec<(String, usize)> = for_host
            .iter()
            .filter(|e| e.key.key_type == key.key_type)
            .map(|e| (e.key.fingerprint(), e.line))
            .collect();
        if !same_type.is_empty() {
            return HostKeyVerdict::Changed { known: same_type };
        }
        let mut other_types: Vec<String> =
            for_host.iter().map(|e| e.key.key_type.clone()).collect();
        other_types.sort();
        other_types.dedup();
        HostKeyVerdict::Unknown { other_types }
    }
}

/// OpenSSH's own file for this user, `~/.ssh/known_hosts`.
pub fn openssh_file() -> Option<std::path::PathBuf> {
    Some(
        directories::BaseDirs::new()?
            .home_dir()
            .join(".ssh")
            .join("known_hosts"),
    )
}

/// The entries of the file at `path`; a file that does not exist has
/// none. Any other failure to read it is an error: a file that cannot be
/// read may hold the revocation or the change that matters.
pub fn read_file(path: &std::path::Path) -> std::io::Result<KnownHosts> {
    match std::fs::read(path) {
        Ok(bytes) => Ok(KnownHosts::parse(&String::from_utf8_lossy(&bytes))),
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => Ok(KnownHosts::default()),
        Err(err) => Err(err),
    }
}

/// Adds `key` for `host` and `port` to the file at `path` ("Trust
/// always"), making the file (readable by its owner only) and its folder
/// if needed. The line is appended whole in one write, after a line feed
/// if the file did not end with one.
pub fn remember(
    path: &std::path::Path,
    host: &str,
    port: u16,
    key: &HostKey,
) -> std::io::Result<()> {
    use std::io::Write;
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.create(true).append(true).read(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path)?;
    let ends_open = {
        use std::io::{Read, Seek, SeekFrom};
        let len = file.metadata()?.len();
        let mut last = [0u8; 1];
        len > 0 && {
            file.seek(SeekFrom::Start(len - 1))?;
            file.read_exact(&mut last)?;
            last[0] != b'\n'
        }
    };
    let mut line = String::new();
    if ends_open {
        line.push('\n');
    }
    line.push_str(&key.known_hosts_line(host, port));
    line.push('\n');
    file.write_all(line.as_bytes())
}

/// The verdict of several files together (OpenSSH's own and Ferry's): a
/// revocation or a change in any wins over a match in another, so a key
/// trusted in Ferry's file is still refused when `~/.ssh/known_hosts`
/// revoked it.
pub fn combined_verdict(
    files: &[&KnownHosts],
    host: &str,
    port: u16,
    key: &HostKey,
) -> HostKeyVerdict {
    let verdicts: Vec<HostKeyVerdict> = files.iter().map(|f| f.verdict(host, port, key)).collect();
    if let Some(revoked) = verdicts
        .iter()
        .find(|v| matches!(v, HostKeyVerdict::Revoked { .. }))
    {
        return revoked.clone();
    }
    if verdicts.contains(&HostKeyVerdict::Trusted) {
        // A newer key trusted in one file, an older one in another: the
        // key is the one a person accepted; the other file is out of date.
        return HostKeyVerdict::Trusted;
    }
    if let Some(changed) = verdicts
        .iter()
        .find(|v| matches!(v, HostKeyVerdict::Changed { .. }))
    {
        return changed.clone();
    }
    let mut other_types: Vec<String> = verdicts
        .into_iter()
        .flat_map(|v| match v {
            HostKeyVerdict::Unknown { other_types } => other_types,
            _ => Vec::new(),
        })
        .collect();
    other_types.sort();
    other_types.dedup();
    HostKeyVerdict::Unknown { other_types }
}

/// `host`, or `[host]:port` when the port is not 22 (as OpenSSH writes
/// and looks them up), in lower case as OpenSSH compares names.
fn host_form(host: &str, port: u16) -> String {
    let host = host
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_lowercase();
    match port {
        22 => host,
        _ => format!("[{host}]:{port}"),
    }
}

/// `[@marker] patterns keytype base64 [comment]`, fields separated by
/// any run of spaces or tabs.
fn parse_entry(line: &str, line_number: usize) -> Option<Entry> {
    let mut fields = line.split([' ', '\t']).filter(|f| !f.is_empty());
    let mut first = fields.next()?;
    let marker = match first {
        "@revoked" => Marker::Revoked,
        "@cert-authority" => Marker::CertAuthority,
        marker if marker.starts_with('@') => return None,
        _ => Marker::None,
    };
    if marker != Marker::None {
        first = fields.next()?;
    }
    let key_type = fields.next()?;
    let blob = STANDARD.decode(fields.next()?).ok()?;
    // The blob begins with its own type name: a line whose two disagree
    // was damaged or edited by hand, and is not taken for either.
    if embedded_type(&blob)? != key_type {
        return None;
    }
    Some(Entry {
        marker,
        patterns: first.to_string(),
        key: HostKey::new(key_type, blob),
        line: line_number,
    })
}

/// The key type an SSH public key blob names first (a length-prefixed
/// string).
fn embedded_type(blob: &[u8]) -> Option<&str> {
    let len = u32::from_be_bytes(blob.get(..4)?.try_into().ok()?) as usize;
    std::str::from_utf8(blob.get(4..4 + len)?).ok()
}

/// Whether `name` (a host form) matches a comma-separated pattern list:
/// some pattern matches and no negated one (`!pattern`) does. A hashed
/// entry (`|1|salt|hash`) matches when the HMAC-SHA1 of the name under
/// the salt is the hash.
fn patterns_match(patterns: &str, name: &str) -> bool {
    let mut matched = false;
    for pattern in patterns.split(',') {
        if let Some(negated) = pattern.strip_prefix('!') {
            if wildcard_match(&negated.to_lowercase(), name) {
                return false;
            }
        } else if pattern.starts_with("|1|") {
            matched |= hashed_match(pattern, name);
        } else {
            matched |= wildcard_match(&pattern.to_lowercase(), name);
        }
    }
    matched
}

fn hashed_match(pattern: &str, name: &str) -> bool {
    let mut parts = pattern.split('|').skip(2);
    let (Some(salt), Some(hash)) = (parts.next(), parts.next()) else {
        return false;
    };
    let (Ok(salt), Ok(hash)) = (STANDARD.decode(salt), STANDARD.decode(hash)) else {
        return false;
    };
    let Ok(mac) = Hmac::<Sha1>::new_from_slice(&salt) else {
        return false;
    };
    mac.chain_update(name.as_bytes())
        .verify_slice(&hash)
        .is_ok()
}

/// OpenSSH's patterns: `*` any run of characters, `?` one.
fn wildcard_match(pattern: &str, name: &str) -> bool {
    let (p, n): (Vec<char>, Vec<char>) = (pattern.chars().collect(), name.chars().collect());
    // Classic two-pointer match with one star to backtrack to.
    let (mut pi, mut ni) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ni < n.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == n[ni]) {
            pi += 1;
            ni += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some((pi, ni));
            pi += 1;
        } else if let Some((star_p, star_n)) = star {
            pi = star_p + 1;
            ni = star_n + 1;
            star = Some((star_p, star_n + 1));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|&c| c == '*')
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A key blob of `key_type` whose key bytes are `seed` repeated.
    fn key(key_type: &str, seed: u8) -> HostKey {
        let mut blob = (key_type.len() as u32).to_be_bytes().to_vec();
        blob.extend_from_slice(key_type.as_bytes());
        blob.extend_from_slice(&32u32.to_be_bytes());
        blob.extend_from_slice(&[seed; 32]);
        HostKey::new(key_type, blob)
    }

    fn b64(key: &HostKey) -> String {
        STANDARD.encode(&key.blob)
    }

    /// A hashed host entry as `ssh-keygen -H` writes it.
    fn hashed(name: &str, salt: &[u8]) -> String {
        let mac = Hmac::<Sha1>::new_from_slice(salt)
            .unwrap()
            .chain_update(name.as_bytes())
            .finalize()
            .into_bytes();
        format!("|1|{}|{}", STANDARD.encode(salt), STANDARD.encode(mac))
    }

    #[test]
    fn the_fingerprint_is_the_one_ssh_keygen_prints() {
        // `ssh-keygen -lf` of this ed25519 public key prints
        // "256 SHA256:NCM6L/i5Ohuss/+OngH70uYTetdKMfv8Hk9cn43yhvw (ED25519)".
        let blob = STANDARD
            .decode("AAAAC3NzaC1lZDI1NTE5AAAAIG4vJLfrPRAuqPm4gmJRx5Y1PG/DpUFzPLWgu7cDNuFr")
            .unwrap();
        assert_eq!(embedded_type(&blob), Some("ssh-ed25519"));
        let key = HostKey::new("ssh-ed25519", blob);
        assert_eq!(
            key.fingerprint(),
            "SHA256:NCM6L/i5Ohuss/+OngH70uYTetdKMfv8Hk9cn43yhvw"
        );
    }

    #[test]
    fn a_known_key_is_trusted_and_another_of_its_type_is_a_change() {
        let (right, wrong) = (key("ssh-ed25519", 1), key("ssh-ed25519", 2));
        let text = format!(
            "# a comment\n\nexample.com,192.0.2.7 ssh-ed25519 {}\n",
            b64(&right)
        );
        let known = KnownHosts::parse(&text);
        assert_eq!(known.unreadable, 0);
        assert_eq!(
            known.verdict("example.com", 22, &right),
            HostKeyVerdict::Trusted
        );
        assert_eq!(
            known.verdict("EXAMPLE.com", 22, &right),
            HostKeyVerdict::Trusted
        );
        assert_eq!(
            known.verdict("192.0.2.7", 22, &right),
            HostKeyVerdict::Trusted
        );
        assert_eq!(
            known.verdict("example.com", 22, &wrong),
            HostKeyVerdict::Changed {
                known: vec![(right.fingerprint(), 3)]
            }
        );
        // Another port is another server, unknown until trusted.
        assert_eq!(
            known.verdict("example.com", 2222, &right),
            HostKeyVerdict::Unknown {
                other_types: vec![]
            }
        );
        // A key of another type is not a change: the server has several.
        let rsa = key("ssh-rsa", 3);
        assert_eq!(
            known.verdict("example.com", 22, &rsa),
            HostKeyVerdict::Unknown {
                other_types: vec!["ssh-ed25519".to_string()]
            }
        );
    }

    #[test]
    fn a_port_other_than_22_is_written_and_found_in_brackets() {
        let k = key("ecdsa-sha2-nistp256", 4);
        let line = k.known_hosts_line("127.0.0.1", 2222);
        assert!(
            line.starts_with("[127.0.0.1]:2222 ecdsa-sha2-nistp256 AAAA"),
            "{line}"
        );
        let known = KnownHosts::parse(&line);
        assert_eq!(
            known.verdict("127.0.0.1", 2222, &k),
            HostKeyVerdict::Trusted
        );
        assert!(matches!(
            known.verdict("127.0.0.1", 22, &k),
            HostKeyVerdict::Unknown { .. }
        ));
        assert_eq!(
            k.known_hosts_line("example.com", 22).split(' ').next(),
            Some("example.com")
        );
    }

    #[test]
    fn hashed_names_match_only_their_host_and_port() {
        let k = key("ssh-ed25519", 5);
        let text = format!(
            "{} ssh-ed25519 {}\n{} ssh-ed25519 {}\n",
            hashed("files.example.org", b"0123456789abcdefghij"),
            b64(&k),
            hashed("[10.0.0.9]:2022", b"another salt, twenty"),
            b64(&k),
        );
        let known = KnownHosts::parse(&text);
        assert_eq!(
            known.verdict("files.example.org", 22, &k),
            HostKeyVerdict::Trusted
        );
        assert_eq!(known.verdict("10.0.0.9", 2022, &k), HostKeyVerdict::Trusted);
        assert!(matches!(
            known.verdict("example.org", 22, &k),
            HostKeyVerdict::Unknown { .. }
        ));
        assert!(matches!(
            known.verdict("10.0.0.9", 22, &k),
            HostKeyVerdict::Unknown { .. }
        ));
        let other = key("ssh-ed25519", 6);
        assert!(matches!(
            known.verdict("files.example.org", 22, &other),
            HostKeyVerdict::Changed { .. }
        ));
    }

    #[test]
    fn lines_hashed_by_ssh_keygen_are_found() {
        // `ssh-keygen -H` of "[127.0.0.1]:2222 …" and "files.example.org …".
        let text = "\
|1|C1hB29XAmwIGrEGr4KjRUbvuotY=|Mm7YSvTwS8SgSwjYOAti4vRL1Zc= ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIG4vJLfrPRAuqPm4gmJRx5Y1PG/DpUFzPLWgu7cDNuFr
|1|lW7KabMaM8nv+dz5ITalIIDammI=|xXF8xPCpaF8U1R8ASHCMPe4NBdo= ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIG4vJLfrPRAuqPm4gmJRx5Y1PG/DpUFzPLWgu7cDNuFr
";
        let known = KnownHosts::parse(text);
        let blob = STANDARD
            .decode("AAAAC3NzaC1lZDI1NTE5AAAAIG4vJLfrPRAuqPm4gmJRx5Y1PG/DpUFzPLWgu7cDNuFr")
            .unwrap();
        let k = HostKey::new("ssh-ed25519", blob);
        assert_eq!(
            known.verdict("127.0.0.1", 2222, &k),
            HostKeyVerdict::Trusted
        );
        assert_eq!(
            known.verdict("files.example.org", 22, &k),
            HostKeyVerdict::Trusted
        );
        assert!(matches!(
            known.verdict("127.0.0.1", 22, &k),
            HostKeyVerdict::Unknown { .. }
        ));
    }

    #[test]
    fn wildcards_and_negations_choose_the_hosts_a_line_is_for() {
        let k = key("ssh-ed25519", 7);
        let text = format!(
            "*.example.com,!secret.example.com,10.1.?.1\tssh-ed25519\t{}  comment here\n",
            b64(&k)
        );
        let known = KnownHosts::parse(&text);
        assert_eq!(
            known.verdict("www.example.com", 22, &k),
            HostKeyVerdict::Trusted
        );
        assert_eq!(
            known.verdict("a.b.example.com", 22, &k),
            HostKeyVerdict::Trusted
        );
        assert_eq!(known.verdict("10.1.5.1", 22, &k), HostKeyVerdict::Trusted);
        assert!(matches!(
            known.verdict("secret.example.com", 22, &k),
            HostKeyVerdict::Unknown { .. }
        ));
        assert!(matches!(
            known.verdict("example.com", 22, &k),
            HostKeyVerdict::Unknown { .. }
        ));
        assert!(matches!(
            known.verdict("10.1.55.1", 22, &k),
            HostKeyVerdict::Unknown { .. }
        ));
    }

    #[test]
    fn a_revoked_key_is_refused_even_where_it_is_also_known() {
        let k = key("ssh-ed25519", 8);
        let text = format!(
            "example.com ssh-ed25519 {key}\n@revoked * ssh-ed25519 {key}\n",
            key = b64(&k)
        );
        let known = KnownHosts::parse(&text);
        assert_eq!(
            known.verdict("example.com", 22, &k),
            HostKeyVerdict::Revoked { line: 2 }
        );
        // Trusted in Ferry's own file, revoked in OpenSSH's: refused.
        let ferry = KnownHosts::parse(&k.known_hosts_line("example.com", 22));
        assert_eq!(
            combined_verdict(&[&ferry, &known], "example.com", 22, &k),
            HostKeyVerdict::Revoked { line: 2 }
        );
    }

    #[test]
    fn cert_authority_lines_neither_trust_nor_change_anything() {
        let (ca, server) = (key("ssh-ed25519", 9), key("ssh-ed25519", 10));
        let text = format!("@cert-authority *.example.com ssh-ed25519 {}\n", b64(&ca));
        let known = KnownHosts::parse(&text);
        assert_eq!(known.unreadable, 0);
        assert!(matches!(
            known.verdict("www.example.com", 22, &ca),
            HostKeyVerdict::Unknown { .. }
        ));
        assert!(matches!(
            known.verdict("www.example.com", 22, &server),
            HostKeyVerdict::Unknown { .. }
        ));
    }

    #[test]
    fn lines_that_cannot_be_read_are_skipped_and_counted_never_trusted() {
        let k = key("ssh-ed25519", 11);
        let text = format!(
            "example.com ssh-ed25519 not-base64!\n\
             example.com ssh-ed25519\n\
             @bogus example.com ssh-ed25519 {key}\n\
             example.com ssh-rsa {key}\n\
             example.com ssh-ed25519 {key}\n",
            key = b64(&k)
        );
        let known = KnownHosts::parse(&text);
        // Bad base64, no key, an unknown marker, a type the blob denies.
        assert_eq!(known.unreadable, 4);
        assert_eq!(
            known.verdict("example.com", 22, &k),
            HostKeyVerdict::Trusted
        );
        // The mislabelled line made no ssh-rsa key known.
        assert!(matches!(
            known.verdict("example.com", 22, &key("ssh-rsa", 11)),
            HostKeyVerdict::Unknown { .. }
        ));
    }

    #[test]
    fn a_key_trusted_in_either_file_is_trusted_and_a_change_in_one_is_still_said() {
        let (old, new) = (key("ssh-ed25519", 12), key("ssh-ed25519", 13));
        let openssh = KnownHosts::parse(&old.known_hosts_line("example.com", 22));
        let ferry = KnownHosts::parse(&new.known_hosts_line("example.com", 22));
        let empty = KnownHosts::parse("");
        assert_eq!(
            combined_verdict(&[&openssh, &ferry], "example.com", 22, &new),
            HostKeyVerdict::Trusted
        );
        assert!(matches!(
            combined_verdict(&[&openssh, &empty], "example.com", 22, &new),
            HostKeyVerdict::Changed { .. }
        ));
        assert!(matches!(
            combined_verdict(&[&empty, &empty], "example.com", 22, &new),
            HostKeyVerdict::Unknown { .. }
        ));
    }

    #[test]
    fn a_key_remembered_is_trusted_next_time_and_the_file_is_private() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ssh").join("known_hosts");
        let (first, second) = (key("ssh-ed25519", 14), key("ecdsa-sha2-nistp256", 15));
        assert!(matches!(
            read_file(&path).unwrap().verdict("127.0.0.1", 2222, &first),
            HostKeyVerdict::Unknown { .. }
        ));
        remember(&path, "127.0.0.1", 2222, &first).unwrap();
        // A file someone edited by hand, without a final line feed.
        let mut text = std::fs::read_to_string(&path).unwrap();
        text.push_str("# edited");
        std::fs::write(&path, text).unwrap();
        remember(&path, "127.0.0.1", 2222, &second).unwrap();
        let known = read_file(&path).unwrap();
        assert_eq!(known.unreadable, 0);
        assert_eq!(
            known.verdict("127.0.0.1", 2222, &first),
            HostKeyVerdict::Trusted
        );
        assert_eq!(
            known.verdict("127.0.0.1", 2222, &second),
            HostKeyVerdict::Trusted
        );
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o077, 0, "{mode:o}");
        }
    }

    #[test]
    fn wildcard_matching_backtracks() {
        assert!(wildcard_match("*", ""));
        assert!(wildcard_match("a*b*c", "axxbyyc"));
        assert!(wildcard_match("a*b", "abab"));
        assert!(!wildcard_match("a*b", "abac"));
        assert!(wildcard_match("??", "ab"));
        assert!(!wildcard_match("??", "abc"));
    }
}
