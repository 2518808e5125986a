//! Drives a transfer queue to the end and keeps what it said, so a test
//! can assert on states, retries and progress afterwards.

use std::collections::HashMap;
use std::path::Path;
use std::time::{Duration, Instant};

use crossbeam_channel::Receiver;
use ferry_engine::engine::ConnectOptions;
use ferry_engine::engine::queue::{
    ItemId, ItemState, QueueCommand, QueueEvent, QueueOptions, TransferQueue, TransferSpec,
};

/// Long enough for any test tree; a hung queue fails instead of hanging.
const DEADLINE: Duration = Duration::from_secs(120);

pub struct QueueRun {
    pub queue: TransferQueue,
    pub events: Receiver<QueueEvent>,
    pub seen: Vec<QueueEvent>,
    pub specs: HashMap<ItemId, TransferSpec>,
    pub states: HashMap<ItemId, ItemState>,
}

impl QueueRun {
    pub fn start(connect: ConnectOptions, options: QueueOptions) -> QueueRun {
        let (queue, events) = TransferQueue::start(connect, options).expect("start the queue");
        QueueRun {
            queue,
            events,
            seen: Vec::new(),
            specs: HashMap::new(),
            states: HashMap::new(),
        }
    }

    pub fn send(&self, command: QueueCommand) {
        self.queue.send(command);
    }

    /// The next event (kept in `seen`); panics after the deadline.
    // Not an Iterator: it never ends, it fails the test past a deadline.
    #[allow(clippy::should_implement_trait)]
    pub fn next(&mut self) -> QueueEvent {
        let event = self
            .events
            .recv_timeout(DEADLINE)
            .expect("the queue went silent");
        match &event {
            QueueEvent::Added { id, spec, .. } | QueueEvent::Retargeted { id, spec } => {
                self.specs.insert(*id, spec.clone());
            }
            QueueEvent::State { id, state } => {
                self.states.insert(*id, state.clone());
            }
            _ => {}
        }
        self.seen.push(event.clone());
        event
    }

    /// Reads events until `stop` says so.
    pub fn until(&mut self, mut stop: impl FnMut(&QueueEvent) -> bool) {
        let started = Instant::now();
        loop {
            assert!(started.elapsed() < DEADLINE, "the queue never got there");
            let event = self.next();
            if stop(&event) {
                return;
            }
        }
    }

    /// Adds `spec` and runs until the queue is idle again. An `Idle` sent
    /// before the queue took the new item (left from an earlier run) does
    /// not count.
    pub fn run(&mut self, spec: TransferSpec) {
        self.queue.add(spec);
        self.until(|e| matches!(e, QueueEvent::Added { parent: None, .. }));
        self.until_idle();
    }

    pub fn until_idle(&mut self) {
        self.until(|e| matches!(e, QueueEvent::Idle(_)));
    }

    /// Final states of items whose spec's remote path ends with `suffix`.
    pub fn state_of(&self, remote_suffix: &str) -> Vec<ItemState> {
        let mut found: Vec<(ItemId, ItemState)> = self
            .specs
            .iter()
            .filter(|(_, s)| s.remote.ends_with(remote_suffix))
            .filter_map(|(id, _)| self.states.get(id).map(|st| (*id, st.clone())))
            .collect();
        found.sort_by_key(|(id, _)| *id);
        found.into_iter().map(|(_, st)| st).collect()
    }

    pub fn count(&self, keep: impl Fn(&ItemState) -> bool) -> usize {
        self.states.values().filter(|s| keep(s)).count()
    }

    /// Every `Retrying` state seen, in order.
    pub fn retries(&self) -> usize {
        self.seen
            .iter()
            .filter(|e| {
                matches!(
                    e,
                    QueueEvent::State {
                        state: ItemState::Retrying { .. },
                        ..
                    }
                )
            })
            .count()
    }
}

/// A download of `remote` to `local` (a tree with `recursive`).
pub fn download(remote: &str, local: &Path, recursive: bool) -> TransferSpec {
    TransferSpec {
        direction: ferry_engine::engine::queue::Direction::Download,
        remote: remote.to_string(),
        local: local.to_path_buf(),
        recursive,
        copy_to: String::new(),
    }
}

/// An upload of `local` to `remote` (a tree with `recursive`).
pub fn upload(local: &Path, remote: &str, recursive: bool) -> TransferSpec {
    TransferSpec {
        direction: ferry_engine::engine::queue::Direction::Upload,
        remote: remote.to_string(),
        local: local.to_path_buf(),
        recursive,
        copy_to: String::new(),
    }
}

/// Every file under `root` as (relative path, bytes), and every folder as
/// (relative path/, empty), sorted: two trees are equal when these are.
pub fn snapshot(root: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    walk(root, root, &mut out);
    out.sort();
    out
}

fn walk(root: &Path, dir: &Path, out: &mut Vec<(String, Vec<u8>)>) {
    for entry in std::fs::read_dir(dir).expect("read a folder") {
        let path = entry.expect("a folder entry").path();
        let rel = path
            .strip_prefix(root)
            .expect("inside the root")
            .to_string_lossy()
            .into_owned();
        let meta = std::fs::symlink_metadata(&path).expect("metadata");
        if meta.is_dir() {
            out.push((format!("{rel}/"), Vec::new()));
            walk(root, &path, out);
        } else {
            out.push((rel, std::fs::read(&path).expect("read a file")));
        }
    }
}
