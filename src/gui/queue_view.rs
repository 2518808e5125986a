//! The transfer queue panel: what is waiting, running, failed and done,
//! with a progress bar per item, overall progress and a small rate graph.
//! It only mirrors the engine queue's events and sends back commands.

use std::collections::{BTreeMap, HashMap, VecDeque};
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

/// Finished rows kept per tab (done; failed and cancelled): the newest
/// ones. Older ones are dropped, so a queue that has seen millions of
/// items costs the window no more than one that has seen this many.
const FINISHED_KEPT: usize = 10_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tab {
    Active,
    Failed,
    Done,
}

impl Tab {
    const ALL: [Tab; 3] = [Tab::Active, Tab::Failed, Tab::Done];

    fn index(self) -> usize {
        self as usize
    }
}

/// Where an item is listed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Slot {
    Shown(Tab),
    /// Folder bookkeeping: not a row, but kept while it runs.
    Hidden,
    /// Folder bookkeeping that has ended: kept only up to the cap.
    HiddenFinished,
}

pub struct QueueItem {
    /// The folder item it was found under (`None`: the user added it).
    pub parent: Option<ItemId>,
    pub spec: TransferSpec,
    pub kind: ItemKind,
    pub state: ItemState,
    pub bytes_done: u64,
    pub total: Option<u64>,
    pub rate: f64,
    pub eta: Option<Duration>,
    /// When it entered its tab (counted from the first item): a tab
    /// lists its rows in this order, so the finished tabs list them as
    /// they ended, and the oldest finished are the first dropped.
    listed: u64,
}

impl QueueItem {
    fn slot(&self) -> Slot {
        // Folders being expanded are bookkeeping; files and deletions are
        // shown, and a folder that failed is too.
        let shown = !self.spec.recursive || matches!(self.state, ItemState::Failed(_));
        match (shown, self.state.is_final()) {
            (true, _) => Slot::Shown(match self.state {
                ItemState::Failed(_) | ItemState::Cancelled => Tab::Failed,
                ItemState::Done | ItemState::Skipped(_) | ItemState::Planned(_) => Tab::Done,
                _ => Tab::Active,
            }),
            (false, false) => Slot::Hidden,
            (false, true) => Slot::HiddenFinished,
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

/// The queue panel's state. Every list it draws from is kept up to date
/// as events arrive, so a frame costs what it shows, not what the queue
/// has seen: rows per tab in the order they entered it, finished ones
/// capped at [`FINISHED_KEPT`] per tab (the oldest dropped and counted).
pub struct QueueView {
    /// The items the panel still knows: every unfinished one, and the
    /// newest finished ones.
    pub items: HashMap<ItemId, QueueItem>,
    /// Each tab's rows, by [`QueueItem::listed`].
    tabs: [BTreeMap<u64, ItemId>; 3],
    /// Finished folder bookkeeping, the same way (capped like a tab).
    hidden_finished: BTreeMap<u64, ItemId>,
    /// Finished rows dropped from each tab to keep it under the cap.
    dropped: [u64; 3],
    /// The next [`QueueItem::listed`].
    next_listed: u64,
    pub overall: Overall,
    rates: VecDeque<f64>,
    tab: Tab,
    /// Item ids of queues that were let go: their rows keep how each item
    /// ended and have no buttons, since no queue would act on them.
    ended: Vec<Range<ItemId>>,
    /// The queue said it has nothing left to do since its last item was
    /// added (the window then refreshes both panes).
    pub idle: bool,
    /// Transfer → Pause holds: the button says Resume.
    pub paused: bool,
}

impl QueueView {
    /// Whether some item is under way without waiting for the user:
    /// queued, being expanded, running or waiting to retry. (One that asks
    /// what to do about an existing target waits for the user.)
    pub fn working(&self) -> bool {
        !self.idle
            && self.items.values().any(|item| {
                matches!(
                    item.state,
                    ItemState::Queued
                        | ItemState::Expanding
                        | ItemState::Running
                        | ItemState::Retrying { .. }
                )
            })
    }
}

impl Default for QueueView {
    fn default() -> QueueView {
        QueueView {
            items: HashMap::new(),
            tabs: Default::default(),
            hidden_finished: BTreeMap::new(),
            dropped: [0; 3],
            next_listed: 0,
            overall: Overall::default(),
            rates: VecDeque::new(),
            tab: Tab::Active,
            ended: Vec::new(),
            idle: true,
            paused: false,
        }
    }
}

impl QueueView {
    /// What of the queue whose items have `ids` is worth doing at the next
    /// start: each file or folder queued, running, waiting or failed (a
    /// folder stands for what it holds: its own items are not listed
    /// again), as the user would add it again. Copies between servers and
    /// deletions are not kept.
    pub fn to_keep(&self, ids: &Range<ItemId>) -> Vec<crate::sites::SavedTransfer> {
        let unfinished = |item: &QueueItem| {
            item.kind == ItemKind::Transfer
                && (!item.state.is_final()
                    || matches!(item.state, ItemState::Failed(_) | ItemState::Cancelled))
        };
        let mut kept: Vec<(u64, crate::sites::SavedTransfer)> = self
            .items
            .iter()
            .filter(|(id, item)| ids.contains(id) && unfinished(item))
            .filter(|(_, item)| {
                // Under a folder that is kept itself: that folder brings it.
                !item
                    .parent
                    .and_then(|p| self.items.get(&p))
                    .is_some_and(unfinished)
            })
            .filter(|(_, item)| item.spec.direction != Direction::Copy)
            .map(|(id, item)| {
                let saved = crate::sites::SavedTransfer {
                    upload: item.spec.direction == Direction::Upload,
                    remote: item.spec.remote.clone(),
                    local: item.spec.local.clone(),
                    folder: item.spec.recursive,
                };
                (*id, saved)
            })
            .collect();
        kept.sort_by_key(|(id, _)| *id);
        kept.into_iter().map(|(_, saved)| saved).collect()
    }

    /// The queue whose items have `ids` was let go: what it had not
    /// finished is cancelled (it stops at once), and its rows lose their
    /// buttons. Its last news may still say an item was done before the
    /// stop; nothing it says can make a row active again.
    pub fn end_queue(&mut self, ids: Range<ItemId>) {
        let unfinished: Vec<ItemId> = self
            .items
            .iter()
            .filter(|(id, item)| ids.contains(id) && !item.state.is_final())
            .map(|(id, _)| *id)
            .collect();
        for id in unfinished {
            self.change(id, |item| {
                item.state = ItemState::Cancelled;
                item.rate = 0.0;
                item.eta = None;
            });
        }
        self.ended.push(ids);
        self.drop_old_finished();
    }

    /// Whether the row of `id` belongs to a queue still running (its
    /// buttons work).
    pub fn is_live(&self, id: ItemId) -> bool {
        !self.ended.iter().any(|ids| ids.contains(&id))
    }

    /// How many rows each tab lists now: queued and running, failed,
    /// done.
    pub fn counts(&self) -> [usize; 3] {
        Tab::ALL.map(|tab| self.tabs[tab.index()].len())
    }

    /// How many finished rows were dropped from the failed and the done
    /// tab to keep each at the newest [`FINISHED_KEPT`].
    pub fn dropped(&self) -> [u64; 2] {
        [
            self.dropped[Tab::Failed.index()],
            self.dropped[Tab::Done.index()],
        ]
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
            QueueEvent::Added {
                id,
                spec,
                kind,
                parent,
            } => {
                self.idle = false;
                let state = match ended {
                    true => ItemState::Cancelled,
                    false => ItemState::Queued,
                };
                let mut item = QueueItem {
                    parent: *parent,
                    spec: spec.clone(),
                    kind: *kind,
                    state,
                    bytes_done: 0,
                    total: None,
                    rate: 0.0,
                    eta: None,
                    listed: 0,
                };
                // Ids are never used twice; should one be, its old row goes.
                if let Some(old) = self.items.remove(id) {
                    self.unlist(old.slot(), old.listed);
                }
                item.listed = self.list(item.slot(), *id);
                self.items.insert(*id, item);
                self.drop_old_finished();
            }
            QueueEvent::Retargeted { id, spec } => {
                self.change(*id, |item| item.spec = spec.clone());
            }
            QueueEvent::State { id, state } => {
                self.change(*id, |item| {
                    item.state = state.clone();
                    if state.is_final() {
                        item.rate = 0.0;
                        item.eta = None;
                    }
                });
                self.drop_old_finished();
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
                self.idle |= matches!(event, QueueEvent::Idle(_));
                self.overall = overall.clone();
                if self.rates.len() == RATE_SAMPLES {
                    self.rates.pop_front();
                }
                self.rates.push_back(overall.rate);
            }
            QueueEvent::Log { .. } | QueueEvent::ConnectFailed(_) => {}
        }
    }

    /// Changes the item `id` (if the panel still knows it) and moves its
    /// row to the tab it now belongs in.
    fn change(&mut self, id: ItemId, how: impl FnOnce(&mut QueueItem)) {
        let Some(item) = self.items.get_mut(&id) else {
            return;
        };
        let before = item.slot();
        how(item);
        let after = item.slot();
        if before == after {
            return;
        }
        let old = item.listed;
        self.unlist(before, old);
        let listed = self.list(after, id);
        if let Some(item) = self.items.get_mut(&id) {
            item.listed = listed;
        }
    }

    /// Lists `id` last in `slot`; returns its place there.
    fn list(&mut self, slot: Slot, id: ItemId) -> u64 {
        let listed = self.next_listed;
        self.next_listed += 1;
        match slot {
            Slot::Shown(tab) => {
                self.tabs[tab.index()].insert(listed, id);
            }
            Slot::HiddenFinished => {
                self.hidden_finished.insert(listed, id);
            }
            Slot::Hidden => {}
        }
        listed
    }

    fn unlist(&mut self, slot: Slot, listed: u64) {
        match slot {
            Slot::Shown(tab) => {
                self.tabs[tab.index()].remove(&listed);
            }
            Slot::HiddenFinished => {
                self.hidden_finished.remove(&listed);
            }
            Slot::Hidden => {}
        }
    }

    /// Keeps the newest [`FINISHED_KEPT`] finished rows of each tab and
    /// as many finished folders; unfinished items are never dropped.
    fn drop_old_finished(&mut self) {
        for tab in [Tab::Failed, Tab::Done] {
            let rows = &mut self.tabs[tab.index()];
            while rows.len() > FINISHED_KEPT {
                if let Some((_, id)) = rows.pop_first() {
                    self.items.remove(&id);
                    self.dropped[tab.index()] += 1;
                }
            }
        }
        while self.hidden_finished.len() > FINISHED_KEPT {
            if let Some((_, id)) = self.hidden_finished.pop_first() {
                self.items.remove(&id);
            }
        }
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
                let label = format!("{title} ({})", self.tabs[tab.index()].len());
                if ui.selectable_label(self.tab == tab, label).clicked() {
                    self.tab = tab;
                }
            }
        });
        ui.separator();
        let dropped = self.dropped[self.tab.index()];
        if dropped > 0 {
            ui.weak(format!("{dropped} older finished rows not shown"));
        }
        let rows = &self.tabs[self.tab.index()];
        let row_height = 22.0;
        egui::ScrollArea::vertical()
            .id_salt("queue")
            .auto_shrink([false, false])
            .show_rows(ui, row_height, rows.len(), |ui, range| {
                // Only the rows in view are looked up and laid out.
                for id in rows.values().skip(range.start).take(range.len()) {
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
            let width = (ui.available_width() - 400.0).max(120.0);
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
            let (label, hover) = match self.paused {
                true => ("Resume", "Start the waiting transfers again"),
                false => ("Pause", "Start nothing new; what is running finishes"),
            };
            if ui.button(label).on_hover_text(hover).clicked() {
                commands.push(QueueCommand::Pause(!self.paused));
            }
            if ui.button("Cancel all").clicked() {
                commands.push(QueueCommand::CancelAll);
            }
        });
    }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::Error;

    fn added(id: ItemId, recursive: bool) -> QueueEvent {
        QueueEvent::Added {
            id,
            parent: None,
            spec: TransferSpec {
                direction: Direction::Download,
                remote: format!("/f{id}"),
                local: std::path::PathBuf::from(format!("/tmp/f{id}")),
                recursive,
                copy_to: String::new(),
            },
            kind: ItemKind::Transfer,
        }
    }

    fn state(id: ItemId, state: ItemState) -> QueueEvent {
        QueueEvent::State { id, state }
    }

    fn failed() -> ItemState {
        ItemState::Failed(Error::Protocol("550 no".to_string()))
    }

    /// The ids a tab lists, in order.
    fn listed(view: &QueueView, tab: Tab) -> Vec<ItemId> {
        view.tabs[tab.index()].values().copied().collect()
    }

    #[test]
    fn finished_rows_beyond_the_cap_are_dropped_oldest_first_and_active_ones_never() {
        let mut view = QueueView::default();
        // The first hundred items stay queued or running all along: the
        // oldest rows of all, never dropped.
        for id in 0..100 {
            view.apply(&added(id, false));
            if id % 2 == 0 {
                view.apply(&state(id, ItemState::Running));
            }
        }
        let done = FINISHED_KEPT as u64 + 500;
        for id in 100..100 + done {
            view.apply(&added(id, false));
            view.apply(&state(id, ItemState::Running));
            view.apply(&state(id, ItemState::Done));
        }
        for id in 100 + done..100 + done + 30 {
            view.apply(&added(id, false));
            view.apply(&state(id, failed()));
        }
        assert_eq!(view.counts(), [100, 30, FINISHED_KEPT]);
        assert_eq!(view.dropped(), [0, 500]);
        assert_eq!(view.items.len(), 100 + 30 + FINISHED_KEPT);
        assert_eq!(listed(&view, Tab::Active), (0..100).collect::<Vec<_>>());
        // The newest done rows are kept, in the order they came.
        let kept = listed(&view, Tab::Done);
        assert_eq!(kept.first(), Some(&600));
        assert_eq!(kept.last(), Some(&(99 + done)));
        assert!(!view.items.contains_key(&599));

        // The oldest items end now: they are the newest finished rows, and
        // the done rows before them make room.
        for id in 0..100 {
            view.apply(&state(id, ItemState::Done));
        }
        assert_eq!(view.counts(), [0, 30, FINISHED_KEPT]);
        assert_eq!(view.dropped(), [0, 600]);
        let kept = listed(&view, Tab::Done);
        assert_eq!(kept.first(), Some(&700));
        assert_eq!(kept.last(), Some(&99));
        // News for a row no longer kept changes nothing.
        assert!(!view.items.contains_key(&650));
        view.apply(&state(650, ItemState::Running));
        assert_eq!(view.counts(), [0, 30, FINISHED_KEPT]);
    }

    #[test]
    fn rows_move_between_tabs_as_their_items_change_and_counts_follow() {
        let mut view = QueueView::default();
        view.apply(&added(1, false));
        view.apply(&added(2, false));
        // A folder being expanded is not a row until it fails.
        view.apply(&added(3, true));
        assert_eq!(view.counts(), [2, 0, 0]);
        view.apply(&state(1, failed()));
        view.apply(&state(3, failed()));
        assert_eq!(view.counts(), [1, 2, 0]);
        assert_eq!(listed(&view, Tab::Failed), [1, 3]);
        // Retried: back among the active rows, after those already there.
        view.apply(&state(1, ItemState::Queued));
        assert_eq!(listed(&view, Tab::Active), [2, 1]);
        assert_eq!(view.counts(), [2, 1, 0]);
        view.apply(&state(3, ItemState::Expanding));
        view.apply(&state(3, ItemState::Done));
        assert_eq!(view.counts(), [2, 0, 0]);
        // A queue let go: what it had not finished is cancelled.
        view.apply(&state(2, ItemState::Done));
        view.end_queue(0..10);
        assert_eq!(view.counts(), [0, 1, 1]);
        assert_eq!(view.items[&1].state, ItemState::Cancelled);
        // Late news cannot make its rows active again.
        view.apply(&state(1, ItemState::Running));
        assert_eq!(view.counts(), [0, 1, 1]);
    }
}
