//! The window with a server in each pane: the left pane switched from this
//! computer to a second server, files dragged and copied by menu between
//! the two, nothing through the local disk.

mod common;

use std::fs;

use common::gui::{
    App, connect, drag, lists, right_click, row_in, shows, wait_for, window, window_with_settings,
};
use common::unftp::UnftpServer;
use egui_kittest::kittest::Queryable;
use ferry::gui::{LinkState, Settings, Side};

/// A window whose right pane shows `right` and left pane `left`.
fn two_servers(right: &UnftpServer, left: &UnftpServer, local: &std::path::Path) -> App {
    two_servers_in(window(local), right, left)
}

fn two_servers_in(mut app: App, right: &UnftpServer, left: &UnftpServer) -> App {
    connect(&mut app, right.port, "alice", "s3cret-pw");
    wait_for(&mut app, "the right server", |app| {
        matches!(app.state().link(), LinkState::Connected { .. })
    });
    let url = format!("ftp://alice@127.0.0.1:{}/", left.port);
    connect_left(&mut app, &url, "s3cret-pw");
    app
}

/// Shows a server in the left pane: `url`, logged in with `password`.
fn connect_left(app: &mut App, url: &str, password: &str) {
    choose_left(app, "Another server");
    app.step();
    app.step();
    for (label, text) in [("URL", url), ("Password", password)] {
        // The connect bar has a Password field too: the left one is the
        // one inside the left pane.
        let left_pane = app.state().pane_rect(Side::Left);
        let field = app
            .query_all_by_label(label)
            .filter(|n| n.rect().center().x < left_pane.right())
            .min_by(|a, b| a.rect().top().total_cmp(&b.rect().top()).reverse())
            .expect("the left bar's field");
        field.focus();
        app.step();
        let field = app
            .query_all_by_label(label)
            .find(|n| n.is_focused())
            .expect("the focused field");
        field.type_text(text);
        app.step();
    }
    app.get_by_label("Connect left").click();
    app.step();
}

/// Double-clicks `name` once the window has settled, and waits until
/// `started` says it took. A listing that arrives between the two clicks
/// rightly makes them two single clicks (the rows may have moved), and
/// panes refresh when the queue falls idle; so first the queue has said
/// it is idle and both panes have their refreshed listings.
fn open_when_settled(app: &mut App, side: Side, name: &str, started: impl Fn(&App) -> bool) {
    wait_for(app, "the queue idle and both listings in", |app| {
        let left = app.state_mut().left_pane();
        let left_idle = !left.loading && !left.refreshing;
        let right = app.state_mut().right_pane();
        let right_idle = !right.loading && !right.refreshing;
        app.state().queue_view().idle && left_idle && right_idle
    });
    common::gui::double_click_in(app, Some(side), name);
    wait_for(app, &format!("{name} opened by a double-click"), |app| {
        started(app)
    });
}

/// Picks what the left pane shows from its drop-down.
fn choose_left(app: &mut App, what: &str) {
    app.get_by_label("Left:").click();
    wait_for(app, "the drop-down", |app| {
        app.query_all_by_label(what)
            .any(|n| format!("{n:?}").contains("role: Button"))
    });
    app.query_all_by_label(what)
        .find(|n| format!("{n:?}").contains("role: Button"))
        .expect("the choice")
        .click();
    app.step();
    app.step();
}

#[test]
fn files_go_between_two_servers_by_drag_and_by_menu() {
    let right = UnftpServer::plain();
    let left = UnftpServer::plain();
    fs::write(right.path("from-right.txt"), b"right to left").unwrap();
    fs::create_dir_all(left.path("folder/inner")).unwrap();
    fs::write(left.path("folder/inner/deep.txt"), b"deep").unwrap();
    fs::write(left.path("direct.txt"), b"by FXP").unwrap();
    let local = tempfile::tempdir().unwrap();
    let mut app = two_servers(&right, &left, local.path());
    wait_for(&mut app, "both listings", |app| {
        lists(app, Side::Left, "folder") && lists(app, Side::Right, "from-right.txt")
    });
    // Two servers on one host are told apart by their ports, in the
    // status line and the title.
    for (side, server) in [("right", &right), ("left", &left)] {
        let who = format!("alice@127.0.0.1:{}", server.port);
        assert!(shows(&app, &format!("connected to {who}")), "{side}");
        assert!(shows(&app, &format!("{side}: ⚠ Unencrypted")), "{side}");
    }
    assert_eq!(
        app.state().window_title(),
        format!(
            "alice@127.0.0.1:{}/ ⇄ alice@127.0.0.1:{}/ — Ferry",
            left.port, right.port
        )
    );

    // Right to left by dragging onto the left pane.
    let from = row_in(&app, Side::Right, "from-right.txt").rect().center();
    let to = app.state().pane_rect(Side::Left).center() + egui::vec2(0.0, 150.0);
    drag(&mut app, from, to);
    wait_for(&mut app, "the copy to the left server", |_| {
        fs::read(left.path("from-right.txt")).is_ok_and(|b| b == b"right to left")
    });
    wait_for(&mut app, "the left listing", |app| {
        lists(app, Side::Left, "from-right.txt")
    });

    // A folder tree left to right from the menu.
    right_click(&mut app, "folder");
    app.get_by_label("Copy to the other server").click();
    app.step();
    wait_for(&mut app, "the tree on the right server", |_| {
        fs::read(right.path("folder/inner/deep.txt")).is_ok_and(|b| b == b"deep")
    });
    // With FXP ticked, the servers send the next file to each other.
    app.get_by_label("FXP").click();
    app.step();
    open_when_settled(&mut app, Side::Left, "direct.txt", |app| {
        app.state()
            .queue_view()
            .items
            .values()
            .any(|i| i.spec.remote == "/direct.txt")
    });
    wait_for(&mut app, "the FXP copy", |_| {
        fs::read(right.path("direct.txt")).is_ok_and(|b| b == b"by FXP")
    });
    wait_for(&mut app, "FXP in the log", |app| {
        app.state()
            .log_contains("went straight from server to server")
    });

    // Again by double-click: the target exists now, so the window asks,
    // and "Overwrite" replaces it with the changed source. (First the
    // right pane's refresh after the FXP copy: a click before new rows
    // and one after are no double-click.)
    wait_for(&mut app, "the right listing", |app| {
        lists(app, Side::Right, "direct.txt")
    });
    fs::write(right.path("from-right.txt"), b"changed on the right").unwrap();
    open_when_settled(&mut app, Side::Right, "from-right.txt", |app| {
        common::gui::shows(app, "The target file exists")
    });
    assert!(common::gui::shows(&app, "from-right.txt"));
    app.get_by_label("Overwrite").click();
    wait_for(&mut app, "the overwrite on the left server", |_| {
        fs::read(left.path("from-right.txt")).is_ok_and(|b| b == b"changed on the right")
    });

    // Nothing was written on this computer.
    assert_eq!(fs::read_dir(local.path()).unwrap().count(), 0);
    // The log says which connection each line came from.
    let log = app.state().log_text();
    for tag in ["[left] > USER alice", "[right] > ", "[transfer 1] > "] {
        assert!(log.contains(tag), "no {tag:?} in\n{log}");
    }

    // Back to this computer: the left pane lists local files again.
    fs::write(local.path().join("here.txt"), b"x").unwrap();
    choose_left(&mut app, "This computer");
    wait_for(&mut app, "the local listing again", |app| {
        lists(app, Side::Left, "here.txt")
    });
}

#[test]
fn a_copy_between_servers_stops_when_the_left_pane_goes_back_to_this_computer() {
    use common::faulty::{Faults, FaultyServer, Tree};
    // The left server sends slowly (64 KiB every 40 ms): the copy is still
    // running when the user switches the pane back.
    let data: Vec<u8> = (0..4_000_000u32).map(|i| (i % 241) as u8).collect();
    let faults = Faults {
        retr_chunk_delay: Some(std::time::Duration::from_millis(40)),
        ..Faults::default()
    };
    let left = FaultyServer::start(Tree::new().file("/slow.bin", data.clone()), faults);
    let right = UnftpServer::plain();
    let local = tempfile::tempdir().unwrap();
    let mut app = window(local.path());
    connect(&mut app, right.port, "alice", "s3cret-pw");
    wait_for(&mut app, "the right server", |app| {
        matches!(app.state().link(), LinkState::Connected { .. })
    });
    let url = format!("ftp://user@127.0.0.1:{}/", left.port);
    connect_left(&mut app, &url, "pw");
    wait_for(&mut app, "the left listing", |app| {
        lists(app, Side::Left, "slow.bin")
    });
    right_click(&mut app, "slow.bin");
    app.get_by_label("Copy to the other server").click();
    app.step();
    wait_for(&mut app, "bytes flowing", |app| {
        app.state()
            .queue_view()
            .items
            .values()
            .any(|i| i.bytes_done > 0)
    });

    choose_left(&mut app, "This computer");
    wait_for(&mut app, "the copy aborted", |_| {
        left.commands().iter().any(|c| c == "ABOR")
    });
    wait_for(&mut app, "the row cancelled, without buttons", |app| {
        let view = app.state().queue_view();
        view.items.len() == 1
            && view.items.iter().all(|(id, item)| {
                item.state == ferry::engine::queue::ItemState::Cancelled && !view.is_live(*id)
            })
    });
    // The right server has the part that came before the stop, no more.
    let copied = fs::metadata(right.path("slow.bin")).map_or(0, |m| m.len());
    assert!(copied < data.len() as u64, "{copied}");
}

/// Edit works on either server of the two (issue 18): the left one's
/// file goes back to the left one.
#[test]
fn a_file_of_the_left_server_is_edited_and_goes_back_to_it() {
    let right = UnftpServer::plain();
    let left = UnftpServer::plain();
    fs::write(left.path("left.txt"), b"on the left").unwrap();
    fs::write(right.path("left.txt"), b"a namesake on the right").unwrap();
    let local = tempfile::tempdir().unwrap();
    let settings = Settings {
        last_local: Some(local.path().to_path_buf()),
        editor: "true".to_string(),
        upload_edits_without_asking: true,
        ..Settings::default()
    };
    let mut app = two_servers_in(window_with_settings(settings), &right, &left);
    wait_for(&mut app, "the left server's listing", |app| {
        lists(app, Side::Left, "left.txt")
    });
    row_in(&app, Side::Left, "left.txt").click_secondary();
    app.step();
    app.step();
    app.query_all_by_label("Edit").last().unwrap().click();
    app.step();
    wait_for(&mut app, "the copy opened", |app| {
        app.state()
            .edited_files()
            .first()
            .is_some_and(|e| e.state.label() == "unchanged")
    });
    let copy = app.state().edited_files()[0].local.clone();
    assert_eq!(fs::read(&copy).unwrap(), b"on the left");
    fs::write(&copy, b"edited on the left").unwrap();
    // Uploaded without a question, as the settings say.
    wait_for(&mut app, "the upload to the left server", |_| {
        fs::read(left.path("left.txt")).is_ok_and(|b| b == b"edited on the left")
    });
    assert_eq!(
        fs::read(right.path("left.txt")).unwrap(),
        b"a namesake on the right"
    );
}
