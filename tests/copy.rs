//! Server to server (`ferry copy`): two real servers on 127.0.0.1 in the
//! same test, nothing through the local disk.

mod common;

use std::fs;
use std::path::Path;

use common::cli::{Run, ferry_measured};
use common::faulty::{Faults, FaultyServer, Tree};
use common::queue::snapshot;
use common::unftp::{UnftpOptions, UnftpServer};

fn url(server: &UnftpServer, path: &str) -> String {
    format!("ftp://alice:s3cret-pw@127.0.0.1:{}/{path}", server.port)
}

fn pattern(len: usize, seed: u32) -> Vec<u8> {
    (0..len as u32)
        .map(|i| (i.wrapping_mul(seed) % 251) as u8)
        .collect()
}

/// Runs `ferry ARGS` with HOME and TMPDIR (and the config and cache
/// folders) in empty folders of their own, asserts that they are still
/// empty afterwards, and returns the run and its peak memory in KiB.
fn copy(args: &[&str]) -> (Run, u64) {
    let home = tempfile::tempdir().unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let home_path = home.path().to_str().unwrap();
    let env = [
        ("HOME", home_path),
        ("XDG_CONFIG_HOME", home_path),
        ("XDG_CACHE_HOME", home_path),
        ("XDG_DATA_HOME", home_path),
        ("TMPDIR", tmp.path().to_str().unwrap()),
        ("FERRY_KEYRING", "none"),
    ];
    let result = ferry_measured(args, &env);
    for dir in [home.path(), tmp.path()] {
        assert_eq!(
            snapshot(dir),
            vec![],
            "a copy wrote under {}",
            dir.display()
        );
    }
    result
}

fn write(root: &Path, rel: &str, bytes: &[u8]) {
    let path = root.join(rel);
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(path, bytes).unwrap();
}

#[test]
fn a_tree_copied_between_two_servers_arrives_byte_for_byte() {
    let from = UnftpServer::plain();
    let to = UnftpServer::plain();
    let src = from.path("src");
    write(&src, "a.txt", b"alpha");
    write(&src, "sub/b.bin", &pattern(3_000_000, 7));
    write(&src, "sub/deeper/with space \u{fc}.txt", b"umlaut");
    fs::create_dir_all(src.join("empty")).unwrap();

    let (run, _) = copy(&["copy", "-r", &url(&from, "src"), &url(&to, "dst")]);
    let run = run.expect_status(0);
    assert_eq!(snapshot(&to.path("dst")), snapshot(&src), "{}", run.stderr);
    assert!(run.stderr.contains("3 files: 3 done"), "{}", run.stderr);

    // A mistyped source fails and makes no empty folder on the target.
    let (run, _) = copy(&["copy", "-r", &url(&from, "src-typo"), &url(&to, "typo")]);
    let run = run.expect_status(4);
    assert!(!to.path("typo").exists(), "{}", run.stderr);

    // Again, without a flag: nothing is replaced, and it says so.
    let (run, _) = copy(&["copy", "-r", &url(&from, "src"), &url(&to, "dst")]);
    let run = run.expect_status(4);
    assert!(run.stderr.contains("already exists"), "{}", run.stderr);
    let (run, _) = copy(&[
        "copy",
        "-r",
        "--skip-existing",
        &url(&from, "src"),
        &url(&to, "dst"),
    ]);
    run.expect_status(0);

    // One file into a folder (DST ending in /), and "keep both" beside it.
    let (run, _) = copy(&["copy", &url(&from, "src/a.txt"), &url(&to, "dst/")]);
    run.expect_status(4);
    let (run, _) = copy(&[
        "copy",
        "--keep-both",
        &url(&from, "src/a.txt"),
        &url(&to, "dst/"),
    ]);
    run.expect_status(0);
    assert_eq!(fs::read(to.path("dst/a (1).txt")).unwrap(), b"alpha");
}

#[test]
fn a_dropped_source_connection_resumes_the_copy_to_identical_bytes() {
    let data = pattern(4_000_000, 13);
    let source = FaultyServer::start(
        Tree::new().file("/big.bin", data.clone()),
        Faults {
            drop_retr_after: Some(1_500_000),
            ..Faults::default()
        },
    );
    let to = UnftpServer::plain();
    let from = format!("ftp://user:pw@127.0.0.1:{}/big.bin", source.port());
    let (run, _) = copy(&["copy", "-v", &from, &url(&to, "big.bin")]);
    let run = run.expect_status(0);
    assert!(fs::read(to.path("big.bin")).unwrap() == data);
    // The second attempt went on from what the target had: REST on the
    // source, APPE on the target.
    let rest = source
        .commands()
        .iter()
        .find(|c| c.starts_with("REST ") && c != &"REST 0")
        .cloned();
    assert!(rest.is_some(), "{:?}", source.commands());
    assert!(run.stderr.contains("APPE big.bin"), "{}", run.stderr);
}

#[test]
fn fxp_refused_by_the_source_falls_back_to_the_relay() {
    let from = UnftpServer::start(UnftpOptions {
        passive_only: true,
        ..UnftpOptions::default()
    });
    let to = UnftpServer::plain();
    let data = pattern(500_000, 3);
    fs::write(from.path("f.bin"), &data).unwrap();
    let (run, _) = copy(&["copy", "--fxp", &url(&from, "f.bin"), &url(&to, "f.bin")]);
    let run = run.expect_status(0);
    assert!(
        run.stderr.contains("FXP is not possible here"),
        "{}",
        run.stderr
    );
    assert!(fs::read(to.path("f.bin")).unwrap() == data);
}

#[test]
fn fxp_between_two_servers_that_allow_it_moves_the_file_directly() {
    let from = UnftpServer::plain();
    let to = UnftpServer::plain();
    let data = pattern(2_000_000, 11);
    fs::write(from.path("f.bin"), &data).unwrap();
    let (run, _) = copy(&[
        "copy",
        "--fxp",
        "-v",
        &url(&from, "f.bin"),
        &url(&to, "f.bin"),
    ]);
    let run = run.expect_status(0);
    assert!(
        run.stderr.contains("went straight from server to server"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("PORT 127,0,0,1,"), "{}", run.stderr);
    assert!(fs::read(to.path("f.bin")).unwrap() == data);
}

#[test]
fn a_large_copy_keeps_memory_flat() {
    // 1 GiB; the source is sparse, so only the target costs disk.
    const SIZE: u64 = 1024 * 1024 * 1024;
    const CAP_KIB: u64 = 40 * 1024;
    let from = UnftpServer::plain();
    let to = UnftpServer::plain();
    let file = fs::File::create(from.path("big.iso")).unwrap();
    file.set_len(SIZE).unwrap();
    drop(file);
    let (run, peak) = copy(&["copy", &url(&from, "big.iso"), &url(&to, "big.iso")]);
    run.expect_status(0);
    assert_eq!(fs::metadata(to.path("big.iso")).unwrap().len(), SIZE);
    assert!(peak > 0 && peak < CAP_KIB, "peak RSS {peak} KiB");
    eprintln!("copy of {SIZE} bytes: peak RSS {peak} KiB");
}

#[test]
fn a_source_that_sends_more_than_it_announced_leaves_no_copy_on_the_target() {
    let source = FaultyServer::start(
        Tree::new().file("/endless.bin", pattern(4_000, 3)),
        Faults {
            retr_endless: true,
            ..Faults::default()
        },
    );
    let to = UnftpServer::plain();
    let from = format!("ftp://user:pw@127.0.0.1:{}/endless.bin", source.port());
    let (run, _) = copy(&["copy", &from, &url(&to, "endless.bin")]);
    let run = run.expect_status(4);
    assert!(
        run.stderr.contains("more than the 4000 bytes"),
        "{}",
        run.stderr
    );
    assert!(!to.path("endless.bin").exists());
}

/// Between two servers a small file's bytes go to the target without
/// waiting for its 150, as an upload's do (a big one waits); the target
/// folder is listed once instead of asked about file by file; a target
/// that refuses a STOR once gets it again, and every copy arrives whole.
#[test]
fn small_copies_reach_the_target_before_its_150_and_a_refusal_is_retried() {
    let mut tree = Tree::new();
    for i in 0..5 {
        tree = tree.file(&format!("/d/f{i}.bin"), pattern(3_000, i + 1));
    }
    let big = pattern(1_000_000, 7);
    tree = tree.file("/d/big.bin", big.clone());
    let source = FaultyServer::start(tree, Faults::default());
    let target = FaultyServer::start(
        Tree::new().dir("/in"),
        Faults {
            watch_for_upload_before_150: true,
            fail_first_stores: 1,
            ..Faults::default()
        },
    );
    let from = format!("ftp://user:pw@127.0.0.1:{}/d", source.port());
    let to = format!("ftp://user:pw@127.0.0.1:{}/in/d", target.port());
    let (run, _) = copy(&["copy", "-r", "-j", "1", &from, &to]);
    run.expect_status(0);
    for i in 0..5 {
        assert_eq!(
            target.file(&format!("/in/d/f{i}.bin")).unwrap(),
            pattern(3_000, i + 1),
            "f{i}"
        );
    }
    assert_eq!(target.file("/in/d/big.bin").unwrap(), big);
    // What each copy would replace comes from one listing of the target
    // folder, not from SIZE and MDTM for every file.
    let asked: Vec<String> = target
        .commands()
        .into_iter()
        .filter(|c| c.starts_with("SIZE") || c.starts_with("MDTM"))
        .collect();
    assert!(asked.len() <= 1, "{asked:?}");
    assert_eq!(
        target.uploads_sent_before_150(),
        5,
        "{:?}",
        target.commands()
    );
}

/// `copy --verify` compares both servers' checksums of the copy (the
/// test servers give SITE MD5).
#[test]
fn a_verified_copy_is_checked_on_both_servers() {
    let from = common::unftp::UnftpServer::plain();
    let to = common::unftp::UnftpServer::plain();
    std::fs::write(from.path("a.bin"), vec![7u8; 100_000]).unwrap();
    let source = format!("ftp://alice:s3cret-pw@127.0.0.1:{}/a.bin", from.port);
    let target = format!("ftp://alice:s3cret-pw@127.0.0.1:{}/a.bin", to.port);
    let run = common::cli::ferry(&["-v", "copy", "--verify", &source, &target]).expect_status(0);
    assert!(
        run.stderr.contains("checked on both servers"),
        "{}",
        run.stderr
    );
    assert_eq!(std::fs::read(to.path("a.bin")).unwrap(), vec![7u8; 100_000]);
}
