//! The desktop window, driven as a person would (click, type, drag, the
//! right-click menu) against a real in-process FTP server.

mod common;

use std::fs;

use common::gui::{App, connect, double_click, right_click, shows, wait_for, window};
use common::unftp::UnftpServer;
use egui_kittest::kittest::Queryable;
use ferry::gui::LinkState;

const USER: &str = "alice";
const PASSWORD: &str = "s3cret-pw";

fn connected(server: &UnftpServer, local: &std::path::Path) -> App {
    common::gui::connected(local, server.port, USER, PASSWORD)
}

#[test]
fn connecting_through_the_bar_lists_the_server_and_shows_the_welcome() {
    let server = UnftpServer::plain();
    fs::write(server.path("hello.txt"), b"hello").unwrap();
    fs::create_dir(server.path("folder")).unwrap();
    let local = tempfile::tempdir().unwrap();
    let mut app = connected(&server, local.path());
    wait_for(&mut app, "the remote listing", |app| {
        shows(app, "hello.txt")
    });
    assert!(shows(&app, "folder"));
    assert!(shows(&app, "Welcome to the Ferry test server"));
    assert!(shows(&app, "Unencrypted"));
    // The log has the login with the password masked, never in clear.
    assert!(app.state().log_contains("PASS ****"));
    assert!(!app.state().log_contains(PASSWORD));

    // Opening a folder by double-click lists it.
    fs::write(server.path("folder/inner.txt"), b"inner").unwrap();
    double_click(&mut app, "folder");
    wait_for(&mut app, "the folder's listing", |app| {
        shows(app, "inner.txt")
    });
}

#[test]
fn a_wrong_password_is_an_error_and_the_window_keeps_working() {
    let server = UnftpServer::plain();
    fs::write(server.path("hello.txt"), b"hello").unwrap();
    let local = tempfile::tempdir().unwrap();
    let mut app = window(local.path());
    connect(&mut app, server.port, USER, "wrong");
    wait_for(&mut app, "an error", |app| !app.state().errors().is_empty());
    let errors = app.state().errors().join("\n");
    assert!(errors.contains("Could not connect"), "{errors}");
    assert_eq!(*app.state().link(), LinkState::Disconnected);

    // Fix the password and try again.
    app.get_by_label("Password").focus();
    app.step();
    app.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::A);
    app.get_by_label("Password").type_text(PASSWORD);
    app.step();
    app.get_by_label("Connect").click();
    wait_for(&mut app, "the listing after a retry", |app| {
        shows(app, "hello.txt")
    });
}

#[test]
fn double_click_downloads_and_the_queue_shows_it_done() {
    let server = UnftpServer::plain();
    let data: Vec<u8> = (0..3_000_000u32).map(|i| (i % 251) as u8).collect();
    fs::write(server.path("big.bin"), &data).unwrap();
    let local = tempfile::tempdir().unwrap();
    let mut app = connected(&server, local.path());
    wait_for(&mut app, "the remote listing", |app| shows(app, "big.bin"));
    double_click(&mut app, "big.bin");
    let target = local.path().join("big.bin");
    wait_for(&mut app, "the download", |_| {
        fs::read(&target).map(|b| b == data).unwrap_or(false)
    });
    wait_for(&mut app, "the queue's Done tab", |app| {
        shows(app, "Done (1)")
    });
    // The local pane shows the new file.
    wait_for(&mut app, "the local listing", |app| {
        common::gui::lists(app, ferry::gui::Side::Left, "big.bin")
    });
}

#[test]
fn dragging_a_local_file_onto_the_server_uploads_it() {
    let server = UnftpServer::plain();
    let local = tempfile::tempdir().unwrap();
    fs::write(local.path().join("drag-me.txt"), b"dragged up").unwrap();
    let mut app = connected(&server, local.path());
    wait_for(&mut app, "the local listing", |app| {
        shows(app, "drag-me.txt")
    });
    let from = common::gui::row(&app, "drag-me.txt").rect().center();
    let to = app.state().pane_rect(ferry::gui::Side::Right).center();
    common::gui::drag(&mut app, from, to);
    wait_for(&mut app, "the upload", |_| {
        fs::read(server.path("drag-me.txt"))
            .map(|b| b == b"dragged up")
            .unwrap_or(false)
    });
    wait_for(&mut app, "the remote listing", |app| {
        common::gui::lists(app, ferry::gui::Side::Right, "drag-me.txt")
    });
}

#[test]
fn rename_in_place_and_delete_from_the_right_click_menu() {
    let server = UnftpServer::plain();
    fs::write(server.path("old name.txt"), b"x").unwrap();
    let local = tempfile::tempdir().unwrap();
    let mut app = connected(&server, local.path());
    wait_for(&mut app, "the remote listing", |app| {
        shows(app, "old name.txt")
    });

    right_click(&mut app, "old name.txt");
    app.get_by_label("Rename").click();
    app.step();
    app.step();
    // The inline editor has the old name selected-all; replace it.
    app.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::A);
    app.step();
    let editor = app
        .query_all_by_value("old name.txt")
        .find(|node| node.is_focused())
        .expect("the inline editor has the keyboard");
    editor.type_text("new name.txt");
    app.step();
    app.key_press(egui::Key::Enter);
    wait_for(&mut app, "the rename on the server", |_| {
        server.path("new name.txt").exists() && !server.path("old name.txt").exists()
    });
    wait_for(&mut app, "the new name listed", |app| {
        common::gui::lists(app, ferry::gui::Side::Right, "new name.txt")
    });

    // A refresh arriving while the menu is open closes it (it may have
    // moved the row): open it again then, as a person would.
    for _ in 0..5 {
        right_click(&mut app, "new name.txt");
        if let Some(item) = app.query_by_label("Delete") {
            item.click();
        }
        for _ in 0..5 {
            app.step();
        }
        if shows(&app, "Delete on the server?") {
            break;
        }
    }
    assert!(shows(&app, "Delete on the server?"));
    app.get_by_label("Delete").click();
    wait_for(&mut app, "the delete on the server", |_| {
        !server.path("new name.txt").exists()
    });
}

/// A file from the desktop's file manager, as the window receives it.
#[derive(Debug)]
struct DesktopFile(std::path::PathBuf);

impl egui::DroppedFile for DesktopFile {
    fn path(&self) -> &std::path::Path {
        &self.0
    }

    fn bytes(&self) -> Result<Vec<u8>, String> {
        fs::read(&self.0).map_err(|e| e.to_string())
    }
}

#[test]
fn files_dropped_from_the_desktop_are_uploaded_with_their_folders() {
    let server = UnftpServer::plain();
    let local = tempfile::tempdir().unwrap();
    let desktop = tempfile::tempdir().unwrap();
    fs::write(desktop.path().join("photo.jpg"), b"jpeg bytes").unwrap();
    fs::create_dir_all(desktop.path().join("album/2026")).unwrap();
    fs::write(desktop.path().join("album/2026/a.jpg"), b"a").unwrap();
    let mut app = connected(&server, local.path());
    for name in ["photo.jpg", "album"] {
        let file: egui::DroppedFileHandle =
            std::sync::Arc::new(DesktopFile(desktop.path().join(name)));
        app.input_mut().dropped_files.push(file);
    }
    app.step();
    wait_for(&mut app, "the uploads", |_| {
        fs::read(server.path("photo.jpg")).is_ok_and(|b| b == b"jpeg bytes")
            && fs::read(server.path("album/2026/a.jpg")).is_ok_and(|b| b == b"a")
    });
}

#[test]
fn an_existing_target_asks_and_overwrite_replaces_it() {
    let server = UnftpServer::plain();
    fs::write(server.path("report.txt"), b"from the server").unwrap();
    let local = tempfile::tempdir().unwrap();
    fs::write(local.path().join("report.txt"), b"mine").unwrap();
    let mut app = connected(&server, local.path());
    wait_for(&mut app, "the remote listing", |app| {
        common::gui::lists(app, ferry::gui::Side::Right, "report.txt")
    });
    common::gui::double_click_in(&mut app, Some(ferry::gui::Side::Right), "report.txt");
    wait_for(&mut app, "the question", |app| {
        shows(app, "The target file exists")
    });
    assert_eq!(fs::read(local.path().join("report.txt")).unwrap(), b"mine");
    app.get_by_label("Overwrite").click();
    wait_for(&mut app, "the overwrite", |_| {
        fs::read(local.path().join("report.txt")).is_ok_and(|b| b == b"from the server")
    });
}

#[test]
fn the_keyboard_moves_opens_and_goes_up() {
    let server = UnftpServer::plain();
    let local = tempfile::tempdir().unwrap();
    fs::create_dir(local.path().join("alpha")).unwrap();
    fs::write(local.path().join("alpha/inside.txt"), b"x").unwrap();
    fs::create_dir(local.path().join("beta")).unwrap();
    let mut app = connected(&server, local.path());
    wait_for(&mut app, "the local listing", |app| {
        app.state_mut().left_pane().table.rows().len() == 2
    });
    // Click beta, go up to alpha with the arrow key, open it with Enter.
    common::gui::row(&app, "beta").click();
    app.step();
    app.key_press(egui::Key::ArrowUp);
    app.step();
    app.key_press(egui::Key::Enter);
    wait_for(&mut app, "alpha opened", |app| {
        common::gui::lists(app, ferry::gui::Side::Left, "inside.txt")
    });
    app.key_press(egui::Key::Backspace);
    wait_for(&mut app, "back up", |app| {
        common::gui::lists(app, ferry::gui::Side::Left, "beta")
    });
}

#[test]
fn ctrl_and_shift_select_several_files_and_the_menu_uploads_them_all() {
    let server = UnftpServer::plain();
    let local = tempfile::tempdir().unwrap();
    for name in ["a.txt", "b.txt", "c.txt", "d.txt"] {
        fs::write(local.path().join(name), name).unwrap();
    }
    let mut app = connected(&server, local.path());
    wait_for(&mut app, "the local listing", |app| {
        app.state_mut().left_pane().table.rows().len() == 4
    });
    let side = ferry::gui::Side::Left;
    common::gui::row_in(&app, side, "a.txt").click();
    app.step();
    common::gui::row_in(&app, side, "c.txt").click_modifiers(egui::Modifiers::SHIFT);
    app.step();
    common::gui::row_in(&app, side, "b.txt").click_modifiers(egui::Modifiers::COMMAND);
    app.step();
    let selected: Vec<String> = app
        .state_mut()
        .left_pane()
        .table
        .selection()
        .into_iter()
        .map(|r| r.name)
        .collect();
    assert_eq!(selected, ["a.txt", "c.txt"]);
    common::gui::row_in(&app, side, "d.txt").click_modifiers(egui::Modifiers::COMMAND);
    app.step();
    common::gui::row_in(&app, side, "d.txt").click_secondary();
    app.step();
    app.step();
    app.get_by_label("Upload").click();
    wait_for(&mut app, "three uploads", |_| {
        ["a.txt", "c.txt", "d.txt"]
            .iter()
            .all(|n| server.path(n).exists())
    });
    assert!(!server.path("b.txt").exists());
}

fn click_only(app: &App) {
    common::gui::row_in(app, ferry::gui::Side::Left, "only.txt").click();
}

#[test]
fn a_click_before_a_refresh_and_one_after_are_not_a_double_click() {
    // The rows may have moved under the pointer: opening what is there
    // now would act on a file the user never double-clicked.
    let server = UnftpServer::plain();
    let local = tempfile::tempdir().unwrap();
    fs::write(local.path().join("only.txt"), b"x").unwrap();
    let mut app = connected(&server, local.path());
    wait_for(&mut app, "the local listing", |app| shows(app, "only.txt"));
    // Each frame is 1/60 s of the window's time: the second click counts
    // as a double-click only if the refresh came back within a few
    // frames. When it took longer, this round proves nothing: again.
    let mut conclusive = false;
    for _ in 0..5 {
        click_only(&app);
        app.step();
        let listed = app.state_mut().left_pane().listings;
        app.key_press(egui::Key::F5);
        let mut frames = 0;
        wait_for(&mut app, "the refreshed listing", |app| {
            frames += 1;
            app.state_mut().left_pane().listings > listed
        });
        if frames <= 8 {
            click_only(&app);
            app.step();
            conclusive = true;
            break;
        }
        // Let the double-click time pass before the next round.
        for _ in 0..60 {
            app.step();
        }
    }
    assert!(
        conclusive,
        "the refresh never came back within a double-click's time"
    );
    // A real double-click now, well after: its upload is the first and
    // only one the queue reports, so the clicks around the refresh
    // queued nothing (the queue reports in order).
    for _ in 0..60 {
        app.step();
    }
    common::gui::double_click_in(&mut app, Some(ferry::gui::Side::Left), "only.txt");
    wait_for(&mut app, "the real double-click's upload", |_| {
        server.path("only.txt").exists()
    });
    wait_for(&mut app, "the queue row", |app| {
        !app.state().queue_view().items.is_empty()
    });
    assert_eq!(app.state().queue_view().items.len(), 1);
}

#[test]
fn a_link_with_a_user_and_no_password_asks_for_it() {
    // What a browser passes for a clicked ftp://alice@host/ link.
    let server = UnftpServer::plain();
    fs::write(server.path("linked.txt"), b"x").unwrap();
    let local = tempfile::tempdir().unwrap();
    let link = format!("ftp://{USER}@127.0.0.1:{}/", server.port);
    let url = ferry::url::FtpUrl::parse(&link).unwrap();
    let mut app = common::gui::window_opening(local.path(), Some(url));
    wait_for(&mut app, "the password question", |app| {
        shows(app, "(alice@127.0.0.1)")
    });
    // Nothing was tried with an empty password.
    assert_eq!(*app.state().link(), LinkState::Disconnected);
    let field = app.query_all_by_label("Password").last().unwrap();
    field.type_text(PASSWORD);
    app.step();
    app.key_press(egui::Key::Enter);
    wait_for(&mut app, "the listing", |app| shows(app, "linked.txt"));
}

/// Whether any node of the window shows a character a terminal or a
/// renderer could act on, in its label or its value.
fn shows_raw_controls(app: &App) -> Option<String> {
    let raw = |text: Option<String>| {
        text.filter(|t| t.chars().any(ferry::engine::is_control_for_display))
    };
    app.query_all_by(|node| raw(node.label()).or_else(|| raw(node.value())).is_some())
        .next()
        .map(|node| format!("{node:?}"))
}

#[test]
fn escape_sequences_from_the_server_are_shown_escaped_in_the_panes_and_the_log() {
    let server = UnftpServer::start(common::unftp::UnftpOptions {
        greeting: "Hello \x1b[2J\x1b]0;owned\x07 there".to_string(),
        ..Default::default()
    });
    fs::write(server.path("\x1b[31mred.txt"), b"red").unwrap();
    fs::create_dir(server.path("\x07bell")).unwrap();
    fs::write(server.path("\x07bell/inner.txt"), b"inner").unwrap();
    let local = tempfile::tempdir().unwrap();
    let mut app = connected(&server, local.path());
    wait_for(&mut app, "the escaped name in the pane", |app| {
        shows(app, "\\x1B[31mred.txt")
    });
    assert!(shows(&app, "\\x07bell"));
    // The status line's welcome, and the log.
    assert!(shows(&app, "Hello \\x1B[2J\\x1B]0;owned\\x07 there"));
    assert!(
        app.state()
            .log_contains("Hello \\x1B[2J\\x1B]0;owned\\x07 there")
    );
    assert!(!app.state().log_contains("\x1b"));
    assert!(!app.state().log_contains("\x07"));
    assert_eq!(shows_raw_controls(&app), None);
    // What is shown changed, not what the pane holds.
    assert!(common::gui::lists(
        &mut app,
        ferry::gui::Side::Right,
        "\x1b[31mred.txt"
    ));

    // The folder's path, from the server's PWD, in the path bar.
    double_click(&mut app, "\\x07bell");
    wait_for(&mut app, "the folder's listing", |app| {
        shows(app, "inner.txt")
    });
    assert!(app.query_all_by_value("/\\x07bell").next().is_some());
    assert_eq!(shows_raw_controls(&app), None);
    // Enter in the path bar, unchanged, opens the real folder again (not
    // one named with a backslash).
    app.query_all_by_value("/\\x07bell").next().unwrap().focus();
    app.step();
    app.key_press(egui::Key::Enter);
    app.step();
    wait_for(&mut app, "the folder listed again", |app| {
        !app.state_mut().right_pane().loading
    });
    assert!(
        app.state().errors().is_empty(),
        "{:?}",
        app.state().errors()
    );
    assert_eq!(app.state_mut().right_pane().folder, "/\x07bell");
}

/// A listing the server cut short (pure-ftpd's "226-Output truncated")
/// is shown as far as it goes, and the pane says loudly that it is not
/// the whole folder.
#[test]
fn a_listing_the_server_cut_short_is_shown_with_a_warning() {
    use common::faulty::{Faults, FaultyServer, Tree};
    let mut tree = Tree::new();
    for i in 0..5 {
        tree = tree.file(&format!("/f{i}.txt"), "x");
    }
    let faults = Faults {
        truncate_listings: Some(3),
        ..Faults::default()
    };
    let server = FaultyServer::start(tree, faults);
    let local = tempfile::tempdir().unwrap();
    let mut app = window(local.path());
    connect(&mut app, server.port, "user", "pw");
    wait_for(&mut app, "the listing", |app| shows(app, "f0.txt"));
    assert!(shows(&app, "Incomplete listing"));
    assert!(shows(&app, "truncated to 3 matches"));
    assert!(!shows(&app, "f4.txt"));
}

/// Copy URL writes a URL Ferry's own parser reads back to the same file,
/// whatever its name holds (`%`, `#`, a space).
#[test]
fn copy_url_gives_a_url_that_names_the_same_file() {
    let server = UnftpServer::plain();
    let name = "100% a#b.txt";
    fs::write(server.path(name), b"x").unwrap();
    let local = tempfile::tempdir().unwrap();
    let mut app = connected(&server, local.path());
    wait_for(&mut app, "the remote listing", |app| shows(app, name));
    right_click(&mut app, name);
    app.get_by_label("Copy URL").click();
    let mut copied = None;
    for _ in 0..10 {
        app.step();
        for command in &app.output().platform_output.commands {
            if let egui::OutputCommand::CopyText(text) = command {
                copied = Some(text.clone());
            }
        }
    }
    let copied = copied.expect("a URL was copied");
    let url = ferry::url::FtpUrl::parse(&copied).expect(&copied);
    assert_eq!(url.path, format!("/{name}"), "{copied}");
    assert_eq!(url.port, server.port);
    assert_eq!(url.user.as_deref(), Some(USER));
    assert!(url.password.is_none() && !copied.contains(PASSWORD));
}

/// The log hides the password Ferry sent and nothing else: a HELP reply
/// that names PASS among the commands shows whole, and a raw command shows
/// once at any debug level.
#[test]
fn the_log_masks_the_password_sent_and_echoes_a_raw_command_once() {
    use common::faulty::{Faults, FaultyServer, Tree};
    let server = FaultyServer::start(Tree::new().file("/a.txt", "x"), Faults::default());
    let local = tempfile::tempdir().unwrap();
    let mut app = window(local.path());
    connect(&mut app, server.port, "user", "PASV-hunter2");
    wait_for(&mut app, "the listing", |app| shows(app, "a.txt"));
    let raw_field = "Raw command, e.g. SITE HELP";
    for level in ["1", "2", "0"] {
        app.get_by_label(level).click();
        app.step();
        let before = app.state().log_text().matches("Help OK").count();
        app.get_by(|node| node.placeholder() == Some(raw_field))
            .focus();
        app.step();
        app.get_by(|node| node.placeholder() == Some(raw_field))
            .type_text("HELP");
        app.step();
        app.key_press(egui::Key::Enter);
        wait_for(&mut app, "the HELP reply", |app| {
            app.state().log_text().matches("Help OK").count() > before
        });
    }
    let log = app.state().log_text();
    assert!(!log.contains("hunter2"), "{log}");
    assert!(log.contains("PASS ****"), "{log}");
    assert!(
        log.contains(" MODE NLST NOOP OPTS PASS PASV PORT PWD QUIT"),
        "{log}"
    );
    assert_eq!(log.matches("HELP\n").count(), 3, "{log}");
}

/// The title bar says where the window is: user, host, port and folder,
/// following the folder opened; just "Ferry" when not connected.
#[test]
fn the_window_title_names_the_server_and_folder() {
    let server = UnftpServer::plain();
    fs::create_dir(server.path("docs")).unwrap();
    fs::write(server.path("docs/a.txt"), b"a").unwrap();
    let local = tempfile::tempdir().unwrap();
    let mut app = window(local.path());
    assert_eq!(app.state().window_title(), "Ferry");
    connect(&mut app, server.port, USER, PASSWORD);
    wait_for(&mut app, "the listing", |app| shows(app, "docs"));
    let port = server.port;
    assert_eq!(
        app.state().window_title(),
        format!("{USER}@127.0.0.1:{port}/ — Ferry")
    );
    double_click(&mut app, "docs");
    wait_for(&mut app, "inside docs", |app| shows(app, "a.txt"));
    assert_eq!(
        app.state().window_title(),
        format!("{USER}@127.0.0.1:{port}/docs — Ferry")
    );
    app.get_by_label("Disconnect").click();
    wait_for(&mut app, "disconnected", |app| {
        matches!(app.state().link(), LinkState::Disconnected)
    });
    assert_eq!(app.state().window_title(), "Ferry");
}

/// Links on the server, in the window: a link to a folder opens as the
/// folder, a link to a file downloads the file, and a folder downloaded
/// whole brings what its links point to, never looping.
#[test]
fn links_on_the_server_open_and_download_as_what_they_point_to() {
    use common::faulty::{Faults, FaultyServer, Tree};
    let tree = Tree::new()
        .file("/site/a.txt", "pointed at")
        .file("/site/sub/b.txt", "in sub")
        .link("/site/to-file", "a.txt")
        .link("/site/to-folder", "sub")
        .link("/site/sub/up", "..");
    let server = FaultyServer::start(tree, Faults::default());
    let local = tempfile::tempdir().unwrap();
    let mut app = window(local.path());
    connect(&mut app, server.port, "user", "pw");
    wait_for(&mut app, "the listing", |app| shows(app, "site"));
    double_click(&mut app, "site");
    wait_for(&mut app, "inside site", |app| shows(app, "to-folder"));
    // The whole folder, from the pane above it.
    double_click(&mut app, "to-file");
    wait_for(&mut app, "the link's file downloaded", |_| {
        fs::read(local.path().join("to-file")).is_ok_and(|b| b == b"pointed at")
    });
    for _ in 0..30 {
        app.step();
    }
    double_click(&mut app, "to-folder");
    wait_for(&mut app, "the linked folder open", |app| {
        shows(app, "b.txt")
    });
    assert_eq!(app.state_mut().right_pane().folder, "/site/to-folder");
    // Backspace: up from the link, back to the folder that holds it.
    app.key_press(egui::Key::Backspace);
    wait_for(&mut app, "back in site", |app| {
        common::gui::lists(app, ferry::gui::Side::Right, "to-folder")
    });
    right_click(&mut app, "to-folder");
    app.get_by_label("Download").click();
    wait_for(&mut app, "the linked folder downloaded", |_| {
        fs::read(local.path().join("to-folder/b.txt")).is_ok_and(|b| b == b"in sub")
    });
    common::gui::settle(&mut app);
    assert!(!local.path().join("to-folder/up").exists());
    assert!(app.state().log_contains("it would never end"));
}

/// The columns a FileZilla user reads: a type from the extension, the
/// permissions with their type letter, the owner and group where the
/// listing gives them (LIST here).
#[test]
fn the_columns_show_type_permissions_and_owner() {
    use common::faulty::{Faults, FaultyServer, Tree};
    let tree = Tree::new()
        .file("/report.pdf", "%PDF")
        .file("/notes.txt", "hi")
        .dir("/www");
    let faults = Faults {
        no_mlsd: true,
        ..Faults::default()
    };
    let server = FaultyServer::start(tree, faults);
    let local = tempfile::tempdir().unwrap();
    let mut app = window(local.path());
    connect(&mut app, server.port, "user", "pw");
    wait_for(&mut app, "the listing", |app| shows(app, "notes.txt"));
    for text in [
        "Owner/Group",
        "ftp ftp",
        "PDF document",
        "Text file",
        "-rw-r--r--",
        "drwxr-xr-x",
    ] {
        assert!(shows(&app, text), "{text}");
    }
}

/// Pause holds the queue: a download asked for meanwhile waits, and
/// Resume lets it go.
#[test]
fn pause_holds_the_queue_and_resume_lets_it_go() {
    let server = UnftpServer::plain();
    fs::write(server.path("later.txt"), b"after the pause").unwrap();
    let local = tempfile::tempdir().unwrap();
    let mut app = connected(&server, local.path());
    wait_for(&mut app, "the remote listing", |app| {
        shows(app, "later.txt")
    });
    app.get_by_label("Pause").click();
    app.step();
    app.step();
    assert!(app.state().queue_view().paused);
    double_click(&mut app, "later.txt");
    wait_for(&mut app, "the item queued", |app| {
        !app.state().queue_view().items.is_empty()
    });
    for _ in 0..40 {
        app.step();
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    assert!(!local.path().join("later.txt").exists());
    app.get_by_label("Resume").click();
    wait_for(&mut app, "the download", |_| {
        fs::read(local.path().join("later.txt")).is_ok_and(|b| b == b"after the pause")
    });
}

/// Download to…: where the desktop's folder dialog cannot open, the
/// window's own asks, and the file goes where it says.
#[test]
fn download_to_a_folder_chosen_in_the_windows_own_dialog() {
    let server = UnftpServer::plain();
    fs::write(server.path("report.txt"), b"the report").unwrap();
    let local = tempfile::tempdir().unwrap();
    fs::create_dir(local.path().join("chosen")).unwrap();
    let mut app = connected(&server, local.path());
    app.state_mut().use_window_file_dialogs();
    wait_for(&mut app, "the remote listing", |app| {
        shows(app, "report.txt")
    });
    right_click(&mut app, "report.txt");
    app.get_by_label("Download to…").click();
    wait_for(&mut app, "the window's own dialog", |app| {
        shows(app, "Download to which folder?")
    });
    // The folder's entry in the dialog (the pane lists it too).
    let entry = app
        .query_all_by(|node| {
            node.label()
                .is_some_and(|l| l.contains("chosen") && l != "chosen")
        })
        .next()
        .expect("the dialog's entry");
    entry.click();
    app.step();
    app.step();
    app.get_by_label("Open").click();
    wait_for(&mut app, "the download into the chosen folder", |_| {
        fs::read(local.path().join("chosen/report.txt")).is_ok_and(|b| b == b"the report")
    });
    assert!(!local.path().join("report.txt").exists());
}
