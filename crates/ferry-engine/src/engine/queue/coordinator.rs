//! The queue's thread: it owns the items and the pool of connections and
//! turns one into work for the other. What each item needs next is decided
//! in `dispatch`; folders become items in `expand`.

use std::collections::HashMap;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, Sender, select, unbounded};

use super::deletions::{PlannedDeletion, describe_ends};
use super::item::{Item, ItemKind, ItemState, is_passing};
use super::{ItemId, Overall, QueueCommand, QueueEvent, QueueOptions, TransferSpec};
use crate::engine::command::{Command, ConnectOptions, RequestId};
use crate::engine::error::Error;
use crate::engine::event::{ConnectionId, Event, EventKind, Features, Outcome, eta_at};
use crate::engine::worker::Connection;

/// How often the whole queue's progress is reported.
const OVERALL_INTERVAL: Duration = Duration::from_millis(100);
/// How long to wait before opening a connection again after one failed.
const RECONNECT_DELAY: Duration = Duration::from_secs(1);

/// What a busy connection is doing for which item.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Job {
    Connect,
    /// Logging in to the partner server of a copy queue.
    ConnectPartner,
    Transfer(ItemId),
    /// Listing a remote folder to download.
    List(ItemId),
    /// Creating a remote folder to upload into.
    Mkdir(ItemId),
    /// Listing a remote folder to learn what an upload would replace.
    ListTarget(ItemId),
    /// SIZE and MDTM of an upload's target.
    StatTarget(ItemId),
    /// SIZE and MDTM of a download's source.
    StatSource(ItemId),
    /// Deleting a remote file or tree (mirror `--delete`).
    Delete(ItemId),
    /// MFMT after an upload.
    PushTime(ItemId),
    /// SIZE and MDTM of a path asked for as a tree that could not be
    /// listed: a file there is fetched as a file.
    ProbeFile(ItemId),
    /// Creating a folder on the partner server to copy into.
    MkdirCopyTarget(ItemId),
    /// Comparing a file's checksums on both sides (mirror --checksum).
    Compare(ItemId),
    /// Listing that folder, to learn what each copy would replace.
    ListCopyTarget(ItemId),
    /// Whether a symbolic link leads to a folder (CWD into it and back).
    ResolveLink(ItemId),
}

impl Job {
    pub fn item(self) -> Option<ItemId> {
        match self {
            Job::Connect | Job::ConnectPartner => None,
            Job::Transfer(id)
            | Job::List(id)
            | Job::Mkdir(id)
            | Job::ListTarget(id)
            | Job::StatTarget(id)
            | Job::StatSource(id)
            | Job::Delete(id)
            | Job::PushTime(id)
            | Job::ProbeFile(id)
            | Job::ResolveLink(id)
            | Job::MkdirCopyTarget(id)
            | Job::Compare(id)
            | Job::ListCopyTarget(id) => Some(id),
        }
    }
}

pub(super) struct Slot {
    pub connection: Connection,
    /// The request in flight and what it is for; `None` when idle.
    pub busy: Option<(RequestId, Job)>,
    /// What the server offers, once logged in.
    pub features: Features,
    /// The folder the login started in, against which the queue's
    /// relative paths are read.
    pub home: String,
}

pub(super) struct Coordinator {
    connect: ConnectOptions,
    /// A copy queue's target server: every connection logs in there too.
    partner: Option<ConnectOptions>,
    pub(super) options: QueueOptions,
    inbox: Receiver<QueueCommand>,
    events: Sender<QueueEvent>,
    engine_tx: Sender<Event>,
    engine_rx: Receiver<Event>,
    pub(super) slots: Vec<Slot>,
    /// Lowered when the server refuses more connections.
    max_slots: usize,
    next_slot_id: u32,
    no_connect_before: Instant,
    /// See [`QueueCommand::Pause`].
    paused: bool,
    pub(super) items: Vec<Item>,
    /// Where each item is in `items`: lookups by id stay cheap in a queue
    /// of thousands of files.
    index: HashMap<ItemId, usize>,
    /// Items not in a final state, and items waiting to retry.
    unfinished: usize,
    retrying: usize,
    next_item: ItemId,
    last_overall: Instant,
    bytes_at_last_overall: u64,
    idle_reported: bool,
    /// Folder items not yet in a final state: deletions wait for zero.
    pub(super) open_folders: usize,
    /// A mirror's deletions, decided but held until every folder of the
    /// run has been read (see `release_deletions`).
    pub(super) planned_deletions: Vec<PlannedDeletion>,
    /// The first reason this run's listings cannot be trusted to delete
    /// on (a folder that could not be read whole).
    pub(super) deletion_block: Option<String>,
    /// Entries taken into the queue under each item the user added.
    tree_sizes: HashMap<ItemId, u64>,
}

impl Coordinator {
    pub fn new(
        connect: ConnectOptions,
        partner: Option<ConnectOptions>,
        options: QueueOptions,
        inbox: Receiver<QueueCommand>,
        events: Sender<QueueEvent>,
    ) -> Coordinator {
        let (engine_tx, engine_rx) = unbounded();
        let max_slots = options.connections.clamp(1, 10);
        let first_item = options.first_item_id.max(1);
        Coordinator {
            connect,
            partner,
            options,
            inbox,
            events,
            engine_tx,
            engine_rx,
            slots: Vec::new(),
            max_slots,
            next_slot_id: 1,
            no_connect_before: Instant::now(),
            paused: false,
            items: Vec::new(),
            index: HashMap::new(),
            unfinished: 0,
            retrying: 0,
            next_item: first_item,
            last_overall: Instant::now(),
            bytes_at_last_overall: 0,
            idle_reported: true,
            open_folders: 0,
            planned_deletions: Vec::new(),
            deletion_block: None,
            tree_sizes: HashMap::new(),
        }
    }

    pub fn run(mut self) {
        loop {
            // A panic is a bug of ours, never the server's doing; it must
            // not pass for success nor leave the queue dead for the window.
            match catch_unwind(AssertUnwindSafe(|| self.step())) {
                Ok(true) => {}
                Ok(false) => break,
                Err(panic) => self.recover_from_panic(panic),
            }
        }
        self.stop();
    }

    /// The handle is gone (a window disconnected, connected elsewhere or
    /// closed; a command-line run ended): nothing of this queue may go on.
    /// Every connection is told to stop at once — a running transfer
    /// aborts, a download keeps its partial file for a resume and is never
    /// renamed into place, nothing queued runs — then each says QUIT and
    /// its thread ends. Only then does the queue end, having said how each
    /// item ended: what completed before the stop is done, the rest is
    /// cancelled. So when the events channel closes, no worker of this
    /// queue is left to touch a file.
    ///
    /// A connection still logging in is not waited for: it has touched no
    /// file and is given none, and a slow server's login (pure-ftpd takes
    /// seconds) must not hold up the end of work already done. Its thread
    /// ends on its own when the login does, saying QUIT.
    fn stop(&mut self) {
        for slot in &mut self.slots {
            slot.connection.hang_up();
        }
        let busy: Vec<(ConnectionId, (RequestId, Job))> = self
            .slots
            .iter()
            .filter_map(|s| s.busy.map(|busy| (s.connection.id(), busy)))
            .collect();
        for slot in self.slots.drain(..) {
            let logging_in = matches!(slot.busy, Some((_, Job::Connect | Job::ConnectPartner)));
            if logging_in {
                drop(slot.connection);
            } else {
                slot.connection.close();
            }
        }
        // The workers have ended: their last outcomes are all here.
        while let Ok(event) = self.engine_rx.try_recv() {
            let EventKind::Finished { request, result } = event.kind else {
                continue;
            };
            let job = busy
                .iter()
                .find(|(connection, (r, _))| *connection == event.connection && *r == request)
                .map(|(_, (_, job))| *job);
            if let (Some(Job::Transfer(id) | Job::Delete(id)), Ok(_)) = (job, result)
                && let Some(item) = self.item_mut(id)
            {
                item.transferred = true;
            }
        }
        for id in self.ids_where(|i| !i.state.is_final()) {
            // Bytes in place, only the time not set (or a deletion made):
            // that item did what it was for.
            let done = self.item(id).is_some_and(|i| i.transferred);
            let state = match done {
                true => ItemState::Done,
                false => ItemState::Cancelled,
            };
            self.set_state(id, state);
        }
    }

    /// One turn of the loop; `false` once the handle is gone.
    fn step(&mut self) -> bool {
        self.release_deletions();
        self.run_local_items();
        self.schedule();
        self.report_overall(false);
        if self.is_idle() && !self.idle_reported {
            self.idle_reported = true;
            self.report_overall(true);
            let overall = self.overall();
            self.emit(QueueEvent::Idle(overall));
        }
        let wait = self.next_wake();
        select! {
            recv(self.inbox) -> command => match command {
                Ok(command) => self.command(command),
                // The handle is gone: stop everything and end.
                Err(_) => return false,
            },
            recv(self.engine_rx) -> event => {
                if let Ok(event) = event {
                    self.engine_event(event);
                }
            }
            default(wait) => {}
        }
        true
    }

    /// After a panic nothing the queue was doing can be trusted: every
    /// unfinished item fails (so a script's exit status says so), held
    /// deletions are dropped, the connections are closed, and the queue
    /// goes on with new work on new connections.
    fn recover_from_panic(&mut self, panic: Box<dyn std::any::Any + Send>) {
        let what = panic
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| panic.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "a panic".to_string());
        let error = Error::Protocol(format!(
            "internal error in Ferry's transfer queue ({what}); nothing more was done. \
             Please report this."
        ));
        self.slots.clear();
        self.planned_deletions.clear();
        self.deletion_block = None;
        // Straight to the items: the counters may be what went wrong.
        let mut failed = Vec::new();
        for item in &mut self.items {
            if !item.state.is_final() {
                item.state = ItemState::Failed(error.clone());
                failed.push(item.id);
            }
        }
        self.unfinished = 0;
        self.retrying = 0;
        self.open_folders = 0;
        for id in failed {
            self.emit(QueueEvent::State {
                id,
                state: ItemState::Failed(error.clone()),
            });
        }
        self.idle_reported = false;
    }

    pub(super) fn emit(&self, event: QueueEvent) {
        let _ = self.events.send(event);
    }

    /// Nothing left to do. An item waiting for an answer is not done: the
    /// caller still owes the queue a decision.
    fn is_idle(&self) -> bool {
        self.unfinished == 0
    }

    /// How long the loop may sleep before something is due.
    fn next_wake(&self) -> Duration {
        let now = Instant::now();
        let mut wait = Duration::from_millis(500);
        if !self.is_idle() {
            wait = wait.min(OVERALL_INTERVAL);
        }
        if self.retrying > 0 {
            for item in &self.items {
                if matches!(item.state, ItemState::Retrying { .. }) {
                    wait = wait.min(item.not_before.saturating_duration_since(now));
                }
            }
        }
        wait.max(Duration::from_millis(5))
    }

    // ----- commands from the caller -----

    fn command(&mut self, command: QueueCommand) {
        match command {
            QueueCommand::Add(spec) => {
                // Tests only: a bug of ours on demand.
                #[cfg(test)]
                if spec.remote == tests::PANIC_PATH {
                    panic!("a test asked for a panic");
                }
                self.add_item(None, spec, ItemKind::Transfer);
            }
            QueueCommand::Cancel(id) => self.cancel(id),
            QueueCommand::CancelAll => {
                for id in self.ids_where(|i| !i.state.is_final()) {
                    self.cancel(id);
                }
            }
            QueueCommand::Retry(id) => {
                if let Some(item) = self.item_mut(id)
                    && matches!(item.state, ItemState::Failed(_) | ItemState::Cancelled)
                {
                    item.attempts = 0;
                    item.not_before = Instant::now();
                    item.target = None;
                    self.set_state(id, ItemState::Queued);
                }
            }
            QueueCommand::MoveUp(id) => self.move_item(id, -1),
            QueueCommand::MoveDown(id) => self.move_item(id, 1),
            QueueCommand::SetFxp(fxp) => self.options.fxp = fxp,
            QueueCommand::Pause(paused) => self.paused = paused,
            QueueCommand::Answer {
                id,
                policy,
                for_all,
            } => {
                if policy == super::ExistsPolicy::Ask {
                    return;
                }
                let asking = |i: &Item| matches!(i.state, ItemState::Asking { .. });
                let ids = if for_all {
                    self.options.exists = policy;
                    self.ids_where(asking)
                } else {
                    self.ids_where(|i| i.id == id && asking(i))
                };
                for id in ids {
                    if let Some(item) = self.item_mut(id) {
                        item.answer = Some(policy);
                    }
                    self.set_state(id, ItemState::Queued);
                }
            }
        }
    }

    pub(super) fn add_item(
        &mut self,
        parent: Option<ItemId>,
        spec: TransferSpec,
        kind: ItemKind,
    ) -> ItemId {
        let id = self.next_item;
        self.next_item += 1;
        self.emit(QueueEvent::Added {
            id,
            parent,
            spec: spec.clone(),
            kind,
        });
        let lineage = parent.and_then(|p| self.item(p).map(|i| (p, i.root, i.depth)));
        let item = Item::new(id, lineage, spec, kind);
        *self.tree_sizes.entry(item.root).or_default() += 1;
        if item.is_folder() {
            self.open_folders += 1;
        }
        self.index.insert(id, self.items.len());
        self.items.push(item);
        self.unfinished += 1;
        self.idle_reported = false;
        id
    }

    /// Whether taking `more` entries under `id`'s tree stays within the
    /// bound; otherwise the reason it does not.
    pub(super) fn tree_too_big(&self, id: ItemId, more: usize) -> Option<String> {
        let root = self.item(id)?.root;
        let size = self.tree_sizes.get(&root).copied().unwrap_or(0);
        let max = self.options.max_entries;
        (size.saturating_add(more as u64) > max).then(|| {
            format!(
                "the tree holds more than {max} entries; stopped reading it \
                 (--max-entries raises the bound)"
            )
        })
    }

    /// Whether `--include`/`--exclude` leave out `name`, a file or folder
    /// in `parent`'s folder (paths count from the top of its tree).
    pub(super) fn leaves_out(&self, parent: ItemId, name: &str, is_dir: bool) -> bool {
        let filter = &self.options.filter;
        let Some(item) = self.item(parent).filter(|_| !filter.is_empty()) else {
            return false;
        };
        let top = self
            .item(item.root)
            .map_or("", |top| top.spec.remote.as_str());
        let folder = item.spec.remote.strip_prefix(top).unwrap_or_default();
        let folder = folder.trim_matches('/');
        let path = if folder.is_empty() {
            name.to_string()
        } else {
            format!("{folder}/{name}")
        };
        filter.leaves_out(&path, is_dir)
    }

    fn cancel(&mut self, id: ItemId) {
        let Some(item) = self.item(id) else { return };
        if item.state.is_final() {
            return;
        }
        let running = self
            .slots
            .iter()
            .find(|s| s.busy.and_then(|(_, job)| job.item()) == Some(id));
        match running {
            // The outcome arrives as Cancelled and settles the state.
            Some(slot) => {
                if let Some((request, _)) = slot.busy {
                    slot.connection.cancel(request);
                }
            }
            None => self.set_state(id, ItemState::Cancelled),
        }
        for child in self.ids_where(|i| i.parent == Some(id)) {
            self.cancel(child);
        }
    }

    /// Swaps an item with its nearest waiting neighbour, so the user
    /// decides what goes first.
    fn move_item(&mut self, id: ItemId, step: isize) {
        let Some(&index) = self.index.get(&id) else {
            return;
        };
        let mut other = index as isize + step;
        while other >= 0 && (other as usize) < self.items.len() {
            let other_index = other as usize;
            if !self.items[other_index].state.is_final() {
                self.items.swap(index, other_index);
                self.index.insert(self.items[index].id, index);
                self.index.insert(self.items[other_index].id, other_index);
                return;
            }
            other += step;
        }
    }

    // ----- handing out work -----

    fn schedule(&mut self) {
        if self.paused {
            return;
        }
        let now = Instant::now();
        // A folder to list is work for every connection once it is read:
        // they log in now, while it is listed, not one after the other
        // after it (each login is several round trips).
        let runnable: usize = self
            .items
            .iter()
            .filter(|i| i.is_runnable(now))
            .map(|i| if i.is_folder() { self.max_slots } else { 1 })
            .sum();
        // Connections that are idle or still logging in will take waiting
        // items; open more only for what they cannot (one file, one
        // connection).
        let free = self
            .slots
            .iter()
            .filter(|s| {
                s.busy
                    .is_none_or(|(_, job)| matches!(job, Job::Connect | Job::ConnectPartner))
            })
            .count();
        let mut missing = runnable.saturating_sub(free);
        while missing > 0 && self.slots.len() < self.max_slots && now >= self.no_connect_before {
            self.open_slot();
            missing -= 1;
        }
        for index in 0..self.slots.len() {
            if self.slots[index].busy.is_some() {
                continue;
            }
            // Deciding may settle an item without the network; keep going
            // until this connection has work or nothing is left.
            while self.slots[index].busy.is_none() {
                let now = Instant::now();
                let Some(position) = self.items.iter().position(|i| i.is_runnable(now)) else {
                    return;
                };
                self.start_item(index, position);
            }
        }
    }

    fn open_slot(&mut self) {
        let id = self.next_slot_id;
        self.next_slot_id += 1;
        let connection = Connection::spawn(id, self.engine_tx.clone());
        connection.set_debug_level(self.options.debug_level.min(2));
        connection.ask_ahead();
        let request = connection.send(Command::Connect(self.connect.clone()));
        self.slots.push(Slot {
            connection,
            busy: Some((request, Job::Connect)),
            features: Features::default(),
            home: String::new(),
        });
    }

    /// Sends `command` on a connection on behalf of `job`.
    pub(super) fn send_job(&mut self, slot: usize, command: Command, job: Job) {
        let request = self.slots[slot].connection.send(command);
        self.slots[slot].busy = Some((request, job));
    }

    // ----- what the connections report -----

    fn engine_event(&mut self, event: Event) {
        let Some(slot) = self
            .slots
            .iter()
            .position(|s| s.connection.id() == event.connection)
        else {
            return;
        };
        match event.kind {
            EventKind::Log(line) => self.emit(QueueEvent::Log {
                connection: event.connection,
                line,
            }),
            EventKind::Progress(progress) => {
                if let Some((request, Job::Transfer(id))) = self.slots[slot].busy
                    && request == progress.request
                {
                    if let Some(item) = self.item_mut(id) {
                        item.bytes_done = progress.bytes_done;
                        item.total = progress.total.or(item.total);
                    }
                    self.emit(QueueEvent::Progress {
                        id,
                        bytes_done: progress.bytes_done,
                        total: progress.total,
                        current_rate: progress.current_rate,
                        average_rate: progress.average_rate,
                        eta: progress.eta(),
                    });
                }
            }
            EventKind::Connected(info) => {
                self.slots[slot].features = info.features;
                self.slots[slot].home = info.home;
            }
            EventKind::Finished { request, result } => {
                let Some((busy_request, job)) = self.slots[slot].busy else {
                    return;
                };
                if busy_request != request {
                    return;
                }
                self.slots[slot].busy = None;
                match (job, result) {
                    (Job::Connect, Ok(outcome)) => {
                        if let Outcome::Connected(info) = outcome {
                            self.slots[slot].features = info.features;
                            self.slots[slot].home = info.home;
                        }
                        if let Some(partner) = self.partner.clone() {
                            let command = Command::Partner(Box::new(Command::Connect(partner)));
                            self.send_job(slot, command, Job::ConnectPartner);
                        }
                    }
                    (Job::ConnectPartner, Ok(_)) => {}
                    (Job::Connect | Job::ConnectPartner, Err(err)) => {
                        self.connect_failed(slot, err)
                    }
                    (job, result) => self.finished(slot, job, result),
                }
            }
            // The queue lists with Command::List: no parts.
            EventKind::Welcome(_)
            | EventKind::Disconnected { .. }
            | EventKind::ListingPart { .. } => {}
        }
    }

    fn connect_failed(&mut self, slot: usize, err: Error) {
        self.slots.remove(slot);
        self.emit(QueueEvent::ConnectFailed(err.clone()));
        self.no_connect_before = Instant::now() + RECONNECT_DELAY;
        let too_many = matches!(err, Error::Temporary { code: 421, .. });
        if too_many && !self.slots.is_empty() {
            // The server caps connections: live with fewer, fail nothing.
            self.max_slots = self.slots.len();
            return;
        }
        if is_passing(&err) {
            // Charge the attempt to the first waiting item, so a server that
            // never comes back still ends the queue.
            let now = Instant::now();
            if let Some(id) = self.items.iter().find(|i| i.is_runnable(now)).map(|i| i.id) {
                self.item_failed(id, err);
            }
            return;
        }
        // Login refused, TLS refused: no item can succeed.
        for id in self.ids_where(|i| !i.state.is_final()) {
            self.set_state(id, ItemState::Failed(err.clone()));
        }
    }

    /// An attempt failed: try again later if the reason may pass, else the
    /// item has failed and the queue goes on.
    pub(super) fn item_failed(&mut self, id: ItemId, err: Error) {
        if err == Error::Cancelled {
            self.set_state(id, ItemState::Cancelled);
            return;
        }
        let max_attempts = self.options.max_attempts.max(1);
        let base = self.options.retry_delay;
        let Some(item) = self.item_mut(id) else {
            return;
        };
        item.attempts += 1;
        if is_passing(&err) && item.attempts < max_attempts {
            let delay = base.saturating_mul(1 << (item.attempts - 1).min(6));
            item.not_before = Instant::now() + delay;
            let attempt = item.attempts + 1;
            self.set_state(
                id,
                ItemState::Retrying {
                    attempt,
                    reason: err,
                },
            );
        } else {
            self.set_state(id, ItemState::Failed(err));
        }
    }

    // ----- bookkeeping -----

    pub(super) fn ids_where(&self, keep: impl Fn(&Item) -> bool) -> Vec<ItemId> {
        self.items
            .iter()
            .filter(|i| keep(i))
            .map(|i| i.id)
            .collect()
    }

    pub(super) fn item(&self, id: ItemId) -> Option<&Item> {
        self.index.get(&id).and_then(|&i| self.items.get(i))
    }

    pub(super) fn item_mut(&mut self, id: ItemId) -> Option<&mut Item> {
        self.index.get(&id).and_then(|&i| self.items.get_mut(i))
    }

    pub(super) fn set_state(&mut self, id: ItemId, state: ItemState) {
        let Some(item) = self.item_mut(id) else {
            return;
        };
        let folder = item.is_folder().then(|| item.spec.clone());
        let was = std::mem::replace(&mut item.state, state.clone());
        if let Some(spec) = folder {
            self.folder_changed(&spec, &was, &state);
        }
        // Counters instead of scans: the loop asks after every event.
        match (was.is_final(), state.is_final()) {
            (false, true) => self.unfinished -= 1,
            (true, false) => self.unfinished += 1,
            _ => {}
        }
        let retrying = |s: &ItemState| matches!(s, ItemState::Retrying { .. });
        match (retrying(&was), retrying(&state)) {
            (false, true) => self.retrying += 1,
            (true, false) => self.retrying -= 1,
            _ => {}
        }
        if !state.is_final() {
            // Work again (a retry, an answer): report idle once more later.
            self.idle_reported = false;
        }
        self.emit(QueueEvent::State { id, state });
    }

    /// Keeps the count of folders being read, and notes a folder that
    /// could not be read whole: no deletion of this run may rest on it.
    fn folder_changed(&mut self, spec: &TransferSpec, was: &ItemState, now: &ItemState) {
        match (was.is_final(), now.is_final()) {
            (false, true) => self.open_folders = self.open_folders.saturating_sub(1),
            (true, false) => self.open_folders += 1,
            _ => {}
        }
        if !was.is_final() && matches!(now, ItemState::Failed(_) | ItemState::Cancelled) {
            let (_, source) = describe_ends(spec);
            let why = match now {
                ItemState::Failed(err) => format!("{source} was not read whole ({err})"),
                _ => format!("reading {source} was cancelled"),
            };
            self.deletion_block.get_or_insert(why);
        }
    }

    /// A folder item turned out to be a file: it no longer holds up the
    /// deletions that wait for every folder.
    pub(super) fn folder_became_file(&mut self, id: ItemId) {
        let Some(item) = self.item_mut(id) else {
            return;
        };
        if item.is_folder() && !item.state.is_final() {
            item.spec.recursive = false;
            self.open_folders = self.open_folders.saturating_sub(1);
        }
    }

    fn overall(&self) -> Overall {
        let mut overall = Overall::default();
        for item in &self.items {
            match item.kind {
                ItemKind::DeleteTarget => match item.state {
                    ItemState::Done | ItemState::Planned(_) => overall.deleted += 1,
                    ItemState::Failed(_) | ItemState::Skipped(_) | ItemState::Cancelled => {
                        overall.not_deleted += 1
                    }
                    _ => {}
                },
                ItemKind::Transfer if item.spec.recursive => {
                    if matches!(item.state, ItemState::Failed(_) | ItemState::Cancelled) {
                        overall.folders_failed += 1;
                    }
                }
                ItemKind::Transfer => {
                    overall.files_total += 1;
                    // A hostile listing may announce sizes near 2^64.
                    overall.bytes_total =
                        overall.bytes_total.saturating_add(item.total.unwrap_or(0));
                    overall.bytes_done = overall.bytes_done.saturating_add(item.bytes_done);
                    match item.state {
                        ItemState::Done | ItemState::Planned(_) => overall.files_done += 1,
                        ItemState::Failed(_) | ItemState::Cancelled => overall.files_failed += 1,
                        ItemState::Skipped(_) => overall.files_skipped += 1,
                        _ => {}
                    }
                }
            }
        }
        overall
    }

    fn report_overall(&mut self, force: bool) {
        let elapsed = self.last_overall.elapsed();
        if !force && (elapsed < OVERALL_INTERVAL || self.is_idle()) {
            return;
        }
        let mut overall = self.overall();
        let moved = overall
            .bytes_done
            .saturating_sub(self.bytes_at_last_overall);
        overall.rate = moved as f64 / elapsed.as_secs_f64().max(0.001);
        let left = overall.bytes_total.saturating_sub(overall.bytes_done);
        overall.eta = eta_at(left, overall.rate);
        self.bytes_at_last_overall = overall.bytes_done;
        self.last_overall = Instant::now();
        self.emit(QueueEvent::Overall(overall));
    }
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::super::{Direction, TransferQueue};
    use super::*;

    /// Adding a transfer of this path makes the queue's thread panic.
    pub(super) const PANIC_PATH: &str = "/ferry-test-panic";

    fn download(name: &str) -> TransferSpec {
        TransferSpec {
            direction: Direction::Download,
            remote: format!("/{name}"),
            local: PathBuf::from(format!("/nonexistent-ferry-test/{name}")),
            recursive: false,
            copy_to: String::new(),
        }
    }

    /// Events up to the next Idle (or a deadline, to fail instead of hang).
    fn until_idle(events: &crossbeam_channel::Receiver<QueueEvent>) -> Vec<QueueEvent> {
        let mut seen = Vec::new();
        loop {
            let event = events
                .recv_timeout(Duration::from_secs(30))
                .expect("the queue went silent");
            let idle = matches!(event, QueueEvent::Idle(_));
            seen.push(event);
            if idle {
                return seen;
            }
        }
    }

    #[test]
    fn a_panic_in_the_queue_fails_its_items_and_the_queue_goes_on() {
        // A server that takes connections and never says a word: the
        // queue's connection is still logging in when the panic comes.
        let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let mut connect = ConnectOptions::new("127.0.0.1");
        connect.port = silent.local_addr().unwrap().port();
        connect.timeout = Duration::from_secs(1);
        let options = QueueOptions {
            max_attempts: 1,
            ..QueueOptions::default()
        };
        let (queue, events) = TransferQueue::start(connect, options).unwrap();
        queue.add(download("a"));
        queue.add(download(&PANIC_PATH[1..]));
        let seen = until_idle(&events);
        let failed = seen.iter().find_map(|e| match e {
            QueueEvent::State {
                state: ItemState::Failed(err),
                ..
            } => Some(err.to_string()),
            _ => None,
        });
        let failed = failed.expect("the item failed");
        assert!(failed.contains("internal error"), "{failed}");
        let QueueEvent::Idle(overall) = seen.last().unwrap() else {
            unreachable!()
        };
        assert_eq!((overall.files_failed, overall.files_done), (1, 0));

        // The queue still works: a new item runs on a new connection (and
        // fails honestly, since the server never greets).
        queue.add(download("b"));
        let seen = until_idle(&events);
        let failed = seen.iter().find_map(|e| match e {
            QueueEvent::State {
                state: ItemState::Failed(err),
                ..
            } => Some(err.clone()),
            _ => None,
        });
        assert!(
            matches!(failed, Some(Error::Timeout(_) | Error::Connection(_))),
            "{failed:?}"
        );
        queue.shut_down();
        drop(silent);
    }
}
