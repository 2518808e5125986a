//! What a file-changing action is about, fixed at the moment the user
//! chose it: the place (this computer, or which server on which login)
//! and the full paths. Dialogs and the code that carries an action out
//! only read these; none of them looks at "the folder the pane shows
//! now", which may have moved on (a listing arrived, the user went up, the
//! server was switched) while a question was open.

use std::path::{Path, PathBuf};

use super::file_table::{Picked, Side};
use super::rows::FileRow;
use crate::engine::names::remote_join;

/// Where chosen files live.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Place {
    /// This computer's disk (local paths are absolute, so they stay true
    /// whatever the left pane shows later).
    Computer,
    /// The server in the pane on `side`, as it was on login number
    /// `login` of that pane's connection; `name` tells a person which
    /// (`user@host:port`).
    Server {
        side: Side,
        login: u64,
        name: String,
    },
}

impl Place {
    /// "this computer" or "the server alice@example.com:21", for messages.
    pub fn describe(&self) -> String {
        match self {
            Place::Computer => "this computer".to_string(),
            Place::Server { name, .. } => format!("the server {name}"),
        }
    }

    pub fn is_server(&self) -> bool {
        matches!(self, Place::Server { .. })
    }
}

/// One chosen file or folder: its full path and what its row said.
#[derive(Debug, Clone, PartialEq)]
pub struct ChosenItem {
    /// The full path on the place (a local path or a remote path).
    pub path: String,
    pub row: FileRow,
}

/// Files and folders the user chose, where they were chosen.
#[derive(Debug, Clone, PartialEq)]
pub struct Chosen {
    pub place: Place,
    /// The folder they were listed in (new names, as a rename's, go here).
    pub folder: String,
    pub items: Vec<ChosenItem>,
}

impl Chosen {
    /// `picked` rows on `place`, with their full paths worked out now.
    pub fn new(place: Place, picked: Picked) -> Chosen {
        let Picked { folder, rows } = picked;
        let items = rows
            .into_iter()
            .map(|row| ChosenItem {
                path: join(&place, &folder, &row.name),
                row,
            })
            .collect();
        Chosen {
            place,
            folder,
            items,
        }
    }

    /// The full path of `name` in the folder the items were chosen in.
    pub fn join(&self, name: &str) -> String {
        join(&self.place, &self.folder, name)
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// Where a pane showing `folder` must go once the chosen folders are
    /// deleted: the folder they were chosen in, if one of them holds (or
    /// is) `folder`; else `None`.
    pub fn folder_after_delete(&self, folder: &str) -> Option<String> {
        let inside = |path: &str| match self.place {
            Place::Computer => Path::new(folder).starts_with(path),
            Place::Server { .. } => {
                folder == path
                    || folder
                        .strip_prefix(path)
                        .is_some_and(|rest| rest.starts_with('/') || path.ends_with('/'))
            }
        };
        // The folder the items were chosen in holds every one of them.
        self.items
            .iter()
            .any(|item| item.row.is_dir() && inside(&item.path))
            .then(|| self.folder.clone())
    }

    /// The chosen paths on this computer.
    pub fn local_paths(&self) -> Vec<PathBuf> {
        self.items.iter().map(|i| PathBuf::from(&i.path)).collect()
    }
}

fn join(place: &Place, folder: &str, name: &str) -> String {
    match place {
        Place::Computer => Path::new(folder).join(name).display().to_string(),
        Place::Server { .. } => remote_join(folder, name),
    }
}

/// How many entries a folder holds, as far as it was counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FolderCount {
    /// Entries counted (files, folders, links).
    pub items: u64,
    /// Of which folders.
    pub folders: u64,
    /// Everything below was counted (else only the folder's own entries).
    pub whole_tree: bool,
    /// Counting stopped at a bound: there are at least `items`.
    pub at_least: bool,
}

impl FolderCount {
    /// "holds 3 items", with what was and was not counted.
    pub fn describe(&self) -> String {
        let items = match (self.items, self.at_least) {
            (n, true) => format!("more than {n} items"),
            (1, false) => "1 item".to_string(),
            (n, false) => format!("{n} items"),
        };
        match (self.whole_tree, self.folders) {
            (true, _) => format!("holds {items} in all"),
            (false, 0) => format!("holds {items}"),
            (false, n) => format!(
                "holds {items} ({n} of them {}, not counted inside)",
                if n == 1 { "a folder" } else { "folders" }
            ),
        }
    }
}

/// A delete the user asked for: what, where, and how.
#[derive(Debug, Clone, PartialEq)]
pub struct DeleteRequest {
    pub chosen: Chosen,
    /// Without the trash (a server has none: there it is always so).
    pub permanent: bool,
    /// For each chosen item that is a folder: its count once known, or why
    /// it could not be counted.
    pub counts: Vec<Option<Result<FolderCount, String>>>,
}

impl DeleteRequest {
    pub fn new(chosen: Chosen, permanent: bool) -> DeleteRequest {
        let counts = vec![None; chosen.items.len()];
        DeleteRequest {
            permanent: permanent || chosen.place.is_server(),
            chosen,
            counts,
        }
    }

    /// Whether this delete goes to the trash.
    pub fn to_trash(&self) -> bool {
        !self.permanent
    }

    /// Notes the count of the folder at `path` on `place`, if this
    /// request is about it.
    pub fn counted(&mut self, place: &Place, path: &str, count: &Result<FolderCount, String>) {
        if self.chosen.place != *place {
            return;
        }
        for (item, slot) in self.chosen.items.iter().zip(self.counts.iter_mut()) {
            if item.path == path {
                *slot = Some(count.clone());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gui::rows::RowKind;

    fn row(name: &str) -> FileRow {
        FileRow::named(name, RowKind::Dir)
    }

    #[test]
    fn paths_are_fixed_from_the_folder_the_rows_came_from() {
        let server = Place::Server {
            side: Side::Right,
            login: 1,
            name: "u@h:21".to_string(),
        };
        let picked = Picked {
            folder: "/x".to_string(),
            rows: vec![row("x")],
        };
        let chosen = Chosen::new(server, picked.clone());
        assert_eq!(chosen.items[0].path, "/x/x");
        assert_eq!(chosen.join("y"), "/x/y");
        let local = Chosen::new(Place::Computer, picked);
        assert_eq!(local.local_paths(), [PathBuf::from("/x/x")]);
    }

    #[test]
    fn a_pane_inside_a_deleted_folder_goes_to_where_it_was_chosen() {
        let server = Place::Server {
            side: Side::Right,
            login: 1,
            name: "u@h:21".to_string(),
        };
        let picked = Picked {
            folder: "/a".to_string(),
            rows: vec![row("x")],
        };
        let chosen = Chosen::new(server, picked.clone());
        assert_eq!(chosen.folder_after_delete("/a/x"), Some("/a".to_string()));
        assert_eq!(chosen.folder_after_delete("/a/x/y"), Some("/a".to_string()));
        assert_eq!(chosen.folder_after_delete("/a/xy"), None);
        assert_eq!(chosen.folder_after_delete("/a"), None);
        let local = Chosen::new(Place::Computer, picked);
        assert_eq!(local.folder_after_delete("/a/x/y"), Some("/a".to_string()));
        assert_eq!(local.folder_after_delete("/a/xy"), None);
    }

    #[test]
    fn a_server_delete_is_always_permanent() {
        let server = Place::Server {
            side: Side::Left,
            login: 3,
            name: "h:21".to_string(),
        };
        let request = DeleteRequest::new(Chosen::new(server, Picked::default()), false);
        assert!(request.permanent && !request.to_trash());
        let local = DeleteRequest::new(Chosen::new(Place::Computer, Picked::default()), false);
        assert!(local.to_trash());
    }

    #[test]
    fn counts_say_what_they_counted() {
        let count = |items, folders, whole_tree, at_least| FolderCount {
            items,
            folders,
            whole_tree,
            at_least,
        };
        assert_eq!(count(3, 1, true, false).describe(), "holds 3 items in all");
        assert_eq!(count(1, 0, false, false).describe(), "holds 1 item");
        assert_eq!(
            count(2, 1, false, false).describe(),
            "holds 2 items (1 of them a folder, not counted inside)"
        );
        assert_eq!(
            count(100_000, 0, true, true).describe(),
            "holds more than 100000 items in all"
        );
    }
}
