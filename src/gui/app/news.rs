//! What the threads said since the last frame, applied: the site thread,
//! the local disk thread, each server's connection and the queues.

use super::FerryApp;

use crate::engine::names::{remote_basename, remote_parent};
use crate::engine::queue::{Direction, ItemState, QueueEvent};
use crate::engine::{Error, EventKind, LogKind, SessionInfo, mask_secrets};
use crate::gui::bridge::take_some;
use crate::gui::chosen::{FolderCount, Place};
use crate::gui::connect_bar::LinkState;
use crate::gui::dialogs::Dialog;
use crate::gui::file_table::Side;
use crate::gui::local_fs::LocalResult;
use crate::gui::log_view::LogSource;
use crate::gui::queues::QueueNews;
use crate::gui::rows::FileRow;
use crate::gui::server::Answer;
use crate::gui::site_worker::SiteNews;
use crate::sites::LogonType;

/// Messages applied per frame from each source (the site thread, the
/// local disk thread, each server's connection, the queues). A burst (a
/// folder of 100 000 files queued, a flood of log lines) is spread over
/// frames rather than freezing one; what waits stays in its channel, in
/// order. About a millisecond of work for queue events.
const NEWS_PER_FRAME: usize = 2_000;

impl FerryApp {
    /// Applies what the threads said since the last frame, at most
    /// [`NEWS_PER_FRAME`] messages from each source; when some are left,
    /// the next frame comes at once and goes on where this one stopped.
    pub(super) fn apply_news(&mut self) {
        let mut more = false;
        let (news, left) = take_some(&self.site_worker.news, NEWS_PER_FRAME);
        more |= left;
        for news in news {
            self.site_news(news);
        }
        let (results, left) = self.local_fs.results(NEWS_PER_FRAME);
        more |= left;
        for result in results {
            self.local_news(result);
        }
        for side in [Side::Right, Side::Left] {
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
                    EventKind::Log(line) => {
                        let source = match (self.left.shows_server(), side) {
                            (false, _) => LogSource::Window,
                            (true, Side::Left) => LogSource::Left,
                            (true, Side::Right) => LogSource::Right,
                        };
                        self.log.push(source, &line);
                    }
                    EventKind::Welcome(text) => self.server(side).welcome = text,
                    // The window lists whole folders (Command::List).
                    EventKind::Progress(_)
                    | EventKind::Connected(_)
                    | EventKind::ListingPart { .. } => {}
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
                        let answer = self.server(side).session.answer(request, result);
                        // News of a server the left pane no longer shows
                        // must not land in it.
                        if let Some(answer) = answer
                            && self.is_server(side)
                        {
                            self.server_news(side, answer);
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
        let (news, left) = take_some(&self.edits.news, NEWS_PER_FRAME);
        more |= left;
        more |= self.kept_news();
        more |= self.find.news(NEWS_PER_FRAME);
        more |= self.sync.news(NEWS_PER_FRAME);
        for news in news {
            self.edit_news(news);
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
            SiteNews::SavedQueue(saved) => self.saved_queue = saved,
            SiteNews::KeptEdits(kept) => {
                self.edits.restore(kept);
                self.adopt_kept_edits();
            }
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
                    && !site.logs_in_with_key()
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

    fn local_news(&mut self, result: LocalResult) {
        match result {
            // A late listing of this computer does not replace a server.
            LocalResult::Listed { .. } if self.left.shows_server() => {}
            LocalResult::Listed { folder, rows } => {
                self.left
                    .pane
                    .show_listing(folder.display().to_string(), rows, None);
            }
            LocalResult::Done { what } => {
                self.log
                    .push_text(LogKind::Status, &format!("{what}: done"));
                self.refresh(Side::Left);
            }
            LocalResult::Failed { what, error } => {
                self.left.pane.loading = false;
                self.left.pane.refreshing = false;
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

    /// A browsing request of the server in the pane on `side` finished.
    fn server_news(&mut self, side: Side, answer: Answer) {
        match answer {
            Answer::Connected {
                folder,
                result: Ok(info),
            } => self.connected(side, folder, &info),
            Answer::Connected {
                result: Err(err), ..
            } => {
                self.server(side).link = LinkState::Disconnected;
                self.pane(side).clear("Not connected");
                match err {
                    Error::Certificate(problem) => self.judge_certificate(side, problem),
                    Error::HostKey(problem) => self.judge_host_key(side, problem),
                    Error::Cancelled => {}
                    err => self.error(format!("Could not connect: {err}")),
                }
            }
            Answer::FolderOpened(Ok(path)) => {
                if let Some(sync) = &mut self.sync_browsing {
                    sync.awaiting = None;
                }
                self.server(side).opening_link = None;
                self.server(side).opening_start = None;
                let pane = self.pane(side);
                pane.folder = path;
                pane.loading = true;
                self.server(side).session.list();
            }
            Answer::FolderOpened(Err(err)) => {
                let start = self.server(side).opening_start.take();
                match self.server(side).opening_link.take() {
                    // A link the server cannot enter: the file it points to.
                    Some(link) if matches!(err, Error::Permanent { .. }) => {
                        self.pane(side).loading = false;
                        self.transfer(link, None);
                    }
                    // The folder a link named is none: maybe a file, to be
                    // shown in its folder and offered.
                    None if matches!(err, Error::Permanent { .. })
                        && start
                            .as_deref()
                            .is_some_and(|p| !remote_basename(p).is_empty()) =>
                    {
                        let path = start.unwrap_or_default();
                        let server = self.server(side);
                        server.named_file = Some(remote_basename(&path).to_string());
                        server.session.open_folder(remote_parent(&path));
                    }
                    None if matches!(err, Error::Permanent { .. })
                        && self.sync_target_missing(side) => {}
                    _ => self.browse_failed(side, "Opening the folder", &err),
                }
            }
            Answer::Listed(Ok(listing)) => {
                if side == Side::Right {
                    self.right_times_exact = listing.exact_times;
                    self.learn_server_offset(&listing);
                }
                let rows = listing.entries.iter().map(FileRow::from_remote).collect();
                let pane = self.pane(side);
                let folder = pane.folder.clone();
                pane.show_listing(folder, rows, listing.incomplete);
                if let Some(name) = self.server(side).named_file.take() {
                    self.offer_named_file(side, &name);
                }
                if let Some(name) = self.server(side).select_after.take() {
                    self.pane(side).table.select_names(&[&name]);
                }
            }
            Answer::Listed(Err(err)) => self.browse_failed(side, "Listing", &err),
            Answer::Changed {
                what,
                result: Ok(()),
            } => {
                self.log
                    .push_text(LogKind::Status, &format!("{what}: done"));
                if !self.server(side).session.busy_with_changes() {
                    self.refresh(side);
                }
            }
            Answer::Changed {
                what,
                result: Err(err),
            } => self.browse_failed(side, &what, &err),
            Answer::Counted {
                login,
                path,
                result,
            } => {
                let count = match result {
                    Ok(listing) if listing.incomplete.is_none() => Ok(FolderCount {
                        items: listing.entries.len() as u64,
                        folders: listing.entries.iter().filter(|e| e.is_dir()).count() as u64,
                        whole_tree: false,
                        at_least: false,
                    }),
                    Ok(_) => Err("the listing was not whole".to_string()),
                    Err(err) => Err(err.to_string()),
                };
                let name = self.server(side).name();
                let place = Place::Server { side, login, name };
                self.folder_counted(&place, &path, &count);
            }
            Answer::Raw(Ok(reply)) => {
                if self.log.level == 0 {
                    self.log
                        .push_text(LogKind::Reply, &mask_secrets(&reply.text));
                }
            }
            Answer::Raw(Err(err)) => self.browse_failed(side, "The command", &err),
            Answer::EditStat { edit, why, result } => self.edit_stat(edit, why, result),
            // Said in the log by the connection; the next request logs in
            // again if the login was lost.
            Answer::KeptAlive => {}
            Answer::Checksum {
                folder,
                name,
                result,
            } => {
                let text = match result {
                    Ok(Some(hash)) => hash.to_string(),
                    Ok(None) => "the server gives no checksums".to_string(),
                    Err(err) => format!("not given: {err}"),
                };
                let table = &mut self.pane(side).table;
                // Only for the folder it was asked in.
                if table.folder() == folder {
                    table.checksums.insert(name, text);
                }
            }
        }
    }

    /// The server on `side` logged in: the link says so, the transfer
    /// queue starts (right side), and `folder` (or the login folder) opens.
    fn connected(&mut self, side: Side, folder: Option<String>, info: &SessionInfo) {
        let server = self.server(side);
        let host = server
            .session
            .options
            .as_ref()
            .map(|o| o.host.clone())
            .unwrap_or_default();
        server.link = LinkState::Connected {
            host,
            tls: info.encrypted,
        };
        server.tls_note = match (&info.tls_details, info.encrypted) {
            (Some(details), _) => details.clone(),
            (None, true) => "TLS".to_string(),
            (None, false) => String::new(),
        };
        server.welcome = info.welcome.clone();
        self.adopt_kept_edits();
        if side == Side::Right {
            self.start_queue();
            self.settings.remember(self.bar.recent());
            self.restore_when_connected();
        }
        match folder {
            Some(folder) => {
                self.server(side).opening_start = Some(folder.clone());
                self.server(side).session.open_folder(folder);
            }
            None => {
                self.pane(side).folder = info.home.clone();
                self.server(side).session.list();
            }
        }
        self.pane(side).loading = true;
    }

    /// A link named `name`, a file in the folder now listed on `side`:
    /// it is selected, and its download offered.
    fn offer_named_file(&mut self, side: Side, name: &str) {
        let table = &mut self.pane(side).table;
        let row = table
            .rows()
            .iter()
            .find(|r| r.name == name && !r.is_dir())
            .cloned();
        let Some(row) = row else {
            let folder = self.pane(side).folder.clone();
            return self.error(format!(
                "{} is neither a folder nor a file in {} on the server.",
                crate::engine::display_text(name),
                crate::engine::display_text(&folder)
            ));
        };
        table.select_names(&[name]);
        let picked = table.pick(vec![row]);
        let chosen = self.chosen(side, picked);
        self.dialogs.push(Dialog::DownloadNamedFile(chosen));
    }

    /// A browsing request failed: said in the status line (a cancelled one
    /// silently), and the pane shows the server's folder as it is now.
    fn browse_failed(&mut self, side: Side, what: &str, err: &Error) {
        if matches!(err, Error::Cancelled) {
            return;
        }
        self.pane(side).loading = false;
        self.pane(side).refreshing = false;
        self.error(format!("{what} failed: {err}"));
        if !self.server(side).session.busy_with_changes() {
            self.refresh(side);
        }
    }

    fn queue_news(&mut self, news: QueueNews) {
        let QueueNews { event, ended } = news;
        self.queue_view.apply(&event);
        // A queue let go only settles its rows: no questions, no errors
        // about files the user has moved on from.
        if ended {
            return;
        }
        // An edited file's question is answered as its user decided.
        if self.edit_queue_event(&event)
            && matches!(
                event,
                QueueEvent::State {
                    state: ItemState::Asking { .. },
                    ..
                }
            )
        {
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
            QueueEvent::Log { connection, line } => {
                self.log.push(LogSource::Transfer(connection), &line);
            }
            QueueEvent::State {
                id,
                state: ItemState::Done,
            } => self.note_upload_for_offset(id),
            // Whatever moved is now worth seeing in both panes.
            QueueEvent::Idle(_) => {
                self.refresh(Side::Left);
                self.refresh(Side::Right);
                self.keep_unfinished();
            }
            _ => {}
        }
    }
}
