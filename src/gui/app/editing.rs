//! Edit and Open (read only) on a server's files: the copy is downloaded
//! through a queue of its own for that server, described by the server
//! (SIZE, MDTM), opened in its application, and, when saved, compared
//! with the server's file again and uploaded through the same queue —
//! never over a change someone else made meanwhile without asking.

use std::path::Path;

use super::FerryApp;
use crate::engine::edit::conflict;
use crate::engine::queue::{
    Direction, ExistsPolicy, ItemState, QueueCommand, QueueEvent, QueueOptions, TransferQueue,
    TransferSpec,
};
use crate::engine::{Error, FileStat};
use crate::gui::chosen::{Chosen, Place};
use crate::gui::dialogs::{ConflictChoice, Dialog};
use crate::gui::edits::{EditAction, EditMode, EditNews, EditState};
use crate::gui::file_table::Side;
use crate::gui::queues::QueueRole;
use crate::gui::server::EditStatFor;

impl FerryApp {
    /// Edit or Open on the files `chosen` names on a server.
    pub(super) fn open_to_edit(&mut self, chosen: Chosen, mode: EditMode) {
        let Place::Server { side, login, name } = chosen.place.clone() else {
            return;
        };
        if !self.still_there(&chosen.place, "Opening") {
            return;
        }
        for item in chosen.items {
            if item.row.is_dir() {
                self.error(format!(
                    "{} is a folder: download it to open what it holds.",
                    crate::engine::display_text(&item.path)
                ));
                continue;
            }
            let saved = self.saved_server(side);
            let opened =
                self.edits
                    .open((side, login, name.clone()), saved, item.path.clone(), mode);
            let (id, local) = match opened {
                Ok(entry) => (entry.id, entry.local.clone()),
                Err(err) => {
                    self.error(format!("Cannot open {}: {err}", item.path));
                    continue;
                }
            };
            let spec = TransferSpec {
                direction: Direction::Download,
                remote: item.path,
                local,
                recursive: false,
                copy_to: String::new(),
            };
            if !self.edit_queue_add(side, spec) {
                self.edits.forget(id);
            }
        }
    }

    /// The server on `side` as kept between runs (no password).
    pub(super) fn saved_server(&self, side: Side) -> Option<crate::sites::SavedServer> {
        let server = &self.half(side).server;
        let site_id = server
            .last_connect
            .as_ref()
            .and_then(|(_, _, site)| site.as_ref())
            .map(|site| site.id.clone());
        Some(crate::sites::SavedServer::of(
            server.session.options.as_ref()?,
            site_id,
        ))
    }

    /// Edited files kept from the last window, waiting for a login to
    /// their server: taken by the logins there are now.
    pub(super) fn adopt_kept_edits(&mut self) {
        for side in [Side::Left, Side::Right] {
            if !self.half(side).shows_server() || !self.server(side).is_connected() {
                continue;
            }
            let Some(options) = self.server(side).session.options.clone() else {
                continue;
            };
            let login = self.server(side).session.generation();
            self.edits
                .adopt(side, login, |saved| saved.is_logged_in_by(&options));
        }
    }

    /// The window is closing: edited files not uploaded are kept, with
    /// their copies, for the next window.
    pub(super) fn keep_edits_at_exit(&mut self) {
        let kept = self.edits.keep_unsent();
        if let Some(store) = &self.edits_store {
            // Reported nowhere: the window is gone; the next start says if
            // the file cannot be read.
            let _ = store.save(kept);
        }
    }

    /// Adds `spec` to the edits queue of the server on `side`, started on
    /// first use; `false` if it cannot start.
    fn edit_queue_add(&mut self, side: Side, spec: TransferSpec) -> bool {
        let role = QueueRole::Edits { side };
        if self.queues.get(role).is_none() {
            let Some(connect) = self.transfer_options(side) else {
                self.error("Connect to a server first.");
                return false;
            };
            let options = QueueOptions {
                connections: 1,
                // Asked of the window, which answers for each file as
                // its user decided (replace, or keep both).
                exists: ExistsPolicy::Ask,
                resume: false,
                download_times: false,
                upload_times: false,
                text_extensions: self.settings.text_extension_list(),
                debug_level: self.log.level,
                ..QueueOptions::default()
            };
            let started = self.queues.start(role, options, &self.waker, |o| {
                TransferQueue::start(connect, o)
            });
            if let Err(err) = started {
                self.error(format!("Could not start the queue for edited files: {err}"));
                return false;
            }
        }
        match self.queues.get(role) {
            Some(queue) => {
                queue.add(spec);
                true
            }
            None => false,
        }
    }

    /// A queue event about an edited file's download or upload; `true`
    /// when it was one (its questions are answered here, never asked).
    pub(super) fn edit_queue_event(&mut self, event: &QueueEvent) -> bool {
        match event {
            QueueEvent::Added { id, spec, .. } => {
                let local = spec.local.clone();
                match self.edits.by_local(&local) {
                    Some(entry) => {
                        entry.item = Some(*id);
                        true
                    }
                    None => false,
                }
            }
            QueueEvent::State { id, state } => {
                let Some(entry) = self.edits.by_item(*id) else {
                    return false;
                };
                let (edit, side, remote) = (entry.id, entry.side, entry.remote.clone());
                match state {
                    ItemState::Done => {
                        entry.item = None;
                        let why = match entry.state {
                            EditState::Downloading => EditStatFor::Opened,
                            _ => EditStatFor::Uploaded,
                        };
                        self.server(side).session.edit_stat(remote, edit, why);
                    }
                    ItemState::Failed(err) => {
                        entry.item = None;
                        entry.state = EditState::Failed(err.to_string());
                    }
                    ItemState::Cancelled => {
                        entry.item = None;
                        entry.state = match entry.state {
                            EditState::Downloading => EditState::Failed("cancelled".to_string()),
                            _ => EditState::Changed,
                        };
                    }
                    ItemState::Asking { .. } => {
                        let policy = entry.policy;
                        self.queue_command(QueueCommand::Answer {
                            id: *id,
                            policy,
                            for_all: false,
                        });
                    }
                    _ => {}
                }
                true
            }
            _ => false,
        }
    }

    /// What the server said about an edited file.
    pub(super) fn edit_stat(
        &mut self,
        edit: u64,
        why: EditStatFor,
        result: Result<FileStat, Error>,
    ) {
        let Some(entry) = self.edits.get(edit) else {
            return;
        };
        let (name, mode, local) = (entry.name().to_string(), entry.mode, entry.local.clone());
        match (why, result) {
            (EditStatFor::Opened, Ok(stat)) => {
                self.edits.track(edit, stat);
                let _ = mode;
                self.launch(&local);
            }
            (EditStatFor::Opened, Err(err)) => {
                if let Some(entry) = self.edits.get_mut(edit) {
                    entry.state =
                        EditState::Failed(format!("the server did not describe it: {err}"));
                }
            }
            (EditStatFor::Uploaded, result) => {
                let stat = result.unwrap_or_default();
                let at = chrono::Local::now().format("%H:%M:%S").to_string();
                self.edits.sent(edit, stat, at);
            }
            (EditStatFor::Check, result) => {
                let now = match result {
                    Ok(stat) => stat,
                    // Gone from the server: compared as "no size, no time".
                    Err(Error::Permanent { code: 550, .. }) => FileStat::default(),
                    Err(err) => {
                        if let Some(entry) = self.edits.get_mut(edit) {
                            entry.state = EditState::Failed(err.to_string());
                        }
                        return;
                    }
                };
                let baseline = self.edits.get(edit).and_then(|e| e.baseline);
                match baseline.and_then(|then| conflict(&then, &now)) {
                    None => self.upload_edit(edit),
                    Some(found) => {
                        let why = found.to_string();
                        if let Some(entry) = self.edits.get_mut(edit) {
                            entry.state = EditState::Conflict(why.clone());
                        }
                        self.dialogs.push(Dialog::EditConflict { edit, name, why });
                    }
                }
            }
        }
    }

    /// What the watching thread noticed.
    pub(super) fn edit_news(&mut self, news: EditNews) {
        match news {
            EditNews::Saved(edit) => {
                let silently = self.settings.upload_edits_without_asking;
                let Some(entry) = self.edits.get_mut(edit) else {
                    return;
                };
                // Under way, or waiting for the user: this save goes
                // with it (a save during an upload is noticed after).
                if matches!(
                    entry.state,
                    EditState::Checking | EditState::Uploading | EditState::Conflict(_)
                ) {
                    return;
                }
                entry.state = EditState::Changed;
                if entry.mode == EditMode::View {
                    return;
                }
                if entry.silent || silently {
                    return self.check_and_upload(edit);
                }
                let asking = self
                    .dialogs
                    .iter()
                    .any(|d| matches!(d, Dialog::EditSaved { edit: e, .. } if *e == edit));
                if !asking {
                    let (name, server) = (entry.name().to_string(), entry.server.clone());
                    self.dialogs.push(Dialog::EditSaved {
                        edit,
                        name,
                        server,
                        always: false,
                    });
                }
            }
            EditNews::Gone(edit) => {
                if let Some(entry) = self.edits.get_mut(edit) {
                    entry.state = EditState::Failed("the copy was deleted".to_string());
                }
            }
            EditNews::Problem(0, problem) => self.error(problem),
            EditNews::Problem(edit, problem) => {
                if let Some(entry) = self.edits.get_mut(edit) {
                    entry.state = EditState::Failed(problem);
                }
            }
        }
    }

    /// Compares the server's file with what the copy was made from, then
    /// uploads (or asks, on a conflict).
    pub(super) fn check_and_upload(&mut self, edit: u64) {
        let Some(entry) = self.edits.get(edit) else {
            return;
        };
        let (side, login, remote) = (entry.side, entry.login, entry.remote.clone());
        if !self.half(side).still_on(login) {
            if let Some(entry) = self.edits.get_mut(edit) {
                entry.state = EditState::Failed(
                    "the server is no longer connected as when the file was opened".to_string(),
                );
            }
            return;
        }
        if let Some(entry) = self.edits.get_mut(edit) {
            entry.state = EditState::Checking;
        }
        self.server(side)
            .session
            .edit_stat(remote, edit, EditStatFor::Check);
    }

    fn upload_edit(&mut self, edit: u64) {
        let Some(entry) = self.edits.get_mut(edit) else {
            return;
        };
        entry.state = EditState::Uploading;
        let side = entry.side;
        let spec = TransferSpec {
            direction: Direction::Upload,
            remote: entry.remote.clone(),
            local: entry.local.clone(),
            recursive: false,
            copy_to: String::new(),
        };
        self.edits.sending(edit);
        if !self.edit_queue_add(side, spec)
            && let Some(entry) = self.edits.get_mut(edit)
        {
            entry.state = EditState::Failed("the queue could not start".to_string());
        }
    }

    pub(super) fn edit_upload_answer(&mut self, edit: u64, always: bool) {
        if let Some(entry) = self.edits.get_mut(edit) {
            entry.silent |= always;
            entry.policy = ExistsPolicy::Overwrite;
        }
        self.check_and_upload(edit);
    }

    pub(super) fn edit_conflict_answer(&mut self, edit: u64, choice: ConflictChoice) {
        let Some(entry) = self.edits.get_mut(edit) else {
            return;
        };
        match choice {
            ConflictChoice::Overwrite | ConflictChoice::KeepBoth => {
                entry.policy = match choice {
                    ConflictChoice::Overwrite => ExistsPolicy::Overwrite,
                    _ => ExistsPolicy::Rename,
                };
                let (side, login) = (entry.side, entry.login);
                if self.half(side).still_on(login) {
                    self.upload_edit(edit);
                } else if let Some(entry) = self.edits.get_mut(edit) {
                    entry.state = EditState::Failed(
                        "the server is no longer connected as when the file was opened".to_string(),
                    );
                }
            }
            ConflictChoice::DownloadTheirs => {
                let (side, login, server, remote) = (
                    entry.side,
                    entry.login,
                    entry.server.clone(),
                    entry.remote.clone(),
                );
                entry.state = EditState::Changed;
                let theirs = Chosen::new(
                    Place::Server {
                        side,
                        login,
                        name: server,
                    },
                    crate::gui::file_table::Picked {
                        folder: crate::engine::names::remote_parent(&remote),
                        rows: vec![crate::gui::rows::FileRow::named(
                            crate::engine::names::remote_basename(&remote),
                            crate::gui::rows::RowKind::File,
                        )],
                    },
                );
                self.open_to_edit(theirs, EditMode::View);
            }
        }
    }

    pub(super) fn edit_action(&mut self, action: EditAction) {
        match action {
            EditAction::Upload(edit) => {
                if let Some(entry) = self.edits.get_mut(edit) {
                    entry.policy = ExistsPolicy::Overwrite;
                }
                self.check_and_upload(edit);
            }
            EditAction::Reopen(edit) => {
                if let Some(local) = self.edits.get(edit).map(|e| e.local.clone()) {
                    self.launch(&local);
                }
            }
            EditAction::Stop(edit) => self.edits.forget(edit),
        }
    }

    /// Opens `local` with the program the settings name, else the
    /// desktop's application for its type; not waited for.
    fn launch(&mut self, local: &Path) {
        let editor = self.settings.editor.trim().to_string();
        let started = if editor.is_empty() {
            open::that_detached(local).map_err(|e| e.to_string())
        } else {
            crate::editor::editor_command(&editor, local)
                .spawn()
                .map(|_| ())
                .map_err(|e| format!("{editor}: {e}"))
        };
        if let Err(err) = started {
            self.error(format!(
                "{} could not be opened ({err}); its copy is {}",
                local.file_name().unwrap_or_default().to_string_lossy(),
                local.display()
            ));
        }
        self.edits.opened.push(local.to_path_buf());
    }

    /// Closing with saved edits not uploaded asks first (once).
    pub(super) fn unsent_edits_on_close(&mut self, ctx: &egui::Context) {
        let closing = ctx.input(|i| i.viewport().close_requested());
        if !closing || self.close_despite_edits {
            return;
        }
        let count = self.edits.unsent();
        if count == 0 {
            return;
        }
        ctx.send_viewport_cmd(egui::ViewportCommand::CancelClose);
        self.quit_asked = false;
        if !self
            .dialogs
            .iter()
            .any(|d| matches!(d, Dialog::UnsentEdits { .. }))
        {
            self.dialogs.push(Dialog::UnsentEdits { count });
        }
    }

    pub(super) fn close_anyway(&mut self) {
        self.close_despite_edits = true;
        self.quit_asked = true;
        if let Some(ctx) = self.waker.ctx() {
            ctx.send_viewport_cmd(egui::ViewportCommand::Close);
        }
    }
}
