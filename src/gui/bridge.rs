//! Background threads talk to the window through channels; these relays
//! wake it when a message arrives, so an idle window does not repaint and
//! a busy one never shows stale state.

use std::sync::{Arc, Mutex};
use std::thread;

use crossbeam_channel::{Receiver, unbounded};

/// Asks the window for a new frame. The context is only known once the
/// first frame runs, so it is filled in then.
#[derive(Clone, Default)]
pub struct Waker(Arc<Mutex<Option<egui::Context>>>);

impl Waker {
    pub fn set(&self, ctx: &egui::Context) {
        if let Ok(mut slot) = self.0.lock()
            && slot.is_none()
        {
            *slot = Some(ctx.clone());
        }
    }

    pub fn ctx(&self) -> Option<egui::Context> {
        self.0.lock().ok().and_then(|slot| slot.clone())
    }

    pub fn wake(&self) {
        if let Ok(slot) = self.0.lock()
            && let Some(ctx) = slot.as_ref()
        {
            ctx.request_repaint();
        }
    }
}

/// Up to `budget` messages from `source`, in the order sent, and whether
/// more are waiting. What is not taken stays in the channel for the next
/// frame: a burst is spread over frames, nothing lost or reordered.
pub fn take_some<T>(source: &Receiver<T>, budget: usize) -> (Vec<T>, bool) {
    let taken: Vec<T> = source.try_iter().take(budget).collect();
    (taken, !source.is_empty())
}

/// Forwards everything from `source` to the returned receiver, waking the
/// window after each message. The thread ends when `source` closes.
pub fn relay<T: Send + 'static>(source: Receiver<T>, waker: Waker, name: &str) -> Receiver<T> {
    let (tx, rx) = unbounded();
    let spawned = thread::Builder::new()
        .name(format!("ferry-relay-{name}"))
        .spawn(move || {
            for message in source.iter() {
                if tx.send(message).is_err() {
                    return;
                }
                waker.wake();
            }
            waker.wake();
        });
    if spawned.is_err() {
        // Without a thread, nothing would arrive; an empty channel says so.
        return unbounded().1;
    }
    rx
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_is_taken_in_budgets_in_order_and_whole() {
        let (tx, rx) = unbounded();
        for n in 0..5_000 {
            tx.send(n).unwrap();
        }
        let mut seen = Vec::new();
        let mut takes = 0;
        loop {
            let (some, more) = take_some(&rx, 2_000);
            assert!(some.len() <= 2_000);
            seen.extend(some);
            takes += 1;
            if !more {
                break;
            }
        }
        assert_eq!(takes, 3);
        assert_eq!(seen, (0..5_000).collect::<Vec<_>>());
    }
}
