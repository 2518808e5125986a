//! FileZilla's serialised remote paths: `1 0 4 home 4 user` is `/home/user`.

use std::fmt::Write as _;

/// FileZilla's RemoteDir form (`CServerPath::GetSafePath`): "1 0 4 home 4
/// user" is "/home/user". `None` if it is not in that form; "" is "".
pub fn parse_remote_dir(text: &str) -> Option<String> {
    parse_safe_path(text).map(|(_, path)| path)
}

/// "/home/user" as FileZilla's RemoteDir form, always as an absolute Unix
/// path (the only kind Ferry keeps). Lengths count the platform's wide
/// characters, as FileZilla's do: UTF-16 units on Windows, characters
/// elsewhere.
pub fn format_remote_dir(path: &str) -> String {
    if path.is_empty() {
        return String::new();
    }
    let mut out = String::from("1 0");
    for segment in path.split('/').filter(|s| !s.is_empty()) {
        let length = match cfg!(windows) {
            true => segment.encode_utf16().count(),
            false => segment.chars().count(),
        };
        write!(out, " {length} {segment}").unwrap_or(());
    }
    out
}

/// The path's server type (1 Unix; 0 default, also slash-separated) and
/// the path, its segments joined with "/" whatever the type. Lengths are
/// tried as characters, then, for a file written on Windows, as UTF-16
/// units (they differ only for characters beyond the BMP).
pub(super) fn parse_safe_path(text: &str) -> Option<(u32, String)> {
    if text.is_empty() {
        return Some((1, String::new()));
    }
    parse_safe_path_in(text, false).or_else(|| {
        text.chars()
            .any(|c| c.len_utf16() > 1)
            .then(|| parse_safe_path_in(text, true))?
    })
}

fn parse_safe_path_in(text: &str, utf16: bool) -> Option<(u32, String)> {
    let (kind, rest) = number(text)?;
    let (prefix_length, mut rest) = number(rest.strip_prefix(' ')?)?;
    let mut path = String::new();
    if prefix_length > 0 {
        let (prefix, after) = take(rest.strip_prefix(' ')?, prefix_length, utf16)?;
        path.push_str(prefix);
        rest = after;
    }
    let mut segments = 0;
    while !rest.is_empty() {
        let (length, after) = number(rest.strip_prefix(' ')?)?;
        if length == 0 {
            return None;
        }
        let (segment, after) = take(after.strip_prefix(' ')?, length, utf16)?;
        path.push('/');
        path.push_str(segment);
        (rest, segments) = (after, segments + 1);
    }
    if segments == 0 {
        path.push('/');
    }
    Some((kind, path))
}

/// A decimal number up to 32767 (FileZilla's own bound) and what follows.
fn number(text: &str) -> Option<(u32, &str)> {
    let digits = text.bytes().take_while(u8::is_ascii_digit).count();
    let value: u32 = text.get(..digits.clamp(1, 5))?.parse().ok()?;
    (digits <= 5 && value <= 32767).then(|| (value, &text[digits..]))
}

/// The first `length` characters (or UTF-16 units) of `text`, and the rest.
fn take(text: &str, length: u32, utf16: bool) -> Option<(&str, &str)> {
    let length = length as usize;
    let mut units = 0;
    for (index, c) in text.char_indices() {
        if units == length {
            return Some(text.split_at(index));
        }
        units += if utf16 { c.len_utf16() } else { 1 };
    }
    (units == length).then_some((text, ""))
}
