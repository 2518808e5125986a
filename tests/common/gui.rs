//! Drives the real window with egui_kittest: no display, the same `ui()`
//! the desktop runs, real engine threads and a real FTP server.

use std::path::Path;
use std::time::{Duration, Instant};

use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use ferry::gui::{FerryApp, LinkState, Settings, Side};

/// Long enough for the slowest CI machine; a stuck window fails the test.
const DEADLINE: Duration = Duration::from_secs(30);

pub type App = Harness<'static, FerryApp>;

/// A window whose left pane shows this computer at `local`.
pub fn window(local: &Path) -> App {
    window_opening(local, None)
}

/// A window started as `ferry URL` is (a clicked link), or without a URL.
pub fn window_opening(local: &Path, start: Option<ferry::url::FtpUrl>) -> App {
    let settings = Settings {
        last_local: Some(local.to_path_buf()),
        ..Settings::default()
    };
    // Sites in a folder of the test's own, never the user's config.
    let config = tempfile::tempdir()
        .expect("a temporary config folder")
        .keep();
    window_in(settings, start, &config)
}

/// A window with `settings` whose config folder is `config` (two such
/// windows are two runs).
pub fn window_with_settings_in(settings: Settings, config: &Path) -> App {
    window_in(settings, None, config)
}

/// A window with `settings` (its left pane at their last local folder).
pub fn window_with_settings(settings: Settings) -> App {
    let config = tempfile::tempdir()
        .expect("a temporary config folder")
        .keep();
    window_in(settings, None, &config)
}

/// A window whose config folder (sites, certificates, the queue kept
/// between runs) is `config`: two windows on one folder are two runs.
pub fn window_with_config(local: &Path, config: &Path) -> App {
    let settings = Settings {
        last_local: Some(local.to_path_buf()),
        ..Settings::default()
    };
    window_in(settings, None, config)
}

fn window_in(settings: Settings, start: Option<ferry::url::FtpUrl>, config: &Path) -> App {
    let sites = ferry::sites::SiteStore::at(config.join("sites.json"));
    let app = FerryApp::with_sites(settings, start, Some(sites));
    Harness::builder()
        .with_size(egui::vec2(1280.0, 800.0))
        // Each input event takes a frame; at 60 frames a second two clicks
        // are a double-click, as for a person.
        .with_step_dt(1.0 / 60.0)
        .build_ui_state(|ui, app: &mut FerryApp| app.ui(ui), app)
}

/// Runs frames until `done` says so (background news arrives between
/// frames, as it does in the desktop window).
pub fn wait_for(app: &mut App, what: &str, mut done: impl FnMut(&mut App) -> bool) {
    let started = Instant::now();
    loop {
        app.step();
        if done(app) {
            return;
        }
        assert!(started.elapsed() < DEADLINE, "never happened: {what}");
        std::thread::sleep(Duration::from_millis(15));
    }
}

/// Runs frames until the window has been quiet (see
/// `FerryApp::is_quiet`) for ten frames in a row: whatever the last input
/// set off (a listing, a rename, a queued transfer, an error) has finished
/// and been shown. Tests wait for this before saying that something did
/// *not* happen, rather than for a fixed time that a slow machine could
/// outlast.
pub fn settle(app: &mut App) {
    let started = Instant::now();
    let mut quiet_frames = 0;
    while quiet_frames < 10 {
        app.step();
        quiet_frames = match app.state().is_quiet() {
            true => quiet_frames + 1,
            false => 0,
        };
        assert!(started.elapsed() < DEADLINE, "the window never settled");
        std::thread::sleep(Duration::from_millis(15));
    }
}

/// The table row showing `name` (its label has the kind's icon), in
/// whichever pane has it.
pub fn row<'a>(app: &'a App, name: &str) -> egui_kittest::Node<'a> {
    let mut found = rows_named(app, name, None);
    assert!(found.len() == 1, "{} rows named {name:?}", found.len());
    found.remove(0)
}

/// The row showing `name` in the pane on `side`.
pub fn row_in<'a>(app: &'a App, side: Side, name: &str) -> egui_kittest::Node<'a> {
    let mut found = rows_named(app, name, Some(side));
    assert!(
        found.len() == 1,
        "{} rows named {name:?} in {side:?}",
        found.len()
    );
    found.remove(0)
}

fn rows_named<'a>(app: &'a App, name: &str, side: Option<Side>) -> Vec<egui_kittest::Node<'a>> {
    // A row's name is a label of its own, beside its icon.
    let labels = [name.to_string()];
    let area = side.map(|s| app.state().pane_rect(s));
    app.query_all_by(move |node| {
        let text = node.value().or_else(|| node.label());
        text.is_some_and(|t| labels.contains(&t))
    })
    .filter(|node| area.is_none_or(|a| a.contains(node.rect().center())))
    .collect()
}

/// Whether some node's label contains `text`.
pub fn shows(app: &App, text: &str) -> bool {
    app.query_all_by_label_contains(text).next().is_some()
}

/// A window whose left pane shows `local`, connected through the bar to
/// the server on `port`, with the server's folder listed: until then there
/// is no folder to put files into (the window refuses a drop with a
/// message).
pub fn connected(local: &Path, port: u16, user: &str, password: &str) -> App {
    let mut app = window(local);
    connect(&mut app, port, user, password);
    wait_for(&mut app, "connected", |app| {
        matches!(app.state().link(), LinkState::Connected { .. })
    });
    wait_for(&mut app, "the remote folder listed", |app| {
        !app.state_mut().right_pane().table.folder().is_empty()
    });
    app
}

/// Types a whole URL (its scheme carries the protocol) into the connect
/// bar's host field and presses Connect.
pub fn connect_url(app: &mut App, url: &str) {
    app.get_by_label("Host").focus();
    app.step();
    app.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::A);
    app.get_by_label("Host").type_text(url);
    app.step();
    app.get_by_label("Connect").click();
    app.step();
}

/// Types into the connect bar and presses Connect.
pub fn connect(app: &mut App, port: u16, user: &str, password: &str) {
    for (label, text) in [
        ("Host", "127.0.0.1".to_string()),
        ("Port", port.to_string()),
        ("User", user.to_string()),
        ("Password", password.to_string()),
    ] {
        app.get_by_label(label).focus();
        app.step();
        app.get_by_label(label).type_text(&text);
        app.step();
    }
    app.get_by_label("Connect").click();
    app.step();
}

/// Two clicks a frame apart, as a person double-clicks.
pub fn double_click(app: &mut App, name: &str) {
    double_click_in(app, None, name);
}

/// Double-clicks the row `name` in one pane.
pub fn double_click_in(app: &mut App, side: Option<Side>, name: &str) {
    let node = match side {
        Some(side) => row_in(app, side, name),
        None => row(app, name),
    };
    node.click();
    node.click();
    app.step();
}

/// Opens the right-click menu of the row labelled `label`.
pub fn right_click(app: &mut App, name: &str) {
    row(app, name).click_secondary();
    app.step();
    app.step();
}

/// Whether the pane on `side` lists an entry called `name`.
pub fn lists(app: &mut App, side: Side, name: &str) -> bool {
    let pane = match side {
        Side::Left => app.state_mut().left_pane(),
        Side::Right => app.state_mut().right_pane(),
    };
    pane.table.rows().iter().any(|r| r.name == name)
}

/// Drags with the mouse from `from` to `to` in small steps, as a hand does.
pub fn drag(app: &mut App, from: egui::Pos2, to: egui::Pos2) {
    drag_over(app, from, to);
    app.drop_at(to);
    app.step();
}

/// A drag from `from` that has reached `to` and is not dropped yet.
pub fn drag_over(app: &mut App, from: egui::Pos2, to: egui::Pos2) {
    app.hover_at(from);
    app.step();
    app.drag_at(from);
    app.step();
    for step in 1..=10 {
        app.hover_at(from + (to - from) * (step as f32 / 10.0));
        app.step();
    }
}
