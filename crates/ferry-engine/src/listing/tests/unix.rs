use super::{dt, now};
use crate::listing::{EntryKind, RemoteEntry, parse_list_line};
use chrono::NaiveDateTime;

fn entry_at(line: &str, now: NaiveDateTime) -> RemoteEntry {
    parse_list_line(line, now)
        .expect("parses")
        .expect("is an entry")
}

fn entry(line: &str) -> RemoteEntry {
    entry_at(line, now())
}

#[test]
fn vsftpd_file_with_spaces_and_numeric_ids() {
    let e =
        entry("-rw-r--r--    1 1000     1000         1234 Jan 02 03:04 file name with spaces.txt");
    assert_eq!(e.name, "file name with spaces.txt");
    assert_eq!(e.kind, EntryKind::File);
    assert_eq!(e.size, Some(1234));
    assert_eq!(e.modified, Some(dt(2026, 1, 2, 3, 4, 0)));
    assert_eq!(e.permissions.as_deref(), Some("rw-r--r--"));
    assert_eq!(e.owner.as_deref(), Some("1000"));
    assert_eq!(e.group.as_deref(), Some("1000"));
}

#[test]
fn vsftpd_dir_with_year() {
    let e = entry("drwxr-xr-x    2 ftp      ftp          4096 Mar 15  2021 old");
    assert_eq!(e.name, "old");
    assert_eq!(e.kind, EntryKind::Dir);
    assert_eq!(e.size, Some(4096));
    assert_eq!(e.modified, Some(dt(2021, 3, 15, 0, 0, 0)));
    assert_eq!(e.permissions.as_deref(), Some("rwxr-xr-x"));
    assert_eq!(e.owner.as_deref(), Some("ftp"));
    assert_eq!(e.group.as_deref(), Some("ftp"));
}

#[test]
fn symlink_with_target() {
    let e = entry("lrwxrwxrwx    1 0        0              11 Jan 02 03:04 link -> target dir");
    assert_eq!(e.name, "link");
    assert_eq!(
        e.kind,
        EntryKind::Symlink {
            target: Some("target dir".to_string())
        }
    );
    assert_eq!(e.size, Some(11));
    assert_eq!(e.permissions.as_deref(), Some("rwxrwxrwx"));
    assert_eq!(e.owner.as_deref(), Some("0"));

    let e = entry("lrwxrwxrwx 1 0 0 11 Jan 02 03:04 no arrow");
    assert_eq!(e.name, "no arrow");
    assert_eq!(e.kind, EntryKind::Symlink { target: None });
}

#[test]
fn arrow_in_a_regular_file_name_is_kept() {
    let e = entry("-rw-r--r-- 1 a b 1 Jan 02 03:04 a -> b");
    assert_eq!(e.name, "a -> b");
    assert_eq!(e.kind, EntryKind::File);
}

#[test]
fn device_files_have_no_size() {
    let e = entry("crw-rw-rw-    1 root     root       1,   3 Jan 02  2020 null");
    assert_eq!(e.name, "null");
    assert_eq!(e.kind, EntryKind::Other);
    assert_eq!(e.size, None);
    assert_eq!(e.modified, Some(dt(2020, 1, 2, 0, 0, 0)));
    assert_eq!(e.owner.as_deref(), Some("root"));
    assert_eq!(e.group.as_deref(), Some("root"));

    let e = entry("brw-rw---- 1 root disk 8, 0 Jan 02 2020 sda");
    assert_eq!(e.name, "sda");
    assert_eq!(e.kind, EntryKind::Other);
    assert_eq!(e.size, None);
    assert_eq!(e.permissions.as_deref(), Some("rw-rw----"));
    assert_eq!(e.group.as_deref(), Some("disk"));

    let e = entry("crw-rw-rw- 1 root tty 5,1 Jan 02 2020 console");
    assert_eq!(e.size, None);
    assert_eq!(e.group.as_deref(), Some("tty"));

    assert_eq!(
        entry("prw-r--r-- 1 a b 0 Jan 02 2020 fifo").kind,
        EntryKind::Other
    );
    assert_eq!(
        entry("srwxr-xr-x 1 a b 0 Jan 02 2020 sock").kind,
        EntryKind::Other
    );
}

#[test]
fn total_and_blank_lines_are_skipped() {
    assert_eq!(parse_list_line("total 24", now()), Ok(None));
    assert_eq!(parse_list_line("TOTAL 0\r\n", now()), Ok(None));
    assert_eq!(parse_list_line("", now()), Ok(None));
    assert_eq!(parse_list_line("   \t \r\n", now()), Ok(None));
    assert!(parse_list_line("total 24 extra", now()).is_err());
}

#[test]
fn pure_ftpd_samples() {
    let e = entry("-rw-r--r--    1 1000       1000              12 Jan  1 12:00 hello.txt");
    assert_eq!(e.name, "hello.txt");
    assert_eq!(e.size, Some(12));
    assert_eq!(e.modified, Some(dt(2026, 1, 1, 12, 0, 0)));
    assert_eq!(e.owner.as_deref(), Some("1000"));
    assert_eq!(e.group.as_deref(), Some("1000"));

    let e = entry("drwxr-xr-x    2 1000       1000            4096 Jan  1 12:00 .");
    assert_eq!(e.name, ".");
    assert_eq!(e.kind, EntryKind::Dir);
}

#[test]
fn proftpd_named_owner() {
    let e = entry("-rw-r--r--   1 alice    users        1024 Mar 15 10:10 report final.pdf");
    assert_eq!(e.name, "report final.pdf");
    assert_eq!(e.size, Some(1024));
    assert_eq!(e.modified, Some(dt(2026, 3, 15, 10, 10, 0)));
    assert_eq!(e.owner.as_deref(), Some("alice"));
    assert_eq!(e.group.as_deref(), Some("users"));
}

#[test]
fn libunftp_wide_columns() {
    let now = dt(2026, 11, 25, 12, 0, 0);
    let e = entry_at(
        "-rw-r--r--            1            0            0          13000 Nov 25 06:01 a.bin",
        now,
    );
    assert_eq!(e.name, "a.bin");
    assert_eq!(e.size, Some(13000));
    assert_eq!(e.modified, Some(dt(2026, 11, 25, 6, 1, 0)));
    assert_eq!(e.owner.as_deref(), Some("0"));
    assert_eq!(e.group.as_deref(), Some("0"));

    let e = entry_at(
        "drwxr-xr-x            1            0            0           4096 Nov 25 06:01 sub dir",
        now,
    );
    assert_eq!(e.name, "sub dir");
    assert_eq!(e.kind, EntryKind::Dir);
}

#[test]
fn year_inference_across_new_year() {
    let jan = dt(2026, 1, 5, 9, 0, 0);
    let e = entry_at("-rw-r--r-- 1 a b 1 Dec 31 23:59 late", jan);
    assert_eq!(e.modified, Some(dt(2025, 12, 31, 23, 59, 0)));
    let e = entry_at("-rw-r--r-- 1 a b 1 Jan 05 08:00 today", jan);
    assert_eq!(e.modified, Some(dt(2026, 1, 5, 8, 0, 0)));
    // Up to a day ahead is clock skew, not last year.
    let e = entry_at("-rw-r--r-- 1 a b 1 Jan 06 08:00 tomorrow", jan);
    assert_eq!(e.modified, Some(dt(2026, 1, 6, 8, 0, 0)));
    let e = entry_at("-rw-r--r-- 1 a b 1 Jan 07 10:00 later", jan);
    assert_eq!(e.modified, Some(dt(2025, 1, 7, 10, 0, 0)));
}

#[test]
fn year_inference_same_day() {
    let e = entry_at(
        "-rw-r--r-- 1 a b 1 Nov 25 06:01 x",
        dt(2026, 11, 25, 0, 30, 0),
    );
    assert_eq!(e.modified, Some(dt(2026, 11, 25, 6, 1, 0)));
}

#[test]
fn feb_29_without_year_goes_to_a_leap_year() {
    let e = entry_at(
        "-rw-r--r-- 1 a b 1 Feb 29 10:00 leap",
        dt(2025, 3, 1, 0, 0, 0),
    );
    assert_eq!(e.modified, Some(dt(2024, 2, 29, 10, 0, 0)));
}

#[test]
fn missing_group_column() {
    let e = entry("-rw-r--r--   1 owner   1234 Jan 02 03:04 nogroup.txt");
    assert_eq!(e.name, "nogroup.txt");
    assert_eq!(e.size, Some(1234));
    assert_eq!(e.owner.as_deref(), Some("owner"));
    assert_eq!(e.group, None);
}

#[test]
fn group_with_spaces_is_kept_whole() {
    let e = entry("-rw-r--r-- 1 alice Domain Users 5 Jan 02 03:04 win.txt");
    assert_eq!(e.owner.as_deref(), Some("alice"));
    assert_eq!(e.group.as_deref(), Some("Domain Users"));
    assert_eq!(e.name, "win.txt");
}

#[test]
fn acl_and_attribute_marks() {
    let e = entry("-rw-r--r--+ 1 a b 10 Jan 02 03:04 acl.txt");
    assert_eq!(e.name, "acl.txt");
    assert_eq!(e.permissions.as_deref(), Some("rw-r--r--"));
    assert_eq!(e.owner.as_deref(), Some("a"));
    assert_eq!(e.group.as_deref(), Some("b"));
    assert_eq!(e.size, Some(10));

    let e = entry("drwxr-xr-x@ 3 a staff 96 Jan 02 03:04 mac dir");
    assert_eq!(e.kind, EntryKind::Dir);
    assert_eq!(e.permissions.as_deref(), Some("rwxr-xr-x"));
    assert_eq!(e.name, "mac dir");

    let e = entry("-rw-r--r--. 1 root root 0 Jan 02 03:04 selinux");
    assert_eq!(e.permissions.as_deref(), Some("rw-r--r--"));
    assert_eq!(e.name, "selinux");
}

#[test]
fn filezilla_server_list() {
    let e = entry("-rw-r--r-- 1 ftp ftp            1234 Jan 02 03:04 notes.txt");
    assert_eq!(e.name, "notes.txt");
    assert_eq!(e.size, Some(1234));
    assert_eq!(e.modified, Some(dt(2026, 1, 2, 3, 4, 0)));
    assert_eq!(e.owner.as_deref(), Some("ftp"));

    let e = entry("drwxr-xr-x 1 ftp ftp               0 Jan 02  2023 old folder");
    assert_eq!(e.name, "old folder");
    assert_eq!(e.kind, EntryKind::Dir);
    assert_eq!(e.modified, Some(dt(2023, 1, 2, 0, 0, 0)));
}

#[test]
fn month_case_and_internal_spaces() {
    let e = entry("-rw-r--r-- 1 a b 1 JAN  2 03:04 two  spaces   here ");
    assert_eq!(e.modified, Some(dt(2026, 1, 2, 3, 4, 0)));
    assert_eq!(e.name, "two  spaces   here ");
    let e = entry("-rw-r--r-- 1 a b 1 dec 2 2020 lower");
    assert_eq!(e.modified, Some(dt(2020, 12, 2, 0, 0, 0)));
}

#[test]
fn leading_space_in_name_is_kept() {
    let e = entry("-rw-r--r-- 1 a b 1 Jan 02 03:04  leading");
    assert_eq!(e.name, " leading");
}

#[test]
fn name_that_looks_like_a_date() {
    let e = entry("-rw-r--r-- 1 a b 1 Jan 02 03:04 Feb 03 2020 report");
    assert_eq!(e.name, "Feb 03 2020 report");
    assert_eq!(e.modified, Some(dt(2026, 1, 2, 3, 4, 0)));
}

#[test]
fn owner_named_like_a_month() {
    let e = entry("-rw-r--r-- 1 jan 12 2020 Jan 02 03:04 x");
    assert_eq!(e.owner.as_deref(), Some("jan"));
    assert_eq!(e.group.as_deref(), Some("12"));
    assert_eq!(e.size, Some(2020));
    assert_eq!(e.name, "x");
}

#[test]
fn iso_dates() {
    let e = entry("-rw-r--r-- 1 user group 1234 2023-01-02 03:04 iso.txt");
    assert_eq!(e.name, "iso.txt");
    assert_eq!(e.size, Some(1234));
    assert_eq!(e.modified, Some(dt(2023, 1, 2, 3, 4, 0)));
    assert_eq!(e.owner.as_deref(), Some("user"));
    assert_eq!(e.group.as_deref(), Some("group"));

    let e = entry("-rw-r--r-- 1 u g 1 2023-01-02 03:04:05.123456789 +0100 full iso");
    assert_eq!(e.name, "full iso");
    assert_eq!(
        e.modified,
        chrono::NaiveDate::from_ymd_opt(2023, 1, 2).and_then(|d| d.and_hms_nano_opt(
            3,
            4,
            5,
            123_456_789
        ))
    );
}

#[test]
fn bsd_full_time() {
    let e = entry("-rw-r--r-- 1 u g 1 Jan  2 03:04:05 2023 bsd");
    assert_eq!(e.modified, Some(dt(2023, 1, 2, 3, 4, 5)));
    assert_eq!(e.name, "bsd");
}

#[test]
fn unix_errors() {
    for (line, reason) in [
        ("-rw-r--r-- 1 a b 1 Jan 02 03:04", "missing name"),
        ("-rw-r--r-- 1 a b 1 Jan 02 03:04 ", "missing name"),
        ("-rw-r--r-- 1 a b 1 Feb 30 03:04 x", "bad date"),
        ("-rw-r--r-- 1 a b 1 Jan 02 25:04 x", "bad date"),
        (
            "-rw-r--r-- 1 a b 99999999999999999999999 Jan 02 03:04 x",
            "bad size",
        ),
        (
            "-rw-r--r-- 1 a b 1 yesterday x",
            "unrecognised LIST line: no date column",
        ),
        ("-rw-r--r--", "unrecognised LIST line: no date column"),
        (
            "-rwxrwxrwxrwx 1 a b 1 Jan 02 03:04 x",
            "unrecognised LIST line",
        ),
        ("hello world", "unrecognised LIST line"),
    ] {
        let err = parse_list_line(line, now()).expect_err(line);
        assert_eq!(err.reason, reason, "{line:?}");
        assert_eq!(err.line, line);
    }
}
