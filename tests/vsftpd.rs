//! The `ferry` binary against Debian's vsftpd on 127.0.0.1, started by the
//! test with its own configuration. Needs root and the vsftpd package;
//! `.ci/run` runs these with `--features vsftpd-tests`.
#![cfg(all(unix, feature = "vsftpd-tests"))]

mod common;

use std::fs;

use common::cli::ferry;
use common::queue::snapshot;
use common::vsftpd::Vsftpd;

/// A URL for `name` inside the server's work folder (an absolute path).
fn url(server: &Vsftpd, scheme: &str, name: &str) -> String {
    format!(
        "{scheme}://{}:{}@127.0.0.1:{}/{}/{name}",
        server.user,
        server.password,
        server.port,
        server.home.display()
    )
}

#[test]
fn vsftpd_plain_list_get_put_rename_delete_quote() {
    let server = Vsftpd::start();
    let local = tempfile::tempdir().unwrap();
    let source = local.path().join("up.bin");
    let data: Vec<u8> = (0..1_500_000u32).map(|i| (i % 239) as u8).collect();
    fs::write(&source, &data).unwrap();

    ferry(&["put", source.to_str().unwrap(), &url(&server, "ftp", "")]).expect_status(0);
    let run = ferry(&["ls", "-l", &url(&server, "ftp", "")]).expect_status(0);
    assert!(run.stdout.contains("1500000"), "{}", run.stdout);
    assert!(run.stdout.contains("up.bin"), "{}", run.stdout);

    let back = local.path().join("back.bin");
    ferry(&[
        "get",
        &url(&server, "ftp", "up.bin"),
        back.to_str().unwrap(),
    ])
    .expect_status(0);
    assert_eq!(fs::read(&back).unwrap(), data);

    let new_path = format!("{}/renamed.bin", server.home.display());
    ferry(&["mv", &url(&server, "ftp", "up.bin"), &new_path]).expect_status(0);
    assert!(server.home.join("renamed.bin").exists());
    ferry(&["rm", &url(&server, "ftp", "renamed.bin")]).expect_status(0);
    assert!(!server.home.join("renamed.bin").exists());

    let run = ferry(&["quote", &url(&server, "ftp", ""), "SYST"]).expect_status(0);
    assert!(run.stdout.starts_with("215"), "{}", run.stdout);
    ferry(&["--active", "ls", &url(&server, "ftp", "")]).expect_status(0);
}

#[test]
fn vsftpd_wrong_password_is_status_3_and_missing_file_status_4() {
    let server = Vsftpd::start();
    let wrong = format!("ftp://{}:wrong@127.0.0.1:{}/", server.user, server.port);
    let run = ferry(&["ls", &wrong]).expect_status(3);
    assert!(run.stderr.contains("530"), "{}", run.stderr);
    let local = tempfile::tempdir().unwrap();
    ferry(&[
        "get",
        &url(&server, "ftp", "missing.txt"),
        local.path().to_str().unwrap(),
    ])
    .expect_status(4);
}

#[test]
fn vsftpd_explicit_tls_with_session_reuse_required() {
    let server = Vsftpd::start_tls(true);
    let fingerprint = server
        .cert()
        .expect("a TLS server has a certificate")
        .sha256_hex
        .clone();
    let local = tempfile::tempdir().unwrap();
    let source = local.path().join("secret.txt");
    fs::write(&source, b"over TLS").unwrap();

    // Untrusted: refused with status 6 and the fingerprint to pin.
    let run = ferry(&["ls", &url(&server, "ftpes", "")]).expect_status(6);
    assert!(run.stderr.contains("--trust"), "{}", run.stderr);

    let folder = url(&server, "ftpes", "");
    let file = url(&server, "ftpes", "secret.txt");
    let back = local.path().join("back.txt");
    let fp = fingerprint.as_str();
    ferry(&["--trust", fp, "put", source.to_str().unwrap(), &folder]).expect_status(0);
    let run = ferry(&["--trust", fp, "ls", &folder]).expect_status(0);
    assert!(run.stdout.contains("secret.txt"), "{}", run.stdout);
    // Several data connections in a row, each resuming the TLS session.
    for _ in 0..3 {
        ferry(&[
            "--trust",
            fp,
            "get",
            "--overwrite",
            &file,
            back.to_str().unwrap(),
        ])
        .expect_status(0);
        assert_eq!(fs::read(&back).unwrap(), b"over TLS");
    }

    // force_local_data_ssl: vsftpd takes PROT C, then refuses clear data
    // connections with 522. Ferry says so, goes back to PROT P and the
    // command still works (never less safe than asked).
    let run = ferry(&["--trust", fp, "--clear-data", "ls", &folder]).expect_status(0);
    assert!(run.stdout.contains("secret.txt"), "{}", run.stdout);
    assert!(
        run.stderr
            .contains("refused an unencrypted data connection"),
        "{}",
        run.stderr
    );

    // vsftpd requires TLS for this user: plain FTP must not log in.
    ferry(&["ls", &url(&server, "ftp", "")]).expect_status(3);
}

#[test]
fn vsftpd_implicit_tls_lists_gets_and_puts() {
    let server = Vsftpd::start_implicit_tls();
    let fingerprint = server.cert().expect("a certificate").sha256_hex.clone();
    let fp = fingerprint.as_str();
    let local = tempfile::tempdir().unwrap();
    let source = local.path().join("implicit.bin");
    let data: Vec<u8> = (0..700_000u32).map(|i| (i % 233) as u8).collect();
    fs::write(&source, &data).unwrap();
    let folder = url(&server, "ftps", "");
    ferry(&["ls", &folder]).expect_status(6);
    ferry(&["--trust", fp, "put", source.to_str().unwrap(), &folder]).expect_status(0);
    let run = ferry(&["--trust", fp, "ls", "-l", &folder]).expect_status(0);
    assert!(run.stdout.contains("implicit.bin"), "{}", run.stdout);
    let back = local.path().join("back.bin");
    ferry(&[
        "--trust",
        fp,
        "get",
        &url(&server, "ftps", "implicit.bin"),
        back.to_str().unwrap(),
    ])
    .expect_status(0);
    assert_eq!(fs::read(back).unwrap(), data);
    // The control connection goes through Ferry's own connect, as for the
    // other kinds: from the chosen source address, and an address this
    // machine does not have is a connection error (suppaftp's own
    // implicit-TLS connect ignored it and connected from the default).
    // (SYST: no data connection, which always went through Ferry's.)
    let from = |ip: &str| {
        ferry(&[
            "--trust",
            fp,
            "--source-address",
            ip,
            "quote",
            &folder,
            "SYST",
        ])
    };
    from("127.0.0.1").expect_status(0);
    let run = from("192.0.2.1").expect_status(3);
    assert!(run.stderr.contains("from 192.0.2.1"), "{}", run.stderr);
}

/// The tree of the transfer tests: nested, an empty folder, spaces and
/// non-ASCII names.
fn make_tree(root: &std::path::Path) {
    fs::create_dir_all(root.join("a/b")).unwrap();
    fs::create_dir_all(root.join("empty")).unwrap();
    fs::create_dir_all(root.join("ünï ©ode")).unwrap();
    fs::write(root.join("top.txt"), b"top").unwrap();
    fs::write(root.join("a/b/deep name.txt"), b"deep").unwrap();
    fs::write(root.join("ünï ©ode/日本.txt"), "日本").unwrap();
    let big: Vec<u8> = (0..900_000u32).map(|i| (i % 241) as u8).collect();
    fs::write(root.join("a/big.bin"), big).unwrap();
}

#[test]
fn vsftpd_trees_round_trip_and_a_second_mirror_moves_nothing() {
    let server = Vsftpd::start();
    let local = tempfile::tempdir().unwrap();
    let source = local.path().join("tree");
    make_tree(&source);
    let remote = url(&server, "ftp", "tree");

    ferry(&["put", "-r", "-j", "3", source.to_str().unwrap(), &remote]).expect_status(0);
    let back = local.path().join("back");
    ferry(&["get", "-r", "-j", "3", &remote, back.to_str().unwrap()]).expect_status(0);
    assert_eq!(snapshot(&back.join("tree")), snapshot(&source));

    // vsftpd lists with LIST only (times to the minute): still nothing moves.
    let mirror = local.path().join("mirror");
    let run = ferry(&["mirror", &remote, mirror.to_str().unwrap()]).expect_status(0);
    assert!(run.stderr.contains("4 files: 4 done"), "{}", run.stderr);
    let run = ferry(&["mirror", &remote, mirror.to_str().unwrap()]).expect_status(0);
    assert!(
        run.stderr.contains("4 files: 0 done, 4 skipped"),
        "{}",
        run.stderr
    );
    assert_eq!(snapshot(&mirror), snapshot(&source));

    let run = ferry(&["mirror", "--reverse", &remote, source.to_str().unwrap()]).expect_status(0);
    assert!(
        run.stderr.contains("4 files: 0 done, 4 skipped"),
        "{}",
        run.stderr
    );
}

#[test]
fn vsftpd_a_killed_download_resumes_to_identical_bytes() {
    // Slow enough (2 MB/s) to stop the client half way.
    let server = Vsftpd::start_with("local_max_rate=2000000\n");
    let local = tempfile::tempdir().unwrap();
    let source = local.path().join("big.bin");
    let data: Vec<u8> = (0..6_000_000u32).map(|i| (i * 31 % 247) as u8).collect();
    fs::write(&source, &data).unwrap();
    ferry(&["put", source.to_str().unwrap(), &url(&server, "ftp", "")]).expect_status(0);

    let target = local.path().join("copy.bin");
    // The partial file is the one file beside the source that ends so.
    let part = || {
        fs::read_dir(local.path())
            .unwrap()
            .map(|e| e.unwrap().path())
            .find(|p| p.to_string_lossy().ends_with(".ferry-part"))
    };
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_ferry"))
        .args([
            "get",
            &url(&server, "ftp", "big.bin"),
            target.to_str().unwrap(),
        ])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let started = std::time::Instant::now();
    while part()
        .and_then(|p| fs::metadata(p).ok())
        .map_or(0, |m| m.len())
        < 1_000_000
    {
        assert!(
            started.elapsed() < std::time::Duration::from_secs(20),
            "no progress"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    let part = part().expect("the partial file");
    let kept = fs::metadata(&part).unwrap().len();
    assert!(kept > 0 && kept < data.len() as u64, "{kept}");
    assert!(!target.exists());

    let run = ferry(&[
        "-v",
        "get",
        "-c",
        &url(&server, "ftp", "big.bin"),
        target.to_str().unwrap(),
    ])
    .expect_status(0);
    assert!(run.stderr.contains("REST "), "{}", run.stderr);
    assert_eq!(fs::read(&target).unwrap(), data);
    assert!(!part.exists());
}

#[test]
fn vsftpd_abort_keeps_the_control_connection_in_step() {
    use common::harness::{Harness, options};
    use ferry::engine::{Command, Error, Outcome};
    let server = Vsftpd::start_with("local_max_rate=2000000\n");
    let local = tempfile::tempdir().unwrap();
    let source = local.path().join("slow.bin");
    let data: Vec<u8> = (0..4_000_000u32).map(|i| (i % 211) as u8).collect();
    fs::write(&source, &data).unwrap();
    ferry(&["put", source.to_str().unwrap(), &url(&server, "ftp", "")]).expect_status(0);

    let remote = format!("{}/slow.bin", server.home.display());
    let mut h = Harness::new(1);
    h.connect(options(server.port, &server.user, &server.password));
    let target = local.path().join("copy.bin");
    let id = h.connection.send(Command::Download {
        remote: remote.clone(),
        local: target.clone(),
        resume: false,
        size: None,
        fetch_time: false,
    });
    h.wait_for_first_bytes();
    h.connection.cancel(id);
    assert_eq!(h.wait(id).unwrap_err(), Error::Cancelled);
    let Ok(Outcome::Size(size)) = h.call(Command::Size(remote)) else {
        panic!("{}", h.log_text().join("\n"))
    };
    assert_eq!(size, data.len() as u64);
    let log = h.log_text().join("\n");
    assert!(log.lines().any(|l| l == "ABOR"), "{log}");
    assert!(!log.contains("out of step"), "{log}");
}

#[test]
fn vsftpd_session_reuse_holds_for_tls_1_2_and_1_3_over_twenty_transfers_in_a_row() {
    let server = Vsftpd::start_tls(true);
    let fp = server.cert().expect("a certificate").sha256_hex.clone();
    let local = tempfile::tempdir().unwrap();
    let source = local.path().join("twenty");
    fs::create_dir(&source).unwrap();
    for i in 0..20 {
        fs::write(
            source.join(format!("f{i:02}.bin")),
            vec![i as u8; 10_000 + i],
        )
        .unwrap();
    }
    for version in ["1.3", "1.2"] {
        let remote = url(&server, "ftpes", &format!("tls{version}"));
        // Uploads: twenty data connections in a row on one login, each
        // resuming the TLS session (an upload reads no data, so the ticket
        // for the next one has to be collected on purpose).
        let run = ferry(&[
            "-v",
            "--trust",
            &fp,
            "--tls-version",
            version,
            "put",
            "-r",
            "-j",
            "1",
            source.to_str().unwrap(),
            &remote,
        ])
        .expect_status(0);
        assert!(
            run.stderr.contains(&format!("(TLS {version}, ")),
            "{}",
            run.stderr
        );
        twenty_on_one_login(&run.stderr);
        // Downloads: twenty data connections in a row on one control
        // connection, each resuming its TLS session.
        let back = local.path().join(format!("back{version}"));
        let run = ferry(&[
            "-v",
            "--trust",
            &fp,
            "--tls-version",
            version,
            "get",
            "-r",
            "-j",
            "1",
            &remote,
            back.to_str().unwrap(),
        ])
        .expect_status(0);
        twenty_on_one_login(&run.stderr);
        assert_eq!(
            snapshot(&back.join(format!("tls{version}"))),
            snapshot(&source)
        );
        let run =
            ferry(&["--trust", &fp, "--tls-version", version, "ls", &remote]).expect_status(0);
        assert_eq!(run.stdout.lines().count(), 20, "{}", run.stdout);
    }
}

/// Twenty files moved on one login, no data connection refused.
fn twenty_on_one_login(stderr: &str) {
    assert!(stderr.contains("20 files: 20 done"), "{stderr}");
    assert!(!stderr.contains("session reuse required"), "{stderr}");
    assert_eq!(stderr.matches("Logged in;").count(), 1, "{stderr}");
}

/// A file and a folder tree on `server`, written as the test (root), which
/// vsftpd's user can read.
fn seed_tree(server: &Vsftpd) -> Vec<u8> {
    let data: Vec<u8> = (0..3_000_000u32).map(|i| (i % 241) as u8).collect();
    fs::create_dir_all(server.home.join("tree/sub")).unwrap();
    fs::write(server.home.join("tree/top.txt"), b"top").unwrap();
    fs::write(server.home.join("tree/sub/big.bin"), &data).unwrap();
    data
}

#[test]
fn vsftpd_to_the_in_process_server_copies_a_tree_and_fxp_over_tls_is_declined_clearly() {
    use common::unftp::{Tls, UnftpOptions, UnftpServer};
    let source = Vsftpd::start();
    seed_tree(&source);
    let target = UnftpServer::plain();
    let to = format!("ftp://alice:s3cret-pw@127.0.0.1:{}/copied", target.port);
    ferry(&["copy", "-r", &url(&source, "ftp", "tree"), &to]).expect_status(0);
    assert_eq!(
        snapshot(&target.path("copied")),
        snapshot(&source.home.join("tree"))
    );

    // Both sides on TLS (vsftpd insisting on session reuse): FXP would
    // need CPSV/SSCN, so Ferry says so and relays, encrypted both ways.
    let source = Vsftpd::start_tls(true);
    seed_tree(&source);
    let target = UnftpServer::start(UnftpOptions {
        tls: Tls::ExplicitRequired,
        ..UnftpOptions::default()
    });
    let to = format!("ftpes://alice:s3cret-pw@127.0.0.1:{}/big.bin", target.port);
    let run = ferry(&[
        "copy",
        "--fxp",
        "--trust",
        &source.cert().unwrap().sha256_hex,
        "--trust",
        &target.cert().unwrap().sha256_hex,
        &url(&source, "ftpes", "tree/sub/big.bin"),
        &to,
    ])
    .expect_status(0);
    assert!(run.stderr.contains("CPSV or SSCN"), "{}", run.stderr);
    assert!(
        fs::read(target.path("big.bin")).unwrap()
            == fs::read(source.home.join("tree/sub/big.bin")).unwrap()
    );
}

#[test]
fn vsftpd_fxp_moves_a_file_directly_and_a_refused_port_falls_back_to_the_relay() {
    let source = Vsftpd::start();
    let data = seed_tree(&source);
    // Both servers on 127.0.0.1, so vsftpd's checks (PORT to the client's
    // own address, data connections from it) let FXP through.
    let target = Vsftpd::start();
    let run = ferry(&[
        "copy",
        "--fxp",
        "-v",
        &url(&source, "ftp", "tree/sub/big.bin"),
        &url(&target, "ftp", "fxp.bin"),
    ])
    .expect_status(0);
    assert!(
        run.stderr.contains("went straight from server to server"),
        "{}",
        run.stderr
    );
    assert!(fs::read(target.home.join("fxp.bin")).unwrap() == data);

    // A source that takes no PORT at all: the relay, and the log says why.
    let strict = Vsftpd::start_with("port_enable=NO\n");
    fs::write(strict.home.join("f.txt"), b"relayed").unwrap();
    let run = ferry(&[
        "copy",
        "--fxp",
        &url(&strict, "ftp", "f.txt"),
        &url(&target, "ftp", "f.txt"),
    ])
    .expect_status(0);
    assert!(
        run.stderr.contains("FXP is not possible here"),
        "{}",
        run.stderr
    );
    assert_eq!(fs::read(target.home.join("f.txt")).unwrap(), b"relayed");
}

/// vsftpd answers LIST of a missing folder, and of one it may not read,
/// with 226: neither must ever empty a mirror (issue 13, point 1).
#[test]
fn vsftpd_a_mistyped_or_unreadable_folder_never_empties_a_mirror() {
    use std::os::unix::fs::PermissionsExt;
    let server = Vsftpd::start();
    let tree = server.home.join("tree");
    fs::create_dir_all(tree.join("locked")).unwrap();
    fs::create_dir_all(tree.join("peek")).unwrap();
    fs::write(tree.join("readme.txt"), b"read me").unwrap();
    fs::write(tree.join("locked/secret.txt"), b"secret").unwrap();
    fs::write(tree.join("peek/hidden.txt"), b"hidden").unwrap();
    // Root's, mode 700: the test login can neither enter nor read it; mode
    // 711: it can enter, not read (vsftpd then lists the folder's own line).
    fs::set_permissions(tree.join("locked"), fs::Permissions::from_mode(0o700)).unwrap();
    fs::set_permissions(tree.join("peek"), fs::Permissions::from_mode(0o711)).unwrap();
    let local = tempfile::tempdir().unwrap();
    let backup = local.path().join("backup");
    fs::create_dir_all(backup.join("locked")).unwrap();
    fs::write(backup.join("readme.txt"), b"read me").unwrap();
    fs::write(backup.join("locked/secret.txt"), b"my copy").unwrap();
    fs::create_dir_all(backup.join("peek")).unwrap();
    fs::write(backup.join("peek/hidden.txt"), b"my copy").unwrap();
    fs::write(backup.join("mine.txt"), b"mine").unwrap();
    let before = snapshot(&backup);
    let backup_arg = backup.to_str().unwrap();

    for path in ["tree-typo", "tree/readme.txt"] {
        let run = ferry(&["mirror", "--delete", &url(&server, "ftp", path), backup_arg]);
        assert_eq!(run.status, 4, "{path}: {}", run.stderr);
        assert!(
            run.stderr.contains("not a folder"),
            "{path}: {}",
            run.stderr
        );
        assert_eq!(snapshot(&backup), before, "{path}");
    }
    let run = ferry(&["ls", &url(&server, "ftp", "tree-typo")]);
    assert_eq!(run.status, 4, "{}", run.stderr);
    let out = local.path().join("out");
    let run = ferry(&[
        "get",
        "-r",
        &url(&server, "ftp", "tree-typo"),
        out.to_str().unwrap(),
    ]);
    assert_eq!(run.status, 4, "{}", run.stderr);
    assert!(!out.exists());

    // The real tree: the locked folder cannot be read, so its copy stays,
    // no phantom locked/locked appears, and nothing at all is deleted.
    let run = ferry(&[
        "mirror",
        "--delete",
        &url(&server, "ftp", "tree"),
        backup_arg,
    ]);
    assert_eq!(run.status, 4, "{}", run.stderr);
    assert!(run.stderr.contains("Nothing was deleted"), "{}", run.stderr);
    assert_eq!(
        fs::read(backup.join("locked/secret.txt")).unwrap(),
        b"my copy"
    );
    assert!(!backup.join("locked/locked").exists());
    assert_eq!(
        fs::read(backup.join("peek/hidden.txt")).unwrap(),
        b"my copy"
    );
    assert!(!backup.join("peek/peek").exists());
    assert!(backup.join("mine.txt").exists());
}

/// A small upload sends its bytes without waiting for vsftpd's 150: into
/// a folder the login may not write, vsftpd refuses the STOR (and never
/// takes the bytes); that refusal is the error, and the connection stays
/// in step for the next upload, which arrives whole.
#[test]
fn vsftpd_a_refused_small_upload_is_the_servers_refusal_and_the_next_one_lands() {
    use common::harness::{Harness, options};
    use ferry::engine::{Command, Error, Outcome};
    let server = Vsftpd::start();
    // Root's, mode 755: the test login may list it, not write in it.
    fs::create_dir_all(server.home.join("closed")).unwrap();
    let local = tempfile::tempdir().unwrap();
    let source = local.path().join("small.bin");
    let data: Vec<u8> = (0..4096u32).map(|i| (i % 199) as u8).collect();
    fs::write(&source, &data).unwrap();
    let home = server.home.display().to_string();

    let mut h = Harness::new(1);
    h.connect(options(server.port, &server.user, &server.password));
    let refused = h.call(Command::Upload {
        local: source.clone(),
        remote: format!("{home}/closed/small.bin"),
        resume: false,
    });
    assert!(
        matches!(refused, Err(Error::Permanent { code: 553, .. })),
        "{refused:?}\n{}",
        h.log_text().join("\n")
    );
    assert!(!server.home.join("closed/small.bin").exists());
    for round in 0..3 {
        let remote = format!("{home}/small-{round}.bin");
        let sent = h.call(Command::Upload {
            local: source.clone(),
            remote: remote.clone(),
            resume: false,
        });
        assert!(sent.is_ok(), "{sent:?}\n{}", h.log_text().join("\n"));
        assert_eq!(
            fs::read(server.home.join(format!("small-{round}.bin"))).unwrap(),
            data
        );
        let Ok(Outcome::Size(size)) = h.call(Command::Size(remote)) else {
            panic!("{}", h.log_text().join("\n"))
        };
        assert_eq!(size, data.len() as u64);
    }
    let log = h.log_text().join("\n");
    assert!(!log.contains("out of step"), "{log}");
}

/// vsftpd lists links with `->` and names the real folder after a CWD
/// through one: links are fetched as what they point to, and the ones
/// that lead back into their own tree are not followed.
#[test]
fn vsftpd_links_are_fetched_as_what_they_point_to_and_loops_are_not_followed() {
    use std::os::unix::fs::symlink;
    let server = Vsftpd::start();
    let root = server.home.join("links");
    fs::create_dir_all(root.join("sub")).unwrap();
    fs::write(root.join("a.txt"), b"pointed at").unwrap();
    fs::write(root.join("sub/b.txt"), b"in sub").unwrap();
    symlink("a.txt", root.join("to-file")).unwrap();
    symlink("sub", root.join("to-folder")).unwrap();
    symlink("..", root.join("sub/up")).unwrap();
    symlink(&root, root.join("sub/absolute")).unwrap();
    let local = tempfile::tempdir().unwrap();
    let into = local.path().join("got");
    let run = ferry(&[
        "mirror",
        &url(&server, "ftp", "links"),
        into.to_str().unwrap(),
    ])
    .expect_status(0);
    assert_eq!(
        fs::read(into.join("to-file")).unwrap(),
        b"pointed at",
        "{}",
        run.stderr
    );
    assert_eq!(fs::read(into.join("to-folder/b.txt")).unwrap(), b"in sub");
    assert_eq!(fs::read(into.join("sub/b.txt")).unwrap(), b"in sub");
    for looped in [
        "sub/up",
        "sub/absolute",
        "to-folder/up",
        "to-folder/absolute",
    ] {
        assert!(!into.join(looped).exists(), "{looped}: {}", run.stderr);
    }
    assert_eq!(
        run.stderr.matches("it would never end").count(),
        4,
        "{}",
        run.stderr
    );
}
