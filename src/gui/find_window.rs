//! Server → Find files (Ctrl+F): a name pattern searched for in the
//! folder the server's pane shows and below, results streaming into a
//! list as each folder is read, each one downloadable or shown in its
//! folder. The engine's search (`engine::find`), as `ferry find` runs it.

use crossbeam_channel::Receiver;

use super::bridge::{Waker, relay, take_some};
use super::rows::human_size;
use crate::engine::find::{FindEvent, FindOptions, Found, Search, find};
use crate::engine::{ConnectOptions, display_text};

/// Results shown at most (the search goes on counting).
const SHOWN: usize = 10_000;

#[derive(Default)]
pub struct FindWindow {
    pub open: bool,
    /// The names field takes the keyboard at the next frame (the window
    /// was just opened).
    pub focus: bool,
    pub pattern: String,
    pub any_case: bool,
    /// The folder searched (the server pane's when it started).
    pub root: String,
    pub results: Vec<Found>,
    found: u64,
    unread: u64,
    /// How the last search ended, in words; `None` while one runs.
    pub ended: Option<String>,
    running: Option<(Search, Receiver<FindEvent>)>,
}

/// What the user asked of the find window.
pub enum FindAction {
    Start,
    Download(Found),
    /// Open a copy in its application (read only).
    Open(Found),
    /// Open its folder in the server's pane, with it selected.
    Show(Found),
}

impl FindWindow {
    pub fn start(&mut self, connect: ConnectOptions, options: FindOptions, waker: Waker) {
        self.results.clear();
        self.found = 0;
        self.unread = 0;
        self.root = options.root.clone();
        match find(connect, options) {
            Ok((search, events)) => {
                self.ended = None;
                self.running = Some((search, relay(events, waker, "find")));
            }
            Err(err) => self.ended = Some(err.to_string()),
        }
    }

    pub fn stop(&mut self) {
        if self.running.take().is_some() {
            self.ended = Some("stopped".to_string());
        }
    }

    /// Takes what the search said; whether more waits.
    pub fn news(&mut self, budget: usize) -> bool {
        let Some((_, events)) = &self.running else {
            return false;
        };
        let (events, more) = take_some(events, budget);
        for event in events {
            match event {
                FindEvent::Found(found) => {
                    self.found += 1;
                    if self.results.len() < SHOWN {
                        self.results.push(found);
                    }
                }
                FindEvent::Unread { .. } => self.unread += 1,
                FindEvent::Done { folders, error, .. } => {
                    let mut ended = format!(
                        "{} in {}",
                        crate::units::count(self.found, "match", "matches"),
                        crate::units::count(folders, "folder", "folders")
                    );
                    if self.unread > 0 {
                        ended += &format!(
                            "; {} could not be read whole",
                            crate::units::count(self.unread, "folder", "folders")
                        );
                    }
                    if let Some(error) = error {
                        ended += &format!("; stopped: {error}");
                    }
                    self.ended = Some(ended);
                    self.running = None;
                    return false;
                }
            }
        }
        more
    }

    pub fn ui(&mut self, ctx: &egui::Context, connected: bool) -> Vec<FindAction> {
        let mut actions = Vec::new();
        let mut open = self.open;
        egui::Window::new("Find files on the server")
            .open(&mut open)
            .default_width(560.0)
            .default_height(360.0)
            .show(ctx, |ui| {
                ui.horizontal(|ui| {
                    let name = ui.label("Names");
                    let field = ui
                        .add(
                            egui::TextEdit::singleline(&mut self.pattern)
                                .hint_text("*.pdf, report-202?-*")
                                .desired_width(240.0),
                        )
                        .labelled_by(name.id);
                    if std::mem::take(&mut self.focus) {
                        field.request_focus();
                    }
                    ui.checkbox(&mut self.any_case, "Any case");
                    let enter = field.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
                    if self.running.is_some() {
                        if ui.button("Stop").clicked() {
                            self.stop();
                        }
                    } else if ui
                        .add_enabled(
                            connected && !self.pattern.trim().is_empty(),
                            egui::Button::new("Find"),
                        )
                        .clicked()
                        || (enter && connected && !self.pattern.trim().is_empty())
                    {
                        actions.push(FindAction::Start);
                    }
                });
                let status = match (&self.ended, self.running.is_some()) {
                    (_, true) => format!(
                        "Searching {}… {} so far",
                        display_text(&self.root),
                        crate::units::count(self.found, "match", "matches")
                    ),
                    (Some(ended), false) => format!("In {}: {ended}", display_text(&self.root)),
                    (None, false) => {
                        "Searches the folder the server's pane shows, and below.".to_string()
                    }
                };
                ui.label(status);
                ui.separator();
                egui::ScrollArea::vertical().show(ui, |ui| {
                    egui::Grid::new("find-results")
                        .num_columns(5)
                        .striped(true)
                        .show(ui, |ui| {
                            for found in &self.results {
                                ui.label(display_text(&found.path));
                                ui.label(found.entry.size.map(human_size).unwrap_or_default());
                                if ui.button("Download").clicked() {
                                    actions.push(FindAction::Download(found.clone()));
                                }
                                let file = !found.entry.is_dir();
                                if ui.add_enabled(file, egui::Button::new("Open")).clicked() {
                                    actions.push(FindAction::Open(found.clone()));
                                }
                                if ui.button("Show").clicked() {
                                    actions.push(FindAction::Show(found.clone()));
                                }
                                ui.end_row();
                            }
                        });
                });
            });
        if !open {
            self.stop();
        }
        self.open = open;
        actions
    }
}
