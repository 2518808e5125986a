//! `ferry edit URL`: the file is downloaded to a private folder, the
//! user's editor runs on it, and a changed copy goes back through the
//! transfer queue (progress, retries, the log) — unless the file changed
//! on the server meanwhile, which is never overwritten without a word.

use std::io::{BufRead, IsTerminal};
use std::path::Path;
use std::process::ExitStatus;

use super::exit::Phase;
use super::{Failure, SharedOptions, output, transfers, usage};
use crate::engine::edit::{Conflict, EditFolder, EditedFile, LocalChange};
use crate::engine::queue::{Direction, ExistsPolicy, QueueOptions, TransferSpec};
use crate::engine::typed::{Fetch, Stat};
use crate::engine::{Error, FileStat, display_text};

/// What to do when the server's file changed while it was being edited.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnConflict {
    /// Ask on a terminal; elsewhere, upload nothing and keep the copy.
    Ask,
    Overwrite,
    KeepBoth,
}

pub fn run(url: &str, on_conflict: OnConflict, shared: &SharedOptions) -> Result<(), Failure> {
    let (parsed, connect) = super::target(url, shared)?;
    let remote = parsed.path.trim_end_matches('/').to_string();
    if remote.is_empty() || parsed.path.ends_with('/') {
        return Err(usage("the URL must name a file to edit".to_string()));
    }
    let mut folder = EditFolder::new()?;
    let local = folder.place_for(&remote)?;
    let edited = {
        let mut client = super::login(connect.clone(), shared.verbose)?;
        let server = client.request(Stat {
            path: remote.clone(),
        })?;
        if server.size.is_none() && server.modified.is_none() {
            return Err(usage(format!(
                "{} is not a file on the server (a folder?)",
                display_text(&remote)
            )));
        }
        client.request(Fetch {
            remote: remote.clone(),
            local: local.clone(),
        })?;
        EditedFile::new(remote.clone(), local.clone(), server)?
        // The connection ends here: an editor may stay open for hours,
        // longer than any server keeps an idle login.
    };

    let status = run_editor(&local)?;
    let change = edited.local_change()?;
    let name = display_text(&remote);
    match change {
        LocalChange::Unchanged => {
            output::message(&format!("ferry: {name}: not changed; nothing uploaded"));
            return Ok(());
        }
        LocalChange::Gone => {
            return Err(Error::LocalIo {
                path: local.display().to_string(),
                message: "the edited copy was deleted; nothing uploaded".to_string(),
            }
            .into());
        }
        LocalChange::Changed if !status.success() => {
            let kept = folder.keep();
            return Err(Error::LocalIo {
                path: local.display().to_string(),
                message: format!(
                    "the editor ended with {status}: nothing uploaded; your copy is kept in {}",
                    kept.display()
                ),
            }
            .into());
        }
        LocalChange::Changed => {}
    }

    let now = {
        let mut client = super::login(connect.clone(), shared.verbose)?;
        match client.request(Stat {
            path: remote.clone(),
        }) {
            Ok(stat) => stat,
            // Gone from the server: a conflict too.
            Err(Error::Permanent { code: 550, .. }) => FileStat::default(),
            Err(err) => return Err(keep_on_failure(folder, err)),
        }
    };
    if edited.unverifiable() {
        output::message(&format!(
            "ferry: {name}: the server gives neither size nor time, so a change there \
             since it was opened cannot be seen"
        ));
    }
    let policy = match edited.conflict(&now) {
        None => ExistsPolicy::Overwrite,
        Some(conflict) => match decide(&name, &conflict, on_conflict) {
            Some(policy) => policy,
            None => {
                let kept = folder.keep();
                return Err(Failure {
                    error: Error::NotReplaced {
                        what: name.clone(),
                        on_server: true,
                        why: format!("{conflict}; your copy is kept in {}", kept.display()),
                    },
                    phase: Phase::Work,
                    hint: Some(
                        "ferry: to upload it anyway: ferry put --overwrite (replace theirs) or \
                         --keep-both (beside theirs) with that copy; ferry edit --overwrite or \
                         --keep-both decide this in advance",
                    ),
                    status: None,
                });
            }
        },
    };
    let options = QueueOptions {
        connections: 1,
        exists: policy,
        download_times: false,
        debug_level: shared.verbose.min(2),
        ..QueueOptions::default()
    };
    let spec = TransferSpec {
        direction: Direction::Upload,
        remote,
        local,
        recursive: false,
        copy_to: String::new(),
    };
    let sent = transfers::run(
        transfers::Servers::One(connect),
        options,
        vec![spec],
        false,
        shared.verbose,
    );
    match sent {
        Ok(()) => {
            output::message(&format!("ferry: {name}: uploaded"));
            Ok(())
        }
        Err(failure) => {
            let kept = folder.keep();
            output::message(&format!("ferry: your copy is kept in {}", kept.display()));
            Err(failure)
        }
    }
}

/// A failure after the file was edited: the copy is kept, and the
/// message says where.
fn keep_on_failure(folder: EditFolder, error: Error) -> Failure {
    let kept = folder.keep();
    output::message(&format!("ferry: your copy is kept in {}", kept.display()));
    error.into()
}

/// The policy for the upload, or `None` to upload nothing.
fn decide(name: &str, conflict: &Conflict, on_conflict: OnConflict) -> Option<ExistsPolicy> {
    match on_conflict {
        OnConflict::Overwrite => return Some(ExistsPolicy::Overwrite),
        OnConflict::KeepBoth => return Some(ExistsPolicy::Rename),
        OnConflict::Ask => {}
    }
    let stdin = std::io::stdin();
    if !stdin.is_terminal() {
        return None;
    }
    output::message(&format!("ferry: {name}: {conflict}."));
    loop {
        output::prompt(
            "Overwrite theirs with yours (o), keep both, yours as \"name (1)\" (k), or upload nothing (n)? ",
        );
        let mut answer = String::new();
        if stdin.lock().read_line(&mut answer).ok()? == 0 {
            return None;
        }
        match answer.trim().to_lowercase().as_str() {
            "o" | "overwrite" => return Some(ExistsPolicy::Overwrite),
            "k" | "keep both" | "keep" => return Some(ExistsPolicy::Rename),
            "n" | "no" | "" => return None,
            _ => {}
        }
    }
}

/// Runs `$VISUAL`, else `$EDITOR`, else `vi` on `path` and waits for it,
/// through the shell as git does, so an editor with arguments
/// (`code --wait`) works.
fn run_editor(path: &Path) -> Result<ExitStatus, Failure> {
    let editor = ["VISUAL", "EDITOR"]
        .iter()
        .filter_map(|name| std::env::var(name).ok())
        .find(|value| !value.trim().is_empty())
        .unwrap_or_else(|| default_editor().to_string());
    let status = crate::editor::editor_command(&editor, path).status();
    status.map_err(|e| {
        Error::LocalIo {
            path: editor.clone(),
            message: format!("the editor could not be started: {e}"),
        }
        .into()
    })
}

#[cfg(unix)]
fn default_editor() -> &'static str {
    "vi"
}

#[cfg(not(unix))]
fn default_editor() -> &'static str {
    "notepad"
}
