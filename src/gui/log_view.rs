//! The message log: what the connections said, coloured by kind, with the
//! debug level, copy, save, clear and a raw-command field.

use std::collections::VecDeque;

use egui::{Color32, RichText, Ui};

use crate::engine::{LogKind, LogLine, display_text};

/// Lines kept; older ones make room (a long session must not grow forever).
const MAX_LINES: usize = 20_000;

/// What the user asked of the log panel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LogAction {
    SetLevel(u8),
    Raw(String),
    Save,
}

/// Which connection a line came from, shown before it: with two servers
/// side by side, or several transfer connections at once, their lines
/// interleave and would otherwise be impossible to tell apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogSource {
    /// The window itself, or the only server shown.
    Window,
    /// The browsing connection of the left or right server, when two are
    /// shown.
    Left,
    Right,
    /// One of the transfer queue's connections.
    Transfer(u32),
    /// The folder kept up to date, and its connections.
    Watch,
}

impl LogSource {
    fn tag(self) -> String {
        match self {
            LogSource::Window => String::new(),
            LogSource::Left => "[left] ".to_string(),
            LogSource::Right => "[right] ".to_string(),
            LogSource::Transfer(n) => format!("[transfer {n}] "),
            LogSource::Watch => "[keeping up to date] ".to_string(),
        }
    }
}

pub struct LogView {
    lines: VecDeque<(LogKind, LogSource, String)>,
    pub level: u8,
    raw: String,
    /// The raw command field takes the keyboard at the next frame.
    raw_wants_focus: bool,
}

impl LogView {
    pub fn new(level: u8) -> LogView {
        LogView {
            lines: VecDeque::new(),
            level: level.min(2),
            raw: String::new(),
            raw_wants_focus: false,
        }
    }

    /// Server → Enter a raw command: the field gets the keyboard.
    pub fn focus_raw(&mut self) {
        self.raw_wants_focus = true;
    }

    /// A line of a connection's log.
    pub fn push(&mut self, source: LogSource, line: &LogLine) {
        self.push_from(source, line.kind, &line.text);
    }

    /// Adds `text`, a row a line. Every log line may carry a server's
    /// words (replies, names, errors), so each is kept as shown: control
    /// characters escaped, here once for the view, the copy and the saved file.
    pub fn push_text(&mut self, kind: LogKind, text: &str) {
        self.push_from(LogSource::Window, kind, text);
    }

    fn push_from(&mut self, source: LogSource, kind: LogKind, text: &str) {
        for part in text.lines() {
            if self.lines.len() == MAX_LINES {
                self.lines.pop_front();
            }
            self.lines.push_back((kind, source, display_text(part)));
        }
    }

    /// The whole log as text, for copying and saving.
    pub fn text(&self) -> String {
        let mut out = String::new();
        for (kind, source, line) in &self.lines {
            out.push_str(&source.tag());
            out.push_str(prefix(*kind));
            out.push_str(line);
            out.push('\n');
        }
        out
    }

    pub fn contains(&self, needle: &str) -> bool {
        self.lines.iter().any(|(_, _, line)| line.contains(needle))
    }

    pub fn ui(&mut self, ui: &mut Ui, connected: bool) -> Vec<LogAction> {
        let mut actions = Vec::new();
        ui.horizontal(|ui| {
            ui.label("Debug level");
            for level in 0..=2u8 {
                if ui
                    .selectable_label(self.level == level, level.to_string())
                    .on_hover_text(match level {
                        0 => "Status and errors",
                        1 => "Every command and reply",
                        _ => "Also data connections and timings",
                    })
                    .clicked()
                {
                    self.level = level;
                    actions.push(LogAction::SetLevel(level));
                }
            }
            if ui.button("Copy").clicked() {
                ui.ctx().copy_text(self.text());
            }
            if ui.button("Save…").clicked() {
                actions.push(LogAction::Save);
            }
            if ui.button("Clear").clicked() {
                self.lines.clear();
            }
        });
        ui.horizontal(|ui| {
            let field = ui.add_enabled(
                connected,
                egui::TextEdit::singleline(&mut self.raw)
                    .id_salt("raw-command")
                    .hint_text("Raw command, e.g. SITE HELP")
                    .desired_width(ui.available_width() - 60.0),
            );
            if std::mem::take(&mut self.raw_wants_focus) {
                field.request_focus();
            }
            let enter = field.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
            if (ui
                .add_enabled(connected, egui::Button::new("Send"))
                .clicked()
                || enter)
                && !self.raw.trim().is_empty()
            {
                actions.push(LogAction::Raw(self.raw.trim().to_string()));
                self.raw.clear();
            }
        });
        let dark = ui.visuals().dark_mode;
        let row_height = ui.text_style_height(&egui::TextStyle::Monospace);
        // One line a row, never wrapped: rows of one height scroll cheaply
        // however long the log grows.
        egui::ScrollArea::both()
            .id_salt("log")
            .stick_to_bottom(true)
            // Shown always: a bar that comes and goes as long lines
            // scroll by costs a second frame each time.
            .scroll_bar_visibility(egui::scroll_area::ScrollBarVisibility::AlwaysVisible)
            .auto_shrink([false, false])
            .show_rows(ui, row_height, self.lines.len(), |ui, range| {
                for (kind, source, line) in self.lines.range(range) {
                    let text = RichText::new(format!("{}{}{line}", source.tag(), prefix(*kind)))
                        .monospace()
                        .color(colour(*kind, dark));
                    ui.add(egui::Label::new(text).extend());
                }
            });
        actions
    }
}

fn prefix(kind: LogKind) -> &'static str {
    match kind {
        LogKind::Command => "> ",
        LogKind::Reply => "< ",
        LogKind::Error => "Error: ",
        LogKind::Warning => "Warning: ",
        LogKind::Data => "* ",
        LogKind::Status => "",
    }
}

fn colour(kind: LogKind, dark: bool) -> Color32 {
    super::legible::log_colour(kind, dark)
}
