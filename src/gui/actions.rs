//! What the user's actions in the panes, menus and dialogs do: engine
//! commands for the server, disk operations for this computer, queue items
//! for transfers. Nothing here waits.

use std::path::{Path, PathBuf};

use super::app::FerryApp;
use super::dialogs::{Dialog, DialogAnswer};
use super::file_table::{DragPayload, MenuItem, Side};
use super::local_fs::LocalOp;
use super::pane::PaneAction;
use super::remote::Purpose;
use super::rows::FileRow;
use crate::engine::Command;
use crate::engine::names::{is_safe_local_name, remote_join};
use crate::engine::queue::{Direction, QueueCommand, TransferSpec};

impl FerryApp {
    pub(super) fn pane_action(&mut self, side: Side, action: PaneAction) {
        let server = self.is_server(side);
        match (server, action) {
            (false, PaneAction::Navigate(path)) => self.open_local(PathBuf::from(path)),
            (true, PaneAction::Navigate(path)) => self.change_server_folder(side, path),
            (false, PaneAction::Up) => {
                if let Some(parent) = Path::new(&self.local.folder).parent() {
                    self.open_local(parent.to_path_buf());
                }
            }
            (true, PaneAction::Up) => {
                if self.server(side).is_connected() {
                    self.pane(side).loading = true;
                    self.server(side)
                        .session
                        .send(Command::Cdup, Purpose::ChangeFolder);
                }
            }
            (_, PaneAction::Refresh) => self.refresh(side),
            (false, PaneAction::Open(row)) if row.is_dir() => {
                let folder = Path::new(&self.local.folder).join(&row.name);
                self.open_local(folder);
            }
            (true, PaneAction::Open(row)) if row.is_dir() => {
                let folder = remote_join(&self.pane(side).folder, &row.name);
                self.change_server_folder(side, folder);
            }
            (_, PaneAction::Open(row)) => self.transfer(side, std::slice::from_ref(&row), None),
            (_, PaneAction::Menu(item, rows)) => self.menu(side, item, rows),
            (_, PaneAction::Dropped { payload, into }) => self.dropped(side, &payload, into),
            (false, PaneAction::Rename { from, to }) => {
                let folder = PathBuf::from(&self.local.folder);
                match check_name(&to) {
                    Ok(()) => self.local_fs.send(LocalOp::Rename {
                        from: folder.join(from),
                        to: folder.join(to),
                    }),
                    Err(message) => self.error(message),
                }
            }
            (true, PaneAction::Rename { from, to }) => {
                if let Err(message) = check_name(&to) {
                    return self.error(message);
                }
                let folder = self.pane(side).folder.clone();
                let command = Command::Rename {
                    from: remote_join(&folder, &from),
                    to: remote_join(&folder, &to),
                };
                let what = format!("Renaming {from} to {to}");
                self.server(side)
                    .session
                    .send(command, Purpose::Change { what });
            }
        }
    }

    fn change_server_folder(&mut self, side: Side, path: String) {
        if self.server(side).is_connected() && !path.is_empty() {
            self.pane(side).loading = true;
            self.server(side)
                .session
                .send(Command::Cwd(path), Purpose::ChangeFolder);
        }
    }

    fn menu(&mut self, side: Side, item: MenuItem, rows: Vec<FileRow>) {
        match item {
            MenuItem::Transfer => self.transfer(side, &rows, None),
            MenuItem::TransferTo => {
                // The folder picker is the one thing the window waits for:
                // the user is choosing.
                if let Some(folder) = rfd::FileDialog::new()
                    .set_directory(&self.local.folder)
                    .pick_folder()
                {
                    self.transfer(side, &rows, Some(folder.display().to_string()));
                }
            }
            MenuItem::Rename => self.pane(side).table.begin_rename(),
            MenuItem::Delete if !rows.is_empty() => {
                self.dialogs.push(Dialog::ConfirmDelete { side, rows });
            }
            MenuItem::Delete => {}
            MenuItem::NewFolder => self.dialogs.push(Dialog::NewFolder {
                side,
                name: String::new(),
            }),
            MenuItem::CopyUrl => {
                let urls: Vec<String> = rows
                    .iter()
                    .map(|r| self.server_url(side, &r.name))
                    .collect();
                if let Some(ctx) = self.waker.ctx() {
                    ctx.copy_text(urls.join("\n"));
                }
            }
            MenuItem::Permissions => {
                if let Some(row) = rows.first() {
                    let path = remote_join(&self.pane(side).folder, &row.name);
                    self.dialogs.push(Dialog::Permissions {
                        side,
                        path,
                        mode: octal_mode(&row.permissions),
                    });
                }
            }
            MenuItem::OpenInFileManager => open_in_file_manager(&self.local.folder),
            MenuItem::Refresh => self.refresh(side),
        }
    }

    /// `ftp://user@host:port/path` for a name in the folder of the server
    /// on `side`; never with the password.
    fn server_url(&mut self, side: Side, name: &str) -> String {
        let path = remote_join(&self.pane(side).folder, name);
        let Some(options) = &self.server(side).session.options else {
            return String::new();
        };
        let scheme = options.security.scheme();
        let user = options
            .user
            .as_ref()
            .map(|u| format!("{u}@"))
            .unwrap_or_default();
        // An absolute path is written with a second slash, as curl reads it.
        let path = if path.starts_with('/') {
            format!("/{path}")
        } else {
            path
        };
        format!("{scheme}://{user}{}:{}/{path}", options.host, options.port)
    }

    /// Queues transfers of `rows` from `side` to the other side's folder (or
    /// `target`, a folder on the other side): downloads, uploads, or copies
    /// between two servers.
    pub(super) fn transfer(&mut self, side: Side, rows: &[FileRow], target: Option<String>) {
        if !self.right.is_connected() || (self.left_is_server && !self.left.is_connected()) {
            return self.error("Connect to a server first.");
        }
        if self.left_is_server {
            return self.copy(side, rows, target);
        }
        for row in rows {
            let spec = match side {
                Side::Remote => {
                    if !is_safe_local_name(&row.name) {
                        self.error(format!(
                            "{:?} cannot be saved here: the name is not safe",
                            row.name
                        ));
                        continue;
                    }
                    let folder = target.clone().unwrap_or_else(|| self.local.folder.clone());
                    TransferSpec {
                        direction: Direction::Download,
                        remote: remote_join(&self.remote.folder, &row.name),
                        local: Path::new(&folder).join(&row.name),
                        recursive: row.is_dir(),
                        copy_to: String::new(),
                    }
                }
                Side::Local => {
                    let folder = target.clone().unwrap_or_else(|| self.remote.folder.clone());
                    TransferSpec {
                        direction: Direction::Upload,
                        remote: remote_join(&folder, &row.name),
                        local: Path::new(&self.local.folder).join(&row.name),
                        recursive: row.is_dir(),
                        copy_to: String::new(),
                    }
                }
            };
            self.queue_command(QueueCommand::Add(spec));
        }
    }

    /// Copies of `rows` from the server on `from` to the other server.
    fn copy(&mut self, from: Side, rows: &[FileRow], target: Option<String>) {
        let source_folder = self.pane(from).folder.clone();
        let folder = target.unwrap_or_else(|| self.pane(from.other()).folder.clone());
        let specs: Vec<TransferSpec> = rows
            .iter()
            .filter(|row| is_safe_local_name(&row.name))
            .map(|row| TransferSpec {
                direction: Direction::Copy,
                remote: remote_join(&source_folder, &row.name),
                local: PathBuf::new(),
                recursive: row.is_dir(),
                copy_to: remote_join(&folder, &row.name),
            })
            .collect();
        if specs.len() < rows.len() {
            self.error("Names that are not safe on the other server were left out.");
        }
        if let Some(queue) = self.copy_queue(from) {
            for spec in specs {
                queue.add(spec);
            }
        }
    }

    /// Rows dragged from the other pane were dropped on `side`.
    fn dropped(&mut self, side: Side, payload: &DragPayload, into: Option<String>) {
        let folder = self.pane(side).folder.clone();
        let target = match self.is_server(side) {
            true => into.map(|name| remote_join(&folder, &name)),
            false => into.map(|name| Path::new(&folder).join(name).display().to_string()),
        };
        // The rows belong to the folder they were dragged from.
        if payload.from == side.other() && payload.folder == self.pane(payload.from).folder {
            self.transfer(payload.from, &payload.rows, target);
        } else {
            self.error("The folder changed while dragging; drag again.");
        }
    }

    /// Files dropped from the desktop's file manager go to the server.
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
        if !self.right.is_connected() {
            return self.error("Connect to a server first, then drop files on it.");
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
                remote: remote_join(&self.remote.folder, &name),
                recursive: path.is_dir(),
                copy_to: String::new(),
                local: path,
            };
            self.queue_command(QueueCommand::Add(spec));
        }
    }

    pub(super) fn dialog_answer(&mut self, answer: DialogAnswer) {
        match answer {
            DialogAnswer::Delete { side, rows } if !self.is_server(side) => {
                let folder = PathBuf::from(&self.local.folder);
                self.local_fs.send(LocalOp::Delete(
                    rows.iter().map(|r| folder.join(&r.name)).collect(),
                ));
            }
            DialogAnswer::Delete { side, rows } => {
                let folder = self.pane(side).folder.clone();
                for row in rows {
                    let path = remote_join(&folder, &row.name);
                    let command = if row.is_dir() {
                        Command::DeleteTree(path)
                    } else {
                        Command::Delete(path)
                    };
                    let what = format!("Deleting {}", row.name);
                    self.server(side)
                        .session
                        .send(command, Purpose::Change { what });
                }
            }
            DialogAnswer::NewFolder { side, name } => {
                if let Err(message) = check_name(&name) {
                    return self.error(message);
                }
                if self.is_server(side) {
                    let what = format!("Creating {name}");
                    let command = Command::Mkdir(remote_join(&self.pane(side).folder, &name));
                    self.server(side)
                        .session
                        .send(command, Purpose::Change { what });
                } else {
                    self.local_fs
                        .send(LocalOp::Mkdir(Path::new(&self.local.folder).join(name)));
                }
            }
            DialogAnswer::Permissions { side, path, mode } => {
                let what = format!("Setting {path} to {mode}");
                self.server(side)
                    .session
                    .send(Command::Chmod { path, mode }, Purpose::Change { what });
            }
            DialogAnswer::Trust {
                side,
                fingerprint,
                always,
            } => self.trust_certificate(side, fingerprint, always),
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

    #[test]
    fn permissions_read_as_octal() {
        assert_eq!(octal_mode("rwxr-xr-x"), "755");
        assert_eq!(octal_mode("rw-r--r--"), "644");
        assert_eq!(octal_mode(""), "644");
    }
}
