//! The site manager in the window: add a site, connect with it, edit it.
//! The sites file is in a temporary folder and passwords go to
//! keyring-core's mock store: nothing touches the user's own.

mod common;

use std::fs;

use common::gui::{App, shows, wait_for};
use common::unftp::UnftpServer;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use ferry::gui::{FerryApp, LinkState, Settings};
use ferry::sites::{SiteStore, secrets};

fn window(local: &std::path::Path, store: SiteStore) -> App {
    let _ = keyring_core::get_default_store()
        .is_some()
        .then_some(())
        .or_else(|| {
            keyring_core::set_default_store(keyring_core::mock::Store::new().unwrap());
            Some(())
        });
    let settings = Settings {
        last_local: Some(local.to_path_buf()),
        ..Settings::default()
    };
    let app = FerryApp::with_sites(settings, None, Some(store));
    Harness::builder()
        .with_size(egui::vec2(1280.0, 800.0))
        .with_step_dt(1.0 / 60.0)
        .build_ui_state(|ui, app: &mut FerryApp| app.ui(ui), app)
}

/// The field labelled `label` that was drawn last (the site manager's,
/// above the connect bar's of the same name).
fn type_into(app: &mut App, label: &str, text: &str) {
    let node = app.query_all_by_label(label).last().expect(label);
    node.focus();
    app.step();
    app.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::A);
    let node = app.query_all_by_label(label).last().expect(label);
    node.type_text(text);
    app.step();
}

#[test]
fn add_a_site_connect_with_it_and_edit_it() {
    let server = UnftpServer::plain();
    fs::create_dir(server.path("www")).unwrap();
    fs::write(server.path("www/index.html"), b"<h1>").unwrap();
    let local = tempfile::tempdir().unwrap();
    let config = tempfile::tempdir().unwrap();
    let store = SiteStore::at(config.path().join("sites.json"));
    let mut app = window(local.path(), store.clone());

    app.get_by_label("Sites…").click();
    wait_for(&mut app, "the site manager", |app| shows(app, "New site"));
    app.get_by_label("New site").click();
    app.step();
    type_into(&mut app, "Name", "My server");
    type_into(&mut app, "Folder", "Work");
    type_into(&mut app, "Host", "127.0.0.1");
    type_into(&mut app, "Port", &server.port.to_string());
    type_into(&mut app, "User", "alice");
    type_into(&mut app, "Password", "s3cret-pw");
    type_into(&mut app, "Remote folder", "www");
    app.get_by_label("Save").click();
    wait_for(&mut app, "the site in the file", |_| {
        store.load().unwrap().iter().any(|s| s.name == "My server")
    });
    let site = store.load().unwrap().remove(0);
    assert_eq!(site.folder, ["Work"]);
    assert_eq!(site.remote_dir, "www");
    // The password is in the keyring, not in the file.
    assert_eq!(
        secrets::load_password(&site.id).unwrap().as_deref(),
        Some("s3cret-pw")
    );
    assert!(
        !fs::read_to_string(store.path())
            .unwrap()
            .contains("s3cret-pw")
    );

    // Connect from the manager: the password comes from the keyring and
    // the site's remote folder opens.
    wait_for(&mut app, "the site listed", |app| {
        app.state().sites().len() == 1
    });
    // The manager's Connect, drawn above the connect bar's.
    app.query_all_by_label("Connect").last().unwrap().click();
    wait_for(&mut app, "connected", |app| {
        matches!(app.state().link(), LinkState::Connected { .. })
    });
    wait_for(&mut app, "the site's remote folder", |app| {
        shows(app, "index.html")
    });
    // The title names the site and the folder.
    assert_eq!(app.state().window_title(), "My server /www — Ferry");

    // Edit it: rename and save; the file follows, the id (and so the
    // password) stays.
    app.get_by_label("Sites…").click();
    wait_for(&mut app, "the site manager again", |app| {
        shows(app, "My server")
    });
    app.get_by_label("My server").click();
    app.step();
    type_into(&mut app, "Name", "Renamed");
    app.get_by_label("Save").click();
    wait_for(&mut app, "the rename in the file", |_| {
        store.load().unwrap().iter().any(|s| s.name == "Renamed")
    });
    let renamed = store.load().unwrap().remove(0);
    assert_eq!(renamed.id, site.id);
    assert_eq!(
        secrets::load_password(&renamed.id).unwrap().as_deref(),
        Some("s3cret-pw")
    );
}

#[test]
fn a_site_that_keeps_no_password_asks_for_it_and_enter_connects() {
    use ferry::sites::{LogonType, Site, new_site_id};
    let server = UnftpServer::plain();
    fs::write(server.path("asked.txt"), b"x").unwrap();
    let local = tempfile::tempdir().unwrap();
    let config = tempfile::tempdir().unwrap();
    let store = SiteStore::at(config.path().join("sites.json"));
    store
        .update(|sites| {
            sites.push(Site {
                id: new_site_id(),
                name: "Ask me".into(),
                host: "127.0.0.1".into(),
                port: server.port,
                logon: LogonType::AskForPassword,
                user: "alice".into(),
                ..Site::default()
            })
        })
        .unwrap();
    let mut app = window(local.path(), store);
    wait_for(&mut app, "the site loaded", |app| {
        app.state().sites().len() == 1
    });
    app.get_by_label("Recent").click();
    app.step();
    app.step();
    app.get_by_label("Ask me").click();
    wait_for(&mut app, "the password question", |app| {
        shows(app, "Ask me (alice@127.0.0.1)")
    });
    let field = app.query_all_by_label("Password").last().unwrap();
    field.type_text("s3cret-pw");
    app.step();
    app.key_press(egui::Key::Enter);
    wait_for(&mut app, "the listing", |app| shows(app, "asked.txt"));
}

#[test]
fn an_sftp_site_shows_its_key_file_and_not_ftp_s_fields() {
    use ferry::sites::{Site, SiteProtocol, new_site_id};
    let local = tempfile::tempdir().unwrap();
    let config = tempfile::tempdir().unwrap();
    let store = SiteStore::at(config.path().join("sites.json"));
    store
        .update(|sites| {
            sites.push(Site {
                id: new_site_id(),
                name: "Shell".into(),
                host: "shell.example".into(),
                protocol: SiteProtocol::Sftp,
                key_file: "/home/me/.ssh/id_ed25519".into(),
                ..Site::default()
            })
        })
        .unwrap();
    let mut app = window(local.path(), store);
    wait_for(&mut app, "the site loaded", |app| {
        app.state().sites().len() == 1
    });
    app.get_by_label("Sites…").click();
    wait_for(&mut app, "the site manager", |app| shows(app, "New site"));
    app.get_by_label("Shell").click();
    wait_for(&mut app, "the site shown", |app| shows(app, "Key file"));
    assert!(!shows(&app, "Transfer mode"));
    assert!(!shows(&app, "Trusted certificates"));
    // A new site is FTP: its fields are there, the key file is not.
    app.get_by_label("New site").click();
    for _ in 0..3 {
        app.step();
    }
    assert!(shows(&app, "Transfer mode"));
    assert!(shows(&app, "Trusted certificates"));
    assert!(!shows(&app, "Key file"));
}
