//! The engine over its channels, against a real in-process FTP server.

use ferry_testkit as common;

use std::fs;
use std::time::Duration;

use common::faulty::{Faults, FaultyServer, Tree};
use common::harness::{Harness, options};
use common::unftp::UnftpServer;
use ferry_engine::engine::{Command, Error, EventKind, Outcome, TransferType};
use ferry_engine::listing::EntryKind;

const USER: &str = "alice";
const PASSWORD: &str = "s3cret-pw";

fn connected(server: &UnftpServer, level: u8) -> Harness {
    let mut harness = Harness::new(level);
    harness.connect(options(server.port, USER, PASSWORD));
    harness
}

#[test]
fn welcome_banner_arrives_as_its_own_event_before_login() {
    let server = UnftpServer::plain();
    let mut harness = Harness::new(0);
    let Outcome::Connected(info) = harness.connect(options(server.port, USER, PASSWORD)) else {
        panic!("connect outcome")
    };
    let welcome = harness
        .seen
        .iter()
        .position(|e| matches!(&e.kind, EventKind::Welcome(t) if t.contains("Welcome to the Ferry test server")))
        .expect("a Welcome event");
    let connected = harness
        .seen
        .iter()
        .position(|e| matches!(e.kind, EventKind::Connected(_)))
        .expect("a Connected event");
    assert!(welcome < connected);
    assert!(info.welcome.contains("Welcome to the Ferry test server"));
    assert!(info.features.supports("SIZE"), "{:?}", info.features);
    assert_eq!(info.home, "/");
}

#[test]
fn browse_and_file_operations_round_trip() {
    let server = UnftpServer::plain();
    fs::create_dir(server.path("docs")).unwrap();
    fs::write(server.path("docs/a file.txt"), b"twelve bytes").unwrap();
    let mut h = connected(&server, 0);

    let Ok(Outcome::Path(path)) = h.call(Command::Cwd("docs".into())) else {
        panic!()
    };
    assert_eq!(path, "/docs");
    let Ok(Outcome::Listing(ferry_engine::engine::Listing { entries, .. })) =
        h.call(Command::List(None))
    else {
        panic!()
    };
    let entry = entries
        .iter()
        .find(|e| e.name == "a file.txt")
        .expect("listed");
    assert_eq!(entry.kind, EntryKind::File);
    assert_eq!(entry.size, Some(12));
    assert!(entry.modified.is_some());
    let Ok(Outcome::Size(size)) = h.call(Command::Size("a file.txt".into())) else {
        panic!()
    };
    assert_eq!(size, 12);
    assert!(matches!(
        h.call(Command::ModificationTime("a file.txt".into())),
        Ok(Outcome::ModificationTime(_))
    ));
    let Ok(Outcome::Path(path)) = h.call(Command::Cdup) else {
        panic!()
    };
    assert_eq!(path, "/");

    h.call(Command::Mkdir("made".into())).unwrap();
    assert!(server.path("made").is_dir());
    h.call(Command::Rename {
        from: "docs/a file.txt".into(),
        to: "made/renamed.txt".into(),
    })
    .unwrap();
    assert_eq!(
        fs::read(server.path("made/renamed.txt")).unwrap(),
        b"twelve bytes"
    );
    h.call(Command::Delete("made/renamed.txt".into())).unwrap();
    assert!(!server.path("made/renamed.txt").exists());
    h.call(Command::Rmdir("made".into())).unwrap();
    assert!(!server.path("made").exists());

    let Ok(Outcome::Names(names)) = h.call(Command::NameList(None)) else {
        panic!()
    };
    assert!(names.contains(&"docs".to_string()), "{names:?}");

    let Ok(Outcome::Reply(reply)) = h.call(Command::Raw("NOOP".into())) else {
        panic!()
    };
    assert_eq!(reply.code, 200);
}

#[test]
fn errors_carry_the_class_and_the_servers_words() {
    let server = UnftpServer::plain();
    let mut h = connected(&server, 0);
    let err = h.call(Command::Delete("missing.txt".into())).unwrap_err();
    assert!(matches!(err, Error::Permanent { code: 550, .. }), "{err:?}");
    assert_eq!(h.log_errors().len(), 1, "{:?}", h.log_errors());
    let err = h.call(Command::Size("missing.txt".into())).unwrap_err();
    assert!(matches!(err, Error::Permanent { code: 550, .. }), "{err:?}");
    // Asking whether a file is there (as every upload does) and hearing
    // "no" is not shown as an error.
    h.call(Command::Stat("missing.txt".into())).unwrap_err();
    assert_eq!(h.log_errors().len(), 1, "{:?}", h.log_errors());
    // The session is still usable after refusals.
    assert!(matches!(h.call(Command::Pwd), Ok(Outcome::Path(_))));
    let Ok(Outcome::Reply(reply)) = h.call(Command::Raw("XYZZY".into())) else {
        panic!()
    };
    assert_eq!(reply.code / 100, 5);
}

#[test]
fn a_wrong_password_is_refused_and_commands_then_need_a_connection() {
    let server = UnftpServer::plain();
    let mut h = Harness::new(0);
    let err = h
        .call(Command::Connect(options(server.port, USER, "wrong")))
        .unwrap_err();
    assert!(matches!(err, Error::Permanent { code: 530, .. }), "{err:?}");
    assert_eq!(h.call(Command::Pwd).unwrap_err(), Error::NotConnected);
}

#[test]
fn downloads_and_uploads_stream_with_progress() {
    let server = UnftpServer::plain();
    let data: Vec<u8> = (0..3_000_000u32).map(|i| (i * 7 % 251) as u8).collect();
    fs::write(server.path("big.bin"), &data).unwrap();
    let local = tempfile::tempdir().unwrap();
    let mut h = connected(&server, 0);

    let target = local.path().join("big.bin");
    let Ok(Outcome::Transferred(summary)) = h.call(Command::Download {
        remote: "big.bin".into(),
        local: target.clone(),
        resume: false,
        size: None,
        fetch_time: false,
    }) else {
        panic!()
    };
    assert_eq!(summary.bytes, data.len() as u64);
    assert_eq!(fs::read(&target).unwrap(), data);
    assert!(ferry_engine::engine::part_path(&target).is_none());
    assert_eq!(fs::read_dir(local.path()).unwrap().count(), 1);
    let last = h
        .seen
        .iter()
        .rev()
        .find_map(|e| match &e.kind {
            EventKind::Progress(p) => Some(p.clone()),
            _ => None,
        })
        .expect("progress events");
    assert_eq!(last.bytes_done, data.len() as u64);
    assert_eq!(last.total, Some(data.len() as u64));

    let Ok(Outcome::Transferred(up)) = h.call(Command::Upload {
        local: target.clone(),
        remote: "copy.bin".into(),
        resume: false,
    }) else {
        panic!()
    };
    assert_eq!(up.bytes, data.len() as u64);
    assert_eq!(fs::read(server.path("copy.bin")).unwrap(), data);
}

#[test]
fn a_download_resumes_from_the_partial_file_an_interrupted_one_left() {
    let data: Vec<u8> = (0..1_000_000u32).map(|i| (i % 253) as u8).collect();
    // The first RETR breaks off after 400 000 bytes, connection and all.
    let faults = Faults {
        drop_retr_after: Some(400_000),
        ..Faults::default()
    };
    let server = FaultyServer::start(Tree::new().file("/r.bin", data.clone()), faults);
    let local = tempfile::tempdir().unwrap();
    let target = local.path().join("r.bin");
    let mut h = Harness::new(0);
    h.connect(options(server.port(), "user", "pw"));
    let download = |resume| Command::Download {
        remote: "/r.bin".into(),
        local: target.clone(),
        resume,
        size: None,
        fetch_time: false,
    };
    h.call(download(false)).unwrap_err();
    let part = ferry_engine::engine::part_path(&target).expect("a partial file of ours");
    assert_eq!(fs::read(&part).unwrap(), data[..400_000]);
    let Ok(Outcome::Transferred(summary)) = h.call(download(true)) else {
        panic!("{}", h.log_text().join("\n"))
    };
    assert_eq!(summary.resumed_from, 400_000);
    assert_eq!(summary.bytes, 600_000);
    assert_eq!(fs::read(&target).unwrap(), data);
    assert!(!part.exists() && ferry_engine::engine::part_path(&target).is_none());
}

#[test]
fn a_partial_file_ferry_did_not_make_is_never_resumed_or_touched() {
    let server = UnftpServer::plain();
    let data: Vec<u8> = (0..300_000u32).map(|i| (i % 251) as u8).collect();
    fs::write(server.path("r.bin"), &data).unwrap();
    let local = tempfile::tempdir().unwrap();
    let target = local.path().join("r.bin");
    // Files that look like partial downloads (the old name, and ours),
    // planted by someone else: the right length's prefix, but wrong bytes.
    let planted = [
        local.path().join("r.bin.part"),
        local.path().join("r.bin.0123abcd.ferry-part"),
    ];
    for path in &planted {
        fs::write(path, vec![b'X'; 100_000]).unwrap();
    }
    let mut h = connected(&server, 0);
    let Ok(Outcome::Transferred(summary)) = h.call(Command::Download {
        remote: "r.bin".into(),
        local: target.clone(),
        resume: true,
        size: None,
        fetch_time: false,
    }) else {
        panic!()
    };
    assert_eq!(summary.resumed_from, 0);
    assert_eq!(fs::read(&target).unwrap(), data);
    for path in &planted {
        assert_eq!(fs::read(path).unwrap(), vec![b'X'; 100_000]);
    }
    assert_eq!(fs::read_dir(local.path()).unwrap().count(), 3);
}

#[test]
fn an_upload_resumes_by_appending() {
    let server = UnftpServer::plain();
    let data: Vec<u8> = (0..500_000u32).map(|i| (i % 241) as u8).collect();
    fs::write(server.path("u.bin"), &data[..123_456]).unwrap();
    let local = tempfile::tempdir().unwrap();
    let source = local.path().join("u.bin");
    fs::write(&source, &data).unwrap();
    let mut h = connected(&server, 0);
    let Ok(Outcome::Transferred(summary)) = h.call(Command::Upload {
        local: source,
        remote: "u.bin".into(),
        resume: true,
    }) else {
        panic!()
    };
    assert_eq!(summary.resumed_from, 123_456);
    assert_eq!(fs::read(server.path("u.bin")).unwrap(), data);
}

#[test]
fn abort_stops_a_download_keeps_the_part_and_the_connection_works() {
    let server = UnftpServer::plain();
    let data = vec![7u8; 64 * 1024 * 1024];
    fs::write(server.path("huge.bin"), &data).unwrap();
    let local = tempfile::tempdir().unwrap();
    let target = local.path().join("huge.bin");
    let mut h = connected(&server, 1);
    let id = h.connection.send(Command::Download {
        remote: "huge.bin".into(),
        local: target.clone(),
        resume: false,
        size: None,
        fetch_time: false,
    });
    h.wait_for_first_bytes();
    h.connection.cancel(id);
    assert_eq!(h.wait(id).unwrap_err(), Error::Cancelled);
    let part = ferry_engine::engine::part_path(&target).expect("a partial file of ours");
    let kept = fs::metadata(&part).expect("the .part is kept").len();
    assert!(kept > 0 && kept < data.len() as u64, "kept {kept}");
    assert!(!target.exists());
    // Usable afterwards (or reconnect): the abort left no stale reply.
    let size = h.call(Command::Size("huge.bin".into()));
    let Ok(Outcome::Size(size)) = size else {
        panic!("{size:?}\n{}", h.log_text().join("\n"))
    };
    assert_eq!(size, data.len() as u64);
    // ABOR went out after the data connection closed, and nothing was out
    // of step afterwards (no reconnect was needed).
    let log = h.log_text().join("\n");
    assert!(log.lines().any(|l| l == "ABOR"), "{log}");
    assert!(!log.contains("out of step"), "{log}");
    // And the download resumes to identical bytes.
    h.call(Command::Download {
        remote: "huge.bin".into(),
        local: target.clone(),
        resume: true,
        size: None,
        fetch_time: false,
    })
    .unwrap();
    assert_eq!(fs::read(&target).unwrap(), data);
}

#[test]
fn a_queued_request_can_be_cancelled_before_it_runs() {
    let server = UnftpServer::plain();
    let mut h = connected(&server, 0);
    let first = h.connection.send(Command::Pwd);
    let second = h.connection.send(Command::Mkdir("never".into()));
    h.connection.cancel(second);
    assert!(h.wait(first).is_ok());
    assert_eq!(h.wait(second).unwrap_err(), Error::Cancelled);
    assert!(!server.path("never").exists());
}

#[test]
fn ascii_mode_converts_line_endings_both_ways() {
    let server = UnftpServer::plain();
    let local = tempfile::tempdir().unwrap();
    let source = local.path().join("unix.txt");
    fs::write(&source, b"one\ntwo\n").unwrap();
    let mut opts = options(server.port, USER, PASSWORD);
    opts.transfer_type = TransferType::Ascii;
    let mut h = Harness::new(0);
    h.connect(opts);
    h.call(Command::Upload {
        local: source,
        remote: "t.txt".into(),
        resume: false,
    })
    .unwrap();
    assert_eq!(fs::read(server.path("t.txt")).unwrap(), b"one\r\ntwo\r\n");
    let back = local.path().join("back.txt");
    h.call(Command::Download {
        remote: "t.txt".into(),
        local: back.clone(),
        resume: false,
        size: None,
        fetch_time: false,
    })
    .unwrap();
    assert_eq!(fs::read(&back).unwrap(), b"one\ntwo\n");
    h.call(Command::SetTransferType(TransferType::Binary))
        .unwrap();
    let raw = local.path().join("raw.txt");
    h.call(Command::Download {
        remote: "t.txt".into(),
        local: raw.clone(),
        resume: false,
        size: None,
        fetch_time: false,
    })
    .unwrap();
    assert_eq!(fs::read(&raw).unwrap(), b"one\r\ntwo\r\n");
}

#[test]
fn active_mode_lists_and_transfers() {
    let server = UnftpServer::plain();
    fs::write(server.path("a.txt"), b"active").unwrap();
    let mut opts = options(server.port, USER, PASSWORD);
    opts.data_mode = ferry_engine::engine::DataMode::Active;
    let mut h = Harness::new(1);
    h.connect(opts);
    let Ok(Outcome::Listing(ferry_engine::engine::Listing { entries, .. })) =
        h.call(Command::List(None))
    else {
        panic!()
    };
    assert!(entries.iter().any(|e| e.name == "a.txt"));
    let local = tempfile::tempdir().unwrap();
    let target = local.path().join("a.txt");
    h.call(Command::Download {
        remote: "a.txt".into(),
        local: target.clone(),
        resume: false,
        size: None,
        fetch_time: false,
    })
    .unwrap();
    assert_eq!(fs::read(target).unwrap(), b"active");
    let log = h.log_text().join("\n");
    assert!(log.contains("PORT ") || log.contains("EPRT "), "{log}");
    // EPSV appears in the FEAT reply, but is never sent.
    assert!(!log.lines().any(|l| l.starts_with("EPSV")), "{log}");
}

#[test]
fn delete_tree_removes_nested_folders() {
    let server = UnftpServer::plain();
    fs::create_dir_all(server.path("t/a/b")).unwrap();
    fs::create_dir_all(server.path("t/empty")).unwrap();
    fs::write(server.path("t/x.txt"), b"x").unwrap();
    fs::write(server.path("t/a/b/y.txt"), b"y").unwrap();
    let mut h = connected(&server, 0);
    h.call(Command::DeleteTree("t".into())).unwrap();
    assert!(!server.path("t").exists());
}

#[test]
fn debug_levels_filter_and_the_password_never_appears() {
    let server = UnftpServer::plain();
    let local = tempfile::tempdir().unwrap();
    fs::write(server.path("f.txt"), b"data").unwrap();

    let mut quiet = connected(&server, 0);
    quiet.call(Command::List(None)).unwrap();
    let text = quiet.log_text().join("\n");
    assert!(!text.contains("USER "), "level 0 shows no commands: {text}");

    let mut h = Harness::new(2);
    let mut opts = options(server.port, USER, PASSWORD);
    opts.account = Some(ferry_engine::engine::Secret::new("acct-secret-9"));
    h.connect(opts);
    h.call(Command::List(None)).unwrap();
    h.call(Command::Download {
        remote: "f.txt".into(),
        local: local.path().join("f.txt"),
        resume: false,
        size: None,
        fetch_time: false,
    })
    .unwrap();
    // The password typed into the raw console is masked too.
    let _ = h.call(Command::Raw(format!("PASS {PASSWORD}")));
    let text = h.log_text().join("\n");
    assert!(
        text.contains("USER alice"),
        "level 1 shows commands: {text}"
    );
    assert!(text.contains("PASS ****"), "{text}");
    assert!(text.contains("230"), "level 1 shows replies: {text}");
    assert!(
        text.contains("Opening data connection to 127.0.0.1:"),
        "level 2: {text}"
    );
    let everything = format!("{:?}", h.seen);
    assert!(
        !everything.contains(PASSWORD),
        "the password leaked into an event"
    );
    assert!(!everything.contains("acct-secret-9"));
    assert!(!format!("{:?}", options(1, USER, PASSWORD)).contains(PASSWORD));
}

#[test]
fn cr_lf_and_nul_are_refused_before_anything_is_sent() {
    let server = UnftpServer::plain();
    fs::write(server.path("victim.txt"), b"keep me").unwrap();
    let mut h = connected(&server, 1);
    for hostile in ["x\r\nDELE victim.txt", "x\nDELE victim.txt", "x\0y"] {
        let err = h.call(Command::Delete(hostile.into())).unwrap_err();
        assert!(matches!(err, Error::InvalidInput(_)), "{err:?}");
        let err = h.call(Command::Raw(format!("NOOP {hostile}"))).unwrap_err();
        assert!(matches!(err, Error::InvalidInput(_)), "{err:?}");
        let err = h
            .call(Command::Rename {
                from: "victim.txt".into(),
                to: hostile.into(),
            })
            .unwrap_err();
        assert!(matches!(err, Error::InvalidInput(_)), "{err:?}");
    }
    assert!(server.path("victim.txt").exists());
    assert!(!h.log_text().iter().any(|l| l.contains("DELE")));
    assert!(matches!(h.call(Command::Pwd), Ok(Outcome::Path(_))));
}

#[test]
fn a_server_that_stays_silent_times_out() {
    let server = common::scripted::ScriptedServer::start(|peer| {
        // Accept, then say nothing until the client gives up.
        let _ = peer.command();
    });
    let mut opts = options(server.port, USER, PASSWORD);
    opts.timeout = Duration::from_millis(700);
    let mut h = Harness::new(0);
    let err = h.call(Command::Connect(opts)).unwrap_err();
    assert!(matches!(err, Error::Timeout(_)), "{err:?}");
}

#[test]
fn connects_from_the_chosen_source_address() {
    let server = UnftpServer::plain();
    fs::write(server.path("s.txt"), b"src").unwrap();
    let mut opts = options(server.port, USER, PASSWORD);
    opts.source_address = Some("127.0.0.1".parse().unwrap());
    let mut h = Harness::new(0);
    h.connect(opts);
    let local = tempfile::tempdir().unwrap();
    h.call(Command::Download {
        remote: "s.txt".into(),
        local: local.path().join("s.txt"),
        resume: false,
        size: None,
        fetch_time: false,
    })
    .unwrap();
    // An address this machine does not have is a clear connection error.
    let mut opts = options(server.port, USER, PASSWORD);
    opts.source_address = Some("192.0.2.1".parse().unwrap());
    let err = Harness::new(0).call(Command::Connect(opts)).unwrap_err();
    assert!(matches!(err, Error::Connection(_)), "{err:?}");
}

#[test]
fn a_listed_size_that_went_stale_is_checked_with_size_not_called_short() {
    let server = UnftpServer::plain();
    fs::write(server.path("grew.txt"), b"now longer than listed").unwrap();
    let local = tempfile::tempdir().unwrap();
    let target = local.path().join("grew.txt");
    let mut h = connected(&server, 1);
    // The listing said 5 bytes; the file has grown since.
    h.call(Command::Download {
        remote: "grew.txt".into(),
        local: target.clone(),
        resume: false,
        size: Some(5),
        fetch_time: false,
    })
    .unwrap();
    assert_eq!(fs::read(&target).unwrap(), b"now longer than listed");
    // With the right listed size, no SIZE is sent at all.
    let sent = h
        .log_text()
        .iter()
        .filter(|l| l.starts_with("SIZE"))
        .count();
    fs::remove_file(&target).unwrap();
    h.call(Command::Download {
        remote: "grew.txt".into(),
        local: target.clone(),
        resume: false,
        size: Some(22),
        fetch_time: false,
    })
    .unwrap();
    let after = h
        .log_text()
        .iter()
        .filter(|l| l.starts_with("SIZE"))
        .count();
    assert_eq!(sent, after);
}

/// Every outcome a connection reports until its worker has ended (its
/// channel closes), by request.
fn outcomes_until_the_worker_ends(
    events: &crossbeam_channel::Receiver<ferry_engine::engine::Event>,
) -> std::collections::HashMap<u64, Result<Outcome, Error>> {
    let mut outcomes = std::collections::HashMap::new();
    loop {
        match events.recv_timeout(Duration::from_secs(60)) {
            Ok(event) => {
                if let EventKind::Finished { request, result } = event.kind {
                    outcomes.insert(request, result);
                }
            }
            Err(crossbeam_channel::RecvTimeoutError::Disconnected) => return outcomes,
            Err(crossbeam_channel::RecvTimeoutError::Timeout) => panic!("the worker never ended"),
        }
    }
}

#[test]
fn dropping_a_connection_aborts_its_download_and_runs_nothing_queued_behind_it() {
    // What a window does when the user disconnects or closes it: the
    // handle goes, and nothing asked of that connection may go on.
    let data: Vec<u8> = (0..4_000_000u32).map(|i| (i % 253) as u8).collect();
    let faults = Faults {
        retr_chunk_delay: Some(Duration::from_millis(40)),
        ..Faults::default()
    };
    let server = FaultyServer::start(Tree::new().file("/slow.bin", data.clone()), faults);
    let local = tempfile::tempdir().unwrap();
    let target = local.path().join("slow.bin");
    let (connection, events) = ferry_engine::engine::Connection::open();
    connection.send(Command::Connect(options(server.port, "user", "pw")));
    let download = connection.send(Command::Download {
        remote: "/slow.bin".into(),
        local: target.clone(),
        resume: false,
        size: None,
        fetch_time: false,
    });
    let behind = connection.send(Command::Mkdir("/never".into()));
    loop {
        let event = events
            .recv_timeout(Duration::from_secs(60))
            .expect("the download starts");
        if let EventKind::Progress(p) = event.kind
            && p.bytes_done > 0
        {
            break;
        }
    }
    drop(connection);
    let outcomes = outcomes_until_the_worker_ends(&events);
    for request in [download, behind] {
        let outcome = outcomes.get(&request);
        assert!(
            matches!(outcome, Some(Err(Error::Cancelled))),
            "{outcome:?}"
        );
    }
    // The worker has ended: nothing was put in place, the partial file
    // stays for a resume, the server saw ABOR.
    assert!(!target.exists());
    let part = ferry_engine::engine::part_path(&target).expect("a partial file of ours");
    let kept = fs::read(&part).unwrap();
    assert!(
        !kept.is_empty() && kept.len() < data.len(),
        "{}",
        kept.len()
    );
    assert_eq!(kept[..], data[..kept.len()]);
    assert!(!server.exists("/never"));
    let commands = server.commands();
    assert!(commands.iter().any(|c| c == "ABOR"), "{commands:?}");
}

/// SIZE and MDTM of one file go out together on a plain connection (one
/// wait, not two), and read the same as one by one: size and time of a
/// file, "missing" (550) for a file that is not there, and the connection
/// in step after both.
#[test]
fn size_and_time_are_asked_together_and_read_as_one_by_one() {
    let server = FaultyServer::start(
        Tree::new().file("/here.bin", vec![7u8; 1234]),
        Faults::default(),
    );
    let mut h = Harness::new(1);
    h.connect(options(server.port, "user", "pw"));
    let together_at_login = server.commands_sent_together();
    let Ok(Outcome::Stat(stat)) = h.call(Command::Stat("here.bin".into())) else {
        panic!("no stat");
    };
    assert_eq!(stat.size, Some(1234));
    assert_eq!(
        stat.modified
            .map(|t| t.format("%Y%m%d%H%M%S").to_string())
            .as_deref(),
        Some("20240102030405")
    );
    let err = h.call(Command::Stat("gone.bin".into())).unwrap_err();
    assert!(matches!(err, Error::Permanent { code: 550, .. }), "{err:?}");
    assert_eq!(server.commands_sent_together(), together_at_login + 2);
    // In step: the next command gets its own reply.
    let Ok(Outcome::Size(size)) = h.call(Command::Size("here.bin".into())) else {
        panic!("no size");
    };
    assert_eq!(size, 1234);
}

/// A login dropped while idle (the server's idle timeout, a NAT that
/// forgot it) is found by the next request: a listing or a folder change
/// is asked again on a new login, in the same folder, instead of failing
/// (issue 19, point 4). Keep-alive NOOPs go out on an idle login.
#[test]
fn a_login_dropped_while_idle_is_opened_again_for_the_next_question() {
    let server = UnftpServer::plain();
    fs::create_dir_all(server.path("site/img")).unwrap();
    fs::write(server.path("site/index.html"), b"x").unwrap();
    let gate = common::gate::Gate::start(server.port);
    gate.open();
    let mut harness = Harness::new(1);
    harness.connect(options(gate.port, USER, PASSWORD));
    harness.call(Command::Cwd("site".to_string())).unwrap();
    assert!(matches!(
        harness.call(Command::KeepAlive),
        Ok(Outcome::Done)
    ));
    assert!(harness.log_text().iter().any(|l| l.contains("NOOP")));

    // The network drops the login; the gate lets new ones through.
    gate.cut();
    gate.open();
    std::thread::sleep(Duration::from_millis(100));
    let Ok(Outcome::Listing(listing)) = harness.call(Command::List(None)) else {
        panic!("the listing after the drop: {:?}", harness.log_text())
    };
    let mut names: Vec<_> = listing.entries.iter().map(|e| e.name.clone()).collect();
    names.sort();
    assert_eq!(names, ["img", "index.html"], "the same folder");
    assert!(
        harness
            .log_text()
            .iter()
            .any(|l| l.contains("Reconnecting"))
    );

    // Again, found by a keep-alive: it logs in again too.
    gate.cut();
    gate.open();
    std::thread::sleep(Duration::from_millis(100));
    assert!(matches!(
        harness.call(Command::KeepAlive),
        Ok(Outcome::Done)
    ));
    let Ok(Outcome::Path(folder)) = harness.call(Command::Pwd) else {
        panic!("PWD")
    };
    assert_eq!(folder, "/site");

    // A change is not sent twice on a guess: a delete on a dropped login
    // fails, and the next request logs in again.
    gate.cut();
    gate.open();
    std::thread::sleep(Duration::from_millis(100));
    assert!(
        harness
            .call(Command::Delete("index.html".to_string()))
            .is_err()
    );
    assert!(server.path("site/index.html").exists());
    assert!(harness.call(Command::List(None)).is_ok());
}
