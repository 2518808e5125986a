use super::{dt, now};
use crate::listing::{EntryKind, ListingFormat, ParseError, parse_listing, parse_nlst_line};

fn lines(raw: &[&str]) -> Vec<String> {
    raw.iter().map(|s| s.to_string()).collect()
}

#[test]
fn list_keeps_going_after_errors_and_skips_dots() {
    let input = lines(&[
        "total 24",
        "drwxr-xr-x    2 1000       1000            4096 Jan  1 12:00 .",
        "drwxr-xr-x    2 1000       1000            4096 Jan  1 12:00 ..",
        "garbage here",
        "-rw-r--r--    1 1000       1000              12 Jan  1 12:00 hello.txt",
        "-rw-r--r-- 1 a b 1 Feb 30 03:04 baddate",
        "01-02-23  03:04PM       <DIR>          My Folder",
        "",
    ]);
    let (entries, errors) = parse_listing(ListingFormat::List, &input, now());
    let names: Vec<_> = entries.iter().map(|e| e.name.as_str()).collect();
    assert_eq!(names, ["hello.txt", "My Folder"]);
    assert_eq!(errors.len(), 2);
    assert_eq!(errors[0].line, "garbage here");
    assert_eq!(errors[0].reason, "unrecognised LIST line");
    assert_eq!(errors[1].reason, "bad date");
}

#[test]
fn mlsd_listing_skips_cdir_pdir_and_dot_dirs() {
    let input = lines(&[
        "type=cdir;modify=20240315101010; .",
        "type=pdir;modify=20240315101010; ..",
        "type=dir;modify=20240315101010; ..",
        "type=file;size=13000;modify=20261125060158; a.bin",
        "type=dir;modify=20261125060158; sub dir",
        "no facts or space",
    ]);
    let (entries, errors) = parse_listing(ListingFormat::Mlsd, &input, now());
    assert_eq!(entries.len(), 2);
    assert_eq!(entries[0].name, "a.bin");
    assert!(entries[1].is_dir());
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0].line, "no facts or space");
}

#[test]
fn nlst_names_verbatim() {
    let input = lines(&[
        "a.txt\r",
        "",
        "dir/name with space",
        ".",
        "..",
        "\r\n",
        " lead",
    ]);
    let (entries, errors) = parse_listing(ListingFormat::Nlst, &input, now());
    let names: Vec<_> = entries.iter().map(|e| e.name.as_str()).collect();
    assert_eq!(names, ["a.txt", "dir/name with space", " lead"]);
    assert!(errors.is_empty());
    assert!(
        entries
            .iter()
            .all(|e| e.kind == EntryKind::Unknown && e.size.is_none())
    );
}

#[test]
fn nlst_line_rules() {
    assert_eq!(parse_nlst_line(""), None);
    assert_eq!(parse_nlst_line("\r\n"), None);
    let e = parse_nlst_line("x\r\n").expect("entry");
    assert_eq!(e.name, "x");
    assert_eq!(e.kind, EntryKind::Unknown);
    assert_eq!(e.modified, None);
    assert!(!e.is_dir());
}

#[test]
fn hostile_names_are_reported_faithfully() {
    let input = lines(&[
        "-rw-r--r-- 1 a b 1 Jan 02 03:04 ../../etc/passwd",
        "type=file;size=1; a/b\u{0}c\u{1b}[2J",
    ]);
    let (entries, _) = parse_listing(ListingFormat::List, &input[..1], now());
    assert_eq!(entries[0].name, "../../etc/passwd");
    let (entries, _) = parse_listing(ListingFormat::Mlsd, &input[1..], now());
    assert_eq!(entries[0].name, "a/b\u{0}c\u{1b}[2J");
}

#[test]
fn error_display_escapes_control_characters() {
    let err = ParseError {
        line: "bad\u{1b}[31m\r\nline\u{0}".to_string(),
        reason: "unrecognised LIST line".to_string(),
    };
    let shown = err.to_string();
    assert_eq!(
        shown,
        r#"unrecognised LIST line: "bad\u{1b}[31m\r\nline\0""#
    );
    assert!(!shown.chars().any(char::is_control));
}

#[test]
fn unicode_names_survive() {
    let input = lines(&[
        "-rw-r--r-- 1 josé ñandú 5 Jan 02 03:04 日本語 ファイル.txt",
        "type=file;size=5;modify=20240101000000; Ünïcødé 🎉",
        "01-02-23  03:04PM  5 Ελληνικά αρχεία",
    ]);
    let (list, errors) = parse_listing(ListingFormat::List, &input[..1], now());
    assert!(errors.is_empty());
    assert_eq!(list[0].name, "日本語 ファイル.txt");
    assert_eq!(list[0].owner.as_deref(), Some("josé"));
    assert_eq!(list[0].group.as_deref(), Some("ñandú"));
    assert_eq!(list[0].modified, Some(dt(2026, 1, 2, 3, 4, 0)));
    let (mlsd, _) = parse_listing(ListingFormat::Mlsd, &input[1..2], now());
    assert_eq!(mlsd[0].name, "Ünïcødé 🎉");
    let (dos, _) = parse_listing(ListingFormat::List, &input[2..], now());
    assert_eq!(dos[0].name, "Ελληνικά αρχεία");
}
