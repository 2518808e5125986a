//! The sites file, the certificates trusted always and the keyring, on
//! their own thread: a keyring may take its time (unlock prompts, D-Bus),
//! a disk may be slow (a network home folder), and the window must not
//! wait.

use std::thread;

use crossbeam_channel::{Receiver, Sender, unbounded};

use super::bridge::{Waker, relay};
use super::file_table::Side;
use crate::sites::{
    EditsStore, KeptEdit, QueueStore, SavedQueue, Site, SiteStore, TrustStore, TrustedCertificates,
    secrets,
};

/// What to do with the sites.
#[derive(Debug, Clone)]
pub enum SiteOp {
    Load,
    /// What the last window left unfinished (answered with
    /// [`SiteNews::SavedQueue`]).
    LoadQueue,
    /// Read the files the last window kept unsent ([`SiteNews::KeptEdits`]).
    LoadEdits,
    /// Keep these unfinished transfers for the next start (`None`: none).
    SaveQueue(Option<SavedQueue>),
    /// Read the certificates trusted always (answered with
    /// [`SiteNews::Trusted`]).
    LoadTrust,
    /// Trust a certificate always for a server (quick connections; a
    /// site keeps its own list). Answered with what the file trusts now.
    Trust {
        host: String,
        port: u16,
        fingerprint: String,
    },
    /// Trust an SSH host key always: append it to Ferry's known_hosts
    /// `file` (a problem is said if that fails; the login goes on).
    RememberHostKey {
        file: std::path::PathBuf,
        host: String,
        port: u16,
        key: crate::engine::ssh::HostKey,
    },
    /// Add or replace (by id). `password`: `None` leaves the keyring as it
    /// is, `Some(None)` forgets, `Some(Some(p))` stores.
    Save {
        site: Box<Site>,
        password: Option<Option<String>>,
    },
    Delete {
        id: String,
    },
    /// The keyring's password for a site we are about to connect to.
    PasswordFor {
        /// The pane the site is to open in.
        side: Side,
        site: Box<Site>,
        /// That pane's server's choice count when the user chose the site,
        /// handed back so an answer to an older choice can be dropped.
        choice: u64,
    },
    /// Add the sites of a FileZilla sitemanager.xml (passwords into the
    /// keyring).
    ImportFileZilla(std::path::PathBuf),
    /// Write all sites as a FileZilla sitemanager.xml.
    ExportFileZilla(std::path::PathBuf),
}

/// What became of a [`SiteOp`].
#[derive(Debug, Clone)]
pub enum SiteNews {
    /// The sites as the file has them now.
    Sites(Vec<Site>),
    /// The certificates the trust file holds now (nothing when there is
    /// no config folder, or the file is unreadable).
    Trusted(TrustedCertificates),
    /// A problem to show (the file or the keyring), once.
    Problem(String),
    /// There is no keyring to keep passwords in (said once a session).
    NoKeyring(String),
    /// Something done, for the log (an import's report, line by line).
    Report(Vec<String>),
    /// For `LoadQueue`: what was kept, if anything.
    SavedQueue(Option<SavedQueue>),
    /// For `LoadEdits`: the edited files kept from last time.
    KeptEdits(Vec<KeptEdit>),
    /// For `PasswordFor`: the site and its stored password, if any.
    Password {
        side: Side,
        site: Box<Site>,
        password: Option<String>,
        keyring_missing: bool,
        /// As asked (see [`SiteOp::PasswordFor`]).
        choice: u64,
    },
}

pub struct SiteWorker {
    ops: Sender<SiteOp>,
    pub news: Receiver<SiteNews>,
}

impl SiteWorker {
    /// A worker on `store` and `trust` (None: no config folder; every op
    /// on sites reports it).
    pub fn start(
        store: Option<SiteStore>,
        trust: Option<TrustStore>,
        queue: Option<QueueStore>,
        edits: Option<EditsStore>,
        waker: Waker,
    ) -> SiteWorker {
        let (ops, inbox) = unbounded::<SiteOp>();
        let (out, news) = unbounded();
        let _ = thread::Builder::new()
            .name("ferry-sites".to_string())
            .spawn(move || {
                for op in inbox.iter() {
                    let messages = match op {
                        SiteOp::LoadTrust => match trust.as_ref().map(TrustStore::load) {
                            Some(Ok(trusted)) => vec![SiteNews::Trusted(trusted)],
                            None => vec![SiteNews::Trusted(Default::default())],
                            // Nothing trusted (the safe side), and why.
                            Some(Err(why)) => vec![
                                SiteNews::Problem(format!(
                                    "No certificate is trusted always: {why}"
                                )),
                                SiteNews::Trusted(Default::default()),
                            ],
                        },
                        SiteOp::Trust {
                            host,
                            port,
                            fingerprint,
                        } => keep_trust(trust.as_ref(), &host, port, &fingerprint),
                        SiteOp::RememberHostKey {
                            file,
                            host,
                            port,
                            key,
                        } => match crate::engine::ssh::known_hosts::remember(
                            &file, &host, port, &key,
                        ) {
                            Ok(()) => Vec::new(),
                            Err(err) => vec![SiteNews::Problem(format!(
                                "The host key could not be kept in {}: {err}",
                                file.display()
                            ))],
                        },
                        SiteOp::LoadQueue => match queue.as_ref().map(QueueStore::load) {
                            Some(Ok(saved)) => vec![SiteNews::SavedQueue(saved)],
                            None => vec![SiteNews::SavedQueue(None)],
                            Some(Err(why)) => vec![SiteNews::Problem(format!(
                                "The transfers left from last time could not be read: {why}"
                            ))],
                        },
                        SiteOp::LoadEdits => match edits.as_ref().map(EditsStore::load) {
                            Some(Ok(kept)) if !kept.is_empty() => vec![SiteNews::KeptEdits(kept)],
                            Some(Err(why)) => vec![SiteNews::Problem(format!(
                                "The edited files kept from last time could not be read: {why}"
                            ))],
                            _ => Vec::new(),
                        },
                        SiteOp::SaveQueue(saved) => match queue.as_ref().map(|q| q.save(saved)) {
                            Some(Err(why)) => vec![SiteNews::Problem(format!(
                                "The unfinished transfers could not be kept: {why}"
                            ))],
                            _ => Vec::new(),
                        },
                        op => run(store.as_ref(), op),
                    };
                    for message in messages {
                        if out.send(message).is_err() {
                            return;
                        }
                    }
                }
            });
        SiteWorker {
            ops,
            news: relay(news, waker, "sites"),
        }
    }

    pub fn send(&self, op: SiteOp) {
        let _ = self.ops.send(op);
    }
}

/// Writes a certificate trusted always, and says what the file trusts now
/// (other windows may have added to it).
fn keep_trust(
    trust: Option<&TrustStore>,
    host: &str,
    port: u16,
    fingerprint: &str,
) -> Vec<SiteNews> {
    let problem = |why: String| {
        SiteNews::Problem(format!(
            "The certificate is trusted until Ferry closes, but could not be kept: {why}"
        ))
    };
    let Some(trust) = trust else {
        return vec![problem("there is no config folder".to_string())];
    };
    match trust
        .trust(host, port, fingerprint)
        .and_then(|()| trust.load())
    {
        Ok(trusted) => vec![SiteNews::Trusted(trusted)],
        Err(why) => vec![problem(why.to_string())],
    }
}

fn run(store: Option<&SiteStore>, op: SiteOp) -> Vec<SiteNews> {
    let Some(store) = store else {
        return vec![SiteNews::Problem(
            "There is no config folder to keep sites in.".to_string(),
        )];
    };
    let mut news = Vec::new();
    let changed = match op {
        SiteOp::Load => Ok(()),
        // Answered by the worker itself, store or not.
        SiteOp::LoadTrust
        | SiteOp::Trust { .. }
        | SiteOp::RememberHostKey { .. }
        | SiteOp::LoadQueue
        | SiteOp::SaveQueue(_)
        | SiteOp::LoadEdits => {
            return news;
        }
        SiteOp::Save { site, password } => {
            if let Some(password) = password {
                let kept = match password {
                    Some(p) if !p.is_empty() => secrets::save_password(&site.id, &p),
                    _ => secrets::delete_password(&site.id),
                };
                match kept {
                    Ok(()) => {}
                    Err(err @ secrets::SecretError::Unavailable(_)) => {
                        news.push(SiteNews::NoKeyring(err.to_string()));
                    }
                    Err(err) => news.push(SiteNews::Problem(err.to_string())),
                }
            }
            store
                .update(|all| match all.iter_mut().find(|s| s.id == site.id) {
                    Some(existing) => *existing = *site,
                    None => all.push(*site),
                })
                .map_err(|e| e.to_string())
        }
        SiteOp::Delete { id } => {
            if let Err(err) = secrets::delete_password(&id)
                && !matches!(err, secrets::SecretError::Unavailable(_))
            {
                news.push(SiteNews::Problem(err.to_string()));
            }
            store
                .update(|all| all.retain(|s| s.id != id))
                .map_err(|e| e.to_string())
        }
        SiteOp::PasswordFor { side, site, choice } => {
            let (password, missing) = match secrets::load_password(&site.id) {
                Ok(password) => (password, false),
                Err(secrets::SecretError::Unavailable(_)) => (None, true),
                Err(err) => {
                    news.push(SiteNews::Problem(err.to_string()));
                    (None, false)
                }
            };
            news.push(SiteNews::Password {
                side,
                site,
                password,
                keyring_missing: missing,
                choice,
            });
            return news;
        }
        SiteOp::ImportFileZilla(path) => import(store, &path, &mut news),
        SiteOp::ExportFileZilla(path) => {
            let result = store.load().map_err(|e| e.to_string()).and_then(|all| {
                // Readable by the user only: it may hold passwords.
                crate::sites::filezilla::write_export(&path, &all, &|site: &Site| {
                    secrets::load_password(&site.id).ok().flatten()
                })
                .map_err(|e| format!("{}: {e}", path.display()))
            });
            match result {
                Ok(written) => {
                    let mut report = vec![format!(
                        "Exported {} site(s) to {}",
                        written.sites,
                        path.display()
                    )];
                    if written.passwords > 0 {
                        report.push(format!(
                            "The file holds {} password(s), only base64-encoded: anyone who \
                             can read it can use them. It is readable by you only; keep it so.",
                            written.passwords
                        ));
                    }
                    news.push(SiteNews::Report(report));
                }
                Err(problem) => news.push(SiteNews::Problem(problem)),
            }
            return news;
        }
    };
    if let Err(problem) = changed {
        news.push(SiteNews::Problem(problem));
    }
    match store.load() {
        Ok(sites) => news.push(SiteNews::Sites(sites)),
        Err(err) => {
            news.push(SiteNews::Problem(err.to_string()));
            news.push(SiteNews::Sites(Vec::new()));
        }
    }
    news
}

/// Reads FileZilla's file, keeps the passwords in the keyring and the
/// sites in the store, and reports each site.
fn import(
    store: &SiteStore,
    path: &std::path::Path,
    news: &mut Vec<SiteNews>,
) -> Result<(), String> {
    use crate::sites::filezilla::{self, ImportOutcome};
    let xml = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let imported = filezilla::import(&xml).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut lines: Vec<String> = imported
        .report
        .iter()
        .map(|line| match &line.outcome {
            ImportOutcome::Imported => format!("Imported {}", line.path),
            ImportOutcome::Changed(why) => format!("Imported {} ({why})", line.path),
            ImportOutcome::Skipped(why) => format!("Skipped {} ({why})", line.path),
        })
        .collect();
    for entry in &imported.sites {
        if let Some(password) = &entry.password
            && let Err(err) = secrets::save_password(&entry.site.id, password)
        {
            news.push(SiteNews::Problem(format!(
                "Passwords were not imported: {err}"
            )));
            break;
        }
    }
    let count = imported.sites.len();
    store
        .update(|all| all.extend(imported.sites.into_iter().map(|s| s.site)))
        .map_err(|e| e.to_string())?;
    lines.push(format!("{count} site(s) imported from {}", path.display()));
    news.push(SiteNews::Report(lines));
    Ok(())
}
