//! The window: panels laid out, background news applied, nothing waited
//! for. What user actions do is in `actions`.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use egui::Ui;

use super::bridge::{Waker, take_some};
use super::chosen::{FolderCount, Place};
use super::connect_bar::{BarAction, ConnectBar, LinkState};
use super::dialogs::Dialog;
use super::file_table::{PaneKind, Side};
use super::left_bar::{LeftBar, LeftBarAction};
use super::local_fs::{LocalFs, LocalOp, LocalResult};
use super::log_view::{LogAction, LogView};
use super::pane::Pane;
use super::queue_view::QueueView;
use super::queues::{QueueNews, QueueRole, Queues, Routed};
use super::remote::{Purpose, Server};
use super::rows::FileRow;
use super::settings::Settings;
use super::site_manager::{SiteManager, SiteManagerAction};
use super::site_worker::{SiteNews, SiteOp, SiteWorker};
use crate::engine::queue::{
    Direction, ExistsPolicy, ItemState, QueueCommand, QueueEvent, QueueOptions, TransferQueue,
};
use crate::engine::{Command, Error, EventKind, LogKind, Outcome, display_lines, display_text};
use crate::sites::{LogonType, Site, SiteStore, TrustStore, TrustedCertificates};
use crate::url::FtpUrl;

/// How long an error stays in the status line.
const ERROR_SHOWN_FOR: Duration = Duration::from_secs(12);

/// Messages applied per frame from each source (the site thread, the
/// local disk thread, each server's connection, the queues). A burst (a
/// folder of 100 000 files queued, a flood of log lines) is spread over
/// frames rather than freezing one; what waits stays in its channel, in
/// order. About a millisecond of work for queue events.
const NEWS_PER_FRAME: usize = 2_000;

pub struct FerryApp {
    pub(super) waker: Waker,
    pub(super) settings: Settings,
    pub(super) bar: ConnectBar,
    /// The server in the right pane.
    pub(super) right: Server,
    /// A second server for the left pane, when it shows one instead of
    /// this computer (copies between the two servers).
    pub(super) left: Server,
    pub(super) left_is_server: bool,
    pub(super) local: Pane,
    pub(super) remote: Pane,
    pub(super) local_fs: LocalFs,
    /// The right server's transfer queue and the copy queues between two
    /// servers, each bound to the connections it was started for.
    pub(super) queues: Queues,
    pub(super) queue_view: QueueView,
    pub(super) log: LogView,
    pub(super) dialogs: Vec<Dialog>,
    pub(super) errors: Vec<(String, Instant)>,
    pub(super) active: Side,
    pub(super) site_worker: SiteWorker,
    pub(super) site_manager: SiteManager,
    pub(super) left_bar: LeftBar,
    /// "No keyring" is said once, not at every save.
    keyring_warned: bool,
    /// Certificates trusted always for quick connections, as the site
    /// thread read them, plus those trusted since (written by that
    /// thread): a connect never reads the disk. `None` until the first
    /// read arrives; a connect then waits for it.
    pub(super) trusted: Option<TrustedCertificates>,
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
        let waker = Waker::default();
        let trust = sites
            .as_ref()
            .map(|store| TrustStore::at(store.path().with_file_name("trusted-certificates.json")));
        // Without a config folder nothing is trusted always, from the start.
        let trusted = trust.is_none().then(TrustedCertificates::default);
        let site_worker = SiteWorker::start(sites, trust, waker.clone());
        site_worker.send(SiteOp::LoadTrust);
        site_worker.send(SiteOp::Load);
        let mut app = FerryApp {
            site_worker,
            site_manager: SiteManager::default(),
            left_bar: LeftBar::default(),
            keyring_warned: false,
            trusted,
            local_fs: LocalFs::start(waker.clone()),
            right: Server::start(waker.clone()),
            left: Server::start(waker.clone()),
            left_is_server: false,
            local: Pane::new(Side::Local, settings.local_sort),
            remote: Pane::new(Side::Remote, settings.remote_sort),
            log: LogView::new(settings.debug_level),
            waker,
            bar: ConnectBar::default(),
            queues: Queues::default(),
            queue_view: QueueView::default(),
            dialogs: Vec::new(),
            errors: Vec::new(),
            active: Side::Local,
            settings,
        };
        app.right.session.set_debug_level(app.log.level);
        app.left.session.set_debug_level(app.log.level);
        app.remote.clear("Not connected");
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
                    side: Side::Remote,
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
        settings.local_sort = self.local.table.sort();
        settings.remote_sort = self.remote.table.sort();
        settings.debug_level = self.log.level;
        if !self.left_is_server {
            settings.last_local = Some(PathBuf::from(&self.local.folder)).filter(|p| p.is_dir());
        }
        settings
    }

    /// The saved sites as the window knows them.
    pub fn sites(&self) -> &[Site] {
        &self.site_manager.sites
    }

    pub fn link(&self) -> &LinkState {
        &self.right.link
    }

    pub fn log_contains(&self, needle: &str) -> bool {
        self.log.contains(needle)
    }

    pub fn local_pane(&mut self) -> &mut Pane {
        &mut self.local
    }

    pub fn remote_pane(&mut self) -> &mut Pane {
        &mut self.remote
    }

    /// Where a pane was drawn last frame.
    pub fn pane_rect(&self, side: Side) -> egui::Rect {
        match side {
            Side::Local => self.local.rect,
            Side::Remote => self.remote.rect,
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
        self.pane_keys(ui);

        // The bar borrows the lists it shows; what it asks for is done after.
        let bar_action = egui::Panel::top("connect-bar")
            .show(ui, |ui| {
                self.bar.ui(
                    ui,
                    &self.right.link,
                    &self.settings.recent,
                    &self.site_manager.sites,
                )
            })
            .inner;
        match bar_action {
            Some(BarAction::Connect(options, folder)) => self.connect(*options, folder),
            Some(BarAction::Disconnect) => self.disconnect(Side::Remote),
            Some(BarAction::OpenSites) => self.site_manager.open = true,
            Some(BarAction::ConnectSite(site)) => self.connect_site(Side::Remote, *site),
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
                let connected = self.right.is_connected();
                ui.columns(2, |columns| {
                    commands = self.queue_view.ui(&mut columns[0]);
                    log_actions = self.log.ui(&mut columns[1], connected);
                });
                for command in commands {
                    self.queue_command(command);
                }
                for action in log_actions {
                    self.log_action(action);
                }
            });
        let half = ui.available_width() / 2.0;
        let both = self.left_is_server;
        self.local.table.set_kind(match both {
            true => PaneKind::ServerToServer,
            false => PaneKind::Computer,
        });
        self.remote.table.set_kind(match both {
            true => PaneKind::ServerToServer,
            false => PaneKind::Server,
        });
        let connected = self.right.is_connected();
        let left_accepts = !both || (connected && self.left.is_connected());
        let mut left_action = None;
        let left_title = match both {
            true => "Left server",
            false => "This computer",
        };
        let local_actions = egui::Panel::left("local-pane")
            .resizable(true)
            .default_size(half)
            .show(ui, |ui| {
                left_action = self
                    .left_bar
                    .ui(ui, both, &self.left.link, &self.site_manager.sites);
                self.local.ui(ui, left_title, left_accepts)
            })
            .inner;
        if let Some(action) = left_action {
            self.left_bar_action(action);
        }
        let right_accepts = connected && (!both || self.left.is_connected());
        let remote_actions = egui::CentralPanel::default()
            .show(ui, |ui| self.remote.ui(ui, "Server", right_accepts))
            .inner;
        self.note_active_pane(ui);
        for action in local_actions {
            self.active = Side::Local;
            self.pane_action(Side::Local, action);
        }
        for action in remote_actions {
            self.active = Side::Remote;
            self.pane_action(Side::Remote, action);
        }
        self.desktop_drops(ui);
        for action in self.site_manager.show(ui.ctx()) {
            match action {
                SiteManagerAction::Save { site, password } => {
                    self.site_worker.send(SiteOp::Save { site, password });
                }
                SiteManagerAction::Delete(id) => self.site_worker.send(SiteOp::Delete { id }),
                SiteManagerAction::ImportFileZilla => {
                    // The file picker is one thing the window waits for:
                    // the user is choosing.
                    let mut picker =
                        rfd::FileDialog::new().add_filter("FileZilla site manager", &["xml"]);
                    if let Some(dirs) = directories::BaseDirs::new() {
                        picker = picker.set_directory(dirs.config_dir().join("filezilla"));
                    }
                    if let Some(path) = picker.pick_file() {
                        self.site_worker.send(SiteOp::ImportFileZilla(path));
                    }
                }
                SiteManagerAction::ExportFileZilla => {
                    if let Some(path) = rfd::FileDialog::new()
                        .set_file_name("sitemanager.xml")
                        .save_file()
                    {
                        self.site_worker.send(SiteOp::ExportFileZilla(path));
                    }
                }
                SiteManagerAction::Connect(site, typed) => {
                    self.site_manager.open = false;
                    match typed {
                        Some(password) => self.connect_with(Side::Remote, &site, Some(password)),
                        None => self.connect_site(Side::Remote, *site),
                    }
                }
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
            || self.local.table.is_renaming()
            || self.remote.table.is_renaming();
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
            if self.local.rect.contains(pos) {
                self.active = Side::Local;
            } else if self.remote.rect.contains(pos) {
                self.active = Side::Remote;
            }
        }
    }

    fn status_ui(&mut self, ui: &mut Ui) {
        ui.horizontal(|ui| {
            match &self.right.link {
                LinkState::Connected { host, tls: true } => {
                    let host = display_text(host);
                    ui.label(format!("🔒 {} — connected to {host}", self.right.tls_note));
                }
                LinkState::Connected { host, tls: false } => {
                    ui.colored_label(ui.visuals().warn_fg_color, "⚠ Unencrypted");
                    ui.label(format!("connected to {}", display_text(host)));
                }
                LinkState::Connecting => {
                    ui.spinner();
                    ui.label("Connecting…");
                }
                LinkState::Disconnected => {
                    ui.label("Not connected");
                }
            }
            if self.left_is_server {
                ui.separator();
                match &self.left.link {
                    LinkState::Connected { host, tls: true } => {
                        let host = display_text(host);
                        ui.label(format!("left: 🔒 {} — {host}", self.left.tls_note));
                    }
                    LinkState::Connected { host, tls: false } => {
                        ui.colored_label(ui.visuals().warn_fg_color, "⚠ Unencrypted");
                        ui.label(format!("left: {}", display_text(host)));
                    }
                    LinkState::Connecting => {
                        ui.label("left: connecting…");
                    }
                    LinkState::Disconnected => {
                        ui.label("left: not connected");
                    }
                }
                ui.separator();
            }
            if let Some(first) = self.right.welcome.lines().find(|l| !l.trim().is_empty()) {
                ui.label(display_text(first))
                    .on_hover_text(display_lines(&self.right.welcome));
            }
            if let Some((error, _)) = self.errors.last() {
                ui.colored_label(ui.visuals().error_fg_color, error.as_str());
            }
        });
    }

    fn log_action(&mut self, action: LogAction) {
        match action {
            LogAction::SetLevel(level) => {
                self.right.session.set_debug_level(level);
                self.left.session.set_debug_level(level);
            }
            LogAction::Raw(line) => {
                self.log.push_text(LogKind::Command, &line);
                self.right.session.send(Command::Raw(line), Purpose::Raw);
            }
            LogAction::Save => {
                let picked = rfd::FileDialog::new()
                    .set_file_name("ferry-log.txt")
                    .save_file();
                // Written on the disk thread, which says how it went.
                if let Some(path) = picked {
                    let text = self.log.text();
                    self.local_fs.send(LocalOp::SaveLog { path, text });
                }
            }
        }
    }

    // ----- news from the threads -----

    /// Applies what the threads said since the last frame, at most
    /// [`NEWS_PER_FRAME`] messages from each source; when some are left,
    /// the next frame comes at once and goes on where this one stopped.
    fn apply_news(&mut self) {
        let mut more = false;
        let (news, left) = take_some(&self.site_worker.news, NEWS_PER_FRAME);
        more |= left;
        for news in news {
            self.site_news(news);
        }
        let (results, left) = take_some(&self.local_fs.results, NEWS_PER_FRAME);
        more |= left;
        for result in results {
            self.local_news(result);
        }
        for side in [Side::Remote, Side::Local] {
            let (events, left) = take_some(&self.server(side).session.events, NEWS_PER_FRAME);
            more |= left;
            for event in events {
                // A connection let go (disconnected, replaced) says
                // nothing more: not "connected", not an error, not a line.
                // (Also for the rest of this frame's events, if one of
                // them let it go.)
                if !self.server(side).session.is_current(&event) {
                    continue;
                }
                match event.kind {
                    EventKind::Log(line) => self.log.push(&line),
                    EventKind::Welcome(text) => self.server(side).welcome = text,
                    EventKind::Progress(_) | EventKind::Connected(_) => {}
                    EventKind::Disconnected { reason } => {
                        if let Some(reason) = reason {
                            self.log.push_text(
                                LogKind::Warning,
                                &format!(
                                    "The connection ended ({reason}); it reopens on the next request."
                                ),
                            );
                        }
                    }
                    EventKind::Finished { request, result } => {
                        let purpose = self.server(side).session.purpose(request);
                        // News of a server the left pane no longer shows
                        // must not land in it.
                        if let Some(purpose) = purpose
                            && self.is_server(side)
                        {
                            self.server_news(side, purpose, result);
                        }
                    }
                }
            }
        }
        let (news, left) = self.queues.news(NEWS_PER_FRAME);
        more |= left;
        for news in news {
            self.queue_news(news);
        }
        if more {
            self.waker.wake();
        }
    }

    fn site_news(&mut self, news: SiteNews) {
        match news {
            SiteNews::Sites(sites) => self.site_manager.set_sites(sites),
            SiteNews::Trusted(trusted) => self.trust_known(&trusted),
            SiteNews::Report(lines) => {
                for line in lines {
                    self.log.push_text(LogKind::Status, &line);
                }
            }
            SiteNews::Problem(problem) => self.error(problem),
            SiteNews::NoKeyring(problem) => {
                if !self.keyring_warned {
                    self.keyring_warned = true;
                    self.error(problem);
                }
            }
            // The user chose something else for that pane since.
            SiteNews::Password { side, choice, .. } if choice != self.server(side).choices => {}
            SiteNews::Password {
                side,
                site,
                password,
                keyring_missing,
                ..
            } => {
                if keyring_missing && !self.keyring_warned {
                    self.keyring_warned = true;
                    self.error(
                        "No keyring is available: Ferry asks for site passwords when connecting.",
                    );
                }
                let needs_password = matches!(site.logon, LogonType::Normal | LogonType::Account)
                    && password.is_none()
                    || site.logon == LogonType::AskForPassword;
                if needs_password {
                    self.dialogs.push(Dialog::Password {
                        side,
                        site,
                        password: String::new(),
                    });
                } else {
                    self.connect_with(side, &site, password);
                }
            }
        }
    }

    /// Connects with a saved site: its password comes from the keyring
    /// (on the site thread) or, failing that, from the user.
    pub(super) fn connect_site(&mut self, side: Side, site: Site) {
        if site.logon == LogonType::Anonymous {
            return self.connect_with(side, &site, None);
        }
        let server = self.server(side);
        server.choices += 1;
        let choice = server.choices;
        self.site_worker.send(SiteOp::PasswordFor {
            side,
            site: Box::new(site),
            choice,
        });
    }

    /// Asks the user about a refused certificate, loudly if it replaced
    /// one trusted before.
    fn judge_certificate(&mut self, side: Side, problem: Box<crate::engine::CertificateProblem>) {
        let last = self.server(side).last_connect.clone();
        let before = match &last {
            Some((_, _, Some(site))) => site.trusted_certificates.clone(),
            Some((options, _, None)) => self
                .trusted
                .as_ref()
                .map(|t| t.get(&options.host, options.port).to_vec())
                .unwrap_or_default(),
            None => Vec::new(),
        };
        let changed_from = (!before.is_empty()).then(|| before.join(", "));
        if let Some(before) = &changed_from {
            self.log.push_text(
                LogKind::Error,
                &format!(
                    "WARNING: the server's certificate changed (before: {before}; now: {})",
                    problem.sha256
                ),
            );
        }
        self.server(side).untrusted = Some(problem.sha256.clone());
        self.dialogs.push(Dialog::Certificate {
            side,
            problem,
            changed_from,
        });
    }

    /// The user trusted a certificate: reconnect with it, and keep it if
    /// asked to (with the site, or for this server).
    pub(super) fn trust_certificate(&mut self, side: Side, fingerprint: String, always: bool) {
        if self.server(side).untrusted.take() != Some(fingerprint.clone()) {
            return self.error(
                "That certificate was for a connection since replaced; nothing was trusted.",
            );
        }
        let Some((mut options, folder, site)) = self.server(side).last_connect.take() else {
            return;
        };
        options.tls.pinned_sha256.push(fingerprint.clone());
        if always {
            match &site {
                Some(site) => {
                    let mut site = site.clone();
                    site.trusted_certificates.push(fingerprint);
                    self.site_worker.send(SiteOp::Save {
                        site: Box::new(site),
                        password: None,
                    });
                }
                None => {
                    // In effect at once, for this window; the site thread
                    // writes it down and says if it could not.
                    self.trusted.get_or_insert_default().add(
                        &options.host,
                        options.port,
                        &fingerprint,
                    );
                    self.site_worker.send(SiteOp::Trust {
                        host: options.host.clone(),
                        port: options.port,
                        fingerprint,
                    });
                }
            }
        }
        self.connect_side(side, options, folder);
        if let Some(last) = &mut self.server(side).last_connect {
            last.2 = site;
        }
    }

    /// Opens the site's default folders and connects.
    /// (The left pane takes only the site's server and remote folder.)
    pub(super) fn connect_with(&mut self, side: Side, site: &Site, password: Option<String>) {
        if side == Side::Remote {
            self.bar.fill_from_site(site);
            if site.max_connections > 0 {
                self.settings.connections = usize::from(site.max_connections);
            }
            if !site.local_dir.is_empty() && !self.left_is_server {
                self.open_local(PathBuf::from(&site.local_dir));
            }
        }
        let folder = Some(site.remote_dir.clone()).filter(|d| !d.is_empty());
        self.connect_side(side, site.connect_options(password), folder);
        if let Some(last) = &mut self.server(side).last_connect {
            last.2 = Some(site.clone());
        }
    }

    fn local_news(&mut self, result: LocalResult) {
        match result {
            // A late listing of this computer does not replace a server.
            LocalResult::Listed { .. } if self.left_is_server => {}
            LocalResult::Listed { folder, rows } => {
                self.local
                    .show_listing(folder.display().to_string(), rows, None);
            }
            LocalResult::Done { what } => {
                self.log
                    .push_text(LogKind::Status, &format!("{what}: done"));
                self.refresh(Side::Local);
            }
            LocalResult::Failed { what, error } => {
                self.local.loading = false;
                self.local.refreshing = false;
                self.error(format!("{what} failed: {error}"));
            }
            LocalResult::Counted { folder, count } => {
                let path = folder.display().to_string();
                self.folder_counted(&Place::Computer, &path, &count);
            }
        }
    }

    /// A folder chosen for deletion was counted: the question says so.
    fn folder_counted(&mut self, place: &Place, path: &str, count: &Result<FolderCount, String>) {
        for dialog in self.dialogs.iter_mut() {
            if let Dialog::ConfirmDelete(request) = dialog {
                request.counted(place, path, count);
            }
        }
    }

    /// The left pane switches between this computer and a second server.
    fn left_bar_action(&mut self, action: LeftBarAction) {
        match action {
            LeftBarAction::UseServer => {
                self.left_is_server = true;
                self.local
                    .clear("Not connected: type a URL above or pick a site");
            }
            LeftBarAction::UseComputer => {
                // Connected or still connecting: either way it goes, and
                // the copies with it.
                self.disconnect(Side::Local);
                self.left_is_server = false;
                self.open_local(self.start_folder());
            }
            LeftBarAction::Connect(options, folder) => {
                self.connect_side(Side::Local, *options, folder);
            }
            LeftBarAction::ConnectSite(site) => self.connect_site(Side::Local, *site),
            LeftBarAction::Disconnect => self.disconnect(Side::Local),
            LeftBarAction::Invalid(why) => self.error(format!("The left server's URL: {why}")),
            LeftBarAction::SetFxp(fxp) => {
                self.queues.route(QueueCommand::SetFxp(fxp));
            }
        }
    }

    /// A browsing request of the server in the pane on `side` finished.
    fn server_news(&mut self, side: Side, purpose: Purpose, result: Result<Outcome, Error>) {
        match (purpose, result) {
            (Purpose::Connect { folder }, Ok(Outcome::Connected(info))) => {
                let server = self.server(side);
                let host = server
                    .session
                    .options
                    .as_ref()
                    .map(|o| o.host.clone())
                    .unwrap_or_default();
                server.link = LinkState::Connected {
                    host,
                    tls: info.tls,
                };
                server.tls_note = match (&info.tls_details, info.tls) {
                    (Some(details), _) => details.clone(),
                    (None, true) => "TLS".to_string(),
                    (None, false) => String::new(),
                };
                server.welcome = info.welcome.clone();
                if side == Side::Remote {
                    self.start_queue();
                    self.settings.remember(self.bar.recent());
                }
                match folder {
                    Some(folder) => {
                        self.server(side)
                            .session
                            .send(Command::Cwd(folder), Purpose::ChangeFolder);
                    }
                    None => {
                        self.pane(side).folder = info.home.clone();
                        self.server(side)
                            .session
                            .send(Command::List(None), Purpose::List);
                    }
                }
                self.pane(side).loading = true;
            }
            (Purpose::Connect { .. }, result) => {
                self.server(side).link = LinkState::Disconnected;
                self.pane(side).clear("Not connected");
                match result {
                    Err(Error::Certificate(problem)) => self.judge_certificate(side, problem),
                    Err(err) => self.error(format!("Could not connect: {err}")),
                    Ok(_) => {}
                }
            }
            (Purpose::ChangeFolder, Ok(Outcome::Path(path))) => {
                let pane = self.pane(side);
                pane.folder = path;
                pane.loading = true;
                self.server(side)
                    .session
                    .send(Command::List(None), Purpose::List);
            }
            (Purpose::List, Ok(Outcome::Listing(listing))) => {
                let rows = listing.entries.iter().map(FileRow::from_remote).collect();
                let pane = self.pane(side);
                let folder = pane.folder.clone();
                pane.show_listing(folder, rows, listing.incomplete);
            }
            (Purpose::Change { what }, Ok(_)) => {
                self.log
                    .push_text(LogKind::Status, &format!("{what}: done"));
                if !self.server(side).session.busy_with_changes() {
                    self.refresh(side);
                }
            }
            (Purpose::Count { login, path }, result) => {
                let count = match result {
                    Ok(Outcome::Listing(listing)) if listing.incomplete.is_none() => {
                        Ok(FolderCount {
                            items: listing.entries.len() as u64,
                            folders: listing.entries.iter().filter(|e| e.is_dir()).count() as u64,
                            whole_tree: false,
                            at_least: false,
                        })
                    }
                    Ok(_) => Err("the listing was not whole".to_string()),
                    Err(err) => Err(err.to_string()),
                };
                let name = self.server(side).name();
                let place = Place::Server { side, login, name };
                self.folder_counted(&place, &path, &count);
            }
            (Purpose::Raw, Ok(Outcome::Reply(reply))) => {
                if self.log.level == 0 {
                    self.log.push_text(LogKind::Reply, &reply.text);
                }
            }
            (_, Err(Error::Cancelled)) => {}
            (purpose, Err(err)) => {
                self.pane(side).loading = false;
                self.pane(side).refreshing = false;
                let what = match purpose {
                    Purpose::Change { what } => what,
                    Purpose::ChangeFolder => "Opening the folder".to_string(),
                    Purpose::List => "Listing".to_string(),
                    _ => "The command".to_string(),
                };
                self.error(format!("{what} failed: {err}"));
                if !self.server(side).session.busy_with_changes() {
                    self.refresh(side);
                }
            }
            (_, Ok(_)) => {}
        }
    }

    /// The server shown in the pane on `side` (the left one only counts
    /// when the left pane shows a server).
    pub(super) fn server(&mut self, side: Side) -> &mut Server {
        match side {
            Side::Remote => &mut self.right,
            Side::Local => &mut self.left,
        }
    }

    pub(super) fn pane(&mut self, side: Side) -> &mut Pane {
        match side {
            Side::Remote => &mut self.remote,
            Side::Local => &mut self.local,
        }
    }

    /// Whether the pane on `side` shows a server (else this computer).
    pub(super) fn is_server(&self, side: Side) -> bool {
        side == Side::Remote || self.left_is_server
    }

    fn queue_news(&mut self, news: QueueNews) {
        let QueueNews { event, ended } = news;
        self.queue_view.apply(&event);
        // A queue let go only settles its rows: no questions, no errors
        // about files the user has moved on from.
        if ended {
            return;
        }
        match event {
            QueueEvent::State {
                id,
                state: ItemState::Asking { source, target },
            } => {
                let name = self
                    .queue_view
                    .items
                    .get(&id)
                    .map(|i| match i.spec.direction {
                        Direction::Download => i.spec.local.display().to_string(),
                        Direction::Upload => i.spec.remote.clone(),
                        Direction::Copy => i.spec.copy_to.clone(),
                    })
                    .unwrap_or_default();
                self.dialogs.push(Dialog::Exists {
                    id,
                    name,
                    source,
                    target,
                    apply_to_all: false,
                });
            }
            QueueEvent::State {
                state: ItemState::Failed(err),
                id,
            } => {
                let name = self
                    .queue_view
                    .items
                    .get(&id)
                    .map(|i| i.spec.remote.clone())
                    .unwrap_or_default();
                self.error(format!("{name}: {err}"));
            }
            QueueEvent::Log { line, .. } => self.log.push(&line),
            // Whatever moved is now worth seeing in both panes.
            QueueEvent::Idle(_) => {
                self.refresh(Side::Local);
                self.refresh(Side::Remote);
            }
            _ => {}
        }
    }

    // ----- the connection -----

    /// Connects the right pane's server (the connect bar's).
    pub(super) fn connect(
        &mut self,
        options: crate::engine::ConnectOptions,
        folder: Option<String>,
    ) {
        self.connect_side(Side::Remote, options, folder);
    }

    /// Connects the server in the pane on `side`. Whatever that server's
    /// connection was doing is let go at once (see [`FerryApp::disconnect`]);
    /// only the outcome of this new login counts.
    pub(super) fn connect_side(
        &mut self,
        side: Side,
        mut options: crate::engine::ConnectOptions,
        folder: Option<String>,
    ) {
        // What was trusted always for this server counts, as --trust would.
        if let Some(trusted) = &self.trusted {
            pin(&mut options, trusted);
        }
        let known = self.trusted.is_some();
        self.let_go(side);
        let server = self.server(side);
        server.last_connect = Some((options.clone(), folder.clone(), None));
        server.link = LinkState::Connecting;
        server.welcome.clear();
        server.session.options = Some(options.clone());
        match known {
            true => {
                server
                    .session
                    .send(Command::Connect(options), Purpose::Connect { folder });
            }
            false => server.waiting_for_trust = Some(folder),
        }
        self.pane(side).clear("Connecting…");
    }

    /// The site thread read (or wrote) the certificates trusted always:
    /// they count from now, and logins held back for them go out.
    fn trust_known(&mut self, trusted: &TrustedCertificates) {
        let all = self.trusted.get_or_insert_default();
        all.merge(trusted);
        let all = all.clone();
        for side in [Side::Remote, Side::Local] {
            let server = self.server(side);
            let Some(folder) = server.waiting_for_trust.take() else {
                continue;
            };
            let Some(options) = &mut server.session.options else {
                continue;
            };
            pin(options, &all);
            if let Some((last, _, _)) = &mut server.last_connect {
                pin(last, &all);
            }
            let options = options.clone();
            server
                .session
                .send(Command::Connect(options), Purpose::Connect { folder });
        }
    }

    /// Disconnects the server in the pane on `side`, even while it is
    /// still logging in.
    pub(super) fn disconnect(&mut self, side: Side) {
        let was = self.server(side).link != LinkState::Disconnected;
        self.let_go(side);
        if was {
            self.log.push_text(LogKind::Status, "Disconnected");
        }
        self.pane(side).clear("Not connected");
    }

    /// Lets go of the connection of the server on `side` and of the queues
    /// that work with it, without waiting for either: running transfers
    /// abort (a download's partial file stays for a resume and is never
    /// renamed into place), a login in progress will not count, and the
    /// rows of those queues end as cancelled, without buttons. The
    /// questions they asked go too.
    fn let_go(&mut self, side: Side) {
        let server = self.server(side);
        server.session.replace();
        server.link = LinkState::Disconnected;
        server.choices += 1;
        server.untrusted = None;
        server.waiting_for_trust = None;
        for ids in self.queues.let_go(|role| role.uses(side)) {
            self.dialogs
                .retain(|d| !matches!(d, Dialog::Exists { id, .. } if ids.contains(id)));
            self.queue_view.end_queue(ids);
        }
    }

    fn queue_options(&self) -> QueueOptions {
        QueueOptions {
            connections: self.settings.connections.clamp(1, 10),
            exists: ExistsPolicy::Ask,
            resume: true,
            debug_level: self.log.level,
            ..QueueOptions::default()
        }
    }

    /// The right server's transfer queue, on its login's options.
    fn start_queue(&mut self) {
        let Some(connect) = self.right.session.options.clone() else {
            return;
        };
        for ids in self.queues.let_go(|role| role == QueueRole::Transfers) {
            self.queue_view.end_queue(ids);
        }
        let options = self.queue_options();
        let started = self
            .queues
            .start(QueueRole::Transfers, options, &self.waker, |o| {
                TransferQueue::start(connect, o)
            });
        if let Err(err) = started {
            self.error(format!("Could not start the transfer queue: {err}"));
        }
    }

    /// The queue copying from the server on `from` to the other one,
    /// started on first use.
    pub(super) fn copy_queue(&mut self, from: Side) -> Option<&TransferQueue> {
        let role = QueueRole::Copy { from };
        if self.queues.get(role).is_none() {
            let source = self.server(from).session.options.clone()?;
            let target = self.server(from.other()).session.options.clone()?;
            let options = QueueOptions {
                fxp: self.left_bar.fxp,
                ..self.queue_options()
            };
            let started = self.queues.start(role, options, &self.waker, |o| {
                TransferQueue::start_copy(source, target, o)
            });
            if let Err(err) = started {
                self.error(format!("Could not start the copy queue: {err}"));
                return None;
            }
        }
        self.queues.get(role)
    }

    /// Sends a command to the queue its item belongs to (each queue's ids
    /// are its own for the window's life; "cancel all" goes to every
    /// queue). An item of a queue let go reaches nothing.
    pub(super) fn queue_command(&mut self, command: QueueCommand) {
        match self.queues.route(command) {
            Routed::Sent => {}
            Routed::QueueEnded => {
                self.error("That transfer ended with its connection; nothing was done.")
            }
            Routed::NoQueue => self.error("Connect to a server first."),
        }
    }

    /// Lets go of every connection and queue, and waits at most `patience`
    /// for the queues to stop: their transfers abort and their connections
    /// say QUIT, so no transfer of this window outlives it. For the
    /// window's last moments (when it closes), never for a frame.
    pub fn shut_down(&mut self, patience: Duration) {
        self.disconnect(Side::Local);
        self.disconnect(Side::Remote);
        let until = Instant::now() + patience;
        while self.queues.any_ending() && Instant::now() < until {
            for news in self.queues.news(usize::MAX).0 {
                self.queue_view.apply(&news.event);
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// Lists the pane's folder again; the pane knows a listing is on its
    /// way until it arrives (without a "Loading…" line that would move the
    /// rows at every refresh).
    pub(super) fn refresh(&mut self, side: Side) {
        if self.is_server(side) {
            let server = self.server(side);
            if server.is_connected() {
                server.session.send(Command::List(None), Purpose::List);
                self.pane(side).refreshing = true;
            }
        } else if !self.local.folder.is_empty() {
            self.local_fs
                .send(LocalOp::List(PathBuf::from(&self.local.folder)));
            self.local.refreshing = true;
        }
    }

    pub(super) fn open_local(&mut self, folder: PathBuf) {
        self.local.loading = true;
        self.local_fs.send(LocalOp::List(folder));
    }
}

/// Adds the fingerprints `trusted` holds for the server of `options` to
/// those it accepts.
fn pin(options: &mut crate::engine::ConnectOptions, trusted: &TrustedCertificates) {
    for fingerprint in trusted.get(&options.host, options.port) {
        if !options.tls.pinned_sha256.contains(fingerprint) {
            options.tls.pinned_sha256.push(fingerprint.clone());
        }
    }
}
