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
        Key::Home,
        Key::End,
        Key::PageDown,
        Key::Tab,
        Key::Enter,
    ] {
        app.key_press(key);
        app.step();
    }
    app.key_press_modifiers(Modifiers::ALT, Key::ArrowUp);
    app.event(egui::Event::Text("t".into()));
    app.step();
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

/// The name of the row the keyboard is on in the pane on `side`, and the
/// names selected there.
fn cursor_and_selection(app: &mut App, side: Side) -> (Option<String>, Vec<String>) {
    let pane = match side {
        Side::Left => app.state_mut().left_pane(),
        Side::Right => app.state_mut().right_pane(),
    };
    let cursor = pane.table.cursor_name().map(str::to_string);
    let selected = pane.table.selection().into_iter().map(|r| r.name).collect();
    (cursor, selected)
}

fn press(app: &mut App, modifiers: Modifiers, key: Key) {
    app.key_press_modifiers(modifiers, key);
    app.step();
    app.step();
}

/// A folder (inside the test's own) of `files` files f0000.txt… and the
/// folders d1 and d2.
fn long_folder(files: usize) -> tempfile::TempDir {
    let root = tempfile::tempdir().unwrap();
    for i in 0..files {
        fs::write(root.path().join(format!("f{i:04}.txt")), b"x").unwrap();
    }
    fs::create_dir(root.path().join("d1")).unwrap();
    fs::create_dir(root.path().join("d2")).unwrap();
    root
}

#[test]
fn home_end_and_page_keys_reach_every_row_of_a_long_folder() {
    let local = long_folder(500);
    let mut app = window(local.path());
    wait_for(&mut app, "the local listing", |app| {
        lists(app, Side::Left, "f0499.txt")
    });
    row_in(&app, Side::Left, "f0000.txt").click();
    app.step();
    press(&mut app, Modifiers::NONE, Key::End);
    assert_eq!(
        cursor_and_selection(&mut app, Side::Left),
        (Some("f0499.txt".into()), vec!["f0499.txt".to_string()])
    );
    // The table scrolled to it: the last row is drawn.
    row_in(&app, Side::Left, "f0499.txt");
    press(&mut app, Modifiers::COMMAND, Key::Home);
    assert_eq!(
        cursor_and_selection(&mut app, Side::Left),
        (Some("..".into()), vec![])
    );
    // A page down from the top lands a screenful further, on a drawn row;
    // a page up comes back to the top.
    press(&mut app, Modifiers::NONE, Key::PageDown);
    let (Some(paged), _) = cursor_and_selection(&mut app, Side::Left) else {
        panic!("no cursor after Page Down");
    };
    let page: usize = paged[1..5].parse().unwrap();
    assert!((10..100).contains(&page), "Page Down went to {paged}");
    row_in(&app, Side::Left, &paged);
    press(&mut app, Modifiers::NONE, Key::PageDown);
    let (Some(twice), _) = cursor_and_selection(&mut app, Side::Left) else {
        panic!("no cursor after Page Down");
    };
    let second: usize = twice[1..5].parse().unwrap();
    assert!(second > page, "{twice} after {paged}");
    press(&mut app, Modifiers::NONE, Key::PageUp);
    press(&mut app, Modifiers::NONE, Key::PageUp);
    assert_eq!(
        cursor_and_selection(&mut app, Side::Left).0.as_deref(),
        Some("..")
    );
    press(&mut app, Modifiers::COMMAND, Key::End);
    assert_eq!(
        cursor_and_selection(&mut app, Side::Left).0.as_deref(),
        Some("f0499.txt")
    );
    // Shift+Home selects from the last row up to the first: every entry,
    // never the `..` row.
    press(&mut app, Modifiers::SHIFT, Key::Home);
    let (cursor, selected) = cursor_and_selection(&mut app, Side::Left);
    assert_eq!(cursor.as_deref(), Some(".."));
    assert_eq!(selected.len(), 502);
    assert!(!selected.iter().any(|n| n == ".."));
    // Nothing of this acted on anything.
    settle(&mut app);
    nothing_else_happened(&app);
    assert_eq!(fs::read_dir(local.path()).unwrap().count(), 502);
}

#[test]
fn typing_a_name_jumps_to_it() {
    let local = tempfile::tempdir().unwrap();
    for name in ["apple", "Banana", "blueberry", "cherry", "cranberry"] {
        fs::write(local.path().join(name), b"x").unwrap();
    }
    let mut app = window(local.path());
    wait_for(&mut app, "the local listing", |app| {
        lists(app, Side::Left, "cranberry")
    });
    row_in(&app, Side::Left, "apple").click();
    app.step();
    let typed = |app: &mut App, text: &str| {
        for letter in text.chars() {
            app.event(egui::Event::Text(letter.to_string()));
            app.step();
        }
        app.step();
        cursor_and_selection(app, Side::Left)
    };
    // Case does not matter; the same letter again goes to the next name
    // that starts with it.
    assert_eq!(typed(&mut app, "b").1, vec!["Banana".to_string()]);
    assert_eq!(typed(&mut app, "b").1, vec!["blueberry".to_string()]);
    assert_eq!(typed(&mut app, "b").1, vec!["Banana".to_string()]);
    // After a pause, a new name: "cr" is cranberry, not cherry.
    for _ in 0..90 {
        app.step();
    }
    assert_eq!(typed(&mut app, "cr").1, vec!["cranberry".to_string()]);
    for _ in 0..90 {
        app.step();
    }
    assert_eq!(typed(&mut app, "zz").1, vec!["cranberry".to_string()]);
    settle(&mut app);
    nothing_else_happened(&app);
}

#[test]
fn the_parent_row_opens_the_parent_folder_and_is_never_acted_on() {
    let top = tempfile::tempdir().unwrap();
    let inner = top.path().join("inner");
    fs::create_dir(&inner).unwrap();
    fs::write(inner.join("keep.txt"), b"keep").unwrap();
    let mut app = window(&inner);
    wait_for(&mut app, "the local listing", |app| {
        lists(app, Side::Left, "keep.txt")
    });
    assert!(app.state_mut().left_pane().table.has_parent_row());
    // Double-click on `..`: the parent folder.
    common::gui::double_click_in(&mut app, Some(Side::Left), "..");
    wait_for(&mut app, "the parent folder", |app| {
        lists(app, Side::Left, "inner")
    });
    assert_eq!(
        app.state_mut().left_pane().folder,
        top.path().display().to_string()
    );
    // Enter on `..` (Home puts the keyboard there) and Alt+Up go up too.
    common::gui::double_click_in(&mut app, Some(Side::Left), "inner");
    wait_for(&mut app, "back inside", |app| {
        lists(app, Side::Left, "keep.txt")
    });
    press(&mut app, Modifiers::NONE, Key::Home);
    press(&mut app, Modifiers::NONE, Key::Enter);
    wait_for(&mut app, "the parent folder again", |app| {
        lists(app, Side::Left, "inner")
    });
    common::gui::double_click_in(&mut app, Some(Side::Left), "inner");
    wait_for(&mut app, "inside again", |app| {
        lists(app, Side::Left, "keep.txt")
    });
    row_in(&app, Side::Left, "keep.txt").click();
    app.step();
    press(&mut app, Modifiers::ALT, Key::ArrowUp);
    wait_for(&mut app, "up with Alt+Up", |app| {
        lists(app, Side::Left, "inner")
    });
    // Delete, F2 and Ctrl+A with the keyboard on `..`: nothing to act on.
    press(&mut app, Modifiers::NONE, Key::Home);
    for key in [Key::Delete, Key::F2] {
        press(&mut app, Modifiers::NONE, key);
    }
    settle(&mut app);
    nothing_else_happened(&app);
    assert!(!shows(&app, "Move to trash"));
    assert!(inner.join("keep.txt").exists());
    // The root has no `..` row.
    let mut app = window(Path::new("/"));
    wait_for(&mut app, "the root listed", |app| {
        app.state_mut().left_pane().listings > 0
    });
    assert!(!app.state_mut().left_pane().table.has_parent_row());
}

#[test]
fn tab_and_ctrl_tab_give_the_keyboard_to_the_other_pane() {
    let server = UnftpServer::plain();
    for name in ["r1.txt", "r2.txt", "r3.txt"] {
        fs::write(server.path(name), b"remote").unwrap();
    }
    let local = tempfile::tempdir().unwrap();
    for name in ["l1.txt", "l2.txt", "l3.txt"] {
        fs::write(local.path().join(name), b"local").unwrap();
    }
    let mut app = connected(&server, local.path());
    wait_for(&mut app, "both listings", |app| {
        lists(app, Side::Right, "r3.txt") && lists(app, Side::Left, "l3.txt")
    });
    row_in(&app, Side::Left, "l1.txt").click();
    app.step();
    press(&mut app, Modifiers::NONE, Key::Tab);
    press(&mut app, Modifiers::NONE, Key::End);
    assert_eq!(
        cursor_and_selection(&mut app, Side::Right).0.as_deref(),
        Some("r3.txt")
    );
    assert_eq!(
        cursor_and_selection(&mut app, Side::Left).0.as_deref(),
        Some("l1.txt")
    );
    press(&mut app, Modifiers::CTRL, Key::Tab);
    press(&mut app, Modifiers::NONE, Key::End);
    assert_eq!(
        cursor_and_selection(&mut app, Side::Left).0.as_deref(),
        Some("l3.txt")
    );
    assert_eq!(
        cursor_and_selection(&mut app, Side::Right).0.as_deref(),
        Some("r3.txt")
    );
    // Tab in a text field is that field's: it moves to the next field and
    // the panes keep their keyboard.
    field_hinted(&app, "Filter", Some(app.state().pane_rect(Side::Left))).focus();
    app.step();
    press(&mut app, Modifiers::NONE, Key::Tab);
    press(&mut app, Modifiers::NONE, Key::Escape);
    press(&mut app, Modifiers::NONE, Key::Home);
    assert_eq!(
        cursor_and_selection(&mut app, Side::Left).0.as_deref(),
        Some("..")
    );
    settle(&mut app);
    nothing_else_happened(&app);
}

#[test]
fn each_pane_says_what_it_holds_and_what_is_selected() {
    let local = tempfile::tempdir().unwrap();
    for (name, size) in [("a", 1), ("b", 4), ("c", 8), ("d", 16), ("e", 20)] {
        fs::write(local.path().join(name), vec![b'x'; size]).unwrap();
    }
    for dir in ["w", "x", "y", "z"] {
        fs::create_dir(local.path().join(dir)).unwrap();
    }
    let big = fs::File::create(local.path().join("z/big.bin")).unwrap();
    big.set_len(12 * 1024 * 1024).unwrap();
    let mut app = window(local.path());
    wait_for(&mut app, "the local listing", |app| {
        lists(app, Side::Left, "e")
    });
    assert!(shows(&app, "5 files and 4 folders. Total size: 49 bytes"));
    row_in(&app, Side::Left, "b").click();
    app.step();
    press(&mut app, Modifiers::SHIFT, Key::ArrowDown);
    press(&mut app, Modifiers::SHIFT, Key::ArrowDown);
    assert!(shows(&app, "3 files selected, 28 bytes"));
    row_in(&app, Side::Left, "x").click();
    app.step();
    press(&mut app, Modifiers::SHIFT, Key::ArrowDown);
    assert!(shows(&app, "2 folders selected"));
    common::gui::double_click_in(&mut app, Some(Side::Left), "z");
    wait_for(&mut app, "inside z", |app| {
        lists(app, Side::Left, "big.bin")
    });
    assert!(shows(&app, "1 file. Total size: 12.00 MiB"));
    press(&mut app, Modifiers::NONE, Key::End);
    assert!(shows(&app, "1 file selected, 12.00 MiB"));
}

/// The menu bar reaches the help, and F1 does too; Ctrl+, opens the
/// settings, whose OK changes what the window does: with "Ask before
/// deleting" off, Shift+Delete deletes at once; the theme follows.
#[test]
fn the_menus_and_the_settings_dialog_change_what_the_window_does() {
    let choose = |app: &mut App, label: &str| {
        app.get_by_label(label).click();
        for _ in 0..3 {
            app.step();
        }
    };
    let local = tempfile::tempdir().unwrap();
    fs::write(local.path().join("gone.txt"), b"x").unwrap();
    fs::write(local.path().join("kept.txt"), b"x").unwrap();
    let mut app = window(local.path());
    wait_for(&mut app, "the local listing", |app| {
        lists(app, Side::Left, "gone.txt")
    });

    choose(&mut app, "Help");
    choose(&mut app, "About Ferry");
    assert!(shows(&app, &format!("Ferry {}", env!("CARGO_PKG_VERSION"))));
    assert!(shows(&app, "Licence"));
    choose(&mut app, "Close");
    press(&mut app, Modifiers::NONE, Key::F1);
    assert!(shows(&app, "Keyboard shortcuts"));
    assert!(shows(&app, "Jump to the first name that starts with them"));
    choose(&mut app, "Close");
    assert!(!shows(&app, "Jump to the first name"));

    press(&mut app, Modifiers::COMMAND, Key::Comma);
    assert!(shows(&app, "When the target file exists"));
    choose(&mut app, "Ask before deleting");
    choose(&mut app, "Light");
    choose(
        &mut app,
        "Send these as text (line endings converted); the rest in binary",
    );
    choose(&mut app, "Upload a saved file without asking");
    choose(&mut app, "OK");
    let settings = app.state().settings();
    assert!(settings.upload_edits_without_asking);
    assert!(settings.text_mode);
    assert!(settings.text_extension_list().contains(&"txt".to_string()));
    assert!(!settings.confirm_delete);
    assert_eq!(settings.theme, ferry::gui::Theme::Light);
    assert_eq!(app.ctx.theme(), egui::Theme::Light);

    row_in(&app, Side::Left, "gone.txt").click();
    app.step();
    press(&mut app, Modifiers::SHIFT, Key::Delete);
    wait_for(&mut app, "the file deleted without a question", |_| {
        !local.path().join("gone.txt").exists()
    });
    assert!(local.path().join("kept.txt").exists());
    assert!(!shows(&app, "Delete permanently?"));

    // Cancel leaves everything as it was.
    press(&mut app, Modifiers::COMMAND, Key::Comma);
    choose(&mut app, "Ask before deleting");
    choose(&mut app, "Cancel");
    assert!(!app.state().settings().confirm_delete);
}

/// View → Show folder trees: the path to the folder shown is a tree
/// above the list, with what was listed under it; a click on a folder
/// there opens it in the pane.
#[test]
fn the_folder_tree_shows_the_way_here_and_opens_what_is_clicked() {
    let top = tempfile::tempdir().unwrap();
    let a = top.path().join("alpha");
    fs::create_dir_all(a.join("beta/gamma")).unwrap();
    fs::create_dir_all(a.join("yonder")).unwrap();
    let mut app = window(&a.join("beta"));
    wait_for(&mut app, "the local listing", |app| {
        lists(app, Side::Left, "gamma")
    });
    app.get_by_label("View").click();
    app.step();
    app.step();
    app.get_by_label("Show folder trees").click();
    for _ in 0..3 {
        app.step();
    }
    // alpha is shown only by the tree (the pane is inside it).
    app.get_by_label("alpha").click();
    wait_for(&mut app, "alpha opened from the tree", |app| {
        lists(app, Side::Left, "yonder")
    });
    assert_eq!(app.state_mut().left_pane().folder, a.display().to_string());
    assert!(app.state().settings().folder_trees);
}

/// The window-wide keys the menus show, each doing what its entry does:
/// Ctrl+S the site manager, Ctrl+L the raw command field, Ctrl+Plus,
/// Ctrl+Minus and Ctrl+0 the text size, Ctrl+D disconnect, Ctrl+R
/// reconnect, Ctrl+Q close the window.
#[test]
fn the_window_wide_keys_do_what_their_menu_entries_do() {
    let server = UnftpServer::plain();
    fs::write(server.path("here.txt"), b"x").unwrap();
    let local = tempfile::tempdir().unwrap();
    let mut app = connected(&server, local.path());
    wait_for(&mut app, "the listing", |app| {
        lists(app, Side::Right, "here.txt")
    });

    press(&mut app, Modifiers::COMMAND, Key::L);
    let focused = app
        .query_all_by(|node| node.placeholder() == Some("Raw command, e.g. SITE HELP"))
        .any(|node| node.is_focused());
    assert!(
        focused,
        "Ctrl+L did not put the keyboard in the raw command field"
    );
    press(&mut app, Modifiers::NONE, Key::Escape);

    let zoom = |app: &App| app.state().settings().zoom;
    press(&mut app, Modifiers::COMMAND, Key::Plus);
    assert!((zoom(&app) - 1.1).abs() < 0.01, "{}", zoom(&app));
    press(&mut app, Modifiers::COMMAND, Key::Minus);
    press(&mut app, Modifiers::COMMAND, Key::Minus);
    assert!((zoom(&app) - 0.9).abs() < 0.01, "{}", zoom(&app));
    press(&mut app, Modifiers::COMMAND, Key::Num0);
    assert!((zoom(&app) - 1.0).abs() < 0.01, "{}", zoom(&app));

    press(&mut app, Modifiers::COMMAND, Key::D);
    wait_for(&mut app, "disconnected", |app| {
        matches!(app.state().link(), LinkState::Disconnected)
    });
    press(&mut app, Modifiers::COMMAND, Key::R);
    wait_for(&mut app, "connected again", |app| {
        matches!(app.state().link(), LinkState::Connected { .. })
    });
    wait_for(&mut app, "listed again", |app| {
        lists(app, Side::Right, "here.txt")
    });

    // Ctrl+Q asks the desktop to close the window (kittest keeps it).
    press(&mut app, Modifiers::COMMAND, Key::Q);
    assert!(app.state().quit_asked(), "Ctrl+Q did not close the window");

    press(&mut app, Modifiers::COMMAND, Key::S);
    wait_for(&mut app, "the site manager", |app| shows(app, "New site"));
}
