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
    pub local_sort: Sort,
    pub remote_sort: Sort,
    pub debug_level: u8,
    /// Transfer connections per site.
    pub connections: usize,
}

impl Default for Settings {
    fn default() -> Settings {
        Settings {
            last_local: None,
            recent: Vec::new(),
            local_sort: Sort::default(),
            remote_sort: Sort::default(),
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
