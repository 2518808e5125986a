//! How listings and transfer summaries look on stdout.

use crate::engine::TransferSummary;
use crate::listing::{EntryKind, RemoteEntry};

pub fn print_listing(entries: &[RemoteEntry], long: bool, json: bool) {
    if json {
        let values: Vec<serde_json::Value> = entries.iter().map(entry_json).collect();
        println!(
            "{}",
            serde_json::to_string_pretty(&values).unwrap_or_else(|_| "[]".to_string())
        );
        return;
    }
    for entry in entries {
        if long {
            println!("{}", long_line(entry));
        } else {
            println!("{}", entry.name);
        }
    }
}

fn kind_name(kind: &EntryKind) -> &'static str {
    match kind {
        EntryKind::File => "file",
        EntryKind::Dir => "dir",
        EntryKind::Symlink { .. } => "symlink",
        EntryKind::Other => "other",
        EntryKind::Unknown => "unknown",
    }
}

fn entry_json(entry: &RemoteEntry) -> serde_json::Value {
    let target = match &entry.kind {
        EntryKind::Symlink { target } => target.clone(),
        _ => None,
    };
    serde_json::json!({
        "name": entry.name,
        "type": kind_name(&entry.kind),
        "size": entry.size,
        "modified": entry.modified.map(|t| t.format("%Y-%m-%dT%H:%M:%S").to_string()),
        "permissions": entry.permissions,
        "owner": entry.owner,
        "group": entry.group,
        "target": target,
    })
}

fn long_line(entry: &RemoteEntry) -> String {
    let kind = match entry.kind {
        EntryKind::Dir => 'd',
        EntryKind::Symlink { .. } => 'l',
        EntryKind::File => '-',
        EntryKind::Other => 'o',
        EntryKind::Unknown => '?',
    };
    let size = entry
        .size
        .map(|s| s.to_string())
        .unwrap_or_else(|| "-".to_string());
    let modified = entry
        .modified
        .map(|t| t.format("%Y-%m-%d %H:%M").to_string())
        .unwrap_or_else(|| "-".repeat(16));
    let mut line = format!(
        "{kind} {:<10} {size:>12} {modified} {}",
        entry.permissions.as_deref().unwrap_or("-"),
        entry.name
    );
    if let EntryKind::Symlink {
        target: Some(target),
    } = &entry.kind
    {
        line.push_str(" -> ");
        line.push_str(target);
    }
    line
}

/// One line about a finished transfer, for a person at a terminal.
pub fn transfer_line(summary: &TransferSummary) -> String {
    let secs = summary.elapsed.as_secs_f64();
    let rate = if secs > 0.0 {
        summary.bytes as f64 / secs
    } else {
        0.0
    };
    let resumed = if summary.resumed_from > 0 {
        format!(" (resumed at byte {})", summary.resumed_from)
    } else {
        String::new()
    };
    format!(
        "{} bytes in {secs:.2} s ({}/s){resumed}",
        summary.bytes,
        human_bytes(rate)
    )
}

/// 1536 gives "1.5 KiB".
pub fn human_bytes(bytes: f64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut value = bytes;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{value:.0} {}", UNITS[unit])
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}
