//! SFTP in the window, against Debian's OpenSSH server (ferry-testkit's
//! `sshd`): connecting through the bar with an `sftp://` URL, the host-key
//! dialog (trust once, always, a changed key refused with nothing to
//! click but Close), and files both ways. Needs root and openssh-server;
//! `.ci/run` runs these with `--features sshd-tests`.
#![cfg(all(unix, feature = "sshd-tests"))]

mod common;

use std::fs;
use std::path::Path;

use common::gui::{App, shows, wait_for};
use egui_kittest::kittest::Queryable;
use ferry::gui::LinkState;
use ferry_testkit::sshd::{self, PASSWORD, Sshd, USER, user_folder};

fn window(config: &Path, local: &Path) -> App {
    common::gui::window_with_config(local, config)
}

/// The URL typed into the bar's host field (which carries the protocol).
fn connect(app: &mut App, server: &Sshd, folder: &Path) {
    common::gui::connect_url(
        app,
        &format!(
            "sftp://{USER}:{PASSWORD}@127.0.0.1:{}/{}",
            server.port,
            folder.display()
        ),
    );
}

#[test]
fn an_unknown_host_key_is_asked_about_and_trusting_it_always_is_remembered() {
    let server = Sshd::start();
    let folder = user_folder();
    fs::write(folder.join("on the server.txt"), "from sshd").unwrap();
    sshd::chown_to_user(&folder);
    let config = tempfile::tempdir().unwrap();
    let local = tempfile::tempdir().unwrap();
    let mut app = window(config.path(), local.path());
    connect(&mut app, &server, &folder);
    wait_for(&mut app, "the host key dialog", |app| {
        shows(app, "The server's host key is not known")
    });
    let fingerprint = sshd::fingerprint(&server.host_key_pub);
    assert!(shows(&app, &fingerprint));
    assert!(shows(&app, "ssh-ed25519"));
    // Three frames for the dialog to settle where it is clicked.
    for _ in 0..3 {
        app.step();
    }
    app.get_by_label("Trust always").click();
    wait_for(&mut app, "the SFTP listing", |app| {
        shows(app, "on the server.txt")
    });
    // Encrypted, by SSH: the status line's lock says so (never "Unencrypted").
    assert!(matches!(
        app.state().link(),
        LinkState::Connected { tls: true, .. }
    ));
    assert!(shows(&app, "SSH"));
    assert!(!shows(&app, "Unencrypted"));
    // Written by the site thread to Ferry's known_hosts, OpenSSH's format.
    let known = config.path().join("known_hosts");
    wait_for(&mut app, "the host key written", |_| {
        fs::read_to_string(&known)
            .is_ok_and(|text| text.contains(&format!("[127.0.0.1]:{}", server.port)))
    });

    // The next window connects without a question.
    let mut again = window(config.path(), local.path());
    connect(&mut again, &server, &folder);
    wait_for(&mut again, "connected without a question", |app| {
        shows(app, "on the server.txt")
    });
    assert!(!shows(&again, "not known"));
}

#[test]
fn a_changed_host_key_is_refused_with_both_fingerprints_and_no_way_to_accept_it() {
    let server = Sshd::start();
    let folder = user_folder();
    let config = tempfile::tempdir().unwrap();
    let local = tempfile::tempdir().unwrap();
    // Ferry's known_hosts holds another key for this server.
    let old = server.dir().join("old_ed25519");
    sshd::new_key(&old);
    fs::write(
        config.path().join("known_hosts"),
        sshd::known_hosts_line(&old.with_extension("pub"), server.port),
    )
    .unwrap();
    let mut app = window(config.path(), local.path());
    connect(&mut app, &server, &folder);
    wait_for(&mut app, "the refusal", |app| {
        shows(app, "The server's host key has CHANGED")
    });
    assert!(shows(&app, &sshd::fingerprint(&server.host_key_pub)));
    assert!(shows(&app, &sshd::fingerprint(&old.with_extension("pub"))));
    assert!(app.query_by_label("Trust once").is_none());
    assert!(app.query_by_label("Trust always").is_none());
    for _ in 0..3 {
        app.step();
    }
    app.get_by_label("Close").click();
    for _ in 0..5 {
        app.step();
    }
    assert!(!matches!(app.state().link(), LinkState::Connected { .. }));
}

#[test]
fn a_site_with_a_key_file_connects_without_asking_for_a_password() {
    use ferry::sites::{LogonType, Site, SiteProtocol, SiteStore, new_site_id};
    let server = Sshd::start();
    let folder = user_folder();
    fs::write(folder.join("by key.txt"), "k").unwrap();
    sshd::chown_to_user(&folder);
    let config = tempfile::tempdir().unwrap();
    let local = tempfile::tempdir().unwrap();
    fs::copy(server.known_hosts(), config.path().join("known_hosts")).unwrap();
    let store = SiteStore::at(config.path().join("sites.json"));
    store
        .update(|sites| {
            sites.push(Site {
                id: new_site_id(),
                name: "By key".into(),
                host: "127.0.0.1".into(),
                port: server.port,
                protocol: SiteProtocol::Sftp,
                logon: LogonType::Normal,
                user: USER.into(),
                remote_dir: folder.display().to_string(),
                key_file: server.client_key.display().to_string(),
                ..Site::default()
            })
        })
        .unwrap();
    let mut app = window(config.path(), local.path());
    wait_for(&mut app, "the site loaded", |app| {
        app.state().sites().len() == 1
    });
    app.get_by_label("Recent").click();
    app.step();
    app.step();
    app.get_by_label("By key").click();
    wait_for(&mut app, "the listing, by key", |app| {
        shows(app, "by key.txt")
    });
    assert!(
        !shows(&app, "By key (ferrysftp@127.0.0.1)"),
        "a password was asked for"
    );
}
