//! The queue against a server that misbehaves on purpose: refused
//! connections, temporary failures, a connection dropped mid-transfer,
//! a slow transfer to cancel, and names that try to escape the folder.

use ferry_testkit as common;

use std::fs;
use std::path::Path;
use std::time::{Duration, Instant, SystemTime};

#[cfg(target_os = "linux")]
use common::alone::alone;
use common::faulty::{Faults, FaultyServer, Tree};
use common::harness::options;
#[cfg(target_os = "linux")]
use common::harness::peak_rss_kib;
use common::queue::{QueueRun, download, snapshot, upload};
use ferry_engine::engine::queue::{
    ExistsPolicy, ItemState, QueueCommand, QueueEvent, QueueOptions,
};
use ferry_engine::engine::{Command, EventKind, Outcome};

fn run_with(server: &FaultyServer, connections: usize) -> QueueRun {
    let options = QueueOptions {
        connections,
        exists: ExistsPolicy::Overwrite,
        retry_delay: Duration::from_millis(50),
        ..QueueOptions::default()
    };
    QueueRun::start(ferry_options(server), options)
}

fn ferry_options(server: &FaultyServer) -> ferry_engine::engine::ConnectOptions {
    let mut options = options(server.port(), "user", "pw");
    options.timeout = Duration::from_secs(5);
    options
}

fn pattern(len: usize, seed: u32) -> Vec<u8> {
    (0..len as u32)
        .map(|i| (i.wrapping_mul(seed) % 251) as u8)
        .collect()
}

#[test]
fn a_server_that_refuses_extra_connections_gets_fewer_not_a_failed_queue() {
    let mut tree = Tree::new();
    for i in 0..12 {
        tree = tree.file(&format!("/d/f{i}.bin"), pattern(20_000, i + 3));
    }
    let server = FaultyServer::start(
        tree,
        Faults {
            max_connections: Some(1),
            ..Faults::default()
        },
    );
    let local = tempfile::tempdir().unwrap();
    let mut run = run_with(&server, 4);
    run.run(download("/d", &local.path().join("d"), true));
    assert_eq!(
        run.count(|s| matches!(s, ItemState::Failed(_))),
        0,
        "{:?}",
        run.states
    );
    for i in 0..12 {
        let got = fs::read(local.path().join(format!("d/f{i}.bin"))).unwrap();
        assert_eq!(got, pattern(20_000, i + 3));
    }
    assert_eq!(server.max_concurrent_connections(), 1);
    assert!(
        server.connections_accepted() > 1,
        "extra connections were tried and refused"
    );
}

#[test]
fn temporary_failures_are_retried_with_back_off() {
    let data = pattern(100_000, 7);
    let tree = Tree::new().file("/a.bin", data.clone());
    let server = FaultyServer::start(
        tree,
        Faults {
            fail_first_retrs: 2,
            fail_first_stores: 1,
            ..Faults::default()
        },
    );
    let local = tempfile::tempdir().unwrap();
    let target = local.path().join("a.bin");
    let mut run = run_with(&server, 1);
    run.run(download("/a.bin", &target, false));
    assert_eq!(run.state_of("/a.bin"), [ItemState::Done]);
    assert_eq!(run.retries(), 2);
    assert_eq!(fs::read(&target).unwrap(), data);

    // An upload refused once with 452 goes through on the next attempt.
    run.run(upload(&target, "/b.bin", false));
    assert_eq!(run.state_of("/b.bin"), [ItemState::Done]);
    assert_eq!(run.retries(), 3);
    assert_eq!(server.file("/b.bin").unwrap(), data);
}

#[test]
fn too_many_temporary_failures_fail_the_item_and_the_queue_goes_on() {
    let tree = Tree::new()
        .file("/a.bin", b"a".to_vec())
        .file("/b.bin", b"b".to_vec());
    let server = FaultyServer::start(
        tree,
        Faults {
            fail_first_retrs: 3,
            ..Faults::default()
        },
    );
    let local = tempfile::tempdir().unwrap();
    let options = QueueOptions {
        connections: 1,
        max_attempts: 3,
        retry_delay: Duration::from_millis(20),
        ..QueueOptions::default()
    };
    let mut run = QueueRun::start(ferry_options(&server), options);
    run.queue
        .add(download("/a.bin", &local.path().join("a.bin"), false));
    run.until_idle();
    run.run(download("/b.bin", &local.path().join("b.bin"), false));
    let [ItemState::Failed(err)] = &run.state_of("/a.bin")[..] else {
        panic!()
    };
    assert!(
        matches!(
            err,
            ferry_engine::engine::Error::Temporary { code: 450, .. }
        ),
        "{err:?}"
    );
    assert_eq!(run.state_of("/b.bin"), [ItemState::Done]);
    assert_eq!(fs::read(local.path().join("b.bin")).unwrap(), b"b");
}

#[test]
fn a_connection_dropped_mid_download_is_resumed_to_identical_bytes() {
    let data = pattern(1_000_000, 13);
    let tree = Tree::new().file("/big.bin", data.clone());
    let server = FaultyServer::start(
        tree,
        Faults {
            drop_retr_after: Some(300_000),
            ..Faults::default()
        },
    );
    let local = tempfile::tempdir().unwrap();
    let target = local.path().join("big.bin");
    let mut run = run_with(&server, 1);
    run.run(download("/big.bin", &target, false));
    assert_eq!(
        run.state_of("/big.bin"),
        [ItemState::Done],
        "{:?}",
        run.seen
    );
    assert!(run.retries() >= 1);
    assert_eq!(fs::read(&target).unwrap(), data);
    assert!(
        server.commands().iter().any(|c| c == "REST 300000"),
        "{:?}",
        server.commands()
    );
}

#[test]
fn cancel_stops_a_running_transfer_keeps_the_part_and_the_queue_goes_on() {
    let data = pattern(4_000_000, 17);
    let tree = Tree::new()
        .file("/slow.bin", data.clone())
        .file("/next.txt", b"next".to_vec());
    let faults = Faults {
        retr_chunk_delay: Some(Duration::from_millis(40)),
        ..Faults::default()
    };
    let server = FaultyServer::start(tree, faults);
    let local = tempfile::tempdir().unwrap();
    let target = local.path().join("slow.bin");
    let mut run = run_with(&server, 1);
    run.queue.add(download("/slow.bin", &target, false));
    let mut id = None;
    run.until(|e| match e {
        QueueEvent::Progress {
            id: item,
            bytes_done,
            ..
        } if *bytes_done > 0 => {
            id = Some(*item);
            true
        }
        _ => false,
    });
    let asked = Instant::now();
    run.send(QueueCommand::Cancel(id.unwrap()));
    run.until(|e| {
        matches!(
            e,
            QueueEvent::State {
                state: ItemState::Cancelled,
                ..
            }
        )
    });
    let took = asked.elapsed();
    assert!(took < Duration::from_secs(3), "cancel took {took:?}");
    let part = ferry_engine::engine::part_path(&target).expect("a partial file of ours");
    let kept = fs::read(&part).unwrap();
    assert!(!kept.is_empty() && kept.len() < data.len());
    assert_eq!(kept[..], data[..kept.len()]);
    assert!(!target.exists());
    assert!(
        server.commands().iter().any(|c| c == "ABOR"),
        "{:?}",
        server.commands()
    );

    // The same queue goes on with the next file.
    run.run(download("/next.txt", &local.path().join("next.txt"), false));
    assert_eq!(
        run.state_of("/next.txt"),
        [ItemState::Done],
        "{:?}",
        run.seen
    );
    assert_eq!(fs::read(local.path().join("next.txt")).unwrap(), b"next");
}

/// Starts uploading a 16 MiB file to a server that reads slowly, runs
/// `meddle` on the local file once bytes flow, then queues a second file.
fn upload_while(meddle: impl FnOnce(&Path)) -> (FaultyServer, QueueRun, Vec<u8>) {
    let faults = Faults {
        stor_chunk_delay: Some(Duration::from_millis(10)),
        ..Faults::default()
    };
    let server = FaultyServer::start(Tree::new().dir("/in"), faults);
    let local = tempfile::tempdir().unwrap();
    let data = pattern(16 * 1024 * 1024, 29);
    let source = local.path().join("live.bin");
    fs::write(&source, &data).unwrap();
    fs::write(local.path().join("after.txt"), b"after").unwrap();
    let mut run = run_with(&server, 1);
    run.queue.add(upload(&source, "/in/live.bin", false));
    run.until(|e| matches!(e, QueueEvent::Progress { bytes_done, .. } if *bytes_done > 0));
    meddle(&source);
    run.run(upload(
        &local.path().join("after.txt"),
        "/in/after.txt",
        false,
    ));
    (server, run, data)
}

#[test]
fn a_file_truncated_under_a_running_upload_fails_that_item_and_the_queue_goes_on() {
    let (server, run, _) = upload_while(|source| {
        fs::OpenOptions::new()
            .write(true)
            .open(source)
            .unwrap()
            .set_len(1000)
            .unwrap();
    });
    let states = run.state_of("/in/live.bin");
    let Some(ItemState::Failed(reason)) = states.last() else {
        panic!("{states:?}")
    };
    assert!(
        reason
            .to_string()
            .contains("changed while it was being uploaded"),
        "{reason}"
    );
    assert_eq!(run.state_of("/in/after.txt"), [ItemState::Done]);
    assert_eq!(server.file("/in/after.txt").unwrap(), b"after");
}

#[test]
fn a_file_deleted_under_a_running_upload_still_arrives_whole() {
    // The open handle keeps the bytes: the server gets the file as it was.
    let (server, run, data) = upload_while(|source| fs::remove_file(source).unwrap());
    assert_eq!(
        run.state_of("/in/live.bin"),
        [ItemState::Done],
        "{:?}",
        run.seen
    );
    assert!(server.file("/in/live.bin").unwrap() == data);
    assert_eq!(run.state_of("/in/after.txt"), [ItemState::Done]);
    let warned = run.seen.iter().any(|e| {
        matches!(e, QueueEvent::Log { line, .. } if line.text.contains("was deleted during the upload"))
    });
    assert!(warned);
}

/// Names that must never become a path outside the folder.
const HOSTILE: &[&str] = &[
    "../x",
    "../../x",
    "/tmp/x",
    "a/../../x",
    "..\\x",
    "x\ry",
    "nul\0x",
    "..",
];

fn hostile_tree() -> Tree {
    let mut tree = Tree::new()
        .file("/t/ok.txt", b"fine".to_vec())
        .file("/t/sub/ok2.txt", b"fine2".to_vec());
    for name in HOSTILE {
        tree = tree.raw_entry("/t", name, 32).raw_entry("/t/sub", name, 32);
    }
    tree.raw_entry("/t", &"n".repeat(10_000), 32)
}

/// Which listing command the server leaves the client.
#[derive(PartialEq)]
enum Listing {
    Mlsd,
    List,
    /// Names only: folders cannot be told from files.
    Nlst,
}

fn hostile_names_are_skipped(listing: Listing) {
    let server = FaultyServer::start(
        hostile_tree(),
        Faults {
            no_mlsd: listing != Listing::Mlsd,
            no_list: listing == Listing::Nlst,
            ..Faults::default()
        },
    );
    let base = tempfile::tempdir().unwrap();
    let chosen = base.path().join("chosen");
    let target = chosen.join("t");
    fs::create_dir(&chosen).unwrap();
    let mut run = run_with(&server, 2);
    run.run(download("/t", &target, true));

    // Only the honest files arrived, and nothing appeared beside the folder.
    let mut expected = vec![
        ("chosen/".to_string(), vec![]),
        ("chosen/t/".to_string(), vec![]),
        ("chosen/t/ok.txt".to_string(), b"fine".to_vec()),
        ("chosen/t/sub/".to_string(), vec![]),
        ("chosen/t/sub/ok2.txt".to_string(), b"fine2".to_vec()),
    ];
    if listing == Listing::Nlst {
        // NLST does not say "sub" is a folder: fetched as a file, it fails.
        expected.truncate(3);
    }
    assert_eq!(snapshot(base.path()), expected);
    assert!(
        !Path::new("/tmp/x").exists() || fs::read("/tmp/x").map(|b| b.len() != 32).unwrap_or(true)
    );
    let skipped = run.count(|s| matches!(s, ItemState::Skipped(_)));
    // ".." is dropped by the parser; the others are skipped with a reason
    // (the 10 000-character name is too long for the disk and fails).
    // NLST never opens "sub", so its hostile names are never listed.
    let folders = if listing == Listing::Nlst { 1 } else { 2 };
    assert!(
        skipped >= folders * (HOSTILE.len() - 1),
        "{skipped}: {:?}",
        run.states
    );
    let warned = run
        .seen
        .iter()
        .filter(|e| matches!(e, QueueEvent::Log { line, .. } if line.text.contains("not safe")))
        .count();
    assert!(warned >= folders * (HOSTILE.len() - 1));
    // No command ever carried a CR, LF or NUL to the server.
    assert!(
        server
            .commands()
            .iter()
            .all(|c| !c.contains(['\r', '\n', '\0']))
    );
}

#[test]
fn hostile_names_in_mlsd_never_escape_the_chosen_folder() {
    hostile_names_are_skipped(Listing::Mlsd);
}

#[test]
fn hostile_names_in_list_never_escape_the_chosen_folder() {
    hostile_names_are_skipped(Listing::List);
}

#[test]
fn hostile_names_in_nlst_never_escape_the_chosen_folder() {
    hostile_names_are_skipped(Listing::Nlst);
}

#[test]
fn moving_a_waiting_item_up_runs_it_sooner() {
    let slow = pattern(1_000_000, 5);
    let tree = Tree::new()
        .file("/slow.bin", slow)
        .file("/a.txt", b"a".to_vec())
        .file("/b.txt", b"b".to_vec());
    let faults = Faults {
        retr_chunk_delay: Some(Duration::from_millis(30)),
        ..Faults::default()
    };
    let server = FaultyServer::start(tree, faults);
    let local = tempfile::tempdir().unwrap();
    let mut run = run_with(&server, 1);
    run.queue
        .add(download("/slow.bin", &local.path().join("slow.bin"), false));
    run.queue
        .add(download("/a.txt", &local.path().join("a.txt"), false));
    run.queue
        .add(download("/b.txt", &local.path().join("b.txt"), false));
    // While the slow file holds the only connection, b goes before a.
    run.until(|e| matches!(e, QueueEvent::Progress { .. }));
    let b = *run
        .specs
        .iter()
        .find(|(_, s)| s.remote == "/b.txt")
        .unwrap()
        .0;
    run.send(QueueCommand::MoveUp(b));
    run.until_idle();
    let started: Vec<&str> = run
        .seen
        .iter()
        .filter_map(|e| match e {
            QueueEvent::State {
                id,
                state: ItemState::Running,
            } => Some(run.specs[id].remote.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(started, ["/slow.bin", "/b.txt", "/a.txt"]);
}

#[test]
fn one_file_takes_one_connection() {
    let server = FaultyServer::start(
        Tree::new().file("/one.txt", b"1".to_vec()),
        Faults::default(),
    );
    let local = tempfile::tempdir().unwrap();
    let mut run = run_with(&server, 4);
    run.run(download("/one.txt", &local.path().join("one.txt"), false));
    assert_eq!(fs::read(local.path().join("one.txt")).unwrap(), b"1");
    assert_eq!(server.connections_accepted(), 1);
}

#[cfg(target_os = "linux")]
#[test]
fn a_listing_of_a_hundred_thousand_entries_is_read_whole() {
    // Its peak memory, threads and files are its own (common::alone).
    if !alone("a_listing_of_a_hundred_thousand_entries_is_read_whole") {
        return;
    }
    let mut tree = Tree::new().dir("/huge");
    for i in 0..100_000 {
        tree = tree.raw_entry("/huge", &format!("entry-{i:06}.dat"), 1);
    }
    let server = FaultyServer::start(tree, Faults::default());
    let mut h = common::harness::Harness::new(0);
    h.connect(ferry_options(&server));
    let before = peak_rss_kib();
    let Ok(ferry_engine::engine::Outcome::Listing(listing)) =
        h.call(ferry_engine::engine::Command::List(Some("/huge".into())))
    else {
        panic!("{:?}", h.log_text())
    };
    assert!(listing.is_complete());
    let entries = listing.entries;
    assert_eq!(entries.len(), 100_000);
    assert!(entries.iter().any(|e| e.name == "entry-099999.dat"));
    let grown = peak_rss_kib().saturating_sub(before);
    assert!(grown < 200 * 1024, "peak memory grew by {grown} KiB");
}

#[test]
fn a_server_that_sends_more_than_it_announced_fails_the_item_and_leaves_nothing_complete() {
    let data = pattern(4_000, 11);
    let tree = Tree::new().file("/endless.bin", data);
    let faults = Faults {
        retr_endless: true,
        ..Faults::default()
    };
    let server = FaultyServer::start(tree, faults);
    let local = tempfile::tempdir().unwrap();
    let target = local.path().join("endless.bin");
    let mut run = run_with(&server, 1);
    run.run(download("/endless.bin", &target, false));
    let states = run.state_of("/endless.bin");
    let [ItemState::Failed(err)] = &states[..] else {
        panic!("{states:?}")
    };
    assert!(
        err.to_string().contains("more than the 4000 bytes"),
        "{err}"
    );
    // Nothing that looks finished, nothing a resume would take as whole,
    // and nothing written past the announced size.
    assert!(!target.exists());
    let written: u64 = fs::read_dir(local.path())
        .unwrap()
        .map(|e| e.unwrap().metadata().unwrap().len())
        .sum();
    assert_eq!(written, 0, "{:?}", snapshot(local.path()));
}

#[test]
fn a_download_that_fails_before_its_first_byte_leaves_no_empty_partial_file() {
    let tree = Tree::new()
        .file("/d/a.bin", pattern(50_000, 3))
        .file("/d/b.bin", pattern(50_000, 5));
    // The first RETR gets a data connection that closes before any byte.
    let faults = Faults {
        drop_retr_after: Some(0),
        ..Faults::default()
    };
    let server = FaultyServer::start(tree, faults);
    let local = tempfile::tempdir().unwrap();
    let options = QueueOptions {
        connections: 1,
        max_attempts: 1,
        ..QueueOptions::default()
    };
    let mut run = QueueRun::start(ferry_options(&server), options);
    run.run(download("/d", &local.path().join("d"), true));
    assert_eq!(run.count(|s| matches!(s, ItemState::Failed(_))), 1);
    // The file that arrived, and nothing else: no empty temporary file.
    let files: Vec<String> = snapshot(local.path())
        .into_iter()
        .filter(|(p, _)| !p.ends_with('/'))
        .map(|(p, _)| p)
        .collect();
    assert_eq!(files.len(), 1, "{files:?}");
    assert!(files[0] == "d/a.bin" || files[0] == "d/b.bin", "{files:?}");
}

#[cfg(unix)]
#[test]
fn a_fifo_that_appears_at_the_target_during_a_download_is_not_replaced() {
    use std::os::unix::fs::FileTypeExt;
    let data = pattern(2_000_000, 19);
    let faults = Faults {
        retr_chunk_delay: Some(Duration::from_millis(20)),
        ..Faults::default()
    };
    let server = FaultyServer::start(Tree::new().file("/slow.bin", data.clone()), faults);
    let local = tempfile::tempdir().unwrap();
    let target = local.path().join("slow.bin");
    let mut run = run_with(&server, 1);
    run.queue.add(download("/slow.bin", &target, false));
    run.until(|e| matches!(e, QueueEvent::Progress { bytes_done, .. } if *bytes_done > 0));
    let made = std::process::Command::new("mkfifo")
        .arg(&target)
        .status()
        .unwrap();
    assert!(made.success());
    run.until_idle();
    let states = run.state_of("/slow.bin");
    let [ItemState::Failed(err)] = &states[..] else {
        panic!("{states:?}")
    };
    assert!(err.to_string().contains("not a regular file"), "{err}");
    assert!(fs::symlink_metadata(&target).unwrap().file_type().is_fifo());
    // The bytes wait in the partial file for a resume.
    let part = ferry_engine::engine::part_path(&target).expect("a partial file of ours");
    assert_eq!(fs::read(&part).unwrap(), data);
}

/// A remote folder holding `a` and files named like a partial file of
/// `a`: the old `.part` name, the pattern Ferry uses now, and one more.
fn look_alikes() -> Vec<(&'static str, Vec<u8>)> {
    vec![
        ("a", pattern(400_000, 3)),
        ("a.0123abcd.ferry-part", pattern(150_000, 7)),
        ("a.part", pattern(200_000, 5)),
        ("a.part.part", pattern(50_000, 9)),
    ]
}

/// Names with the length of each file and whether it holds `want`'s bytes.
fn compare(got: Vec<(String, Vec<u8>)>, want: &[(&str, Vec<u8>)]) -> Vec<(String, usize, bool)> {
    got.into_iter()
        .map(|(name, bytes)| {
            let same = want.iter().any(|(n, b)| *n == name && *b == bytes);
            (name, bytes.len(), same)
        })
        .collect()
}

fn whole(want: &[(&str, Vec<u8>)]) -> Vec<(String, usize, bool)> {
    let mut out: Vec<(String, usize, bool)> = want
        .iter()
        .map(|(name, bytes)| (name.to_string(), bytes.len(), true))
        .collect();
    out.sort();
    out
}

#[test]
fn files_named_like_partial_files_all_arrive_whole_with_two_connections_resume_and_mirror() {
    let overwrite = QueueOptions {
        connections: 2,
        exists: ExistsPolicy::Overwrite,
        ..QueueOptions::default()
    };
    let resume = QueueOptions {
        connections: 2,
        exists: ExistsPolicy::Resume,
        resume: true,
        ..QueueOptions::default()
    };
    let mirror = QueueOptions {
        connections: 2,
        exists: ExistsPolicy::OverwriteIfChanged,
        resume: true,
        delete_extraneous: true,
        ..QueueOptions::default()
    };
    for (how, options) in [
        ("-j 2 --overwrite", overwrite),
        ("-c", resume),
        ("mirror", mirror),
    ] {
        let mut tree = Tree::new();
        for (name, bytes) in look_alikes() {
            tree = tree.file(&format!("/d/{name}"), bytes);
        }
        // `a` comes slowly, so the others land while its download runs.
        let faults = Faults {
            retr_chunk_delay: Some(Duration::from_millis(30)),
            ..Faults::default()
        };
        let server = FaultyServer::start(tree, faults);
        let local = tempfile::tempdir().unwrap();
        let target = local.path().join("d");
        let mut run = QueueRun::start(ferry_options(&server), options.clone());
        run.run(download("/d", &target, true));
        let want = look_alikes();
        assert_eq!(
            compare(snapshot(&target), &want),
            whole(&want),
            "{how}: {:?}",
            run.states
        );

        // `a` changes on the server; the next run fetches it whole again,
        // never continuing from a local file that merely bears its
        // partial file's name.
        let changed = pattern(400_000, 31);
        let source = local.path().join("new-a");
        fs::write(&source, &changed).unwrap();
        run_with(&server, 1).run(upload(&source, "/d/a", false));
        let mut run = QueueRun::start(
            ferry_options(&server),
            QueueOptions {
                exists: ExistsPolicy::Overwrite,
                ..options
            },
        );
        run.run(download("/d", &target, true));
        let mut now = look_alikes();
        now[0].1 = changed;
        assert_eq!(
            compare(snapshot(&target), &now),
            whole(&now),
            "{how}: {:?}",
            run.states
        );
    }
}

#[test]
fn a_partial_file_of_ours_for_an_older_version_is_not_resumed() {
    let old = pattern(500_000, 3);
    let faults = Faults {
        drop_retr_after: Some(200_000),
        ..Faults::default()
    };
    let server = FaultyServer::start(Tree::new().file("/r.bin", old), faults);
    let local = tempfile::tempdir().unwrap();
    let target = local.path().join("r.bin");
    let mut h = common::harness::Harness::new(1);
    h.connect(ferry_options(&server));
    let download = |resume| ferry_engine::engine::Command::Download {
        remote: "/r.bin".into(),
        local: target.clone(),
        resume,
        size: None,
        fetch_time: false,
    };
    h.call(download(false)).unwrap_err();
    let part = ferry_engine::engine::part_path(&target).expect("a partial file of ours");
    assert_eq!(fs::metadata(&part).unwrap().len(), 200_000);

    // The file changes on the server: same size, other bytes, later time.
    let new = pattern(500_000, 29);
    let source = local.path().join("new.bin");
    fs::write(&source, &new).unwrap();
    h.call(ferry_engine::engine::Command::Upload {
        local: source,
        remote: "/r.bin".into(),
        resume: false,
    })
    .unwrap();
    h.call(ferry_engine::engine::Command::Raw(
        "MFMT 20991231000000 /r.bin".into(),
    ))
    .unwrap();

    let Ok(ferry_engine::engine::Outcome::Transferred(summary)) = h.call(download(true)) else {
        panic!("{}", h.log_text().join("\n"))
    };
    assert_eq!(summary.resumed_from, 0);
    assert_eq!(fs::read(&target).unwrap(), new);
    assert!(!part.exists());
    assert!(
        h.log_text()
            .iter()
            .any(|l| l.contains("was modified on the server after")),
        "{}",
        h.log_text().join("\n")
    );
}

#[test]
fn an_unfinished_download_in_a_folder_is_not_uploaded_with_it() {
    let tree = Tree::new()
        .file("/d/big.bin", pattern(300_000, 3))
        .dir("/up");
    let faults = Faults {
        drop_retr_after: Some(100_000),
        ..Faults::default()
    };
    let server = FaultyServer::start(tree, faults);
    let local = tempfile::tempdir().unwrap();
    let folder = local.path().join("d");
    fs::create_dir(&folder).unwrap();
    fs::write(folder.join("mine.txt"), b"mine").unwrap();
    let options = QueueOptions {
        connections: 1,
        max_attempts: 1,
        ..QueueOptions::default()
    };
    let mut run = QueueRun::start(ferry_options(&server), options);
    run.run(download("/d/big.bin", &folder.join("big.bin"), false));
    assert!(ferry_engine::engine::part_path(&folder.join("big.bin")).is_some());

    run.run(upload(&folder, "/up/d", true));
    assert_eq!(server.file("/up/d/mine.txt").unwrap(), b"mine");
    let uploaded: Vec<String> = server
        .commands()
        .into_iter()
        .filter(|c| c.starts_with("STOR"))
        .collect();
    assert_eq!(uploaded, ["STOR /up/d/mine.txt"], "{:?}", run.states);
}

/// A queue with a slow download running and a second file waiting
/// behind it (one connection), once bytes flow.
fn slow_download_running() -> (FaultyServer, QueueRun, tempfile::TempDir, Vec<u8>) {
    let data = pattern(4_000_000, 19);
    let tree = Tree::new()
        .file("/slow.bin", data.clone())
        .file("/behind.txt", b"behind".to_vec());
    let faults = Faults {
        retr_chunk_delay: Some(Duration::from_millis(40)),
        ..Faults::default()
    };
    let server = FaultyServer::start(tree, faults);
    let local = tempfile::tempdir().unwrap();
    let mut run = run_with(&server, 1);
    run.queue
        .add(download("/slow.bin", &local.path().join("slow.bin"), false));
    run.queue.add(download(
        "/behind.txt",
        &local.path().join("behind.txt"),
        false,
    ));
    run.until(|e| matches!(e, QueueEvent::Progress { bytes_done, .. } if *bytes_done > 0));
    (server, run, local, data)
}

/// What a stopped download must leave: its partial file, nothing in place.
fn assert_stopped_with_the_partial_file_kept(server: &FaultyServer, local: &Path, data: &[u8]) {
    let target = local.join("slow.bin");
    assert!(!target.exists());
    let part = ferry_engine::engine::part_path(&target).expect("a partial file of ours");
    let kept = fs::read(&part).unwrap();
    assert!(
        !kept.is_empty() && kept.len() < data.len(),
        "{}",
        kept.len()
    );
    assert_eq!(kept[..], data[..kept.len()]);
    assert!(!local.join("behind.txt").exists());
    assert!(
        server.commands().iter().any(|c| c == "ABOR"),
        "{:?}",
        server.commands()
    );
}

#[test]
fn a_dropped_queue_aborts_its_running_download_at_once_and_renames_nothing() {
    // What a window does on disconnect: it drops the queue's handle and
    // reads the queue's last words.
    let (server, run, local, data) = slow_download_running();
    let QueueRun {
        queue,
        events,
        mut states,
        specs,
        ..
    } = run;
    drop(queue);
    // The channel closes once the queue's connections have ended.
    loop {
        match events.recv_timeout(Duration::from_secs(60)) {
            Ok(QueueEvent::State { id, state }) => {
                states.insert(id, state);
            }
            Ok(_) => {}
            Err(crossbeam_channel::RecvTimeoutError::Disconnected) => break,
            Err(err) => panic!("the queue never ended: {err}"),
        }
    }
    for (id, spec) in &specs {
        assert_eq!(
            states.get(id),
            Some(&ItemState::Cancelled),
            "{}",
            spec.remote
        );
    }
    assert_stopped_with_the_partial_file_kept(&server, local.path(), &data);
}

#[test]
fn shut_down_mid_download_returns_with_no_worker_left_to_rename() {
    // A command-line run that ends early (or is told to stop) waits for
    // its queue; afterwards nothing of it may touch a file.
    let (server, run, local, data) = slow_download_running();
    let QueueRun { queue, events, .. } = run;
    queue.shut_down();
    assert_stopped_with_the_partial_file_kept(&server, local.path(), &data);
    // The queue has ended: its last words are all there is.
    let last: Vec<QueueEvent> = events.try_iter().collect();
    assert!(matches!(
        events.try_recv(),
        Err(crossbeam_channel::TryRecvError::Disconnected)
    ));
    assert!(
        last.iter().any(|e| matches!(
            e,
            QueueEvent::State {
                state: ItemState::Cancelled,
                ..
            }
        )),
        "{last:?}"
    );
}

/// A tree listed with MLSD, whose `modify` facts are exact and UTC: the
/// files are dated from them, with no MDTM per file (a round trip each
/// over a slow link). A server without MLSD still gets MDTM, since
/// LIST's times are to the minute at best.
#[test]
fn a_tree_listed_with_mlsd_is_dated_from_the_listing_without_mdtm() {
    for no_mlsd in [false, true] {
        let mut tree = Tree::new();
        for i in 0..5 {
            tree = tree.file(&format!("/d/f{i}.bin"), pattern(1_000, i + 3));
        }
        let server = FaultyServer::start(
            tree,
            Faults {
                no_mlsd,
                ..Faults::default()
            },
        );
        let local = tempfile::tempdir().unwrap();
        let mut run = run_with(&server, 2);
        run.run(download("/d", &local.path().join("d"), true));
        let mdtms = server
            .commands()
            .iter()
            .filter(|c| c.starts_with("MDTM"))
            .count();
        match no_mlsd {
            false => assert_eq!(mdtms, 0, "{:?}", server.commands()),
            true => assert_eq!(mdtms, 5, "{:?}", server.commands()),
        }
        for i in 0..5 {
            let path = local.path().join(format!("d/f{i}.bin"));
            assert_eq!(std::fs::read(&path).unwrap(), pattern(1_000, i + 3));
            let modified = std::fs::metadata(&path).unwrap().modified().unwrap();
            let age = SystemTime::now()
                .duration_since(modified)
                .unwrap_or_default();
            // The server's times are years old; a file left undated would
            // be seconds old.
            assert!(age > Duration::from_secs(86_400), "f{i}: dated {age:?} ago");
        }
    }
}

/// The work is done on the first connection while the others are still
/// logging in (a slow server): the queue ends without waiting for those
/// logins, which have touched no file.
#[test]
fn a_queue_ends_without_waiting_for_logins_still_in_progress() {
    let server = FaultyServer::start(
        Tree::new().file("/d/a.bin", pattern(1_000, 7)),
        Faults {
            slow_greeting_after_first: Some(Duration::from_secs(30)),
            ..Faults::default()
        },
    );
    let local = tempfile::tempdir().unwrap();
    // Patient enough to wait for those logins, were it asked to.
    let mut connect = ferry_options(&server);
    connect.timeout = Duration::from_secs(60);
    let options = QueueOptions {
        connections: 3,
        ..QueueOptions::default()
    };
    let mut run = QueueRun::start(connect, options);
    run.run(download("/d", &local.path().join("d"), true));
    assert_eq!(
        std::fs::read(local.path().join("d/a.bin")).unwrap(),
        pattern(1_000, 7)
    );
    assert!(
        server.connections_accepted() >= 2,
        "the other connections were not even opened"
    );
    let QueueRun { queue, events, .. } = run;
    let ending = Instant::now();
    drop(queue);
    while events.recv_timeout(Duration::from_secs(60)).is_ok() {}
    // The logins would take 30 s more; the queue's end does not wait.
    assert!(
        ending.elapsed() < Duration::from_secs(15),
        "the queue took {:?} to end",
        ending.elapsed()
    );
}

/// Five files in a folder, listed with LIST only (so each needs MDTM).
fn five_files_without_mlsd(faults: Faults) -> FaultyServer {
    let mut tree = Tree::new();
    for i in 0..5 {
        tree = tree.file(&format!("/d/f{i}.bin"), pattern(3_000, i + 7));
    }
    FaultyServer::start(
        tree,
        Faults {
            no_mlsd: true,
            ..faults
        },
    )
}

/// Downloads /d on one connection and checks every file arrived whole and
/// dated like the server's (2024), not now.
fn download_five_files_dated(server: &FaultyServer) {
    let local = tempfile::tempdir().unwrap();
    let mut run = run_with(server, 1);
    run.run(download("/d", &local.path().join("d"), true));
    for i in 0..5 {
        let path = local.path().join(format!("d/f{i}.bin"));
        assert_eq!(fs::read(&path).unwrap(), pattern(3_000, i + 7), "f{i}");
        let modified = fs::metadata(&path).unwrap().modified().unwrap();
        let since_epoch = modified.duration_since(SystemTime::UNIX_EPOCH).unwrap();
        assert_eq!(
            since_epoch.as_secs(),
            1_704_164_645,
            "f{i} dated 2024-01-02 03:04:05"
        );
    }
    let mdtms = server
        .commands()
        .iter()
        .filter(|c| c.starts_with("MDTM"))
        .count();
    assert_eq!(mdtms, 5, "{:?}", server.commands());
}

/// Over a distant link each wait for a reply is a round trip: once a
/// file's data is in, its MDTM and the next data connection's EPSV go out
/// before its 226 is read, so a file costs two round trips, not four.
#[test]
fn each_files_time_and_the_next_data_address_are_asked_with_its_end() {
    let server = five_files_without_mlsd(Faults::default());
    download_five_files_dated(&server);
    // TYPE with PWD at login, then MDTM with EPSV after each file (and
    // EPSV after the listing).
    assert!(
        server.commands_sent_together() >= 6,
        "{} sent together: {:?}",
        server.commands_sent_together(),
        server.commands()
    );
}

/// A server that reads one command and throws away what came with it is
/// found at login (PWD goes unanswered) and gets one command at a time:
/// the login is made again and every file still arrives, dated.
#[test]
fn a_server_that_drops_commands_sent_together_gets_one_at_a_time() {
    let server = five_files_without_mlsd(Faults {
        drops_commands_sent_together: true,
        ..Faults::default()
    });
    download_five_files_dated(&server);
    assert_eq!(
        server.commands_sent_together(),
        1,
        "{:?}",
        server.commands()
    );
    assert_eq!(
        server.connections_accepted(),
        2,
        "the first login is made again"
    );
}

/// A server that answers the command after a transfer before the
/// transfer's 226 (libunftp may): the replies are put back in order by
/// their codes, and the server gets one command at a time from then on.
#[test]
fn replies_out_of_order_are_sorted_and_the_server_gets_one_command_at_a_time() {
    let server = five_files_without_mlsd(Faults {
        end_reply_after_next_command: true,
        ..Faults::default()
    });
    download_five_files_dated(&server);
    // TYPE with PWD at login; the EPSV after the listing's data, answered
    // before its 226, is the last command sent together.
    assert_eq!(
        server.commands_sent_together(),
        1,
        "{:?}",
        server.commands()
    );
    let epsv_then_list_then = ["EPSV", "LIST /d", "EPSV", "EPSV", "RETR /d/f0.bin"];
    let commands = server.commands();
    assert!(
        commands.windows(5).any(|w| w == epsv_then_list_then),
        "{commands:?}"
    );
}

/// A small upload's bytes follow STOR at once, without waiting for the
/// server's 150 (the 150 and the 226 then come back together: a round trip
/// less a file); a big one waits for the 150, so a refusal can never leave
/// it writing into a connection nobody accepts. A refused small upload is
/// the server's refusal, retried like any other, and leaves the connection
/// in step.
#[test]
fn small_uploads_send_their_bytes_before_the_servers_150() {
    let server = FaultyServer::start(
        Tree::new().dir("/in"),
        Faults {
            watch_for_upload_before_150: true,
            fail_first_stores: 1,
            ..Faults::default()
        },
    );
    let local = tempfile::tempdir().unwrap();
    let small = pattern(4 * 1024, 5);
    let empty = Vec::new();
    let big = pattern(1024 * 1024, 9);
    for (name, data) in [("small", &small), ("empty", &empty), ("big", &big)] {
        fs::write(local.path().join(name), data).unwrap();
    }
    let mut run = run_with(&server, 1);
    for name in ["small", "empty", "big"] {
        run.run(upload(
            &local.path().join(name),
            &format!("/in/{name}"),
            false,
        ));
        assert_eq!(
            run.state_of(&format!("/in/{name}")),
            [ItemState::Done],
            "{name}"
        );
    }
    assert_eq!(run.retries(), 1, "the refused first STOR is retried");
    assert_eq!(server.file("/in/small").unwrap(), small);
    assert_eq!(server.file("/in/empty").unwrap(), empty);
    assert_eq!(server.file("/in/big").unwrap(), big);
    assert_eq!(
        server.uploads_sent_before_150(),
        2,
        "the small and the empty file, not the big one: {:?}",
        server.commands()
    );
    // Still in step: a listing after the uploads is whole.
    run.run(download("/in", &local.path().join("back"), true));
    assert_eq!(fs::read(local.path().join("back/big")).unwrap(), big);
}

/// `ferry ls` prints a folder while it is read: the entries come in parts
/// of 1024 as the listing arrives, in order, and the final listing holds
/// the rest; nothing is lost or repeated, and the listing is whole.
#[test]
fn a_folder_is_handed_over_in_parts_while_it_is_read() {
    let mut tree = Tree::new().dir("/big");
    for i in 0..5000 {
        tree = tree.raw_entry("/big", &format!("e{i:05}"), 1);
    }
    let server = FaultyServer::start(tree, Faults::default());
    let mut h = common::harness::Harness::new(0);
    h.connect(ferry_options(&server));
    let outcome = h.call(Command::ListInParts(Some("/big".into())));
    let Ok(Outcome::Listing(rest)) = outcome else {
        panic!("{outcome:?}")
    };
    let parts: Vec<Vec<String>> = h
        .seen
        .iter()
        .filter_map(|event| match &event.kind {
            EventKind::ListingPart { entries, .. } => {
                Some(entries.iter().map(|e| e.name.clone()).collect())
            }
            _ => None,
        })
        .collect();
    assert_eq!(
        parts.len(),
        4,
        "5000 entries: four parts of 1024 and the rest"
    );
    assert!(parts.iter().all(|part| part.len() == 1024));
    assert_eq!(rest.entries.len(), 5000 - 4 * 1024);
    assert_eq!(rest.incomplete, None);
    let names: Vec<String> = parts
        .into_iter()
        .flatten()
        .chain(rest.entries.into_iter().map(|e| e.name))
        .collect();
    let want: Vec<String> = (0..5000).map(|i| format!("e{i:05}")).collect();
    assert_eq!(names, want);
}

/// A reader slower than the server (a terminal, a pipe) does not make the
/// connection pile the folder up in memory: it reads four parts ahead and
/// waits for the reader to take them.
#[test]
fn a_folder_read_faster_than_it_is_taken_waits_four_parts_ahead() {
    let mut tree = Tree::new().dir("/big");
    for i in 0..20_000 {
        tree = tree.raw_entry("/big", &format!("e{i:05}"), 1);
    }
    let server = FaultyServer::start(tree, Faults::default());
    let (connection, events) = ferry_engine::engine::Connection::open();
    connection.send(Command::Connect(ferry_options(&server)));
    let listing = connection.send(Command::ListInParts(Some("/big".into())));
    std::thread::sleep(Duration::from_millis(700));
    let waiting: Vec<_> = events.try_iter().collect();
    let parts = |events: &[ferry_engine::engine::Event]| {
        events
            .iter()
            .filter(|e| matches!(e.kind, EventKind::ListingPart { .. }))
            .count()
    };
    assert_eq!(parts(&waiting), 4, "parts waiting for the reader");
    drop(waiting);
    // Taken one at a time, the rest follow, and nothing is lost.
    let mut names = 0;
    loop {
        let event = events.recv_timeout(Duration::from_secs(30)).unwrap();
        match event.kind {
            EventKind::ListingPart { entries, .. } => names += entries.len(),
            EventKind::Finished { request, result } if request == listing => {
                let Ok(Outcome::Listing(rest)) = result else {
                    panic!("{result:?}")
                };
                names += rest.entries.len();
                break;
            }
            _ => {}
        }
    }
    assert_eq!(names, 20_000 - 4 * 1024);
}
