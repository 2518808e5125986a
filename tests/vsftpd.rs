//! The `ferry` binary against Debian's vsftpd on 127.0.0.1, started by the
//! test with its own configuration. Needs root and the vsftpd package;
//! `.ci/run` runs these with `--features vsftpd-tests`.
#![cfg(feature = "vsftpd-tests")]

mod common;

use std::fs;

use common::cli::ferry;
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
}
