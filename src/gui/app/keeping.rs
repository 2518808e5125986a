//! "Keep the server folder up to date" on a folder of this computer:
//! the engine's watch against the right pane's server, summed up in the
//! status line with a Stop button; one folder at a time.

use std::path::PathBuf;

use super::FerryApp;
use crate::engine::LogKind;
use crate::engine::names::remote_join;
use crate::engine::queue::{NameFilter, NamePattern};
use crate::engine::watch::{DEFAULT_QUIET, WatchOptions};
use crate::gui::chosen::{Chosen, Place};
use crate::gui::file_table::Side;
use crate::gui::kept_folder::{KeptFolder, KeptNews};
use crate::gui::log_view::LogSource;

/// News a frame takes from a kept folder.
const KEPT_NEWS_PER_FRAME: usize = 2_000;

impl FerryApp {
    /// Keeps the folder `chosen` names (one selected folder, else the
    /// folder listed) up to date in the right pane's folder (there, in a
    /// folder of the same name for a selected one).
    pub(super) fn keep_up_to_date(&mut self, chosen: Chosen) {
        if chosen.place != Place::Computer {
            return;
        }
        if !self.right.server.is_connected() || self.left.shows_server() {
            return self.error("Connect to a server first (this computer on the left).");
        }
        let remote_folder = self.right.pane.table.folder().to_string();
        if remote_folder.is_empty() {
            return self.error("The server's pane shows no folder yet; wait for its listing.");
        }
        let folders: Vec<_> = chosen.items.iter().filter(|i| i.row.is_dir()).collect();
        let (local, remote) = match folders.as_slice() {
            [] => (PathBuf::from(&chosen.folder), remote_folder),
            [one] => (
                PathBuf::from(&one.path),
                remote_join(&remote_folder, &one.row.name),
            ),
            _ => return self.error("Choose one folder to keep up to date."),
        };
        let Some(connect) = self.transfer_options(Side::Right) else {
            return;
        };
        let mut exclude = Vec::new();
        for text in self.settings.watch_excludes.split_whitespace() {
            match NamePattern::new(text) {
                Ok(pattern) => exclude.push(pattern),
                Err(why) => return self.error(format!("Settings, left out: {why}")),
            }
        }
        let first_item_id = match self.queues.reserve() {
            Ok(first) => first,
            Err(err) => return self.error(err.to_string()),
        };
        if let Some(kept) = self.kept.take() {
            kept.stop();
        }
        let options = WatchOptions {
            local,
            remote,
            delete: false,
            queue: crate::engine::queue::QueueOptions {
                filter: NameFilter {
                    include: Vec::new(),
                    exclude,
                },
                ..self.queue_options()
            },
            quiet: DEFAULT_QUIET,
            first_item_id,
        };
        let started = KeptFolder::start(
            connect,
            options,
            self.right.server.who(),
            self.settings.watch_excludes.clone(),
            self.waker.clone(),
        );
        match started {
            Ok(kept) => self.kept = Some(kept),
            Err(err) => self.error(format!("Cannot keep the folder up to date: {err}")),
        }
    }

    /// What the kept folder's watch said since the last frame; `true`
    /// if more waits.
    pub(super) fn kept_news(&mut self) -> bool {
        let Some(kept) = &mut self.kept else {
            return false;
        };
        let (news, more) = kept.news(KEPT_NEWS_PER_FRAME);
        for news in news {
            match news {
                KeptNews::InStep => self.refresh(Side::Right),
                KeptNews::Log(line) => self.log.push(LogSource::Watch, &line),
                KeptNews::Problem(problem) => self.error(problem),
                KeptNews::Ended(why) => {
                    self.kept = None;
                    match why {
                        Some(err) => {
                            self.error(format!("Keeping the folder up to date ended: {err}"))
                        }
                        None => self
                            .log
                            .push_text(LogKind::Status, "Stopped keeping the folder up to date"),
                    }
                    return false;
                }
            }
        }
        more
    }

    /// The status line's part: what is kept, how it goes, and Stop.
    pub(super) fn kept_ui(&mut self, ui: &mut egui::Ui) {
        let Some(kept) = &mut self.kept else {
            return;
        };
        ui.separator();
        if !kept.stopping && ui.button("Stop").clicked() {
            kept.finish();
        }
        let text = kept.summary();
        let hover = format!(
            "{}\nLeft out: {}\nFiles sent as they changed: {}; failed: {}",
            kept.describe(),
            if kept.excludes.is_empty() {
                "nothing"
            } else {
                &kept.excludes
            },
            kept.sent,
            kept.failed
        );
        ui.label(text).on_hover_text(hover);
    }

    /// The right server is being let go: so is the folder kept there.
    pub(super) fn stop_keeping(&mut self, side: Side) {
        if side == Side::Right
            && let Some(kept) = self.kept.take()
        {
            kept.stop();
        }
    }
}
