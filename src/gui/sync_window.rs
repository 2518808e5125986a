//! View → Synchronize…: a mirror between the two panes' folders, either
//! way, first previewed (what would be copied, replaced and deleted, the
//! engine's dry run with a mirror's rules: nothing deleted on doubt),
//! then run through a queue whose rows show in the queue panel.

use crossbeam_channel::Receiver;

use super::bridge::{Waker, relay, take_some};
use crate::engine::queue::{ItemState, QueueEvent, TransferQueue};
use crate::engine::{Error, display_text};

/// Lines of a plan shown at most (all are counted).
const SHOWN: usize = 5_000;

#[derive(Default)]
pub struct SyncWindow {
    pub open: bool,
    /// This computer's folder to the server (else the other way).
    pub upload: bool,
    /// Also delete what the target has and the source does not.
    pub delete: bool,
    /// What the preview planned, in order; how many in all.
    pub plan: Vec<String>,
    planned: u64,
    /// How the preview ended (`None` while it runs or before one).
    pub ended: Option<String>,
    preview: Option<(TransferQueue, Receiver<QueueEvent>)>,
    /// The folders the plan is for (it is stale if they change).
    pub planned_for: Option<(String, String, bool, bool)>,
}

/// What the user asked of the window.
pub enum SyncAction {
    Preview,
    Run,
}

impl SyncWindow {
    pub fn previewing(
        &mut self,
        started: Result<(TransferQueue, Receiver<QueueEvent>), Error>,
        folders: (String, String),
        waker: Waker,
    ) {
        self.plan.clear();
        self.planned = 0;
        match started {
            Ok((queue, events)) => {
                self.ended = None;
                self.preview = Some((queue, relay(events, waker, "sync-plan")));
                self.planned_for = Some((folders.0, folders.1, self.upload, self.delete));
            }
            Err(err) => self.ended = Some(err.to_string()),
        }
    }

    /// Takes what the preview said; whether more waits.
    pub fn news(&mut self, budget: usize) -> bool {
        let Some((_, events)) = &self.preview else {
            return false;
        };
        let (events, more) = take_some(events, budget);
        for event in events {
            match event {
                QueueEvent::State {
                    state: ItemState::Planned(what),
                    ..
                } => {
                    self.planned += 1;
                    if self.plan.len() < SHOWN {
                        self.plan.push(what);
                    }
                }
                QueueEvent::State {
                    state: ItemState::Failed(err),
                    ..
                } => {
                    self.plan.push(format!("cannot: {err}"));
                }
                QueueEvent::Idle(overall) => {
                    let mut ended = match self.planned {
                        0 => "Nothing to do: both sides are the same.".to_string(),
                        n => format!("{}.", crate::units::count(n, "change", "changes")),
                    };
                    if overall.not_deleted > 0 || overall.folders_failed > 0 {
                        ended += " Some deletions would be held back (see the list).";
                    }
                    self.ended = Some(ended);
                    self.preview = None;
                    return false;
                }
                _ => {}
            }
        }
        more
    }

    /// Whether the plan shown is for these folders and choices.
    fn plan_is_for(&self, folders: &(String, String)) -> bool {
        self.preview.is_none()
            && self.ended.is_some()
            && self.planned > 0
            && self.planned_for.as_ref().is_some_and(|(l, r, up, del)| {
                (l, r, *up, *del) == (&folders.0, &folders.1, self.upload, self.delete)
            })
    }

    pub fn ui(
        &mut self,
        ctx: &egui::Context,
        folders: &(String, String),
        server: &str,
    ) -> Vec<SyncAction> {
        let mut actions = Vec::new();
        let mut open = self.open;
        egui::Window::new("Synchronize folders")
            .open(&mut open)
            .default_width(560.0)
            .default_height(380.0)
            .show(ctx, |ui| {
                ui.radio_value(
                    &mut self.upload,
                    true,
                    format!(
                        "Make {} on {server} like {} here",
                        display_text(&folders.1),
                        folders.0
                    ),
                );
                ui.radio_value(
                    &mut self.upload,
                    false,
                    format!(
                        "Make {} here like {} on {server}",
                        folders.0,
                        display_text(&folders.1)
                    ),
                );
                ui.checkbox(
                    &mut self.delete,
                    "Delete what the other side lacks (only if every folder is read whole; \
                     at most 100 entries)",
                );
                ui.horizontal(|ui| {
                    let idle = self.preview.is_none();
                    if ui.add_enabled(idle, egui::Button::new("Preview")).clicked() {
                        actions.push(SyncAction::Preview);
                    }
                    let ready = self.plan_is_for(folders);
                    if ui
                        .add_enabled(ready, egui::Button::new("Synchronize"))
                        .on_disabled_hover_text("Preview first: nothing runs unseen")
                        .clicked()
                    {
                        actions.push(SyncAction::Run);
                    }
                });
                match (&self.ended, self.preview.is_some()) {
                    (_, true) => {
                        ui.label(format!("Comparing… {} so far", self.planned));
                    }
                    (Some(ended), false) => {
                        ui.label(ended.as_str());
                    }
                    (None, false) => {
                        ui.label("Preview shows what would be copied, replaced and deleted.");
                    }
                }
                ui.separator();
                egui::ScrollArea::vertical().show(ui, |ui| {
                    for line in &self.plan {
                        ui.label(display_text(line));
                    }
                });
            });
        if !open {
            self.preview = None;
        }
        self.open = open;
        actions
    }
}
