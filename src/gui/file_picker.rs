//! Choosing a local folder or file: the desktop's own dialog (through
//! rfd: the XDG portal or zenity on Linux), or, where that cannot open (no
//! portal, no zenity: a bare X session, a container), a dialog inside the
//! window (egui_file). A desktop dialog that comes back at once with
//! nothing did not open — a person takes longer to cancel — so the
//! window's own opens instead, and is used from then on. Nothing here
//! fails silently.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use egui_file::FileDialog;

use super::chosen::Chosen;

/// Faster than any person cancels a dialog: the desktop's did not open.
const DID_NOT_OPEN: Duration = Duration::from_millis(300);

/// What the chosen path is for.
pub enum PickFor {
    /// "Download to…": these items, into the folder chosen.
    DownloadTo(Chosen),
    SaveLog,
    ImportFileZilla,
    ExportFileZilla,
}

impl PickFor {
    fn title(&self) -> &'static str {
        match self {
            PickFor::DownloadTo(_) => "Download to which folder?",
            PickFor::SaveLog => "Save the log as",
            PickFor::ImportFileZilla => "FileZilla's sitemanager.xml to import",
            PickFor::ExportFileZilla => "Export the sites as",
        }
    }
}

/// What kind of path, and where to start.
pub enum Pick {
    Folder { start: PathBuf },
    OpenFile { start: Option<PathBuf> },
    SaveFile { name: &'static str },
}

pub struct FilePicker {
    /// The desktop's dialogs are tried (until one fails to open).
    native: bool,
    open: Option<(PickFor, FileDialog)>,
}

impl Default for FilePicker {
    fn default() -> FilePicker {
        FilePicker {
            native: true,
            open: None,
        }
    }
}

impl FilePicker {
    /// Only the window's own dialogs from now on (tests; a desktop whose
    /// dialogs were seen not to open).
    pub fn in_window_only(&mut self) {
        self.native = false;
    }

    /// Asks for a path for `purpose`. The desktop's dialog is waited for
    /// (the user is choosing; nothing else could happen meanwhile) and its
    /// choice returned; the window's own is shown from the next frame, and
    /// its choice comes from [`FilePicker::show`]. `Err` says that the
    /// desktop's dialog did not open, for the log.
    pub fn ask(
        &mut self,
        purpose: PickFor,
        pick: Pick,
    ) -> Result<Option<(PickFor, PathBuf)>, String> {
        let mut note = Ok(None);
        if self.native {
            let asked = Instant::now();
            let chosen = native(&purpose, &pick);
            match chosen {
                Some(path) => return Ok(Some((purpose, path))),
                None if asked.elapsed() > DID_NOT_OPEN => return Ok(None),
                None => {
                    self.native = false;
                    note = Err("The desktop's file dialog did not open (no XDG portal or \
                                zenity?); Ferry's own is used instead."
                        .to_string());
                }
            }
        }
        let mut dialog = match &pick {
            Pick::Folder { start } => FileDialog::select_folder().initial_path(start),
            Pick::OpenFile { start } => {
                let dialog = FileDialog::open_file();
                match start {
                    Some(start) => dialog.initial_path(start),
                    None => dialog,
                }
            }
            Pick::SaveFile { name } => FileDialog::save_file().default_filename(*name),
        }
        .title(purpose.title())
        .id(egui::Id::unique("ferry-file-picker"));
        dialog.open();
        self.open = Some((purpose, dialog));
        note
    }

    /// Draws the window's own dialog while it is open; what was chosen,
    /// once it is.
    pub fn show(&mut self, ctx: &egui::Context) -> Option<(PickFor, PathBuf)> {
        let (_, dialog) = self.open.as_mut()?;
        dialog.show(ctx);
        let chosen = dialog.selected().then(|| dialog.path().map(PathBuf::from));
        let still_open = dialog.visible();
        if chosen.is_none() && still_open {
            return None;
        }
        let (purpose, _) = self.open.take()?;
        chosen.flatten().map(|path| (purpose, path))
    }
}

fn native(purpose: &PickFor, pick: &Pick) -> Option<PathBuf> {
    let dialog = rfd::FileDialog::new().set_title(purpose.title());
    match pick {
        Pick::Folder { start } => dialog.set_directory(start).pick_folder(),
        Pick::OpenFile { start } => {
            let dialog = dialog.add_filter("FileZilla site manager", &["xml"]);
            match start {
                Some(start) => dialog.set_directory(start).pick_file(),
                None => dialog.pick_file(),
            }
        }
        Pick::SaveFile { name } => dialog.set_file_name(*name).save_file(),
    }
}
