//! MLSD: every line through `parse_mlsd_line`, the whole input as one
//! line too, and all lines through `parse_listing`. No panic, and the
//! listing never reports more entries and errors than it had lines.

#![no_main]

use chrono::{NaiveDate, NaiveDateTime};
use ferry::listing::{ListingFormat, parse_listing, parse_mlsd_line};
use libfuzzer_sys::fuzz_target;

fn now() -> NaiveDateTime {
    NaiveDate::from_ymd_opt(2024, 6, 15)
        .and_then(|d| d.and_hms_opt(12, 0, 0))
        .expect("a valid date")
}

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let _ = parse_mlsd_line(&text);
    let lines: Vec<String> = text.split('\n').map(str::to_string).collect();
    for line in &lines {
        let _ = parse_mlsd_line(line);
    }
    let (entries, errors) = parse_listing(ListingFormat::Mlsd, &lines, now());
    assert!(entries.len() + errors.len() <= lines.len());
    assert!(entries.iter().all(|e| e.name != "." && e.name != ".."));
});
