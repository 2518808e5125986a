use super::{dt, now};
use crate::listing::{EntryKind, RemoteEntry, parse_list_line};

fn entry(line: &str) -> RemoteEntry {
    parse_list_line(line, now())
        .expect("parses")
        .expect("is an entry")
}

#[test]
fn iis_directory_pm() {
    let e = entry("01-02-23  03:04PM       <DIR>          My Folder");
    assert_eq!(e.name, "My Folder");
    assert_eq!(e.kind, EntryKind::Dir);
    assert_eq!(e.size, None);
    assert_eq!(e.modified, Some(dt(2023, 1, 2, 15, 4, 0)));
    assert_eq!(e.permissions, None);
    assert_eq!(e.owner, None);
    assert_eq!(e.group, None);
}

#[test]
fn iis_file_am() {
    let e = entry("01-02-23  03:04AM                 1234 file.txt\r\n");
    assert_eq!(e.name, "file.txt");
    assert_eq!(e.kind, EntryKind::File);
    assert_eq!(e.size, Some(1234));
    assert_eq!(e.modified, Some(dt(2023, 1, 2, 3, 4, 0)));
}

#[test]
fn four_digit_year_and_24_hour_clock() {
    let e = entry("01-02-2023  15:04       <DIR>          dir24");
    assert_eq!(e.name, "dir24");
    assert_eq!(e.kind, EntryKind::Dir);
    assert_eq!(e.modified, Some(dt(2023, 1, 2, 15, 4, 0)));
}

#[test]
fn twelve_oclock_edge_cases() {
    assert_eq!(
        entry("01-02-23  12:30AM  1 a").modified,
        Some(dt(2023, 1, 2, 0, 30, 0))
    );
    assert_eq!(
        entry("01-02-23  12:30PM  1 a").modified,
        Some(dt(2023, 1, 2, 12, 30, 0))
    );
    assert_eq!(
        entry("01-02-23  11:59pm  1 a").modified,
        Some(dt(2023, 1, 2, 23, 59, 0))
    );
    assert_eq!(
        entry("01-02-23  03:04 PM  1 a").modified,
        Some(dt(2023, 1, 2, 15, 4, 0))
    );
}

#[test]
fn two_digit_year_pivot() {
    assert_eq!(
        entry("12-31-69  01:00AM  1 a").modified,
        Some(dt(2069, 12, 31, 1, 0, 0))
    );
    assert_eq!(
        entry("01-01-70  01:00AM  1 a").modified,
        Some(dt(1970, 1, 1, 1, 0, 0))
    );
    assert_eq!(
        entry("06-15-99  01:00AM  1 a").modified,
        Some(dt(1999, 6, 15, 1, 0, 0))
    );
}

#[test]
fn names_with_spaces_and_thousands_separators() {
    let e = entry("01-02-23  03:04PM            1,234,567 big  file name.iso");
    assert_eq!(e.size, Some(1_234_567));
    assert_eq!(e.name, "big  file name.iso");
    let e = entry("01/02/2023  03:04PM  <JUNCTION>  Docs [C:\\Users]");
    assert_eq!(e.kind, EntryKind::Other);
    assert_eq!(e.name, "Docs [C:\\Users]");
}

#[test]
fn dos_errors() {
    for (line, reason) in [
        ("01-02-23  03:04PM       <DIR>", "missing name"),
        ("01-02-23  03:04PM       <DIR>   ", "missing name"),
        ("01-02-23", "missing time"),
        ("01-02-23  03:04PM", "missing size"),
        ("13-02-23  03:04PM  1 a", "bad date"),
        ("01-02-23  13:04PM  1 a", "bad date"),
        ("01-02-23  00:04AM  1 a", "bad date"),
        ("01-02-23  3pm  1 a", "bad date"),
        ("01-02-23  03:04PM  12x a", "bad size"),
        ("01-02-23  03:04PM  99999999999999999999999 a", "bad size"),
        ("01-02-3  03:04PM  1 a", "unrecognised LIST line"),
    ] {
        let err = parse_list_line(line, now()).expect_err(line);
        assert_eq!(err.reason, reason, "{line:?}");
    }
}
