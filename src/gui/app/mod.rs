//! The window: panels laid out, background news applied, nothing waited
//! for. What user actions do is in `actions`.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use egui::{Key, Modifiers, Ui};

mod actions;
mod browsing;
mod connection;
mod editing;
mod finding;
mod keeping;
mod menu;
mod news;
mod restore;
mod synchronizing;

use crate::engine::queue::QueueEvent;
use crate::engine::{LogKind, display_lines, display_text, mask_command};
use crate::gui::bridge::Waker;
use crate::gui::connect_bar::{BarAction, ConnectBar, LinkState};
use crate::gui::dialogs::Dialog;
use crate::gui::edits::{EditEntry, Edits};
use crate::gui::file_picker::{FilePicker, Pick, PickFor};
use crate::gui::file_table::{PaneKind, Side};
use crate::gui::half::{Half, Source};
use crate::gui::left_bar::LeftBar;
use crate::gui::local_fs::{LocalFs, LocalOp};
use crate::gui::log_view::{LogAction, LogView};
use crate::gui::pane::Pane;
use crate::gui::queue_view::QueueView;
use crate::gui::queues::Queues;
use crate::gui::server::Server;
use crate::gui::settings::Settings;
use crate::gui::site_manager::{SiteManager, SiteManagerAction};
use crate::gui::site_worker::{SiteOp, SiteWorker};
use crate::sites::{QueueStore, SavedQueue, Site, SiteStore, TrustStore, TrustedCertificates};
use crate::url::FtpUrl;

/// How long an error stays in the status line.
const ERROR_SHOWN_FOR: Duration = Duration::from_secs(12);

/// The window: two halves (each a pane and the place its files live), the
/// connect bar, the queue view, the log and the dialogs. Each part draws
/// itself and returns what the user asked for; this module and its
/// children (`actions`: what those requests do; `news`: what the threads
/// said; `connection`: logins, trust and queues) apply them. The fields are
/// private to them.
pub struct FerryApp {
    waker: Waker,
    settings: Settings,
    bar: ConnectBar,
    /// This computer, or a second server (copies between two servers).
    left: Half,
    /// The server of the connect bar.
    right: Half,
    /// This computer's disk thread: the left half's listings and changes.
    local_fs: LocalFs,
    /// The right server's transfer queue and the copy queues between two
    /// servers, each bound to the connections it was started for.
    queues: Queues,
    queue_view: QueueView,
    log: LogView,
    dialogs: Vec<Dialog>,
    errors: Vec<(String, Instant)>,
    /// The half that gets the keyboard: the one last clicked.
    active: Side,
    site_worker: SiteWorker,
    site_manager: SiteManager,
    left_bar: LeftBar,
    /// "No keyring" is said once, not at every save.
    keyring_warned: bool,
    /// Certificates trusted always for quick connections, as the site
    /// thread read them, plus those trusted since (written by that
    /// thread): a connect never reads the disk. `None` until the first
    /// read arrives; a connect then waits for it.
    trusted: Option<TrustedCertificates>,
    /// Ferry's own `known_hosts` (SSH host keys trusted always), beside
    /// the sites file; read by each SFTP login, with OpenSSH's.
    known_hosts: Option<PathBuf>,
    /// The window title last given to the desktop.
    title_sent: String,
    /// Whether the context has the settings' theme and text size.
    look_applied: bool,
    /// File → Quit (Ctrl+Q) asked the desktop to close the window.
    quit_asked: bool,
    /// Where unfinished transfers are kept between runs.
    queue_store: Option<QueueStore>,
    file_picker: FilePicker,
    /// Transfers left from last time, offered until restored or
    /// discarded.
    saved_queue: Option<SavedQueue>,
    /// Restore was chosen: they go out once logged in to their server.
    restore_pending: Option<SavedQueue>,
    /// Server files opened to edit or view.
    edits: Edits,
    /// "Close anyway" was answered despite edits not uploaded.
    close_despite_edits: bool,
    /// Where edited files not uploaded are kept between runs.
    edits_store: Option<crate::sites::EditsStore>,
    /// A folder of this computer kept up to date on the right server.
    kept: Option<crate::gui::kept_folder::KeptFolder>,
    /// The speed limits every queue of the window shares (as the settings
    /// and the queue panel set them).
    rate_limits: crate::engine::rate_limit::RateLimits,
    /// Server → Find files.
    find: crate::gui::find_window::FindWindow,
    /// View → Compare folders is on; the listings last compared.
    comparing: bool,
    compared: Option<(u64, u64)>,
    /// View → Synchronized browsing: the folders it started from, and
    /// the folders the panes showed last frame.
    sync_browsing: Option<browsing::SyncBrowsing>,
    /// View → Synchronize….
    sync: crate::gui::sync_window::SyncWindow,
    /// A file just uploaded to the right server and when (UTC): its
    /// listed time tells the time zone the server lists in.
    tz_probe: Option<(String, chrono::NaiveDateTime)>,
    /// Seconds a server's listed (LIST) times are ahead of UTC, by
    /// "host:port", as found that way.
    server_offsets: std::collections::HashMap<String, i64>,
    /// Whether the right pane's listing gave exact UTC times (MLSD).
    right_times_exact: bool,
}

impl FerryApp {
    /// A window with `settings` and the user's sites; with `start`, it
    /// connects at once.
    pub fn new(settings: Settings, start: Option<FtpUrl>) -> FerryApp {
        FerryApp::with_sites(settings, start, SiteStore::default_location())
    }

    /// A window whose sites live in `sites` (tests point it at a temporary
    /// folder).
    pub fn with_sites(
        settings: Settings,
        start: Option<FtpUrl>,
        sites: Option<SiteStore>,
    ) -> FerryApp {
        let settings = settings.sane();
        let waker = Waker::default();
        let trust = sites
            .as_ref()
            .map(|store| TrustStore::at(store.path().with_file_name("trusted-certificates.json")));
        let known_hosts = sites
            .as_ref()
            .map(|store| store.path().with_file_name("known_hosts"));
        // Without a config folder nothing is trusted always, from the start.
        let trusted = trust.is_none().then(TrustedCertificates::default);
        let queue_store = sites
            .as_ref()
            .map(|store| QueueStore::at(store.path().with_file_name("queue.json")));
        let edits_store = queue_store
            .as_ref()
            .map(|q| crate::sites::EditsStore::at(q.path().with_file_name("edits.json")));
        let site_worker = SiteWorker::start(
            sites,
            trust,
            queue_store.clone(),
            edits_store.clone(),
            waker.clone(),
        );
        site_worker.send(SiteOp::LoadEdits);
        site_worker.send(SiteOp::LoadTrust);
        site_worker.send(SiteOp::LoadQueue);
        site_worker.send(SiteOp::Load);
        let mut app = FerryApp {
            site_worker,
            site_manager: SiteManager::default(),
            left_bar: LeftBar::default(),
            keyring_warned: false,
            title_sent: String::new(),
            look_applied: false,
            quit_asked: false,
            queue_store,
            file_picker: FilePicker::default(),
            saved_queue: None,
            restore_pending: None,
            edits: Edits::new(waker.clone()),
            close_despite_edits: false,
            edits_store,
            kept: None,
            rate_limits: Default::default(),
            find: Default::default(),
            comparing: false,
            compared: None,
            sync_browsing: None,
            sync: Default::default(),
            tz_probe: None,
            server_offsets: Default::default(),
            right_times_exact: true,
            trusted,
            known_hosts,
            local_fs: LocalFs::start(waker.clone()),
            left: Half::new(
                Pane::new(Side::Left, settings.left_sort),
                Server::start(waker.clone()),
                Source::Computer,
            ),
            right: Half::new(
                Pane::new(Side::Right, settings.right_sort),
                Server::start(waker.clone()),
                Source::Server,
            ),
            log: LogView::new(settings.debug_level),
            waker,
            bar: ConnectBar::default(),
            queues: Queues::default(),
            queue_view: QueueView::default(),
            dialogs: Vec::new(),
            errors: Vec::new(),
            active: Side::Left,
            settings,
        };
        app.apply_rate_limits();
        app.right.server.session.set_debug_level(app.log.level);
        app.left.server.session.set_debug_level(app.log.level);
        app.right.pane.clear("Not connected");
        app.open_local(app.start_folder());
        if let Some(url) = start {
            let folder = app.bar.fill_from_url(&url);
            let anonymous = url.user.as_deref().is_none_or(|u| {
                u.eq_ignore_ascii_case("anonymous") || u.eq_ignore_ascii_case("ftp")
            });
            if !anonymous && url.password.is_none() {
                // A link names the user but not the password (browsers
                // leave it out): ask, rather than try an empty one.
                let site = Site {
                    remote_dir: folder.unwrap_or_default(),
                    ..app.bar.as_site()
                };
                app.dialogs.push(Dialog::Password {
                    side: Side::Right,
                    site: Box::new(site),
                    password: String::new(),
                });
            } else {
                match app.bar.options() {
                    Ok((options, _)) => app.connect(options, folder),
                    Err(message) => app.error(message),
                }
            }
        }
        app
    }

    /// The local folder to show first: the last one, else home.
    fn start_folder(&self) -> PathBuf {
        self.settings
            .last_local
            .clone()
            .filter(|p| p.is_dir())
            .or_else(|| directories::UserDirs::new().map(|d| d.home_dir().to_path_buf()))
            .unwrap_or_else(|| PathBuf::from("/"))
    }

    /// What is kept for the next run.
    pub fn settings(&self) -> Settings {
        let mut settings = self.settings.clone();
        settings.left_sort = self.left.pane.table.sort();
        settings.right_sort = self.right.pane.table.sort();
        settings.debug_level = self.log.level;
        if !self.left.shows_server() {
            settings.last_local =
                Some(PathBuf::from(&self.left.pane.folder)).filter(|p| p.is_dir());
        }
        settings
    }

    /// The saved sites as the window knows them.
    pub fn sites(&self) -> &[Site] {
        &self.site_manager.sites
    }

    pub fn link(&self) -> &LinkState {
        &self.right.server.link
    }

    pub fn log_contains(&self, needle: &str) -> bool {
        self.log.contains(needle)
    }

    /// "alice@host:21/site — Ferry": where the window is, as the title
    /// bar and the task switcher show it (a saved site by its name); both
    /// servers when two are side by side.
    pub fn window_title(&self) -> String {
        let place = |half: &Half| -> Option<String> {
            let server = &half.server;
            if !matches!(server.link, LinkState::Connected { .. }) {
                return None;
            }
            let folder = &half.pane.folder;
            let place = match server.site_name() {
                Some(site) => format!("{site} {folder}"),
                None => format!("{}{folder}", server.name()),
            };
            Some(display_text(&place))
        };
        let right = place(&self.right);
        let left = self
            .left
            .shows_server()
            .then(|| place(&self.left))
            .flatten();
        match (left, right) {
            (Some(left), Some(right)) => format!("{left} ⇄ {right} — Ferry"),
            (Some(one), None) | (None, Some(one)) => format!("{one} — Ferry"),
            (None, None) => "Ferry".to_string(),
        }
    }

    /// Whether Quit asked the desktop to close the window.
    pub fn quit_asked(&self) -> bool {
        self.quit_asked
    }

    /// File dialogs inside the window only, never the desktop's (tests:
    /// the desktop's would wait for a person).
    pub fn use_window_file_dialogs(&mut self) {
        self.file_picker.in_window_only();
    }

    /// The server files opened to edit or view, and what became of each.
    pub fn edited_files(&self) -> &[EditEntry] {
        &self.edits.entries
    }

    /// The copies handed to their application so far.
    pub fn opened_copies(&self) -> &[PathBuf] {
        &self.edits.opened
    }

    /// The status line of the folder kept up to date, if there is one.
    pub fn kept_folder(&self) -> Option<String> {
        self.kept.as_ref().map(|k| k.summary())
    }

    /// The log as Copy and Save give it.
    pub fn log_text(&self) -> String {
        self.log.text()
    }

    pub fn left_pane(&mut self) -> &mut Pane {
        &mut self.left.pane
    }

    pub fn right_pane(&mut self) -> &mut Pane {
        &mut self.right.pane
    }

    /// Where a pane was drawn last frame.
    pub fn pane_rect(&self, side: Side) -> egui::Rect {
        match side {
            Side::Left => self.left.pane.rect,
            Side::Right => self.right.pane.rect,
        }
    }

    pub fn queue_view(&self) -> &QueueView {
        &self.queue_view
    }

    /// Shows a queue event as if the queue had sent it (benchmarks).
    pub fn show_queue_event(&mut self, event: &QueueEvent) {
        self.queue_view.apply(event);
    }

    /// Queue events as if a queue had sent them all at once: the frames
    /// to come take them in turn, as they take a queue's news
    /// (benchmarks).
    pub fn queue_events_arrive(&mut self, events: Vec<QueueEvent>) {
        self.queues.arrive(events);
    }

    /// Whether nothing the user set off is still under way: every request
    /// of both servers answered, every disk operation done, no transfer
    /// under way but those waiting for an answer from the user, and all
    /// their news shown. Tests wait for this before saying
    /// that something did *not* happen.
    pub fn is_quiet(&self) -> bool {
        self.left.server.session.is_idle()
            && self.right.server.session.is_idle()
            && self.local_fs.is_idle()
            && self.queues.is_quiet()
            && !self.queue_view.working()
            && self.site_worker.news.is_empty()
    }

    /// The errors shown now (the status line), newest last.
    pub fn errors(&self) -> Vec<String> {
        self.errors.iter().map(|(e, _)| e.clone()).collect()
    }

    /// Shows an error in the status line and the log. Errors quote
    /// servers (replies, names), so the message is kept as shown.
    pub(super) fn error(&mut self, message: impl Into<String>) {
        let message = display_lines(&message.into());
        self.log.push_text(LogKind::Error, &message);
        self.errors.push((message, Instant::now()));
        if self.errors.len() > 5 {
            self.errors.remove(0);
        }
    }

    /// Draws one frame. Never blocks: everything slow happens on threads
    /// whose news is applied here.
    pub fn ui(&mut self, ui: &mut Ui) {
        self.waker.set(ui.ctx());
        self.apply_news();
        self.errors.retain(|(_, at)| at.elapsed() < ERROR_SHOWN_FOR);
        if !self.errors.is_empty() {
            // Wake again to clear the message when it expires.
            ui.ctx().request_repaint_after(ERROR_SHOWN_FOR);
        }
        self.apply_look(ui.ctx());
        self.unsent_edits_on_close(ui.ctx());
        self.keep_alive(ui.ctx());
        let quiet = self.dialogs.is_empty() && !self.site_manager.open;
        if quiet && let Some(action) = crate::gui::menu_bar::shortcut_pressed(ui.ctx()) {
            self.menu_action(ui.ctx(), action);
        }
        self.pane_keys(ui);
        let menu_state = self.menu_state();
        let picked = egui::Panel::top("menu-bar")
            .show(ui, |ui| crate::gui::menu_bar::menu_bar(ui, &menu_state))
            .inner;
        if let Some(action) = picked {
            self.menu_action(ui.ctx(), action);
        }

        // The bar borrows the lists it shows; what it asks for is done after.
        let bar_action = egui::Panel::top("connect-bar")
            .show(ui, |ui| {
                self.bar.ui(
                    ui,
                    &self.right.server.link,
                    &self.settings.recent,
                    &self.site_manager.sites,
                )
            })
            .inner;
        match bar_action {
            Some(BarAction::Connect(options, folder)) => self.connect(*options, folder),
            Some(BarAction::Disconnect) => self.disconnect(Side::Right),
            Some(BarAction::OpenSites) => self.site_manager.open = true,
            Some(BarAction::ConnectSite(site)) => self.connect_site(Side::Right, *site),
            Some(BarAction::SaveAsSite) => {
                let site = self.bar.as_site();
                let password = Some(self.bar.password.clone()).filter(|p| !p.is_empty());
                self.site_manager.open_with(site, password);
            }
            None => {}
        }
        egui::Panel::bottom("status").show(ui, |ui| self.status_ui(ui));
        egui::Panel::bottom("queue-and-log")
            .resizable(true)
            .default_size(230.0)
            .show(ui, |ui| {
                let mut commands = Vec::new();
                let mut log_actions = Vec::new();
                let connected = self.right.server.is_connected();
                let mut edit_actions = Vec::new();
                let mut limits = (
                    self.settings.download_limit_kib,
                    self.settings.upload_limit_kib,
                );
                ui.columns(2, |columns| {
                    self.saved_queue_ui(&mut columns[0]);
                    speed_limits_ui(&mut columns[0], &mut limits);
                    edit_actions = crate::gui::edits::edits_ui(&mut columns[0], &self.edits);
                    commands = self.queue_view.ui(&mut columns[0]);
                    log_actions = self.log.ui(&mut columns[1], connected);
                });
                for command in commands {
                    self.queue_command(command);
                }
                for action in edit_actions {
                    self.edit_action(action);
                }
                if limits
                    != (
                        self.settings.download_limit_kib,
                        self.settings.upload_limit_kib,
                    )
                {
                    (
                        self.settings.download_limit_kib,
                        self.settings.upload_limit_kib,
                    ) = limits;
                    self.apply_rate_limits();
                }
                for action in log_actions {
                    self.log_action(action);
                }
            });
        self.compare_folders();
        self.follow_the_other_pane();
        self.left.pane.tree_shown = self.settings.folder_trees;
        self.right.pane.tree_shown = self.settings.folder_trees;
        let half = ui.available_width() / 2.0;
        // Each pane keeps room for its columns, however the splitter is
        // dragged (a pane narrower than this cut Type/Modified/Permissions
        // off at the window's edge).
        const PANE_MIN: f32 = 380.0;
        let widest = (ui.available_width() - PANE_MIN).max(PANE_MIN);
        let both = self.left.shows_server();
        self.left.pane.table.set_kind(match both {
            true => PaneKind::ServerToServer,
            false => PaneKind::Computer,
        });
        self.right.pane.table.set_kind(match both {
            true => PaneKind::ServerToServer,
            false => PaneKind::Server,
        });
        let connected = self.right.server.is_connected();
        let left_accepts = !both || (connected && self.left.server.is_connected());
        let mut left_action = None;
        let left_active = self.active == Side::Left;
        let left_title = match both {
            true => "Left server",
            false => "This computer",
        };
        let left_actions = egui::Panel::left("local-pane")
            .resizable(true)
            .default_size(half)
            .size_range(PANE_MIN.min(widest)..=widest)
            .show(ui, |ui| {
                left_action =
                    self.left_bar
                        .ui(ui, both, &self.left.server.link, &self.site_manager.sites);
                self.left.pane.ui(ui, left_title, left_accepts, left_active)
            })
            .inner;
        if let Some(action) = left_action {
            self.left_bar_action(action);
        }
        let right_accepts = connected && (!both || self.left.server.is_connected());
        let right_actions = egui::CentralPanel::default()
            .show(ui, |ui| {
                self.right
                    .pane
                    .ui(ui, "Server", right_accepts, !left_active)
            })
            .inner;
        self.note_active_pane(ui);
        for action in left_actions {
            self.active = Side::Left;
            self.pane_action(Side::Left, action);
        }
        for action in right_actions {
            self.active = Side::Right;
            self.pane_action(Side::Right, action);
        }
        self.desktop_drops(ui);
        for action in self.site_manager.show(ui.ctx()) {
            match action {
                SiteManagerAction::Save { site, password } => {
                    self.site_worker.send(SiteOp::Save { site, password });
                }
                SiteManagerAction::Delete(id) => self.site_worker.send(SiteOp::Delete { id }),
                SiteManagerAction::ImportFileZilla => self.import_filezilla(),
                SiteManagerAction::ExportFileZilla => self.export_filezilla(),
                SiteManagerAction::Connect(site, typed) => {
                    self.site_manager.open = false;
                    match typed {
                        Some(password) => self.connect_with(Side::Right, &site, Some(password)),
                        None => self.connect_site(Side::Right, *site),
                    }
                }
            }
        }
        if self.sync.open {
            let folders = self.sync_folders().unwrap_or_default();
            let server = self.right.server.who();
            for action in self.sync.ui(ui.ctx(), &folders, &server) {
                self.sync_action(action);
            }
        }
        if self.find.open {
            let connected = self.right.server.is_connected();
            for action in self.find.ui(ui.ctx(), connected) {
                self.find_action(action);
            }
        }
        if let Some(dialog) = self.dialogs.first_mut()
            && let Some(answer) = dialog.show(ui.ctx())
        {
            self.dialogs.remove(0);
            if let Some(answer) = answer {
                self.dialog_answer(answer);
            }
        }
        if let Some((purpose, path)) = self.file_picker.show(ui.ctx()) {
            self.picked(purpose, path);
        }
        let title = self.window_title();
        if title != self.title_sent {
            ui.ctx()
                .send_viewport_cmd(egui::ViewportCommand::Title(title.clone()));
            self.title_sent = title;
        }
    }

    /// Gives this frame's keys to the active pane, if they are its: asked
    /// before anything is drawn, so a key belongs to whoever had the
    /// keyboard when it was pressed. Drawn later, a text field that Enter
    /// ends (a rename, the path bar, a dialog's field) has already let go
    /// of the focus, and its Enter would open the row under the cursor
    /// too. No keys while a question or the site manager is open: those
    /// take all of them.
    fn pane_keys(&mut self, ui: &Ui) {
        let others_have_them = !self.dialogs.is_empty()
            || self.site_manager.open
            || ui.ctx().egui_wants_keyboard_input()
            || self.left.pane.table.is_renaming()
            || self.right.pane.table.is_renaming();
        if !self.dialogs.is_empty() || self.site_manager.open {
            return;
        }
        // Ctrl+Tab always switches panes; Tab only when no text field
        // wants it (in a field it moves to the next field, as anywhere).
        let switch = ui.input_mut(|i| {
            i.consume_key(Modifiers::CTRL, Key::Tab)
                || (!others_have_them && i.consume_key(Modifiers::NONE, Key::Tab))
        });
        if switch {
            self.active = self.active.other();
            // egui would also hand the keyboard to the next widget.
            ui.memory_mut(|m| m.move_focus(egui::FocusDirection::None));
            ui.memory_mut(|m| {
                if let Some(id) = m.focused() {
                    m.surrender_focus(id);
                }
            });
        }
        if others_have_them {
            return;
        }
        let active = self.active;
        for action in self.pane(active).handle_keys(ui) {
            self.pane_action(active, action);
        }
    }

    /// The pane last clicked gets the keyboard.
    fn note_active_pane(&mut self, ui: &Ui) {
        let (pressed, pos) = ui.input(|i| (i.pointer.any_pressed(), i.pointer.interact_pos()));
        if let (true, Some(pos)) = (pressed, pos) {
            if self.left.pane.rect.contains(pos) {
                self.active = Side::Left;
            } else if self.right.pane.rect.contains(pos) {
                self.active = Side::Right;
            }
        }
    }

    fn status_ui(&mut self, ui: &mut Ui) {
        ui.horizontal(|ui| {
            let both = self.left.shows_server();
            link_status(ui, both.then_some("right: "), &self.right.server);
            if both {
                ui.separator();
                link_status(ui, Some("left: "), &self.left.server);
                ui.separator();
            }
            if let Some(first) = self
                .right
                .server
                .welcome
                .lines()
                .find(|l| !l.trim().is_empty())
            {
                ui.label(display_text(first))
                    .on_hover_text(display_lines(&self.right.server.welcome));
            }
            self.kept_ui(ui);
            if self.compared.is_some() {
                ui.separator();
                ui.label("Compared:");
                for mark in [
                    crate::gui::compare::Mark::OnlyHere,
                    crate::gui::compare::Mark::NewerHere,
                    crate::gui::compare::Mark::SizeDiffers,
                ] {
                    let colour = crate::gui::file_table::mark_colour(ui.visuals(), mark);
                    ui.label(egui::RichText::new(mark.short()).color(colour));
                }
                ui.separator();
            }
            // Cut at the window's edge, whole on hover and in the log.
            if let Some((error, _)) = self.errors.last() {
                let text = egui::RichText::new(error.as_str()).color(ui.visuals().error_fg_color);
                ui.add(egui::Label::new(text).truncate())
                    .on_hover_text(error.as_str());
            }
        });
    }

    fn log_action(&mut self, action: LogAction) {
        match action {
            LogAction::SetLevel(level) => {
                self.right.server.session.set_debug_level(level);
                self.left.server.session.set_debug_level(level);
            }
            LogAction::Raw(line) => {
                // From level 1 the connection logs the command as it went
                // out; at 0 only this echo says what was sent.
                if self.log.level == 0 {
                    self.log.push_text(LogKind::Command, &mask_command(&line));
                }
                self.right.server.session.raw(line);
            }
            LogAction::Save => {
                let name = "ferry-log.txt";
                self.pick(PickFor::SaveLog, Pick::SaveFile { name });
            }
        }
    }

    /// The settings' speed limits, for every transfer running and to come.
    fn apply_rate_limits(&mut self) {
        let kib = |k: u64| k.saturating_mul(1024);
        self.rate_limits
            .download
            .set(kib(self.settings.download_limit_kib));
        self.rate_limits
            .upload
            .set(kib(self.settings.upload_limit_kib));
    }

    /// NOOP on idle logins (Settings → Keep idle connections alive), and
    /// a frame when the next is due.
    fn keep_alive(&mut self, ctx: &egui::Context) {
        if self.settings.keep_alive_secs == 0 {
            return;
        }
        let every = Duration::from_secs(self.settings.keep_alive_secs);
        for side in [Side::Left, Side::Right] {
            if !self.half(side).shows_server() || !self.server(side).is_connected() {
                continue;
            }
            let next = self.server(side).session.keep_alive(every);
            ctx.request_repaint_after(next);
        }
    }

    /// The half of the window on `side`.
    fn half(&self, side: Side) -> &Half {
        match side {
            Side::Left => &self.left,
            Side::Right => &self.right,
        }
    }

    fn half_mut(&mut self, side: Side) -> &mut Half {
        match side {
            Side::Left => &mut self.left,
            Side::Right => &mut self.right,
        }
    }

    /// The server of the half on `side` (the left one's counts only when
    /// that half shows a server).
    fn server(&mut self, side: Side) -> &mut Server {
        &mut self.half_mut(side).server
    }

    fn pane(&mut self, side: Side) -> &mut Pane {
        &mut self.half_mut(side).pane
    }

    fn pane_ref(&self, side: Side) -> &Pane {
        &self.half(side).pane
    }

    /// Whether the half on `side` shows a server (else this computer).
    fn is_server(&self, side: Side) -> bool {
        self.half(side).shows_server()
    }

    /// Lists the pane's folder again; the pane knows a listing is on its
    /// way until it arrives (without a "Loading…" line that would move the
    /// rows at every refresh).
    pub(super) fn refresh(&mut self, side: Side) {
        if self.is_server(side) {
            let server = self.server(side);
            if server.is_connected() {
                server.session.list();
                self.pane(side).refreshing = true;
            }
        } else if !self.left.pane.folder.is_empty() {
            self.local_fs
                .send(LocalOp::List(PathBuf::from(&self.left.pane.folder)));
            self.left.pane.refreshing = true;
        }
    }

    pub(super) fn open_local(&mut self, folder: PathBuf) {
        self.left.pane.loading = true;
        self.local_fs.send(LocalOp::List(folder));
    }
}

/// One server's link in the status line: the lock and the TLS version, or
/// a warning that it is unencrypted, and who it is (site name or
/// `user@host:port`, so two servers on one host are told apart).
fn link_status(ui: &mut Ui, side: Option<&str>, server: &Server) {
    let side = side.unwrap_or_default();
    match &server.link {
        LinkState::Connected { tls: true, .. } => {
            ui.label(format!(
                "{side}🔒 {} — connected to {}",
                server.tls_note,
                display_text(&server.who())
            ));
        }
        LinkState::Connected { tls: false, .. } => {
            ui.colored_label(ui.visuals().warn_fg_color, format!("{side}⚠ Unencrypted"));
            ui.label(format!("connected to {}", display_text(&server.who())));
        }
        LinkState::Connecting => {
            ui.spinner();
            ui.label(format!("{side}Connecting…"));
        }
        LinkState::Disconnected => {
            ui.label(format!("{side}Not connected"));
        }
    }
}

/// The queue panel's speed limits (KiB/s, 0: none), changed live.
fn speed_limits_ui(ui: &mut Ui, (down, up): &mut (u64, u64)) {
    ui.horizontal(|ui| {
        ui.label("Speed limit").on_hover_text(
            "All transfers together, KiB a second; 0: none. Running transfers follow at once.",
        );
        for (value, label) in [(down, "down"), (up, "up")] {
            let name = ui.label(label);
            ui.add(
                egui::DragValue::new(value)
                    .range(0..=10_000_000)
                    .speed(16.0)
                    .custom_formatter(|v, _| match v as u64 {
                        0 => "none".to_string(),
                        k => format!("{k} KiB/s"),
                    })
                    .custom_parser(|text| match text.trim() {
                        "none" | "" => Some(0.0),
                        t => t.trim_end_matches("KiB/s").trim().parse().ok(),
                    }),
            )
            .labelled_by(name.id)
            .on_hover_text(format!("{label}load limit"));
        }
    });
}
