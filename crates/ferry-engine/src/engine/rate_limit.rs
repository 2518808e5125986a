//! Speed limits for all transfers together, as FileZilla and lftp have
//! them: one limit for what comes in (downloads, and copies between
//! servers, which read from one), one for what goes out (uploads). Every
//! connection whose options carry the same limit shares it, and a change
//! is followed by the transfers already running within a tenth of a
//! second.
//!
//! Each chunk a transfer moves books its time on a shared schedule (the
//! limit's next free moment): with one transfer or ten, the bytes of the
//! whole add up to the limit. Time spent reading and writing between
//! bookings is credited back up to a tenth of a second (without it a
//! transfer ran at 87 % of a 50 MiB/s limit), but idle time beyond that
//! is not saved up for a burst later, so the average over any stretch
//! stays at the limit.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

/// The longest a transfer sleeps at once: a changed limit, or a cancel,
/// is seen after this at the latest.
const SLICE: Duration = Duration::from_millis(100);
/// The smallest chunk a limited transfer reads (a tenth of a second's
/// worth, but never less, so a very low limit does not mean tiny reads).
const SMALLEST_CHUNK: usize = 4 * 1024;

/// One speed limit, shared by clones; bytes per second, 0 for none.
#[derive(Clone, Default)]
pub struct RateLimit(Arc<Limiter>);

#[derive(Default)]
struct Limiter {
    bytes_per_sec: AtomicU64,
    /// When the bytes booked so far are due; `None` after a change.
    next: Mutex<Option<Instant>>,
}

impl RateLimit {
    /// A limit of its own, none at first.
    pub fn new() -> RateLimit {
        RateLimit::default()
    }

    /// Sets the limit (0: none) for every transfer sharing it, at once.
    pub fn set(&self, bytes_per_sec: u64) {
        self.0.bytes_per_sec.store(bytes_per_sec, Ordering::Relaxed);
        *self.0.next.lock().unwrap_or_else(PoisonError::into_inner) = None;
    }

    pub fn get(&self) -> u64 {
        self.0.bytes_per_sec.load(Ordering::Relaxed)
    }

    /// How much to read at once: `max`, or a tenth of a second's worth.
    pub(crate) fn chunk(&self, max: usize) -> usize {
        match self.get() {
            0 => max,
            rate => usize::try_from(rate / 10)
                .unwrap_or(usize::MAX)
                .clamp(SMALLEST_CHUNK, max.max(SMALLEST_CHUNK))
                .min(max),
        }
    }

    /// Books `bytes` on the schedule and sleeps until they are due.
    pub(crate) fn take(&self, bytes: u64) {
        let rate = self.get();
        if rate == 0 || bytes == 0 {
            return;
        }
        let due = {
            let mut next = self.0.next.lock().unwrap_or_else(PoisonError::into_inner);
            let now = Instant::now();
            let credit = now.checked_sub(SLICE).unwrap_or(now);
            let start = next.filter(|t| *t > credit).unwrap_or(credit);
            let due = start + Duration::from_secs_f64(bytes as f64 / rate as f64);
            *next = Some(due);
            due
        };
        loop {
            let left = due.saturating_duration_since(Instant::now());
            // A new limit (or none) applies from now: what was booked on
            // the old one is not waited out.
            if left.is_zero() || self.get() != rate {
                return;
            }
            std::thread::sleep(left.min(SLICE));
        }
    }
}

impl PartialEq for RateLimit {
    /// The same limit, not an equal one.
    fn eq(&self, other: &RateLimit) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

impl Eq for RateLimit {}

impl std::fmt::Debug for RateLimit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.get() {
            0 => write!(f, "RateLimit(none)"),
            rate => write!(f, "RateLimit({rate} B/s)"),
        }
    }
}

/// The limits a connection's transfers follow.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RateLimits {
    /// Downloads, and copies between servers.
    pub download: RateLimit,
    pub upload: RateLimit,
}

/// `2M`, `500K`, `1.5m`, `1000` (bytes per second, as curl's
/// `--limit-rate` reads it: K, M, G are powers of 1024).
pub fn parse_rate(text: &str) -> Option<u64> {
    let text = text.trim();
    let (number, unit) = match text.char_indices().last()? {
        (at, c) if c.is_ascii_alphabetic() => (&text[..at], c.to_ascii_lowercase()),
        _ => (text, 'b'),
    };
    let scale: f64 = match unit {
        'b' => 1.0,
        'k' => 1024.0,
        'm' => 1024.0 * 1024.0,
        'g' => 1024.0 * 1024.0 * 1024.0,
        _ => return None,
    };
    let value: f64 = number.trim().parse().ok()?;
    (value.is_finite() && value > 0.0).then(|| (value * scale).round() as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_read_as_curl_reads_them() {
        assert_eq!(parse_rate("2M"), Some(2 * 1024 * 1024));
        assert_eq!(parse_rate("500k"), Some(500 * 1024));
        assert_eq!(parse_rate("1.5m"), Some(1_572_864));
        assert_eq!(parse_rate("1000"), Some(1000));
        assert_eq!(parse_rate("1G"), Some(1 << 30));
        for bad in ["", "M", "-1M", "0", "2X", "fast", "NaN"] {
            assert_eq!(parse_rate(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn a_limited_transfer_reads_a_tenth_of_a_second_at_a_time() {
        let limit = RateLimit::new();
        assert_eq!(limit.chunk(256 * 1024), 256 * 1024);
        limit.set(1024 * 1024);
        assert_eq!(limit.chunk(256 * 1024), 104_857);
        limit.set(1000);
        assert_eq!(limit.chunk(256 * 1024), SMALLEST_CHUNK);
        limit.set(1 << 30);
        assert_eq!(limit.chunk(256 * 1024), 256 * 1024);
    }

    /// The schedule, not a stopwatch: 3 transfers booking 40 chunks of
    /// 10 KiB at 4 MiB/s between them are due 0.29 s after the first
    /// booking's start (at most a tenth of a second of credit before it).
    #[test]
    fn transfers_sharing_a_limit_add_up_to_it() {
        let limit = RateLimit::new();
        limit.set(4 * 1024 * 1024);
        let started = Instant::now();
        let threads: Vec<_> = (0..3)
            .map(|_| {
                let limit = limit.clone();
                std::thread::spawn(move || {
                    for _ in 0..40 {
                        limit.take(10 * 1024);
                    }
                })
            })
            .collect();
        for thread in threads {
            thread.join().unwrap();
        }
        let booked = limit.0.next.lock().unwrap().unwrap();
        let span = booked.duration_since(started).as_secs_f64();
        let expected = 120.0 * 10.0 * 1024.0 / (4.0 * 1024.0 * 1024.0) - SLICE.as_secs_f64();
        assert!(span >= expected, "{span} < {expected}");
        // A change of limit forgets what was booked on the old one.
        limit.set(0);
        assert!(limit.0.next.lock().unwrap().is_none());
        let quick = Instant::now();
        limit.take(1 << 30);
        assert!(quick.elapsed() < Duration::from_millis(50));
    }
}
