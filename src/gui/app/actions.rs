//! What the user's actions in the panes, menus and dialogs do: engine
//! commands for the server, disk operations for this computer, queue items
//! for transfers. Nothing here waits.
//!
//! Every action on files is turned, the moment the user chooses it, into a
//! [`Chosen`]: the place (this computer, or which server on which login)
//! and full paths. What happens later (a confirmed delete, a new folder's
//! name typed) uses only that, and is refused if the server's login is no
//! longer the one it was chosen on.

use std::path::{Path, PathBuf};

use super::FerryApp;
use crate::engine::Command;
use crate::engine::names::{is_safe_local_name, remote_join};
use crate::engine::queue::{Direction, QueueCommand, TransferSpec};
use crate::gui::chosen::{Chosen, DeleteRequest, Place};
use crate::gui::dialogs::{Dialog, DialogAnswer};
use crate::gui::edits::EditMode;
use crate::gui::file_picker::{Pick, PickFor};
use crate::gui::file_table::{DragPayload, MenuItem, Picked, Side};
use crate::gui::local_fs::LocalOp;
use crate::gui::pane::PaneAction;
use crate::gui::rows::{FileRow, RowKind};
use crate::url::FtpUrl;

impl FerryApp {
    /// `picked` rows of the pane on `side`, fixed as the user chose them.
    pub(super) fn chosen(&mut self, side: Side, picked: Picked) -> Chosen {
        Chosen::new(self.half(side).place(side), picked)
    }

    /// Whether `place` can still be acted on: this computer always (its
    /// paths are absolute), a server only on the login it was chosen on.
    /// Otherwise the user is told that `what` was not done.
    pub(super) fn still_there(&mut self, place: &Place, what: &str) -> bool {
        let Place::Server { side, login, name } = place else {
            return true;
        };
        let same = self.half(*side).still_on(*login);
        if !same {
            self.error(format!(
                "{what} was not done: {} is no longer connected as it was when you chose it.",
                crate::engine::display_text(name)
            ));
        }
        same
    }

    pub(super) fn pane_action(&mut self, side: Side, action: PaneAction) {
        let server = self.is_server(side);
        match (server, action) {
            (false, PaneAction::Navigate(path)) => self.open_local(PathBuf::from(path)),
            (true, PaneAction::Navigate(path)) => self.change_server_folder(side, path),
            (false, PaneAction::Up) => {
                if let Some(parent) = Path::new(&self.left.pane.folder).parent() {
                    self.open_local(parent.to_path_buf());
                }
            }
            (true, PaneAction::Up) => {
                if self.server(side).is_connected() {
                    self.pane(side).loading = true;
                    self.server(side).session.open_parent();
                }
            }
            (_, PaneAction::Refresh) => self.refresh(side),
            (true, PaneAction::Open(picked))
                if picked.rows.first().is_some_and(|r| r.kind == RowKind::Link) =>
            {
                let chosen = self.chosen(side, picked);
                let path = chosen.items[0].path.clone();
                self.server(side).opening_link = Some(chosen);
                self.change_server_folder(side, path);
            }
            (_, PaneAction::Open(picked)) if picked.rows.first().is_some_and(FileRow::is_dir) => {
                let chosen = self.chosen(side, picked);
                match &chosen.place {
                    Place::Computer => self.open_local(PathBuf::from(&chosen.items[0].path)),
                    Place::Server { .. } => {
                        self.change_server_folder(side, chosen.items[0].path.clone());
                    }
                }
            }
            (_, PaneAction::Open(picked)) => {
                let chosen = self.chosen(side, picked);
                self.transfer(chosen, None);
            }
            (_, PaneAction::Menu(item, picked)) => self.menu(side, item, picked),
            (
                _,
                PaneAction::Dropped {
                    payload,
                    folder,
                    into,
                },
            ) => self.dropped(side, &payload, folder, into),
            (_, PaneAction::Rename { folder, from, to }) => {
                let here = self.chosen(
                    side,
                    Picked {
                        folder,
                        rows: Vec::new(),
                    },
                );
                self.rename(&here, &from, &to);
            }
        }
    }

    fn change_server_folder(&mut self, side: Side, path: String) {
        if self.server(side).is_connected() && !path.is_empty() {
            self.pane(side).loading = true;
            self.server(side).session.open_folder(path);
        }
    }

    /// Renames `from` to `to`, both in the folder `here` was chosen in.
    fn rename(&mut self, here: &Chosen, from: &str, to: &str) {
        if let Err(message) = check_name(to) {
            return self.error(message);
        }
        let (from, to) = (here.join(from), here.join(to));
        match &here.place {
            Place::Computer => self.local_fs.send(LocalOp::Rename {
                from: PathBuf::from(from),
                to: PathBuf::from(to),
            }),
            Place::Server { side, .. } => {
                let what = format!("Renaming {from} to {to}");
                self.server(*side)
                    .session
                    .change(Command::Rename { from, to }, what);
            }
        }
    }

    fn menu(&mut self, side: Side, item: MenuItem, picked: Picked) {
        let chosen = self.chosen(side, picked);
        match item {
            MenuItem::Transfer => self.transfer(chosen, None),
            MenuItem::TransferTo => {
                let start = PathBuf::from(&self.left.pane.folder);
                self.pick(PickFor::DownloadTo(chosen), Pick::Folder { start });
            }
            MenuItem::Rename => self.pane(side).table.begin_rename(),
            MenuItem::Delete | MenuItem::DeletePermanently if !chosen.is_empty() => {
                let permanent = item == MenuItem::DeletePermanently;
                self.ask_delete(DeleteRequest::new(chosen, permanent));
            }
            MenuItem::Delete | MenuItem::DeletePermanently => {}
            MenuItem::NewFolder => self.dialogs.push(Dialog::NewFolder {
                place: chosen.place,
                folder: chosen.folder,
                name: String::new(),
            }),
            MenuItem::CopyUrl => {
                let urls: Vec<String> = chosen
                    .items
                    .iter()
                    .map(|i| self.server_url(side, &i.path))
                    .collect();
                if let Some(ctx) = self.waker.ctx() {
                    ctx.copy_text(urls.join("\n"));
                }
            }
            MenuItem::Permissions => {
                if let Some(item) = chosen.items.first() {
                    self.dialogs.push(Dialog::Permissions {
                        mode: octal_mode(&item.row.permissions),
                        path: item.path.clone(),
                        place: chosen.place.clone(),
                    });
                }
            }
            MenuItem::OpenInFileManager => open_in_file_manager(&chosen.folder),
            MenuItem::Edit => self.open_to_edit(chosen, EditMode::Edit),
            MenuItem::View => self.open_to_edit(chosen, EditMode::View),
            MenuItem::KeepUpToDate => self.keep_up_to_date(chosen),
            MenuItem::Checksum => {
                let Place::Server { side, .. } = chosen.place.clone() else {
                    return;
                };
                if !self.still_there(&chosen.place, "The checksum") {
                    return;
                }
                for item in chosen.items.iter().filter(|i| !i.row.is_dir()) {
                    self.pane(side)
                        .table
                        .checksums
                        .insert(item.row.name.clone(), "asking…".to_string());
                    self.server(side)
                        .session
                        .checksum(chosen.folder.clone(), item.row.name.clone());
                }
            }
            MenuItem::Refresh => self.refresh(side),
        }
    }

    /// Asks whether to delete what `request` names, and counts what its
    /// folders hold meanwhile (on the disk thread, or with a listing on
    /// the server's browsing connection).
    fn ask_delete(&mut self, request: DeleteRequest) {
        let place = request.chosen.place.clone();
        for item in request.chosen.items.iter().filter(|i| i.row.is_dir()) {
            match &place {
                Place::Computer => self
                    .local_fs
                    .send(LocalOp::Count(PathBuf::from(&item.path))),
                Place::Server { side, login, .. } => {
                    self.server(*side).session.count(item.path.clone(), *login);
                }
            }
        }
        if !self.settings.confirm_delete {
            // Settings → "Ask before deleting" is off: what was picked
            // goes now, exactly as the question would have named it.
            return self.delete(request);
        }
        self.dialogs.push(Dialog::ConfirmDelete(request));
    }

    /// The URL of a full path on the server on `side`, as Ferry's own
    /// parser reads it back (escaped, IPv6 in brackets), never with the
    /// password.
    fn server_url(&mut self, side: Side, path: &str) -> String {
        let Some(options) = &self.server(side).session.options else {
            return String::new();
        };
        FtpUrl {
            security: options.security,
            host: options.host.clone(),
            port: options.port,
            user: options.user.clone(),
            password: None,
            path: path.to_string(),
        }
        .to_string()
    }

    /// Queues transfers of what `chosen` names to the other side: into
    /// `target` (a folder there), else into the folder the other pane
    /// lists now, which is what the user sees as they choose. Downloads,
    /// uploads, or copies between two servers.
    pub(super) fn transfer(&mut self, chosen: Chosen, target: Option<String>) {
        if !self.right.server.is_connected()
            || (self.left.shows_server() && !self.left.server.is_connected())
        {
            return self.error("Connect to a server first.");
        }
        if !self.still_there(&chosen.place, "The transfer") {
            return;
        }
        if self.left.shows_server() {
            return self.copy(chosen, target);
        }
        let download = chosen.place.is_server();
        let other = match download {
            true => &self.left.pane,
            false => &self.right.pane,
        };
        let folder = target.unwrap_or_else(|| other.table.folder().to_string());
        if folder.is_empty() {
            return self.error("The other pane shows no folder yet; wait for its listing.");
        }
        for item in chosen.items {
            let name = &item.row.name;
            let spec = if download {
                if !is_safe_local_name(name) {
                    self.error(format!(
                        "{name:?} cannot be saved here: the name is not safe"
                    ));
                    continue;
                }
                TransferSpec {
                    direction: Direction::Download,
                    local: Path::new(&folder).join(name),
                    remote: item.path,
                    // A link may lead to a folder: the queue lists it as
                    // one and, if it is a file, fetches it as the file.
                    recursive: item.row.is_dir() || item.row.kind == RowKind::Link,
                    copy_to: String::new(),
                }
            } else {
                TransferSpec {
                    direction: Direction::Upload,
                    remote: remote_join(&folder, name),
                    local: PathBuf::from(item.path),
                    recursive: item.row.is_dir(),
                    copy_to: String::new(),
                }
            };
            self.queue_command(QueueCommand::Add(spec));
        }
    }

    /// Copies of what `chosen` names (on one server) to the other server.
    fn copy(&mut self, chosen: Chosen, target: Option<String>) {
        let Place::Server { side: from, .. } = chosen.place else {
            return;
        };
        let folder = target.unwrap_or_else(|| self.pane(from.other()).table.folder().to_string());
        if folder.is_empty() {
            return self.error("The other pane shows no folder yet; wait for its listing.");
        }
        let count = chosen.items.len();
        let specs: Vec<TransferSpec> = chosen
            .items
            .into_iter()
            .filter(|item| is_safe_local_name(&item.row.name))
            .map(|item| TransferSpec {
                direction: Direction::Copy,
                copy_to: remote_join(&folder, &item.row.name),
                remote: item.path,
                local: PathBuf::new(),
                recursive: item.row.is_dir() || item.row.kind == RowKind::Link,
            })
            .collect();
        if specs.len() < count {
            self.error("Names that are not safe on the other server were left out.");
        }
        if let Some(queue) = self.copy_queue(from) {
            for spec in specs {
                queue.add(spec);
            }
        }
    }

    /// Rows dragged from the other pane were dropped on `side`, into
    /// `folder` (what it listed) or its subfolder `into`.
    fn dropped(&mut self, side: Side, payload: &DragPayload, folder: String, into: Option<String>) {
        // The rows belong to the listing they were dragged from.
        let source_listed = self.pane(payload.from).table.folder() == payload.folder;
        if payload.from != side.other() || !source_listed {
            return self.error("The folder changed while dragging; drag again.");
        }
        let here = self.chosen(
            side,
            Picked {
                folder,
                rows: Vec::new(),
            },
        );
        let target = match into {
            Some(name) => here.join(&name),
            None => here.folder.clone(),
        };
        let picked = Picked {
            folder: payload.folder.clone(),
            rows: payload.rows.clone(),
        };
        let chosen = self.chosen(payload.from, picked);
        self.transfer(chosen, Some(target));
    }

    /// Files dropped from the desktop's file manager go to the folder the
    /// server's pane lists.
    pub(super) fn desktop_drops(&mut self, ui: &egui::Ui) {
        let dropped: Vec<PathBuf> = ui.input(|i| {
            i.raw
                .dropped_files
                .iter()
                .map(|f| f.path().to_path_buf())
                .filter(|p| !p.as_os_str().is_empty())
                .collect()
        });
        if dropped.is_empty() {
            return;
        }
        let folder = self.right.pane.table.folder().to_string();
        if !self.right.server.is_connected() {
            return self.error("Connect to a server first, then drop files on it.");
        }
        if folder.is_empty() {
            // Connected, but the folder that the files would go to has not
            // been listed yet: no guessing where the user meant.
            return self.error(
                "The server's folder is still opening: drop the files again once it shows.",
            );
        }
        for path in dropped {
            let Some(name) = path
                .file_name()
                .and_then(|n| n.to_str())
                .map(str::to_string)
            else {
                self.error(format!("{} has no usable name", path.display()));
                continue;
            };
            let spec = TransferSpec {
                direction: Direction::Upload,
                remote: remote_join(&folder, &name),
                recursive: path.is_dir(),
                copy_to: String::new(),
                local: path,
            };
            self.queue_command(QueueCommand::Add(spec));
        }
    }

    pub(super) fn dialog_answer(&mut self, answer: DialogAnswer) {
        match answer {
            DialogAnswer::Delete(request) => self.delete(request),
            DialogAnswer::EditUpload { edit, always } => self.edit_upload_answer(edit, always),
            DialogAnswer::EditConflict { edit, choice } => self.edit_conflict_answer(edit, choice),
            DialogAnswer::QuitAnyway => self.close_anyway(),
            DialogAnswer::Download(chosen) => self.transfer(chosen, None),
            DialogAnswer::CreateMissing { side, path } => self.create_missing(side, path),
            DialogAnswer::Settings(settings) => self.apply_settings(*settings),
            DialogAnswer::NewFolder {
                place,
                folder,
                name,
            } => {
                if let Err(message) = check_name(&name) {
                    return self.error(message);
                }
                if !self.still_there(&place, "Creating the folder") {
                    return;
                }
                let here = Chosen::new(
                    place,
                    Picked {
                        folder,
                        rows: Vec::new(),
                    },
                );
                let path = here.join(&name);
                match here.place {
                    Place::Computer => self.local_fs.send(LocalOp::Mkdir(PathBuf::from(path))),
                    Place::Server { side, .. } => {
                        let what = format!("Creating {path}");
                        self.server(side).session.change(Command::Mkdir(path), what);
                    }
                }
            }
            DialogAnswer::Permissions { place, path, mode } => {
                if !self.still_there(&place, "Setting the permissions") {
                    return;
                }
                if let Place::Server { side, .. } = place {
                    let what = format!("Setting {path} to {mode}");
                    self.server(side)
                        .session
                        .change(Command::Chmod { path, mode }, what);
                }
            }
            DialogAnswer::Trust {
                side,
                fingerprint,
                always,
            } => self.trust_certificate(side, fingerprint, always),
            DialogAnswer::TrustHostKey { side, key, always } => {
                self.trust_host_key(side, key, always)
            }
            DialogAnswer::Password {
                side,
                site,
                password,
            } => {
                self.connect_with(side, &site, Some(password));
            }
            DialogAnswer::Exists {
                id,
                policy,
                for_all,
            } => {
                if for_all {
                    // The queue answers the others itself; close their dialogs.
                    self.dialogs.retain(|d| !matches!(d, Dialog::Exists { .. }));
                }
                self.queue_command(QueueCommand::Answer {
                    id,
                    policy,
                    for_all,
                });
            }
        }
    }

    /// Deletes exactly what the question named, where it named it: to the
    /// trash on this computer unless asked otherwise, for good on a server.
    fn delete(&mut self, request: DeleteRequest) {
        let chosen = request.chosen;
        if !self.still_there(&chosen.place, "The delete") {
            return;
        }
        match &chosen.place {
            Place::Computer => {
                let paths = chosen.local_paths();
                self.local_fs.send(match request.permanent {
                    true => LocalOp::Delete(paths),
                    false => LocalOp::Trash(paths),
                });
                // A pane inside what goes moves out of it, not onto a
                // folder that no longer exists.
                if !self.left.shows_server()
                    && let Some(folder) = chosen.folder_after_delete(&self.left.pane.folder)
                {
                    self.left.pane.folder = folder.clone();
                    self.open_local(PathBuf::from(folder));
                }
            }
            Place::Server { side, name, .. } => {
                for item in &chosen.items {
                    let path = item.path.clone();
                    let what = format!("Deleting {path} on {name}");
                    let command = if item.row.is_dir() {
                        Command::DeleteTree(path)
                    } else {
                        Command::Delete(path)
                    };
                    self.server(*side).session.change(command, what);
                }
                let shown = self.pane(*side).folder.clone();
                if let Some(folder) = chosen.folder_after_delete(&shown) {
                    self.server(*side).session.open_folder(folder);
                }
            }
        }
    }
}

/// A name typed by the user for a new or renamed entry.
fn check_name(name: &str) -> Result<(), String> {
    if is_safe_local_name(name) {
        Ok(())
    } else {
        Err(format!(
            "{name:?} is not a usable name (no /, \\, control characters, . or ..)"
        ))
    }
}

/// "rwxr-xr-x" as "755", for the permissions dialog to start from.
fn octal_mode(permissions: &str) -> String {
    let bits: Vec<bool> = permissions.chars().take(9).map(|c| c != '-').collect();
    if bits.len() != 9 {
        return "644".to_string();
    }
    bits.chunks(3)
        .map(|c| (u8::from(c[0]) * 4 + u8::from(c[1]) * 2 + u8::from(c[2])).to_string())
        .collect()
}

fn open_in_file_manager(folder: &str) {
    let program = if cfg!(target_os = "macos") {
        "open"
    } else if cfg!(windows) {
        "explorer"
    } else {
        "xdg-open"
    };
    // Spawned, not waited for.
    let _ = std::process::Command::new(program).arg(folder).spawn();
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::gui::connect_bar::LinkState;
    use crate::gui::rows::RowKind;
    use crate::gui::settings::Settings;

    /// A question is modal, but a delete, new folder or permissions
    /// change is carried out only on the connection it was chosen on: if
    /// the pane's server was replaced in between (connected anew, or
    /// another server), it is refused with a message, and nothing is sent.
    #[test]
    fn a_delete_chosen_on_an_earlier_connection_is_refused_and_sends_nothing() {
        let mut app = FerryApp::with_sites(Settings::default(), None, None);
        let connected = LinkState::Connected {
            host: "127.0.0.1".to_string(),
            tls: false,
        };
        app.right.server.link = connected.clone();
        let picked = Picked {
            folder: "/".to_string(),
            rows: vec![FileRow::named("x", RowKind::Dir)],
        };
        let chosen = app.chosen(Side::Right, picked);
        // The connection is replaced and the new one logs in.
        app.right.server.session.replace();
        app.right.server.link = connected;
        app.dialog_answer(DialogAnswer::Delete(DeleteRequest::new(chosen, true)));
        assert!(
            !app.right.server.session.busy_with_changes(),
            "a delete was sent"
        );
        let errors = app.errors().join("\n");
        assert!(errors.contains("The delete was not done"), "{errors}");
    }

    #[test]
    fn permissions_read_as_octal() {
        assert_eq!(octal_mode("rwxr-xr-x"), "755");
        assert_eq!(octal_mode("rw-r--r--"), "644");
        assert_eq!(octal_mode(""), "644");
    }
}
