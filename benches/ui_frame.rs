//! How long the window's own work takes per frame: egui layout plus
//! tessellation (not the rasteriser), headless, for a 100 000-entry
//! listing while scrolling and sorting, and while a 1 GiB transfer reports
//! progress. Run: `cargo bench --bench ui_frame`.
//!
//! Targets (issue 4): median under 4 ms, worst under 16 ms.

use std::time::{Duration, Instant};

use chrono::NaiveDate;
use egui::{Event, MouseWheelUnit, Pos2, RawInput, Rect, vec2};
use ferry::engine::queue::{Direction, ItemKind, ItemState, Overall, QueueEvent, TransferSpec};
use ferry::gui::{FerryApp, FileRow, RowKind, Settings, Sort, SortColumn};

const FRAMES: usize = 400;

fn rows(count: usize) -> Vec<FileRow> {
    let day = NaiveDate::from_ymd_opt(2025, 1, 1).and_then(|d| d.and_hms_opt(12, 0, 0));
    (0..count)
        .map(|i| FileRow {
            name: format!("file-{:06}-{}.dat", (i * 7919) % count, i % 13),
            kind: if i % 50 == 0 {
                RowKind::Dir
            } else {
                RowKind::File
            },
            size: Some((i as u64 * 104_729) % 10_000_000),
            modified: day.map(|d| d + chrono::Duration::minutes(i as i64)),
            permissions: "rw-r--r--".to_string(),
            link_target: None,
        })
        .collect()
}

struct Frames {
    ctx: egui::Context,
    time: f64,
    times: Vec<Duration>,
}

impl Frames {
    fn run(&mut self, app: &mut FerryApp, events: Vec<Event>) {
        self.time += 1.0 / 60.0;
        let input = RawInput {
            screen_rect: Some(Rect::from_min_size(Pos2::ZERO, vec2(1280.0, 800.0))),
            time: Some(self.time),
            predicted_dt: 1.0 / 60.0,
            events,
            ..RawInput::default()
        };
        let started = Instant::now();
        let output = self.ctx.run_ui(input, |ui| app.ui(ui));
        let primitives = self.ctx.tessellate(output.shapes, output.pixels_per_point);
        self.times.push(started.elapsed());
        std::hint::black_box(primitives);
    }

    fn report(&mut self, what: &str) {
        self.times.sort();
        let median = self.times[self.times.len() / 2];
        let p99 = self.times[self.times.len() * 99 / 100];
        let worst = self.times[self.times.len() - 1];
        println!(
            "| {what} | {} | {:.2} | {:.2} | {:.2} |",
            self.times.len(),
            ms(median),
            ms(p99),
            ms(worst)
        );
        self.times.clear();
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn main() {
    // No sites file: the benchmark must not touch the user's config.
    let mut app = FerryApp::with_sites(Settings::default(), None, None);
    let mut frames = Frames {
        ctx: egui::Context::default(),
        time: 0.0,
        times: Vec::new(),
    };
    // Warm up: fonts, the local listing of the home folder.
    for _ in 0..30 {
        frames.run(&mut app, Vec::new());
        std::thread::sleep(Duration::from_millis(5));
    }
    frames.times.clear();
    let listing = rows(100_000);
    app.remote_pane()
        .show_listing("/big".to_string(), listing.clone(), None);
    app.local_pane()
        .show_listing("/big".to_string(), listing, None);
    frames.run(&mut app, Vec::new());
    frames.times.clear();
    let over_remote = app.remote_pane().rect.center();

    println!("| scenario | frames | median ms | p99 ms | worst ms |");
    println!("|---|---|---|---|---|");
    for i in 0..FRAMES {
        let delta = if (i / 100) % 2 == 0 { -3.0 } else { 3.0 };
        frames.run(
            &mut app,
            vec![
                Event::PointerMoved(over_remote),
                Event::MouseWheel {
                    unit: MouseWheelUnit::Line,
                    delta: vec2(0.0, delta),
                    phase: egui::TouchPhase::Move,
                    modifiers: egui::Modifiers::NONE,
                    source: egui::MouseWheelSource::Wheel,
                },
            ],
        );
    }
    frames.report("scrolling 100 000 rows (both panes filled)");

    let columns = [
        SortColumn::Size,
        SortColumn::Modified,
        SortColumn::Name,
        SortColumn::Type,
        SortColumn::Permissions,
    ];
    for i in 0..FRAMES {
        if i % 20 == 0 {
            let column = columns[(i / 20) % columns.len()];
            let ascending = (i / 100) % 2 == 0;
            app.remote_pane().table.set_sort(Sort { column, ascending });
        }
        frames.run(&mut app, vec![Event::PointerMoved(over_remote)]);
    }
    frames.report("sorting 100 000 rows every 20 frames (sort included)");

    let spec = TransferSpec {
        direction: Direction::Download,
        remote: "/big.iso".to_string(),
        local: std::env::temp_dir().join("big.iso"),
        recursive: false,
        copy_to: String::new(),
    };
    app.show_queue_event(&QueueEvent::Added {
        id: 1,
        parent: None,
        spec,
        kind: ItemKind::Transfer,
    });
    app.show_queue_event(&QueueEvent::State {
        id: 1,
        state: ItemState::Running,
    });
    let total = 1u64 << 30;
    for i in 0..FRAMES {
        let done = total / FRAMES as u64 * i as u64;
        // The queue sends about ten updates a second; at 60 frames a
        // second, every sixth frame has one.
        if i % 6 == 0 {
            app.show_queue_event(&QueueEvent::Progress {
                id: 1,
                bytes_done: done,
                total: Some(total),
                current_rate: 400e6,
                average_rate: 400e6,
                eta: Some(Duration::from_secs(2)),
            });
            app.show_queue_event(&QueueEvent::Overall(Overall {
                files_total: 1,
                bytes_total: total,
                bytes_done: done,
                rate: 400e6,
                eta: Some(Duration::from_secs(2)),
                ..Overall::default()
            }));
        }
        frames.run(&mut app, vec![Event::PointerMoved(over_remote)]);
    }
    frames.report("a 1 GiB transfer reporting progress (100 000 rows shown)");
}
