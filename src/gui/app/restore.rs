//! The queue outlives the window, as FileZilla's does: what was queued,
//! running or failed when the window closed is kept (`sites::QueueStore`,
//! never a password) and offered back at the next start. Restored, the
//! transfers go out once the window is logged in to the same server.

use egui::Ui;

use super::FerryApp;
use crate::engine::queue::{Direction, QueueCommand, TransferSpec};
use crate::gui::Side;
use crate::gui::connect_bar::LinkState;
use crate::gui::queues::QueueRole;
use crate::gui::site_worker::SiteOp;
use crate::sites::{SavedQueue, SavedServer};

/// What the user said about the transfers left from last time.
enum Offer {
    Restore,
    Discard,
}

impl FerryApp {
    /// The right server's unfinished transfers, as they would be kept.
    pub(super) fn unfinished_queue(&self) -> Option<SavedQueue> {
        let ids = self.queues.ids_of(QueueRole::Transfers)?;
        let transfers = self.queue_view.to_keep(&ids);
        if transfers.is_empty() {
            return None;
        }
        Some(SavedQueue {
            server: self.saved_server(Side::Right)?,
            transfers,
        })
    }

    /// Keeps the unfinished transfers now, on the site thread (the queue
    /// fell idle: what failed is worth keeping should the window not close
    /// cleanly). Nothing to keep leaves an unanswered offer in place.
    pub(super) fn keep_unfinished(&mut self) {
        if let Some(kept) = self.what_to_keep() {
            self.site_worker.send(SiteOp::SaveQueue(kept));
        }
    }

    /// What to write: the unfinished transfers (`Some(None)`: none, the
    /// file is emptied); `None` to write nothing, so an offer from last
    /// time not yet answered is not erased by an empty queue.
    fn what_to_keep(&self) -> Option<Option<SavedQueue>> {
        let unfinished = self.unfinished_queue();
        (unfinished.is_some() || self.saved_queue.is_none()).then_some(unfinished)
    }

    /// The window is closing: the unfinished transfers are written now,
    /// before their queue is let go (the site thread may not outlive the
    /// window).
    pub(super) fn keep_unfinished_at_exit(&mut self) {
        for news in self.queues.news(usize::MAX).0 {
            self.queue_view.apply(&news.event);
        }
        if let (Some(kept), Some(store)) = (self.what_to_keep(), &self.queue_store) {
            // Reported nowhere: the window is gone. The next start says
            // if the file cannot be read.
            let _ = store.save(kept);
        }
    }

    /// "3 transfers left from last time, for alice@host:21 — Restore,
    /// Discard", above the queue while the offer stands.
    pub(super) fn saved_queue_ui(&mut self, ui: &mut Ui) {
        let Some(saved) = &self.saved_queue else {
            return;
        };
        let mut answer = None;
        ui.horizontal_wrapped(|ui| {
            let count = crate::units::count(saved.transfers.len() as u64, "transfer", "transfers");
            let waiting = self.restore_pending.is_some();
            let text = match waiting {
                true => format!(
                    "{count} from last time go out once you are logged in to {}.",
                    saved.server.describe()
                ),
                false => format!(
                    "{count} left from last time, for {}.",
                    saved.server.describe()
                ),
            };
            ui.colored_label(
                ui.visuals().warn_fg_color,
                crate::engine::display_text(&text),
            );
            if !waiting && ui.button("Restore").clicked() {
                answer = Some(Offer::Restore);
            }
            if ui.button("Discard").clicked() {
                answer = Some(Offer::Discard);
            }
        });
        match answer {
            Some(Offer::Restore) => self.restore_saved(),
            Some(Offer::Discard) => {
                self.saved_queue = None;
                self.restore_pending = None;
                self.site_worker.send(SiteOp::SaveQueue(None));
            }
            None => {}
        }
    }

    /// Restore: at once if the window is logged in to that server; else
    /// it logs in (a saved site with its password from the keyring; a
    /// quick connection from the bar, whose password the user types) and
    /// the transfers follow the login.
    fn restore_saved(&mut self) {
        let Some(saved) = self.saved_queue.clone() else {
            return;
        };
        self.restore_pending = Some(saved.clone());
        if self.is_logged_in_to(&saved.server) {
            return self.restore_when_connected();
        }
        let site = saved
            .server
            .site_id
            .as_ref()
            .and_then(|id| self.site_manager.sites.iter().find(|s| &s.id == id))
            .cloned();
        match site {
            Some(site) => self.connect_site(Side::Right, site),
            None => {
                self.bar.host = saved.server.host.clone();
                self.bar.port = saved.server.port.to_string();
                self.bar.user = saved.server.user.clone().unwrap_or_default();
                self.bar.protocol = saved.server.protocol;
                self.error(format!(
                    "Type the password for {} and press Connect: the transfers follow.",
                    crate::engine::display_text(&saved.server.describe())
                ));
            }
        }
    }

    fn is_logged_in_to(&self, server: &SavedServer) -> bool {
        let right = &self.right.server;
        matches!(right.link, LinkState::Connected { .. })
            && right
                .session
                .options
                .as_ref()
                .is_some_and(|o| server.is_logged_in_by(o))
    }

    /// The right server logged in: restored transfers for it go out.
    pub(super) fn restore_when_connected(&mut self) {
        let Some(saved) = &self.restore_pending else {
            return;
        };
        if !self.is_logged_in_to(&saved.server) {
            return;
        }
        let Some(saved) = self.restore_pending.take() else {
            return;
        };
        self.saved_queue = None;
        for transfer in saved.transfers {
            let spec = TransferSpec {
                direction: match transfer.upload {
                    true => Direction::Upload,
                    false => Direction::Download,
                },
                remote: transfer.remote,
                local: transfer.local,
                recursive: transfer.folder,
                copy_to: String::new(),
            };
            self.queue_command(QueueCommand::Add(spec));
        }
    }
}
