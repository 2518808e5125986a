//! LIST (Unix and DOS styles) and NLST: every line through
//! `parse_list_line` and `parse_nlst_line`, all lines through
//! `parse_listing` for both formats. "Now" is fixed, once mid-year and
//! once at New Year, where Unix listings' missing year is inferred.

#![no_main]

use chrono::{NaiveDate, NaiveDateTime};
use ferry::listing::{ListingFormat, parse_list_line, parse_listing, parse_nlst_line};
use libfuzzer_sys::fuzz_target;

fn at(year: i32, month: u32, day: u32, hour: u32) -> NaiveDateTime {
    NaiveDate::from_ymd_opt(year, month, day)
        .and_then(|d| d.and_hms_opt(hour, 0, 0))
        .expect("a valid date")
}

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let lines: Vec<String> = text.split('\n').map(str::to_string).collect();
    for now in [at(2024, 6, 15, 12), at(2025, 1, 1, 0)] {
        let _ = parse_list_line(&text, now);
        for line in &lines {
            let _ = parse_list_line(line, now);
        }
        let (entries, errors) = parse_listing(ListingFormat::List, &lines, now);
        assert!(entries.len() + errors.len() <= lines.len());
    }
    for line in &lines {
        let _ = parse_nlst_line(line);
    }
    let (entries, errors) = parse_listing(ListingFormat::Nlst, &lines, at(2024, 6, 15, 12));
    assert!(errors.is_empty(), "NLST lines never fail");
    assert!(entries.len() <= lines.len());
});
