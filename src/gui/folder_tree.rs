//! The folder tree above a list (View → Folder trees), as FileZilla shows
//! it: the path from the root to the folder shown, opened, and beside it
//! every folder the pane has listed this session, each a click away. It
//! is built only from listings the pane already read, so drawing it reads
//! no disk and asks no server anything; a folder never listed shows no
//! children yet (its arrow opens it in the pane, which lists it).

use std::collections::{BTreeMap, BTreeSet, HashSet};

use egui::{Sense, Ui, vec2};

use super::rows::FileRow;
use crate::engine::display_text;

/// The most rows the tree draws: a tree with more is cut, with a note.
const MAX_ROWS: usize = 2_000;

#[derive(Default)]
pub struct FolderTree {
    /// Folder → the folders it holds, as last listed.
    children: BTreeMap<String, BTreeSet<String>>,
    /// Folders opened in the tree by hand (the path to the folder shown
    /// is always open).
    expanded: HashSet<String>,
}

impl FolderTree {
    /// A listing of `folder` arrived: its subfolders are what the tree
    /// shows under it from now on.
    pub fn learn(&mut self, folder: &str, rows: &[FileRow]) {
        if folder.is_empty() {
            return;
        }
        let folders = rows
            .iter()
            .filter(|r| r.is_dir())
            .map(|r| r.name.clone())
            .collect();
        self.children.insert(folder.to_string(), folders);
    }

    /// Forgets everything (another server, or this computer again).
    pub fn clear(&mut self) {
        self.children.clear();
        self.expanded.clear();
    }

    /// Draws the tree for a pane showing `current`; the folder clicked,
    /// if any, to open in the pane.
    pub fn ui(&mut self, ui: &mut Ui, current: &str, height: f32) -> Option<String> {
        if current.is_empty() {
            return None;
        }
        let path = ancestors(current);
        let root = path.first().cloned().unwrap_or_else(|| current.to_string());
        let mut rows = Vec::new();
        self.collect(&root, 0, &path, &mut rows);
        let mut open = None;
        egui::ScrollArea::vertical()
            .id_salt(("folder-tree", current.starts_with('/')))
            .max_height(height)
            .auto_shrink([false, true])
            .show(ui, |ui| {
                for row in rows.iter().take(MAX_ROWS) {
                    if let Some(action) = self.row_ui(ui, row, current) {
                        match action {
                            RowAction::Open => open = Some(row.path.clone()),
                            RowAction::Toggle => {
                                if !self.expanded.remove(&row.path) {
                                    self.expanded.insert(row.path.clone());
                                }
                                // A folder never listed is listed by
                                // opening it.
                                if !self.children.contains_key(&row.path) {
                                    open = Some(row.path.clone());
                                }
                            }
                        }
                    }
                }
                if rows.len() > MAX_ROWS {
                    ui.weak(format!("… and {} more folders", rows.len() - MAX_ROWS));
                }
            });
        open
    }

    /// The rows to draw, depth first, folders by name.
    fn collect(&self, folder: &str, depth: usize, path: &[String], rows: &mut Vec<TreeRow>) {
        if rows.len() > MAX_ROWS {
            return;
        }
        let on_path = path.iter().any(|p| p == folder);
        let open = on_path || self.expanded.contains(folder);
        let listed = self.children.get(folder);
        rows.push(TreeRow {
            path: folder.to_string(),
            name: name_of(folder).to_string(),
            depth,
            open,
            may_have_children: listed.is_none_or(|c| !c.is_empty()),
        });
        if !open {
            return;
        }
        let mut kids: Vec<String> = listed
            .map(|c| c.iter().map(|name| join(folder, name)).collect())
            .unwrap_or_default();
        // The next folder on the way to the one shown, listed or not.
        if let Some(next) = path.iter().skip_while(|p| *p != folder).nth(1)
            && !kids.contains(next)
        {
            kids.push(next.clone());
            kids.sort();
        }
        for kid in kids {
            self.collect(&kid, depth + 1, path, rows);
        }
    }

    fn row_ui(&self, ui: &mut Ui, row: &TreeRow, current: &str) -> Option<RowAction> {
        let mut action = None;
        ui.horizontal(|ui| {
            ui.add_space(row.depth as f32 * 14.0);
            let side = ui.text_style_height(&egui::TextStyle::Body);
            let (rect, arrow) = ui.allocate_exact_size(vec2(side, side), Sense::click());
            if row.may_have_children {
                let colour = ui.visuals().text_color();
                let c = rect.center();
                let r = side * 0.25;
                let points = match row.open {
                    true => vec![
                        c + vec2(-r, -r * 0.5),
                        c + vec2(r, -r * 0.5),
                        c + vec2(0.0, r),
                    ],
                    false => vec![
                        c + vec2(-r * 0.5, -r),
                        c + vec2(r, 0.0),
                        c + vec2(-r * 0.5, r),
                    ],
                };
                ui.painter().add(egui::Shape::convex_polygon(
                    points,
                    colour,
                    egui::Stroke::NONE,
                ));
                if arrow.clicked() {
                    action = Some(RowAction::Toggle);
                }
            }
            let label = ui.selectable_label(row.path == current, display_text(&row.name));
            if label.clicked() {
                action = Some(RowAction::Open);
            }
        });
        action
    }
}

struct TreeRow {
    path: String,
    name: String,
    depth: usize,
    open: bool,
    may_have_children: bool,
}

enum RowAction {
    Open,
    Toggle,
}

/// `/a/b/c` → [`/`, `/a`, `/a/b`, `/a/b/c`]; a Windows path the same way
/// from its drive.
fn ancestors(folder: &str) -> Vec<String> {
    let mut chain: Vec<String> = std::path::Path::new(folder)
        .ancestors()
        .map(|p| p.to_string_lossy().into_owned())
        .filter(|p| !p.is_empty())
        .collect();
    chain.reverse();
    chain
}

fn name_of(folder: &str) -> &str {
    match folder.trim_end_matches(['/', '\\']) {
        "" => folder,
        trimmed => trimmed.rsplit(['/', '\\']).next().unwrap_or(trimmed),
    }
}

fn join(folder: &str, name: &str) -> String {
    std::path::Path::new(folder)
        .join(name)
        .to_string_lossy()
        .into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gui::rows::RowKind;

    fn folder(name: &str) -> FileRow {
        FileRow::named(name, RowKind::Dir)
    }

    #[test]
    fn the_path_to_the_folder_shown_is_open_with_what_was_listed() {
        let mut tree = FolderTree::default();
        tree.learn("/", &[folder("home"), folder("srv")]);
        tree.learn("/home/alice/www", &[folder("css"), folder("img")]);
        let path = ancestors("/home/alice/www");
        assert_eq!(path, ["/", "/home", "/home/alice", "/home/alice/www"]);
        let mut rows = Vec::new();
        tree.collect("/", 0, &path, &mut rows);
        let shown: Vec<(usize, &str)> = rows.iter().map(|r| (r.depth, r.name.as_str())).collect();
        assert_eq!(
            shown,
            [
                (0, "/"),
                (1, "home"),
                (2, "alice"),
                (3, "www"),
                (4, "css"),
                (4, "img"),
                (1, "srv"),
            ]
        );
        // srv was never listed: it may hold folders, and is closed.
        let srv = rows.iter().find(|r| r.name == "srv").unwrap();
        assert!(srv.may_have_children && !srv.open);
    }
}
