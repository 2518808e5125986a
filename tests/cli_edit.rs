//! `ferry edit` and `ferry watch` as a person (or a script) runs them,
//! against the in-process server, with shell scripts for editors.

mod common;

use std::fs;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::cli::ferry_with;
use common::unftp::UnftpServer;

fn url(server: &UnftpServer, path: &str) -> String {
    format!("ftp://alice:s3cret-pw@127.0.0.1:{}/{path}", server.port)
}

/// An executable shell script standing in for an editor; it gets the
/// file's path as `$1`.
fn editor(dir: &Path, name: &str, body: &str) -> String {
    let path = dir.join(name);
    fs::write(&path, format!("#!/bin/sh\nset -e\n{body}\n")).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(&path, fs::Permissions::from_mode(0o755)).unwrap();
    }
    path.display().to_string()
}

fn edit(server: &UnftpServer, path: &str, editor: &str, extra: &[&str]) -> common::cli::Run {
    let url = url(server, path);
    let mut args = vec!["edit"];
    args.extend_from_slice(extra);
    args.push(&url);
    ferry_with(&args, &[("VISUAL", ""), ("EDITOR", editor)], None)
}

#[test]
fn edit_uploads_a_saved_file_once_and_nothing_when_it_was_not_changed() {
    let server = UnftpServer::plain();
    fs::create_dir(server.path("www")).unwrap();
    fs::write(server.path("www/index.html"), b"<p>old</p>\n").unwrap();
    let scripts = tempfile::tempdir().unwrap();
    let record = scripts.path().join("record");
    let appends = editor(
        scripts.path(),
        "append",
        &format!(
            "echo \"$1\" > {rec}\nstat -c %a \"$(dirname \"$1\")\" >> {rec}\nstat -c %a \"$(dirname \"$(dirname \"$1\")\")\" >> {rec}\necho '<p>new</p>' >> \"$1\"",
            rec = record.display()
        ),
    );
    let run = edit(&server, "www/index.html", &appends, &[]).expect_status(0);
    assert_eq!(
        fs::read(server.path("www/index.html")).unwrap(),
        b"<p>old</p>\n<p>new</p>\n"
    );
    assert!(
        run.stderr.contains("www/index.html: uploaded"),
        "{}",
        run.stderr
    );
    let recorded = fs::read_to_string(&record).unwrap();
    let mut lines = recorded.lines();
    let copy = Path::new(lines.next().unwrap());
    assert_eq!(
        copy.file_name().unwrap(),
        "index.html",
        "the file keeps its name"
    );
    assert_eq!(lines.next(), Some("700"), "a private folder");
    assert_eq!(lines.next(), Some("700"));
    assert!(
        !copy.exists() && !copy.parent().unwrap().exists(),
        "removed after the upload"
    );

    // Saved without a change: nothing is sent.
    let before = fs::metadata(server.path("www/index.html"))
        .unwrap()
        .modified()
        .unwrap();
    std::thread::sleep(Duration::from_millis(1100));
    let touches = editor(scripts.path(), "touch", "touch \"$1\"");
    let run = edit(&server, "www/index.html", &touches, &[]).expect_status(0);
    assert!(
        run.stderr.contains("not changed; nothing uploaded"),
        "{}",
        run.stderr
    );
    let after = fs::metadata(server.path("www/index.html"))
        .unwrap()
        .modified()
        .unwrap();
    assert_eq!(before, after);
}

#[test]
fn edit_follows_an_editor_that_saves_by_renaming_a_new_file_over_the_old() {
    let server = UnftpServer::plain();
    fs::write(server.path("notes.txt"), b"one\n").unwrap();
    let scripts = tempfile::tempdir().unwrap();
    let renames = editor(
        scripts.path(),
        "vim-like",
        "printf 'two\\n' > \"$1.new\"\nmv \"$1.new\" \"$1\"",
    );
    edit(&server, "notes.txt", &renames, &[]).expect_status(0);
    assert_eq!(fs::read(server.path("notes.txt")).unwrap(), b"two\n");
}

#[test]
fn edit_never_overwrites_a_file_that_changed_on_the_server_meanwhile() {
    let server = UnftpServer::plain();
    let theirs = server.path("page.txt");
    fs::write(&theirs, b"original").unwrap();
    let scripts = tempfile::tempdir().unwrap();
    // While "editing", someone else changes the file on the server.
    let racing = editor(
        scripts.path(),
        "racing",
        &format!("printf '+' >> {}\nprintf 'mine' > \"$1\"", theirs.display()),
    );
    let run = edit(&server, "page.txt", &racing, &[]).expect_status(4);
    assert_eq!(fs::read(&theirs).unwrap(), b"original+");
    assert!(
        run.stderr.contains("changed on the server"),
        "{}",
        run.stderr
    );
    let kept = run
        .stderr
        .split("your copy is kept in ")
        .nth(1)
        .and_then(|rest| rest.split([')', '\n']).next())
        .unwrap_or_else(|| panic!("{}", run.stderr));
    let copies: Vec<_> = walk(Path::new(kept));
    assert_eq!(copies.len(), 1, "{copies:?}");
    assert_eq!(fs::read(&copies[0]).unwrap(), b"mine", "nothing lost");
    fs::remove_dir_all(kept).unwrap();

    // Decided in advance: beside theirs, or over it.
    edit(&server, "page.txt", &racing, &["--keep-both"]).expect_status(0);
    assert_eq!(fs::read(&theirs).unwrap(), b"original++");
    assert_eq!(fs::read(server.path("page (1).txt")).unwrap(), b"mine");
    edit(&server, "page.txt", &racing, &["--overwrite"]).expect_status(0);
    assert_eq!(fs::read(&theirs).unwrap(), b"mine");
}

#[test]
fn an_editor_that_fails_after_a_change_uploads_nothing_and_keeps_the_copy() {
    let server = UnftpServer::plain();
    fs::write(server.path("a.txt"), b"a").unwrap();
    let scripts = tempfile::tempdir().unwrap();
    let fails = editor(scripts.path(), "fails", "printf 'half' > \"$1\"\nexit 3");
    let run = edit(&server, "a.txt", &fails, &[]).expect_status(7);
    assert_eq!(fs::read(server.path("a.txt")).unwrap(), b"a");
    assert!(
        run.stderr
            .contains("nothing uploaded; your copy is kept in"),
        "{}",
        run.stderr
    );
    let run = edit(&server, "", &fails, &[]).expect_status(2);
    assert!(run.stderr.contains("must name a file"), "{}", run.stderr);
}

fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files.extend(walk(&path));
        } else {
            files.push(path);
        }
    }
    files
}

#[test]
fn watch_sends_changes_until_ctrl_c_and_then_ends_cleanly() {
    let server = UnftpServer::plain();
    fs::create_dir(server.path("site")).unwrap();
    let local = tempfile::tempdir().unwrap();
    fs::write(local.path().join("first.txt"), b"first").unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_ferry"))
        .args(["watch", "--delete"])
        .arg(local.path())
        .arg(url(&server, "site"))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let (lines, said) = crossbeam_channel::unbounded();
    let stdout = BufReader::new(child.stdout.take().unwrap());
    let stderr = BufReader::new(child.stderr.take().unwrap());
    for (pipe, name) in [
        (Box::new(stdout) as Box<dyn BufRead + Send>, "out"),
        (Box::new(stderr), "err"),
    ] {
        let lines = lines.clone();
        std::thread::spawn(move || {
            for line in pipe.lines().map_while(Result::ok) {
                let _ = lines.send(format!("{name}: {line}"));
            }
        });
    }
    drop(lines);
    let mut seen = Vec::new();
    let mut wait_for = |what: &str| {
        let end = Instant::now() + Duration::from_secs(30);
        while !seen.iter().any(|l: &String| l.contains(what)) {
            let left = end.saturating_duration_since(Instant::now());
            match said.recv_timeout(left) {
                Ok(line) => seen.push(line),
                Err(_) => panic!("no {what:?} within 30 s: {seen:?}"),
            }
        }
    };
    wait_for("err: ferry: in step; watching");
    assert_eq!(fs::read(server.path("site/first.txt")).unwrap(), b"first");

    fs::write(local.path().join("second.txt"), b"second").unwrap();
    fs::remove_file(local.path().join("first.txt")).unwrap();
    wait_for("out: deleted site/first.txt");
    // A big file being sent when Ctrl-C comes is sent whole.
    // (Written beside the folder and moved in whole: a file still being
    // written when its burst settles is sent again after.)
    let big: Vec<u8> = (0..30_000_000u32).map(|i| (i % 251) as u8).collect();
    let outside = tempfile::tempdir_in(local.path().parent().unwrap()).unwrap();
    fs::write(outside.path().join("big.bin"), &big).unwrap();
    fs::rename(outside.path().join("big.bin"), local.path().join("big.bin")).unwrap();
    wait_for("out: sent site/second.txt");
    let end = Instant::now() + Duration::from_secs(30);
    while !server.path("site/big.bin").exists() {
        assert!(
            Instant::now() < end,
            "the big file was not started: {seen:?}"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    let pid = child.id().to_string();
    Command::new("kill").args(["-INT", &pid]).status().unwrap();
    let status = child.wait().unwrap();
    let rest: Vec<String> = said.iter().collect();
    assert_eq!(status.code(), Some(0), "{seen:?} {rest:?}");
    assert!(
        rest.iter()
            .any(|l| l.contains("stopping once the files under way are sent")),
        "{rest:?}"
    );
    assert!(
        rest.iter().any(|l| l == "out: sent site/big.bin"),
        "{rest:?}"
    );
    assert!(
        fs::read(server.path("site/big.bin")).unwrap() == big,
        "sent whole"
    );
    assert!(
        !seen
            .iter()
            .chain(&rest)
            .any(|l| l.contains("sent site/first.txt")),
        "the first mirror's files are not listed"
    );
    assert_eq!(fs::read(server.path("site/second.txt")).unwrap(), b"second");
}
