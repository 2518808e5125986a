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

/// Text from a server (a name, a path, a reply, an error) as a person may
/// see it on one line: the one place that decides what reaches a terminal,
/// a log or a pane. Text from a server is data, and a name or a reply that
/// carries `ESC [2J`, a BEL or a CR would otherwise clear the screen, ring,
/// or overwrite what the person reads with something else.
///
/// - bytes that were not UTF-8 (see [`Utf8Lossless`]) show as `\xE9`;
/// - C0 controls and DEL show as `\x1B`, `\x07`, `\x7F` (tab, CR and LF as
///   `\t`, `\r`, `\n`);
/// - C1 controls (U+0080–U+009F: `\u{9B}` is CSI to many terminals) and
///   the characters that reorder or break what follows them (bidi
///   overrides and isolates, the line and paragraph separators) show as
///   `\u{9B}`, `\u{202E}`.
///
/// Everything else, backslashes included, is kept as it is, so the result
/// is printable and escaping it again changes nothing (front ends may call
/// this on text that already went through it). The price is that a name
/// really spelt `a\x1B` looks like `a` + ESC; a person is never fooled
/// into seeing something harmless where a control character was.
pub fn display_text(text: &str) -> String {
    let mut shown = String::with_capacity(text.len());
    for c in text.chars() {
        push_shown(&mut shown, c);
    }
    shown
}

/// Like [`display_text`], for text that may span lines (a multi-line reply,
/// a banner): line breaks (LF, or CR LF) stay line breaks, each line is
/// shown as [`display_text`] shows it, a lone CR is escaped.
pub fn display_lines(text: &str) -> String {
    let mut shown = String::with_capacity(text.len());
    for (i, line) in text.split('\n').enumerate() {
        if i > 0 {
            shown.push('\n');
        }
        shown.push_str(&display_text(line.strip_suffix('\r').unwrap_or(line)));
    }
    shown
}

/// A name as a person should see it: [`display_text`], under the name the
/// listing code has always called.
pub fn display_name(name: &str) -> String {
    display_text(name)
}

/// Whether a character must never reach a person raw: C0 and C1 controls,
/// DEL, and the invisible characters that change how the rest of a line
/// is drawn (bidi embeddings, overrides and isolates, U+2028/U+2029).
/// [`display_text`] escapes them; `--json` output writes them as `\u` escapes.
pub fn is_control_for_display(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{061C}'
                | '\u{200E}'
                | '\u{200F}'
                | '\u{2028}'
                | '\u{2029}'
                | '\u{202A}'..='\u{202E}'
                | '\u{2066}'..='\u{2069}'
        )
}

fn push_shown(shown: &mut String, c: char) {
    use std::fmt::Write;
    let code = u32::from(c);
    if let Some(offset) = code.checked_sub(ESCAPE_BASE).filter(|o| *o < 0x80) {
        let _ = write!(shown, "\\x{:02X}", offset + 0x80);
        return;
    }
    if !is_control_for_display(c) {
        shown.push(c);
        return;
    }
    let _ = match c {
        '\t' => write!(shown, "\\t"),
        '\r' => write!(shown, "\\r"),
        '\n' => write!(shown, "\\n"),
        _ if code < 0x80 => write!(shown, "\\x{code:02X}"),
        _ => write!(shown, "\\u{{{code:X}}}"),
    };
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

    /// Encodes a command line for the wire; a name that cannot be written
    /// in this encoding is an error, not a different name.
    pub fn encode(&self, text: &str) -> io::Result<Vec<u8>> {
        use suppaftp::Encoding;
        match self {
            FileNameEncoding::Utf8 => Utf8Lossless.encode(text),
            FileNameEncoding::Latin1 => Latin1.encode(text),
            FileNameEncoding::Other(e) => e.encode(text),
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
    fn control_characters_are_shown_escaped_and_escaping_twice_changes_nothing() {
        let hostile = "a\u{1b}[2Jb\u{7}c\rd\u{0}e\u{7f}f\u{9b}31mg\u{202e}txt.exe\th\nz";
        let shown = display_text(hostile);
        assert_eq!(
            shown,
            "a\\x1B[2Jb\\x07c\\rd\\x00e\\x7Ff\\u{9B}31mg\\u{202E}txt.exe\\th\\nz"
        );
        assert!(shown.chars().all(|c| !is_control_for_display(c)));
        assert_eq!(display_text(&shown), shown);
        // Undecodable bytes and control characters side by side.
        let name = Utf8Lossless.decode(b"caf\xe9\x1b]0;title\x07");
        assert_eq!(display_name(&name), "caf\\xE9\\x1B]0;title\\x07");
        // What people write stays as it is.
        assert_eq!(display_text("été 日本 C:\\dir 👍🏽"), "été 日本 C:\\dir 👍🏽");
    }

    #[test]
    fn multi_line_text_keeps_its_line_breaks_only() {
        assert_eq!(
            display_lines("220-Hello\r\n220-\u{1b}[31mred\r\n220 bye\rX"),
            "220-Hello\n220-\\x1B[31mred\n220 bye\\rX"
        );
        assert_eq!(display_lines("one line"), "one line");
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
