//! Tests for the listing parsers, one file per format, with real samples
//! from the servers named in each test.

mod dos;
mod listing;
mod mlsd;
mod robustness;
mod unix;

use chrono::{NaiveDate, NaiveDateTime};

/// A timestamp for expectations; panics on impossible dates (tests only).
fn dt(y: i32, mo: u32, d: u32, h: u32, mi: u32, s: u32) -> NaiveDateTime {
    NaiveDate::from_ymd_opt(y, mo, d)
        .and_then(|date| date.and_hms_opt(h, mi, s))
        .expect("valid test date")
}

/// A fixed "now" so year inference is deterministic: mid-2026.
fn now() -> NaiveDateTime {
    dt(2026, 6, 15, 12, 0, 0)
}
