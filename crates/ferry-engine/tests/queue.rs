//! The transfer queue against a real in-process FTP server: trees, the
//! "file exists" policy, timestamps, retrying and the local-symlink guard.

use ferry_testkit as common;

use std::fs;
use std::path::Path;
use std::time::{Duration, SystemTime};

#[cfg(target_os = "linux")]
use common::alone::alone;
use common::harness::options;
#[cfg(target_os = "linux")]
use common::harness::peak_rss_kib;
use common::queue::{QueueRun, download, snapshot, upload};
use common::unftp::UnftpServer;
use ferry_engine::engine::ConnectOptions;
use ferry_engine::engine::queue::{
    ExistsPolicy, ItemState, QueueCommand, QueueEvent, QueueOptions,
};

const USER: &str = "alice";
const PASSWORD: &str = "s3cret-pw";

fn connect(server: &UnftpServer) -> ConnectOptions {
    options(server.port, USER, PASSWORD)
}

fn queue_options(connections: usize, exists: ExistsPolicy) -> QueueOptions {
    QueueOptions {
        connections,
        exists,
        retry_delay: Duration::from_millis(50),
        ..QueueOptions::default()
    }
}

/// Nested folders, an empty one, spaces and non-ASCII names, a file big
/// enough for several buffers.
fn make_tree(root: &Path) {
    let big: Vec<u8> = (0..1_500_000u32).map(|i| (i * 7 % 251) as u8).collect();
    fs::create_dir_all(root.join("a/b/c")).unwrap();
    fs::create_dir_all(root.join("empty")).unwrap();
    fs::create_dir_all(root.join("with space/ünï ©ode")).unwrap();
    fs::write(root.join("top.txt"), b"top").unwrap();
    fs::write(root.join("a/one.bin"), &big).unwrap();
    fs::write(root.join("a/b/two.txt"), b"two").unwrap();
    fs::write(root.join("a/b/c/zero"), b"").unwrap();
    fs::write(root.join("with space/file name.txt"), b"spaces").unwrap();
    fs::write(root.join("with space/ünï ©ode/日本語.txt"), "こんにちは").unwrap();
}

#[test]
fn a_tree_round_trips_byte_for_byte_with_empty_folders_and_odd_names() {
    let server = UnftpServer::plain();
    make_tree(&server.path("tree"));
    let local = tempfile::tempdir().unwrap();
    let target = local.path().join("tree");

    let mut run = QueueRun::start(connect(&server), queue_options(3, ExistsPolicy::Skip));
    run.run(download("tree", &target, true));
    assert_eq!(snapshot(&target), snapshot(&server.path("tree")));
    assert_eq!(run.count(|s| matches!(s, ItemState::Failed(_))), 0);
    let Some(QueueEvent::Idle(overall)) = run.seen.last().cloned() else {
        panic!("ends idle")
    };
    assert_eq!(overall.files_total, 6);
    assert_eq!(overall.files_done, 6);
    assert_eq!(
        overall.bytes_done,
        1_500_000 + 3 + 3 + 6 + "こんにちは".len() as u64
    );
    // No partial file is left behind.
    assert!(
        !snapshot(&target)
            .iter()
            .any(|(p, _)| p.ends_with(".ferry-part"))
    );

    // And back up, into a new folder, on the same queue.
    run.run(upload(&target, "copy", true));
    assert_eq!(snapshot(&server.path("copy")), snapshot(&target));
}

#[test]
fn downloads_carry_the_servers_modification_time() {
    let server = UnftpServer::plain();
    let file = server.path("dated.txt");
    fs::write(&file, b"old news").unwrap();
    let when = SystemTime::UNIX_EPOCH + Duration::from_secs(1_577_934_245); // 2020-01-02 03:04:05 UTC
    fs::File::options()
        .write(true)
        .open(&file)
        .unwrap()
        .set_modified(when)
        .unwrap();
    let local = tempfile::tempdir().unwrap();
    let target = local.path().join("dated.txt");
    let mut run = QueueRun::start(connect(&server), queue_options(1, ExistsPolicy::Skip));
    run.run(download("dated.txt", &target, false));
    assert_eq!(fs::metadata(&target).unwrap().modified().unwrap(), when);

    // Without the option, the file is dated now.
    fs::remove_file(&target).unwrap();
    let mut opts = queue_options(1, ExistsPolicy::Skip);
    opts.download_times = false;
    let mut run = QueueRun::start(connect(&server), opts);
    run.run(download("dated.txt", &target, false));
    let age = SystemTime::now().duration_since(fs::metadata(&target).unwrap().modified().unwrap());
    assert!(age.unwrap() < Duration::from_secs(60));
}

fn policy_run(server: &UnftpServer, target: &Path, policy: ExistsPolicy) -> QueueRun {
    let mut run = QueueRun::start(connect(server), queue_options(1, policy));
    run.run(download("f.txt", target, false));
    run
}

#[test]
fn an_existing_download_target_follows_the_policy() {
    let server = UnftpServer::plain();
    fs::write(server.path("f.txt"), b"from the server").unwrap();
    let local = tempfile::tempdir().unwrap();
    let target = local.path().join("f.txt");

    fs::write(&target, b"mine").unwrap();
    let run = policy_run(&server, &target, ExistsPolicy::Skip);
    assert!(matches!(run.state_of("f.txt")[..], [ItemState::Skipped(_)]));
    assert_eq!(fs::read(&target).unwrap(), b"mine");

    // Same size as the server's file: "size differs" leaves it.
    fs::write(&target, b"same size here!").unwrap();
    policy_run(&server, &target, ExistsPolicy::OverwriteIfSizeDiffers);
    assert_eq!(fs::read(&target).unwrap(), b"same size here!");
    fs::write(&target, b"other size").unwrap();
    policy_run(&server, &target, ExistsPolicy::OverwriteIfSizeDiffers);
    assert_eq!(fs::read(&target).unwrap(), b"from the server");

    // Newer local file: "if newer" leaves it; an old one is replaced.
    fs::write(&target, b"newer local").unwrap();
    policy_run(&server, &target, ExistsPolicy::OverwriteIfNewer);
    assert_eq!(fs::read(&target).unwrap(), b"newer local");
    let old = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000_000);
    fs::File::options()
        .write(true)
        .open(&target)
        .unwrap()
        .set_modified(old)
        .unwrap();
    policy_run(&server, &target, ExistsPolicy::OverwriteIfNewer);
    assert_eq!(fs::read(&target).unwrap(), b"from the server");

    // Rename keeps both.
    fs::write(&target, b"keep me").unwrap();
    let run = policy_run(&server, &target, ExistsPolicy::Rename);
    assert_eq!(fs::read(&target).unwrap(), b"keep me");
    assert_eq!(
        fs::read(local.path().join("f (1).txt")).unwrap(),
        b"from the server"
    );
    assert!(
        run.seen
            .iter()
            .any(|e| matches!(e, QueueEvent::Retargeted { .. }))
    );

    // Resume continues a shorter copy.
    fs::write(&target, b"from the").unwrap();
    policy_run(&server, &target, ExistsPolicy::Resume);
    assert_eq!(fs::read(&target).unwrap(), b"from the server");

    fs::write(&target, b"replace me").unwrap();
    policy_run(&server, &target, ExistsPolicy::Overwrite);
    assert_eq!(fs::read(&target).unwrap(), b"from the server");
}

#[test]
fn ask_waits_for_an_answer_and_for_all_answers_the_rest() {
    let server = UnftpServer::plain();
    for name in ["a", "b", "c"] {
        fs::create_dir_all(server.path("d")).unwrap();
        fs::write(
            server.path(&format!("d/{name}.txt")),
            format!("server {name}"),
        )
        .unwrap();
    }
    let local = tempfile::tempdir().unwrap();
    let target = local.path().join("d");
    fs::create_dir(&target).unwrap();
    for name in ["a", "b", "c"] {
        fs::write(target.join(format!("{name}.txt")), "mine").unwrap();
    }
    let mut run = QueueRun::start(connect(&server), queue_options(1, ExistsPolicy::Ask));
    run.queue.add(download("d", &target, true));
    // The first conflict asks; answer it alone with "skip".
    let mut first = None;
    run.until(|e| match e {
        QueueEvent::State {
            id,
            state: ItemState::Asking { target, .. },
        } => {
            assert_eq!(target.size, Some(4));
            first = Some(*id);
            true
        }
        _ => false,
    });
    let first = first.unwrap();
    run.send(QueueCommand::Answer {
        id: first,
        policy: ExistsPolicy::Skip,
        for_all: false,
    });
    // The next asks too; "overwrite, for all" settles every other one.
    let mut second = None;
    run.until(|e| match e {
        QueueEvent::State {
            id,
            state: ItemState::Asking { .. },
        } if *id != first => {
            second = Some(*id);
            true
        }
        _ => false,
    });
    run.send(QueueCommand::Answer {
        id: second.unwrap(),
        policy: ExistsPolicy::Overwrite,
        for_all: true,
    });
    run.until_idle();
    let contents: Vec<String> = ["a", "b", "c"]
        .iter()
        .map(|n| fs::read_to_string(target.join(format!("{n}.txt"))).unwrap())
        .collect();
    assert_eq!(contents.iter().filter(|c| *c == "mine").count(), 1);
    assert_eq!(
        contents.iter().filter(|c| c.starts_with("server")).count(),
        2
    );
}

#[test]
fn a_failed_item_fails_alone_and_can_be_retried() {
    let server = UnftpServer::plain();
    fs::write(server.path("here.txt"), b"here").unwrap();
    let local = tempfile::tempdir().unwrap();
    let mut run = QueueRun::start(connect(&server), queue_options(2, ExistsPolicy::Skip));
    run.queue.add(download(
        "missing.txt",
        &local.path().join("missing.txt"),
        false,
    ));
    run.queue
        .add(download("here.txt", &local.path().join("here.txt"), false));
    run.until_idle();
    let [ItemState::Failed(err)] = &run.state_of("missing.txt")[..] else {
        panic!("{:?}", run.state_of("missing.txt"))
    };
    assert!(
        matches!(
            err,
            ferry_engine::engine::Error::Permanent { code: 550, .. }
        ),
        "{err:?}"
    );
    // A permanent error is not retried.
    assert_eq!(run.retries(), 0);
    assert_eq!(fs::read(local.path().join("here.txt")).unwrap(), b"here");

    fs::write(server.path("missing.txt"), b"now here").unwrap();
    let id = *run
        .specs
        .iter()
        .find(|(_, s)| s.remote == "missing.txt")
        .unwrap()
        .0;
    run.send(QueueCommand::Retry(id));
    run.until_idle();
    assert_eq!(run.state_of("missing.txt"), [ItemState::Done]);
    assert_eq!(
        fs::read(local.path().join("missing.txt")).unwrap(),
        b"now here"
    );
}

#[cfg(unix)]
#[test]
fn a_planted_local_symlink_is_never_written_through() {
    let server = UnftpServer::plain();
    fs::create_dir_all(server.path("t/sub")).unwrap();
    fs::write(server.path("t/sub/evil.txt"), b"evil").unwrap();
    fs::write(server.path("t/file.txt"), b"evil too").unwrap();
    let local = tempfile::tempdir().unwrap();
    let outside = tempfile::tempdir().unwrap();
    let target = local.path().join("t");
    fs::create_dir(&target).unwrap();
    // A folder link and a file link, both pointing out of the target.
    std::os::unix::fs::symlink(outside.path(), target.join("sub")).unwrap();
    fs::write(outside.path().join("file.txt"), b"precious").unwrap();
    std::os::unix::fs::symlink(outside.path().join("file.txt"), target.join("file.txt")).unwrap();

    let mut run = QueueRun::start(connect(&server), queue_options(2, ExistsPolicy::Overwrite));
    run.run(download("t", &target, true));
    assert!(matches!(run.state_of("t/sub")[..], [ItemState::Failed(_)]));
    assert!(matches!(
        run.state_of("t/file.txt")[..],
        [ItemState::Failed(_)]
    ));
    assert_eq!(
        fs::read(outside.path().join("file.txt")).unwrap(),
        b"precious"
    );
    assert!(!outside.path().join("evil.txt").exists());
    assert_eq!(fs::read_dir(outside.path()).unwrap().count(), 1);
}

#[test]
fn an_upload_tree_into_existing_files_skips_or_replaces_them() {
    let server = UnftpServer::plain();
    let local = tempfile::tempdir().unwrap();
    let source = local.path().join("site");
    fs::create_dir_all(source.join("css")).unwrap();
    fs::write(source.join("index.html"), b"<new>").unwrap();
    fs::write(source.join("css/site.css"), b"body{}").unwrap();
    fs::create_dir_all(server.path("site")).unwrap();
    fs::write(server.path("site/index.html"), b"<old>").unwrap();

    let mut run = QueueRun::start(connect(&server), queue_options(2, ExistsPolicy::Skip));
    run.run(upload(&source, "site", true));
    assert_eq!(fs::read(server.path("site/index.html")).unwrap(), b"<old>");
    assert_eq!(
        fs::read(server.path("site/css/site.css")).unwrap(),
        b"body{}"
    );
    assert!(matches!(
        run.state_of("site/index.html")[..],
        [ItemState::Skipped(_)]
    ));

    let mut run = QueueRun::start(connect(&server), queue_options(2, ExistsPolicy::Overwrite));
    run.run(upload(&source, "site", true));
    assert_eq!(fs::read(server.path("site/index.html")).unwrap(), b"<new>");
}

#[cfg(target_os = "linux")]
#[test]
fn ten_thousand_small_files_arrive_with_steady_memory() {
    // Its peak memory, threads and files are its own (common::alone).
    if !alone("ten_thousand_small_files_arrive_with_steady_memory") {
        return;
    }
    let server = UnftpServer::plain();
    for folder in 0..100 {
        let dir = server.path(&format!("many/d{folder:03}"));
        fs::create_dir_all(&dir).unwrap();
        for file in 0..100 {
            fs::write(
                dir.join(format!("f{file:03}.txt")),
                format!("{folder}-{file}"),
            )
            .unwrap();
        }
    }
    let local = tempfile::tempdir().unwrap();
    let before = peak_rss_kib();
    // libunftp answers each transfer after about 40 ms (vsftpd after 1):
    // ten connections keep the test short.
    let mut opts = queue_options(10, ExistsPolicy::Skip);
    opts.download_times = false;
    let mut run = QueueRun::start(connect(&server), opts);
    run.run(download("many", &local.path().join("many"), true));
    assert_eq!(run.count(|s| matches!(s, ItemState::Failed(_))), 0);
    let Some(QueueEvent::Idle(overall)) = run.seen.last().cloned() else {
        panic!("ends idle")
    };
    assert_eq!(overall.files_done, 10_000);
    assert_eq!(
        fs::read_to_string(local.path().join("many/d042/f017.txt")).unwrap(),
        "42-17"
    );
    // 10 000 items of bookkeeping, the events this test keeps, and the
    // in-process server: well under 100 MiB more than before.
    let grown = peak_rss_kib().saturating_sub(before);
    assert!(grown < 100 * 1024, "peak memory grew by {grown} KiB");
}

/// Paused, the queue starts nothing (no login, no file) however long it
/// waits; resumed, it does everything it was given.
#[test]
fn a_paused_queue_starts_nothing_until_it_is_resumed() {
    use common::faulty::{Faults, FaultyServer, Tree};
    let server = FaultyServer::start(
        Tree::new().file("/a.txt", "a").file("/b.txt", "b"),
        Faults::default(),
    );
    let local = tempfile::tempdir().unwrap();
    let mut run = QueueRun::start(
        options(server.port, "user", "pw"),
        queue_options(2, ExistsPolicy::Skip),
    );
    run.send(QueueCommand::Pause(true));
    for name in ["a.txt", "b.txt"] {
        run.send(QueueCommand::Add(download(
            name,
            &local.path().join(name),
            false,
        )));
    }
    // Its items are known, and nothing moves.
    run.until(|e| matches!(e, QueueEvent::Added { .. }));
    run.until(|e| matches!(e, QueueEvent::Added { .. }));
    std::thread::sleep(Duration::from_millis(600));
    while let Ok(event) = run.events.try_recv() {
        let started =
            matches!(&event, QueueEvent::State { state, .. } if *state != ItemState::Queued);
        assert!(!started, "an item moved while paused: {event:?}");
    }
    assert_eq!(server.connections_accepted(), 0);
    assert!(!local.path().join("a.txt").exists());
    run.send(QueueCommand::Pause(false));
    run.until_idle();
    assert_eq!(fs::read(local.path().join("a.txt")).unwrap(), b"a");
    assert_eq!(fs::read(local.path().join("b.txt")).unwrap(), b"b");
}

/// With text extensions set (FileZilla's "Auto"), a .txt file goes in
/// text mode (line endings converted) and anything else in binary, the
/// session switching TYPE only when the next file needs the other.
#[test]
fn text_files_go_in_text_mode_by_extension_and_the_rest_in_binary() {
    use common::faulty::{Faults, FaultyServer, Tree};
    let lines = "one\r\ntwo\r\n";
    let server = FaultyServer::start(
        Tree::new()
            .file("/a.txt", lines)
            .file("/b.bin", lines)
            .file("/c.TXT", lines),
        Faults::default(),
    );
    let local = tempfile::tempdir().unwrap();
    let mut run = QueueRun::start(
        options(server.port, "user", "pw"),
        QueueOptions {
            connections: 1,
            text_extensions: vec!["txt".to_string(), "html".to_string()],
            ..queue_options(1, ExistsPolicy::Skip)
        },
    );
    for name in ["a.txt", "b.bin", "c.TXT"] {
        run.send(QueueCommand::Add(download(
            name,
            &local.path().join(name),
            false,
        )));
    }
    run.until_idle();
    let read = |name: &str| fs::read(local.path().join(name)).unwrap();
    assert_eq!(read("a.txt"), b"one\ntwo\n");
    assert_eq!(read("c.TXT"), b"one\ntwo\n");
    assert_eq!(read("b.bin"), lines.as_bytes());
    // TYPE A before each text file that follows a binary one, TYPE I
    // before the binary one; no TYPE between two files of one kind.
    let sent: Vec<String> = server
        .commands()
        .into_iter()
        .filter(|c| c.starts_with("TYPE") || c.starts_with("RETR"))
        .collect();
    assert_eq!(
        sent,
        [
            "TYPE I",
            "TYPE A",
            "RETR a.txt",
            "TYPE I",
            "RETR b.bin",
            "TYPE A",
            "RETR c.TXT"
        ],
        "{sent:?}"
    );
}
