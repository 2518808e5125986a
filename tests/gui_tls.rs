//! Certificates in the window: an untrusted one is shown with its details
//! and can be trusted once or always; one that changed is a loud warning.

mod common;

use std::fs;

use common::gui::{App, shows, wait_for};
use common::unftp::{Tls, UnftpOptions, UnftpServer};
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use ferry::engine::normalize_fingerprint;
use ferry::gui::{FerryApp, LinkState, Settings};
use ferry::sites::{SiteStore, TrustStore};

fn tls_server() -> UnftpServer {
    UnftpServer::start(UnftpOptions {
        tls: Tls::ExplicitRequired,
        ..UnftpOptions::default()
    })
}

fn window(config: &std::path::Path, local: &std::path::Path) -> App {
    let settings = Settings {
        last_local: Some(local.to_path_buf()),
        ..Settings::default()
    };
    let app = FerryApp::with_sites(
        settings,
        None,
        Some(SiteStore::at(config.join("sites.json"))),
    );
    Harness::builder()
        .with_size(egui::vec2(1280.0, 800.0))
        .with_step_dt(1.0 / 60.0)
        .build_ui_state(|ui, app: &mut FerryApp| app.ui(ui), app)
}

/// Connects through the bar with explicit TLS (the URL form in the host
/// field carries the protocol).
fn connect_tls(app: &mut App, port: u16) {
    common::gui::connect_url(app, &format!("ftpes://alice:s3cret-pw@127.0.0.1:{port}/"));
}

fn fingerprint(server: &UnftpServer) -> String {
    normalize_fingerprint(&server.cert().unwrap().sha256_hex).unwrap()
}

#[test]
fn an_untrusted_certificate_is_shown_and_trusting_it_always_is_remembered() {
    let server = tls_server();
    fs::write(server.path("secret.txt"), b"x").unwrap();
    let config = tempfile::tempdir().unwrap();
    let local = tempfile::tempdir().unwrap();
    let mut app = window(config.path(), local.path());
    connect_tls(&mut app, server.port);
    wait_for(&mut app, "the certificate dialog", |app| {
        shows(app, "The server's certificate is not trusted")
    });
    let fp = fingerprint(&server);
    assert!(shows(&app, &fp));
    assert!(shows(&app, "127.0.0.1"));
    app.get_by_label("Trust always").click();
    wait_for(&mut app, "the listing over TLS", |app| {
        shows(app, "secret.txt")
    });
    assert!(matches!(
        app.state().link(),
        LinkState::Connected { tls: true, .. }
    ));
    // The lock shows the version and cipher suite.
    assert!(shows(&app, "TLS 1."));
    // Written down by the site thread, not the window.
    let trust = TrustStore::at(config.path().join("trusted-certificates.json"));
    wait_for(&mut app, "the trust file written", |_| {
        trust.trusted("127.0.0.1", server.port).unwrap() == std::slice::from_ref(&fp)
    });

    // Next time: no question.
    let mut again = window(config.path(), local.path());
    connect_tls(&mut again, server.port);
    wait_for(&mut again, "connected without a question", |app| {
        shows(app, "secret.txt")
    });
    assert!(!shows(&again, "not trusted"));
}

#[test]
fn a_changed_certificate_is_a_loud_warning_with_both_fingerprints() {
    let server = tls_server();
    let config = tempfile::tempdir().unwrap();
    let local = tempfile::tempdir().unwrap();
    let old = "ab:".repeat(31) + "ab";
    TrustStore::at(config.path().join("trusted-certificates.json"))
        .trust("127.0.0.1", server.port, &old)
        .unwrap();
    let mut app = window(config.path(), local.path());
    connect_tls(&mut app, server.port);
    wait_for(&mut app, "the warning", |app| shows(app, "has CHANGED"));
    assert!(shows(&app, &old));
    assert!(shows(&app, &fingerprint(&server)));
    assert!(
        app.state()
            .log_contains("WARNING: the server's certificate changed")
    );
    // Cancel: nothing is trusted, nothing connects.
    app.get_by_label("Cancel").click();
    for _ in 0..10 {
        app.step();
    }
    assert_eq!(*app.state().link(), LinkState::Disconnected);
}

#[test]
fn trusting_always_counts_at_once_without_the_window_reading_the_file_again() {
    let server = tls_server();
    fs::write(server.path("secret.txt"), b"x").unwrap();
    let config = tempfile::tempdir().unwrap();
    let local = tempfile::tempdir().unwrap();
    let mut app = window(config.path(), local.path());
    connect_tls(&mut app, server.port);
    wait_for(&mut app, "the certificate dialog", |app| {
        shows(app, "The server's certificate is not trusted")
    });
    app.get_by_label("Trust always").click();
    wait_for(&mut app, "the listing over TLS", |app| {
        shows(app, "secret.txt")
    });
    // The site thread writes it down.
    let file = config.path().join("trusted-certificates.json");
    let fp = fingerprint(&server);
    wait_for(&mut app, "the trust file written", |_| {
        TrustStore::at(&file)
            .trusted("127.0.0.1", server.port)
            .unwrap()
            == std::slice::from_ref(&fp)
    });
    // Were the window to read the file at each connect, it would now
    // trust nothing and ask again.
    fs::write(&file, b"not the file Ferry wrote").unwrap();
    app.get_by_label("Disconnect").click();
    wait_for(&mut app, "disconnected", |app| {
        app.query_by_label("Connect").is_some()
    });
    app.get_by_label("Connect").click();
    wait_for(&mut app, "connected again without a question", |app| {
        assert!(!shows(app, "not trusted"), "asked again");
        matches!(app.state().link(), LinkState::Connected { tls: true, .. })
    });
}

#[test]
fn a_link_opened_at_start_to_a_server_trusted_always_connects_without_a_question() {
    let server = tls_server();
    fs::write(server.path("secret.txt"), b"x").unwrap();
    let config = tempfile::tempdir().unwrap();
    let local = tempfile::tempdir().unwrap();
    TrustStore::at(config.path().join("trusted-certificates.json"))
        .trust("127.0.0.1", server.port, &fingerprint(&server))
        .unwrap();
    // The window connects before its first frame, before the site thread
    // has read what is trusted: the login waits for that.
    let url = ferry::url::FtpUrl::parse(&format!(
        "ftpes://alice:s3cret-pw@127.0.0.1:{}/",
        server.port
    ))
    .unwrap();
    let settings = Settings {
        last_local: Some(local.path().to_path_buf()),
        ..Settings::default()
    };
    let app = FerryApp::with_sites(
        settings,
        Some(url),
        Some(SiteStore::at(config.path().join("sites.json"))),
    );
    let mut app = Harness::builder()
        .with_size(egui::vec2(1280.0, 800.0))
        .with_step_dt(1.0 / 60.0)
        .build_ui_state(|ui, app: &mut FerryApp| app.ui(ui), app);
    wait_for(&mut app, "the listing over TLS", |app| {
        assert!(!shows(app, "not trusted"), "asked");
        shows(app, "secret.txt")
    });
}
