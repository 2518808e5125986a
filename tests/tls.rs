//! Explicit FTPS against the in-process server with a certificate made for
//! the test: refused until trusted, then list, get and put over PROT P.

mod common;

use std::fs;
use std::time::Duration;

use common::ccc_server::CccServer;
use common::cli::ferry;
use common::harness::{Harness, options};
use common::unftp::{Tls, UnftpOptions, UnftpServer};
use ferry::engine::{Command, ConnectOptions, Error, Outcome, Security, normalize_fingerprint};

fn tls_server() -> UnftpServer {
    UnftpServer::start(UnftpOptions {
        tls: Tls::ExplicitRequired,
        ..UnftpOptions::default()
    })
}

fn tls_options(server: &UnftpServer) -> ConnectOptions {
    let mut opts = options(server.port, "alice", "s3cret-pw");
    opts.security = Security::ExplicitTls;
    opts
}

fn fingerprint(server: &UnftpServer) -> String {
    server.cert().expect("a certificate").sha256_hex.clone()
}

#[test]
fn an_untrusted_certificate_stops_the_connection_with_its_fingerprint() {
    let server = tls_server();
    let mut h = Harness::new(1);
    let err = h.call(Command::Connect(tls_options(&server))).unwrap_err();
    let Error::Certificate(problem) = err else {
        panic!("{err:?}")
    };
    assert_eq!(
        Some(problem.sha256.clone()),
        normalize_fingerprint(&fingerprint(&server))
    );
    assert!(
        problem.reason.contains("self-signed") || problem.reason.contains("unknown"),
        "{problem:?}"
    );
    // The details a person needs to judge it: names, issuer, dates.
    assert!(
        problem.names.iter().any(|n| n == "127.0.0.1"),
        "{problem:?}"
    );
    assert!(
        problem.names.iter().any(|n| n == "localhost"),
        "{problem:?}"
    );
    assert!(problem.issuer.contains("rcgen"), "{problem:?}");
    assert!(
        !problem.not_before.is_empty() && !problem.not_after.is_empty(),
        "{problem:?}"
    );
    let details = problem.details();
    for part in [
        "subject:",
        "issuer:",
        "names:",
        "valid:",
        "SHA-256 fingerprint:",
    ] {
        assert!(details.contains(part), "{details}");
    }
    // Nothing was sent after the handshake failed: no USER, no PASS.
    assert!(
        !h.log_text().iter().any(|l| l.starts_with("USER")),
        "{:?}",
        h.log_text()
    );
}

#[test]
fn a_pinned_certificate_lists_gets_and_puts_over_prot_p() {
    let server = tls_server();
    fs::write(server.path("secret.txt"), b"encrypted both ways").unwrap();
    let mut opts = tls_options(&server);
    opts.tls.pinned_sha256 = vec![fingerprint(&server)];
    let mut h = Harness::new(1);
    let Outcome::Connected(info) = h.connect(opts) else {
        panic!()
    };
    assert!(info.tls);
    // The version and cipher suite the handshake settled on, for the lock.
    let details = info.tls_details.clone().unwrap_or_default();
    assert!(details.starts_with("TLS 1."), "{details}");
    assert!(details.contains("_"), "{details}");
    let log = h.log_text().join("\n");
    assert!(log.contains(&details), "{log}");
    assert!(log.contains("AUTH TLS") && log.contains("PROT P"), "{log}");

    list_get_and_put(&mut h, &server, "secret.txt", b"encrypted both ways");
}

/// Lists, downloads `name` (which holds `contents`) and uploads 2 MB,
/// checking the bytes both ways.
fn list_get_and_put(h: &mut Harness, server: &UnftpServer, name: &str, contents: &[u8]) {
    let Ok(Outcome::Listing(ferry::engine::Listing { entries, .. })) = h.call(Command::List(None))
    else {
        panic!("{:?}", h.log_text())
    };
    assert!(entries.iter().any(|e| e.name == name));
    let local = tempfile::tempdir().unwrap();
    let target = local.path().join(name);
    h.call(Command::Download {
        remote: name.into(),
        local: target.clone(),
        resume: false,
        size: None,
        fetch_time: false,
    })
    .unwrap();
    assert_eq!(fs::read(&target).unwrap(), contents);
    let data: Vec<u8> = (0..2_000_000u32).map(|i| (i % 249) as u8).collect();
    let source = local.path().join("up.bin");
    fs::write(&source, &data).unwrap();
    h.call(Command::Upload {
        local: source,
        remote: "up.bin".into(),
        resume: false,
    })
    .unwrap();
    assert_eq!(fs::read(server.path("up.bin")).unwrap(), data);
}

#[test]
fn insecure_connects_and_says_so_loudly() {
    let server = tls_server();
    let mut opts = tls_options(&server);
    opts.tls.insecure = true;
    let mut h = Harness::new(0);
    h.connect(opts);
    assert!(
        h.log_text()
            .iter()
            .any(|l| l.contains("certificate checks are OFF"))
    );
}

#[test]
fn a_server_without_tls_is_never_logged_in_to_in_clear() {
    let server = UnftpServer::plain();
    let mut h = Harness::new(1);
    let mut opts = options(server.port, "alice", "s3cret-pw");
    opts.security = Security::ExplicitTls;
    let err = h.call(Command::Connect(opts)).unwrap_err();
    assert!(matches!(err, Error::Tls(_)), "{err:?}");
    assert!(
        !h.log_text()
            .iter()
            .any(|l| l.starts_with("USER") || l.starts_with("PASS"))
    );
}

#[test]
fn the_cli_refuses_with_status_6_and_accepts_trust() {
    let server = tls_server();
    fs::write(server.path("f.txt"), b"f").unwrap();
    let url = format!("ftpes://alice:s3cret-pw@127.0.0.1:{}/", server.port);
    let run = ferry(&["ls", &url]).expect_status(6);
    let pinned = normalize_fingerprint(&fingerprint(&server)).unwrap();
    assert!(
        run.stderr.contains(&format!("--trust {pinned}")),
        "{}",
        run.stderr
    );
    let run = ferry(&["ls", "--trust", &fingerprint(&server), &url]).expect_status(0);
    assert!(run.stdout.contains("f.txt"));
    let run = ferry(&["ls", "--insecure", &url]).expect_status(0);
    assert!(run.stderr.contains("WARNING"), "{}", run.stderr);
    ferry(&["ls", "--trust", "not-a-fingerprint", &url]).expect_status(2);
}

#[test]
fn the_cli_uses_certificates_trusted_always_and_warns_loudly_when_one_changed() {
    use ferry::sites::TrustStore;
    let server = tls_server();
    fs::write(server.path("f.txt"), b"f").unwrap();
    let url = format!("ftpes://alice:s3cret-pw@127.0.0.1:{}/", server.port);
    let config = tempfile::tempdir().unwrap();
    let home = config.path().to_str().unwrap();
    let env = [("XDG_CONFIG_HOME", home), ("HOME", home)];
    let trust = TrustStore::at(config.path().join("ferry/trusted-certificates.json"));

    // A different certificate was trusted for this server before.
    trust
        .trust("127.0.0.1", server.port, &("ab:".repeat(31) + "ab"))
        .unwrap();
    let run = common::cli::ferry_with(&["ls", &url], &env, None).expect_status(6);
    assert!(run.stderr.contains("CHANGED"), "{}", run.stderr);
    assert!(run.stderr.contains(&"ab:".repeat(31)), "{}", run.stderr);
    // The window's "trust always" of this one: the CLI connects too.
    let pinned = normalize_fingerprint(&fingerprint(&server)).unwrap();
    trust.trust("127.0.0.1", server.port, &pinned).unwrap();
    let run = common::cli::ferry_with(&["ls", &url], &env, None).expect_status(0);
    assert!(run.stdout.contains("f.txt"));
}

#[test]
fn a_refused_ccc_closes_the_connection_with_a_clear_error() {
    // libunftp answers CCC with 502: Ferry must not carry on as if the
    // control channel were what the user asked for.
    let server = tls_server();
    let mut opts = tls_options(&server);
    opts.tls.pinned_sha256 = vec![fingerprint(&server)];
    opts.clear_control_channel = true;
    let mut h = Harness::new(1);
    let err = h.call(Command::Connect(opts)).unwrap_err();
    assert!(matches!(err, Error::Tls(_)), "{err:?}");
    assert!(
        err.to_string()
            .contains("refused to clear the control channel"),
        "{err}"
    );
    let log = h.log_text().join("\n");
    assert!(
        log.contains("CCC: the control connection continues UNENCRYPTED"),
        "{log}"
    );
    // The CLI: status 6 and the same words.
    let url = format!("ftpes://alice:s3cret-pw@127.0.0.1:{}/", server.port);
    let run = ferry(&["ls", "--ccc", "--trust", &fingerprint(&server), &url]).expect_status(6);
    assert!(run.stderr.contains("refused to clear"), "{}", run.stderr);
}

#[test]
fn an_accepted_ccc_ends_tls_cleanly_and_commands_go_on_in_plain_text() {
    // The server's close_notify comes in its own segment after the 200, as
    // on a real network: read as plain text it would garble the next reply.
    let cert = common::certs::generate(&["127.0.0.1"]);
    let server = CccServer::start(&cert, Duration::from_millis(150));
    let mut opts = options(server.port, "alice", "s3cret-pw");
    opts.security = Security::ExplicitTls;
    opts.tls.pinned_sha256 = vec![cert.sha256_hex.clone()];
    opts.clear_control_channel = true;
    // This server refuses PROT C: said, and data stays encrypted.
    opts.clear_data = true;
    let mut h = Harness::new(1);
    let Outcome::Connected(info) = h.connect(opts) else {
        panic!()
    };
    let details = info.tls_details.unwrap_or_default();
    assert!(
        details.contains("control channel cleared (CCC)"),
        "{details}"
    );
    assert!(!details.contains("PROT C"), "{details}");
    let log = h.log_text().join("\n");
    assert!(
        log.contains(
            "refused PROT C (534 PROT C refused by policy); data connections stay encrypted"
        ),
        "{log}"
    );
    let Ok(Outcome::Reply(reply)) = h.call(Command::Raw("NOOP".into())) else {
        panic!("{:?}", h.log_text())
    };
    assert_eq!(reply.code, 200);
    assert_eq!(reply.text, "200 plain-text NOOP");
    drop(h);
    let transcript = server.transcript();
    assert!(transcript.client_sent_close_notify, "{transcript:?}");
    // The password went inside TLS; only what followed CCC went in clear.
    assert!(
        transcript.encrypted.iter().any(|c| c.starts_with("PASS ")),
        "{transcript:?}"
    );
    assert_eq!(transcript.plain.first().map(String::as_str), Some("NOOP"));
    assert!(!transcript.plain.iter().any(|c| c.starts_with("PASS")));
}

#[test]
fn clear_data_sends_prot_c_and_moves_files_without_tls_on_data() {
    // libunftp (TLS offered, not required) takes PROT C and then serves
    // data in plain TCP: a TLS data connection would fail the transfers.
    let server = UnftpServer::start(UnftpOptions {
        tls: Tls::Explicit,
        ..UnftpOptions::default()
    });
    fs::write(server.path("clear.txt"), b"plain data").unwrap();
    let mut opts = tls_options(&server);
    opts.tls.pinned_sha256 = vec![fingerprint(&server)];
    opts.clear_data = true;
    let mut h = Harness::new(1);
    let Outcome::Connected(info) = h.connect(opts) else {
        panic!()
    };
    let details = info.tls_details.unwrap_or_default();
    assert!(details.contains("data unencrypted (PROT C)"), "{details}");
    let log = h.log_text().join("\n");
    assert!(
        log.contains("PROT C: file contents and listings travel UNENCRYPTED"),
        "{log}"
    );
    assert!(log.contains("data connections are NOT"), "{log}");

    list_get_and_put(&mut h, &server, "clear.txt", b"plain data");

    // The command line's switch for the same.
    let url = format!("ftpes://alice:s3cret-pw@127.0.0.1:{}/", server.port);
    let run =
        ferry(&["ls", "--clear-data", "--trust", &fingerprint(&server), &url]).expect_status(0);
    assert!(run.stdout.contains("clear.txt"), "{}", run.stdout);
    assert!(run.stderr.contains("UNENCRYPTED"), "{}", run.stderr);
}
