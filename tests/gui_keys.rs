//! Keys go where the user typed them, and nowhere else: the Enter that
//! ends a rename or a text field is that field's, and while a question is
//! open the panes and the queue behind it hear nothing (issue #14).

mod common;

use std::fs;
use std::path::Path;

use common::gui::{App, lists, row_in, settle, shows, wait_for, window};
use common::unftp::UnftpServer;
use egui::{Key, Modifiers};
use egui_kittest::kittest::Queryable;
use ferry::gui::{LinkState, Side};

const USER: &str = "alice";
const PASSWORD: &str = "s3cret-pw";

fn connected(server: &UnftpServer, local: &Path) -> App {
    common::gui::connected(local, server.port, USER, PASSWORD)
}

/// Renames `old` to `new` in the pane on `side` as a person does with the
/// keyboard: select, F2, type, Enter.
fn rename_with_keys(app: &mut App, side: Side, old: &str, new: &str) {
    row_in(app, side, old).click();
    app.step();
    app.key_press(Key::F2);
    app.step();
    app.step();
    app.key_press_modifiers(Modifiers::COMMAND, Key::A);
    app.step();
    let editor = app
        .query_all_by_value(old)
        .find(|node| node.is_focused())
        .expect("the inline editor has the keyboard");
    editor.type_text(new);
    app.step();
    app.key_press(Key::Enter);
    app.step();
}

/// The text field whose hint (placeholder) is `hint`, inside `area` if
/// given.
fn field_hinted<'a>(
    app: &'a App,
    hint: &'a str,
    area: Option<egui::Rect>,
) -> egui_kittest::Node<'a> {
    let mut found: Vec<_> = app
        .query_all_by(move |node| node.placeholder() == Some(hint))
        .filter(|node| area.is_none_or(|a| a.contains(node.rect().center())))
        .collect();
    assert!(found.len() == 1, "{} fields hinted {hint:?}", found.len());
    found.remove(0)
}

/// Nothing was queued, no error shown, no question asked.
fn nothing_else_happened(app: &App) {
    assert!(
        app.state().queue_view().items.is_empty(),
        "a transfer was queued"
    );
    assert!(
        app.state().errors().is_empty(),
        "{:?}",
        app.state().errors()
    );
    assert!(!shows(app, "The target file exists"));
}

#[test]
fn enter_that_ends_a_rename_on_the_server_downloads_nothing() {
    let server = UnftpServer::plain();
    fs::write(server.path("a.bin"), b"the bytes").unwrap();
    let local = tempfile::tempdir().unwrap();
    // The old name exists here too: a leaked download would ask about it.
    fs::write(local.path().join("a.bin"), b"mine").unwrap();
    let mut app = connected(&server, local.path());
    wait_for(&mut app, "the remote listing", |app| {
        lists(app, Side::Right, "a.bin")
    });
    rename_with_keys(&mut app, Side::Right, "a.bin", "b.bin");
    wait_for(&mut app, "the rename on the server", |_| {
        server.path("b.bin").exists() && !server.path("a.bin").exists()
    });
    wait_for(&mut app, "the new name listed", |app| {
        lists(app, Side::Right, "b.bin")
    });
    settle(&mut app);
    nothing_else_happened(&app);
    assert_eq!(fs::read(local.path().join("a.bin")).unwrap(), b"mine");
}

#[test]
fn enter_that_ends_a_rename_of_a_local_file_uploads_nothing() {
    let server = UnftpServer::plain();
    let local = tempfile::tempdir().unwrap();
    fs::write(local.path().join("a.txt"), b"mine").unwrap();
    let mut app = connected(&server, local.path());
    wait_for(&mut app, "the local listing", |app| {
        lists(app, Side::Left, "a.txt")
    });
    rename_with_keys(&mut app, Side::Left, "a.txt", "b.txt");
    wait_for(&mut app, "the new name listed", |app| {
        lists(app, Side::Left, "b.txt")
    });
    settle(&mut app);
    nothing_else_happened(&app);
    assert!(local.path().join("b.txt").exists());
    assert!(!server.path("a.txt").exists() && !server.path("b.txt").exists());
}

#[test]
fn enter_that_ends_a_rename_of_a_local_folder_does_not_open_it() {
    let server = UnftpServer::plain();
    let local = tempfile::tempdir().unwrap();
    fs::create_dir(local.path().join("before")).unwrap();
    fs::write(local.path().join("before/inside.txt"), b"x").unwrap();
    let mut app = connected(&server, local.path());
    wait_for(&mut app, "the local listing", |app| {
        lists(app, Side::Left, "before")
    });
    rename_with_keys(&mut app, Side::Left, "before", "after");
    wait_for(&mut app, "the new name listed", |app| {
        lists(app, Side::Left, "after")
    });
    settle(&mut app);
    nothing_else_happened(&app);
    assert_eq!(
        app.state_mut().left_pane().folder,
        local.path().display().to_string()
    );
    assert!(lists(&mut app, Side::Left, "after"));
}

/// Puts the local pane's keyboard cursor on the folder `trap`, so that a
/// leaked Enter would open it.
fn aim_at_trap(app: &mut App) {
    // Half a second of the window's time since any earlier click, so this
    // one is a click of its own, not the second of a double-click (which
    // would open the folder).
    for _ in 0..30 {
        app.step();
    }
    row_in(app, Side::Left, "trap").click();
    app.step();
    app.step();
}

/// Whether the local pane still shows `folder` and never opened `trap`.
fn stayed_in(app: &mut App, folder: &Path) -> Result<(), String> {
    settle(app);
    let pane = app.state_mut().left_pane();
    let shown = pane.folder.clone();
    if shown != folder.display().to_string() {
        return Err(format!("the local pane moved to {shown}"));
    }
    Ok(())
}

/// Types `text` into the field, then presses Enter in it.
fn type_and_enter(app: &mut App, hint: &str, area: Option<egui::Rect>, text: &str) {
    field_hinted(app, hint, area).focus();
    app.step();
    field_hinted(app, hint, area).type_text(text);
    app.step();
    app.key_press(Key::Enter);
    app.step();
}

#[test]
fn enter_in_any_text_field_stays_in_that_field() {
    let server = UnftpServer::plain();
    let local = tempfile::tempdir().unwrap();
    fs::create_dir(local.path().join("trap")).unwrap();
    fs::write(local.path().join("trap/inside.txt"), b"x").unwrap();
    fs::create_dir(local.path().join("elsewhere")).unwrap();
    let mut app = window(local.path());
    wait_for(&mut app, "the local listing", |app| {
        lists(app, Side::Left, "trap")
    });
    let mut leaks = Vec::new();

    // Not connected, with a host typed: Enter anywhere else must not
    // connect with what the bar holds.
    app.get_by_label("Host").focus();
    app.step();
    app.get_by_label("Host").type_text("127.0.0.1");
    app.step();
    let local_area = Some(app.state().pane_rect(Side::Left));
    aim_at_trap(&mut app);
    type_and_enter(&mut app, "Filter", local_area, "tr");
    if *app.state().link() != LinkState::Disconnected {
        leaks.push("the filter's Enter connected the bar".to_string());
    }
    if let Err(e) = stayed_in(&mut app, local.path()) {
        leaks.push(format!("filter: {e}"));
    }

    // The site manager's fields.
    app.get_by_label("Sites…").click();
    wait_for(&mut app, "the site manager", |app| shows(app, "New site"));
    app.get_by_label("New site").click();
    app.step();
    aim_at_trap(&mut app);
    app.get_by_role_and_label(egui::accesskit::Role::TextInput, "Name")
        .focus();
    app.step();
    app.get_by_role_and_label(egui::accesskit::Role::TextInput, "Name")
        .type_text(" two");
    app.step();
    app.key_press(Key::Enter);
    app.step();
    if *app.state().link() != LinkState::Disconnected {
        leaks.push("the site manager's Enter connected the bar".to_string());
    }
    if let Err(e) = stayed_in(&mut app, local.path()) {
        leaks.push(format!("site manager: {e}"));
    }
    app.get_by_label("Close window").click();
    wait_for(&mut app, "the site manager closed", |app| {
        !shows(app, "New site")
    });

    // The connect bar itself: Enter there connects, and only that.
    for (label, text) in [
        ("Port", server.port.to_string()),
        ("User", USER.to_string()),
        ("Password", PASSWORD.to_string()),
    ] {
        app.get_by_label(label).focus();
        app.step();
        app.get_by_label(label).type_text(&text);
        app.step();
    }
    aim_at_trap(&mut app);
    app.get_by_label("Password").focus();
    app.step();
    app.key_press(Key::Enter);
    app.step();
    wait_for(&mut app, "connected by Enter in the bar", |app| {
        matches!(app.state().link(), LinkState::Connected { .. })
    });
    if let Err(e) = stayed_in(&mut app, local.path()) {
        leaks.push(format!("connect bar: {e}"));
    }

    // The raw command field.
    aim_at_trap(&mut app);
    type_and_enter(&mut app, "Raw command, e.g. SITE HELP", None, "NOOP");
    if let Err(e) = stayed_in(&mut app, local.path()) {
        leaks.push(format!("raw command: {e}"));
    }

    // The new-folder question's name field.
    aim_at_trap(&mut app);
    let new_folder = app
        .query_all_by_label("New folder")
        .find(|n| local_area.is_some_and(|a| a.contains(n.rect().center())))
        .expect("the local pane's New folder button");
    new_folder.click();
    app.step();
    app.step();
    type_and_enter(&mut app, "Name", None, "made");
    wait_for(&mut app, "the new folder", |_| {
        local.path().join("made").is_dir()
    });
    if let Err(e) = stayed_in(&mut app, local.path()) {
        leaks.push(format!("new folder: {e}"));
    }

    // The path bar: Enter opens what was typed, not the row behind.
    aim_at_trap(&mut app);
    let here = local.path().display().to_string();
    app.query_all_by_value(&here).next().unwrap().focus();
    app.step();
    app.key_press_modifiers(Modifiers::COMMAND, Key::A);
    app.step();
    let elsewhere = local.path().join("elsewhere");
    app.query_all_by_value(&here)
        .next()
        .unwrap()
        .type_text(&elsewhere.display().to_string());
    app.step();
    app.key_press(Key::Enter);
    app.step();
    if let Err(e) = stayed_in(&mut app, &elsewhere) {
        leaks.push(format!("path bar: {e}"));
    }

    assert!(leaks.is_empty(), "Enter leaked: {leaks:#?}");
    assert!(
        app.state().queue_view().items.is_empty(),
        "a transfer was queued"
    );
}

#[test]
fn keys_pressed_while_a_question_is_open_reach_nothing_behind_it() {
    let server = UnftpServer::plain();
    fs::write(server.path("report.txt"), b"from the server").unwrap();
    fs::create_dir(server.path("trap")).unwrap();
    let local = tempfile::tempdir().unwrap();
    fs::write(local.path().join("report.txt"), b"mine").unwrap();
    let mut app = connected(&server, local.path());
    wait_for(&mut app, "the remote listing", |app| {
        lists(app, Side::Right, "report.txt")
    });
    common::gui::double_click_in(&mut app, Some(Side::Right), "report.txt");
    wait_for(&mut app, "the question", |app| {
        shows(app, "The target file exists")
    });
    // Every key the panes know, pressed at the question.
    for key in [
        Key::Enter,
        Key::Delete,
        Key::F2,
        Key::ArrowUp,
        Key::Enter,
        Key::Backspace,
        Key::F5,
    ] {
        app.key_press(key);
        app.step();
    }
    app.key_press_modifiers(Modifiers::COMMAND, Key::A);
    app.step();
    app.key_press(Key::Delete);
    settle(&mut app);
    // One item, the first download; no second question, no delete.
    assert_eq!(app.state().queue_view().items.len(), 1);
    app.get_by_label("Skip").click();
    settle(&mut app);
    assert!(!shows(&app, "The target file exists"), "a second question");
    assert!(!shows(&app, "Delete"), "a delete was asked for");
    assert_eq!(app.state_mut().right_pane().folder, "/");
    assert!(app.state_mut().right_pane().table.selection().len() <= 1);
    assert!(server.path("report.txt").exists() && server.path("trap").is_dir());
    assert_eq!(fs::read(local.path().join("report.txt")).unwrap(), b"mine");
}
