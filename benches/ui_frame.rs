//! How long the window's own work takes per frame: egui layout plus
//! tessellation (not the rasteriser), headless, for a 100 000-entry
//! listing while scrolling and sorting, and while a 1 GiB transfer reports
//! progress; with half of such a listing selected; with a queue that has
//! seen 100 000 items; and while a burst of 100 000 queue events arrives
//! at once. Run: `cargo bench --bench ui_frame`.
//!
//! Targets (issue 4): median under 4 ms, worst under 16 ms.

use std::time::{Duration, Instant};

use chrono::NaiveDate;
use egui::{Event, Key, Modifiers, MouseWheelUnit, Pos2, RawInput, Rect, vec2};
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
            owner: Some("ferry ferry".to_string()),
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

fn wheel(at: Pos2, delta: f32) -> Vec<Event> {
    vec![
        Event::PointerMoved(at),
        Event::MouseWheel {
            unit: MouseWheelUnit::Line,
            delta: vec2(0.0, delta),
            phase: egui::TouchPhase::Move,
            modifiers: Modifiers::NONE,
            source: egui::MouseWheelSource::Wheel,
        },
    ]
}

fn spec(i: u64) -> TransferSpec {
    TransferSpec {
        direction: Direction::Download,
        remote: format!("/data/part-{i:06}.bin"),
        local: std::env::temp_dir().join(format!("part-{i:06}.bin")),
        recursive: false,
        copy_to: String::new(),
    }
}

/// What a queue says about item `id` from its arrival to its end: most
/// are done, one in twenty failed, one in a thousand is still running.
fn item_life(id: u64) -> Vec<QueueEvent> {
    let mut events = vec![QueueEvent::Added {
        id,
        parent: None,
        spec: spec(id),
        kind: ItemKind::Transfer,
    }];
    let state = match id % 1000 {
        0 => ItemState::Running,
        n if n % 20 == 1 => ItemState::Failed(ferry::engine::Error::Protocol(
            "550 no such file".to_string(),
        )),
        _ => ItemState::Done,
    };
    events.push(QueueEvent::State { id, state });
    events
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
    app.right_pane()
        .show_listing("/big".to_string(), listing.clone(), None);
    app.left_pane()
        .show_listing("/big".to_string(), listing, None);
    frames.run(&mut app, Vec::new());
    frames.times.clear();
    let over_remote = app.right_pane().rect.center();

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
            app.right_pane().table.set_sort(Sort { column, ascending });
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

    // Half the listing selected (a filter that about half the names
    // match, Ctrl+A, the filter cleared), scrolled through.
    let over_local = app.left_pane().rect.center();
    app.left_pane().table.set_filter("2");
    let ctrl_a = Event::Key {
        key: Key::A,
        physical_key: None,
        pressed: true,
        repeat: false,
        modifiers: Modifiers::COMMAND,
    };
    frames.run(&mut app, vec![ctrl_a]);
    app.left_pane().table.set_filter("");
    let selected = app.left_pane().table.selection().len();
    assert!(selected > 45_000, "{selected} rows selected");
    frames.times.clear();
    for i in 0..FRAMES {
        let delta = if (i / 100) % 2 == 0 { -3.0 } else { 3.0 };
        frames.run(&mut app, wheel(over_local, delta));
    }
    frames.report(&format!("{selected} of 100 000 rows selected (scrolling)"));

    // A queue that has seen 100 000 items, one in a thousand running.
    const SEEN: u64 = 100_000;
    let first = 1_000_000;
    for id in first..first + SEEN {
        for event in item_life(id) {
            app.show_queue_event(&event);
        }
    }
    frames.run(&mut app, Vec::new());
    frames.times.clear();
    for i in 0..FRAMES {
        frames.run(&mut app, vec![Event::PointerMoved(over_remote)]);
        if i % 6 == 0 {
            for id in (first..first + SEEN).step_by(1000) {
                app.show_queue_event(&QueueEvent::Progress {
                    id,
                    bytes_done: i as u64 * 1000,
                    total: Some(1 << 30),
                    current_rate: 1e6,
                    average_rate: 1e6,
                    eta: Some(Duration::from_secs(60)),
                });
            }
        }
    }
    frames.report("a queue that has seen 100 000 items, 100 running with progress");

    // 100 000 more items said at once (a folder of 50 000 files expanded
    // and finished while the window was busy).
    let first = 2_000_000;
    let burst: Vec<QueueEvent> = (first..first + SEEN / 2).flat_map(item_life).collect();
    let count = burst.len();
    app.queue_events_arrive(burst);
    for _ in 0..FRAMES {
        frames.run(&mut app, vec![Event::PointerMoved(over_remote)]);
    }
    frames.report(&format!("{count} queue events arriving at once"));
}
