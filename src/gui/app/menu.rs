//! The menu bar's and the window-wide shortcuts' actions, and the
//! settings they change: each action is one the panes, the bar or the log
//! already offer, reached from the menus too.

use super::FerryApp;
use crate::engine::queue::QueueCommand;
use crate::gui::dialogs::Dialog;
use crate::gui::file_picker::{Pick, PickFor};
use crate::gui::file_table::MenuItem;
use crate::gui::log_view::LogAction;
use crate::gui::menu_bar::{MenuAction, MenuState};
use crate::gui::pane::PaneAction;
use crate::gui::settings::{Settings, ZOOM_RANGE};
use crate::gui::site_worker::SiteOp;

/// How much Larger / Smaller text changes the scale.
const ZOOM_STEP: f32 = 0.1;

impl FerryApp {
    /// What the menus grey out now.
    pub(super) fn menu_state(&self) -> MenuState {
        let right = &self.right.server;
        MenuState {
            connected: right.is_connected(),
            has_last_login: right.last_connect.is_some(),
            has_selection: !self.pane_ref(self.active).table.selection_is_empty(),
            transfers_queued: !self.queue_view.items.is_empty(),
            paused: self.queue_view.paused,
            folder_trees: self.settings.folder_trees,
            comparing: self.comparing,
            sync_browsing: self.sync_browsing.is_some(),
        }
    }

    pub(super) fn menu_action(&mut self, ctx: &egui::Context, action: MenuAction) {
        let side = self.active;
        match action {
            MenuAction::SiteManager => self.site_manager.open = true,
            MenuAction::ImportFileZilla => self.import_filezilla(),
            MenuAction::ExportFileZilla => self.export_filezilla(),
            MenuAction::SaveLog => self.log_action(LogAction::Save),
            MenuAction::Quit => {
                self.quit_asked = true;
                ctx.send_viewport_cmd(egui::ViewportCommand::Close);
            }
            MenuAction::Rename => self.pane(side).table.begin_rename(),
            MenuAction::Delete | MenuAction::Transfer => {
                let item = match action {
                    MenuAction::Delete => MenuItem::Delete,
                    _ => MenuItem::Transfer,
                };
                let table = &self.pane(side).table;
                let picked = table.pick(table.selection());
                if !picked.rows.is_empty() {
                    self.pane_action(side, PaneAction::Menu(item, picked));
                }
            }
            MenuAction::SelectAll => self.pane(side).table.select_all(),
            MenuAction::NewFolder => {
                let here = self.pane(side).table.pick(Vec::new());
                self.pane_action(side, PaneAction::Menu(MenuItem::NewFolder, here));
            }
            MenuAction::Settings => {
                self.dialogs
                    .push(Dialog::Settings(Box::new(self.settings())));
            }
            MenuAction::Refresh => self.refresh(side),
            MenuAction::FolderTrees => self.settings.folder_trees = !self.settings.folder_trees,
            MenuAction::CompareFolders => self.comparing = !self.comparing,
            MenuAction::SyncBrowsing => self.toggle_sync_browsing(),
            MenuAction::Synchronize => self.sync.open = true,
            MenuAction::ZoomIn => self.zoom_by(ZOOM_STEP),
            MenuAction::ZoomOut => self.zoom_by(-ZOOM_STEP),
            MenuAction::ZoomReset => self.zoom_by(1.0 - self.settings.zoom),
            MenuAction::CancelAll => self.queue_command(QueueCommand::CancelAll),
            MenuAction::PauseQueue => {
                let paused = !self.queue_view.paused;
                self.queue_command(QueueCommand::Pause(paused));
            }
            MenuAction::Reconnect => self.reconnect(),
            MenuAction::Disconnect => self.disconnect(crate::gui::Side::Right),
            MenuAction::RawCommand => self.log.focus_raw(),
            MenuAction::Shortcuts => self.dialogs.push(Dialog::Shortcuts),
            MenuAction::About => self.dialogs.push(Dialog::About),
            MenuAction::Find => {
                self.find.open = true;
                self.find.focus = true;
            }
        }
    }

    fn zoom_by(&mut self, step: f32) {
        let zoom = ((self.settings.zoom + step) * 10.0).round() / 10.0;
        self.settings.zoom = zoom.clamp(*ZOOM_RANGE.start(), *ZOOM_RANGE.end());
        self.look_applied = false;
    }

    /// The right server's last login again (a site's, with its password
    /// from the keyring).
    fn reconnect(&mut self) {
        let Some((options, folder, site)) = self.right.server.last_connect.clone() else {
            return;
        };
        match site {
            Some(site) => self.connect_site(crate::gui::Side::Right, site),
            None => self.connect(options, folder),
        }
    }

    /// The Settings dialog's OK: what it sets, from now on. Connections
    /// and the timeout count from the next login; the rest at once.
    pub(super) fn apply_settings(&mut self, chosen: Settings) {
        let chosen = chosen.sane();
        let settings = &mut self.settings;
        settings.connections = chosen.connections;
        settings.timeout_secs = chosen.timeout_secs;
        settings.when_exists = chosen.when_exists;
        settings.keep_times = chosen.keep_times;
        settings.theme = chosen.theme;
        settings.zoom = chosen.zoom;
        settings.confirm_delete = chosen.confirm_delete;
        settings.text_mode = chosen.text_mode;
        settings.text_extensions = chosen.text_extensions;
        settings.editor = chosen.editor;
        settings.upload_edits_without_asking = chosen.upload_edits_without_asking;
        settings.watch_excludes = chosen.watch_excludes;
        settings.keep_alive_secs = chosen.keep_alive_secs;
        settings.compare_tolerance_secs = chosen.compare_tolerance_secs;
        // Compared again with the new tolerance.
        self.compared = None;
        self.look_applied = false;
    }

    /// Theme and text size, on the context (the first frame, and after a
    /// change). egui's own Ctrl+Plus/Minus is off: the menu's keys change
    /// the setting, which is kept.
    pub(super) fn apply_look(&mut self, ctx: &egui::Context) {
        if self.look_applied {
            return;
        }
        self.look_applied = true;
        ctx.options_mut(|o| o.zoom_with_keyboard = false);
        for theme in [egui::Theme::Dark, egui::Theme::Light] {
            ctx.style_mut_of(theme, |style| {
                crate::gui::legible::make_legible(&mut style.visuals);
            });
        }
        ctx.set_theme(self.settings.theme.preference());
        if (ctx.zoom_factor() - self.settings.zoom).abs() > f32::EPSILON {
            ctx.set_zoom_factor(self.settings.zoom);
        }
    }

    /// File → Import FileZilla sites.
    pub(super) fn import_filezilla(&mut self) {
        let start = directories::BaseDirs::new().map(|dirs| dirs.config_dir().join("filezilla"));
        self.pick(PickFor::ImportFileZilla, Pick::OpenFile { start });
    }

    pub(super) fn export_filezilla(&mut self) {
        let name = "sitemanager.xml";
        self.pick(PickFor::ExportFileZilla, Pick::SaveFile { name });
    }

    /// Asks for a local path (see [`crate::gui::file_picker`]); what was
    /// chosen now is acted on now, the window's own dialog's later.
    pub(super) fn pick(&mut self, purpose: PickFor, pick: Pick) {
        match self.file_picker.ask(purpose, pick) {
            Ok(Some((purpose, path))) => self.picked(purpose, path),
            Ok(None) => {}
            Err(note) => self.log.push_text(crate::engine::LogKind::Warning, &note),
        }
    }

    /// A path was chosen for `purpose`.
    pub(super) fn picked(&mut self, purpose: PickFor, path: std::path::PathBuf) {
        match purpose {
            PickFor::DownloadTo(chosen) => self.transfer(chosen, Some(path.display().to_string())),
            PickFor::SaveLog => {
                // Written on the disk thread, which says how it went.
                let text = self.log.text();
                self.local_fs
                    .send(crate::gui::local_fs::LocalOp::SaveLog { path, text });
            }
            PickFor::ImportFileZilla => self.site_worker.send(SiteOp::ImportFileZilla(path)),
            PickFor::ExportFileZilla => self.site_worker.send(SiteOp::ExportFileZilla(path)),
        }
    }
}
