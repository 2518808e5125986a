//! What the window remembers between runs (through eframe's storage):
//! the last local folder, recent connections without passwords, sort
//! orders, the debug level. Column widths and the window size are kept
//! by egui and eframe themselves.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::connect_bar::Recent;
use super::file_table::Sort;

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
}

impl Default for Settings {
    fn default() -> Settings {
        Settings {
            last_local: None,
            recent: Vec::new(),
            left_sort: Sort::default(),
            right_sort: Sort::default(),
            debug_level: 1,
            connections: 2,
        }
    }
}

impl Settings {
    /// Puts `recent` first, once.
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
