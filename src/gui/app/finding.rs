//! What the find window's buttons do: a search of the right server's
//! folder, a result downloaded to the left pane's folder, or shown in
//! its folder.

use super::FerryApp;
use crate::engine::find::{FindOptions, Found};
use crate::engine::names::{remote_basename, remote_parent};
use crate::gui::chosen::{Chosen, Place};
use crate::gui::file_table::{Picked, Side};
use crate::gui::find_window::FindAction;
use crate::gui::rows::FileRow;

impl FerryApp {
    pub(super) fn find_action(&mut self, action: FindAction) {
        match action {
            FindAction::Start => {
                let Some(connect) = self.transfer_options(Side::Right) else {
                    return self.error("Connect to a server first.");
                };
                let options = FindOptions {
                    case_insensitive: self.find.any_case,
                    ..FindOptions::named(
                        self.right.pane.table.folder(),
                        self.find.pattern.trim(),
                        self.settings.connections,
                    )
                };
                self.find.start(connect, options, self.waker.clone());
            }
            FindAction::Download(found) => {
                let chosen = self.found_on_the_right(&found);
                self.transfer(chosen, None);
            }
            FindAction::Open(found) => {
                let chosen = self.found_on_the_right(&found);
                self.open_to_edit(chosen, crate::gui::edits::EditMode::View);
            }
            FindAction::Show(found) => {
                if !self.right.server.is_connected() {
                    return self.error("Connect to a server first.");
                }
                let server = &mut self.right.server;
                server.select_after = Some(remote_basename(&found.path).to_string());
                self.right.pane.loading = true;
                server.session.open_folder(remote_parent(&found.path));
            }
        }
    }

    /// A search result as rows chosen in the right pane's server.
    fn found_on_the_right(&self, found: &Found) -> Chosen {
        let place = Place::Server {
            side: Side::Right,
            login: self.right.server.session.generation(),
            name: self.right.server.name(),
        };
        let picked = Picked {
            folder: remote_parent(&found.path),
            rows: vec![FileRow::from_remote(&found.entry)],
        };
        Chosen::new(place, picked)
    }
}
