//! One side of the window: a path bar with up and refresh, a filter box
//! and the file table, plus the drop target for drags from the other side.

use std::sync::Arc;

use egui::{Key, Ui};

use super::file_table::{DragPayload, FileTable, MenuItem, Picked, Side, Sort, TableAction, Tally};
use super::folder_tree::FolderTree;
use super::rows::{FileRow, human_size};
use crate::engine::display_text;
use crate::units::count;

/// What the user asked of a pane this frame. Actions on rows carry the
/// folder the rows were listed in, never "the pane's folder now".
#[derive(Debug, Clone)]
pub enum PaneAction {
    Navigate(String),
    Up,
    Refresh,
    Open(Picked),
    Menu(MenuItem, Picked),
    /// Rows from the other pane dropped here: into `into` (a folder row's
    /// name) of `folder`, or into `folder` itself, the folder this pane
    /// listed when they were dropped.
    Dropped {
        payload: Arc<DragPayload>,
        folder: String,
        into: Option<String>,
    },
    Rename {
        folder: String,
        from: String,
        to: String,
    },
}

pub struct Pane {
    pub side: Side,
    /// The folder shown (a local path or a remote path).
    pub folder: String,
    path_edit: String,
    filter: String,
    pub table: FileTable,
    /// A listing of another folder is on its way ("Loading…" shows).
    pub loading: bool,
    /// A fresh listing of the folder shown is on its way (nothing shows:
    /// the rows stay put until it arrives).
    pub refreshing: bool,
    /// Why the pane is empty, when it is for a reason.
    pub notice: Option<String>,
    /// Why the listing shown may not be the whole folder (lines the server
    /// sent that could not be read, a listing it cut short): said loudly,
    /// since what is missing here is invisible otherwise.
    pub warning: Option<String>,
    /// Where the pane was drawn last frame (which pane a click is in).
    pub rect: egui::Rect,
    /// How many listings the pane has shown: a refresh that arrived is
    /// one more, even when it shows the same rows (tests wait on it).
    pub listings: u64,
    /// The folders listed so far, as a tree above the list.
    pub tree: FolderTree,
    /// View → Folder trees: the tree is drawn.
    pub tree_shown: bool,
}

impl Pane {
    pub fn new(side: Side, sort: Sort) -> Pane {
        Pane {
            side,
            folder: String::new(),
            path_edit: String::new(),
            filter: String::new(),
            table: FileTable::new(side, sort),
            loading: false,
            refreshing: false,
            notice: None,
            warning: None,
            rect: egui::Rect::NOTHING,
            listings: 0,
            tree: FolderTree::default(),
            tree_shown: false,
        }
    }

    /// A listing of `folder` arrived; `incomplete` says why it may not
    /// name everything the folder holds.
    pub fn show_listing(&mut self, folder: String, rows: Vec<FileRow>, incomplete: Option<String>) {
        // The server named the folder (PWD): shown escaped; Enter on it
        // unchanged goes back to the real one (see `ui`).
        self.path_edit = display_text(&folder);
        self.tree.learn(&folder, &rows);
        self.folder = folder.clone();
        self.table.set_rows(folder, rows);
        self.listings += 1;
        self.loading = false;
        self.refreshing = false;
        self.notice = None;
        self.warning =
            incomplete.map(|why| format!("⚠ Incomplete listing: {}", display_text(&why)));
    }

    pub fn clear(&mut self, notice: &str) {
        self.table.set_rows(String::new(), Vec::new());
        self.tree.clear();
        self.folder.clear();
        self.path_edit.clear();
        self.loading = false;
        self.refreshing = false;
        self.notice = Some(notice.to_string());
        self.warning = None;
    }

    /// Draws the pane. `accepting` says whether drops from the other pane
    /// (or the desktop) are welcome here now.
    /// `active` says whether the pane has the keyboard (its frame shows
    /// it; Tab moves it to the other pane).
    pub fn ui(
        &mut self,
        ui: &mut Ui,
        title: &str,
        accepting: bool,
        active: bool,
    ) -> Vec<PaneAction> {
        let mut actions = Vec::new();
        let side = self.side;
        let mut frame = egui::Frame::group(ui.style()).inner_margin(4.0);
        if active {
            frame = frame.stroke(ui.visuals().selection.stroke);
        }
        let frame = frame.show(ui, |ui| {
            ui.horizontal(|ui| {
                ui.strong(title);
                if ui
                    .button("Up")
                    .on_hover_text("Up one folder (Backspace)")
                    .clicked()
                {
                    actions.push(PaneAction::Up);
                }
                if ui.button("Refresh").on_hover_text("Refresh (F5)").clicked() {
                    actions.push(PaneAction::Refresh);
                }
                // Also in the right-click menu; here for an empty folder.
                if ui.button("New folder").clicked() {
                    let here = self.table.pick(Vec::new());
                    actions.push(PaneAction::Menu(MenuItem::NewFolder, here));
                }
                let filter = ui.add(
                    egui::TextEdit::singleline(&mut self.filter)
                        .id_salt(("filter", side))
                        .hint_text("Filter")
                        .desired_width(ui.available_width().clamp(60.0, 160.0)),
                );
                if filter.changed() {
                    self.table.set_filter(&self.filter);
                }
            });
            // The path on a row of its own, the pane's whole width: a long
            // path is read, not cut after its first words.
            ui.horizontal(|ui| {
                let path = ui
                    .add(
                        egui::TextEdit::singleline(&mut self.path_edit)
                            .id_salt(("path", side))
                            .hint_text("Path")
                            .desired_width(f32::INFINITY),
                    )
                    .on_hover_text(display_text(&self.folder));
                if path.lost_focus() && ui.input(|i| i.key_pressed(Key::Enter)) {
                    let typed = self.path_edit.trim();
                    let target = if typed == display_text(&self.folder) {
                        self.folder.clone()
                    } else {
                        typed.to_string()
                    };
                    actions.push(PaneAction::Navigate(target));
                }
            });
            if self.tree_shown {
                // At most a third of the pane: the list stays the main thing.
                let height = (ui.available_height() / 3.0).clamp(40.0, 160.0);
                if let Some(folder) = self.tree.ui(ui, &self.folder, height) {
                    actions.push(PaneAction::Navigate(folder));
                }
                ui.separator();
            }
            if self.loading {
                ui.horizontal(|ui| {
                    ui.spinner();
                    ui.label("Loading…");
                });
            } else if let Some(notice) = &self.notice {
                ui.label(notice.as_str());
            }
            // The status line goes under the table: room for it is
            // kept before the table takes the rest.
            let status_height = ui.text_style_height(&egui::TextStyle::Body)
                + ui.spacing().item_spacing.y
                + if self.warning.is_some() {
                    ui.text_style_height(&egui::TextStyle::Body) + ui.spacing().item_spacing.y
                } else {
                    0.0
                };
            let table_height = (ui.available_height() - status_height).max(0.0);
            ui.allocate_ui(egui::vec2(ui.available_width(), table_height), |ui| {
                actions.extend(self.table.ui(ui).into_iter().map(pane_action));
            });
            self.status_line(ui);
        });
        let response = frame.response;
        self.rect = response.rect;
        let dragging_here =
            egui::DragAndDrop::payload::<DragPayload>(ui.ctx()).is_some_and(|p| p.from != side);
        let files_hovering = side == Side::Right && ui.input(|i| !i.raw.hovered_files.is_empty());
        if accepting && ((dragging_here && response.contains_pointer()) || files_hovering) {
            ui.painter().rect_stroke(
                response.rect,
                4.0,
                egui::Stroke::new(2.0, ui.visuals().selection.bg_fill),
                egui::StrokeKind::Inside,
            );
        }
        if let Some(payload) = response.dnd_release_payload::<DragPayload>()
            && payload.from != side
            && accepting
        {
            actions.push(PaneAction::Dropped {
                payload,
                folder: self.table.folder().to_string(),
                into: None,
            });
        }
        actions
    }

    /// "5 files and 4 folders. Total size: 49 bytes", or what is
    /// selected; then, in warning colour, why the listing may not be
    /// whole.
    fn status_line(&mut self, ui: &mut Ui) {
        let text = if self.folder.is_empty() {
            String::new()
        } else {
            let selected = self.table.selected_tally();
            if selected.files + selected.folders > 0 {
                selection_summary(selected)
            } else {
                contents_summary(self.table.shown_tally(), self.table.is_filtered())
            }
        };
        ui.add(egui::Label::new(text).truncate());
        if let Some(warning) = &self.warning {
            ui.add(
                egui::Label::new(
                    egui::RichText::new(warning.as_str()).color(ui.visuals().warn_fg_color),
                )
                .truncate(),
            )
            .on_hover_text(warning.as_str());
        }
    }

    /// Keys for the pane when it is the active one.
    pub fn handle_keys(&mut self, ui: &Ui) -> Vec<PaneAction> {
        self.table
            .handle_keys(ui)
            .into_iter()
            .map(pane_action)
            .collect()
    }
}

/// "5 files and 4 folders. Total size: 49 bytes" (what a folder holds,
/// or what the filter leaves of it).
pub fn contents_summary(shown: Tally, filtered: bool) -> String {
    let what = if shown.files + shown.folders == 0 {
        match filtered {
            true => "Nothing matches the filter.".to_string(),
            false => "Empty folder.".to_string(),
        }
    } else {
        let mut parts = Vec::new();
        if shown.files > 0 || shown.folders == 0 {
            parts.push(count(shown.files, "file", "files"));
        }
        if shown.folders > 0 {
            parts.push(count(shown.folders, "folder", "folders"));
        }
        let size = match shown.files {
            0 => String::new(),
            _ => format!(" Total size: {}", size_text(shown.bytes)),
        };
        format!("{}.{size}", parts.join(" and "))
    };
    match filtered {
        true => format!("{what} (filtered)"),
        false => what,
    }
}

/// "3 files selected, 12.0 MiB"; "1 folder and 2 files selected, …".
pub fn selection_summary(selected: Tally) -> String {
    let mut parts = Vec::new();
    if selected.folders > 0 {
        parts.push(count(selected.folders, "folder", "folders"));
    }
    if selected.files > 0 {
        parts.push(count(selected.files, "file", "files"));
    }
    let mut text = format!("{} selected", parts.join(" and "));
    if selected.files > 0 {
        text.push_str(&format!(", {}", size_text(selected.bytes)));
    }
    text
}

/// Bytes as people read them: exact below a KiB ("49 bytes"), else
/// "12.00 MiB".
fn size_text(bytes: u64) -> String {
    match bytes {
        0..1024 => count(bytes, "byte", "bytes"),
        _ => human_size(bytes),
    }
}

fn pane_action(action: TableAction) -> PaneAction {
    match action {
        TableAction::Open(row) => PaneAction::Open(row),
        TableAction::Menu(MenuItem::Refresh, _) => PaneAction::Refresh,
        TableAction::Menu(item, rows) => PaneAction::Menu(item, rows),
        TableAction::DroppedOnFolder(payload, row) => PaneAction::Dropped {
            payload,
            into: row.rows.first().map(|r| r.name.clone()),
            folder: row.folder,
        },
        TableAction::Rename { folder, from, to } => PaneAction::Rename { folder, from, to },
        TableAction::Up => PaneAction::Up,
    }
}
