//! The table both panes use: sorted once when rows or the sort change,
//! filtered, virtualised (only visible rows are laid out), with
//! multi-select, inline rename, drag and drop and a context menu. It never
//! acts itself: it reports [`TableAction`]s for the app to carry out.

use std::collections::HashSet;
use std::sync::Arc;

use egui::{Align, Key, Modifiers, RichText, Sense, Ui};
use egui_extras::{Column, TableBuilder};

use super::icons::{Icon, Icons};
use super::rows::{FileRow, human_size, local_time};
use crate::engine::display_text;

const ROW_HEIGHT: f32 = 20.0;
/// Two clicks on a row closer than this are a double-click.
const DOUBLE_CLICK_SECS: f64 = 0.4;
/// Letters typed closer together than this are one name being typed
/// (type-ahead); after a pause the next letter starts a new search.
const TYPE_AHEAD_SECS: f64 = 1.0;

/// Which pane a table, a drag or a menu belongs to: where it is in the
/// window, not what it shows (the left pane shows this computer or a
/// second server; the right one, the server of the connect bar).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Side {
    Left,
    Right,
}

/// What a drag from a pane carries: the dragged rows and where they live.
#[derive(Debug, Clone)]
pub struct DragPayload {
    pub from: Side,
    /// The folder the rows are in (a local path or a remote path).
    pub folder: String,
    pub rows: Vec<FileRow>,
}

/// Rows as the user picked them, with the folder they were listed in:
/// what an action is about is fixed here, at the moment of choice, and
/// never looked up again in whatever folder the pane shows later.
#[derive(Debug, Clone, Default)]
pub struct Picked {
    /// The folder the rows are in (a local path or a remote path).
    pub folder: String,
    pub rows: Vec<FileRow>,
}

/// The column the table is sorted by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum SortColumn {
    Name,
    Size,
    Type,
    Modified,
    Permissions,
    Owner,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Sort {
    pub column: SortColumn,
    pub ascending: bool,
}

impl Default for Sort {
    fn default() -> Sort {
        Sort {
            column: SortColumn::Name,
            ascending: true,
        }
    }
}

/// Entries of the right-click menu.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MenuItem {
    /// Download (remote) or Upload (local) to the other pane's folder.
    Transfer,
    /// Download to a folder picked in a dialog.
    TransferTo,
    Rename,
    /// On a server, deletes for good; on this computer, moves to the trash.
    Delete,
    /// Deletes on this computer without the trash (Shift+Delete).
    DeletePermanently,
    NewFolder,
    CopyUrl,
    Permissions,
    OpenInFileManager,
    Refresh,
    /// A server's file in its application, uploaded again when saved.
    Edit,
    /// A server's file in its application, to look at only.
    View,
    /// Keep the server's folder up to date with this folder (or the
    /// one selected).
    KeepUpToDate,
    /// The server's checksums of the selected files, in a column.
    Checksum,
}

impl Side {
    pub fn other(self) -> Side {
        match self {
            Side::Left => Side::Right,
            Side::Right => Side::Left,
        }
    }
}

/// What a pane shows, which decides its menu: this computer, a server
/// beside this computer, or one of two servers side by side.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PaneKind {
    Computer,
    Server,
    ServerToServer,
}

impl MenuItem {
    fn items(kind: PaneKind) -> &'static [MenuItem] {
        match kind {
            PaneKind::ServerToServer => &[
                MenuItem::Transfer,
                MenuItem::Edit,
                MenuItem::View,
                MenuItem::Checksum,
                MenuItem::Rename,
                MenuItem::Delete,
                MenuItem::NewFolder,
                MenuItem::CopyUrl,
                MenuItem::Permissions,
                MenuItem::Refresh,
            ],
            PaneKind::Server => &[
                MenuItem::Transfer,
                MenuItem::TransferTo,
                MenuItem::Edit,
                MenuItem::View,
                MenuItem::Checksum,
                MenuItem::Rename,
                MenuItem::Delete,
                MenuItem::NewFolder,
                MenuItem::CopyUrl,
                MenuItem::Permissions,
                MenuItem::Refresh,
            ],
            PaneKind::Computer => &[
                MenuItem::Transfer,
                MenuItem::Rename,
                MenuItem::Delete,
                MenuItem::DeletePermanently,
                MenuItem::NewFolder,
                MenuItem::OpenInFileManager,
                MenuItem::KeepUpToDate,
                MenuItem::Refresh,
            ],
        }
    }

    pub fn label(self, kind: PaneKind) -> &'static str {
        match (self, kind) {
            (MenuItem::Transfer, PaneKind::Server) => "Download",
            (MenuItem::Transfer, PaneKind::Computer) => "Upload",
            (MenuItem::Transfer, PaneKind::ServerToServer) => "Copy to the other server",
            (MenuItem::TransferTo, _) => "Download to…",
            (MenuItem::Rename, _) => "Rename",
            (MenuItem::Delete, PaneKind::Computer) => "Move to trash",
            (MenuItem::Delete, _) => "Delete",
            (MenuItem::DeletePermanently, _) => "Delete permanently",
            (MenuItem::NewFolder, _) => "New folder",
            (MenuItem::CopyUrl, _) => "Copy URL",
            (MenuItem::Permissions, _) => "Permissions…",
            (MenuItem::OpenInFileManager, _) => "Open in file manager",
            (MenuItem::Refresh, _) => "Refresh",
            (MenuItem::Edit, _) => "Edit",
            (MenuItem::View, _) => "Open (read only)",
            (MenuItem::KeepUpToDate, _) => "Keep the server folder up to date",
            (MenuItem::Checksum, _) => "Checksum",
        }
    }

    /// Items that make sense with nothing selected.
    fn needs_selection(self) -> bool {
        !matches!(
            self,
            MenuItem::NewFolder
                | MenuItem::Refresh
                | MenuItem::OpenInFileManager
                | MenuItem::KeepUpToDate
        )
    }
}

/// What the user asked of the table this frame. Each action on rows
/// carries them with the folder they were listed in.
#[derive(Debug, Clone)]
pub enum TableAction {
    /// Double-click or Enter on a row (one row).
    Open(Picked),
    /// A menu entry or its key, for the current selection.
    Menu(MenuItem, Picked),
    /// Rows from the other pane were dropped on a folder row of this one
    /// (the picked row).
    DroppedOnFolder(Arc<DragPayload>, Picked),
    /// Inline rename finished with Enter, in `folder`.
    Rename {
        folder: String,
        from: String,
        to: String,
    },
    /// Backspace, Alt+Up, or the `..` row opened.
    Up,
}

/// How many files and folders, and their bytes (folders count none).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tally {
    pub files: u64,
    pub folders: u64,
    pub bytes: u64,
}

impl Tally {
    fn add(&mut self, row: &FileRow) {
        if row.is_dir() {
            self.folders += 1;
        } else {
            self.files += 1;
            self.bytes += row.size.unwrap_or(0);
        }
    }
}

/// Where a row is and what the frame knows, for its clicks and drags.
struct RowContext<'a> {
    position: usize,
    index: usize,
    modifiers: Modifiers,
    folder: &'a str,
    drop_stroke: egui::Stroke,
}

/// The keys a table heard this frame.
struct TableKeys {
    permanent: bool,
    parent: bool,
    down: bool,
    up: bool,
    page_down: bool,
    page_up: bool,
    home: bool,
    end: bool,
    enter: bool,
    delete: bool,
    f2: bool,
    f5: bool,
    all: bool,
    shift: bool,
    /// Letters typed (type-ahead).
    typed: String,
    now: f64,
}

/// Text typed this frame that is a name's letters: not a shortcut (egui
/// sends no text with Ctrl or Cmd held, but Alt may).
fn typed_text(input: &egui::InputState) -> String {
    if input.modifiers.command || input.modifiers.ctrl || input.modifiers.alt {
        return String::new();
    }
    input
        .events
        .iter()
        .filter_map(|event| match event {
            egui::Event::Text(text) => Some(text.as_str()),
            _ => None,
        })
        .collect::<String>()
        .chars()
        .filter(|c| !c.is_control())
        .collect()
}

/// A row's icon, the height of a line of text.
fn icon(ui: &mut Ui, icons: Option<&Icons>, which: Icon) {
    let side = ui.text_style_height(&egui::TextStyle::Body);
    match icons.and_then(|icons| icons.get(which)) {
        Some(texture) => {
            ui.add(egui::Image::new((texture.id(), egui::vec2(side, side))));
        }
        None => {
            ui.add_space(side + ui.spacing().item_spacing.x);
        }
    }
}

/// Whether a folder has a parent to show as `..`: every folder but a root
/// (`/` on a server or here, a drive's root on Windows) and no folder at
/// all (an empty pane).
fn has_parent(folder: &str) -> bool {
    !folder.is_empty() && std::path::Path::new(folder).parent().is_some()
}

struct InlineRename {
    row: usize,
    text: String,
    focused: bool,
}

pub struct FileTable {
    /// View → Compare folders: rows marked against the other pane's, by
    /// name (empty when not comparing).
    pub marks: std::collections::HashMap<String, super::compare::Mark>,
    /// Right-click → Checksum: the server's checksums asked for, by name;
    /// a Checksum column shows while there are any (a new listing clears
    /// them).
    pub checksums: std::collections::HashMap<String, String>,
    side: Side,
    kind: PaneKind,
    rows: Vec<FileRow>,
    /// The folder `rows` were listed in (the pane's own `folder` moves
    /// on as soon as the server accepts a CWD, before the new rows come).
    folder: String,
    /// Lowercase names, for sorting and filtering without allocating.
    keys: Vec<String>,
    /// Indices into `rows`, sorted and filtered: what is shown.
    order: Vec<usize>,
    /// Whether a `..` row (the parent folder) is shown above `order`:
    /// every folder but a root has one. Positions (cursor, anchor, the
    /// table's row numbers) count it; it is never part of a selection,
    /// so no action can ever be about "..".
    parent_row: bool,
    /// What `order` holds, for the pane's status line.
    shown: Tally,
    /// Some row names its owner: the Owner/Group column shows.
    has_owner: bool,
    /// What the selection holds; `None` when it changed since counted.
    selected_tally: Option<Tally>,
    /// Rows that fit in the table's height (Page Up / Page Down).
    page_rows: usize,
    /// Loaded at the first frame (textures belong to the window).
    icons: Option<Icons>,
    /// Type-ahead: the letters typed so far and when the last came.
    typed: String,
    typed_at: f64,
    sort: Sort,
    filter: String,
    selected: HashSet<usize>,
    /// Position (see `parent_row`) where a Shift range starts.
    anchor: Option<usize>,
    /// Position (see `parent_row`) the keyboard is on.
    cursor: Option<usize>,
    scroll_to_cursor: bool,
    renaming: Option<InlineRename>,
    /// The row clicked last (`None`: the `..` row) and when, to see
    /// double-clicks.
    last_click: Option<(Option<usize>, f64)>,
    /// Bumped whenever the rows are replaced; a menu opened before that is
    /// closed rather than acting on whatever row is now in its place.
    generation: u64,
    menu_generation: u64,
}

impl FileTable {
    pub fn new(side: Side, sort: Sort) -> FileTable {
        FileTable {
            side,
            kind: match side {
                Side::Left => PaneKind::Computer,
                Side::Right => PaneKind::Server,
            },
            rows: Vec::new(),
            folder: String::new(),
            keys: Vec::new(),
            order: Vec::new(),
            parent_row: false,
            shown: Tally::default(),
            has_owner: false,
            selected_tally: Some(Tally::default()),
            page_rows: 10,
            icons: None,
            typed: String::new(),
            typed_at: f64::NEG_INFINITY,
            sort,
            filter: String::new(),
            selected: HashSet::new(),
            anchor: None,
            cursor: None,
            scroll_to_cursor: false,
            renaming: None,
            last_click: None,
            checksums: std::collections::HashMap::new(),
            marks: std::collections::HashMap::new(),
            generation: 0,
            menu_generation: 0,
        }
    }

    /// Counts the listings shown: a new one, a new count.
    pub fn generation(&self) -> u64 {
        self.generation
    }

    /// What the pane shows now (its menu follows).
    pub fn set_kind(&mut self, kind: PaneKind) {
        self.kind = kind;
    }

    /// New contents (a listing of `folder` arrived): selection and rename
    /// end.
    pub fn set_rows(&mut self, folder: String, rows: Vec<FileRow>) {
        self.generation += 1;
        self.parent_row = has_parent(&folder);
        self.folder = folder;
        self.keys = rows.iter().map(|r| r.name.to_lowercase()).collect();
        self.has_owner = rows.iter().any(|r| r.owner.is_some());
        self.checksums.clear();
        self.rows = rows;
        self.selected.clear();
        self.selected_tally = None;
        self.anchor = None;
        self.cursor = None;
        self.renaming = None;
        // A click before new rows and one after are not a double-click:
        // the row under the pointer may be another file now.
        self.last_click = None;
        self.rebuild_order();
    }

    pub fn rows(&self) -> &[FileRow] {
        &self.rows
    }

    /// The folder the rows shown were listed in.
    pub fn folder(&self) -> &str {
        &self.folder
    }

    /// `rows`, with the folder they are in.
    pub fn pick(&self, rows: Vec<FileRow>) -> Picked {
        Picked {
            folder: self.folder.clone(),
            rows,
        }
    }

    /// Whether an inline rename is open (it has the keyboard).
    pub fn is_renaming(&self) -> bool {
        self.renaming.is_some()
    }

    pub fn visible_len(&self) -> usize {
        self.order.len()
    }

    /// Whether the `..` row is shown.
    pub fn has_parent_row(&self) -> bool {
        self.parent_row
    }

    /// The name of the row the keyboard is on (`..` for the parent row).
    pub fn cursor_name(&self) -> Option<&str> {
        let position = self.cursor?;
        match self.row_at(position) {
            Some(index) => Some(&self.rows[index].name),
            None => Some(".."),
        }
    }

    /// What is shown (after the filter), for the status line.
    pub fn shown_tally(&self) -> Tally {
        self.shown
    }

    /// Whether a filter hides some rows.
    pub fn is_filtered(&self) -> bool {
        !self.filter.is_empty()
    }

    /// What is selected, counted once per change of the selection.
    pub fn selected_tally(&mut self) -> Tally {
        if let Some(tally) = self.selected_tally {
            return tally;
        }
        let mut tally = Tally::default();
        for &index in &self.selected {
            tally.add(&self.rows[index]);
        }
        self.selected_tally = Some(tally);
        tally
    }

    /// Rows shown, the `..` row included.
    fn positions(&self) -> usize {
        self.order.len() + usize::from(self.parent_row)
    }

    /// The row at a position; `None` for the `..` row.
    fn row_at(&self, position: usize) -> Option<usize> {
        let position = position.checked_sub(usize::from(self.parent_row))?;
        self.order.get(position).copied()
    }

    /// Replaces the selection.
    fn select(&mut self, rows: HashSet<usize>) {
        self.selected = rows;
        self.selected_tally = None;
    }

    pub fn sort(&self) -> Sort {
        self.sort
    }

    pub fn set_filter(&mut self, filter: &str) {
        let filter = filter.to_lowercase();
        if filter != self.filter {
            self.filter = filter;
            self.rebuild_order();
        }
    }

    pub fn set_sort(&mut self, sort: Sort) {
        if sort != self.sort {
            self.sort = sort;
            self.rebuild_order();
        }
    }

    /// The selected rows, in the order shown.
    pub fn selection(&self) -> Vec<FileRow> {
        self.order
            .iter()
            .filter(|i| self.selected.contains(i))
            .map(|&i| self.rows[i].clone())
            .collect()
    }

    pub fn selection_is_empty(&self) -> bool {
        self.selected.is_empty()
    }

    /// Every row shown (never the `..` row).
    pub fn select_all(&mut self) {
        let every = self.order.iter().copied().collect();
        self.select(every);
    }

    /// Selects the rows with these names (for tests and "select after
    /// create").
    pub fn select_names(&mut self, names: &[&str]) {
        let chosen = self
            .order
            .iter()
            .copied()
            .filter(|&i| names.contains(&self.rows[i].name.as_str()))
            .collect();
        self.select(chosen);
    }

    /// Starts an inline rename of the first selected row.
    pub fn begin_rename(&mut self) {
        let first = self
            .order
            .iter()
            .copied()
            .find(|i| self.selected.contains(i));
        if let Some(row) = first {
            self.renaming = Some(InlineRename {
                row,
                text: self.rows[row].name.clone(),
                focused: false,
            });
        }
    }

    fn rebuild_order(&mut self) {
        let filter = &self.filter;
        let mut order: Vec<usize> = (0..self.rows.len())
            .filter(|&i| filter.is_empty() || self.keys[i].contains(filter.as_str()))
            .collect();
        let rows = &self.rows;
        let keys = &self.keys;
        let sort = self.sort;
        // Each row's type once, not twice per comparison.
        let types: Vec<_> = match sort.column {
            SortColumn::Type => rows.iter().map(FileRow::type_name).collect(),
            _ => Vec::new(),
        };
        order.sort_by(|&a, &b| {
            let (ra, rb) = (&rows[a], &rows[b]);
            // Folders first, whatever the column and direction.
            let folders = rb.is_dir().cmp(&ra.is_dir());
            let by_column = match sort.column {
                SortColumn::Name => keys[a].cmp(&keys[b]),
                SortColumn::Size => ra.size.cmp(&rb.size),
                SortColumn::Type => types[a].cmp(&types[b]),
                SortColumn::Modified => ra.modified.cmp(&rb.modified),
                SortColumn::Permissions => ra.permissions.cmp(&rb.permissions),
                SortColumn::Owner => ra.owner.cmp(&rb.owner),
            }
            .then_with(|| keys[a].cmp(&keys[b]));
            folders.then(if sort.ascending {
                by_column
            } else {
                by_column.reverse()
            })
        });
        let mut tally = Tally::default();
        for &index in &order {
            tally.add(&self.rows[index]);
        }
        self.shown = tally;
        self.order = order;
        let shown: HashSet<usize> = self.order.iter().copied().collect();
        self.selected.retain(|i| shown.contains(i));
        self.selected_tally = None;
        let positions = self.positions();
        self.cursor = self.cursor.filter(|&c| c < positions);
        self.anchor = self.anchor.filter(|&c| c < positions);
    }

    /// Keys for the table when its pane is the active one and no text
    /// field has the keyboard. The caller asks before anything is drawn,
    /// so that a key belongs to whoever had the keyboard when it was
    /// pressed (a field that Enter ends has lost the focus by the time
    /// later code could ask).
    pub fn handle_keys(&mut self, ui: &Ui) -> Vec<TableAction> {
        let mut actions = Vec::new();
        if self.renaming.is_some() || ui.ctx().egui_wants_keyboard_input() {
            return actions;
        }
        let keys = ui.input_mut(|i| {
            // Windows turns Shift+Delete into Cut before we see it.
            let windows_shift_delete = cfg!(windows)
                && i.modifiers.shift
                && !i.modifiers.command
                && i.events.iter().any(|e| matches!(e, egui::Event::Cut));
            let either = |i: &mut egui::InputState, key| {
                i.consume_key(Modifiers::COMMAND, key) || i.consume_key(Modifiers::NONE, key)
            };
            TableKeys {
                // Before plain Delete, which a Shift+Delete also matches
                // (egui ignores an extra Shift when matching), and Alt+Up
                // before plain Up (an extra Alt is ignored too).
                permanent: i.consume_key(Modifiers::SHIFT, Key::Delete) || windows_shift_delete,
                parent: i.consume_key(Modifiers::ALT, Key::ArrowUp)
                    || i.consume_key(Modifiers::NONE, Key::Backspace),
                down: i.consume_key(Modifiers::NONE, Key::ArrowDown),
                up: i.consume_key(Modifiers::NONE, Key::ArrowUp),
                page_down: i.consume_key(Modifiers::NONE, Key::PageDown),
                page_up: i.consume_key(Modifiers::NONE, Key::PageUp),
                home: either(i, Key::Home),
                end: either(i, Key::End),
                enter: i.consume_key(Modifiers::NONE, Key::Enter),
                delete: i.consume_key(Modifiers::NONE, Key::Delete),
                f2: i.consume_key(Modifiers::NONE, Key::F2),
                f5: i.consume_key(Modifiers::NONE, Key::F5),
                all: i.consume_key(Modifiers::COMMAND, Key::A),
                shift: i.modifiers.shift,
                typed: typed_text(i),
                now: i.time,
            }
        });
        let last = self.positions().checked_sub(1);
        let page = self.page_rows.max(1);
        let target = match (last, self.cursor) {
            (None, _) => None,
            (Some(last), cursor) => {
                let here = cursor.unwrap_or(0);
                let fresh = cursor.is_none();
                if keys.home {
                    Some(0)
                } else if keys.end {
                    Some(last)
                } else if keys.down {
                    Some(if fresh { 0 } else { (here + 1).min(last) })
                } else if keys.up {
                    Some(here.saturating_sub(1))
                } else if keys.page_down {
                    Some(if fresh { 0 } else { (here + page).min(last) })
                } else if keys.page_up {
                    Some(here.saturating_sub(page))
                } else {
                    None
                }
            }
        };
        if let Some(position) = target {
            self.move_cursor(position, keys.shift);
        }
        if !keys.typed.is_empty() {
            self.type_ahead(&keys.typed, keys.now);
        }
        if keys.all {
            self.select_all();
        }
        if keys.enter
            && let Some(position) = self.cursor
        {
            match self.row_at(position) {
                Some(row) => {
                    actions.push(TableAction::Open(self.pick(vec![self.rows[row].clone()])));
                }
                None => actions.push(TableAction::Up),
            }
        }
        if keys.parent {
            actions.push(TableAction::Up);
        }
        if (keys.delete || keys.permanent) && !self.selected.is_empty() {
            let item = match keys.permanent {
                true => MenuItem::DeletePermanently,
                false => MenuItem::Delete,
            };
            actions.push(TableAction::Menu(item, self.pick(self.selection())));
        }
        if keys.f2 {
            self.begin_rename();
        }
        if keys.f5 {
            actions.push(TableAction::Menu(MenuItem::Refresh, Picked::default()));
        }
        actions
    }

    /// Letters typed on the table jump to the first name that starts
    /// with what was typed (the pause before them decides whether they
    /// continue the name or start a new one); the same letter again goes
    /// on to the next name that starts with it, as in file managers.
    fn type_ahead(&mut self, text: &str, now: f64) {
        if now - self.typed_at > TYPE_AHEAD_SECS {
            self.typed.clear();
        }
        self.typed_at = now;
        self.typed.push_str(&text.to_lowercase());
        let mut letters = self.typed.chars();
        let first = letters.next();
        let repeated = first.is_some_and(|f| letters.all(|c| c == f));
        // A new search or one letter again looks past the current row; a
        // longer name may still be the current row.
        let (prefix, skip) = match repeated {
            true => (&self.typed[..first.map_or(0, char::len_utf8)], 1),
            false => (self.typed.as_str(), 0),
        };
        let offset = usize::from(self.parent_row);
        let len = self.order.len();
        if len == 0 {
            return;
        }
        let from = self
            .cursor
            .and_then(|c| c.checked_sub(offset))
            .map_or(0, |c| c + skip);
        let found = (0..len)
            .map(|step| (from + step) % len)
            .find(|&p| self.keys[self.order[p]].starts_with(prefix));
        if let Some(position) = found {
            self.move_cursor(position + offset, false);
        }
    }

    fn move_cursor(&mut self, position: usize, extend: bool) {
        self.cursor = Some(position);
        self.scroll_to_cursor = true;
        let rows = if extend {
            let anchor = *self.anchor.get_or_insert(position);
            let (a, b) = (anchor.min(position), anchor.max(position));
            (a..=b).filter_map(|p| self.row_at(p)).collect()
        } else {
            self.anchor = Some(position);
            self.row_at(position).into_iter().collect()
        };
        self.select(rows);
    }

    /// A click on the row at `position`, as file managers treat it.
    fn click(&mut self, position: usize, modifiers: Modifiers) {
        if modifiers.command {
            if let Some(row) = self.row_at(position)
                && !self.selected.remove(&row)
            {
                self.selected.insert(row);
            }
            self.selected_tally = None;
            self.anchor = Some(position);
            self.cursor = Some(position);
        } else if modifiers.shift {
            self.move_cursor(position, true);
        } else {
            self.move_cursor(position, false);
        }
    }

    /// Draws the table.
    pub fn ui(&mut self, ui: &mut Ui) -> Vec<TableAction> {
        if self.icons.is_none() {
            self.icons = Some(Icons::load(ui.ctx()));
        }
        let mut actions = Vec::new();
        let folder = self.folder.clone();
        let folder = folder.as_str();
        let side = self.side;
        let modifiers = ui.input(|i| i.modifiers);
        let drop_stroke = ui.visuals().selection.stroke;
        let mut builder = TableBuilder::new(ui)
            .id_salt(("file-table", side))
            .striped(true)
            .resizable(true)
            .sense(Sense::click_and_drag())
            .cell_layout(egui::Layout::left_to_right(Align::Center))
            // The name takes what the others leave, so the table fits any
            // pane width.
            .column(Column::remainder().at_least(100.0).clip(true))
            .column(Column::initial(72.0).at_least(40.0).clip(true))
            .column(Column::initial(80.0).at_least(30.0).clip(true))
            .column(Column::initial(118.0).at_least(50.0).clip(true))
            .column(Column::initial(84.0).at_least(40.0).clip(true));
        let has_owner = self.has_owner;
        if has_owner {
            builder = builder.column(Column::initial(90.0).at_least(40.0).clip(true));
        }
        let has_checksums = !self.checksums.is_empty();
        if has_checksums {
            builder = builder.column(Column::initial(160.0).at_least(60.0).clip(true));
        }
        // The table takes the height it is given, however small (egui's
        // default minimum of 200 points pushed the status line under it
        // out of the pane once the folder tree took its share).
        builder = builder.auto_shrink([false, false]).min_scrolled_height(0.0);
        if self.scroll_to_cursor {
            if let Some(cursor) = self.cursor {
                builder = builder.scroll_to_row(cursor, None);
            }
            self.scroll_to_cursor = false;
        }
        let mut new_sort = None;
        let table = builder.header(ROW_HEIGHT, |mut header| {
            let columns = [
                (SortColumn::Name, "Name"),
                (SortColumn::Size, "Size"),
                (SortColumn::Type, "Type"),
                (SortColumn::Modified, "Modified"),
                (SortColumn::Permissions, "Permissions"),
                (SortColumn::Owner, "Owner/Group"),
            ];
            let shown = columns.into_iter().take(5 + usize::from(has_owner));
            for (column, title) in shown {
                header.col(|ui| {
                    let active = self.sort.column == column;
                    let arrow = match (active, self.sort.ascending) {
                        (false, _) => "",
                        (true, true) => " ^",
                        (true, false) => " v",
                    };
                    if ui
                        .selectable_label(active, RichText::new(format!("{title}{arrow}")).strong())
                        .clicked()
                    {
                        new_sort = Some(Sort {
                            column,
                            ascending: !(active && self.sort.ascending),
                        });
                    }
                });
            }
            if has_checksums {
                header.col(|ui| {
                    ui.label(RichText::new("Checksum").strong());
                });
            }
        });
        table.body(|mut body| {
            let row_step = ROW_HEIGHT + body.ui_mut().spacing().item_spacing.y;
            self.page_rows = ((body.max_rect().height() / row_step).floor() as usize).max(1);
            body.rows(ROW_HEIGHT, self.positions(), |mut row| {
                let position = row.index();
                let Some(index) = self.row_at(position) else {
                    self.parent_row_ui(&mut row, position, &mut actions);
                    return;
                };
                row.set_selected(self.selected.contains(&index));
                let entry = self.rows[index].clone();
                let type_name = entry.type_name();
                let renaming_this = self.renaming.as_ref().is_some_and(|r| r.row == index);
                let mut rename_done = None;
                row.col(|ui| {
                    if renaming_this {
                        rename_done = self.rename_field(ui);
                    } else {
                        icon(ui, self.icons.as_ref(), Icon::of(&entry, &type_name));
                        let mark = self.marks.get(&entry.name).copied();
                        let mut name = RichText::new(display_text(&entry.name));
                        if let Some(mark) = mark {
                            name = name.color(mark_colour(ui.visuals(), mark));
                        }
                        let mut label = ui.add(egui::Label::new(name).selectable(false).truncate());
                        if let Some(mark) = mark {
                            label = label.on_hover_text(mark.describe());
                        }
                        if let Some(target) = &entry.link_target {
                            label.on_hover_text(format!("A link to {}", display_text(target)));
                        }
                    }
                });
                row.col(|ui| {
                    if let Some(size) = entry.size.filter(|_| !entry.is_dir()) {
                        ui.add(egui::Label::new(human_size(size)).selectable(false));
                    }
                });
                row.col(|ui| {
                    ui.add(
                        egui::Label::new(type_name.as_ref())
                            .selectable(false)
                            .truncate(),
                    );
                });
                row.col(|ui| {
                    if let Some(time) = entry.modified {
                        ui.add(egui::Label::new(local_time(time)).selectable(false));
                    }
                });
                row.col(|ui| {
                    // Monospace: the proportional font's shaping drew
                    // "r--r--" as "r–r–".
                    let (text, hover) = entry.permissions_text();
                    let label = ui.add(
                        egui::Label::new(RichText::new(display_text(&text)).monospace())
                            .selectable(false)
                            .truncate(),
                    );
                    if let Some(hover) = hover {
                        label.on_hover_text(display_text(&hover));
                    }
                });
                if has_owner {
                    row.col(|ui| {
                        let owner = entry.owner.as_deref().unwrap_or_default();
                        ui.add(
                            egui::Label::new(display_text(owner))
                                .selectable(false)
                                .truncate(),
                        );
                    });
                }
                if has_checksums {
                    row.col(|ui| {
                        let sum = self.checksums.get(&entry.name).map_or("", String::as_str);
                        ui.add(
                            egui::Label::new(RichText::new(display_text(sum)).monospace())
                                .selectable(false)
                                .truncate(),
                        )
                        .on_hover_text(display_text(sum));
                    });
                }
                if let Some(done) = rename_done {
                    let from = self.rows[index].name.clone();
                    self.renaming = None;
                    if let Some(to) = done.filter(|to| !to.is_empty() && *to != from) {
                        actions.push(TableAction::Rename {
                            folder: self.folder.clone(),
                            from,
                            to,
                        });
                    }
                }
                let response = row.response();
                let context = RowContext {
                    position,
                    index,
                    modifiers,
                    folder,
                    drop_stroke,
                };
                self.row_interaction(&response, &context, &mut actions);
            });
        });
        if let Some(sort) = new_sort {
            self.set_sort(sort);
        }
        actions
    }

    /// The `..` row: opens the parent folder; never selected, dragged or
    /// renamed, and it has no menu.
    fn parent_row_ui(
        &mut self,
        row: &mut egui_extras::TableRow<'_, '_>,
        position: usize,
        actions: &mut Vec<TableAction>,
    ) {
        row.set_selected(self.cursor == Some(position) && self.selected.is_empty());
        let icons = self.icons.as_ref();
        row.col(|ui| {
            icon(ui, icons, Icon::Parent);
            ui.add(egui::Label::new("..").selectable(false));
        });
        let extra = usize::from(self.has_owner) + usize::from(!self.checksums.is_empty());
        for _ in 0..(4 + extra) {
            row.col(|_| {});
        }
        let response = row.response();
        if response.clicked() {
            let now = response.ctx.input(|i| i.time);
            let double = self
                .last_click
                .is_some_and(|(row, at)| row.is_none() && now - at < DOUBLE_CLICK_SECS);
            if double {
                self.last_click = None;
                actions.push(TableAction::Up);
            } else {
                self.last_click = Some((None, now));
                self.move_cursor(position, false);
            }
        }
    }

    /// The inline rename editor; `Some(Some(name))` on Enter, `Some(None)`
    /// on Escape or when it loses focus.
    fn rename_field(&mut self, ui: &mut Ui) -> Option<Option<String>> {
        let rename = self.renaming.as_mut()?;
        let edit = ui.add(
            egui::TextEdit::singleline(&mut rename.text)
                .id_salt(("rename", self.side))
                .desired_width(f32::INFINITY),
        );
        if !rename.focused {
            edit.request_focus();
            rename.focused = true;
            return None;
        }
        if edit.lost_focus() {
            let enter = ui.input(|i| i.key_pressed(Key::Enter));
            return Some(enter.then(|| rename.text.trim().to_string()));
        }
        None
    }

    fn row_interaction(
        &mut self,
        response: &egui::Response,
        context: &RowContext<'_>,
        actions: &mut Vec<TableAction>,
    ) {
        let RowContext {
            position,
            index,
            modifiers,
            folder,
            drop_stroke,
        } = *context;
        let side = self.side;
        if response.clicked() {
            // egui reports a click on a row that can also be dragged a
            // frame late, without its double-click flag, so the table
            // counts double-clicks itself.
            let now = response.ctx.input(|i| i.time);
            let double = self
                .last_click
                .is_some_and(|(row, at)| row == Some(index) && now - at < DOUBLE_CLICK_SECS);
            if double && !modifiers.command && !modifiers.shift {
                self.last_click = None;
                actions.push(TableAction::Open(self.pick(vec![self.rows[index].clone()])));
            } else {
                self.last_click = Some((Some(index), now));
                self.click(position, modifiers);
            }
        }
        if response.secondary_clicked() && !self.selected.contains(&index) {
            self.move_cursor(position, false);
        }
        if response.drag_started() {
            if !self.selected.contains(&index) {
                self.move_cursor(position, false);
            }
            egui::DragAndDrop::set_payload(
                &response.ctx,
                DragPayload {
                    from: side,
                    folder: folder.to_string(),
                    rows: self.selection(),
                },
            );
        }
        if self.rows[index].is_dir() {
            let from_other = |p: &DragPayload| p.from != side;
            if response
                .dnd_hover_payload::<DragPayload>()
                .is_some_and(|p| from_other(&p))
            {
                response
                    .ctx
                    .layer_painter(egui::LayerId::new(
                        egui::Order::Foreground,
                        egui::Id::unique("drop-row"),
                    ))
                    .rect_stroke(response.rect, 2.0, drop_stroke, egui::StrokeKind::Inside);
            }
            if let Some(payload) = response.dnd_release_payload::<DragPayload>()
                && from_other(&payload)
            {
                actions.push(TableAction::DroppedOnFolder(
                    payload,
                    self.pick(vec![self.rows[index].clone()]),
                ));
            }
        }
        if response.secondary_clicked() {
            self.menu_generation = self.generation;
        }
        let kind = self.kind;
        let stale = self.menu_generation != self.generation;
        // Runs only while this row's menu is open: the selection (maybe
        // every row) is gathered then, not for every row every frame.
        response.context_menu(|ui| {
            // The rows changed under an open menu (a refresh): what it was
            // opened on may not be here any more, so it closes.
            if stale {
                ui.close();
                return;
            }
            let selection = self.pick(self.selection());
            for &item in MenuItem::items(kind) {
                let enabled = !item.needs_selection() || !selection.rows.is_empty();
                if ui
                    .add_enabled(enabled, egui::Button::new(item.label(kind)))
                    .clicked()
                {
                    match item {
                        MenuItem::Rename => self.begin_rename(),
                        _ => actions.push(TableAction::Menu(item, selection.clone())),
                    }
                    ui.close();
                }
            }
        });
    }
}

/// The colour of a compared row's name, from the theme's own (which the
/// window keeps legible in both themes).
pub fn mark_colour(visuals: &egui::Visuals, mark: super::compare::Mark) -> egui::Color32 {
    match mark {
        super::compare::Mark::OnlyHere => visuals.hyperlink_color,
        super::compare::Mark::NewerHere => visuals.warn_fg_color,
        super::compare::Mark::SizeDiffers => visuals.error_fg_color,
    }
}
