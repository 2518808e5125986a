//! `ferry check URL LOCAL`: a server's file or tree compared with a
//! local one by checksums, file by file. Prints what differs (`differs`,
//! `only on the server`, `only here`); status 1 when anything does, as
//! `cmp` and `diff` do.

use std::path::{Path, PathBuf};

use super::exit::Phase;
use super::{Failure, output};
use crate::engine::find::{FindEvent, FindOptions, find};
use crate::engine::hash::of_file;
use crate::engine::names::local_name;
use crate::engine::typed::{RemoteHash, Stat};
use crate::engine::{ConnectOptions, Error, display_text};
use crate::listing::EntryKind;

pub fn run(
    connect: ConnectOptions,
    remote: &str,
    local: &Path,
    verbose: u8,
) -> Result<(), Failure> {
    let mut client = super::login(connect.clone(), verbose)?;
    // A file: the one pair.
    let is_file = client
        .request(Stat {
            path: remote.to_string(),
        })
        .is_ok_and(|s| s.size.is_some())
        && !local.is_dir();
    let pairs: Vec<(String, PathBuf)> = if is_file {
        vec![(remote.to_string(), local.to_path_buf())]
    } else {
        tree_pairs(connect, remote, local)?
    };
    let mut differing = 0u64;
    let mut checked = 0u64;
    for (remote_path, local_path) in &pairs {
        let shown = display_text(remote_path);
        if !local_path.is_file() {
            output::print_line(&format!("only on the server: {shown}"));
            differing += 1;
            continue;
        }
        let Some(there) = client.request(RemoteHash {
            path: remote_path.clone(),
        })?
        else {
            return Err(Error::Permanent {
                code: 502,
                text: "the server offers no checksum command (HASH, XSHA256, XSHA1, XMD5, MD5, \
                       SITE MD5, XCRC): nothing can be checked"
                    .to_string(),
            }
            .into());
        };
        let here =
            of_file(local_path, there.algorithm).map_err(|e| Error::local(local_path, &e))?;
        checked += 1;
        if here != there {
            output::print_line(&format!("differs: {shown} ({there}, here {})", here.hex));
            differing += 1;
        }
    }
    if !is_file {
        for extra in only_here(remote, local, &pairs) {
            output::print_line(&format!("only here: {}", extra.display()));
            differing += 1;
        }
    }
    output::message(&format!(
        "ferry: {checked} checked by checksum, {differing} differing"
    ));
    match differing {
        0 => Ok(()),
        n => Err(Failure {
            error: Error::InvalidInput(format!("{n} file(s) differ")),
            phase: Phase::Work,
            hint: None,
            status: Some(1),
        }),
    }
}

/// Every file of the server's tree, with where it would be here.
fn tree_pairs(
    connect: ConnectOptions,
    remote: &str,
    local: &Path,
) -> Result<Vec<(String, PathBuf)>, Failure> {
    let options = FindOptions::named(remote, "*", 2);
    let (_search, events) = find(connect, options)?;
    let prefix = match remote {
        "" => String::new(),
        root => format!("{root}/"),
    };
    let mut pairs = Vec::new();
    for event in events.iter() {
        match event {
            FindEvent::Found(found) if found.entry.kind == EntryKind::File => {
                let relative = found.path.strip_prefix(&prefix).unwrap_or(&found.path);
                let mut here = local.to_path_buf();
                for part in relative.split('/') {
                    here.push(local_name(part)?);
                }
                pairs.push((found.path, here));
            }
            FindEvent::Found(_) => {}
            FindEvent::Unread { folder, error } => {
                return Err(Error::Protocol(format!(
                    "{} could not be read whole ({error}): nothing is said about it",
                    display_text(&folder)
                ))
                .into());
            }
            FindEvent::Done {
                error: Some(error), ..
            } => return Err(error.into()),
            FindEvent::Done { .. } => break,
        }
    }
    Ok(pairs)
}

/// Local files the server's tree does not have.
fn only_here(_remote: &str, local: &Path, pairs: &[(String, PathBuf)]) -> Vec<PathBuf> {
    let known: std::collections::HashSet<&Path> = pairs.iter().map(|(_, p)| p.as_path()).collect();
    let mut extra = Vec::new();
    let mut folders = vec![local.to_path_buf()];
    while let Some(folder) = folders.pop() {
        let Ok(entries) = std::fs::read_dir(&folder) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            match entry.file_type() {
                Ok(kind) if kind.is_dir() => folders.push(path),
                Ok(kind) if kind.is_file() && !known.contains(path.as_path()) => extra.push(path),
                _ => {}
            }
        }
    }
    extra.sort();
    extra
}
