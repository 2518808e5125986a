//! The menu bar (File, Edit, View, Transfer, Server, Help) and the
//! window-wide shortcuts: every action of the window is in a menu, with its
//! key shown beside it, as in FileZilla. The bar and the keys both report
//! [`MenuAction`]s; the app carries them out.

use egui::{Key, KeyboardShortcut, Modifiers, Ui};

/// What the user picked from a menu or pressed a window-wide key for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MenuAction {
    SiteManager,
    ImportFileZilla,
    ExportFileZilla,
    SaveLog,
    Quit,
    /// Acts on the active pane's selection, as its keys do.
    Rename,
    Delete,
    SelectAll,
    NewFolder,
    Settings,
    Refresh,
    /// Show or hide the folder trees above the lists.
    FolderTrees,
    /// Mark rows against the other pane's (or stop).
    CompareFolders,
    /// Opening a folder in one pane opens the same one in the other.
    SyncBrowsing,
    /// Preview and run a mirror between the two panes' folders.
    Synchronize,
    ZoomIn,
    ZoomOut,
    ZoomReset,
    /// Transfer the active pane's selection to the other pane.
    Transfer,
    CancelAll,
    /// Pause or resume the queue (the menu says which).
    PauseQueue,
    Reconnect,
    Disconnect,
    /// Put the keyboard in the raw command field.
    RawCommand,
    /// Find files on the server (a window of its own).
    Find,
    Shortcuts,
    About,
}

/// A shortcut the window answers wherever the keyboard is (unless a text
/// field or a question has it), and its label in the menus.
struct Shortcut {
    action: MenuAction,
    key: KeyboardShortcut,
}

const fn key(modifiers: Modifiers, key: Key) -> KeyboardShortcut {
    KeyboardShortcut::new(modifiers, key)
}

/// Keys that work anywhere in the window. The panes' own keys (arrows,
/// Home/End, Enter, Delete, F2, F5, Backspace, Ctrl+A, type-ahead) are in
/// the file table; they are listed in [`PANE_KEYS`].
const SHORTCUTS: &[Shortcut] = &[
    Shortcut {
        action: MenuAction::SiteManager,
        key: key(Modifiers::COMMAND, Key::S),
    },
    Shortcut {
        action: MenuAction::Quit,
        key: key(Modifiers::COMMAND, Key::Q),
    },
    Shortcut {
        action: MenuAction::Settings,
        key: key(Modifiers::COMMAND, Key::Comma),
    },
    Shortcut {
        action: MenuAction::ZoomIn,
        key: key(Modifiers::COMMAND, Key::Plus),
    },
    Shortcut {
        action: MenuAction::ZoomOut,
        key: key(Modifiers::COMMAND, Key::Minus),
    },
    Shortcut {
        action: MenuAction::ZoomReset,
        key: key(Modifiers::COMMAND, Key::Num0),
    },
    Shortcut {
        action: MenuAction::Reconnect,
        key: key(Modifiers::COMMAND, Key::R),
    },
    Shortcut {
        action: MenuAction::Disconnect,
        key: key(Modifiers::COMMAND, Key::D),
    },
    Shortcut {
        action: MenuAction::RawCommand,
        key: key(Modifiers::COMMAND, Key::L),
    },
    Shortcut {
        action: MenuAction::Find,
        key: key(Modifiers::COMMAND, Key::F),
    },
    Shortcut {
        action: MenuAction::Shortcuts,
        key: key(Modifiers::NONE, Key::F1),
    },
];

/// The panes' keys, for the Keyboard shortcuts window and the menus that
/// show them (these act on the active pane).
pub const PANE_KEYS: &[(&str, &str)] = &[
    (
        "Enter / double-click",
        "Open a folder; download or upload a file",
    ),
    ("Backspace, Alt+Up, the .. row", "The parent folder"),
    (
        "Up, Down, Page Up, Page Down",
        "Move; with Shift, select as you go",
    ),
    ("Home, End (Ctrl too)", "First or last row"),
    ("Letters", "Jump to the first name that starts with them"),
    ("Ctrl+A", "Select all"),
    ("F2", "Rename"),
    ("Delete", "Delete (here: to the trash)"),
    ("Shift+Delete", "Delete here without the trash"),
    ("F5", "Refresh"),
    ("Tab, Ctrl+Tab", "The other pane"),
    ("Enter in the connect bar", "Connect"),
];

impl MenuAction {
    fn label(self) -> &'static str {
        match self {
            MenuAction::SiteManager => "Site manager…",
            MenuAction::ImportFileZilla => "Import FileZilla sites…",
            MenuAction::ExportFileZilla => "Export sites for FileZilla…",
            MenuAction::SaveLog => "Save the log…",
            MenuAction::Quit => "Quit",
            MenuAction::Rename => "Rename",
            MenuAction::Delete => "Delete",
            MenuAction::SelectAll => "Select all",
            MenuAction::NewFolder => "New folder…",
            MenuAction::Settings => "Settings…",
            MenuAction::Refresh => "Refresh",
            MenuAction::FolderTrees => "Show folder trees",
            MenuAction::CompareFolders => "Compare folders",
            MenuAction::SyncBrowsing => "Synchronized browsing",
            MenuAction::Synchronize => "Synchronize…",
            MenuAction::ZoomIn => "Larger text",
            MenuAction::ZoomOut => "Smaller text",
            MenuAction::ZoomReset => "Normal text size",
            MenuAction::Transfer => "Transfer the selection to the other side",
            MenuAction::CancelAll => "Cancel all transfers",
            MenuAction::PauseQueue => "Pause the queue",
            MenuAction::Reconnect => "Reconnect",
            MenuAction::Disconnect => "Disconnect",
            MenuAction::RawCommand => "Enter a raw command",
            MenuAction::Find => "Find files…",
            MenuAction::Shortcuts => "Keyboard shortcuts",
            MenuAction::About => "About Ferry",
        }
    }

    /// The key shown beside the entry: a window-wide shortcut, or the
    /// active pane's key for it.
    fn key_text(self, ctx: &egui::Context) -> Option<String> {
        if let Some(shortcut) = SHORTCUTS.iter().find(|s| s.action == self) {
            return Some(shortcut_text(ctx, &shortcut.key));
        }
        let pane_key = match self {
            MenuAction::Rename => "F2",
            MenuAction::Delete => "Delete",
            MenuAction::SelectAll => "Ctrl+A",
            MenuAction::Refresh => "F5",
            MenuAction::Transfer => "Enter",
            _ => return None,
        };
        Some(pane_key.to_string())
    }
}

/// "Ctrl+," as people write it (egui spells the key "Comma").
fn shortcut_text(ctx: &egui::Context, key: &KeyboardShortcut) -> String {
    ctx.format_shortcut(key).replace("Comma", ",")
}

/// What the menus need to know to grey out what cannot be done now.
pub struct MenuState {
    pub connected: bool,
    /// Something to reconnect to.
    pub has_last_login: bool,
    pub has_selection: bool,
    pub transfers_queued: bool,
    pub paused: bool,
    pub folder_trees: bool,
    pub comparing: bool,
    pub sync_browsing: bool,
}

/// Draws the bar; the entry picked, if any.
pub fn menu_bar(ui: &mut Ui, state: &MenuState) -> Option<MenuAction> {
    let mut picked = None;
    egui::MenuBar::new().ui(ui, |ui| {
        let mut entry = |ui: &mut Ui, action: MenuAction, enabled: bool| {
            let label = match action {
                MenuAction::PauseQueue if state.paused => "Resume the queue",
                MenuAction::FolderTrees if state.folder_trees => "Hide folder trees",
                MenuAction::CompareFolders if state.comparing => "Stop comparing folders",
                MenuAction::SyncBrowsing if state.sync_browsing => "Stop synchronized browsing",
                _ => action.label(),
            };
            let mut button = egui::Button::new(label);
            if let Some(text) = action.key_text(ui.ctx()) {
                button = button.shortcut_text(text);
            }
            if ui.add_enabled(enabled, button).clicked() {
                picked = Some(action);
            }
        };
        ui.menu_button("File", |ui| {
            entry(ui, MenuAction::SiteManager, true);
            ui.separator();
            entry(ui, MenuAction::ImportFileZilla, true);
            entry(ui, MenuAction::ExportFileZilla, true);
            entry(ui, MenuAction::SaveLog, true);
            ui.separator();
            entry(ui, MenuAction::Quit, true);
        });
        ui.menu_button("Edit", |ui| {
            entry(ui, MenuAction::Rename, state.has_selection);
            entry(ui, MenuAction::Delete, state.has_selection);
            entry(ui, MenuAction::SelectAll, true);
            entry(ui, MenuAction::NewFolder, true);
            ui.separator();
            entry(ui, MenuAction::Settings, true);
        });
        ui.menu_button("View", |ui| {
            entry(ui, MenuAction::Refresh, true);
            entry(ui, MenuAction::FolderTrees, true);
            entry(ui, MenuAction::CompareFolders, state.connected);
            entry(ui, MenuAction::SyncBrowsing, state.connected);
            entry(ui, MenuAction::Synchronize, state.connected);
            ui.separator();
            entry(ui, MenuAction::ZoomIn, true);
            entry(ui, MenuAction::ZoomOut, true);
            entry(ui, MenuAction::ZoomReset, true);
        });
        ui.menu_button("Transfer", |ui| {
            entry(ui, MenuAction::Transfer, state.has_selection);
            entry(ui, MenuAction::PauseQueue, true);
            entry(ui, MenuAction::CancelAll, state.transfers_queued);
        });
        ui.menu_button("Server", |ui| {
            entry(ui, MenuAction::Reconnect, state.has_last_login);
            entry(ui, MenuAction::Disconnect, state.connected);
            entry(ui, MenuAction::RawCommand, state.connected);
            entry(ui, MenuAction::Find, state.connected);
        });
        ui.menu_button("Help", |ui| {
            entry(ui, MenuAction::Shortcuts, true);
            entry(ui, MenuAction::About, true);
        });
    });
    // A menu entry closes its menu (egui does, for a button in a menu).
    picked
}

/// The window-wide shortcut pressed this frame, if any (taken from the
/// input, so nothing else acts on it too).
pub fn shortcut_pressed(ctx: &egui::Context) -> Option<MenuAction> {
    ctx.input_mut(|input| {
        SHORTCUTS
            .iter()
            .find(|s| input.consume_shortcut(&s.key))
            .map(|s| s.action)
    })
}

/// Every key of the window, for Help → Keyboard shortcuts.
pub fn all_keys(ctx: &egui::Context) -> Vec<(String, &'static str)> {
    let mut keys: Vec<(String, &'static str)> = SHORTCUTS
        .iter()
        .map(|s| (shortcut_text(ctx, &s.key), s.action.label()))
        .collect();
    keys.extend(PANE_KEYS.iter().map(|(k, what)| (k.to_string(), *what)));
    keys
}
