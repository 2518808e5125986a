use super::dt;
use crate::listing::{EntryKind, RemoteEntry, parse_mlsd_line};

fn entry(line: &str) -> RemoteEntry {
    parse_mlsd_line(line).expect("parses").expect("is an entry")
}

#[test]
fn libunftp_file() {
    let e = entry("type=file;size=13000;modify=20261125060158; a.bin");
    assert_eq!(e.name, "a.bin");
    assert_eq!(e.kind, EntryKind::File);
    assert_eq!(e.size, Some(13000));
    assert_eq!(e.modified, Some(dt(2026, 11, 25, 6, 1, 58)));
    assert_eq!(e.permissions, None);
    assert_eq!(e.owner, None);
    assert_eq!(e.group, None);
}

#[test]
fn libunftp_dir_with_space_in_name() {
    let e = entry("type=dir;modify=20261125060158; sub dir\r\n");
    assert_eq!(e.name, "sub dir");
    assert_eq!(e.kind, EntryKind::Dir);
    assert!(e.is_dir());
    assert_eq!(e.size, None);
    assert_eq!(e.modified, Some(dt(2026, 11, 25, 6, 1, 58)));
}

#[test]
fn pure_ftpd_file_with_unix_facts() {
    let e = entry(
        "type=file;size=12;modify=20240101120000;UNIX.mode=0644;UNIX.uid=1000;UNIX.gid=1000;unique=803g1a2b3; hello.txt",
    );
    assert_eq!(e.name, "hello.txt");
    assert_eq!(e.kind, EntryKind::File);
    assert_eq!(e.size, Some(12));
    assert_eq!(e.modified, Some(dt(2024, 1, 1, 12, 0, 0)));
    assert_eq!(e.permissions.as_deref(), Some("rw-r--r--"));
    assert_eq!(e.owner.as_deref(), Some("1000"));
    assert_eq!(e.group.as_deref(), Some("1000"));
}

#[test]
fn proftpd_file_prefers_names_over_ids() {
    let e = entry(
        "modify=20240315101010;perm=adfrw;size=1024;type=file;unique=FD00U2A3B;UNIX.group=1000;UNIX.groupname=users;UNIX.mode=0644;UNIX.owner=1000;UNIX.ownername=alice; report final.pdf",
    );
    assert_eq!(e.name, "report final.pdf");
    assert_eq!(e.kind, EntryKind::File);
    assert_eq!(e.size, Some(1024));
    assert_eq!(e.modified, Some(dt(2024, 3, 15, 10, 10, 10)));
    assert_eq!(e.permissions.as_deref(), Some("rw-r--r--"));
    assert_eq!(e.owner.as_deref(), Some("alice"));
    assert_eq!(e.group.as_deref(), Some("users"));
}

#[test]
fn proftpd_cdir_and_pdir_are_skipped() {
    let cdir = "modify=20240315101010;perm=flcdmpe;type=cdir;unique=FD00U2A3A;UNIX.group=1000;UNIX.mode=0755;UNIX.owner=1000; .";
    let pdir = "modify=20240315101010;perm=flcdmpe;type=pdir;unique=FD00U2A39;UNIX.group=0;UNIX.mode=0755;UNIX.owner=0; ..";
    assert_eq!(parse_mlsd_line(cdir), Ok(None));
    assert_eq!(parse_mlsd_line(pdir), Ok(None));
    assert_eq!(parse_mlsd_line("Type=CDir; /home/alice"), Ok(None));
}

#[test]
fn proftpd_symlink_variants() {
    let e = entry(
        "modify=20240315101010;perm=adfrw;size=7;type=OS.unix=symlink;unique=FD00U2A3C;UNIX.mode=0777;UNIX.owner=1000; link",
    );
    assert_eq!(e.name, "link");
    assert_eq!(e.kind, EntryKind::Symlink { target: None });
    assert_eq!(e.size, Some(7));
    assert_eq!(e.permissions.as_deref(), Some("rwxrwxrwx"));

    let e = entry("type=OS.unix=slink:/srv/Target_Dir;size=7; link");
    assert_eq!(
        e.kind,
        EntryKind::Symlink {
            target: Some("/srv/Target_Dir".to_string())
        }
    );
    assert_eq!(e.name, "link");

    let e = entry("type=os.UNIX=SLINK; link");
    assert_eq!(e.kind, EntryKind::Symlink { target: None });
    let e = entry("type=OS.unix=slink:; link");
    assert_eq!(e.kind, EntryKind::Symlink { target: None });
}

#[test]
fn filezilla_server_fractional_modify_and_perm_fact() {
    let e = entry("type=file;size=1234;modify=20230102030405.123;perm=awrfd; notes.txt");
    assert_eq!(e.name, "notes.txt");
    assert_eq!(e.size, Some(1234));
    let expected =
        chrono::NaiveDate::from_ymd_opt(2023, 1, 2).and_then(|d| d.and_hms_milli_opt(3, 4, 5, 123));
    assert_eq!(e.modified, expected);
    assert_eq!(e.permissions.as_deref(), Some("awrfd"));
}

#[test]
fn facts_are_case_insensitive_and_order_free() {
    let e = entry("TYPE=FILE;Size=5;MODIFY=20200229235959;Unix.Owner=bob;unix.GROUP=staff; x");
    assert_eq!(e.kind, EntryKind::File);
    assert_eq!(e.size, Some(5));
    assert_eq!(e.modified, Some(dt(2020, 2, 29, 23, 59, 59)));
    assert_eq!(e.owner.as_deref(), Some("bob"));
    assert_eq!(e.group.as_deref(), Some("staff"));
}

#[test]
fn name_keeps_spaces_semicolons_and_equals() {
    let e = entry("type=file;size=1;  a;b=c; d ");
    assert_eq!(e.name, " a;b=c; d ");
}

#[test]
fn sizd_is_used_for_directories() {
    let e = entry("type=dir;sizd=4096; d");
    assert_eq!(e.size, Some(4096));
    let e = entry("type=file;size=1;sizd=4096; f");
    assert_eq!(e.size, Some(1));
}

#[test]
fn unknown_and_missing_type() {
    assert_eq!(entry("type=OS.unix=chr-1/3; null").kind, EntryKind::Other);
    assert_eq!(entry("type=weird; w").kind, EntryKind::Other);
    assert_eq!(entry("size=3; notype").kind, EntryKind::Unknown);
    assert_eq!(entry(" nofacts").kind, EntryKind::Unknown);
}

#[test]
fn unix_mode_special_bits_and_garbage() {
    assert_eq!(
        entry("unix.mode=4755; a").permissions.as_deref(),
        Some("rwsr-xr-x")
    );
    assert_eq!(
        entry("unix.mode=2640; a").permissions.as_deref(),
        Some("rw-r-S---")
    );
    assert_eq!(
        entry("unix.mode=1777; a").permissions.as_deref(),
        Some("rwxrwxrwt")
    );
    assert_eq!(
        entry("unix.mode=100644; a").permissions.as_deref(),
        Some("rw-r--r--")
    );
    // A mode we cannot read falls back to perm rather than losing the entry.
    assert_eq!(
        entry("unix.mode=0x1f;perm=r; a").permissions.as_deref(),
        Some("r")
    );
}

#[test]
fn malformed_lines_are_errors() {
    for (line, reason) in [
        (
            "type=file;size=1;modify=20240101120000;a.bin",
            "missing space before name in MLSD line",
        ),
        ("type=file;size=1; ", "missing name in MLSD line"),
        ("", "missing space before name in MLSD line"),
        ("type=file;size=abc; a", "bad size"),
        ("type=file;size=-1; a", "bad size"),
        ("type=file;modify=2024010112000; a", "bad date"),
        ("type=file;modify=20241301120000; a", "bad date"),
        ("type=file;modify=20240101120000.x; a", "bad date"),
        ("-rw-r--r-- 1 a b 10 Jan 02 03:04 x", "malformed MLSD fact"),
    ] {
        let err = parse_mlsd_line(line).expect_err(line);
        assert_eq!(err.reason, reason, "{line:?}");
        assert_eq!(err.line, line);
    }
}
