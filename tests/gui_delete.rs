//! Deleting from the window deletes what the question named, where it
//! named it (issue #14, point 1): the full path on this computer or on
//! which server, whatever the pane shows by the time the user answers.
//! On this computer a delete goes to the desktop's trash; Shift+Delete
//! deletes for good. Tests that touch the trash run in a private home
//! (`common::home`).

mod common;

use std::fs;
use std::path::Path;

use common::gui::{App, connect, lists, row_in, settle, shows, wait_for, window};
use common::home::private_home;
use common::unftp::UnftpServer;
use egui::{Key, Modifiers};
use egui_kittest::kittest::Queryable;
use ferry::gui::{LinkState, Side};

/// The folder: `x/` holding `outer.txt` and a folder `x/` that
/// holds `inner.txt`.
fn x_in_x(root: &Path) {
    fs::create_dir_all(root.join("x/x")).unwrap();
    fs::write(root.join("x/outer.txt"), b"outer").unwrap();
    fs::write(root.join("x/x/inner.txt"), b"inner").unwrap();
}

/// What the freedesktop trash in `home` holds (the names in `files/`).
fn trashed(home: &Path) -> Vec<String> {
    let files = home.join(".local/share/Trash/files");
    let mut names: Vec<String> = fs::read_dir(files)
        .map(|dir| {
            dir.map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

/// Presses `keys` in one frame, as a quick hand does between two frames.
fn press_together(app: &mut App, keys: &[Key]) {
    for &key in keys {
        for pressed in [true, false] {
            app.input_mut().events.push(egui::Event::Key {
                key,
                physical_key: None,
                pressed,
                repeat: false,
                modifiers: Modifiers::NONE,
            });
        }
    }
    app.step();
}

/// A window whose left pane shows a fresh folder holding the x
/// (see [`x_in_x`]), and that folder.
fn x_window() -> (tempfile::TempDir, App) {
    let local = tempfile::tempdir().unwrap();
    x_in_x(local.path());
    let app = local_window(local.path());
    (local, app)
}

/// Selects the row `name` in the left pane, as a click does.
fn select(app: &mut App, name: &str) {
    row_in(app, Side::Left, name).click();
    app.step();
}

fn local_window(local: &Path) -> App {
    let mut app = window(local);
    wait_for(&mut app, "the local listing", |app| {
        lists(app, Side::Left, "x")
    });
    app
}

#[test]
fn enter_at_the_delete_question_moves_the_folder_it_names_to_the_trash() {
    let name = "enter_at_the_delete_question_moves_the_folder_it_names_to_the_trash";
    let Some(home) = private_home(name) else {
        return;
    };
    let (local, mut app) = x_window();
    select(&mut app, "x");
    app.key_press(Key::Delete);
    wait_for(&mut app, "the question", |app| {
        shows(app, "Move to the trash?")
    });
    // It says where and what, in full, and how much the folder holds.
    assert!(shows(&app, "On this computer:"));
    let full = local.path().join("x").display().to_string();
    wait_for(&mut app, "the folder counted", |app| {
        shows(app, &format!("{full} — folder, holds 3 items in all"))
    });
    app.key_press(Key::Enter);
    wait_for(&mut app, "the move to the trash", |_| {
        !local.path().join("x").exists()
    });
    assert_eq!(trashed(&home), ["x"]);
    let trash = home.join(".local/share/Trash");
    assert_eq!(
        fs::read(trash.join("files/x/x/inner.txt")).unwrap(),
        b"inner"
    );
    assert!(trash.join("info/x.trashinfo").is_file());
    settle(&mut app);
    // The pane behind the question never opened x.
    assert_eq!(
        app.state_mut().left_pane().folder,
        local.path().display().to_string()
    );
    assert!(
        app.state().errors().is_empty(),
        "{:?}",
        app.state().errors()
    );
    assert!(app.state().log_contains("to the trash: done"));
}

#[test]
fn a_local_delete_confirmed_after_the_pane_moved_trashes_what_it_named() {
    let name = "a_local_delete_confirmed_after_the_pane_moved_trashes_what_it_named";
    let Some(home) = private_home(name) else {
        return;
    };
    let (local, mut app) = x_window();
    select(&mut app, "x");
    // Enter opens x and Delete asks about x, in one frame: the pane moves
    // into x behind the question, where another x is.
    press_together(&mut app, &[Key::Enter, Key::Delete]);
    wait_for(&mut app, "the pane in x behind the question", |app| {
        lists(app, Side::Left, "outer.txt")
    });
    assert!(shows(&app, "Move to the trash?"));
    app.get_by_label("Move to trash").click();
    wait_for(&mut app, "the move to the trash", |_| {
        !local.path().join("x").exists()
    });
    // The outer x went, whole; x/x was not taken on its own.
    assert_eq!(trashed(&home), ["x"]);
    let trash = home.join(".local/share/Trash/files");
    assert!(trash.join("x/outer.txt").is_file() && trash.join("x/x/inner.txt").is_file());
    // The pane was inside what went: it is back where x was chosen.
    let root = local.path().display().to_string();
    wait_for(&mut app, "the pane back where x was", |app| {
        app.state_mut().left_pane().folder == root && !app.state_mut().left_pane().loading
    });
    assert!(
        app.state().errors().is_empty(),
        "{:?}",
        app.state().errors()
    );
}

#[test]
fn shift_delete_asks_to_delete_for_good_and_bypasses_the_trash() {
    let name = "shift_delete_asks_to_delete_for_good_and_bypasses_the_trash";
    let Some(home) = private_home(name) else {
        return;
    };
    let (local, mut app) = x_window();
    fs::write(local.path().join("gone.txt"), b"bye").unwrap();
    select(&mut app, "x");
    // The listing shows gone.txt once it is refreshed.
    app.key_press(Key::F5);
    wait_for(&mut app, "gone.txt listed", |app| {
        lists(app, Side::Left, "gone.txt")
    });
    select(&mut app, "gone.txt");
    app.key_press_modifiers(Modifiers::SHIFT, Key::Delete);
    wait_for(&mut app, "the question", |app| {
        shows(app, "Delete permanently?")
    });
    assert!(shows(&app, "This cannot be undone."));
    assert!(shows(
        &app,
        &local.path().join("gone.txt").display().to_string()
    ));
    app.get_by_label("Delete permanently").click();
    wait_for(&mut app, "the delete", |_| {
        !local.path().join("gone.txt").exists()
    });
    assert!(trashed(&home).is_empty());
    assert!(local.path().join("x/x/inner.txt").exists());
}

#[test]
fn a_trash_that_cannot_be_used_deletes_nothing_and_says_so() {
    let name = "a_trash_that_cannot_be_used_deletes_nothing_and_says_so";
    let Some(home) = private_home(name) else {
        return;
    };
    // Where the trash would be is a file: no trash can be made there.
    fs::create_dir_all(home.join(".local")).unwrap();
    fs::write(home.join(".local/share"), b"not a folder").unwrap();
    let (local, mut app) = x_window();
    select(&mut app, "x");
    app.key_press(Key::Delete);
    wait_for(&mut app, "the question", |app| {
        shows(app, "Move to the trash?")
    });
    app.get_by_label("Move to trash").click();
    wait_for(&mut app, "the error", |app| {
        !app.state().errors().is_empty()
    });
    let errors = app.state().errors().join("\n");
    assert!(errors.contains("to the trash failed"), "{errors}");
    assert!(local.path().join("x/x/inner.txt").exists());
    assert!(local.path().join("x/outer.txt").exists());
}

#[test]
fn a_delete_on_the_server_confirmed_after_the_pane_moved_deletes_what_it_named() {
    let server = UnftpServer::plain();
    x_in_x(server.root.path());
    let local = tempfile::tempdir().unwrap();
    let mut app = window(local.path());
    connect(&mut app, server.port, "alice", "s3cret-pw");
    wait_for(&mut app, "connected", |app| {
        matches!(app.state().link(), LinkState::Connected { .. })
    });
    wait_for(&mut app, "the remote listing", |app| {
        lists(app, Side::Right, "x")
    });
    row_in(&app, Side::Right, "x").click();
    app.step();
    press_together(&mut app, &[Key::Enter, Key::Delete]);
    wait_for(&mut app, "the pane in /x behind the question", |app| {
        lists(app, Side::Right, "outer.txt")
    });
    // The question names the server and the full path, says it is for
    // good, and how much the folder holds at its top level.
    assert!(shows(&app, "Delete on the server?"));
    assert!(shows(
        &app,
        &format!("On the server alice@127.0.0.1:{}:", server.port)
    ));
    wait_for(&mut app, "the folder counted", |app| {
        shows(
            app,
            "/x — folder, holds 2 items (1 of them a folder, not counted inside)",
        )
    });
    assert!(shows(&app, "This cannot be undone."));
    assert!(server.path("x/x/inner.txt").exists());
    app.get_by_label("Delete").click();
    wait_for(&mut app, "the delete on the server", |app| {
        assert!(
            app.state().errors().is_empty(),
            "{:?}",
            app.state().errors()
        );
        !server.path("x").exists()
    });
    // The pane was inside what went: it is back where x was chosen.
    wait_for(&mut app, "the pane back at the root", |app| {
        app.state_mut().right_pane().folder == "/" && !app.state_mut().right_pane().loading
    });
}
