//! How listings and transfer summaries look on stdout.

use crate::engine::{LogKind, LogLine, display_name};
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
            println!("{}", display_name(&entry.name));
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
        display_name(&entry.name)
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

/// A debug-log line on stderr, marked by what it is.
pub fn print_log_line(line: &LogLine) {
    let prefix = match line.kind {
        LogKind::Command => "> ",
        LogKind::Reply => "< ",
        LogKind::Error => "error: ",
        LogKind::Warning => "warning: ",
        LogKind::Data => "* ",
        LogKind::Status => "",
    };
    eprintln!("{prefix}{}", line.text);
}
