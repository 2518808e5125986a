//! Faults on this computer's side: a full disk and a read-only folder,
//! made real with small tmpfs mounts. Needs root (mount), like the vsftpd
//! tests, so it runs with them: `--features vsftpd-tests`.
#![cfg(feature = "vsftpd-tests")]

use ferry_testkit as common;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use common::harness::options;
use common::queue::{QueueRun, download};
use common::unftp::UnftpServer;
use ferry_engine::engine::Error;
use ferry_engine::engine::queue::{ExistsPolicy, ItemState, QueueOptions};

/// A tmpfs mounted on a fresh folder for the test's lifetime.
struct Mount {
    path: PathBuf,
    _dir: tempfile::TempDir,
}

impl Mount {
    fn new(options: &str) -> Mount {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().to_path_buf();
        let status = Command::new("mount")
            .args(["-t", "tmpfs", "-o", options, "tmpfs"])
            .arg(&path)
            .status()
            .expect("run mount (these tests need root)");
        assert!(
            status.success(),
            "mount -t tmpfs -o {options} failed (these tests need root)"
        );
        Mount { path, _dir: dir }
    }
}

impl Drop for Mount {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.path).status();
    }
}

fn run(server: &UnftpServer) -> QueueRun {
    let options = QueueOptions {
        connections: 1,
        exists: ExistsPolicy::Overwrite,
        ..QueueOptions::default()
    };
    QueueRun::start(options_for(server), options)
}

fn options_for(server: &UnftpServer) -> ferry_engine::engine::ConnectOptions {
    options(server.port, "alice", "s3cret-pw")
}

fn failure_of(run: &QueueRun, remote_suffix: &str) -> Error {
    match &run.state_of(remote_suffix)[..] {
        [ItemState::Failed(err)] => err.clone(),
        other => panic!("{remote_suffix}: {other:?}"),
    }
}

#[test]
fn a_full_disk_fails_that_file_alone_and_damages_nothing_complete() {
    let server = UnftpServer::plain();
    fs::create_dir(server.path("d")).unwrap();
    fs::write(server.path("d/a-small.txt"), b"small and complete").unwrap();
    fs::write(server.path("d/b-big.bin"), vec![9u8; 3 * 1024 * 1024]).unwrap();
    fs::write(server.path("elsewhere.txt"), b"also fine").unwrap();
    let disk = Mount::new("size=1m");
    let target = disk.path.join("d");
    let other = tempfile::tempdir().unwrap();
    let mut run = run(&server);
    run.run(download("d", &target, true));
    run.run(download(
        "elsewhere.txt",
        &other.path().join("elsewhere.txt"),
        false,
    ));

    let err = failure_of(&run, "b-big.bin");
    assert!(matches!(err, Error::LocalIo { .. }), "{err:?}");
    assert!(err.to_string().contains("disk is full"), "{err}");
    // What was complete before is untouched; the big file never appears
    // under its own name.
    assert_eq!(
        fs::read(target.join("a-small.txt")).unwrap(),
        b"small and complete"
    );
    assert!(!target.join("b-big.bin").exists());
    // The queue went on.
    assert_eq!(run.state_of("elsewhere.txt"), [ItemState::Done]);
    assert_eq!(
        fs::read(other.path().join("elsewhere.txt")).unwrap(),
        b"also fine"
    );
}

#[test]
fn a_read_only_folder_fails_its_items_clearly_and_the_rest_goes_on() {
    let server = UnftpServer::plain();
    fs::write(server.path("x.txt"), b"x").unwrap();
    let read_only = Mount::new("ro,size=1m");
    let writable = tempfile::tempdir().unwrap();
    let mut run = run(&server);
    run.queue
        .add(download("x.txt", &read_only.path.join("x.txt"), false));
    run.run(download("x.txt", &writable.path().join("x.txt"), false));
    let failed = run
        .states
        .values()
        .find_map(|s| match s {
            ItemState::Failed(err) => Some(err.clone()),
            _ => None,
        })
        .expect("the read-only target fails");
    assert!(failed.to_string().contains("Read-only"), "{failed}");
    assert_eq!(fs::read(writable.path().join("x.txt")).unwrap(), b"x");
    assert!(!Path::new(&read_only.path.join("x.txt")).exists());
}
