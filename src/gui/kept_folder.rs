//! A local folder kept up to date on the server from the window (right
//! click → "Keep the server folder up to date"): the engine's watch, as
//! `ferry watch` runs it, summed up for the status line.

use std::collections::HashMap;
use std::path::PathBuf;

use crossbeam_channel::Receiver;

use super::bridge::{Waker, relay, take_some};
use crate::engine::queue::{ItemId, ItemState, QueueEvent};
use crate::engine::watch::{KeepUpToDate, WatchEvent, WatchOptions, from_mirror};
use crate::engine::{ConnectOptions, Error, LogLine};

/// Where the watch stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeptState {
    /// The first mirror (or one after an outage) is running.
    Comparing,
    /// In step; changes are sent as they happen.
    Watching,
    /// The server cannot be reached; everything is compared once it can.
    Behind(String),
}

pub struct KeptFolder {
    pub local: PathBuf,
    pub remote: String,
    /// The server as the user knows it.
    pub server: String,
    pub state: KeptState,
    /// Files sent as they changed, and the last one (name, local time).
    pub sent: u64,
    pub last: Option<(String, String)>,
    pub failed: u64,
    /// Left out, as the settings said when it started.
    pub excludes: String,
    /// Asked to end once the files under way are sent.
    pub stopping: bool,
    first_item_id: u64,
    /// Names of the single files queued, until they are sent.
    queued: HashMap<ItemId, String>,
    events: Receiver<WatchEvent>,
    watch: KeepUpToDate,
}

/// What the window does with a watch's news besides the status line.
pub enum KeptNews {
    /// The server's folder was brought in step (worth listing again).
    InStep,
    Log(LogLine),
    Problem(String),
    /// The watch ended on its own (the folder went, …).
    Ended(Option<Error>),
}

impl KeptFolder {
    pub fn start(
        connect: ConnectOptions,
        options: WatchOptions,
        server: String,
        excludes: String,
        waker: Waker,
    ) -> Result<KeptFolder, Error> {
        let (local, remote, first_item_id) = (
            options.local.clone(),
            options.remote.clone(),
            options.first_item_id,
        );
        let (watch, events) = KeepUpToDate::start(connect, options)?;
        Ok(KeptFolder {
            local,
            remote,
            server,
            state: KeptState::Comparing,
            sent: 0,
            last: None,
            failed: 0,
            excludes,
            stopping: false,
            first_item_id,
            queued: HashMap::new(),
            events: relay(events, waker, "watch"),
            watch,
        })
    }

    /// Takes what the watch said since the last frame (at most `budget`
    /// events); the news for the log and the user, and whether more waits.
    pub fn news(&mut self, budget: usize) -> (Vec<KeptNews>, bool) {
        let (events, more) = take_some(&self.events, budget);
        let mut news = Vec::new();
        for event in events {
            match event {
                WatchEvent::InStep { .. } => {
                    self.state = KeptState::Watching;
                    news.push(KeptNews::InStep);
                }
                WatchEvent::Behind(err) => self.state = KeptState::Behind(err.to_string()),
                WatchEvent::Said(line) | WatchEvent::Log(line) => news.push(KeptNews::Log(line)),
                WatchEvent::Queue(QueueEvent::Log { line, .. }) => news.push(KeptNews::Log(line)),
                WatchEvent::Queue(QueueEvent::State { id, state }) => {
                    let last = state.is_final();
                    match state {
                        ItemState::Done if !from_mirror(self.first_item_id, id) => {
                            self.sent += 1;
                            if let Some(name) = self.queued.get(&id) {
                                let at = chrono::Local::now().format("%H:%M:%S").to_string();
                                self.last = Some((name.clone(), at));
                            }
                        }
                        ItemState::Failed(err) => {
                            self.failed += 1;
                            news.push(KeptNews::Problem(err.to_string()));
                        }
                        _ => {}
                    }
                    if last {
                        self.queued.remove(&id);
                    }
                }
                WatchEvent::Queue(QueueEvent::Added { id, spec, .. })
                    if !from_mirror(self.first_item_id, id) && !spec.recursive =>
                {
                    let name = crate::engine::names::remote_basename(&spec.remote).to_string();
                    self.queued.insert(id, name);
                }
                WatchEvent::Queue(_) => {}
                WatchEvent::Ended(why) => news.push(KeptNews::Ended(why)),
            }
        }
        (news, more)
    }

    /// What is kept where, whole (the status line's hover).
    pub fn describe(&self) -> String {
        format!(
            "Keeping {} on {} up to date with {}",
            crate::engine::display_text(&self.remote_shown()),
            crate::engine::display_text(&self.server),
            self.local.display()
        )
    }

    /// One short line for the status bar.
    pub fn summary(&self) -> String {
        let name = self
            .local
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| self.local.display().to_string());
        let what = format!("Keeping {name} up to date");
        let state = match &self.state {
            _ if self.stopping => "stopping once the files under way are sent…".to_string(),
            KeptState::Comparing => "comparing…".to_string(),
            KeptState::Watching => match &self.last {
                None => "in step, watching".to_string(),
                Some((name, at)) => format!(
                    "{} sent, the last {} at {at}",
                    crate::units::count(self.sent, "file", "files"),
                    crate::engine::display_text(name)
                ),
            },
            KeptState::Behind(_) => "the server cannot be reached; waiting".to_string(),
        };
        format!("{what}: {state}")
    }

    fn remote_shown(&self) -> String {
        match self.remote.as_str() {
            "" => "the login folder".to_string(),
            path => path.to_string(),
        }
    }

    /// Stops at once (the window is letting the server go), on a thread
    /// of its own: its connections' QUITs are not waited for here.
    pub fn stop(self) {
        let watch = self.watch;
        let _ = std::thread::Builder::new()
            .name("ferry-watch-stop".to_string())
            .spawn(move || watch.stop());
    }

    /// Asks it to end once the files under way are sent.
    pub fn finish(&mut self) {
        self.stopping = true;
        self.watch.finish();
    }
}
