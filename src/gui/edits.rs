//! Remote files opened from the window to edit (uploaded again when
//! saved) or to view: their private copies, what became of each, and a
//! thread that watches the copies and reads them, so the window never
//! waits on the disk for a hash.
//!
//! The copies live in one private folder per window (see
//! `engine::edit::EditFolder`), removed when the window closes: the list
//! of edited files lasts as long as the window does.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::thread;
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, Sender, never, select, unbounded};

use super::bridge::{Waker, relay};
use super::file_table::Side;
use crate::engine::edit::{EditFolder, EditedFile, LocalChange, Snapshot};
use crate::engine::queue::{ExistsPolicy, ItemId};
use crate::engine::watch::local_events::{LocalEvents, Touch};
use crate::engine::{Error, FileStat};

/// A save is looked at once its file has been quiet this long (an editor
/// writes, renames and sets times for one save).
const SETTLE: Duration = Duration::from_millis(150);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EditMode {
    /// Saved changes go back to the server.
    Edit,
    /// Opened to look at: nothing goes back.
    View,
}

/// Where an opened file stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EditState {
    Downloading,
    /// Open in its application; not changed since it was last in step.
    Open,
    /// Saved here, not uploaded (waiting for the user, or viewed only).
    Changed,
    /// The server's file is being compared with what was downloaded.
    Checking,
    Uploading,
    /// Uploaded at this local time (HH:MM:SS).
    Uploaded(String),
    Failed(String),
    /// The server's file changed since it was opened: nothing was
    /// uploaded; the user decides.
    Conflict(String),
}

impl EditState {
    pub fn label(&self) -> String {
        match self {
            EditState::Downloading => "downloading".to_string(),
            EditState::Open => "unchanged".to_string(),
            EditState::Changed => "changed, not uploaded".to_string(),
            EditState::Checking => "checking the server".to_string(),
            EditState::Uploading => "uploading".to_string(),
            EditState::Uploaded(at) => format!("uploaded at {at}"),
            EditState::Failed(why) => format!("failed: {why}"),
            EditState::Conflict(_) => "changed on the server too".to_string(),
        }
    }

    /// Whether the copy holds changes the server does not have.
    pub fn unsent(&self) -> bool {
        matches!(
            self,
            EditState::Changed
                | EditState::Checking
                | EditState::Uploading
                | EditState::Failed(_)
                | EditState::Conflict(_)
        )
    }
}

/// One remote file opened from the window.
#[derive(Debug, Clone)]
pub struct EditEntry {
    pub id: u64,
    pub side: Side,
    /// The login it was opened on; its uploads go only there.
    pub login: u64,
    /// The server as the user knows it (site name or user@host).
    pub server: String,
    pub remote: String,
    pub local: PathBuf,
    pub mode: EditMode,
    pub state: EditState,
    /// The server's size and time when the copy was last in step.
    pub baseline: Option<FileStat>,
    /// "Don't ask again for this file": saves upload at once.
    pub silent: bool,
    /// The queue item moving it now (download or upload).
    pub item: Option<ItemId>,
    /// How the next upload treats the server's file: replaced, or
    /// (keep both) left, the copy beside it under a free name.
    pub policy: ExistsPolicy,
    /// The server, as kept between runs (no password).
    pub saved: Option<crate::sites::SavedServer>,
}

/// The login of an entry kept from the last window, until a login to
/// its server adopts it.
pub const NO_LOGIN: u64 = u64::MAX;

impl EditEntry {
    pub fn name(&self) -> &str {
        crate::engine::names::remote_basename(&self.remote)
    }
}

/// What the watching thread is told.
enum Op {
    /// Downloaded, and the server described it as `server`: watch it.
    Track {
        id: u64,
        remote: String,
        local: PathBuf,
        server: FileStat,
    },
    /// An upload of the copy starts: remember its bytes now.
    Sending {
        id: u64,
    },
    /// That upload is done; the server describes the file as `server`.
    Sent {
        id: u64,
        server: FileStat,
    },
    Forget {
        id: u64,
    },
}

/// What the watching thread found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EditNews {
    /// The copy was saved with other bytes.
    Saved(u64),
    /// The copy was deleted (or renamed away).
    Gone(u64),
    Problem(u64, String),
}

pub struct Edits {
    /// Made at the first file opened.
    folder: Option<EditFolder>,
    pub entries: Vec<EditEntry>,
    next_id: u64,
    ops: Option<Sender<Op>>,
    pub news: Receiver<EditNews>,
    waker: Waker,
    /// The copies handed to their application so far (tests look).
    pub opened: Vec<PathBuf>,
}

impl Edits {
    pub fn new(waker: Waker) -> Edits {
        Edits {
            folder: None,
            entries: Vec::new(),
            next_id: 1,
            ops: None,
            news: never(),
            waker,
            opened: Vec::new(),
        }
    }

    /// A new entry for `remote` with the place of its copy, downloading.
    pub fn open(
        &mut self,
        (side, login, server): (Side, u64, String),
        saved: Option<crate::sites::SavedServer>,
        remote: String,
        mode: EditMode,
    ) -> Result<&EditEntry, Error> {
        self.ensure_folder()?;
        let Some(folder) = self.folder.as_mut() else {
            return Err(Error::NotConnected);
        };
        let local = folder.place_for(&remote)?;
        let id = self.next_id;
        self.next_id += 1;
        self.entries.push(EditEntry {
            id,
            side,
            login,
            server,
            remote,
            local,
            mode,
            state: EditState::Downloading,
            baseline: None,
            silent: false,
            item: None,
            policy: ExistsPolicy::Overwrite,
            saved,
        });
        Ok(&self.entries[self.entries.len() - 1])
    }

    /// The files the last window kept (saved here, not uploaded): listed
    /// as changed, uploadable once logged in to their server. Their
    /// copies stay where they were edited; later saves there are not
    /// watched (Upload sends what the copy holds then).
    pub fn restore(&mut self, kept: Vec<crate::sites::KeptEdit>) {
        self.ensure_watching();
        for kept in kept {
            let id = self.next_id;
            self.next_id += 1;
            let baseline = FileStat {
                size: kept.size,
                modified: kept.modified,
            };
            self.entries.push(EditEntry {
                id,
                side: Side::Right,
                login: NO_LOGIN,
                server: kept.server.describe(),
                remote: kept.remote.clone(),
                local: kept.local.clone(),
                mode: EditMode::Edit,
                state: EditState::Changed,
                baseline: Some(baseline),
                silent: false,
                item: None,
                policy: ExistsPolicy::Overwrite,
                saved: Some(kept.server),
            });
            self.send(Op::Track {
                id,
                remote: kept.remote,
                local: kept.local,
                server: baseline,
            });
        }
    }

    /// A login to `server` on `side` takes the kept entries that were
    /// waiting for it.
    pub fn adopt(
        &mut self,
        side: Side,
        login: u64,
        is_it: impl Fn(&crate::sites::SavedServer) -> bool,
    ) {
        for entry in &mut self.entries {
            if entry.login == NO_LOGIN && entry.saved.as_ref().is_some_and(&is_it) {
                entry.side = side;
                entry.login = login;
            }
        }
    }

    /// The entries whose saved changes are not on the server, to keep
    /// for the next window; their private folder is kept with them (it
    /// would go with the window otherwise).
    pub fn keep_unsent(&mut self) -> Vec<crate::sites::KeptEdit> {
        let kept: Vec<crate::sites::KeptEdit> = self
            .entries
            .iter()
            .filter(|e| e.mode == EditMode::Edit && e.state.unsent())
            .filter_map(|e| {
                Some(crate::sites::KeptEdit {
                    server: e.saved.clone()?,
                    remote: e.remote.clone(),
                    local: e.local.clone(),
                    size: e.baseline.and_then(|b| b.size),
                    modified: e.baseline.and_then(|b| b.modified),
                })
            })
            .collect();
        // Copies kept from last time that are not kept again go now.
        for entry in &self.entries {
            if self.is_from_last_time(entry) && !kept.iter().any(|k| k.local == entry.local) {
                discard_kept_copy(&entry.local);
            }
        }
        if !kept.is_empty()
            && let Some(folder) = self.folder.take()
        {
            folder.keep();
        }
        kept
    }

    /// The private folder and the thread watching it, made at the first
    /// file opened.
    fn ensure_folder(&mut self) -> Result<(), Error> {
        if self.folder.is_none() {
            let folder = EditFolder::new()?;
            self.start_thread(Some(folder.path().to_path_buf()));
            self.folder = Some(folder);
        }
        Ok(())
    }

    /// The thread that reads the copies, even before any folder (for
    /// entries kept from last time).
    fn ensure_watching(&mut self) {
        if self.ops.is_none() {
            self.start_thread(None);
        }
    }

    fn start_thread(&mut self, root: Option<PathBuf>) {
        let (ops, news) = start_watching(root);
        // A thread started before (for files kept from last time) ends
        // with its channel: this one reads those files from now on.
        for entry in self.entries.iter().filter(|e| e.baseline.is_some()) {
            let _ = ops.send(Op::Track {
                id: entry.id,
                remote: entry.remote.clone(),
                local: entry.local.clone(),
                server: entry.baseline.unwrap_or_default(),
            });
        }
        self.ops = Some(ops);
        self.news = relay(news, self.waker.clone(), "edits");
    }

    pub fn get(&self, id: u64) -> Option<&EditEntry> {
        self.entries.iter().find(|e| e.id == id)
    }

    pub fn get_mut(&mut self, id: u64) -> Option<&mut EditEntry> {
        self.entries.iter_mut().find(|e| e.id == id)
    }

    /// The entry a queue item moves (by the item, or before the queue
    /// named it, by the copy's path).
    pub fn by_item(&mut self, item: ItemId) -> Option<&mut EditEntry> {
        self.entries.iter_mut().find(|e| e.item == Some(item))
    }

    pub fn by_local(&mut self, local: &Path) -> Option<&mut EditEntry> {
        self.entries.iter_mut().find(|e| e.local == local)
    }

    /// Downloaded and described by the server: watched from now on.
    pub fn track(&mut self, id: u64, server: FileStat) {
        let Some(entry) = self.get_mut(id) else {
            return;
        };
        entry.baseline = Some(server);
        entry.state = EditState::Open;
        let op = Op::Track {
            id,
            remote: entry.remote.clone(),
            local: entry.local.clone(),
            server,
        };
        self.send(op);
    }

    pub fn sending(&mut self, id: u64) {
        self.send(Op::Sending { id });
    }

    pub fn sent(&mut self, id: u64, server: FileStat, at: String) {
        if let Some(entry) = self.get_mut(id) {
            entry.baseline = Some(server);
            entry.state = EditState::Uploaded(at);
            entry.item = None;
        }
        self.send(Op::Sent { id, server });
    }

    /// Stops watching the file; its copy goes with the window's folder
    /// (one kept from last time, now).
    pub fn forget(&mut self, id: u64) {
        if let Some(entry) = self.get(id)
            && self.is_from_last_time(entry)
        {
            discard_kept_copy(&entry.local);
        }
        self.entries.retain(|e| e.id != id);
        self.send(Op::Forget { id });
    }

    /// Whether the entry's copy is in a folder kept by an earlier window.
    fn is_from_last_time(&self, entry: &EditEntry) -> bool {
        self.folder
            .as_ref()
            .is_none_or(|folder| !entry.local.starts_with(folder.path()))
    }

    /// Entries whose saved changes are not on the server.
    pub fn unsent(&self) -> usize {
        self.entries
            .iter()
            .filter(|e| e.mode == EditMode::Edit && e.state.unsent())
            .count()
    }

    fn send(&self, op: Op) {
        if let Some(ops) = &self.ops {
            let _ = ops.send(op);
        }
    }
}

/// Removes a copy kept from an earlier window: its own folder, and the
/// kept private folder once it holds nothing more. Only inside a folder
/// Ferry made (`ferry-edit-…`), never anything else.
fn discard_kept_copy(local: &Path) {
    let Some(own) = local.parent() else {
        return;
    };
    let Some(root) = own.parent() else {
        return;
    };
    let made_by_ferry = root
        .file_name()
        .is_some_and(|n| n.to_string_lossy().starts_with("ferry-edit-"));
    if !made_by_ferry {
        return;
    }
    let _ = std::fs::remove_dir_all(own);
    // Fails (and keeps it) while other copies are in it.
    let _ = std::fs::remove_dir(root);
}

/// The thread that watches the copies' folder (once there is one) and
/// reads the copies.
fn start_watching(root: Option<PathBuf>) -> (Sender<Op>, Receiver<EditNews>) {
    let (ops, inbox) = unbounded();
    let (news, outbox) = unbounded();
    let _ = thread::Builder::new()
        .name("ferry-edits".to_string())
        .spawn(move || watch(root.as_deref(), &inbox, &news));
    (ops, outbox)
}

fn watch(root: Option<&Path>, inbox: &Receiver<Op>, news: &Sender<EditNews>) {
    let events = match root.map(LocalEvents::watch) {
        None => None,
        Some(Ok(events)) => Some(events),
        Some(Err(err)) => {
            let _ = news.send(EditNews::Problem(
                0,
                format!("saves cannot be noticed: {err}"),
            ));
            None
        }
    };
    let touches = events.as_ref().map_or_else(never, |e| e.touches.clone());
    let mut files: HashMap<u64, EditedFile> = HashMap::new();
    let mut sending: HashMap<u64, Snapshot> = HashMap::new();
    // Files touched, and when they are due to be looked at.
    let mut due: HashMap<u64, Instant> = HashMap::new();
    loop {
        let next = due.values().min().copied();
        let timeout = next.map_or_else(never, crossbeam_channel::at);
        select! {
            recv(inbox) -> op => match op {
                Ok(Op::Track { id, remote, local, server }) => {
                    match EditedFile::new(remote, local, server) {
                        Ok(file) => {
                            files.insert(id, file);
                        }
                        Err(err) => {
                            let _ = news.send(EditNews::Problem(id, err.to_string()));
                        }
                    }
                }
                Ok(Op::Sending { id }) => {
                    if let Some(snapshot) = files.get(&id).and_then(|f| f.snapshot().ok()) {
                        sending.insert(id, snapshot);
                    }
                }
                Ok(Op::Sent { id, server }) => {
                    if let (Some(file), Some(sent)) = (files.get_mut(&id), sending.remove(&id)) {
                        file.uploaded_as(sent, server);
                        // Saved again during the upload: that is a change too.
                        due.insert(id, Instant::now());
                    }
                }
                Ok(Op::Forget { id }) => {
                    files.remove(&id);
                    due.remove(&id);
                }
                Err(_) => return,
            },
            recv(touches) -> touch => {
                let Ok(touch) = touch else { continue };
                let paths: Vec<PathBuf> = match touch {
                    Touch::Changed(p) | Touch::Removed(p) => vec![p],
                    Touch::Renamed { from, to } => vec![from, to],
                    Touch::Rescan => files.values().map(|f| f.local.clone()).collect(),
                };
                for path in paths {
                    for (id, file) in &files {
                        if file.local == path {
                            due.insert(*id, Instant::now() + SETTLE);
                        }
                    }
                }
            }
            recv(timeout) -> _ => {}
        }
        let now = Instant::now();
        let ready: Vec<u64> = due
            .iter()
            .filter(|(_, when)| **when <= now)
            .map(|(id, _)| *id)
            .collect();
        for id in ready {
            due.remove(&id);
            let Some(file) = files.get(&id) else { continue };
            let said = match file.local_change() {
                Ok(LocalChange::Unchanged) => continue,
                Ok(LocalChange::Changed) => EditNews::Saved(id),
                Ok(LocalChange::Gone) => EditNews::Gone(id),
                Err(err) => EditNews::Problem(id, err.to_string()),
            };
            let _ = news.send(said);
        }
    }
}

/// What the user asked of the edited files list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EditAction {
    /// Upload the saved copy now (after the usual check).
    Upload(u64),
    /// Open the copy in its application again.
    Reopen(u64),
    /// Stop watching it (its copy goes when the window closes).
    Stop(u64),
}

/// The edited files, above the queue while there are any: each with its
/// server, what became of it, and what can be done.
pub fn edits_ui(ui: &mut egui::Ui, edits: &Edits) -> Vec<EditAction> {
    let mut actions = Vec::new();
    if edits.entries.is_empty() {
        return actions;
    }
    let title = format!("Edited files ({})", edits.entries.len());
    egui::CollapsingHeader::new(title)
        .id_salt("edited-files")
        .default_open(true)
        .show(ui, |ui| {
            egui::Grid::new("edited-files-grid")
                .num_columns(3)
                .spacing([10.0, 4.0])
                .show(ui, |ui| {
                    for entry in &edits.entries {
                        let name = crate::engine::display_text(entry.name());
                        let read_only = match entry.mode {
                            EditMode::Edit => "",
                            EditMode::View => " (read only)",
                        };
                        ui.label(format!("{name}{read_only}"))
                            .on_hover_text(format!(
                                "{} on {}\nCopy: {}",
                                crate::engine::display_text(&entry.remote),
                                crate::engine::display_text(&entry.server),
                                entry.local.display()
                            ));
                        let state = entry.state.label();
                        let shown = match &entry.state {
                            EditState::Failed(_) | EditState::Conflict(_) => {
                                ui.colored_label(ui.visuals().warn_fg_color, state)
                            }
                            _ => ui.label(state),
                        };
                        if let EditState::Conflict(why) = &entry.state {
                            shown.on_hover_text(crate::engine::display_text(why));
                        }
                        ui.horizontal(|ui| {
                            let can_upload = entry.mode == EditMode::Edit
                                && matches!(
                                    entry.state,
                                    EditState::Changed
                                        | EditState::Failed(_)
                                        | EditState::Conflict(_)
                                );
                            if ui
                                .add_enabled(can_upload, egui::Button::new("Upload"))
                                .clicked()
                            {
                                actions.push(EditAction::Upload(entry.id));
                            }
                            let opened = entry.state != EditState::Downloading;
                            if ui.add_enabled(opened, egui::Button::new("Open")).clicked() {
                                actions.push(EditAction::Reopen(entry.id));
                            }
                            if ui
                                .button("Stop")
                                .on_hover_text("Stop watching this file")
                                .clicked()
                            {
                                actions.push(EditAction::Stop(entry.id));
                            }
                        });
                        ui.end_row();
                    }
                });
        });
    actions
}
