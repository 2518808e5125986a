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
            FileNameEncoding::Utf8 => String::from_utf8_lossy(bytes).into_owned(),
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
