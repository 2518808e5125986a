//! File-name encodings for servers that do not speak UTF-8.

use std::io;

/// Latin-1 (ISO-8859-1) proper: every byte is the code point of the same
/// value. WHATWG's "latin1" label means windows-1252, which differs in
/// 0x80–0x9F, so Latin-1 is handled here rather than by encoding_rs.
#[derive(Debug, Clone, Copy)]
pub struct Latin1;

impl suppaftp::Encoding for Latin1 {
    fn decode(&self, bytes: &[u8]) -> String {
        bytes.iter().map(|b| char::from(*b)).collect()
    }

    fn encode(&self, text: &str) -> io::Result<Vec<u8>> {
        text.chars()
            .map(|c| {
                u8::try_from(u32::from(c)).map_err(|_| {
                    io::Error::new(
                        io::ErrorKind::InvalidInput,
                        format!("{c:?} cannot be written in Latin-1"),
                    )
                })
            })
            .collect()
    }
}

/// UTF-8 that keeps what is not UTF-8. A server said to be UTF-8 may
/// still list a name in Latin-1 (`caf\xE9`); decoding it lossily would
/// show `caf\u{FFFD}` and ask for a file that does not exist. Each byte
/// that is not part of valid UTF-8 becomes a private-use character
/// (U+F780 + byte - 0x80), and encoding turns it back into that byte, so
/// the name is shown (see [`display_name`]) and fetched as it is.
#[derive(Debug, Clone, Copy)]
pub struct Utf8Lossless;

/// First private-use code point standing for an undecodable byte 0x80.
const ESCAPE_BASE: u32 = 0xF780;

impl suppaftp::Encoding for Utf8Lossless {
    fn decode(&self, bytes: &[u8]) -> String {
        let mut text = String::with_capacity(bytes.len());
        for chunk in bytes.utf8_chunks() {
            text.push_str(chunk.valid());
            for &byte in chunk.invalid() {
                // Bytes below 0x80 are always valid UTF-8; invalid ones are
                // 0x80..=0xFF and map into the 128 private-use slots.
                let escaped = char::from_u32(ESCAPE_BASE + u32::from(byte) - 0x80);
                text.push(escaped.unwrap_or(char::REPLACEMENT_CHARACTER));
            }
        }
        text
    }

    fn encode(&self, text: &str) -> io::Result<Vec<u8>> {
        let mut bytes = Vec::with_capacity(text.len());
        for c in text.chars() {
            match u32::from(c).checked_sub(ESCAPE_BASE) {
                Some(offset) if offset < 0x80 => bytes.push(offset as u8 + 0x80),
                _ => {
                    let mut buffer = [0u8; 4];
                    bytes.extend_from_slice(c.encode_utf8(&mut buffer).as_bytes());
                }
            }
        }
        Ok(bytes)
    }
}

/// A name as a person should see it: bytes that were not UTF-8 shown as
/// `\xE9` instead of private-use characters no font draws.
pub fn display_name(name: &str) -> String {
    let mut shown = String::with_capacity(name.len());
    for c in name.chars() {
        match u32::from(c).checked_sub(ESCAPE_BASE) {
            Some(offset) if offset < 0x80 => shown.push_str(&format!("\\x{:02X}", offset + 0x80)),
            _ => shown.push(c),
        }
    }
    shown
}

/// Any other encoding known to encoding_rs (windows-1252, shift_jis, …).
#[derive(Debug, Clone, Copy)]
pub struct Labelled(&'static encoding_rs::Encoding);

impl suppaftp::Encoding for Labelled {
    fn decode(&self, bytes: &[u8]) -> String {
        self.0.decode_without_bom_handling(bytes).0.into_owned()
    }

    fn encode(&self, text: &str) -> io::Result<Vec<u8>> {
        let (bytes, _, unmappable) = self.0.encode(text);
        if unmappable {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("{text:?} cannot be written in {}", self.0.name()),
            ));
        }
        Ok(bytes.into_owned())
    }
}

/// The encoding a label names.
#[derive(Debug, Clone, Copy)]
pub enum FileNameEncoding {
    Utf8,
    Latin1,
    Other(Labelled),
}

impl FileNameEncoding {
    /// Looks up a label (`utf-8`, `latin-1`, `iso-8859-1`, `windows-1252`, …).
    pub fn from_label(label: &str) -> Option<FileNameEncoding> {
        let lower = label.trim().to_ascii_lowercase();
        match lower.as_str() {
            "" | "utf-8" | "utf8" => Some(FileNameEncoding::Utf8),
            "latin-1" | "latin1" | "iso-8859-1" | "iso8859-1" | "l1" => {
                Some(FileNameEncoding::Latin1)
            }
            _ => encoding_rs::Encoding::for_label(lower.as_bytes())
                .map(|e| FileNameEncoding::Other(Labelled(e))),
        }
    }

    /// Decodes reply or listing bytes.
    pub fn decode(&self, bytes: &[u8]) -> String {
        use suppaftp::Encoding;
        match self {
            FileNameEncoding::Utf8 => Utf8Lossless.decode(bytes),
            FileNameEncoding::Latin1 => Latin1.decode(bytes),
            FileNameEncoding::Other(e) => e.decode(bytes),
        }
    }

    pub fn is_utf8(&self) -> bool {
        matches!(self, FileNameEncoding::Utf8)
    }
}

#[cfg(test)]
mod tests {
    use suppaftp::Encoding;

    use super::*;

    #[test]
    fn latin1_round_trips() {
        assert_eq!(Latin1.decode(b"caf\xe9"), "café");
        assert_eq!(Latin1.encode("café").unwrap(), b"caf\xe9");
        assert!(Latin1.encode("日本").is_err());
    }

    #[test]
    fn utf8_sites_keep_names_that_are_not_utf8() {
        let name = Utf8Lossless.decode(b"caf\xe9 \xff\xfe \xc3\xa9t\xc3\xa9");
        assert_eq!(display_name(&name), "caf\\xE9 \\xFF\\xFE été");
        assert_eq!(
            Utf8Lossless.encode(&name).unwrap(),
            b"caf\xe9 \xff\xfe \xc3\xa9t\xc3\xa9"
        );
        assert_eq!(Utf8Lossless.encode("日本").unwrap(), "日本".as_bytes());
        // Every byte value survives the trip.
        let all: Vec<u8> = (0..=255u8).collect();
        assert_eq!(
            Utf8Lossless.encode(&Utf8Lossless.decode(&all)).unwrap(),
            all
        );
    }

    #[test]
    fn labels() {
        assert!(FileNameEncoding::from_label("UTF-8").unwrap().is_utf8());
        assert!(matches!(
            FileNameEncoding::from_label("ISO-8859-1"),
            Some(FileNameEncoding::Latin1)
        ));
        assert!(FileNameEncoding::from_label("shift_jis").is_some());
        assert!(FileNameEncoding::from_label("klingon").is_none());
    }
}
