//! Keeping a server folder up to date with a local one, against the
//! in-process server: the first mirror, then creates, writes, renames
//! and deletes as they happen, a burst, an outage, and the watched
//! folder itself going away.

use ferry_testkit as common;

use std::fs;
use std::path::Path;
use std::time::{Duration, Instant};

use common::gate::Gate;
use common::harness::options;
use common::unftp::UnftpServer;
use crossbeam_channel::Receiver;
use ferry_engine::engine::ConnectOptions;
use ferry_engine::engine::queue::{ItemKind, NameFilter, QueueEvent, QueueOptions};
use ferry_engine::engine::watch::{
    DEFAULT_QUIET, KeepUpToDate, WatchEvent, WatchOptions, default_excludes,
};

fn watch_options(local: &Path, remote: &str, delete: bool) -> WatchOptions {
    WatchOptions {
        local: local.to_path_buf(),
        remote: remote.to_string(),
        delete,
        queue: QueueOptions {
            max_attempts: 2,
            retry_delay: Duration::from_millis(50),
            filter: NameFilter {
                include: Vec::new(),
                exclude: default_excludes(),
            },
            ..QueueOptions::default()
        },
        quiet: DEFAULT_QUIET,
        first_item_id: 0,
    }
}

fn connect(port: u16) -> ConnectOptions {
    options(port, "alice", "s3cret-pw")
}

/// Everything the watch said so far, kept for the test's checks.
struct Seen {
    events: Receiver<WatchEvent>,
    log: Vec<String>,
    transfers_added: usize,
    in_step: usize,
    behind: usize,
    ended: Option<Option<String>>,
}

impl Seen {
    fn new(events: Receiver<WatchEvent>) -> Seen {
        Seen {
            events,
            log: Vec::new(),
            transfers_added: 0,
            in_step: 0,
            behind: 0,
            ended: None,
        }
    }

    fn take(&mut self, event: WatchEvent) {
        match event {
            WatchEvent::Queue(QueueEvent::Added {
                kind: ItemKind::Transfer,
                spec,
                ..
            }) if !spec.recursive => self.transfers_added += 1,
            WatchEvent::Queue(QueueEvent::Log { line, .. })
            | WatchEvent::Log(line)
            | WatchEvent::Said(line) => self.log.push(line.text),
            WatchEvent::Queue(QueueEvent::State { id, state }) => {
                self.log.push(format!("item {id}: {state:?}"))
            }
            WatchEvent::InStep { .. } => self.in_step += 1,
            WatchEvent::Behind(_) => self.behind += 1,
            WatchEvent::Ended(why) => self.ended = Some(why.map(|e| e.to_string())),
            _ => {}
        }
    }

    /// Reads events until `done` holds (checked after each, and every
    /// 50 ms), for at most a minute (500 uploads to the test server take
    /// about 45 ms each in a debug build).
    fn until(&mut self, what: &str, mut done: impl FnMut(&Seen) -> bool) {
        let end = Instant::now() + Duration::from_secs(60);
        while !done(self) {
            assert!(
                Instant::now() < end,
                "waited a minute for {what} ({} files sent); log: {:?}",
                self.transfers_added,
                self.log
            );
            if let Ok(event) = self.events.recv_timeout(Duration::from_millis(50)) {
                self.take(event);
            }
        }
    }
}

fn has(server: &UnftpServer, rel: &str, bytes: &[u8]) -> bool {
    fs::read(server.path(rel)).is_ok_and(|b| b == bytes)
}

#[test]
fn creates_writes_renames_and_deletes_reach_the_server_as_they_happen() {
    let server = UnftpServer::plain();
    fs::create_dir_all(server.path("site")).unwrap();
    fs::write(server.path("site/only-there.txt"), b"old").unwrap();
    fs::write(server.path("site/index.html"), b"<h1>old</h1>").unwrap();
    let local = tempfile::tempdir().unwrap();
    fs::write(local.path().join("index.html"), b"<h1>hi</h1>").unwrap();
    fs::create_dir(local.path().join(".git")).unwrap();
    fs::write(local.path().join(".git/HEAD"), b"ref").unwrap();

    let (watch, events) = KeepUpToDate::start(
        connect(server.port),
        watch_options(local.path(), "site", true),
    )
    .unwrap();
    let mut seen = Seen::new(events);
    seen.until("the first mirror", |s| s.in_step == 1);
    assert!(has(&server, "site/index.html", b"<h1>hi</h1>"));
    assert!(
        !server.path("site/only-there.txt").exists(),
        "mirrored with delete: {:?}",
        seen.log
    );
    assert!(!server.path("site/.git").exists(), "left out by default");

    let page = local.path().join("page.html");
    fs::write(&page, b"one").unwrap();
    seen.until("a new file", |_| has(&server, "site/page.html", b"one"));
    fs::write(&page, b"two, longer").unwrap();
    seen.until("a written file", |_| {
        has(&server, "site/page.html", b"two, longer")
    });

    // A rename moves the server's file; nothing is sent again.
    let sent = seen.transfers_added;
    fs::rename(&page, local.path().join("renamed.html")).unwrap();
    seen.until("a rename", |_| {
        has(&server, "site/renamed.html", b"two, longer") && !server.path("site/page.html").exists()
    });
    assert!(
        seen.log
            .iter()
            .any(|l| l.contains("renamed site/page.html to site/renamed.html"))
    );
    assert_eq!(seen.transfers_added, sent, "a rename sends no bytes");

    // A folder made with files in it; swap files left out.
    fs::create_dir_all(local.path().join("img/icons")).unwrap();
    fs::write(local.path().join("img/icons/a.svg"), b"<svg/>").unwrap();
    fs::write(local.path().join(".page.html.swp"), b"swap").unwrap();
    seen.until("a new folder", |_| {
        has(&server, "site/img/icons/a.svg", b"<svg/>")
    });

    fs::remove_file(local.path().join("renamed.html")).unwrap();
    fs::remove_dir_all(local.path().join("img")).unwrap();
    seen.until("deletions", |_| {
        !server.path("site/renamed.html").exists() && !server.path("site/img").exists()
    });
    assert!(!server.path("site/.page.html.swp").exists());
    assert!(has(&server, "site/index.html", b"<h1>hi</h1>"));
    watch.stop();
    seen.until("the end", |s| s.ended.is_some());
    assert_eq!(seen.ended, Some(None));
}

#[test]
fn a_burst_of_500_files_is_sent_once_each_after_it_settles() {
    let server = UnftpServer::plain();
    let local = tempfile::tempdir().unwrap();
    let mut options = watch_options(local.path(), "", false);
    options.queue.connections = 4;
    let (watch, events) = KeepUpToDate::start(connect(server.port), options).unwrap();
    let mut seen = Seen::new(events);
    seen.until("the first mirror", |s| s.in_step == 1);
    for i in 0..500 {
        fs::write(
            local.path().join(format!("f{i:03}.txt")),
            format!("file {i}"),
        )
        .unwrap();
    }
    seen.until("500 files", |_| {
        (0..500).all(|i| {
            has(
                &server,
                &format!("f{i:03}.txt"),
                format!("file {i}").as_bytes(),
            )
        })
    });
    // Anything still settling would show within this.
    std::thread::sleep(Duration::from_millis(500));
    while let Ok(event) = seen.events.try_recv() {
        seen.take(event);
    }
    assert_eq!(seen.transfers_added, 500, "each file once");
    drop(watch);
}

#[test]
fn changes_made_while_the_server_is_out_of_reach_arrive_once_it_is_back() {
    let server = UnftpServer::plain();
    let gate = Gate::start(server.port);
    gate.open();
    let local = tempfile::tempdir().unwrap();
    fs::write(local.path().join("before.txt"), b"before").unwrap();
    fs::write(local.path().join("doomed.txt"), b"doomed").unwrap();
    let (watch, events) =
        KeepUpToDate::start(connect(gate.port), watch_options(local.path(), "", true)).unwrap();
    let mut seen = Seen::new(events);
    seen.until("the first mirror", |s| s.in_step == 1);
    assert!(has(&server, "doomed.txt", b"doomed"));

    gate.cut();
    fs::write(local.path().join("during.txt"), b"written in the outage").unwrap();
    fs::remove_file(local.path().join("doomed.txt")).unwrap();
    seen.until("the outage to be noticed", |s| s.behind > 0);
    assert!(!server.path("during.txt").exists());
    fs::write(local.path().join("later.txt"), b"also in the outage").unwrap();

    gate.open();
    seen.until("the mirror after the outage", |s| s.in_step == 2);
    assert!(has(&server, "during.txt", b"written in the outage"));
    assert!(has(&server, "later.txt", b"also in the outage"));
    assert!(!server.path("doomed.txt").exists());
    assert!(has(&server, "before.txt", b"before"));
    drop(watch);
}

#[test]
fn the_watched_folder_going_away_deletes_nothing_on_the_server() {
    let server = UnftpServer::plain();
    let parent = tempfile::tempdir().unwrap();
    let local = parent.path().join("site");
    fs::create_dir(&local).unwrap();
    fs::write(local.join("a.txt"), b"a").unwrap();
    fs::write(local.join("b.txt"), b"b").unwrap();
    let (_watch, events) =
        KeepUpToDate::start(connect(server.port), watch_options(&local, "", true)).unwrap();
    let mut seen = Seen::new(events);
    seen.until("the first mirror", |s| s.in_step == 1);
    fs::remove_dir_all(&local).unwrap();
    seen.until("the watch to end", |s| s.ended.is_some());
    let why = seen.ended.clone().flatten().unwrap_or_default();
    assert!(why.contains("nothing was deleted"), "{why}");
    assert!(has(&server, "a.txt", b"a") && has(&server, "b.txt", b"b"));
    assert!(
        !seen.log.iter().any(|l| l.contains("deleted")),
        "{:?}",
        seen.log
    );
}

#[test]
fn a_file_written_in_two_goes_ends_whole_on_the_server() {
    use std::io::Write;
    let server = UnftpServer::plain();
    let local = tempfile::tempdir().unwrap();
    let (_watch, events) =
        KeepUpToDate::start(connect(server.port), watch_options(local.path(), "", false)).unwrap();
    let mut seen = Seen::new(events);
    seen.until("the first mirror", |s| s.in_step == 1);
    let mut file = fs::File::create(local.path().join("log.txt")).unwrap();
    file.write_all(b"first half, ").unwrap();
    // Long enough for the burst to settle and the half to be sent.
    seen.until("the first half", |_| {
        has(&server, "log.txt", b"first half, ")
    });
    file.write_all(b"second half").unwrap();
    drop(file);
    seen.until("the whole file", |_| {
        has(&server, "log.txt", b"first half, second half")
    });
}
