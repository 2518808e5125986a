//! Help → About and Help → Keyboard shortcuts.

use egui::Ui;

use super::menu_bar::all_keys;

/// Where Ferry's source and its issues live.
const HOMEPAGE: &str = env!("CARGO_PKG_REPOSITORY");

/// The About box; `true` once closed.
pub fn about(ui: &mut Ui) -> bool {
    ui.heading(format!("Ferry {}", env!("CARGO_PKG_VERSION")));
    ui.label(env!("CARGO_PKG_DESCRIPTION"));
    ui.add_space(6.0);
    ui.label(format!("Licence: {}", env!("CARGO_PKG_LICENSE")));
    if !HOMEPAGE.is_empty() {
        ui.hyperlink_to("Source code and issues", HOMEPAGE);
    }
    ui.label("Built with egui, suppaftp and rustls.");
    ui.add_space(6.0);
    ui.button("Close").clicked()
}

/// Every key of the window; `true` once closed.
pub fn shortcuts(ui: &mut Ui) -> bool {
    ui.heading("Keyboard shortcuts");
    egui::Grid::new("shortcuts-grid")
        .num_columns(2)
        .striped(true)
        .spacing([16.0, 4.0])
        .show(ui, |ui| {
            for (keys, what) in all_keys(ui.ctx()) {
                ui.strong(keys);
                ui.label(what);
                ui.end_row();
            }
        });
    ui.add_space(6.0);
    ui.button("Close").clicked()
}
