//! The window's download of a folder tree, timed: the same `ui()` the
//! desktop runs, headless, connected to a real server by a link, the
//! folder dragged from the server's pane onto this computer's (by
//! egui_kittest, as a hand would), then frames as eframe would run them —
//! when the window asks for one, at most 60 a second (layout and
//! tessellation; no rasteriser, and no AccessKit tree, which kittest
//! builds every frame and the desktop does not) — until every file is on
//! the disk and the queue has shown it done.
//!
//! Issue 16 asks that this come within 10 % of `ferry get -r -j N` with
//! the same connections; `benches/transfer.sh` (`BENCH_CASES=window`)
//! runs both on the same tree in the same run. Alone:
//!
//! ```sh
//! BENCH_WINDOW_URL=ftp://user:pw@127.0.0.1:2121/folder \
//! BENCH_WINDOW_DRAG=tree BENCH_WINDOW_FILES=2000 BENCH_WINDOW_CONNECTIONS=4 \
//! BENCH_WINDOW_LOCAL=/tmp/out cargo bench --bench window_drag
//! ```
//!
//! Prints `window seconds N` (from the drop to the last file shown done),
//! the frames drawn and their work, and the CPU seconds the process used
//! meanwhile (`window cpu seconds N`), on standard output.

#[allow(dead_code)]
#[path = "../tests/common/gui.rs"]
mod gui;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use egui::{Pos2, RawInput, Rect, vec2};
use egui_kittest::Harness;
use ferry::gui::{FerryApp, LinkState, Settings, Side};

/// A display's frame: the window draws at most this often.
const FRAME: Duration = Duration::from_micros(16_667);
/// Longer is a failure, not a slow result.
const DEADLINE: Duration = Duration::from_secs(600);

fn env(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| panic!("{name} is not set (see the top of the file)"))
}

fn main() {
    // `cargo bench` passes "--bench"; nothing else is taken.
    let url = ferry::url::FtpUrl::parse(&env("BENCH_WINDOW_URL")).expect("a URL");
    let dragged = env("BENCH_WINDOW_DRAG");
    let files: usize = env("BENCH_WINDOW_FILES").parse().expect("a file count");
    let connections: usize = env("BENCH_WINDOW_CONNECTIONS")
        .parse()
        .expect("a connection count");
    let local = PathBuf::from(env("BENCH_WINDOW_LOCAL"));
    std::fs::create_dir_all(&local).expect("the local folder");

    let settings = Settings {
        last_local: Some(local.clone()),
        connections,
        // The window's default (1: commands and replies in the log)
        // unless BENCH_WINDOW_DEBUG says otherwise.
        debug_level: std::env::var("BENCH_WINDOW_DEBUG")
            .ok()
            .and_then(|level| level.parse().ok())
            .unwrap_or(Settings::default().debug_level),
        ..Settings::default()
    };
    let config = tempfile::tempdir().expect("a config folder");
    let sites = ferry::sites::SiteStore::at(config.path().join("sites.json"));
    let app = FerryApp::with_sites(settings, Some(url), Some(sites));
    let mut app: gui::App = Harness::builder()
        .with_size(egui::vec2(1280.0, 800.0))
        .with_step_dt(FRAME.as_secs_f32())
        .build_ui_state(|ui, app: &mut FerryApp| app.ui(ui), app);

    frames_until(&mut app, "connected and listed", |app| {
        matches!(app.state().link(), LinkState::Connected { .. })
            && gui::lists(app, Side::Right, &dragged)
    });
    let from = gui::row_in(&app, Side::Right, &dragged).rect().center();
    let to = app.state().pane_rect(Side::Left).center();
    // The clock starts at the drop.
    gui::drag_over(&mut app, from, to);
    let started = Instant::now();
    app.drop_at(to);
    app.step();
    let target = local.join(&dragged);
    let ctx = app.ctx.clone();
    ctx.disable_accesskit();
    // Frames come when the window asks for them, as eframe runs them: at
    // once (the next display frame) or after the delay it gave, and never
    // more often than the display draws. What the window asks for is
    // heard through egui's repaint callback, whoever asks (the relays of
    // the engine's news, egui's own animations).
    let (wake_tx, wake_rx) = std::sync::mpsc::channel::<Duration>();
    ctx.set_request_repaint_callback(move |info| {
        let _ = wake_tx.send(info.delay);
    });
    let cpu_at_drop = process_cpu();
    // egui's clock goes on from where kittest's left it, at the wall's pace.
    let clock_at_drop = ctx.input(|i| i.time);
    let mut work = Vec::new();
    let mut first_done = None;
    loop {
        let frame = Instant::now();
        let time = clock_at_drop + started.elapsed().as_secs_f64();
        let input = RawInput {
            screen_rect: Some(Rect::from_min_size(Pos2::ZERO, vec2(1280.0, 800.0))),
            time: Some(time),
            predicted_dt: FRAME.as_secs_f32(),
            ..RawInput::default()
        };
        let output = ctx.run_ui(input, |ui| app.state_mut().ui(ui));
        let asked = output
            .viewport_output
            .get(&egui::ViewportId::ROOT)
            .map_or(Duration::MAX, |v| v.repaint_delay);
        std::hint::black_box(ctx.tessellate(output.shapes, output.pixels_per_point));
        work.push(frame.elapsed());
        let view = app.state().queue_view();
        let [_, failed, done] = view.counts();
        assert!(failed == 0, "a transfer failed: {:?}", app.state().errors());
        // The Done tab keeps the newest rows; the rest are counted.
        let done = done + view.dropped()[1] as usize;
        if done > 0 && first_done.is_none() {
            first_done = Some(started.elapsed());
        }
        if done >= files && count_files(&target) == files {
            break;
        }
        assert!(started.elapsed() < DEADLINE, "the download never ended");
        // The next frame: when asked for, not before the display's next.
        let earliest = frame + FRAME;
        let mut due = frame.checked_add(asked).unwrap_or(frame + DEADLINE);
        while Instant::now() < due.max(earliest) {
            let wait = due.max(earliest) - Instant::now();
            match wake_rx.recv_timeout(wait.min(Duration::from_secs(1))) {
                Ok(delay) => due = due.min(Instant::now() + delay),
                Err(_) => assert!(started.elapsed() < DEADLINE, "the window stopped asking"),
            }
        }
    }
    let seconds = started.elapsed().as_secs_f64();
    let cpu = process_cpu() - cpu_at_drop;
    println!("window seconds {seconds:.3}");
    work.sort();
    let total: Duration = work.iter().sum();
    println!(
        "frames {}, their work {:.3} s in all, median {:.2?}, worst {:.2?}; first file done after {first_done:.2?}",
        work.len(),
        total.as_secs_f64(),
        work[work.len() / 2],
        work[work.len() - 1]
    );
    println!("window cpu seconds {cpu:.3} (the whole process, engine threads included)");
    app.state_mut().shut_down(Duration::from_secs(5));
}

/// Draws frames at the display's pace until `done`.
fn frames_until(app: &mut gui::App, what: &str, mut done: impl FnMut(&mut gui::App) -> bool) {
    let started = Instant::now();
    loop {
        let frame = Instant::now();
        app.step();
        if done(app) {
            return;
        }
        assert!(started.elapsed() < DEADLINE, "never happened: {what}");
        std::thread::sleep(FRAME.saturating_sub(frame.elapsed()));
    }
}

/// CPU seconds this process has used (user and system), from
/// /proc/self/stat; 0 where there is none.
fn process_cpu() -> f64 {
    let Ok(stat) = std::fs::read_to_string("/proc/self/stat") else {
        return 0.0;
    };
    // After the command name in parentheses: fields 14 and 15 (utime,
    // stime) in clock ticks, 100 a second on Linux.
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map_or("", |(_, rest)| rest)
        .split_whitespace()
        .collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    (ticks(11) + ticks(12)) / 100.0
}

fn count_files(folder: &Path) -> usize {
    let Ok(entries) = std::fs::read_dir(folder) else {
        return 0;
    };
    entries
        .flatten()
        .map(|entry| match entry.file_type() {
            Ok(kind) if kind.is_dir() => count_files(&entry.path()),
            Ok(kind) if kind.is_file() => 1,
            _ => 0,
        })
        .sum()
}
