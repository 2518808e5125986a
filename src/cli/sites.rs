//! `ferry sites …` and `--site NAME`: the saved sites from the command line.

use std::path::PathBuf;

use super::Failure;
use super::args::SitesAction;
use super::output;
use crate::engine::{Error, display_text};
use crate::sites::{self, LogonType, Site, SiteProtocol, SiteStore, filezilla, secrets};
use crate::url::FtpUrl;

fn local_error(path: &str, message: impl Into<String>) -> Failure {
    Failure::from(Error::LocalIo {
        path: path.to_string(),
        message: message.into(),
    })
}

/// The sites file, or why there is none.
pub fn store() -> Result<SiteStore, Failure> {
    SiteStore::default_location()
        .ok_or_else(|| local_error("<config folder>", "no home folder to keep sites in"))
}

fn load(store: &SiteStore) -> Result<Vec<Site>, Failure> {
    store
        .load()
        .map_err(|e| local_error(&store.path().display().to_string(), e.to_string()))
}

fn store_failure(store: &SiteStore, err: impl std::fmt::Display) -> Failure {
    local_error(&store.path().display().to_string(), err.to_string())
}

/// The site named `name`, for `--site`.
pub fn find(name: &str) -> Result<Site, Failure> {
    let store = store()?;
    let all = load(&store)?;
    sites::find(&all, name).cloned().map_err(super::usage)
}

/// The site's password from the keyring, when it keeps one. A keyring
/// that cannot be reached is said once, on stderr; the caller then falls
/// back to --password-stdin or FERRY_PASSWORD.
pub fn stored_password(site: &Site) -> Option<String> {
    if !matches!(site.logon, LogonType::Normal | LogonType::Account) {
        return None;
    }
    match secrets::load_password(&site.id) {
        Ok(password) => password,
        Err(err) => {
            output::message(&format!("ferry: {err}"));
            None
        }
    }
}

pub fn run(action: SitesAction, password: Option<String>) -> Result<(), Failure> {
    let store = store()?;
    match action {
        SitesAction::List { json } => {
            let all = load(&store)?;
            if json {
                let text = serde_json::to_string_pretty(&all).unwrap_or_default();
                output::print_json(&text);
            } else {
                // Names may come from an imported file: shown escaped.
                output::print_lines(all.iter().map(|site| {
                    format!(
                        "{}\t{}",
                        display_text(&site.path()),
                        display_text(&describe(site))
                    )
                }));
            }
            Ok(())
        }
        SitesAction::Add {
            name,
            url,
            folder,
            comment,
            local_dir,
            ask_password,
            active,
            encoding,
            jobs,
            clear_data,
            ccc,
            key_file,
        } => {
            let url = FtpUrl::parse(&url).map_err(|e| super::usage(e.to_string()))?;
            let password = url.password.clone().or(password);
            let site = Site {
                id: sites::new_site_id(),
                name: name.clone(),
                folder: folder
                    .map(|f| {
                        f.split('/')
                            .filter(|p| !p.is_empty())
                            .map(str::to_string)
                            .collect()
                    })
                    .unwrap_or_default(),
                host: url.host.clone(),
                port: url.port,
                protocol: SiteProtocol::from_security(url.security),
                logon: match (&url.user, ask_password) {
                    (None, _) => LogonType::Anonymous,
                    (Some(_), true) => LogonType::AskForPassword,
                    (Some(_), false) => LogonType::Normal,
                },
                user: url.user.clone().unwrap_or_default(),
                transfer_mode: if active {
                    sites::TransferMode::Active
                } else {
                    sites::TransferMode::Default
                },
                max_connections: jobs.unwrap_or(0).min(10),
                encoding: encoding.unwrap_or_else(|| "utf-8".to_string()),
                local_dir: local_dir
                    .map(|d| d.display().to_string())
                    .unwrap_or_default(),
                remote_dir: url.path.clone(),
                comments: comment.unwrap_or_default(),
                clear_data,
                clear_control_channel: ccc,
                key_file: key_file
                    .map(|k| k.display().to_string())
                    .unwrap_or_default(),
                ..Site::default()
            };
            let path = site.path();
            let added = store
                .update(|all| {
                    if all.iter().any(|s| s.path() == path) {
                        return false;
                    }
                    all.push(site.clone());
                    true
                })
                .map_err(|e| store_failure(&store, e))?;
            if !added {
                return Err(super::usage(format!(
                    "a site {path:?} exists already; remove it first"
                )));
            }
            if site.logon == LogonType::Normal
                && let Some(password) = password
            {
                match secrets::save_password(&site.id, &password) {
                    Ok(()) => {
                        output::message(&format!("Saved {path}; its password is in the keyring."))
                    }
                    Err(err) => {
                        output::message(&format!("Saved {path} without its password: {err}"))
                    }
                }
            } else {
                output::message(&format!("Saved {path}."));
            }
            Ok(())
        }
        SitesAction::Remove { name } => {
            let removed = store
                .update(|all| {
                    let found = sites::find(all, &name).map(|s| s.id.clone());
                    if let Ok(id) = &found {
                        all.retain(|s| &s.id != id);
                    }
                    found
                })
                .map_err(|e| store_failure(&store, e))?;
            let id = removed.map_err(super::usage)?;
            if let Err(err) = secrets::delete_password(&id)
                && !matches!(err, secrets::SecretError::Unavailable(_))
            {
                output::message(&format!(
                    "ferry: the site is gone but its password stays in the keyring: {err}"
                ));
            }
            Ok(())
        }
        SitesAction::ImportFilezilla { file } => import(&store, file),
        SitesAction::ExportFilezilla { file } => {
            let all = load(&store)?;
            let written =
                filezilla::write_export(&file, &all, &|site: &Site| stored_password(site))
                    .map_err(|e| local_error(&file.display().to_string(), e.to_string()))?;
            output::message(&format!(
                "Wrote {} site(s) to {}",
                written.sites,
                file.display()
            ));
            output::message(&export_warning(&written, &file));
            Ok(())
        }
    }
}

/// What an export holds, said because FileZilla's format keeps passwords
/// in base64 that anyone who reads the file can decode.
fn export_warning(written: &filezilla::Exported, file: &std::path::Path) -> String {
    match written.passwords {
        0 => format!(
            "{} holds no passwords (none were found in the keyring)",
            file.display()
        ),
        n => format!(
            "ferry: WARNING: {} holds {n} password(s), only base64-encoded (anyone who can \
             read the file can use them); it is readable by you only, keep it so",
            file.display()
        ),
    }
}

/// The site as a URL that `ferry` reads back (escaped, never with the
/// password): what `ferry ls` or `get` can be given as it is.
fn describe(site: &Site) -> String {
    crate::url::FtpUrl {
        security: site.protocol.security(),
        host: site.host.clone(),
        port: site.effective_port(),
        user: (!site.user.is_empty()).then(|| site.user.clone()),
        password: None,
        path: site.remote_dir.clone(),
    }
    .to_string()
}

/// Reads FileZilla's site manager (its usual place if no file is given)
/// and adds what it can, reporting every site.
fn import(store: &SiteStore, file: Option<PathBuf>) -> Result<(), Failure> {
    let file = match file {
        Some(file) => file,
        None => directories::BaseDirs::new()
            .map(|d| d.config_dir().join("filezilla/sitemanager.xml"))
            .ok_or_else(|| local_error("~/.config/filezilla", "no home folder"))?,
    };
    let xml = std::fs::read_to_string(&file)
        .map_err(|e| local_error(&file.display().to_string(), e.to_string()))?;
    let imported = filezilla::import(&xml)
        .map_err(|e| local_error(&file.display().to_string(), e.to_string()))?;
    // The file is someone else's: its names are shown escaped.
    output::print_lines(imported.report.iter().map(|line| {
        let text = match &line.outcome {
            filezilla::ImportOutcome::Imported => format!("imported  {}", line.path),
            filezilla::ImportOutcome::Changed(why) => format!("imported  {} ({why})", line.path),
            filezilla::ImportOutcome::Skipped(why) => format!("skipped   {} ({why})", line.path),
        };
        display_text(&text)
    }));
    let mut keyring_warned = false;
    for entry in &imported.sites {
        if let Some(password) = &entry.password
            && let Err(err) = secrets::save_password(&entry.site.id, password)
            && !keyring_warned
        {
            output::message(&format!("ferry: passwords were not imported: {err}"));
            keyring_warned = true;
        }
    }
    let count = imported.sites.len();
    store
        .update(|all| all.extend(imported.sites.into_iter().map(|s| s.site)))
        .map_err(|e| store_failure(store, e))?;
    output::message(&format!(
        "{count} site(s) imported into {}",
        store.path().display()
    ));
    Ok(())
}
