//! Edit → Settings: what used to need a flag or was fixed, in one form.
//! The form edits a copy; OK hands it back whole (see
//! `FerryApp::apply_settings`), Cancel or Escape leaves everything as it
//! was.

use egui::Ui;

use super::settings::{KEEP_ALIVE_CHOICES, Settings, Theme, WhenExists, ZOOM_RANGE};

/// The form; `Some(true)` on OK, `Some(false)` on Cancel.
pub fn settings_form(ui: &mut Ui, draft: &mut Settings) -> Option<bool> {
    ui.heading("Settings");
    egui::Grid::new("settings-grid")
        .num_columns(2)
        .spacing([16.0, 8.0])
        .show(ui, |ui| {
            ui.label("Transfer connections per server");
            ui.add(egui::Slider::new(&mut draft.connections, 1..=10));
            ui.end_row();

            ui.label("Timeout (seconds)")
                .on_hover_text("How long a reply, or a transfer that moves nothing, may take");
            ui.add(egui::Slider::new(&mut draft.timeout_secs, 5..=600).logarithmic(true));
            ui.end_row();

            ui.label("When the target file exists");
            egui::ComboBox::from_id_salt("settings-exists")
                .selected_text(draft.when_exists.label())
                .show_ui(ui, |ui| {
                    for choice in WhenExists::ALL {
                        ui.selectable_value(&mut draft.when_exists, choice, choice.label());
                    }
                });
            ui.end_row();

            ui.label("Modification times");
            ui.checkbox(
                &mut draft.keep_times,
                "Keep them (downloads take the server's, uploads give theirs)",
            );
            ui.end_row();

            ui.label("Text files");
            ui.vertical(|ui| {
                ui.checkbox(
                    &mut draft.text_mode,
                    "Send these as text (line endings converted); the rest in binary",
                );
                ui.add_enabled(
                    draft.text_mode,
                    egui::TextEdit::multiline(&mut draft.text_extensions)
                        .desired_rows(2)
                        .desired_width(320.0),
                );
            });
            ui.end_row();

            ui.label("Editing server files")
                .on_hover_text("Edit on a server file opens a copy; saving it uploads it again");
            ui.vertical(|ui| {
                ui.add(
                    egui::TextEdit::singleline(&mut draft.editor)
                        .hint_text("the desktop's application for the file")
                        .desired_width(320.0),
                )
                .on_hover_text("A command line; {path} stands for the file (e.g. gedit {path})");
                ui.checkbox(
                    &mut draft.upload_edits_without_asking,
                    "Upload a saved file without asking",
                );
            });
            ui.end_row();

            ui.label("Keeping a folder up to date").on_hover_text(
                "Names left out (patterns as --exclude takes them), separated by spaces",
            );
            ui.add(
                egui::TextEdit::singleline(&mut draft.watch_excludes)
                    .hint_text("nothing left out")
                    .desired_width(320.0),
            );
            ui.end_row();

            ui.label("Keep idle connections alive").on_hover_text(
                "An idle connection sends NOOP, so the server's idle timeout does not end it; \
                 one that ended anyway logs in again at the next action",
            );
            let shown = |secs: u64| match secs {
                0 => "Off".to_string(),
                s if s % 60 == 0 => format!("every {} min", s / 60),
                s => format!("every {s} s"),
            };
            egui::ComboBox::from_id_salt("settings-keep-alive")
                .selected_text(shown(draft.keep_alive_secs))
                .show_ui(ui, |ui| {
                    for secs in KEEP_ALIVE_CHOICES {
                        ui.selectable_value(&mut draft.keep_alive_secs, secs, shown(secs));
                    }
                });
            ui.end_row();

            let label = ui.label("Comparing folders").on_hover_text(
                "View → Compare folders: times this close are the same \
                 (LIST gives whole minutes; a server whose clock is off needs more)",
            );
            ui.add(
                egui::DragValue::new(&mut draft.compare_tolerance_secs)
                    .range(0..=86_400)
                    .suffix(" s apart are the same time"),
            )
            .labelled_by(label.id);
            ui.end_row();

            ui.label("Deleting");
            ui.checkbox(&mut draft.confirm_delete, "Ask before deleting");
            ui.end_row();

            ui.label("Theme");
            ui.horizontal(|ui| {
                for (theme, label) in [
                    (Theme::System, "As the system"),
                    (Theme::Light, "Light"),
                    (Theme::Dark, "Dark"),
                ] {
                    ui.radio_value(&mut draft.theme, theme, label);
                }
            });
            ui.end_row();

            ui.label("Text size");
            ui.add(
                egui::Slider::new(&mut draft.zoom, ZOOM_RANGE)
                    .step_by(0.1)
                    .custom_formatter(|z, _| format!("{:.0} %", z * 100.0)),
            );
            ui.end_row();
        });
    ui.add_space(8.0);
    let mut answer = None;
    ui.horizontal(|ui| {
        if ui.button("OK").clicked() {
            answer = Some(true);
        }
        if ui.button("Cancel").clicked() {
            answer = Some(false);
        }
        if ui.button("Defaults").clicked() {
            *draft = Settings {
                last_local: draft.last_local.clone(),
                recent: draft.recent.clone(),
                left_sort: draft.left_sort,
                right_sort: draft.right_sort,
                debug_level: draft.debug_level,
                ..Settings::default()
            };
        }
    });
    answer
}
