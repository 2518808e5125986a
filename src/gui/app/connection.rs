//! Logins, certificate trust and the queues bound to a login: connecting
//! either half's server, letting one go, and the transfer and copy queues
//! that live and end with them.

use super::FerryApp;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use crate::engine::LogKind;
use crate::engine::queue::{QueueCommand, QueueOptions, TransferQueue};
use crate::engine::ssh::{HostKey, HostKeyVerdict};
use crate::gui::connect_bar::LinkState;
use crate::gui::dialogs::Dialog;
use crate::gui::file_table::Side;
use crate::gui::half::Source;
use crate::gui::left_bar::LeftBarAction;
use crate::gui::queues::{QueueRole, Routed};
use crate::gui::site_worker::SiteOp;
use crate::sites::{LogonType, Site, TrustedCertificates};

impl FerryApp {
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
    pub(super) fn judge_certificate(
        &mut self,
        side: Side,
        problem: Box<crate::engine::CertificateProblem>,
    ) {
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

    /// An SSH host key Ferry refused: an unknown one is shown to be
    /// judged (trust once, always, or not); a changed or revoked one is a
    /// refusal with nothing to click but Close.
    pub(super) fn judge_host_key(
        &mut self,
        side: Side,
        problem: Box<crate::engine::ssh::HostKeyProblem>,
    ) {
        if !matches!(problem.verdict, HostKeyVerdict::Unknown { .. }) {
            self.log.push_text(LogKind::Error, &problem.details());
        }
        self.server(side).untrusted = Some(problem.key.fingerprint());
        self.dialogs.push(Dialog::HostKey { side, problem });
    }

    /// The user trusted an unknown host key: reconnect accepting it, and
    /// write it to Ferry's known_hosts if asked to (the site thread does).
    pub(super) fn trust_host_key(&mut self, side: Side, key: HostKey, always: bool) {
        let fingerprint = key.fingerprint();
        if self.server(side).untrusted.take() != Some(fingerprint.clone()) {
            return self
                .error("That host key was for a connection since replaced; nothing was trusted.");
        }
        let Some((mut options, folder, site)) = self.server(side).last_connect.take() else {
            return;
        };
        options.ssh.trusted_host_keys.push(fingerprint);
        if always && let Some(path) = &self.known_hosts {
            self.site_worker.send(SiteOp::RememberHostKey {
                file: path.clone(),
                host: options.host.clone(),
                port: options.port,
                key,
            });
        }
        self.connect_side(side, options, folder);
        if let Some(last) = &mut self.server(side).last_connect {
            last.2 = site;
        }
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
        if side == Side::Right {
            self.bar.fill_from_site(site);
            if site.max_connections > 0 {
                self.settings.connections = usize::from(site.max_connections);
            }
            if !site.local_dir.is_empty() && !self.left.shows_server() {
                self.open_local(PathBuf::from(&site.local_dir));
            }
        }
        let folder = Some(site.remote_dir.clone()).filter(|d| !d.is_empty());
        self.connect_side(side, site.connect_options(password), folder);
        if let Some(last) = &mut self.server(side).last_connect {
            last.2 = Some(site.clone());
        }
    }

    /// Connects the right pane's server (the connect bar's).
    pub(super) fn connect(
        &mut self,
        options: crate::engine::ConnectOptions,
        folder: Option<String>,
    ) {
        self.connect_side(Side::Right, options, folder);
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
        options.timeout = Duration::from_secs(self.settings.timeout_secs);
        // What was trusted always for this server counts, as --trust would.
        if let Some(trusted) = &self.trusted {
            pin(&mut options, trusted);
        }
        if let Some(path) = &self.known_hosts
            && !options.ssh.known_hosts.contains(path)
        {
            options.ssh.known_hosts.push(path.clone());
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
                server.session.connect(options, folder);
            }
            false => server.waiting_for_trust = Some(folder),
        }
        self.pane(side).clear("Connecting…");
    }

    /// The site thread read (or wrote) the certificates trusted always:
    /// they count from now, and logins held back for them go out.
    pub(super) fn trust_known(&mut self, trusted: &TrustedCertificates) {
        let all = self.trusted.get_or_insert_default();
        all.merge(trusted);
        let all = all.clone();
        for side in [Side::Right, Side::Left] {
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
            server.session.connect(options, folder);
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
        // A link being opened belonged to that connection.
        server.opening_link = None;
        server.opening_start = None;
        server.named_file = None;
        server.select_after = None;
        self.stop_keeping(side);
        for ids in self.queues.let_go(|role| role.uses(side)) {
            self.dialogs
                .retain(|d| !matches!(d, Dialog::Exists { id, .. } if ids.contains(id)));
            self.queue_view.end_queue(ids);
        }
    }

    pub(super) fn queue_options(&self) -> QueueOptions {
        QueueOptions {
            connections: self.settings.connections.clamp(1, 10),
            exists: self.settings.when_exists.policy(),
            resume: true,
            download_times: self.settings.keep_times,
            upload_times: self.settings.keep_times,
            text_extensions: self.settings.text_extension_list(),
            debug_level: self.log.level,
            ..QueueOptions::default()
        }
    }

    /// The login options of the server on `side`, for a queue: with the
    /// window's speed limits, which all its queues share.
    pub(super) fn transfer_options(&self, side: Side) -> Option<crate::engine::ConnectOptions> {
        let mut options = self.half(side).server.session.options.clone()?;
        options.rate_limits = self.rate_limits.clone();
        Some(options)
    }

    /// The right server's transfer queue, on its login's options.
    pub(super) fn start_queue(&mut self) {
        let Some(connect) = self.transfer_options(Side::Right) else {
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
            let source = self.transfer_options(from)?;
            let target = self.transfer_options(from.other())?;
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
        if let QueueCommand::Pause(paused) = command {
            // Holds for queues started later too, and needs no queue now.
            self.queues.set_paused(paused);
            self.queue_view.paused = paused;
            return;
        }
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
        self.keep_unfinished_at_exit();
        self.keep_edits_at_exit();
        self.disconnect(Side::Left);
        self.disconnect(Side::Right);
        let until = Instant::now() + patience;
        while self.queues.any_ending() && Instant::now() < until {
            for news in self.queues.news(usize::MAX).0 {
                self.queue_view.apply(&news.event);
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// The left pane switches between this computer and a second server.
    pub(super) fn left_bar_action(&mut self, action: LeftBarAction) {
        match action {
            LeftBarAction::UseServer => {
                self.left.show(Source::Server);
                self.left
                    .pane
                    .clear("Not connected: type a URL above or pick a site");
            }
            LeftBarAction::UseComputer => {
                // Connected or still connecting: either way it goes, and
                // the copies with it.
                self.disconnect(Side::Left);
                self.left.show(Source::Computer);
                self.open_local(self.start_folder());
            }
            LeftBarAction::Connect(options, folder) => {
                self.connect_side(Side::Left, *options, folder);
            }
            LeftBarAction::ConnectSite(site) => self.connect_site(Side::Left, *site),
            LeftBarAction::Disconnect => self.disconnect(Side::Left),
            LeftBarAction::Invalid(why) => self.error(format!("The left server's URL: {why}")),
            LeftBarAction::SetFxp(fxp) => {
                self.queues.route(QueueCommand::SetFxp(fxp));
            }
        }
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

#[cfg(test)]
mod tests {
    use std::time::{Duration, Instant};

    use super::*;
    use crate::gui::settings::Settings;
    use crate::sites::SiteStore;

    /// A site's password comes from the keyring on another thread. If the
    /// user disconnects before it arrives, the answer connects nothing and
    /// asks nothing: that choice was taken back.
    #[test]
    fn a_sites_password_arriving_after_a_disconnect_connects_nothing() {
        crate::sites::secrets::mock_keyring();
        // A server to connect to; it must never see the connection.
        let server = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        server.set_nonblocking(true).unwrap();
        let config = tempfile::tempdir().unwrap();
        let store = SiteStore::at(config.path().join("sites.json"));
        let settings = Settings {
            last_local: Some(config.path().to_path_buf()),
            ..Settings::default()
        };
        let app = FerryApp::with_sites(settings, None, Some(store));
        let mut window = egui_kittest::Harness::builder()
            .build_ui_state(|ui, app: &mut FerryApp| app.ui(ui), app);
        let site = Site {
            id: "a".to_string(),
            name: "a".to_string(),
            host: "127.0.0.1".to_string(),
            port: server.local_addr().unwrap().port(),
            logon: LogonType::Normal,
            user: "alice".to_string(),
            ..Site::default()
        };
        let app = window.state_mut();
        app.connect_site(Side::Right, site);
        app.disconnect(Side::Right);
        // The site thread answers in order: once this later save shows,
        // the password's answer has been read too.
        let marker = Site {
            id: "marker".to_string(),
            name: "marker".to_string(),
            ..Site::default()
        };
        app.site_worker.send(SiteOp::Save {
            site: Box::new(marker),
            password: None,
        });
        let started = Instant::now();
        while !window.state().sites().iter().any(|s| s.id == "marker") {
            assert!(started.elapsed() < Duration::from_secs(30), "no news");
            window.step();
            std::thread::sleep(Duration::from_millis(10));
        }
        window.step();
        assert_eq!(*window.state().link(), LinkState::Disconnected);
        assert!(window.state().dialogs.is_empty(), "a question was asked");
        assert!(server.accept().is_err(), "a connection was made");
    }
}
