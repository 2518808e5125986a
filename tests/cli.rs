//! The `ferry` binary as a script uses it, against a real in-process server.

mod common;

use std::fs;

use common::cli::{ferry, ferry_with};
use common::faulty::{Faults, FaultyServer, Tree};
use common::unftp::UnftpServer;

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
