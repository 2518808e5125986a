//! The desktop app: two panes, the transfer queue and the log, on top of
//! the engine. It drives the engine only through commands and events and
//! never waits on the network or the disk.

mod app;
mod bridge;
mod chosen;
mod compare;
mod connect_bar;
mod dialogs;
mod edits;
mod file_picker;
mod file_table;
mod find_window;
mod folder_tree;
mod half;
mod help;
mod icons;
mod kept_folder;
mod left_bar;
mod legible;
mod local_fs;
mod log_view;
mod menu_bar;
mod pane;
mod queue_view;
mod queues;
mod rows;
mod server;
mod settings;
mod settings_dialog;
mod site_manager;
mod site_worker;
mod sync_window;
mod wheel;

pub use app::FerryApp;
pub use compare::Mark;
pub use connect_bar::LinkState;
pub use file_table::{MenuItem, Picked, Side, Sort, SortColumn};
pub use menu_bar::MenuAction;
pub use rows::{FileRow, RowKind};
pub use settings::{Settings, Theme, WhenExists};

use crate::url::FtpUrl;

/// Where eframe keeps the settings.
const SETTINGS_KEY: &str = "ferry-settings";

/// The window icon, from `assets/`.
const ICON_PNG: &[u8] = include_bytes!("../../assets/icons/ferry-256.png");

struct DesktopApp(FerryApp);

impl eframe::App for DesktopApp {
    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        self.0.ui(ui);
    }

    fn raw_input_hook(&mut self, ctx: &egui::Context, raw_input: &mut egui::RawInput) {
        let line_points = ctx.options(|o| o.input_options.line_scroll_speed);
        wheel::scroll_at_once(raw_input, line_points);
    }

    fn save(&mut self, storage: &mut dyn eframe::Storage) {
        eframe::set_value(storage, SETTINGS_KEY, &self.0.settings());
    }

    /// The window is closing: no transfer may go on without it, and each
    /// gets a moment to abort and say QUIT.
    fn on_exit(&mut self, _gl: Option<&eframe::glow::Context>) {
        self.0.shut_down(std::time::Duration::from_secs(3));
    }
}

/// Opens the window (and, with `start`, connects to it); returns when the
/// window is closed.
pub fn run(start: Option<FtpUrl>) -> Result<(), String> {
    let mut viewport = egui::ViewportBuilder::default()
        .with_title("Ferry")
        .with_app_id("ferry")
        .with_inner_size([1100.0, 720.0])
        .with_min_inner_size([640.0, 400.0]);
    if let Ok(icon) = eframe::icon_data::from_png_bytes(ICON_PNG) {
        viewport = viewport.with_icon(icon);
    }
    let options = eframe::NativeOptions {
        viewport,
        ..eframe::NativeOptions::default()
    };
    eframe::run_native(
        "Ferry",
        options,
        Box::new(move |cc| {
            let settings: Settings = cc
                .storage
                .and_then(|s| eframe::get_value(s, SETTINGS_KEY))
                .unwrap_or_default();
            Ok(Box::new(DesktopApp(FerryApp::new(settings, start))))
        }),
    )
    .map_err(|e| e.to_string())
}
