//! The window's transfer queues and the ids of their items.
//!
//! The server in the right pane has one queue for downloads and uploads;
//! two servers have a copy queue per direction. Every queue the window
//! starts takes its item ids from a range of its own, never used again
//! while the window lives, so a row, a button or a dialog answer names one
//! item of one queue: it reaches that queue, or nothing once the queue is
//! gone — never an item of another queue that happens to share a number.
//!
//! A queue is let go when the connection it was started for is (a
//! disconnect, a new connection, the left pane back to this computer): it
//! stops at once, its running transfers abort, and it is read to its end,
//! so that its rows show how each item really ended.

use std::ops::Range;

use crossbeam_channel::{Receiver, TryRecvError};

use super::bridge::{Waker, relay, take_some};
use super::file_table::Side;
use crate::engine::Error;
use crate::engine::queue::{ItemId, QueueCommand, QueueEvent, QueueOptions, TransferQueue};

/// Ids a queue may give its items: more than any queue will ever hold,
/// and room for millions of queues in a window's life.
const IDS_PER_QUEUE: ItemId = 1 << 40;

/// What a queue is for, which says whose connection it belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QueueRole {
    /// Downloads and uploads with the server in the right pane.
    Transfers,
    /// Copies from the server on `from` to the server in the other pane.
    Copy { from: Side },
    /// Files opened to edit on the server on `side`: their downloads
    /// and uploads, answered by the window itself when a target exists.
    Edits { side: Side },
    /// View → Synchronize…, with the right server.
    Sync,
}

impl QueueRole {
    /// Whether this queue works with the server shown on `side`: letting
    /// go of that server's connection lets go of the queue too.
    pub fn uses(self, side: Side) -> bool {
        match self {
            QueueRole::Transfers => side == Side::Right,
            QueueRole::Copy { .. } => true,
            QueueRole::Edits { side: edits } => edits == side,
            QueueRole::Sync => side == Side::Right,
        }
    }
}

struct RunningQueue {
    role: QueueRole,
    ids: Range<ItemId>,
    queue: TransferQueue,
    events: Receiver<QueueEvent>,
}

/// A queue let go, read until its channel closes (after its last
/// connection has ended).
struct EndingQueue {
    events: Receiver<QueueEvent>,
}

/// What became of a command for a queue item.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Routed {
    Sent,
    /// The item's queue was let go: nothing is sent anywhere.
    QueueEnded,
    /// No queue takes it (nothing connected).
    NoQueue,
}

/// News from a queue.
pub struct QueueNews {
    pub event: QueueEvent,
    /// From a queue that was let go: it only settles its own rows.
    pub ended: bool,
}

#[derive(Default)]
pub struct Queues {
    running: Vec<RunningQueue>,
    ending: Vec<EndingQueue>,
    /// Events handed in whole (see [`Queues::arrive`]), read like a
    /// running queue's until their channel is empty.
    arrived: Vec<Receiver<QueueEvent>>,
    /// Queues started so far; the next takes the range after theirs.
    started: u64,
    /// Transfer → Pause: every queue, and those started while it holds,
    /// start nothing new.
    paused: bool,
}

impl Queues {
    /// Starts the queue for `role` with `options` (whose first item id it
    /// sets), through `start`. The caller lets go of a queue of the same
    /// role first.
    pub fn start(
        &mut self,
        role: QueueRole,
        mut options: QueueOptions,
        waker: &Waker,
        start: impl FnOnce(QueueOptions) -> Result<(TransferQueue, Receiver<QueueEvent>), Error>,
    ) -> Result<&TransferQueue, Error> {
        let first = self
            .started
            .checked_add(1)
            .and_then(|n| n.checked_mul(IDS_PER_QUEUE))
            .ok_or_else(|| Error::Protocol("out of queue ids; restart Ferry".to_string()))?;
        options.first_item_id = first;
        let (queue, events) = start(options)?;
        if self.paused {
            queue.send(QueueCommand::Pause(true));
        }
        self.started += 1;
        let events = relay(events, waker.clone(), "queue");
        self.running.push(RunningQueue {
            role,
            ids: first..first + IDS_PER_QUEUE,
            queue,
            events,
        });
        Ok(&self.running[self.running.len() - 1].queue)
    }

    /// The first of a range of ids that no queue of this window will
    /// give (a kept-up-to-date folder's queues take theirs from it).
    pub fn reserve(&mut self) -> Result<ItemId, Error> {
        let first = self
            .started
            .checked_add(1)
            .and_then(|n| n.checked_mul(IDS_PER_QUEUE))
            .ok_or_else(|| Error::Protocol("out of queue ids; restart Ferry".to_string()))?;
        self.started += 1;
        Ok(first)
    }

    /// Pauses or resumes every queue, now and for those started later.
    pub fn set_paused(&mut self, paused: bool) {
        self.paused = paused;
        let _ = self.route(QueueCommand::Pause(paused));
    }

    /// The item ids of the running queue for `role`, if any.
    pub fn ids_of(&self, role: QueueRole) -> Option<Range<ItemId>> {
        self.running
            .iter()
            .find(|q| q.role == role)
            .map(|q| q.ids.clone())
    }

    /// The running queue for `role`, if any.
    pub fn get(&self, role: QueueRole) -> Option<&TransferQueue> {
        self.running
            .iter()
            .find(|q| q.role == role)
            .map(|q| &q.queue)
    }

    /// Lets go of every running queue whose role `which` names: each stops
    /// without the window waiting. Returns their id ranges, whose rows and
    /// questions are now history.
    pub fn let_go(&mut self, which: impl Fn(QueueRole) -> bool) -> Vec<Range<ItemId>> {
        let mut ended = Vec::new();
        let mut kept = Vec::new();
        for running in self.running.drain(..) {
            if which(running.role) {
                ended.push(running.ids.clone());
                // Dropping the handle stops the queue (see TransferQueue).
                drop(running.queue);
                self.ending.push(EndingQueue {
                    events: running.events,
                });
            } else {
                kept.push(running);
            }
        }
        self.running = kept;
        ended
    }

    /// Sends `command` to the queue its item belongs to; "cancel all" goes
    /// to every running queue, a new item to the right server's queue.
    pub fn route(&self, command: QueueCommand) -> Routed {
        let id = match &command {
            QueueCommand::Cancel(id)
            | QueueCommand::Retry(id)
            | QueueCommand::MoveUp(id)
            | QueueCommand::MoveDown(id)
            | QueueCommand::Answer { id, .. } => *id,
            QueueCommand::CancelAll | QueueCommand::SetFxp(_) | QueueCommand::Pause(_) => {
                let fxp = matches!(command, QueueCommand::SetFxp(_));
                for running in &self.running {
                    if !fxp || matches!(running.role, QueueRole::Copy { .. }) {
                        running.queue.send(command.clone());
                    }
                }
                return Routed::Sent;
            }
            QueueCommand::Add(_) => {
                return match self.get(QueueRole::Transfers) {
                    Some(queue) => {
                        queue.send(command);
                        Routed::Sent
                    }
                    None => Routed::NoQueue,
                };
            }
        };
        if let Some(running) = self.running.iter().find(|q| q.ids.contains(&id)) {
            running.queue.send(command);
            return Routed::Sent;
        }
        match id < self.started.saturating_add(1).saturating_mul(IDS_PER_QUEUE) {
            true => Routed::QueueEnded,
            false => Routed::NoQueue,
        }
    }

    /// What the queues said since the last call, at most `budget` events
    /// (each queue's in the order it said them), and whether more are
    /// waiting. Queues let go are forgotten once they have said their last.
    pub fn news(&mut self, budget: usize) -> (Vec<QueueNews>, bool) {
        let mut news = Vec::new();
        let mut more = false;
        for running in &self.running {
            let (events, left) = take_some(&running.events, budget - news.len());
            more |= left;
            news.extend(events.into_iter().map(|event| QueueNews {
                event,
                ended: false,
            }));
        }
        self.arrived.retain(|events| {
            let (events, left) = take_some(events, budget - news.len());
            more |= left;
            news.extend(events.into_iter().map(|event| QueueNews {
                event,
                ended: false,
            }));
            left
        });
        self.ending.retain(|ending| {
            loop {
                if news.len() == budget {
                    more |= !ending.events.is_empty();
                    return true;
                }
                match ending.events.try_recv() {
                    Ok(event) => news.push(QueueNews { event, ended: true }),
                    Err(TryRecvError::Empty) => return true,
                    Err(TryRecvError::Disconnected) => return false,
                }
            }
        });
        (news, more)
    }

    /// `events` as if a running queue had said them all at once; they
    /// come out of [`Queues::news`] like its news (benchmarks: a burst).
    pub fn arrive(&mut self, events: Vec<QueueEvent>) {
        let (tx, rx) = crossbeam_channel::unbounded();
        for event in events {
            let _ = tx.send(event);
        }
        self.arrived.push(rx);
    }

    /// Whether no queue has news waiting and none is still stopping.
    pub fn is_quiet(&self) -> bool {
        self.ending.is_empty()
            && self.arrived.is_empty()
            && self.running.iter().all(|q| q.events.is_empty())
    }

    /// Whether queues let go are still stopping.
    pub fn any_ending(&self) -> bool {
        !self.ending.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_of_an_ended_queue_reach_no_queue() {
        let queues = Queues {
            started: 3,
            ..Queues::default()
        };
        // Ids of the three queues started (and all let go) so far.
        assert_eq!(
            queues.route(QueueCommand::Cancel(2 * IDS_PER_QUEUE + 5)),
            Routed::QueueEnded
        );
        assert_eq!(
            queues.route(QueueCommand::Cancel(5 * IDS_PER_QUEUE)),
            Routed::NoQueue
        );
    }

    #[test]
    fn news_comes_in_budgets_in_order_and_whole_and_an_ended_queue_is_forgotten_after() {
        let (tx, rx) = crossbeam_channel::unbounded();
        for id in 0..5_000 {
            tx.send(QueueEvent::Progress {
                id,
                bytes_done: 0,
                total: None,
                current_rate: 0.0,
                average_rate: 0.0,
                eta: None,
            })
            .unwrap();
        }
        drop(tx);
        let mut queues = Queues {
            ending: vec![EndingQueue { events: rx }],
            ..Queues::default()
        };
        let mut ids = Vec::new();
        let mut calls = 0;
        loop {
            let (news, more) = queues.news(2_000);
            assert!(news.len() <= 2_000);
            calls += 1;
            for news in news {
                assert!(news.ended);
                if let QueueEvent::Progress { id, .. } = news.event {
                    ids.push(id);
                }
            }
            if !more {
                break;
            }
        }
        assert_eq!(calls, 3);
        assert_eq!(ids, (0..5_000).collect::<Vec<_>>());
        // Its channel closed and emptied: no longer waited for.
        let (news, more) = queues.news(2_000);
        assert!(news.is_empty() && !more);
        assert!(!queues.any_ending());
    }
}
