//! The few questions the window asks: confirm a delete, name a new folder,
//! set permissions, and what to do when a target exists. One at a time,
//! as modals; answers come back as [`DialogAnswer`]s.
//!
//! A question about files holds what it is about (the place and the full
//! paths, see `chosen`) from the moment it opens, and its answer carries
//! that, never a name to look up again. While a question is open it has
//! the whole keyboard: the app gives the panes no keys, and egui takes the
//! focus from any widget behind a modal (widgets there do not register for
//! focus, so the focus is dropped at the end of the modal's first frame).

use egui::{Context, Id, Modal, Ui};

use super::chosen::{DeleteRequest, Place};
use super::file_table::Side;
use super::rows::{human_size, local_time};
use crate::engine::queue::{ExistsPolicy, ItemId};
use crate::engine::{FileStat, display_text};

/// Paths a delete question lists before "and N more".
const LISTED: usize = 8;

pub enum Dialog {
    ConfirmDelete(DeleteRequest),
    /// A name for a new folder in `folder` (where the user was when
    /// asking) on `place`.
    NewFolder {
        place: Place,
        folder: String,
        name: String,
    },
    Permissions {
        place: Place,
        path: String,
        mode: String,
    },
    Exists {
        id: ItemId,
        name: String,
        source: FileStat,
        target: FileStat,
        apply_to_all: bool,
    },
    /// A certificate to judge: trust once, always, or cancel.
    Certificate {
        /// The pane whose server sent it.
        side: Side,
        problem: Box<crate::engine::CertificateProblem>,
        /// Fingerprints trusted for this server before, if they differ.
        changed_from: Option<String>,
    },
    /// An SSH host key Ferry refused: unknown (to judge) or changed or
    /// revoked (said, nothing to accept).
    HostKey {
        side: Side,
        problem: Box<crate::engine::ssh::HostKeyProblem>,
    },
    /// The password for a site that keeps none (or no keyring to keep it).
    Password {
        side: Side,
        site: Box<crate::sites::Site>,
        password: String,
    },
    /// Edit → Settings, on a copy of the settings.
    Settings(Box<crate::gui::settings::Settings>),
    /// A file opened to edit was saved: upload it?
    EditSaved {
        edit: u64,
        name: String,
        server: String,
        always: bool,
    },
    /// The server's file changed since it was opened to edit.
    EditConflict {
        edit: u64,
        name: String,
        why: String,
    },
    /// Closing the window would lose saved edits not uploaded.
    UnsentEdits {
        count: usize,
    },
    /// A link named a file: download it?
    DownloadNamedFile(super::chosen::Chosen),
    /// Synchronized browsing went to a folder the other side lacks.
    CreateMissing {
        side: Side,
        path: String,
    },
    About,
    Shortcuts,
}

/// What a dialog was answered with.
#[derive(Debug, Clone)]
pub enum DialogAnswer {
    Delete(DeleteRequest),
    NewFolder {
        place: Place,
        folder: String,
        name: String,
    },
    Permissions {
        place: Place,
        path: String,
        mode: String,
    },
    Exists {
        id: ItemId,
        policy: ExistsPolicy,
        for_all: bool,
    },
    Password {
        side: Side,
        site: Box<crate::sites::Site>,
        password: String,
    },
    /// Trust this fingerprint (for this connection, or from now on).
    Trust {
        side: Side,
        fingerprint: String,
        always: bool,
    },
    /// Accept this unknown SSH host key (for this login, or from now on).
    TrustHostKey {
        side: Side,
        key: crate::engine::ssh::HostKey,
        always: bool,
    },
    /// The settings as the Settings dialog left them (OK).
    Settings(Box<crate::gui::settings::Settings>),
    /// Upload the saved file (and from now on without asking).
    EditUpload {
        edit: u64,
        always: bool,
    },
    /// What to do with an edited file the server changed meanwhile.
    EditConflict {
        edit: u64,
        choice: ConflictChoice,
    },
    /// Close the window although edits were not uploaded.
    QuitAnyway,
    /// Download the file a link named.
    Download(super::chosen::Chosen),
    /// Make the folder synchronized browsing asked for, and open it.
    CreateMissing {
        side: Side,
        path: String,
    },
}

/// The answers to an edited file that changed on the server meanwhile.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConflictChoice {
    /// Replace theirs with the edited copy.
    Overwrite,
    /// Upload the copy beside theirs, as "name (1).ext".
    KeepBoth,
    /// Open the server's version beside the copy, to compare.
    DownloadTheirs,
}

/// `None`: still open. `Some(None)`: closed without an answer.
type Shown = Option<Option<DialogAnswer>>;

impl Dialog {
    pub fn show(&mut self, ctx: &Context) -> Shown {
        let mut shown = None;
        let response = Modal::new(Id::unique("ferry-dialog")).show(ctx, |ui| {
            ui.set_max_width(420.0);
            shown = match self {
                Dialog::ConfirmDelete(request) => confirm_delete(ui, request),
                Dialog::NewFolder {
                    place,
                    folder,
                    name,
                } => new_folder(ui, place, folder, name),
                Dialog::Permissions { place, path, mode } => permissions(ui, place, path, mode),
                Dialog::Exists {
                    id,
                    name,
                    source,
                    target,
                    apply_to_all,
                } => exists(ui, *id, name, source, target, apply_to_all),
                Dialog::Password {
                    side,
                    site,
                    password,
                } => ask_password(ui, *side, site, password),
                Dialog::Certificate {
                    side,
                    problem,
                    changed_from,
                } => certificate(ui, *side, problem, changed_from.as_deref()),
                Dialog::HostKey { side, problem } => host_key(ui, *side, problem),
                Dialog::Settings(draft) => {
                    ui.set_max_width(560.0);
                    match super::settings_dialog::settings_form(ui, draft) {
                        Some(true) => Some(Some(DialogAnswer::Settings(draft.clone()))),
                        Some(false) => Some(None),
                        None => None,
                    }
                }
                Dialog::EditSaved {
                    edit,
                    name,
                    server,
                    always,
                } => edit_saved(ui, *edit, name, server, always),
                Dialog::EditConflict { edit, name, why } => edit_conflict(ui, *edit, name, why),
                Dialog::UnsentEdits { count } => unsent_edits(ui, *count),
                Dialog::DownloadNamedFile(chosen) => download_named_file(ui, chosen),
                Dialog::CreateMissing { side, path } => create_missing(ui, *side, path),
                Dialog::About => super::help::about(ui).then_some(None),
                Dialog::Shortcuts => {
                    ui.set_max_width(560.0);
                    super::help::shortcuts(ui).then_some(None)
                }
            };
        });
        if response.should_close() && shown.is_none() {
            // Escape or a click outside: the user said no. An exists
            // question cannot be dismissed: the item waits for an answer.
            if !matches!(self, Dialog::Exists { .. }) {
                return Some(None);
            }
        }
        shown
    }
}

fn buttons(ui: &mut Ui, ok: &str) -> (bool, bool) {
    let mut pressed = (false, false);
    ui.horizontal(|ui| {
        pressed.0 = ui.button(ok).clicked();
        pressed.1 = ui.button("Cancel").clicked();
    });
    pressed
}

/// "on this computer" or "on the server alice@host:21", as a dialog says
/// it (the host is the user's, but shown escaped like all text).
fn where_text(place: &Place) -> String {
    format!("on {}", display_text(&place.describe()))
}

fn confirm_delete(ui: &mut Ui, request: &DeleteRequest) -> Shown {
    ui.set_max_width(560.0);
    let place = &request.chosen.place;
    let (heading, action) = match (place, request.permanent) {
        (Place::Computer, false) => ("Move to the trash?", "Move to trash"),
        (Place::Computer, true) => ("Delete permanently?", "Delete permanently"),
        (Place::Server { .. }, _) => ("Delete on the server?", "Delete"),
    };
    ui.heading(heading);
    ui.label(match place {
        Place::Computer => "On this computer:".to_string(),
        Place::Server { name, .. } => format!("On the server {}:", display_text(name)),
    });
    let items = &request.chosen.items;
    for (item, count) in items.iter().zip(&request.counts).take(LISTED) {
        let what = if item.row.is_dir() {
            match count {
                None => "folder, counting what it holds…".to_string(),
                Some(Ok(count)) => format!("folder, {}", count.describe()),
                Some(Err(_)) => "folder (what it holds could not be counted)".to_string(),
            }
        } else {
            item.row
                .size
                .map(human_size)
                .unwrap_or_else(|| item.row.type_name().to_lowercase())
        };
        ui.label(format!("{} — {what}", display_text(&item.path)));
    }
    if items.len() > LISTED {
        ui.label(format!("and {} more", items.len() - LISTED));
    }
    let folders = items.iter().any(|i| i.row.is_dir());
    ui.add_space(4.0);
    if request.to_trash() {
        ui.label("You can restore them from the trash. Shift+Delete deletes for good.");
    } else {
        if folders {
            ui.label("Folders are deleted with everything in them.");
        }
        ui.colored_label(ui.visuals().warn_fg_color, "This cannot be undone.");
    }
    let mut answer = None;
    ui.horizontal(|ui| {
        let ok = ui.button(action);
        // Enter confirms what the question names: the button takes the
        // focus as soon as nothing has it (egui drops the focus of what
        // is behind a modal after its first frame).
        if ui.memory(|m| m.focused().is_none()) {
            ok.request_focus();
        }
        if ok.clicked() {
            answer = Some(Some(DialogAnswer::Delete(request.clone())));
        }
        if ui.button("Cancel").clicked() {
            answer = Some(None);
        }
    });
    answer
}

fn new_folder(ui: &mut Ui, place: &Place, folder: &str, name: &mut String) -> Shown {
    ui.heading("New folder");
    ui.label(format!("In {} {}", display_text(folder), where_text(place)));
    let field = ui.add(
        egui::TextEdit::singleline(name)
            .id_salt("new-folder-name")
            .hint_text("Name"),
    );
    // Focus the field once; asking every frame would take Enter's
    // focus change away before it could be seen.
    if ui.memory(|m| m.focused().is_none()) {
        field.request_focus();
    }
    let enter =
        (field.has_focus() || field.lost_focus()) && ui.input(|i| i.key_pressed(egui::Key::Enter));
    let (ok, cancel) = buttons(ui, "Create");
    let name = name.trim();
    if (ok || enter) && !name.is_empty() {
        return Some(Some(DialogAnswer::NewFolder {
            place: place.clone(),
            folder: folder.to_string(),
            name: name.to_string(),
        }));
    }
    cancel.then_some(None)
}

fn permissions(ui: &mut Ui, place: &Place, path: &str, mode: &mut String) -> Shown {
    ui.heading("Permissions");
    ui.label(format!(
        "SITE CHMOD for {} {}",
        display_text(path),
        where_text(place)
    ));
    ui.add(
        egui::TextEdit::singleline(mode)
            .id_salt("chmod-mode")
            .hint_text("Octal, e.g. 644"),
    );
    let valid =
        !mode.is_empty() && mode.len() <= 4 && mode.chars().all(|c| ('0'..='7').contains(&c));
    if !valid && !mode.is_empty() {
        ui.colored_label(
            ui.visuals().error_fg_color,
            "An octal mode like 644 or 0755",
        );
    }
    let (ok, cancel) = buttons(ui, "Set");
    if ok && valid {
        return Some(Some(DialogAnswer::Permissions {
            place: place.clone(),
            path: path.to_string(),
            mode: mode.clone(),
        }));
    }
    cancel.then_some(None)
}

fn describe(stat: &FileStat) -> String {
    let size = stat
        .size
        .map(human_size)
        .unwrap_or_else(|| "size unknown".to_string());
    let time = stat
        .modified
        .map(local_time)
        .unwrap_or_else(|| "time unknown".to_string());
    format!("{size}, {time}")
}

fn exists(
    ui: &mut Ui,
    id: ItemId,
    name: &str,
    source: &FileStat,
    target: &FileStat,
    apply_to_all: &mut bool,
) -> Shown {
    ui.heading("The target file exists");
    ui.label(display_text(name));
    ui.label(format!("Source: {}", describe(source)));
    ui.label(format!("Target: {}", describe(target)));
    ui.checkbox(apply_to_all, "Apply to all");
    let mut chosen = None;
    ui.horizontal_wrapped(|ui| {
        for (policy, label) in [
            (ExistsPolicy::Overwrite, "Overwrite"),
            (ExistsPolicy::OverwriteIfNewer, "Overwrite if newer"),
            (
                ExistsPolicy::OverwriteIfSizeDiffers,
                "Overwrite if size differs",
            ),
            (ExistsPolicy::Resume, "Resume"),
            (ExistsPolicy::Rename, "Keep both"),
            (ExistsPolicy::Skip, "Skip"),
        ] {
            if ui.button(label).clicked() {
                chosen = Some(policy);
            }
        }
    });
    chosen.map(|policy| {
        Some(DialogAnswer::Exists {
            id,
            policy,
            for_all: *apply_to_all,
        })
    })
}

fn edit_saved(ui: &mut Ui, edit: u64, name: &str, server: &str, always: &mut bool) -> Shown {
    ui.heading("Upload the saved file?");
    ui.label(format!(
        "{} was saved. Upload it to {}?",
        display_text(name),
        display_text(server)
    ));
    ui.checkbox(always, "Don't ask again for this file");
    let mut upload = false;
    let mut cancel = false;
    ui.horizontal(|ui| {
        upload = ui.button("Upload now").clicked();
        cancel = ui.button("Not now").clicked();
    });
    if upload {
        return Some(Some(DialogAnswer::EditUpload {
            edit,
            always: *always,
        }));
    }
    // Not now: the file stays "changed" in the edited files, with an
    // Upload button there.
    cancel.then_some(None)
}

fn edit_conflict(ui: &mut Ui, edit: u64, name: &str, why: &str) -> Shown {
    ui.heading("The file changed on the server");
    ui.label(format!("{}: {}.", display_text(name), display_text(why)));
    ui.label("Nothing was uploaded. Your copy is kept.");
    let mut choice = None;
    let mut cancel = false;
    ui.horizontal_wrapped(|ui| {
        for (answer, label) in [
            (ConflictChoice::Overwrite, "Overwrite theirs"),
            (ConflictChoice::KeepBoth, "Keep both"),
            (ConflictChoice::DownloadTheirs, "Open theirs to compare"),
        ] {
            if ui.button(label).clicked() {
                choice = Some(answer);
            }
        }
        cancel = ui.button("Cancel").clicked();
    });
    if let Some(choice) = choice {
        return Some(Some(DialogAnswer::EditConflict { edit, choice }));
    }
    cancel.then_some(None)
}

fn download_named_file(ui: &mut Ui, chosen: &super::chosen::Chosen) -> Shown {
    let Some(item) = chosen.items.first() else {
        return Some(None);
    };
    ui.heading("The link names a file");
    let size = item
        .row
        .size
        .map(|s| format!(" ({})", human_size(s)))
        .unwrap_or_default();
    ui.label(format!(
        "{}{size} {}. Download it to the folder on the left?",
        display_text(&item.path),
        where_text(&chosen.place)
    ));
    let (download, cancel) = buttons(ui, "Download");
    if download {
        return Some(Some(DialogAnswer::Download(chosen.clone())));
    }
    cancel.then_some(None)
}

fn create_missing(ui: &mut Ui, side: Side, path: &str) -> Shown {
    ui.heading("The folder is not there");
    ui.label(format!(
        "Synchronized browsing opened the same folder on the other side, but {} \
         does not exist there. Create it?",
        display_text(path)
    ));
    let (create, cancel) = buttons(ui, "Create");
    if create {
        return Some(Some(DialogAnswer::CreateMissing {
            side,
            path: path.to_string(),
        }));
    }
    cancel.then_some(None)
}

fn unsent_edits(ui: &mut Ui, count: usize) -> Shown {
    ui.heading("Edited files not uploaded");
    ui.label(format!(
        "{} saved here but not uploaded. Their copies are kept: the next Ferry lists \
         them again, to upload once you are logged in to their server.",
        crate::units::count(count as u64, "edited file was", "edited files were")
    ));
    let (quit, cancel) = buttons(ui, "Close");
    if quit {
        return Some(Some(DialogAnswer::QuitAnyway));
    }
    cancel.then_some(None)
}

fn ask_password(
    ui: &mut Ui,
    side: Side,
    site: &crate::sites::Site,
    password: &mut String,
) -> Shown {
    ui.heading("Password");
    ui.label(format!("{} ({}@{})", site.path(), site.user, site.host));
    let label = ui.label("Password");
    let field = ui
        .add(
            egui::TextEdit::singleline(password)
                .id_salt("ask-password")
                .password(true),
        )
        .labelled_by(label.id);
    // Focus the field once; asking every frame would take Enter's
    // focus change away before it could be seen.
    if ui.memory(|m| m.focused().is_none()) {
        field.request_focus();
    }
    let enter =
        (field.has_focus() || field.lost_focus()) && ui.input(|i| i.key_pressed(egui::Key::Enter));
    let (ok, cancel) = buttons(ui, "Connect");
    if ok || enter {
        return Some(Some(DialogAnswer::Password {
            side,
            site: Box::new(site.clone()),
            password: password.clone(),
        }));
    }
    cancel.then_some(None)
}

fn host_key(ui: &mut Ui, side: Side, problem: &crate::engine::ssh::HostKeyProblem) -> Shown {
    use crate::engine::ssh::HostKeyVerdict;
    let server = match problem.port {
        22 => problem.host.clone(),
        port => format!("{}:{port}", problem.host),
    };
    let error = ui.visuals().error_fg_color;
    match &problem.verdict {
        HostKeyVerdict::Changed { .. } => {
            ui.heading(egui::RichText::new("The server's host key has CHANGED").color(error));
            ui.colored_label(
                error,
                "The key this server offers is not the one known for it. Someone may be \
                 intercepting the connection, or the server was reinstalled. Nothing was \
                 sent. Ask the server's administrator which key is right; if the new one \
                 is, remove the old one from known_hosts and connect again.",
            );
        }
        HostKeyVerdict::Revoked { .. } => {
            ui.heading(egui::RichText::new("The server's host key is revoked").color(error));
            ui.colored_label(
                error,
                "known_hosts marks this key @revoked: it must not be trusted. Nothing was sent.",
            );
        }
        _ => {
            ui.heading("The server's host key is not known");
            ui.label(
                "Ferry has not seen this server before: its key is in neither \
                 ~/.ssh/known_hosts nor Ferry's own list. Compare the fingerprint with the \
                 one the server's administrator gives you before trusting it.",
            );
        }
    }
    egui::Grid::new("host-key").num_columns(2).show(ui, |ui| {
        ui.label("Server");
        ui.label(display_text(&server));
        ui.end_row();
        ui.label("Key type");
        ui.label(display_text(&problem.key.key_type));
        ui.end_row();
        ui.label("Offered key (SHA-256)");
        ui.monospace(problem.key.fingerprint());
        ui.end_row();
        match &problem.verdict {
            HostKeyVerdict::Changed { known } => {
                for (fingerprint, line) in known {
                    ui.label(format!("Known key (line {line})"));
                    ui.monospace(fingerprint);
                    ui.end_row();
                }
            }
            HostKeyVerdict::Unknown { other_types } if !other_types.is_empty() => {
                ui.label("Keys known of other types");
                ui.label(other_types.join(", "));
                ui.end_row();
            }
            _ => {}
        }
    });
    let mut answer = None;
    ui.horizontal(|ui| {
        if matches!(problem.verdict, HostKeyVerdict::Unknown { .. }) {
            for (label, always) in [("Trust once", false), ("Trust always", true)] {
                if ui.button(label).clicked() {
                    answer = Some(Some(DialogAnswer::TrustHostKey {
                        side,
                        key: problem.key.clone(),
                        always,
                    }));
                }
            }
            if ui.button("Cancel").clicked() {
                answer = Some(None);
            }
        } else if ui.button("Close").clicked() {
            answer = Some(None);
        }
    });
    answer
}

fn certificate(
    ui: &mut Ui,
    side: Side,
    problem: &crate::engine::CertificateProblem,
    changed_from: Option<&str>,
) -> Shown {
    match changed_from {
        Some(before) => {
            ui.heading("The server's certificate has CHANGED");
            ui.colored_label(
                ui.visuals().error_fg_color,
                "You trusted a different certificate for this server before. This can mean \
                 that someone is intercepting the connection. Trust the new one only if the \
                 server's owner tells you it changed.",
            );
            ui.label(format!("Before: {before}"));
        }
        None => {
            ui.heading("The server's certificate is not trusted");
        }
    }
    // The certificate is the server's: its names are shown escaped.
    ui.label(format!("Why: {}", display_text(&problem.reason)));
    egui::Grid::new("certificate")
        .num_columns(2)
        .show(ui, |ui| {
            for (label, value) in [
                ("Subject", problem.subject.clone()),
                ("Issuer", problem.issuer.clone()),
                ("Names", problem.names.join(", ")),
                ("Valid from", problem.not_before.clone()),
                ("Valid until", problem.not_after.clone()),
            ] {
                ui.label(label);
                ui.label(display_text(&value));
                ui.end_row();
            }
        });
    ui.label("SHA-256 fingerprint");
    ui.monospace(&problem.sha256);
    let mut answer = None;
    ui.horizontal(|ui| {
        if ui.button("Trust once").clicked() {
            answer = Some(Some(DialogAnswer::Trust {
                side,
                fingerprint: problem.sha256.clone(),
                always: false,
            }));
        }
        if ui.button("Trust always").clicked() {
            answer = Some(Some(DialogAnswer::Trust {
                side,
                fingerprint: problem.sha256.clone(),
                always: true,
            }));
        }
        if ui.button("Cancel").clicked() {
            answer = Some(None);
        }
    });
    answer
}
