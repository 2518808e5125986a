//! The SFTP session against Debian's OpenSSH server (ferry-testkit's
//! `sshd`: its own host key, a test user with a password and an
//! authorized key, the internal SFTP server).
//!
//! Needs root and `apt-get install openssh-server`; behind the
//! `sshd-tests` feature, run by `.ci/run`. Missing pieces fail loudly,
//! never skip.

use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::AtomicU8;
use std::time::{Duration, Instant};

use super::known_hosts::{self, HostKey, HostKeyVerdict};
use super::{SftpOptions, SftpSession};
use crate::engine::debug_log::LogSink;
use crate::engine::event::{Event, EventKind, Progress};
use crate::engine::transfer::TransferObserver;
use crate::engine::{Error, Secret};

use ferry_testkit::sshd::{self, PASSWORD, Sshd, USER, user_folder};

/// The public key in an OpenSSH `.pub` file.
fn public_key(path: &Path) -> HostKey {
    use base64::Engine as _;
    let text = std::fs::read_to_string(path).unwrap();
    let mut fields = text.split_whitespace();
    let key_type = fields.next().unwrap();
    let blob = base64::engine::general_purpose::STANDARD
        .decode(fields.next().unwrap())
        .unwrap();
    HostKey::new(key_type, blob)
}

/// Options that trust the server's key through a known_hosts file of the
/// test's own, logging in with the password only.
fn options(sshd: &Sshd) -> SftpOptions {
    SftpOptions {
        port: sshd.port,
        password: Some(Secret::new(PASSWORD)),
        default_identities: false,
        use_agent: false,
        known_hosts: vec![sshd.known_hosts()],
        timeout: Duration::from_secs(20),
        ..SftpOptions::new("127.0.0.1", USER)
    }
}

fn host_key(sshd: &Sshd) -> HostKey {
    public_key(&sshd.host_key_pub)
}

/// A log sink whose lines can be read back.
fn log() -> (LogSink, crossbeam_channel::Receiver<Event>) {
    let (tx, rx) = crossbeam_channel::unbounded();
    (LogSink::new(1, tx, Arc::new(AtomicU8::new(2))), rx)
}

fn log_lines(rx: &crossbeam_channel::Receiver<Event>) -> Vec<String> {
    rx.try_iter()
        .filter_map(|e| match e.kind {
            EventKind::Log(line) => Some(line.text),
            _ => None,
        })
        .collect()
}

fn connect(options: &SftpOptions) -> Result<SftpSession, Error> {
    SftpSession::connect(options, log().0)
}

struct Quiet {
    stop_after: Option<u64>,
}

impl TransferObserver for Quiet {
    fn progress(&mut self, progress: Progress) {
        if let Some(limit) = self.stop_after
            && progress.bytes_done >= limit
        {
            self.stop_after = Some(0);
        }
    }

    fn cancelled(&mut self) -> bool {
        self.stop_after == Some(0)
    }
}

fn random_bytes(len: usize, seed: u32) -> Vec<u8> {
    let mut x = seed.wrapping_mul(2_654_435_761).max(1);
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            x as u8
        })
        .collect()
}

#[test]
fn an_unknown_host_key_is_refused_then_trusted_by_its_fingerprint_then_remembered() {
    let sshd = Sshd::start();
    let empty = sshd.dir().join("empty_known_hosts");
    let mut options = SftpOptions {
        known_hosts: vec![empty.clone()],
        ..options(&sshd)
    };
    let err = connect(&options)
        .err()
        .expect("an unknown key must be refused");
    let Error::HostKey(problem) = &err else {
        panic!("{err:?}")
    };
    assert!(matches!(problem.verdict, HostKeyVerdict::Unknown { .. }));
    // The fingerprint shown is the one ssh-keygen gives for the key file.
    assert_eq!(
        problem.key.fingerprint(),
        sshd::fingerprint(&sshd.host_key_pub)
    );
    assert!(
        err.to_string().contains(&problem.key.fingerprint()),
        "{err}"
    );

    options.trusted_fingerprints = vec![problem.key.fingerprint()];
    let session = connect(&options).expect("trusted once by fingerprint");
    session.quit();

    known_hosts::remember(&empty, "127.0.0.1", sshd.port, &problem.key).unwrap();
    options.trusted_fingerprints.clear();
    connect(&options).expect("remembered").quit();
}

#[test]
fn a_changed_or_revoked_host_key_is_refused_whatever_is_trusted() {
    let sshd = Sshd::start();
    let other = sshd.dir().join("other_ed25519");
    sshd::new_key(&other);
    let old_key = public_key(&other.with_extension("pub"));
    let changed = sshd.dir().join("changed_known_hosts");
    known_hosts::remember(&changed, "127.0.0.1", sshd.port, &old_key).unwrap();
    let options = SftpOptions {
        known_hosts: vec![changed],
        trusted_fingerprints: vec![host_key(&sshd).fingerprint()],
        ..options(&sshd)
    };
    let err = connect(&options)
        .err()
        .expect("a changed key must be refused");
    let Error::HostKey(problem) = &err else {
        panic!("{err:?}")
    };
    assert!(
        matches!(&problem.verdict, HostKeyVerdict::Changed { known } if known[0].0 == old_key.fingerprint())
    );
    let text = err.to_string();
    assert!(text.contains("HAS CHANGED"), "{text}");
    assert!(text.contains(&old_key.fingerprint()) && text.contains(&host_key(&sshd).fingerprint()));

    let revoked = sshd.dir().join("revoked_known_hosts");
    known_hosts::remember(&revoked, "127.0.0.1", sshd.port, &host_key(&sshd)).unwrap();
    let line = host_key(&sshd).known_hosts_line("127.0.0.1", sshd.port);
    let mut text = std::fs::read_to_string(&revoked).unwrap();
    text.push_str(&format!("@revoked {line}\n"));
    std::fs::write(&revoked, text).unwrap();
    let options = SftpOptions {
        known_hosts: vec![revoked],
        ..options
    };
    let err = connect(&options)
        .err()
        .expect("a revoked key must be refused");
    assert!(
        matches!(&err, Error::HostKey(p) if matches!(p.verdict, HostKeyVerdict::Revoked { .. })),
        "{err:?}"
    );
}

#[test]
fn password_key_file_and_agent_each_log_in_and_no_secret_is_logged() {
    let sshd = Sshd::start();
    // The password.
    let (sink, lines) = log();
    SftpSession::connect(&options(&sshd), sink)
        .expect("password")
        .quit();
    let said = log_lines(&lines);
    assert!(
        said.iter().any(|l| l.contains("with the password")),
        "{said:?}"
    );
    assert!(!said.iter().any(|l| l.contains(PASSWORD)), "{said:?}");
    // A wrong one is refused, saying what was tried.
    let wrong = SftpOptions {
        password: Some(Secret::new("not-it")),
        ..options(&sshd)
    };
    let err = connect(&wrong).err().expect("a wrong password");
    assert!(
        matches!(&err, Error::Permanent { code: 530, text } if text.contains("the password")),
        "{err:?}"
    );
    // A key file.
    let key = SftpOptions {
        password: None,
        identity_files: vec![sshd.client_key.clone()],
        ..options(&sshd)
    };
    let (sink, lines) = log();
    SftpSession::connect(&key, sink).expect("key file").quit();
    assert!(log_lines(&lines).iter().any(|l| l.contains("with the key")));
    // The agent, holding the same key.
    let socket = sshd.dir().join("agent.sock");
    let mut agent = Command::new("ssh-agent")
        .args(["-D", "-a", socket.to_str().unwrap()])
        .stdout(Stdio::null())
        .spawn()
        .expect("ssh-agent");
    let started = Instant::now();
    while !socket.exists() && started.elapsed() < Duration::from_secs(5) {
        std::thread::sleep(Duration::from_millis(20));
    }
    let added = Command::new("ssh-add")
        .arg(&sshd.client_key)
        .env("SSH_AUTH_SOCK", &socket)
        .output()
        .expect("ssh-add");
    assert!(
        added.status.success(),
        "{}",
        String::from_utf8_lossy(&added.stderr)
    );
    let through_agent = SftpOptions {
        password: None,
        use_agent: true,
        agent_socket: Some(socket),
        ..options(&sshd)
    };
    let (sink, lines) = log();
    let result = SftpSession::connect(&through_agent, sink);
    let _ = agent.kill();
    let _ = agent.wait();
    result.expect("agent").quit();
    assert!(
        log_lines(&lines)
            .iter()
            .any(|l| l.contains("the agent's key"))
    );
}

#[test]
fn files_with_any_name_go_up_and_down_byte_for_byte() {
    let sshd = Sshd::start();
    let folder = user_folder();
    let remote_dir = format!("{}/tree with spaces é", folder.display());
    let mut session = connect(&options(&sshd)).unwrap();
    session.mkdir(&remote_dir).unwrap();
    let local = tempfile::tempdir().unwrap();
    let sizes = [
        0usize,
        1,
        32 * 1024 - 1,
        32 * 1024,
        32 * 1024 + 1,
        5 * 1024 * 1024 + 7,
    ];
    let mut names = Vec::new();
    for (i, size) in sizes.iter().enumerate() {
        let name = format!("fichier {i} – ünïcode.bin");
        let path = local.path().join(&name);
        std::fs::write(&path, random_bytes(*size, i as u32 + 1)).unwrap();
        let remote = format!("{remote_dir}/{name}");
        let summary = session
            .upload(
                i as u64,
                &path,
                &remote,
                false,
                &mut Quiet { stop_after: None },
            )
            .unwrap();
        assert_eq!(summary.bytes, *size as u64);
        names.push((name, *size));
    }
    let listing = session.list(&remote_dir).unwrap();
    for (name, size) in &names {
        let entry = listing.iter().find(|e| &e.name == name).expect(name);
        assert_eq!(entry.size, Some(*size as u64), "{name}");
        assert!(!entry.is_dir());
    }
    let back = tempfile::tempdir().unwrap();
    for (i, (name, _)) in names.iter().enumerate() {
        let target = back.path().join(name);
        let summary = session
            .download(
                i as u64,
                &format!("{remote_dir}/{name}"),
                &target,
                false,
                &mut Quiet { stop_after: None },
            )
            .unwrap();
        assert!(summary.source_modified.is_some());
        assert_eq!(
            std::fs::read(&target).unwrap(),
            std::fs::read(local.path().join(name)).unwrap(),
            "{name}"
        );
    }
    // Rename, permissions, time, delete.
    let first = format!("{remote_dir}/{}", names[1].0);
    let renamed = format!("{remote_dir}/renamed");
    session.rename(&first, &renamed).unwrap();
    session.chmod(&renamed, "640").unwrap();
    let time = chrono::NaiveDate::from_ymd_opt(2021, 3, 4)
        .unwrap()
        .and_hms_opt(5, 6, 7)
        .unwrap();
    session.set_modification_time(&renamed, time).unwrap();
    let entry = session
        .list(&remote_dir)
        .unwrap()
        .into_iter()
        .find(|e| e.name == "renamed")
        .unwrap();
    assert_eq!(entry.permissions.as_deref(), Some("rw-r-----"));
    assert_eq!(entry.modified, Some(time));
    assert_eq!(session.stat(&renamed).unwrap().modified, Some(time));
    let missing = session.stat(&first).expect_err("renamed away");
    assert!(
        matches!(missing, Error::Permanent { code: 550, .. }),
        "{missing:?}"
    );
    for entry in session.list(&remote_dir).unwrap() {
        session
            .delete(&format!("{remote_dir}/{}", entry.name))
            .unwrap();
    }
    session.rmdir(&remote_dir).unwrap();
    session.quit();
}

#[test]
fn a_stopped_download_and_upload_resume_where_they_stopped() {
    let sshd = Sshd::start();
    let folder = user_folder();
    let data = random_bytes(8 * 1024 * 1024, 99);
    let source = folder.join("big.bin");
    std::fs::write(&source, &data).unwrap();
    let remote = source.display().to_string();
    // 4 MiB/s each way: progress comes every 100 ms, so the observer can
    // stop each transfer after its first MiB.
    let options = options(&sshd);
    options.rate_limits.download.set(4 * 1024 * 1024);
    options.rate_limits.upload.set(4 * 1024 * 1024);
    let mut session = connect(&options).unwrap();
    let local = tempfile::tempdir().unwrap();
    let target = local.path().join("big.bin");
    let stopped = session.download(
        1,
        &remote,
        &target,
        true,
        &mut Quiet {
            stop_after: Some(1024 * 1024),
        },
    );
    assert!(matches!(stopped, Err(Error::Cancelled)), "{stopped:?}");
    assert!(!target.exists());
    let summary = session
        .download(2, &remote, &target, true, &mut Quiet { stop_after: None })
        .unwrap();
    assert!(summary.resumed_from >= 1024 * 1024, "{summary:?}");
    assert_eq!(summary.resumed_from + summary.bytes, data.len() as u64);
    assert_eq!(std::fs::read(&target).unwrap(), data);
    // Each transfer after a stop is a new one: no limit needed now.
    options.rate_limits.download.set(0);

    // An upload stopped halfway continues from the server's length.
    let up = format!("{}/up.bin", folder.display());
    let stopped = session.upload(
        3,
        &target,
        &up,
        false,
        &mut Quiet {
            stop_after: Some(3 * 1024 * 1024),
        },
    );
    assert!(matches!(stopped, Err(Error::Cancelled)), "{stopped:?}");
    let partly = std::fs::metadata(folder.join("up.bin")).unwrap().len();
    assert!(partly > 0 && partly < data.len() as u64, "{partly}");
    let summary = session
        .upload(4, &target, &up, true, &mut Quiet { stop_after: None })
        .unwrap();
    assert_eq!(summary.resumed_from, partly);
    assert_eq!(std::fs::read(folder.join("up.bin")).unwrap(), data);
    session.quit();
}

#[test]
fn a_password_is_given_to_a_server_that_asks_for_it_only_through_keyboard_interactive() {
    let sshd = Sshd::start_with(
        "UsePAM yes\nPasswordAuthentication no\nKbdInteractiveAuthentication yes\n",
    );
    let (sink, lines) = log();
    SftpSession::connect(&options(&sshd), sink)
        .expect("the password through keyboard-interactive")
        .quit();
    let said = log_lines(&lines);
    assert!(
        said.iter().any(|l| l.contains("keyboard-interactive")),
        "{said:?}"
    );
    assert!(!said.iter().any(|l| l.contains(PASSWORD)), "{said:?}");
    // A wrong one is still refused.
    let wrong = SftpOptions {
        password: Some(Secret::new("not-it")),
        ..options(&sshd)
    };
    let err = connect(&wrong).err().expect("a wrong password");
    assert!(matches!(err, Error::Permanent { code: 530, .. }), "{err:?}");
}

#[test]
fn a_partial_download_of_a_file_changed_since_starts_over_and_a_file_changed_while_sent_fails() {
    let sshd = Sshd::start();
    let folder = user_folder();
    let source = folder.join("changing.bin");
    let old = random_bytes(8 * 1024 * 1024, 7);
    std::fs::write(&source, &old).unwrap();
    sshd::chown_to_user(&folder);
    let remote = source.display().to_string();
    let options = options(&sshd);
    options.rate_limits.download.set(4 * 1024 * 1024);
    options.rate_limits.upload.set(4 * 1024 * 1024);
    let mut session = connect(&options).unwrap();
    let local = tempfile::tempdir().unwrap();
    let target = local.path().join("changing.bin");
    let stopped = session.download(
        1,
        &remote,
        &target,
        true,
        &mut Quiet {
            stop_after: Some(1024 * 1024),
        },
    );
    assert!(matches!(stopped, Err(Error::Cancelled)), "{stopped:?}");
    // The server's file becomes another of the same size, newer than the
    // partial file: resuming would splice two versions together.
    let new = random_bytes(old.len(), 8);
    std::fs::write(&source, &new).unwrap();
    let later = std::time::SystemTime::now() + Duration::from_secs(60);
    std::fs::File::options()
        .write(true)
        .open(&source)
        .unwrap()
        .set_modified(later)
        .unwrap();
    let summary = session
        .download(2, &remote, &target, true, &mut Quiet { stop_after: None })
        .unwrap();
    assert_eq!(summary.resumed_from, 0, "{summary:?}");
    assert!(
        std::fs::read(&target).unwrap() == new,
        "not the new version"
    );

    // A local file that grows while it is sent: the upload fails.
    let growing = local.path().join("growing.bin");
    std::fs::write(&growing, &old).unwrap();
    let writer = {
        let growing = growing.clone();
        std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(300));
            use std::io::Write as _;
            let mut file = std::fs::File::options()
                .append(true)
                .open(&growing)
                .unwrap();
            file.write_all(b"more").unwrap();
        })
    };
    let up = format!("{}/up.bin", folder.display());
    let result = session.upload(3, &growing, &up, false, &mut Quiet { stop_after: None });
    writer.join().unwrap();
    assert!(
        matches!(&result, Err(Error::LocalIo { message, .. }) if message.contains("changed while")),
        "{result:?}"
    );
    session.quit();
}
