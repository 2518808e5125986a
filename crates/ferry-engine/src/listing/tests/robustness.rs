//! Every parser must be total: no input may panic, and whatever comes out
//! must come from the input.

use super::{dt, now};
use crate::listing::{
    ListingFormat, parse_list_line, parse_listing, parse_mlsd_line, parse_nlst_line,
};

const SAMPLES: &[&str] = &[
    "type=file;size=13000;modify=20261125060158; a.bin",
    "type=dir;modify=20261125060158; sub dir",
    "type=file;size=12;modify=20240101120000;UNIX.mode=0644;UNIX.uid=1000;UNIX.gid=1000;unique=803g1a2b3; hello.txt",
    "modify=20240315101010;perm=adfrw;size=1024;type=file;unique=FD00U2A3B;UNIX.group=1000;UNIX.groupname=users;UNIX.mode=0644;UNIX.owner=1000;UNIX.ownername=alice; report final.pdf",
    "modify=20240315101010;perm=flcdmpe;type=cdir;unique=FD00U2A3A; .",
    "modify=20240315101010;perm=adfrw;size=7;type=OS.unix=slink:/x y;unique=FD00U2A3C; link",
    "type=file;size=1234;modify=20230102030405.123;perm=awrfd; notes.txt",
    "-rw-r--r--    1 1000     1000         1234 Jan 02 03:04 file name with spaces.txt",
    "drwxr-xr-x    2 ftp      ftp          4096 Mar 15  2021 old",
    "lrwxrwxrwx    1 0        0              11 Jan 02 03:04 link -> target dir",
    "crw-rw-rw-    1 root     root       1,   3 Jan 02  2020 null",
    "brw-rw---- 1 root disk 8, 0 Jan 02 2020 sda",
    "total 24",
    "-rw-r--r--    1 1000       1000              12 Jan  1 12:00 hello.txt",
    "-rw-r--r--   1 alice    users        1024 Mar 15 10:10 report final.pdf",
    "-rw-r--r--            1            0            0          13000 Nov 25 06:01 a.bin",
    "-rw-r--r--   1 owner   1234 Jan 02 03:04 nogroup.txt",
    "-rw-r--r--+ 1 a b 10 Jan 02 03:04 acl.txt",
    "-rw-r--r-- 1 user group 1234 2023-01-02 03:04 iso.txt",
    "-rw-r--r-- 1 u g 1 2023-01-02 03:04:05.123456789 +0100 full iso",
    "-rw-r--r-- 1 u g 1 Jan  2 03:04:05 2023 bsd",
    "01-02-23  03:04PM       <DIR>          My Folder",
    "01-02-23  03:04AM                 1234 file.txt",
    "01-02-2023  15:04       <DIR>          dir24",
];

/// Characters that stress the parsers: separators, field syntax,
/// control bytes and multibyte UTF-8 of every width.
const NASTY: &[char] = &[
    '\0', '\r', '\n', ' ', '\t', ';', '=', ':', ',', '-', '.', '<', '>', '/', '+', '0', '9', 'é',
    '日', '🎉', '\u{202e}', '\u{a0}', '\u{3000}', '\u{fffd}',
];

/// A tiny deterministic xorshift generator; tests need no real randomness.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n as u64) as usize
    }
}

/// Runs every parser on a line and checks what comes back is sane.
fn check(line: &str) {
    let when = now();
    for result in [parse_mlsd_line(line), parse_list_line(line, when)] {
        match result {
            Ok(Some(entry)) => {
                assert!(!entry.name.is_empty(), "{line:?}");
                assert!(line.contains(entry.name.as_str()), "{line:?}");
            }
            Ok(None) => {}
            Err(err) => {
                assert_eq!(err.line, line);
                assert!(!err.reason.is_empty());
                let _ = err.to_string();
            }
        }
    }
    if let Some(entry) = parse_nlst_line(line) {
        assert!(line.starts_with(entry.name.as_str()));
    }
}

fn generated_lines() -> Vec<String> {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut out = Vec::new();
    for sample in SAMPLES {
        // Every prefix and suffix, cut on char boundaries.
        for (i, _) in sample.char_indices() {
            out.push(sample[..i].to_string());
            out.push(sample[i..].to_string());
        }
        // A multibyte character (or a control byte) at every cut point.
        for (i, _) in sample.char_indices() {
            let c = NASTY[rng.below(NASTY.len())];
            out.push(format!("{}{c}{}", &sample[..i], &sample[i..]));
        }
        // Random characters replaced.
        for _ in 0..40 {
            let mut chars: Vec<char> = sample.chars().collect();
            for _ in 0..=rng.below(4) {
                let at = rng.below(chars.len());
                chars[at] = NASTY[rng.below(NASTY.len())];
            }
            out.push(chars.into_iter().collect());
        }
    }
    for n in [0, 1, 2, 50, 10_000] {
        out.push(" ".repeat(n));
        out.push("\t".repeat(n));
        out.push("\r\n".repeat(n));
        out.push("\0".repeat(n));
        out.push("日".repeat(n));
        out.push(";".repeat(n));
        out.push("= ".repeat(n));
    }
    let long_name = "n".repeat(10_000);
    let spaced_name = "a b ".repeat(2_500);
    for name in [&long_name, &spaced_name] {
        out.push(format!("type=file;size=1; {name}"));
        out.push(format!("-rw-r--r-- 1 a b 1 Jan 02 03:04 {name}"));
        out.push(format!("01-02-23  03:04PM  1 {name}"));
        out.push(format!("-rw-r--r-- {name}"));
        out.push(format!("{name}; x"));
    }
    out.push("-rw-r--r-- ".to_string() + &"1 ".repeat(5_000));
    out.push("-rw-r--r-- 1 a b 1 Jan ".to_string() + &"02 ".repeat(5_000));
    out.push(format!(
        "type=file;modify=20240101000000.{}; x",
        "9".repeat(10_000)
    ));
    out.push("01-02-23  03:04PM  ".to_string() + &",".repeat(10_000));
    out.push("-rw-r--r-- 1 a b 1 Jan 02 03:04 \0\r\n\0".to_string());
    out
}

#[test]
fn no_input_panics() {
    let lines = generated_lines();
    assert!(lines.len() > 3_000, "only {} lines", lines.len());
    for line in &lines {
        check(line);
    }
    for format in [
        ListingFormat::Mlsd,
        ListingFormat::List,
        ListingFormat::Nlst,
    ] {
        let (entries, errors) = parse_listing(format, &lines, now());
        assert!(entries.len() + errors.len() <= lines.len());
    }
}

#[test]
fn extreme_now_values_do_not_panic() {
    for when in [
        chrono::NaiveDateTime::MIN,
        chrono::NaiveDateTime::MAX,
        dt(1, 1, 1, 0, 0, 0),
    ] {
        for sample in SAMPLES {
            let _ = parse_list_line(sample, when);
        }
        let _ = parse_list_line("-rw-r--r-- 1 a b 1 Feb 29 10:00 leap", when);
    }
}
