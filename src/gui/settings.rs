//! What the window remembers between runs (through eframe's storage):
//! the last local folder, recent connections without passwords, sort
//! orders, the debug level, and what the Settings dialog sets. Column
//! widths and the window size are kept by egui and eframe themselves.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::connect_bar::Recent;
use super::file_table::Sort;
use crate::engine::queue::ExistsPolicy;

/// Recent connections kept in the drop-down.
pub const MAX_RECENT: usize = 10;

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct Settings {
    pub last_local: Option<PathBuf>,
    pub recent: Vec<Recent>,
    /// How the left and right panes are sorted (read from the names of
    /// before the left pane could show a server, too).
    #[serde(alias = "local_sort")]
    pub left_sort: Sort,
    #[serde(alias = "remote_sort")]
    pub right_sort: Sort,
    pub debug_level: u8,
    /// Transfer connections per site.
    pub connections: usize,
    /// How long a reply or a stalled transfer may take, in seconds.
    pub timeout_secs: u64,
    /// What a transfer does when its target exists.
    pub when_exists: WhenExists,
    /// Downloads take the server's modification time, uploads give theirs
    /// to the server (where it offers MFMT).
    pub keep_times: bool,
    pub theme: Theme,
    /// Text and everything else scaled by this (egui's zoom factor).
    pub zoom: f32,
    /// Ask before deleting (off: the Delete key deletes at once).
    pub confirm_delete: bool,
    /// View → Folder trees: a tree of the folders listed above each list.
    pub folder_trees: bool,
    /// Files named in `text_extensions` go in text mode (TYPE A, line
    /// endings converted), the rest in binary (FileZilla's "Auto").
    pub text_mode: bool,
    /// Extensions, separated by spaces or commas.
    pub text_extensions: String,
    /// The program that opens files to edit or view: a command line,
    /// `{path}` standing for the file (added at the end without it);
    /// empty: the desktop's application for the file's type.
    pub editor: String,
    /// A saved edited file goes back to the server without a question.
    pub upload_edits_without_asking: bool,
    /// Left out when keeping a server folder up to date (the `--exclude`
    /// patterns, separated by spaces).
    pub watch_excludes: String,
    /// An idle browsing login sends NOOP after this many seconds, so the
    /// server's idle timeout does not end it; 0: never.
    pub keep_alive_secs: u64,
    /// View → Compare folders: times this close (seconds) are the same.
    pub compare_tolerance_secs: u64,
    /// Speed limits for all transfers together, KiB a second; 0: none.
    pub download_limit_kib: u64,
    pub upload_limit_kib: u64,
}

/// The keep-alive intervals the Settings dialog offers (0: off).
pub const KEEP_ALIVE_CHOICES: [u64; 6] = [0, 30, 60, 120, 300, 600];

/// FileZilla's list of extensions sent as text in its "Auto" mode.
pub const TEXT_EXTENSIONS: &str = "am asp bat c cfm cgi conf cpp css dhtml diz h hpp htm html in \
     inc java js jsp lua m4 mak md5 nfo nsh nsi php phtml pl po py qmail sh shtml sql svg tcl \
     tpl txt vbs xhtml xml xrc";

/// The choices of "when the target file exists", as FileZilla offers them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum WhenExists {
    Ask,
    Overwrite,
    OverwriteIfNewer,
    Resume,
    Rename,
    Skip,
}

impl WhenExists {
    pub const ALL: [WhenExists; 6] = [
        WhenExists::Ask,
        WhenExists::Overwrite,
        WhenExists::OverwriteIfNewer,
        WhenExists::Resume,
        WhenExists::Rename,
        WhenExists::Skip,
    ];

    pub fn label(self) -> &'static str {
        match self {
            WhenExists::Ask => "Ask each time",
            WhenExists::Overwrite => "Overwrite",
            WhenExists::OverwriteIfNewer => "Overwrite if the source is newer",
            WhenExists::Resume => "Resume (continue a shorter file)",
            WhenExists::Rename => "Keep both (number the new one)",
            WhenExists::Skip => "Skip",
        }
    }

    pub fn policy(self) -> ExistsPolicy {
        match self {
            WhenExists::Ask => ExistsPolicy::Ask,
            WhenExists::Overwrite => ExistsPolicy::Overwrite,
            WhenExists::OverwriteIfNewer => ExistsPolicy::OverwriteIfNewer,
            WhenExists::Resume => ExistsPolicy::Resume,
            WhenExists::Rename => ExistsPolicy::Rename,
            WhenExists::Skip => ExistsPolicy::Skip,
        }
    }
}

/// Light, dark, or whatever the desktop says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Theme {
    System,
    Light,
    Dark,
}

impl Theme {
    pub fn preference(self) -> egui::ThemePreference {
        match self {
            Theme::System => egui::ThemePreference::System,
            Theme::Light => egui::ThemePreference::Light,
            Theme::Dark => egui::ThemePreference::Dark,
        }
    }
}

/// The text scale's bounds (egui's zoom factor).
pub const ZOOM_RANGE: std::ops::RangeInclusive<f32> = 0.6..=2.5;

impl Default for Settings {
    fn default() -> Settings {
        Settings {
            last_local: None,
            recent: Vec::new(),
            left_sort: Sort::default(),
            right_sort: Sort::default(),
            debug_level: 1,
            connections: 2,
            timeout_secs: 30,
            when_exists: WhenExists::Ask,
            keep_times: true,
            theme: Theme::System,
            zoom: 1.0,
            confirm_delete: true,
            folder_trees: false,
            text_mode: false,
            text_extensions: TEXT_EXTENSIONS.to_string(),
            editor: String::new(),
            upload_edits_without_asking: false,
            watch_excludes: crate::engine::watch::DEFAULT_EXCLUDES.join(" "),
            // Under vsftpd's default idle timeout (300 s) with room.
            keep_alive_secs: 120,
            compare_tolerance_secs: crate::gui::compare::TOLERANCE_SECS,
            download_limit_kib: 0,
            upload_limit_kib: 0,
        }
    }
}

impl Settings {
    /// Puts `recent` first, once.
    /// The same settings with every value within its bounds: a settings
    /// file edited by hand (or by an older Ferry) cannot make a window
    /// with no text or a timeout of zero.
    pub fn sane(mut self) -> Settings {
        self.connections = self.connections.clamp(1, 10);
        self.timeout_secs = self.timeout_secs.clamp(5, 600);
        self.debug_level = self.debug_level.min(2);
        self.zoom = match self.zoom.is_finite() {
            true => self.zoom.clamp(*ZOOM_RANGE.start(), *ZOOM_RANGE.end()),
            false => 1.0,
        };
        self
    }

    /// The extensions sent as text, when text mode is on.
    pub fn text_extension_list(&self) -> Vec<String> {
        if !self.text_mode {
            return Vec::new();
        }
        self.text_extensions
            .split([' ', ',', ';'])
            .map(|e| e.trim().trim_start_matches('.').to_ascii_lowercase())
            .filter(|e| !e.is_empty())
            .collect()
    }

    pub fn remember(&mut self, recent: Recent) {
        self.recent.retain(|r| *r != recent);
        self.recent.insert(0, recent);
        self.recent.truncate(MAX_RECENT);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gui::file_table::SortColumn;

    /// Values out of bounds (a hand-edited file) are brought back in.
    #[test]
    fn settings_out_of_bounds_are_made_sane() {
        let wild = r#"{"connections":0,"timeout_secs":0,"zoom":100.0,"debug_level":9}"#;
        let settings: Settings = serde_json::from_str::<Settings>(wild).unwrap().sane();
        assert_eq!(settings.connections, 1);
        assert_eq!(settings.timeout_secs, 5);
        assert_eq!(settings.zoom, *ZOOM_RANGE.end());
        assert_eq!(settings.debug_level, 2);
        // Settings from before these fields: the defaults.
        let old: Settings = serde_json::from_str(r#"{"connections":4}"#).unwrap();
        assert!(old.confirm_delete && old.keep_times);
        assert_eq!(old.when_exists, WhenExists::Ask);
        // Text mode off: no file is sent as text; on: the list, cleaned.
        assert!(old.text_extension_list().is_empty());
        let on = Settings {
            text_mode: true,
            text_extensions: " .TXT, html;;css ".to_string(),
            ..Settings::default()
        };
        assert_eq!(on.text_extension_list(), ["txt", "html", "css"]);
    }

    /// Settings written before the panes were named left and right keep
    /// their sort orders.
    #[test]
    fn sort_orders_saved_under_the_old_names_are_read() {
        let old = r#"{"local_sort":{"column":"Size","ascending":false},
                      "remote_sort":{"column":"Modified","ascending":true}}"#;
        let settings: Settings = serde_json::from_str(old).unwrap();
        assert_eq!(settings.left_sort.column, SortColumn::Size);
        assert!(!settings.left_sort.ascending);
        assert_eq!(settings.right_sort.column, SortColumn::Modified);
        let again: Settings =
            serde_json::from_str(&serde_json::to_string(&settings).unwrap()).unwrap();
        assert_eq!(again.left_sort, settings.left_sort);
        assert_eq!(again.right_sort, settings.right_sort);
    }
}
