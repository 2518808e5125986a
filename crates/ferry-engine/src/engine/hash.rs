//! Checksums the server can give for a file, and the same computed here,
//! so a transfer can be checked end to end (`--verify`, `ferry check`).
//!
//! Servers offer them in different ways: the draft standard `HASH` (with
//! `OPTS HASH` to pick the algorithm; the FEAT line lists them, the one
//! in use marked `*`), ProFTPD's and others' `XSHA256`, `XSHA1`, `XMD5`
//! and `XCRC`, the older `MD5` draft, and `SITE MD5`. Ferry takes the
//! strongest the server lists in FEAT; a server that lists none is asked
//! the X commands in turn once, and remembered either way.

use std::fs::File;
use std::io::{self, Read};
use std::path::Path;

use sha1::Sha1;
use sha2::{Digest, Sha256};

use super::event::Features;

/// What a checksum is of.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum HashAlgorithm {
    Sha256,
    Sha1,
    Md5,
    Crc32,
}

impl HashAlgorithm {
    pub fn name(self) -> &'static str {
        match self {
            HashAlgorithm::Sha256 => "SHA-256",
            HashAlgorithm::Sha1 => "SHA-1",
            HashAlgorithm::Md5 => "MD5",
            HashAlgorithm::Crc32 => "CRC-32",
        }
    }
}

/// A file's checksum: lowercase hex.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileHash {
    pub algorithm: HashAlgorithm,
    pub hex: String,
}

impl std::fmt::Display for FileHash {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.algorithm.name(), self.hex)
    }
}

/// How to ask this server for a checksum.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HashCommand {
    /// `HASH path` after `OPTS HASH <algorithm>` (draft-bryan-ftpext-hash).
    Hash(HashAlgorithm),
    /// `XSHA256 path`, `XSHA1 path`, `XMD5 path`, `XCRC path`.
    X(HashAlgorithm),
    /// `MD5 path` (draft-twine-ftpmd5).
    Md5,
    /// `SITE MD5 path`.
    SiteMd5,
}

impl HashCommand {
    pub fn algorithm(self) -> HashAlgorithm {
        match self {
            HashCommand::Hash(a) | HashCommand::X(a) => a,
            HashCommand::Md5 | HashCommand::SiteMd5 => HashAlgorithm::Md5,
        }
    }

    /// The command, without its path.
    pub fn verb(self) -> &'static str {
        match self {
            HashCommand::Hash(_) => "HASH",
            HashCommand::X(HashAlgorithm::Sha256) => "XSHA256",
            HashCommand::X(HashAlgorithm::Sha1) => "XSHA1",
            HashCommand::X(HashAlgorithm::Md5) => "XMD5",
            HashCommand::X(HashAlgorithm::Crc32) => "XCRC",
            HashCommand::Md5 => "MD5",
            HashCommand::SiteMd5 => "SITE MD5",
        }
    }

    /// The checksum in a reply to this command, if it holds one of the
    /// right length: `213 SHA-256 0-99 <hex> path` (HASH), `250 <hex>`
    /// or `213 <hex>` (X commands), `251 path <hex>` (MD5), `213 <hex>
    /// path` (SITE MD5).
    pub fn parse(self, code: u16, text: &str) -> Option<FileHash> {
        if !(200..300).contains(&code) {
            return None;
        }
        let algorithm = self.algorithm();
        let digits = match algorithm {
            HashAlgorithm::Sha256 => 64,
            HashAlgorithm::Sha1 => 40,
            HashAlgorithm::Md5 => 32,
            HashAlgorithm::Crc32 => 8,
        };
        let message = super::error::reply_message(text);
        message
            .split_whitespace()
            .map(|word| word.trim_matches('"'))
            .find(|word| word.len() == digits && word.chars().all(|c| c.is_ascii_hexdigit()))
            .map(|hex| FileHash {
                algorithm,
                hex: hex.to_ascii_lowercase(),
            })
    }
}

/// The strongest hash command FEAT lists, if any.
pub fn offered(features: &Features) -> Option<HashCommand> {
    for line in &features.lines {
        let mut words = line.split_whitespace();
        if !words.next().is_some_and(|w| w.eq_ignore_ascii_case("HASH")) {
            continue;
        }
        let listed: Vec<String> = words
            .flat_map(|w| w.split(';'))
            .map(|a| a.trim_end_matches('*').to_ascii_uppercase())
            .collect();
        for algorithm in [
            HashAlgorithm::Sha256,
            HashAlgorithm::Sha1,
            HashAlgorithm::Md5,
        ] {
            if listed.iter().any(|a| *a == algorithm.name()) {
                return Some(HashCommand::Hash(algorithm));
            }
        }
    }
    let commands = [
        ("XSHA256", HashCommand::X(HashAlgorithm::Sha256)),
        ("XSHA1", HashCommand::X(HashAlgorithm::Sha1)),
        ("XMD5", HashCommand::X(HashAlgorithm::Md5)),
        ("MD5", HashCommand::Md5),
        ("SITE MD5", HashCommand::SiteMd5),
        ("XCRC", HashCommand::X(HashAlgorithm::Crc32)),
    ];
    commands
        .into_iter()
        .find(|(name, _)| features.lines.iter().any(|l| l.eq_ignore_ascii_case(name)))
        .map(|(_, command)| command)
}

/// Commands to try, in turn, on a server whose FEAT lists none.
pub const TRIED: [HashCommand; 4] = [
    HashCommand::X(HashAlgorithm::Sha256),
    HashCommand::X(HashAlgorithm::Sha1),
    HashCommand::X(HashAlgorithm::Md5),
    HashCommand::Md5,
];

/// A checksum computed as bytes go by.
pub enum Hasher {
    Sha256(Sha256),
    Sha1(Sha1),
    Md5(md5::Md5),
    Crc32(crc32fast::Hasher),
}

impl Hasher {
    pub fn new(algorithm: HashAlgorithm) -> Hasher {
        match algorithm {
            HashAlgorithm::Sha256 => Hasher::Sha256(Sha256::new()),
            HashAlgorithm::Sha1 => Hasher::Sha1(Sha1::new()),
            HashAlgorithm::Md5 => Hasher::Md5(md5::Md5::new()),
            HashAlgorithm::Crc32 => Hasher::Crc32(crc32fast::Hasher::new()),
        }
    }

    pub fn update(&mut self, bytes: &[u8]) {
        match self {
            Hasher::Sha256(h) => h.update(bytes),
            Hasher::Sha1(h) => h.update(bytes),
            Hasher::Md5(h) => h.update(bytes),
            Hasher::Crc32(h) => h.update(bytes),
        }
    }

    pub fn finish(self) -> FileHash {
        let (algorithm, hex) = match self {
            Hasher::Sha256(h) => (HashAlgorithm::Sha256, hex(&h.finalize())),
            Hasher::Sha1(h) => (HashAlgorithm::Sha1, hex(&h.finalize())),
            Hasher::Md5(h) => (HashAlgorithm::Md5, hex(&h.finalize())),
            Hasher::Crc32(h) => (HashAlgorithm::Crc32, format!("{:08x}", h.finalize())),
        };
        FileHash { algorithm, hex }
    }
}

/// A [`Hasher`] on a thread of its own, so hashing a transfer's bytes
/// runs beside the transfer instead of after each chunk (on two cores, a
/// loopback download hashed inline took twice as long).
pub struct BackgroundHasher {
    chunks: Option<crossbeam_channel::Sender<Vec<u8>>>,
    /// Buffers the thread has hashed, to be filled again: a new
    /// allocation per chunk cost more system time (fresh pages for every
    /// 256 KiB) than the copy itself.
    spent: Option<crossbeam_channel::Receiver<Vec<u8>>>,
    thread: Option<std::thread::JoinHandle<FileHash>>,
    /// Hashes here if the thread could not start.
    inline: Option<Hasher>,
}

/// Chunks on their way to the hashing thread at most: memory stays
/// bounded, and a slow hasher slows the transfer rather than fill the
/// memory.
const CHUNKS_AHEAD: usize = 8;

impl BackgroundHasher {
    pub fn new(algorithm: HashAlgorithm) -> BackgroundHasher {
        let (chunks, inbox) = crossbeam_channel::bounded::<Vec<u8>>(CHUNKS_AHEAD);
        let (give_back, spent) = crossbeam_channel::bounded::<Vec<u8>>(CHUNKS_AHEAD + 1);
        let thread = std::thread::Builder::new()
            .name("ferry-hash".to_string())
            .spawn(move || {
                let mut hasher = Hasher::new(algorithm);
                for chunk in inbox.iter() {
                    hasher.update(&chunk);
                    let _ = give_back.try_send(chunk);
                }
                hasher.finish()
            });
        match thread {
            Ok(thread) => BackgroundHasher {
                chunks: Some(chunks),
                spent: Some(spent),
                thread: Some(thread),
                inline: None,
            },
            Err(_) => BackgroundHasher {
                chunks: None,
                spent: None,
                thread: None,
                inline: Some(Hasher::new(algorithm)),
            },
        }
    }

    pub fn update(&mut self, bytes: &[u8]) {
        match (&self.chunks, &mut self.inline) {
            (Some(chunks), _) => {
                let mut chunk = self
                    .spent
                    .as_ref()
                    .and_then(|spent| spent.try_recv().ok())
                    .unwrap_or_default();
                chunk.clear();
                chunk.extend_from_slice(bytes);
                let _ = chunks.send(chunk);
            }
            (None, Some(hasher)) => hasher.update(bytes),
            (None, None) => {}
        }
    }

    /// The checksum of everything given; `None` only if the hashing
    /// thread died (a bug), which the caller treats as "read it back".
    pub fn finish(mut self) -> Option<FileHash> {
        if let Some(hasher) = self.inline.take() {
            return Some(hasher.finish());
        }
        self.chunks.take();
        self.thread.take()?.join().ok()
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The checksum of a local file.
pub fn of_file(path: &Path, algorithm: HashAlgorithm) -> io::Result<FileHash> {
    let mut file = File::open(path)?;
    let mut hasher = Hasher::new(algorithm);
    let mut buffer = vec![0u8; 256 * 1024];
    loop {
        match file.read(&mut buffer) {
            Ok(0) => return Ok(hasher.finish()),
            Ok(n) => hasher.update(&buffer[..n]),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_background_hash_equals_the_hash_of_the_whole_however_it_is_cut() {
        // Chunks of every size, long ones after short ones: a reused
        // buffer must hold only its own chunk's bytes.
        let data: Vec<u8> = (0..3_000_000u32).map(|i| (i * 7 % 251) as u8).collect();
        for algorithm in [
            HashAlgorithm::Sha256,
            HashAlgorithm::Md5,
            HashAlgorithm::Crc32,
        ] {
            let mut whole = Hasher::new(algorithm);
            whole.update(&data);
            let mut background = BackgroundHasher::new(algorithm);
            let mut at = 0;
            for size in [1usize, 262_144, 3, 100_000, 262_144, 17].iter().cycle() {
                let end = (at + size).min(data.len());
                background.update(&data[at..end]);
                at = end;
                if at == data.len() {
                    break;
                }
            }
            assert_eq!(background.finish(), Some(whole.finish()), "{algorithm:?}");
        }
    }

    #[test]
    fn the_strongest_offered_command_is_taken() {
        let feat = |text: &str| Features::from_reply(text);
        let hash = feat("211-Features:\n HASH SHA-1;SHA-256*;MD5\n MDTM\n211 End");
        assert_eq!(
            offered(&hash),
            Some(HashCommand::Hash(HashAlgorithm::Sha256))
        );
        let proftpd = feat("211-Features:\n XCRC\n XMD5\n XSHA1\n XSHA256\n211 End");
        assert_eq!(
            offered(&proftpd),
            Some(HashCommand::X(HashAlgorithm::Sha256))
        );
        let unftp = feat("211-Extensions supported:\n SIZE\n SITE MD5\n211 END");
        assert_eq!(offered(&unftp), Some(HashCommand::SiteMd5));
        assert_eq!(offered(&feat("211-Features:\n MDTM\n211 End")), None);
    }

    #[test]
    fn checksums_are_read_from_each_kind_of_reply() {
        let md5 = "5d41402abc4b2a76b9719d911017c592";
        let cases = [
            (
                HashCommand::X(HashAlgorithm::Md5),
                250,
                format!("250 {}", md5.to_uppercase()),
            ),
            (HashCommand::Md5, 251, format!("251 \"a file.txt\" {md5}")),
            (
                HashCommand::SiteMd5,
                213,
                format!("213 {md5}    /a file.txt"),
            ),
            (
                HashCommand::Hash(HashAlgorithm::Md5),
                213,
                format!("213 MD5 0-5 {md5} a.txt"),
            ),
        ];
        for (command, code, text) in cases {
            let got = command
                .parse(code, &text)
                .unwrap_or_else(|| panic!("{text}"));
            assert_eq!(got.hex, md5, "{text}");
        }
        // A refusal, or digits of the wrong length, is no checksum.
        assert_eq!(HashCommand::Md5.parse(550, "550 No such file"), None);
        assert_eq!(
            HashCommand::X(HashAlgorithm::Sha256).parse(250, &format!("250 {md5}")),
            None
        );
    }

    #[test]
    fn local_checksums_match_the_well_known_ones() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("hello");
        std::fs::write(&path, b"hello").unwrap();
        let of = |a| of_file(&path, a).unwrap().hex;
        assert_eq!(of(HashAlgorithm::Md5), "5d41402abc4b2a76b9719d911017c592");
        assert_eq!(
            of(HashAlgorithm::Sha1),
            "aaf4c61ddcc5e8a2dabede0f3b482cd9aea9434d"
        );
        assert_eq!(
            of(HashAlgorithm::Sha256),
            "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"
        );
        assert_eq!(of(HashAlgorithm::Crc32), "3610a686");
    }
}
