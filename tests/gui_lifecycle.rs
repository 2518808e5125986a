//! The window never acts for a connection the user let go: disconnecting
//! stops its transfers, rows of an old queue never reach a new one, and a
//! login cancelled on its way never comes back. Driven as a person would,
//! against real servers (a slow one, and one behind a gate that holds a
//! login until the test lets it through).

mod common;

use std::fs;
use std::path::Path;
use std::time::{Duration, Instant};

use common::faulty::{Faults, FaultyServer, Tree};
use common::gate::Gate;
use common::gui::{App, connect, double_click_in, lists, shows, wait_for, window};
use egui_kittest::kittest::Queryable;
use ferry::engine::queue::ItemState;
use ferry::gui::{LinkState, Side};

fn pattern(len: usize, seed: u32) -> Vec<u8> {
    (0..len as u32)
        .map(|i| (i.wrapping_mul(seed) % 251) as u8)
        .collect()
}

/// A server whose downloads take seconds (64 KiB every 40 ms), long
/// enough to disconnect in the middle.
fn slow_server(tree: Tree) -> FaultyServer {
    let faults = Faults {
        retr_chunk_delay: Some(Duration::from_millis(40)),
        ..Faults::default()
    };
    FaultyServer::start(tree, faults)
}

/// A window connected to `server`, its listing shown.
fn connected(server: &FaultyServer, local: &Path) -> App {
    let mut app = common::gui::connected(local, server.port, "user", "pw");
    wait_for(&mut app, "the remote listing", |app| {
        !app.state_mut().right_pane().table.rows().is_empty()
    });
    app
}

/// The queue's rows by remote path: (state, whether its buttons work).
fn rows(app: &App) -> Vec<(String, ItemState, bool)> {
    let view = app.state().queue_view();
    let mut rows: Vec<_> = view
        .items
        .iter()
        .map(|(id, item)| (*id, item.spec.remote.clone(), item.state.clone()))
        .collect();
    rows.sort_by_key(|(id, _, _)| *id);
    rows.into_iter()
        .map(|(id, remote, state)| (remote, state, view.is_live(id)))
        .collect()
}

fn row(app: &App, remote: &str) -> Option<(ItemState, bool)> {
    rows(app)
        .into_iter()
        .find(|(r, _, _)| r == remote)
        .map(|(_, state, live)| (state, live))
}

fn bytes_flowing(app: &App, remote: &str) -> bool {
    app.state()
        .queue_view()
        .items
        .values()
        .any(|i| i.spec.remote == remote && i.bytes_done > 0)
}

/// Buttons of queue rows drawn now (below the panes; no dialog is open in
/// these tests).
fn row_buttons(app: &App) -> usize {
    let panes_end = app.state().pane_rect(Side::Right).bottom();
    ["Retry", "Cancel", "Up", "Down"]
        .iter()
        .map(|label| {
            app.query_all_by_label(label)
                .filter(|n| n.rect().top() > panes_end)
                .count()
        })
        .sum()
}

fn click_tab(app: &mut App, starts: &str) {
    let tab = app
        .query_all_by_label_contains(starts)
        .next()
        .unwrap_or_else(|| panic!("the tab {starts}"));
    tab.click();
    app.step();
    app.step();
}

/// The partial file a download of `target` left: whole so far, not the
/// whole file, and nothing in place.
fn assert_partial_kept(target: &Path, data: &[u8]) -> usize {
    assert!(!target.exists(), "{} was put in place", target.display());
    let part = ferry::engine::part_path(target).expect("a partial file of ours");
    let kept = fs::read(&part).unwrap();
    assert!(
        !kept.is_empty() && kept.len() < data.len(),
        "{}",
        kept.len()
    );
    assert_eq!(kept[..], data[..kept.len()]);
    kept.len()
}

/// A window downloading `/slow.bin` (4 MB of pattern `seed`) from a
/// server that sends it slowly, with bytes already flowing.
struct Downloading {
    data: Vec<u8>,
    server: FaultyServer,
    local: tempfile::TempDir,
    target: std::path::PathBuf,
    app: App,
}

fn downloading_slowly(seed: u32) -> Downloading {
    let data = pattern(4_000_000, seed);
    let server = slow_server(Tree::new().file("/slow.bin", data.clone()));
    let local = tempfile::tempdir().unwrap();
    let target = local.path().join("slow.bin");
    let mut app = connected(&server, local.path());
    double_click_in(&mut app, Some(Side::Right), "slow.bin");
    wait_for(&mut app, "bytes flowing", |app| {
        bytes_flowing(app, "/slow.bin")
    });
    Downloading {
        data,
        server,
        local,
        target,
        app,
    }
}

#[test]
fn disconnecting_mid_download_aborts_it_keeps_the_partial_file_and_the_row_says_cancelled() {
    let Downloading {
        data,
        server,
        local: _local,
        target,
        mut app,
    } = downloading_slowly(23);

    app.get_by_label("Disconnect").click();
    app.step();
    wait_for(&mut app, "the transfer aborted", |_| {
        server.commands().iter().any(|c| c == "ABOR")
    });
    wait_for(&mut app, "the row cancelled, its buttons gone", |app| {
        row(app, "/slow.bin") == Some((ItemState::Cancelled, false))
    });
    assert_partial_kept(&target, &data);
    click_tab(&mut app, "Failed (1)");
    assert!(shows(&app, "Cancelled"));
    assert_eq!(row_buttons(&app), 0);

    // Connected again, the same file continues from the partial file and
    // arrives whole: one writer, from where the last one stopped.
    app.get_by_label("Connect").click();
    wait_for(&mut app, "the listing again", |app| {
        lists(app, Side::Right, "slow.bin")
    });
    double_click_in(&mut app, Some(Side::Right), "slow.bin");
    wait_for(&mut app, "the resumed download", |_| {
        fs::read(&target).is_ok_and(|b| b == data)
    });
    let commands = server.commands();
    assert!(
        commands
            .iter()
            .any(|c| c.starts_with("REST ") && c != "REST 0"),
        "{commands:?}"
    );
}

#[test]
fn rows_of_a_queue_let_go_end_cancelled_and_none_of_their_buttons_reach_the_next_queue() {
    let data = pattern(4_000_000, 29);
    let tree = Tree::new()
        .file("/a.bin", data.clone())
        .file("/b.bin", data.clone())
        .file("/c.bin", data.clone());
    let server = slow_server(tree);
    let local = tempfile::tempdir().unwrap();
    let mut app = connected(&server, local.path());
    for name in ["a.bin", "b.bin"] {
        double_click_in(&mut app, Some(Side::Right), name);
        let remote = format!("/{name}");
        wait_for(&mut app, "bytes flowing", |app| bytes_flowing(app, &remote));
    }

    // The first queue goes with its connection.
    app.get_by_label("Disconnect").click();
    app.step();
    wait_for(&mut app, "the old rows cancelled, without buttons", |app| {
        let rows = rows(app);
        rows.len() == 2
            && rows
                .iter()
                .all(|(_, state, live)| *state == ItemState::Cancelled && !live)
    });
    let part_sizes = |local: &Path| -> Vec<u64> {
        ["a.bin", "b.bin"]
            .iter()
            .map(|n| {
                let part = ferry::engine::part_path(&local.join(n)).expect("a partial file");
                fs::metadata(part).unwrap().len()
            })
            .collect()
    };
    wait_for(&mut app, "both transfers aborted", |_| {
        server.commands().iter().filter(|c| *c == "ABOR").count() == 2
    });
    let stopped_at = part_sizes(local.path());

    // A new connection, a new queue, a new download.
    app.get_by_label("Connect").click();
    wait_for(&mut app, "the listing again", |app| {
        lists(app, Side::Right, "c.bin")
    });
    double_click_in(&mut app, Some(Side::Right), "c.bin");
    wait_for(&mut app, "bytes flowing", |app| {
        bytes_flowing(app, "/c.bin")
    });
    // Three rows, each its own: the new item took no old row's place.
    let remotes: Vec<String> = rows(&app).into_iter().map(|(r, _, _)| r).collect();
    assert_eq!(remotes, ["/a.bin", "/b.bin", "/c.bin"]);
    assert_eq!(row(&app, "/a.bin"), Some((ItemState::Cancelled, false)));
    assert_eq!(row(&app, "/b.bin"), Some((ItemState::Cancelled, false)));

    // The only buttons are the new row's; the old rows have none.
    app.step();
    assert_eq!(row_buttons(&app), 3, "Cancel, Up and Down of the new row");
    click_tab(&mut app, "Failed (2)");
    assert_eq!(row_buttons(&app), 0);
    click_tab(&mut app, "Queued and running (1)");
    app.get_by_label("Cancel").click();
    app.step();
    wait_for(&mut app, "the new download cancelled", |app| {
        row(app, "/c.bin") == Some((ItemState::Cancelled, true))
    });
    assert_partial_kept(&local.path().join("c.bin"), &data);
    // The old downloads' partial files were left as they stopped.
    assert_eq!(part_sizes(local.path()), stopped_at);
    assert!(!local.path().join("a.bin").exists());
    assert!(!local.path().join("b.bin").exists());
}

#[test]
fn a_login_cancelled_on_its_way_never_comes_back() {
    let server = FaultyServer::start(Tree::new().file("/here.txt", "x"), Faults::default());
    let gate = Gate::start(server.port);
    let local = tempfile::tempdir().unwrap();
    let mut app = window(local.path());
    connect(&mut app, gate.port, "user", "pw");
    app.step();
    assert_eq!(*app.state().link(), LinkState::Connecting);
    app.get_by_label("Disconnect").click();
    app.step();
    assert_eq!(*app.state().link(), LinkState::Disconnected);

    // The server answers late: the login goes through, then the
    // connection the user let go says QUIT.
    gate.open();
    wait_for(&mut app, "the late login ended", |_| {
        server.commands().iter().any(|c| c == "QUIT")
    });
    settle(&mut app);
    assert_eq!(*app.state().link(), LinkState::Disconnected);
    assert!(!lists(&mut app, Side::Right, "here.txt"));
    assert!(shows(&app, "Not connected"));
    assert_eq!(app.state().errors(), Vec::<String>::new());
    // Nothing was asked of the server after the login.
    let commands = server.commands();
    assert!(
        !commands
            .iter()
            .any(|c| c.starts_with("LIST") || c.starts_with("MLSD") || c.starts_with("CWD")),
        "{commands:?}"
    );
}

#[test]
fn a_cancelled_login_to_a_server_that_went_away_reports_nothing_later() {
    let server = FaultyServer::start(Tree::new(), Faults::default());
    let gate = Gate::start(server.port);
    let local = tempfile::tempdir().unwrap();
    let mut app = window(local.path());
    connect(&mut app, gate.port, "user", "pw");
    app.step();
    app.get_by_label("Disconnect").click();
    app.step();
    // The server goes away: the old login fails, to nobody.
    gate.shut();
    settle(&mut app);
    assert_eq!(app.state().errors(), Vec::<String>::new());
    assert_eq!(*app.state().link(), LinkState::Disconnected);
}

#[test]
fn closing_the_window_mid_download_stops_it_and_puts_nothing_in_place() {
    let Downloading {
        data,
        server,
        local: _local,
        target,
        app,
    } = downloading_slowly(31);
    drop(app);
    let started = Instant::now();
    while !server.commands().iter().any(|c| c == "ABOR") {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "the download went on without its window"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_partial_kept(&target, &data);
}

/// Frames for a second: time for late news of a connection let go to
/// arrive, if any comes. There is no event to wait for here (the window
/// drops such news by design, which is what these tests check), so a
/// fixed window it is; `common::gui::settle` for everything else.
fn settle(app: &mut App) {
    for _ in 0..60 {
        app.step();
        std::thread::sleep(Duration::from_millis(15));
    }
}

/// The queue outlives the window: what was waiting when it closed is
/// kept (never the password), offered at the next start, and Restore
/// sends it once logged in to that server again.
#[test]
fn unfinished_transfers_are_offered_back_at_the_next_start() {
    let tree = Tree::new()
        .file("/one.txt", "first")
        .file("/two.txt", "second");
    let server = FaultyServer::start(tree, Faults::default());
    let local = tempfile::tempdir().unwrap();
    let config = tempfile::tempdir().unwrap();
    let mut app = common::gui::window_with_config(local.path(), config.path());
    connect(&mut app, server.port, "user", "secret-pw-1");
    wait_for(&mut app, "the listing", |app| {
        lists(app, Side::Right, "two.txt")
    });
    app.get_by_label("Pause").click();
    app.step();
    app.step();
    double_click_in(&mut app, Some(Side::Right), "one.txt");
    for _ in 0..30 {
        app.step();
    }
    double_click_in(&mut app, Some(Side::Right), "two.txt");
    wait_for(&mut app, "both queued", |app| {
        app.state().queue_view().items.len() == 2
    });
    app.state_mut().shut_down(Duration::from_secs(5));
    drop(app);
    let kept = fs::read_to_string(config.path().join("queue.json")).unwrap();
    assert!(
        kept.contains("one.txt") && kept.contains("two.txt"),
        "{kept}"
    );
    assert!(!kept.contains("secret-pw-1"), "{kept}");
    assert!(!local.path().join("one.txt").exists());

    let mut app = common::gui::window_with_config(local.path(), config.path());
    wait_for(&mut app, "the offer", |app| {
        shows(app, "2 transfers left from last time")
    });
    app.get_by_label("Restore").click();
    app.step();
    // Not logged in: the bar is filled in and the password asked for.
    wait_for(&mut app, "the bar filled in", |app| {
        shows(app, "Type the password")
    });
    app.get_by_label("Password").focus();
    app.step();
    app.get_by_label("Password").type_text("secret-pw-1");
    app.step();
    app.get_by_label("Connect").click();
    wait_for(&mut app, "both downloaded", |_| {
        fs::read(local.path().join("one.txt")).is_ok_and(|b| b == b"first")
            && fs::read(local.path().join("two.txt")).is_ok_and(|b| b == b"second")
    });
    assert!(!shows(&app, "left from last time"));
    // Done: nothing is kept for the start after.
    wait_for(&mut app, "the kept queue cleared", |_| {
        fs::read_to_string(config.path().join("queue.json"))
            .is_ok_and(|text| !text.contains("one.txt"))
    });
}
