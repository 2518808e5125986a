//! The `ferry` binary as a script uses it, against a real in-process server.

mod common;

use std::fs;

use common::cli::{Run, ferry, ferry_read_lines, ferry_with};
use common::faulty::{Faults, FaultyServer, Tree};
use common::scripted::ScriptedServer;
use common::unftp::UnftpServer;
use ferry::engine::is_control_for_display;

fn url(server: &UnftpServer, path: &str) -> String {
    format!("ftp://alice:s3cret-pw@127.0.0.1:{}/{path}", server.port)
}

fn url_without_password(server: &UnftpServer, path: &str) -> String {
    format!("ftp://alice@127.0.0.1:{}/{path}", server.port)
}

#[test]
fn ls_prints_names_long_lines_and_json() {
    let server = UnftpServer::plain();
    fs::create_dir(server.path("dir")).unwrap();
    fs::write(server.path("dir/b.txt"), b"hello").unwrap();
    fs::create_dir(server.path("dir/sub")).unwrap();

    let run = ferry(&["ls", &url(&server, "dir")]).expect_status(0);
    let mut names: Vec<&str> = run.stdout.lines().collect();
    names.sort();
    assert_eq!(names, ["b.txt", "sub"]);

    let run = ferry(&["ls", "-l", &url(&server, "dir")]).expect_status(0);
    assert!(
        run.stdout
            .lines()
            .any(|l| l.starts_with('d') && l.ends_with(" sub")),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .lines()
            .any(|l| l.contains(" 5 ") && l.ends_with(" b.txt")),
        "{}",
        run.stdout
    );

    let run = ferry(&["ls", "--json", &url(&server, "dir")]).expect_status(0);
    let json: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    let file = json
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["name"] == "b.txt")
        .unwrap();
    assert_eq!(file["type"], "file");
    assert_eq!(file["size"], 5);
}

/// `ls` prints a folder while it is read, in parts: every entry of a
/// folder of several parts comes out once, in the server's order.
#[test]
fn ls_of_a_folder_of_several_parts_prints_every_entry_once_in_order() {
    let server = FaultyServer::start(folder_of_3000(), Faults::default());
    let want: Vec<String> = (0..3000).map(|i| format!("f{i:04}.txt")).collect();
    let run = ferry(&["ls", "-l", &server.url("/big")]).expect_status(0);
    let names: Vec<&str> = run
        .stdout
        .lines()
        .map(|line| line.rsplit(' ').next().unwrap_or_default())
        .collect();
    assert_eq!(names, want, "{}", run.stderr);
    let run = ferry(&["ls", &server.url("/big")]).expect_status(0);
    assert_eq!(run.stdout.lines().collect::<Vec<_>>(), want);
    // JSON too is printed as it is read, and is one array.
    let run = ferry(&["ls", "--json", &server.url("/big")]).expect_status(0);
    assert_eq!(json_names(&run.stdout), want);
}

/// `/big` with 3000 files, f0000.txt to f2999.txt: three listing parts.
fn folder_of_3000() -> Tree {
    (0..3000).fold(Tree::new().dir("/big"), |tree, i| {
        tree.raw_entry("/big", &format!("f{i:04}.txt"), 7)
    })
}

fn json_names(stdout: &str) -> Vec<String> {
    let json: serde_json::Value = serde_json::from_str(stdout).unwrap();
    let entries = json.as_array().unwrap();
    entries
        .iter()
        .map(|e| e["name"].as_str().unwrap().to_string())
        .collect()
}

/// A listing the server cut short (pure-ftpd's "Output truncated") is
/// printed as far as it goes, as JSON that still parses, and the status
/// says it is not the whole folder.
#[test]
fn ls_json_of_a_truncated_listing_parses_and_fails() {
    let faults = Faults {
        truncate_listings: Some(2500),
        ..Faults::default()
    };
    let server = FaultyServer::start(folder_of_3000(), faults);
    let run = ferry(&["ls", "--json", &server.url("/big")]);
    assert_ne!(run.status, 0, "{}", run.stderr);
    assert!(run.stderr.contains("incomplete"), "{}", run.stderr);
    let want: Vec<String> = (0..2500).map(|i| format!("f{i:04}.txt")).collect();
    assert_eq!(json_names(&run.stdout), want);
}

#[test]
fn get_and_put_move_files_byte_for_byte() {
    let server = UnftpServer::plain();
    let data: Vec<u8> = (0..200_000u32).map(|i| (i % 256) as u8).collect();
    fs::write(server.path("data.bin"), &data).unwrap();
    let local = tempfile::tempdir().unwrap();
    let dir = local.path().to_str().unwrap();

    ferry(&["get", &url(&server, "data.bin"), dir]).expect_status(0);
    assert_eq!(fs::read(local.path().join("data.bin")).unwrap(), data);

    // An existing file is not replaced unless asked.
    let run = ferry(&["get", &url(&server, "data.bin"), dir]).expect_status(7);
    assert!(run.stderr.contains("already exists"), "{}", run.stderr);
    ferry(&["get", "--overwrite", &url(&server, "data.bin"), dir]).expect_status(0);
    // --fsync flushes before the rename; the bytes are the same.
    ferry(&[
        "get",
        "--fsync",
        "--overwrite",
        &url(&server, "data.bin"),
        dir,
    ])
    .expect_status(0);
    assert_eq!(fs::read(local.path().join("data.bin")).unwrap(), data);

    let source = local.path().join("data.bin");
    ferry(&["put", source.to_str().unwrap(), &url(&server, "up/")]).expect_status(4);
    fs::create_dir(server.path("up")).unwrap();
    ferry(&["put", source.to_str().unwrap(), &url(&server, "up/")]).expect_status(0);
    assert_eq!(fs::read(server.path("up/data.bin")).unwrap(), data);
    ferry(&[
        "put",
        source.to_str().unwrap(),
        &url(&server, "up/named.bin"),
    ])
    .expect_status(0);
    assert_eq!(fs::read(server.path("up/named.bin")).unwrap(), data);
    ferry(&[
        "put",
        source.to_str().unwrap(),
        &url(&server, "up/named.bin"),
    ])
    .expect_status(4);
}

#[test]
fn get_continue_resumes_its_own_partial_file_and_no_one_elses() {
    let data: Vec<u8> = (0..300_000u32).map(|i| (i % 199) as u8).collect();
    // The first RETR breaks off after 100 000 bytes.
    let faults = Faults {
        drop_retr_after: Some(100_000),
        ..Faults::default()
    };
    let server = FaultyServer::start(Tree::new().file("/r.bin", data.clone()), faults);
    let local = tempfile::tempdir().unwrap();
    let cache = tempfile::tempdir().unwrap();
    let env = [("XDG_CACHE_HOME", cache.path().to_str().unwrap())];
    let target = local.path().join("r.bin");
    let url = server.url("r.bin");
    let get = |extra: Option<&str>| {
        let mut args = vec!["get", "--retries", "0"];
        args.extend(extra);
        args.extend([url.as_str(), target.to_str().unwrap()]);
        ferry_with(&args, &env, None)
    };
    // Someone else's file under the old partial name: never resumed from.
    let planted = local.path().join("r.bin.part");
    fs::write(&planted, vec![b'X'; 50_000]).unwrap();
    get(None).expect_status(3);
    assert!(!target.exists());
    get(Some("-c")).expect_status(0);
    assert_eq!(fs::read(&target).unwrap(), data);
    assert!(
        server.commands().iter().any(|c| c == "REST 100000"),
        "{:?}",
        server.commands()
    );
    assert!(!server.commands().iter().any(|c| c == "REST 50000"));
    assert_eq!(fs::read(&planted).unwrap(), vec![b'X'; 50_000]);
    // Nothing else is left beside them.
    assert_eq!(fs::read_dir(local.path()).unwrap().count(), 2);
}

#[test]
fn rm_mkdir_mv_and_quote() {
    let server = UnftpServer::plain();
    fs::write(server.path("a.txt"), b"a").unwrap();
    ferry(&["mkdir", &url(&server, "new")]).expect_status(0);
    assert!(server.path("new").is_dir());
    ferry(&["mv", &url(&server, "a.txt"), "new/b.txt"]).expect_status(0);
    assert!(server.path("new/b.txt").is_file());
    ferry(&["rm", &url(&server, "new/b.txt")]).expect_status(0);
    assert!(!server.path("new/b.txt").exists());
    ferry(&["rm", &url(&server, "new")]).expect_status(0);
    assert!(!server.path("new").exists());

    fs::create_dir_all(server.path("tree/a/b")).unwrap();
    fs::write(server.path("tree/a/b/c.txt"), b"c").unwrap();
    ferry(&["rm", &url(&server, "tree")]).expect_status(4);
    ferry(&["rm", "-r", &url(&server, "tree")]).expect_status(0);
    assert!(!server.path("tree").exists());

    let run = ferry(&["quote", &url(&server, ""), "SYST"]).expect_status(0);
    assert!(run.stdout.starts_with("215"), "{}", run.stdout);
    let run = ferry(&["quote", &url(&server, ""), "NOSUCHCOMMAND"]).expect_status(4);
    assert!(run.stdout.starts_with('5'), "{}", run.stdout);
}

#[test]
fn exit_statuses_follow_the_contract() {
    let server = UnftpServer::plain();
    let wrong = format!("ftp://alice:nope@127.0.0.1:{}/", server.port);
    let run = ferry(&["ls", &wrong]).expect_status(3);
    assert!(run.stderr.contains("530"), "{}", run.stderr);
    ferry(&["get", &url(&server, "missing.txt"), "/tmp"]).expect_status(4);
    ferry(&["ls", "http://example.com/"]).expect_status(2);
    ferry(&["frobnicate"]).expect_status(2);
    // Nothing listens on port 1 of loopback.
    ferry(&["ls", "ftp://127.0.0.1:1/"]).expect_status(3);
    let local = tempfile::tempdir().unwrap();
    let missing = local.path().join("nope.bin");
    ferry(&["put", missing.to_str().unwrap(), &url(&server, "x.bin")]).expect_status(7);
}

#[test]
fn passwords_come_from_stdin_or_the_environment_and_never_show() {
    let server = UnftpServer::plain();
    fs::write(server.path("f.txt"), b"f").unwrap();
    let bare = url_without_password(&server, "");
    let run = ferry_with(
        &["ls", "-vv", "--password-stdin", &bare],
        &[],
        Some("s3cret-pw\n"),
    )
    .expect_status(0);
    assert!(run.stdout.contains("f.txt"));
    assert!(run.stderr.contains("PASS ****"), "{}", run.stderr);
    assert!(!run.stderr.contains("s3cret-pw"));
    let run = ferry_with(
        &["ls", "-vv", &bare],
        &[("FERRY_PASSWORD", "s3cret-pw")],
        None,
    )
    .expect_status(0);
    assert!(!run.stderr.contains("s3cret-pw"));
    ferry(&["ls", &bare]).expect_status(3);
}

#[test]
fn a_command_injection_in_a_url_is_refused_with_status_2() {
    let server = UnftpServer::plain();
    fs::write(server.path("victim.txt"), b"v").unwrap();
    let run = ferry(&["mkdir", &url(&server, "x%0d%0aDELE%20victim.txt")]).expect_status(2);
    assert!(run.stderr.contains("not sent"), "{}", run.stderr);
    assert!(server.path("victim.txt").exists());
}

#[test]
fn a_hostile_remote_name_never_becomes_a_local_path() {
    let server = UnftpServer::plain();
    let local = tempfile::tempdir().unwrap();
    let dir = local.path().to_str().unwrap();
    // The server path "..": its last component is not a usable file name.
    ferry(&["get", &url(&server, ".."), dir]).expect_status(2);
    assert_eq!(fs::read_dir(local.path()).unwrap().count(), 0);
}

/// Asserts a run cut short by its reader ended as `| head` expects: status
/// 141, no panic, nothing on stderr.
fn assert_quiet_end(run: Run, what: &str) {
    assert_eq!(
        run.status, 141,
        "{what}: status\n--- stdout\n{}\n--- stderr\n{}",
        run.stdout, run.stderr
    );
    assert!(run.stderr.is_empty(), "{what}: {}", run.stderr);
}

#[test]
fn a_reader_that_stops_early_ends_the_run_quietly_with_status_141() {
    let server = UnftpServer::plain();
    fs::create_dir(server.path("many")).unwrap();
    // Far more than a pipe holds (64 KiB), so writes meet the closed pipe
    // even after the first line was read.
    for i in 0..2000 {
        let name = format!("many/a-rather-long-file-name-number-{i:05}.txt");
        fs::write(server.path(&name), b"x").unwrap();
    }
    let many = url(&server, "many");
    let run = ferry_read_lines(&["ls", &many], &[], 1);
    assert!(run.stdout.starts_with("a-rather-long"), "{}", run.stdout);
    assert_quiet_end(run, "ls | head -1");
    assert_quiet_end(ferry_read_lines(&["ls", "-l", &many], &[], 1), "ls -l");
    assert_quiet_end(
        ferry_read_lines(&["ls", "--json", &many], &[], 1),
        "ls --json",
    );
    assert_quiet_end(ferry_read_lines(&["ls", &many], &[], 0), "ls | head -0");
    let root = url(&server, "");
    assert_quiet_end(ferry_read_lines(&["quote", &root, "SYST"], &[], 0), "quote");
    let local = tempfile::tempdir().unwrap();
    let dir = local.path().to_str().unwrap();
    assert_quiet_end(
        ferry_read_lines(&["mirror", "--dry-run", &many, dir], &[], 1),
        "mirror --dry-run",
    );
    assert_eq!(fs::read_dir(local.path()).unwrap().count(), 0);

    // The whole output, read to the end, still ends with 0.
    let run = ferry(&["ls", &many]).expect_status(0);
    assert_eq!(run.stdout.lines().count(), 2000);

    // Saved sites, with the config folder and keyring of the test's own.
    let config = tempfile::tempdir().unwrap();
    let config = config.path().to_str().unwrap();
    let env = [
        ("XDG_CONFIG_HOME", config),
        ("HOME", config),
        ("FERRY_KEYRING", "none"),
    ];
    for name in ["one", "two"] {
        ferry_with(&["sites", "add", name, &root], &env, None).expect_status(0);
    }
    assert_quiet_end(ferry_read_lines(&["sites", "list"], &env, 0), "sites list");
    assert_quiet_end(
        ferry_read_lines(&["sites", "list", "--json"], &env, 0),
        "sites list --json",
    );
}

/// Fails if stdout or stderr carry a character a terminal could act on
/// (line breaks aside).
fn assert_nothing_raw(run: &Run) {
    for (stream, text) in [("stdout", &run.stdout), ("stderr", &run.stderr)] {
        let raw: Vec<char> = text
            .chars()
            .filter(|c| is_control_for_display(*c) && *c != '\n')
            .collect();
        assert!(raw.is_empty(), "{stream} has {raw:?}:\n{text}");
    }
}

const HOSTILE_BANNER: &str = "220-\x1b]0;owned\x07\x1b[2J\r\n220 ready \u{9b}1m";
const HOSTILE_LISTING: &[u8] =
    b"-rw-r--r--    1 0        0              12 Jan 01 12:00 \x1b[31mred.txt\r\n\
    lrwxrwxrwx    1 0        0               4 Jan 01 12:00 link -> \x1b[2Jtarget\r\n";

#[test]
fn escape_sequences_in_a_banner_and_names_never_reach_the_terminal_raw() {
    for long in [false, true] {
        let server = ScriptedServer::start(|peer| {
            peer.greet_and_log_in(HOSTILE_BANNER);
            peer.serve_with_listing(HOSTILE_LISTING, |_| None);
        });
        let url = format!("ftp://u:p@127.0.0.1:{}/", server.port);
        let args: &[&str] = if long {
            &["ls", "-l", "-v", &url]
        } else {
            &["ls", "-v", &url]
        };
        let run = ferry(args).expect_status(0);
        assert_nothing_raw(&run);
        assert!(run.stdout.contains("\\x1B[31mred.txt"), "{}", run.stdout);
        if long {
            assert!(
                run.stdout.contains("link -> \\x1B[2Jtarget"),
                "{}",
                run.stdout
            );
        }
        // The banner, in the status line and in the reply log lines (-v).
        assert!(
            run.stderr.contains("\\x1B]0;owned\\x07\\x1B[2J"),
            "{}",
            run.stderr
        );
        assert!(run.stderr.contains("ready \\u{9B}1m"), "{}", run.stderr);
    }
}

#[test]
fn escape_sequences_in_a_reply_and_an_error_never_reach_the_terminal_raw() {
    let server = ScriptedServer::start(|peer| {
        peer.greet_and_log_in("220 hi");
        peer.serve_with_listing(b"", |command| {
            command
                .starts_with("SITE")
                .then(|| "550-\x1b[2Jno\r\n550 \u{9b}31mway\x07".to_string())
        });
    });
    let url = format!("ftp://u:p@127.0.0.1:{}/", server.port);
    let run = ferry(&["quote", &url, "SITE", "X"]).expect_status(4);
    assert_nothing_raw(&run);
    // The reply keeps its lines; the error is one line.
    assert!(
        run.stdout
            .contains("550-\\x1B[2Jno\n550 \\u{9B}31mway\\x07"),
        "{}",
        run.stdout
    );
    assert!(
        run.stderr
            .contains("ferry: the server refused (550 \\x1B[2Jno \\u{9B}31mway\\x07)"),
        "{}",
        run.stderr
    );
}

#[test]
fn a_hostile_name_in_transfer_messages_is_shown_escaped() {
    let server = UnftpServer::plain();
    fs::write(server.path("\x1b[2Jevil\x07.txt"), b"evil").unwrap();
    let local = tempfile::tempdir().unwrap();
    let dir = local.path().to_str().unwrap();
    let remote = url(&server, "%1B%5B2Jevil%07.txt");
    let run = ferry(&["get", "-v", &remote, dir]).expect_status(0);
    assert_nothing_raw(&run);
    assert!(
        run.stderr.contains("done \\x1B[2Jevil\\x07.txt"),
        "{}",
        run.stderr
    );
    // The local file keeps the server's name: only what is shown changes.
    assert_eq!(
        fs::read(local.path().join("\x1b[2Jevil\x07.txt")).unwrap(),
        b"evil"
    );
    let run = ferry(&["get", &remote, dir]).expect_status(7);
    assert_nothing_raw(&run);
    assert!(
        run.stderr.contains("\\x1B[2Jevil\\x07.txt already exists"),
        "{}",
        run.stderr
    );
    let run = ferry(&["ls", &url(&server, "")]).expect_status(0);
    assert_nothing_raw(&run);
    assert_eq!(run.stdout.trim(), "\\x1B[2Jevil\\x07.txt");
}

#[test]
fn ascii_mode_sends_plain_type_a_which_servers_refusing_type_a_n_accept() {
    // pyftpdlib's answers: the format control "N" is refused.
    let server = ScriptedServer::start(|peer| {
        peer.greet_and_log_in("220 pyftpdlib ready");
        peer.serve_with_listing(
            b"-rw-r--r--    1 0        0               3 Jan 01 12:00 notes.txt\r\n",
            |command| match command {
                "TYPE A N" => Some("504 Unsupported type \"A N\".".to_string()),
                "TYPE A" => Some("200 Type set to: ASCII.".to_string()),
                _ => None,
            },
        );
    });
    let scripted = format!("ftp://u:p@127.0.0.1:{}/", server.port);
    let run = ferry(&["--ascii", "ls", &scripted]).expect_status(0);
    assert_eq!(run.stdout.trim(), "notes.txt");
    let received = server.received();
    assert!(received.iter().any(|c| c == "TYPE A"), "{received:?}");
    assert!(!received.iter().any(|c| c == "TYPE I"), "{received:?}");

    // And ASCII transfers still convert line endings, both ways.
    let server = UnftpServer::plain();
    let local = tempfile::tempdir().unwrap();
    let source = local.path().join("unix.txt");
    fs::write(&source, b"one\ntwo\n").unwrap();
    let source = source.to_str().unwrap();
    ferry(&["--ascii", "put", source, &url(&server, "t.txt")]).expect_status(0);
    assert_eq!(fs::read(server.path("t.txt")).unwrap(), b"one\r\ntwo\r\n");
    let back = local.path().join("back.txt");
    let back_arg = back.to_str().unwrap();
    ferry(&["--ascii", "get", &url(&server, "t.txt"), back_arg]).expect_status(0);
    assert_eq!(fs::read(&back).unwrap(), b"one\ntwo\n");
}

/// vsftpd's last words when its session process died (after a dropped
/// connection, a killed helper): "500 OOPS: priv_sock_get_cmd", then it
/// hangs up.
const VSFTPD_OOPS: &str = "500 OOPS: priv_sock_get_cmd";

#[test]
fn a_vsftpd_oops_is_a_lost_connection_reconnected_and_retried() {
    let server = ScriptedServer::start_each(2, |peer, number| {
        peer.greet_and_log_in("220 (vsFTPd 3.0.3)");
        peer.serve_folder(b"", &[("f.txt", b"payload")], |command| {
            (number == 0 && command.starts_with("RETR")).then(|| VSFTPD_OOPS.to_string())
        });
    });
    let local = tempfile::tempdir().unwrap();
    let url = format!("ftp://u:p@127.0.0.1:{}/f.txt", server.port);
    let run = ferry(&["get", "-j", "1", &url, local.path().to_str().unwrap()]).expect_status(0);
    assert_eq!(fs::read(local.path().join("f.txt")).unwrap(), b"payload");
    assert!(
        run.stderr.contains("connection failed") && run.stderr.contains("trying again"),
        "{}",
        run.stderr
    );
    let received = server.received();
    assert_eq!(
        received.iter().filter(|c| c.starts_with("RETR")).count(),
        2,
        "{received:?}"
    );
}

#[test]
fn a_vsftpd_oops_without_retries_fails_as_a_lost_connection_not_a_refusal() {
    let server = ScriptedServer::start(|peer| {
        peer.greet_and_log_in("220 (vsFTPd 3.0.3)");
        peer.serve_with_listing(b"", |command| {
            command.starts_with("MKD").then(|| VSFTPD_OOPS.to_string())
        });
    });
    let url = format!("ftp://u:p@127.0.0.1:{}/new", server.port);
    // 3: the connection is gone, as the contract words it; not 4.
    let run = ferry(&["mkdir", &url]).expect_status(3);
    assert!(
        run.stderr.contains("connection failed")
            && run.stderr.contains("500 OOPS: priv_sock_get_cmd"),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains("refused"), "{}", run.stderr);
}

#[test]
fn an_existing_target_is_refused_by_ferry_not_blamed_on_the_server() {
    let server = UnftpServer::plain();
    fs::write(server.path("there.txt"), b"old").unwrap();
    let local = tempfile::tempdir().unwrap();
    let source = local.path().join("there.txt");
    fs::write(&source, b"new").unwrap();

    let run =
        ferry(&["put", source.to_str().unwrap(), &url(&server, "there.txt")]).expect_status(4);
    assert_eq!(fs::read(server.path("there.txt")).unwrap(), b"old");
    assert!(
        run.stderr.contains(
            "1 existing file(s): not replaced on the server (Ferry replaces a file only when told to)"
        ),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("--overwrite"), "{}", run.stderr);
    // No reply was quoted, because no server said anything.
    assert!(!run.stderr.contains("refused"), "{}", run.stderr);
    assert!(!run.stderr.contains("553"), "{}", run.stderr);

    let run = ferry(&[
        "get",
        &url(&server, "there.txt"),
        local.path().to_str().unwrap(),
    ])
    .expect_status(7);
    assert_eq!(fs::read(&source).unwrap(), b"new");
    assert!(
        run.stderr
            .contains("1 existing file(s): not replaced on this computer"),
        "{}",
        run.stderr
    );
    ferry(&[
        "put",
        "--overwrite",
        source.to_str().unwrap(),
        &url(&server, "there.txt"),
    ])
    .expect_status(0);
    assert_eq!(fs::read(server.path("there.txt")).unwrap(), b"new");
}

#[test]
fn keep_both_without_a_free_name_is_ferrys_refusal_not_the_servers() {
    let server = UnftpServer::plain();
    fs::write(server.path("a.txt"), b"old").unwrap();
    for n in 1..=1000 {
        fs::write(server.path(&format!("a ({n}).txt")), b"old").unwrap();
    }
    let local = tempfile::tempdir().unwrap();
    let source = local.path().join("a.txt");
    fs::write(&source, b"new").unwrap();
    let run = ferry(&[
        "put",
        "--keep-both",
        source.to_str().unwrap(),
        &url(&server, "a.txt"),
    ])
    .expect_status(4);
    assert!(
        run.stderr
            .contains("a.txt: not replaced on the server (no free numbered name"),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains("refused"), "{}", run.stderr);
    assert_eq!(fs::read(server.path("a.txt")).unwrap(), b"old");
}

#[test]
fn a_vsftpd_oops_answering_epsv_is_not_taken_for_an_epsv_refusal() {
    let server = ScriptedServer::start(|peer| {
        peer.greet_and_log_in("220 (vsFTPd 3.0.3)");
        peer.serve_with_listing(b"", |command| match command {
            "FEAT" => Some("211-Features:\r\n EPSV\r\n SIZE\r\n211 End".to_string()),
            "EPSV" => Some(VSFTPD_OOPS.to_string()),
            _ => None,
        });
    });
    let url = format!("ftp://u:p@127.0.0.1:{}/", server.port);
    let run = ferry(&["ls", &url]).expect_status(3);
    assert!(run.stderr.contains("500 OOPS"), "{}", run.stderr);
    // No fallback to PASV on a session that is gone.
    assert!(!run.stderr.contains("using PASV"), "{}", run.stderr);
    let received = server.received();
    assert!(!received.iter().any(|c| c == "PASV"), "{received:?}");
}
/// Makes a FIFO at `path` (coreutils' mkfifo; std has no call for it).
#[cfg(unix)]
fn mkfifo(path: &std::path::Path) {
    let made = std::process::Command::new("mkfifo")
        .arg(path)
        .status()
        .expect("run mkfifo");
    assert!(made.success());
}

#[cfg(unix)]
#[test]
fn get_overwrite_refuses_to_replace_a_fifo_or_a_socket() {
    use std::os::unix::fs::FileTypeExt;
    let server = UnftpServer::plain();
    fs::write(server.path("f.txt"), b"bytes").unwrap();
    let local = tempfile::tempdir().unwrap();
    let fifo = local.path().join("fifo");
    mkfifo(&fifo);
    let socket = local.path().join("socket");
    let _listener = std::os::unix::net::UnixListener::bind(&socket).unwrap();
    for target in [&fifo, &socket] {
        let run = ferry(&[
            "get",
            "--overwrite",
            &url(&server, "f.txt"),
            target.to_str().unwrap(),
        ])
        .expect_status(7);
        assert!(run.stderr.contains("not a regular file"), "{}", run.stderr);
    }
    assert!(fs::symlink_metadata(&fifo).unwrap().file_type().is_fifo());
    assert!(
        fs::symlink_metadata(&socket)
            .unwrap()
            .file_type()
            .is_socket()
    );
    // Nothing else appeared beside them.
    assert_eq!(fs::read_dir(local.path()).unwrap().count(), 2);
}

#[test]
fn timeout_bounds_a_greeting_dripped_a_line_a_second() {
    let server = common::scripted::ScriptedServer::start(|peer| {
        for _ in 0..60 {
            if peer.try_send(b"220-Hello, hello, hello\r\n").is_err() {
                return;
            }
            std::thread::sleep(std::time::Duration::from_secs(1));
        }
    });
    let started = std::time::Instant::now();
    let url = format!("ftp://u:p@127.0.0.1:{}/", server.port);
    let run = ferry(&["--timeout", "2", "ls", &url]).expect_status(3);
    assert!(run.stderr.contains("timed out"), "{}", run.stderr);
    assert!(
        started.elapsed() < std::time::Duration::from_secs(6),
        "{:?}",
        started.elapsed()
    );
}

/// `get` of a folder without -r says what to add (issue 19, point 6).
#[test]
fn get_of_a_folder_without_r_says_to_add_r() {
    let server = UnftpServer::plain();
    fs::create_dir(server.path("photos")).unwrap();
    fs::write(server.path("photos/a.jpg"), b"jpeg").unwrap();
    let local = tempfile::tempdir().unwrap();
    let target = local.path().display().to_string();
    let run = ferry(&["get", &url(&server, "photos"), &target]).expect_status(2);
    assert!(
        run.stderr.contains("photos is a folder: add -r"),
        "{}",
        run.stderr
    );
    // A missing file is no folder: the server's refusal stands.
    let run = ferry(&["get", &url(&server, "nothing.txt"), &target]).expect_status(4);
    assert!(!run.stderr.contains("add -r"), "{}", run.stderr);
    assert!(!local.path().join("photos").exists());
}

/// `--limit-rate` reads curl's spelling and refuses anything else
/// (issue 19, point 3; its accuracy is measured by the benchmark).
#[test]
fn limit_rate_takes_curls_spelling_and_refuses_the_rest() {
    let server = UnftpServer::plain();
    fs::write(server.path("small.txt"), b"small").unwrap();
    let local = tempfile::tempdir().unwrap();
    let target = local.path().join("small.txt").display().to_string();
    ferry(&[
        "get",
        "--limit-rate",
        "2M",
        &url(&server, "small.txt"),
        &target,
    ])
    .expect_status(0);
    assert_eq!(fs::read(&target).unwrap(), b"small");
    let run = ferry(&[
        "get",
        "--limit-rate",
        "fast",
        &url(&server, "small.txt"),
        &target,
    ])
    .expect_status(2);
    assert!(run.stderr.contains("is not a rate"), "{}", run.stderr);
}

/// `ferry find` walks the tree on the server and prints what matches,
/// by name (any case with -i), size and date, within its bounds (issue
/// 19, point 5).
#[test]
fn find_prints_what_matches_in_the_whole_tree() {
    let server = UnftpServer::plain();
    for dir in ["site/docs/old", "site/img", "other"] {
        fs::create_dir_all(server.path(dir)).unwrap();
    }
    fs::write(server.path("site/docs/Manual.PDF"), vec![b'x'; 5000]).unwrap();
    fs::write(server.path("site/docs/old/notes.pdf"), b"tiny").unwrap();
    fs::write(server.path("site/img/logo.png"), b"png").unwrap();
    fs::write(server.path("other/out.pdf"), b"not under site").unwrap();
    let sorted = |run: common::cli::Run| {
        let mut lines: Vec<String> = run.stdout.lines().map(String::from).collect();
        lines.sort();
        lines
    };
    let run = ferry(&["find", "-j", "3", &url(&server, "site"), "*.pdf"]).expect_status(0);
    assert_eq!(sorted(run), ["site/docs/old/notes.pdf"]);
    let run = ferry(&["find", "-i", &url(&server, "site"), "*.pdf"]).expect_status(0);
    assert_eq!(
        sorted(run),
        ["site/docs/Manual.PDF", "site/docs/old/notes.pdf"]
    );
    let run = ferry(&[
        "find",
        "-i",
        "--min-size",
        "1K",
        &url(&server, "site"),
        "*.pdf",
    ])
    .expect_status(0);
    assert_eq!(sorted(run), ["site/docs/Manual.PDF"]);
    let run = ferry(&["find", "--max-depth", "1", &url(&server, "site"), "*"]).expect_status(0);
    assert_eq!(
        sorted(run),
        [
            "site/docs",
            "site/docs/Manual.PDF",
            "site/docs/old",
            "site/img",
            "site/img/logo.png"
        ]
    );
    let run = ferry(&[
        "find",
        "--newer",
        "2000-01-01",
        &url(&server, "site"),
        "*.png",
    ])
    .expect_status(0);
    assert_eq!(sorted(run), ["site/img/logo.png"]);
    let run = ferry(&["find", "--max-entries", "2", &url(&server, "site"), "*"]).expect_status(4);
    assert!(run.stderr.contains("--max-entries"), "{}", run.stderr);
    let run = ferry(&["find", "--min-size", "big", &url(&server, "site"), "*"]).expect_status(2);
    assert!(run.stderr.contains("not a size"), "{}", run.stderr);
}

/// `--verify` checks transfers against the server's checksum (the test
/// server gives SITE MD5), `ferry check` compares trees by checksums
/// (issue 19, point 2).
#[test]
fn transfers_are_verified_and_trees_checked_by_checksum() {
    let server = UnftpServer::plain();
    fs::create_dir_all(server.path("site/css")).unwrap();
    fs::write(server.path("site/index.html"), b"<h1>home</h1>").unwrap();
    fs::write(server.path("site/css/main.css"), b"body { color: red }").unwrap();
    let local = tempfile::tempdir().unwrap();
    let target = local.path().join("index.html").display().to_string();
    let run = ferry(&[
        "-v",
        "get",
        "--verify",
        &url(&server, "site/index.html"),
        &target,
    ])
    .expect_status(0);
    assert!(
        run.stderr.contains("MD5") && run.stderr.contains("checked"),
        "{}",
        run.stderr
    );
    let upload = local.path().join("up.txt");
    fs::write(&upload, b"uploaded and checked").unwrap();
    let run = ferry(&[
        "-v",
        "put",
        "--verify",
        &upload.display().to_string(),
        &url(&server, "site/up.txt"),
    ])
    .expect_status(0);
    assert!(run.stderr.contains("checked"), "{}", run.stderr);

    let copy = local.path().join("copy");
    ferry(&[
        "get",
        "-r",
        &url(&server, "site"),
        &copy.display().to_string(),
    ])
    .expect_status(0);
    let here = copy.join("site").display().to_string();
    let run = ferry(&["check", &url(&server, "site"), &here]).expect_status(0);
    assert!(
        run.stderr.contains("3 checked by checksum, 0 differing"),
        "{}",
        run.stderr
    );
    // The same size, other bytes: only a checksum tells.
    fs::write(server.path("site/css/main.css"), b"body { color: RED }").unwrap();
    fs::write(copy.join("site/extra.txt"), b"only here").unwrap();
    let run = ferry(&["check", &url(&server, "site"), &here]).expect_status(1);
    assert!(
        run.stdout.contains("differs: site/css/main.css"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("only here:") && run.stdout.contains("extra.txt"),
        "{}",
        run.stdout
    );
    assert!(!run.stdout.contains("index.html"), "{}", run.stdout);
}

/// A server without any checksum command: `--verify` says so once and
/// the transfer goes on; `check` cannot check (status 4).
#[test]
fn a_server_without_checksums_is_said_to_have_none() {
    let server = FaultyServer::start(Tree::new().file("/a.txt", b"aaa"), Faults::default());
    let local = tempfile::tempdir().unwrap();
    let target = local.path().join("a.txt").display().to_string();
    let url = server.url("/a.txt");
    let run = ferry(&["get", "--verify", &url, &target]).expect_status(0);
    assert!(
        run.stderr.contains("offers no checksum command"),
        "{}",
        run.stderr
    );
    assert_eq!(fs::read(&target).unwrap(), b"aaa");
    let run = ferry(&["check", &url, &target]).expect_status(4);
    assert!(
        run.stderr.contains("offers no checksum command"),
        "{}",
        run.stderr
    );
}

/// A download whose bytes do not match the server's checksum fails, and
/// nothing is put in place: the partial file is kept (issue 19, point 2).
/// The same for an upload. A right checksum passes (SHA-256 by XSHA256).
#[test]
fn a_transfer_that_does_not_match_the_servers_checksum_fails() {
    let tree = || Tree::new().file("/report.pdf", vec![5u8; 200_000]);
    let local = tempfile::tempdir().unwrap();
    let target = local.path().join("report.pdf");
    let good = FaultyServer::start(
        tree(),
        Faults {
            xsha256: Some(true),
            ..Faults::default()
        },
    );
    let run = ferry(&[
        "-v",
        "get",
        "--verify",
        &good.url("/report.pdf"),
        &target.display().to_string(),
    ])
    .expect_status(0);
    assert!(
        run.stderr.contains("SHA-256") && run.stderr.contains("checked"),
        "{}",
        run.stderr
    );
    fs::remove_file(&target).unwrap();

    let bad = FaultyServer::start(
        tree(),
        Faults {
            xsha256: Some(false),
            ..Faults::default()
        },
    );
    let run = ferry(&[
        "get",
        "--verify",
        "--retries",
        "0",
        &bad.url("/report.pdf"),
        &target.display().to_string(),
    ])
    .expect_status(4);
    assert!(
        run.stderr.contains("do not match the server's checksum"),
        "{}",
        run.stderr
    );
    assert!(!target.exists(), "nothing put in place");
    let kept: Vec<String> = fs::read_dir(local.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(kept.iter().any(|n| n.ends_with(".ferry-part")), "{kept:?}");

    let source = local.path().join("up.bin");
    fs::write(&source, vec![9u8; 50_000]).unwrap();
    let run = ferry(&[
        "put",
        "--verify",
        "--retries",
        "0",
        &source.display().to_string(),
        &bad.url("/up.bin"),
    ])
    .expect_status(4);
    assert!(
        run.stderr.contains("does not match what was sent"),
        "{}",
        run.stderr
    );
}

/// `mirror --checksum` tells a changed file of the same size by its
/// checksum, where size and time say "unchanged" (issue 19, point 2).
#[test]
fn mirror_with_checksum_finds_a_same_size_change_that_times_miss() {
    let server = UnftpServer::plain();
    fs::create_dir(server.path("site")).unwrap();
    fs::write(server.path("site/changed.txt"), b"AAAA").unwrap();
    fs::write(server.path("site/same.txt"), b"same").unwrap();
    let local = tempfile::tempdir().unwrap();
    let copy = local.path().join("copy");
    fs::create_dir(&copy).unwrap();
    // Many of them, on several connections: each is compared (and sent)
    // once, never by two connections at a time.
    for i in 0..20 {
        fs::write(server.path(&format!("site/f{i:02}.txt")), b"AAAA").unwrap();
    }
    // Newer here, the same size: by size and time, nothing to do.
    std::thread::sleep(std::time::Duration::from_millis(1100));
    fs::write(copy.join("changed.txt"), b"BBBB").unwrap();
    fs::write(copy.join("same.txt"), b"same").unwrap();
    for i in 0..20 {
        fs::write(copy.join(format!("f{i:02}.txt")), b"BBBB").unwrap();
    }
    let target = copy.display().to_string();
    ferry(&["mirror", &url(&server, "site"), &target]).expect_status(0);
    assert_eq!(
        fs::read(copy.join("changed.txt")).unwrap(),
        b"BBBB",
        "missed by time"
    );
    let site = url(&server, "site");
    let run = ferry(&["-v", "mirror", "-j", "4", "--checksum", &site, &target]).expect_status(0);
    assert_eq!(fs::read(copy.join("changed.txt")).unwrap(), b"AAAA");
    for i in 0..20 {
        assert_eq!(
            fs::read(copy.join(format!("f{i:02}.txt"))).unwrap(),
            b"AAAA"
        );
    }
    assert!(run.stderr.contains("the same checksum"), "{}", run.stderr);
}

/// A big download's checksum is asked on a second login while it runs:
/// a wrong one still fails it, a right one passes.
#[test]
fn a_big_downloads_checksum_asked_beside_it_is_checked_all_the_same() {
    let big = vec![3u8; 64 * 1024 * 1024 + 1];
    let local = tempfile::tempdir().unwrap();
    let target = local.path().join("big.bin");
    for (right, status) in [(true, 0), (false, 4)] {
        let _ = fs::remove_file(&target);
        let server = FaultyServer::start(
            Tree::new().file("/big.bin", big.clone()),
            Faults {
                xsha256: Some(right),
                ..Faults::default()
            },
        );
        let run = ferry(&[
            "-v",
            "get",
            "--verify",
            "--retries",
            "0",
            &server.url("/big.bin"),
            &target.display().to_string(),
        ])
        .expect_status(status);
        // Two logins: the transfer's, and the one that asked the checksum.
        let logins = run.stderr.matches("Connecting to").count();
        assert!(logins >= 2, "{}", run.stderr);
        assert_eq!(target.exists(), right, "{}", run.stderr);
    }
}
