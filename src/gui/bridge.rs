//! Background threads talk to the window through channels; these relays
//! wake it when a message arrives, so an idle window does not repaint and
//! a busy one never shows stale state.

use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

use crossbeam_channel::{Receiver, unbounded};

/// News from the background wakes the window at most this often: ten
/// frames a second show progress as fast as a person reads it, where a
/// frame for every event (each file's states, each log line) kept a
/// software-rendered window drawing 60 frames a second through a whole
/// transfer. The first news after a quiet spell is drawn at once; input
/// (a click, a key) draws at once whatever this says.
pub const NEWS_FRAME_GAP: Duration = Duration::from_millis(100);

/// Asks the window for a new frame. The context is only known once the
/// first frame runs, so it is filled in then. Wakes are paced by a thread
/// of their own: the first news after a quiet spell is drawn at once,
/// news during the gap after it is drawn at the gap's end, in one frame.
#[derive(Clone)]
pub struct Waker {
    ctx: Arc<Mutex<Option<egui::Context>>>,
    /// Holds one "news arrived" at most; the pacer takes it.
    news: crossbeam_channel::Sender<()>,
}

impl Default for Waker {
    fn default() -> Waker {
        let ctx: Arc<Mutex<Option<egui::Context>>> = Arc::default();
        let shared = Arc::clone(&ctx);
        Waker::paced(ctx, move || {
            if let Ok(slot) = shared.lock()
                && let Some(ctx) = slot.as_ref()
            {
                // A delay, however small, asks egui for one frame; none
                // asks for two ("to let things settle"), which doubled
                // the frames of a transfer. A layout that needs a second
                // pass asks for it itself.
                ctx.request_repaint_after(Duration::from_millis(1));
            }
        })
    }
}

impl Waker {
    /// A waker whose pacer calls `frame` for each frame it asks for.
    fn paced(ctx: Arc<Mutex<Option<egui::Context>>>, frame: impl Fn() + Send + 'static) -> Waker {
        let (news, arrived) = crossbeam_channel::bounded::<()>(1);
        // Ends when every Waker is gone (the channel closes). Without the
        // thread, news still arrives; frames then come only with input.
        let _ = thread::Builder::new()
            .name("ferry-waker".to_string())
            .spawn(move || {
                for () in arrived.iter() {
                    frame();
                    thread::sleep(NEWS_FRAME_GAP);
                }
            });
        Waker { ctx, news }
    }
}

impl Waker {
    pub fn set(&self, ctx: &egui::Context) {
        if let Ok(mut slot) = self.ctx.lock()
            && slot.is_none()
        {
            *slot = Some(ctx.clone());
        }
    }

    pub fn ctx(&self) -> Option<egui::Context> {
        self.ctx.lock().ok().and_then(|slot| slot.clone())
    }

    /// A frame soon (see [`NEWS_FRAME_GAP`]). Never blocks.
    pub fn wake(&self) {
        // Full: a frame is coming anyway, and it will show this too.
        let _ = self.news.try_send(());
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
    use std::time::Instant;

    /// A burst of news asks for one frame now and one at the end of the
    /// gap, never one per message; news after a quiet spell, at once.
    #[test]
    fn a_burst_of_news_asks_for_a_frame_now_and_one_after_the_gap() {
        let frames = Arc::new(Mutex::new(Vec::new()));
        let log = Arc::clone(&frames);
        let waker = Waker::paced(Arc::default(), move || {
            log.lock().unwrap().push(Instant::now());
        });
        let asked = || frames.lock().unwrap().clone();
        let wait_for = |n: usize| {
            let since = Instant::now();
            while asked().len() < n {
                assert!(
                    since.elapsed() < Duration::from_secs(5),
                    "no frame asked for"
                );
                thread::sleep(Duration::from_millis(1));
            }
        };
        let started = Instant::now();
        waker.wake();
        wait_for(1);
        // News arriving right after a frame: all of it in one more frame,
        // a gap later.
        for _ in 0..1_000 {
            waker.wake();
        }
        thread::sleep(NEWS_FRAME_GAP * 3);
        let burst = asked();
        assert_eq!(burst.len(), 2, "{burst:?}");
        assert!(burst[0] - started < NEWS_FRAME_GAP / 2);
        assert!(burst[1] - burst[0] >= NEWS_FRAME_GAP);
        let again = Instant::now();
        waker.wake();
        wait_for(3);
        assert!(asked()[2] - again < NEWS_FRAME_GAP / 2);
    }

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
