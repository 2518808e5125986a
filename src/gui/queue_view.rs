//! The transfer queue panel: what is waiting, running, failed and done,
//! with a progress bar per item, overall progress and a small rate graph.
//! It only mirrors the engine queue's events and sends back commands.

use std::collections::{HashMap, VecDeque};
use std::ops::Range;
use std::time::Duration;

use egui::{ProgressBar, Ui};

use super::rows::human_size;
use crate::engine::display_text;
use crate::engine::queue::{
    Direction, ItemId, ItemKind, ItemState, Overall, QueueCommand, QueueEvent, TransferSpec,
};

/// Rate samples kept for the graph (ten a second: a minute).
const RATE_SAMPLES: usize = 600;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tab {
    Active,
    Failed,
    Done,
}

pub struct QueueItem {
    pub spec: TransferSpec,
    pub kind: ItemKind,
    pub state: ItemState,
    pub bytes_done: u64,
    pub total: Option<u64>,
    pub rate: f64,
    pub eta: Option<Duration>,
}

impl QueueItem {
    fn tab(&self) -> Tab {
        match self.state {
            ItemState::Failed(_) | ItemState::Cancelled => Tab::Failed,
            ItemState::Done | ItemState::Skipped(_) | ItemState::Planned(_) => Tab::Done,
            _ => Tab::Active,
        }
    }

    fn name(&self) -> String {
        let (from, to) = match self.spec.direction {
            Direction::Download => (
                self.spec.remote.clone(),
                self.spec.local.display().to_string(),
            ),
            Direction::Upload => (
                self.spec.local.display().to_string(),
                self.spec.remote.clone(),
            ),
            Direction::Copy => (self.spec.remote.clone(), self.spec.copy_to.clone()),
        };
        match self.kind {
            ItemKind::DeleteTarget => format!("delete {to}"),
            ItemKind::Transfer => format!("{from} -> {to}"),
        }
    }
}

pub struct QueueView {
    pub items: HashMap<ItemId, QueueItem>,
    /// Ids in the order they arrived (what the tabs list).
    order: Vec<ItemId>,
    pub overall: Overall,
    rates: VecDeque<f64>,
    tab: Tab,
    /// Item ids of queues that were let go: their rows keep how each item
    /// ended and have no buttons, since no queue would act on them.
    ended: Vec<Range<ItemId>>,
}

impl Default for QueueView {
    fn default() -> QueueView {
        QueueView {
            items: HashMap::new(),
            order: Vec::new(),
            overall: Overall::default(),
            rates: VecDeque::new(),
            tab: Tab::Active,
            ended: Vec::new(),
        }
    }
}

impl QueueView {
    /// The queue whose items have `ids` was let go: what it had not
    /// finished is cancelled (it stops at once), and its rows lose their
    /// buttons. Its last news may still say an item was done before the
    /// stop; nothing it says can make a row active again.
    pub fn end_queue(&mut self, ids: Range<ItemId>) {
        for (id, item) in &mut self.items {
            if ids.contains(id) && !item.state.is_final() {
                item.state = ItemState::Cancelled;
                item.rate = 0.0;
                item.eta = None;
            }
        }
        self.ended.push(ids);
    }

    /// Whether the row of `id` belongs to a queue still running (its
    /// buttons work).
    pub fn is_live(&self, id: ItemId) -> bool {
        !self.ended.iter().any(|ids| ids.contains(&id))
    }

    pub fn apply(&mut self, event: &QueueEvent) {
        let ended = match event {
            QueueEvent::Added { id, .. }
            | QueueEvent::State { id, .. }
            | QueueEvent::Progress { id, .. } => !self.is_live(*id),
            _ => false,
        };
        match event {
            QueueEvent::State { state, .. } if ended && !state.is_final() => {}
            QueueEvent::Progress { .. } if ended => {}
            QueueEvent::Added { id, spec, kind, .. } => {
                self.order.push(*id);
                let state = match ended {
                    true => ItemState::Cancelled,
                    false => ItemState::Queued,
                };
                self.items.insert(
                    *id,
                    QueueItem {
                        spec: spec.clone(),
                        kind: *kind,
                        state,
                        bytes_done: 0,
                        total: None,
                        rate: 0.0,
                        eta: None,
                    },
                );
            }
            QueueEvent::Retargeted { id, spec } => {
                if let Some(item) = self.items.get_mut(id) {
                    item.spec = spec.clone();
                }
            }
            QueueEvent::State { id, state } => {
                if let Some(item) = self.items.get_mut(id) {
                    item.state = state.clone();
                    if state.is_final() {
                        item.rate = 0.0;
                        item.eta = None;
                    }
                }
            }
            QueueEvent::Progress {
                id,
                bytes_done,
                total,
                current_rate,
                eta,
                ..
            } => {
                if let Some(item) = self.items.get_mut(id) {
                    item.bytes_done = *bytes_done;
                    item.total = *total;
                    item.rate = *current_rate;
                    item.eta = *eta;
                }
            }
            QueueEvent::Overall(overall) | QueueEvent::Idle(overall) => {
                self.overall = overall.clone();
                if self.rates.len() == RATE_SAMPLES {
                    self.rates.pop_front();
                }
                self.rates.push_back(overall.rate);
            }
            QueueEvent::Log { .. } | QueueEvent::ConnectFailed(_) => {}
        }
    }

    fn count(&self, tab: Tab) -> usize {
        self.order
            .iter()
            .filter(|id| {
                self.items
                    .get(id)
                    .is_some_and(|i| i.tab() == tab && is_shown(i))
            })
            .count()
    }

    pub fn ui(&mut self, ui: &mut Ui) -> Vec<QueueCommand> {
        let mut commands = Vec::new();
        self.overall_ui(ui, &mut commands);
        ui.horizontal(|ui| {
            for (tab, title) in [
                (Tab::Active, "Queued and running"),
                (Tab::Failed, "Failed"),
                (Tab::Done, "Done"),
            ] {
                let label = format!("{title} ({})", self.count(tab));
                if ui.selectable_label(self.tab == tab, label).clicked() {
                    self.tab = tab;
                }
            }
        });
        ui.separator();
        let shown: Vec<ItemId> = self
            .order
            .iter()
            .copied()
            .filter(|id| {
                self.items
                    .get(id)
                    .is_some_and(|i| i.tab() == self.tab && is_shown(i))
            })
            .collect();
        let row_height = 22.0;
        egui::ScrollArea::vertical()
            .id_salt("queue")
            .auto_shrink([false, false])
            .show_rows(ui, row_height, shown.len(), |ui, range| {
                for id in &shown[range] {
                    if let Some(item) = self.items.get(id) {
                        item_row(ui, *id, item, self.is_live(*id), &mut commands);
                    }
                }
            });
        commands
    }

    fn overall_ui(&self, ui: &mut Ui, commands: &mut Vec<QueueCommand>) {
        let overall = &self.overall;
        ui.horizontal(|ui| {
            let fraction = if overall.bytes_total > 0 {
                overall.bytes_done as f32 / overall.bytes_total as f32
            } else {
                0.0
            };
            let eta = overall
                .eta
                .map(|e| format!(", {} left", duration(e)))
                .unwrap_or_default();
            // What is left of the column after the rate, graph and button.
            let width = (ui.available_width() - 330.0).max(120.0);
            ui.add(
                ProgressBar::new(fraction.clamp(0.0, 1.0))
                    .desired_width(width)
                    .text(format!(
                        "{}/{} files, {} of {}",
                        overall.files_done,
                        overall.files_total,
                        human_size(overall.bytes_done),
                        human_size(overall.bytes_total)
                    )),
            );
            ui.label(format!("{}/s{eta}", human_size(overall.rate as u64)));
            rate_graph(ui, &self.rates);
            if ui.button("Cancel all").clicked() {
                commands.push(QueueCommand::CancelAll);
            }
        });
    }
}

/// Folders being expanded are bookkeeping; files and deletions are shown.
fn is_shown(item: &QueueItem) -> bool {
    !item.spec.recursive || matches!(item.state, ItemState::Failed(_))
}

/// One item's row; buttons only while its queue runs (`live`).
fn item_row(
    ui: &mut Ui,
    id: ItemId,
    item: &QueueItem,
    live: bool,
    commands: &mut Vec<QueueCommand>,
) {
    ui.horizontal(|ui| {
        match &item.state {
            ItemState::Running | ItemState::Queued | ItemState::Expanding => {
                let fraction = match item.total {
                    Some(total) if total > 0 => item.bytes_done as f32 / total as f32,
                    _ => 0.0,
                };
                let mut text = human_size(item.bytes_done);
                if item.rate > 0.0 {
                    text.push_str(&format!(" at {}/s", human_size(item.rate as u64)));
                }
                if let Some(eta) = item.eta {
                    text.push_str(&format!(", {} left", duration(eta)));
                }
                ui.add(ProgressBar::new(fraction).desired_width(240.0).text(text));
            }
            state => {
                ui.label(display_text(&state_text(state)));
            }
        }
        let retryable = matches!(item.state, ItemState::Failed(_) | ItemState::Cancelled);
        if live && retryable && ui.small_button("Retry").clicked() {
            commands.push(QueueCommand::Retry(id));
        }
        if live && !item.state.is_final() {
            if ui.small_button("Cancel").clicked() {
                commands.push(QueueCommand::Cancel(id));
            }
            if ui.small_button("Up").on_hover_text("Move up").clicked() {
                commands.push(QueueCommand::MoveUp(id));
            }
            if ui.small_button("Down").on_hover_text("Move down").clicked() {
                commands.push(QueueCommand::MoveDown(id));
            }
        }
        ui.add(egui::Label::new(display_text(&item.name())).truncate());
    });
}

fn state_text(state: &ItemState) -> String {
    match state {
        ItemState::Queued => "Queued".to_string(),
        ItemState::Expanding => "Listing".to_string(),
        ItemState::Running => "Running".to_string(),
        ItemState::Asking { .. } => "Waiting for your answer".to_string(),
        ItemState::Retrying { attempt, reason } => format!("Retry {attempt}: {reason}"),
        ItemState::Done => "Done".to_string(),
        ItemState::Failed(err) => format!("Failed: {err}"),
        ItemState::Skipped(why) => format!("Skipped: {why}"),
        ItemState::Planned(what) => what.clone(),
        ItemState::Cancelled => "Cancelled".to_string(),
    }
}

fn duration(d: Duration) -> String {
    let secs = d.as_secs();
    if secs >= 3600 {
        format!("{}h{:02}m", secs / 3600, secs / 60 % 60)
    } else if secs >= 60 {
        format!("{}m{:02}s", secs / 60, secs % 60)
    } else {
        format!("{secs}s")
    }
}

/// A small line of the overall rate over the last minute.
fn rate_graph(ui: &mut Ui, rates: &VecDeque<f64>) {
    let (rect, _) = ui.allocate_exact_size(egui::vec2(80.0, 18.0), egui::Sense::hover());
    let painter = ui.painter_at(rect);
    painter.rect_stroke(
        rect,
        2.0,
        ui.visuals().widgets.noninteractive.bg_stroke,
        egui::StrokeKind::Inside,
    );
    let max = rates.iter().copied().fold(0.0f64, f64::max);
    if rates.len() < 2 || max <= 0.0 {
        return;
    }
    let step = rect.width() / (RATE_SAMPLES - 1) as f32;
    let start = rect.right() - step * (rates.len() - 1) as f32;
    let points: Vec<egui::Pos2> = rates
        .iter()
        .enumerate()
        .map(|(i, r)| {
            egui::pos2(
                start + step * i as f32,
                rect.bottom() - (r / max) as f32 * rect.height(),
            )
        })
        .collect();
    painter.add(egui::Shape::line(
        points,
        egui::Stroke::new(1.0, ui.visuals().selection.bg_fill),
    ));
}
