//! View → Synchronize…: the preview (a dry run of the mirror) and the
//! run, through a queue of the right server's whose rows show in the
//! queue panel.

use std::path::PathBuf;

use super::FerryApp;
use crate::engine::queue::{Direction, ExistsPolicy, QueueOptions, TransferQueue, TransferSpec};
use crate::gui::file_table::Side;
use crate::gui::queues::QueueRole;
use crate::gui::sync_window::SyncAction;

impl FerryApp {
    /// The two folders a synchronization is between (this computer's,
    /// the server's), when both panes list one.
    pub(super) fn sync_folders(&self) -> Option<(String, String)> {
        if self.left.shows_server() || !self.right.server.is_connected() {
            return None;
        }
        let left = self.left.pane.table.folder().to_string();
        let right = self.right.pane.table.folder().to_string();
        (!left.is_empty() && !right.is_empty()).then_some((left, right))
    }

    fn sync_spec(&self, (local, remote): &(String, String)) -> TransferSpec {
        TransferSpec {
            direction: match self.sync.upload {
                true => Direction::Upload,
                false => Direction::Download,
            },
            remote: remote.clone(),
            local: PathBuf::from(local),
            recursive: true,
            copy_to: String::new(),
        }
    }

    fn sync_options(&self, dry_run: bool) -> QueueOptions {
        QueueOptions {
            exists: ExistsPolicy::OverwriteIfChanged,
            delete_extraneous: self.sync.delete,
            files_as_trees: false,
            resume: true,
            dry_run,
            ..self.queue_options()
        }
    }

    pub(super) fn sync_action(&mut self, action: SyncAction) {
        let Some(folders) = self.sync_folders() else {
            return self
                .error("Synchronizing needs this computer on the left and a server on the right.");
        };
        let Some(connect) = self.transfer_options(Side::Right) else {
            return;
        };
        let spec = self.sync_spec(&folders);
        match action {
            SyncAction::Preview => {
                let started = TransferQueue::start(connect, self.sync_options(true)).map(
                    |(queue, events)| {
                        queue.add(spec);
                        (queue, events)
                    },
                );
                self.sync.previewing(started, folders, self.waker.clone());
            }
            SyncAction::Run => {
                let role = QueueRole::Sync;
                for ids in self.queues.let_go(|r| r == role) {
                    self.queue_view.end_queue(ids);
                }
                let options = self.sync_options(false);
                match self.queues.start(role, options, &self.waker, |o| {
                    TransferQueue::start(connect, o)
                }) {
                    Ok(queue) => {
                        queue.add(spec);
                        self.sync.open = false;
                    }
                    Err(err) => self.error(format!("Could not start synchronizing: {err}")),
                }
            }
        }
    }
}
