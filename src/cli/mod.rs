//! The command-line front end: turns arguments into engine commands and
//! outcomes into output and exit statuses. It knows nothing of FTP itself.

mod args;
mod check;
mod client;
mod edit;
mod exit;
mod find;
mod output;
mod sites;
mod transfers;
mod watch;

use std::io::{BufRead, IsTerminal};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;

pub use args::{Action, Cli, SharedOptions};
use client::Client;
use exit::Phase;

use crate::engine::names::{local_name, remote_basename, remote_join};
use crate::engine::queue::{Direction, ExistsPolicy, TransferSpec};
use crate::engine::typed::{Change, Connect, Raw, Stat};
use crate::engine::{
    Command, ConnectOptions, DataMode, Error, Secret, TransferType, display_lines,
};
use crate::url::FtpUrl;

/// Runs the command line; `None` means "no subcommand: open the GUI".
pub fn run(cli: Cli) -> ExitCode {
    let Some(action) = cli.command else {
        let start = match cli.url.as_deref().map(FtpUrl::parse) {
            None => None,
            Some(Ok(url)) => Some(url),
            Some(Err(err)) => {
                output::message(&format!(
                    "ferry: {err}\n(not a command either; see `ferry --help`)"
                ));
                return exit::code(exit::USAGE);
            }
        };
        return match crate::gui::run(start) {
            Ok(()) => exit::code(exit::OK),
            Err(err) => {
                output::message(&format!("ferry: the window could not open: {err}"));
                exit::code(exit::LOCAL)
            }
        };
    };
    match execute(action, &cli.shared) {
        // The command did its work; whether its reader took it all is
        // the last word (see `output`).
        Ok(()) => match output::stdout_problem() {
            None => exit::code(exit::OK),
            Some(output::StdoutProblem::Closed) => exit::code(exit::OUTPUT_CLOSED),
            Some(output::StdoutProblem::Failed(why)) => {
                output::message(&format!("ferry: cannot write to standard output: {why}"));
                exit::code(exit::LOCAL)
            }
        },
        Err(failure) => {
            output::message(&format!("ferry: {}", failure.error));
            match (failure.hint, &failure.error) {
                (Some(hint), _) => output::message(hint),
                (None, Error::NotReplaced { .. }) => output::message(NOT_REPLACED_HINT),
                _ => {}
            }
            if let Error::Certificate(problem) = &failure.error {
                if let Some(before) = PREVIOUSLY_TRUSTED.get().filter(|b| !b.is_empty()) {
                    output::message(&format!(
                        "ferry: WARNING: this server's certificate CHANGED since it was trusted \
                         (before: {}; now: {}). Someone may be intercepting the connection.",
                        before.join(", "),
                        problem.sha256
                    ));
                }
                output::message(&format!(
                    "ferry: if you know this certificate is the server's, run again with --trust {}",
                    problem.sha256
                ));
            }
            let status = failure
                .status
                .unwrap_or_else(|| exit::status_for(&failure.error, failure.phase));
            exit::code(status)
        }
    }
}

/// How to let `get`, `put`, `copy` replace what exists (see `ExistsArgs`).
const NOT_REPLACED_HINT: &str = "ferry: to replace them, run again with --overwrite, \
    --overwrite-if-newer or --overwrite-if-size-differs; --keep-both keeps both, \
    --skip-existing leaves them without an error, -c resumes shorter ones";

/// Parses `std::env::args` and runs.
pub fn main() -> ExitCode {
    run(Cli::parse())
}

struct Failure {
    error: Error,
    phase: Phase,
    /// What to do about it, said after the error; `None` for the usual.
    hint: Option<&'static str>,
    /// The exit status, when not the error's (check's 1: "differs").
    status: Option<u8>,
}

impl From<Error> for Failure {
    fn from(error: Error) -> Failure {
        Failure {
            error,
            phase: Phase::Work,
            hint: None,
            status: None,
        }
    }
}

fn usage(message: String) -> Failure {
    Failure {
        error: Error::InvalidInput(message),
        phase: Phase::Work,
        hint: None,
        status: None,
    }
}

fn execute(action: Action, shared: &SharedOptions) -> Result<(), Failure> {
    match action {
        Action::Ls { long, json, url } => {
            let (mut client, url) = connect(&url, shared)?;
            let path = (!url.path.is_empty()).then(|| url.path.clone());
            // Printed as it is read, text or JSON: a folder of 100 000
            // entries is never held whole.
            let mut json_out = json.then(output::JsonListing::default);
            let mut print = |part: Vec<crate::listing::RemoteEntry>| match &mut json_out {
                Some(out) => out.add(&part),
                None => output::print_listing(&part, long),
            };
            let listed = client.list_in_parts(path.clone(), &mut print);
            let listing = match listed {
                Ok(listing) => listing,
                // Not a folder: a file is listed as itself, as `ls file` does.
                Err(not_a_folder @ Error::Permanent { .. }) => {
                    let file = path.as_deref().and_then(|p| file_entry(&mut client, p));
                    let Some(file) = file else {
                        return Err(not_a_folder.into());
                    };
                    crate::engine::Listing::complete(vec![file])
                }
                // What was printed of the array is closed, so it still
                // parses; the status says it is not the whole folder.
                Err(err) => {
                    if let Some(out) = json_out {
                        out.end_if_started();
                    }
                    return Err(err.into());
                }
            };
            match json_out {
                Some(mut out) => {
                    out.add(&listing.entries);
                    out.finish();
                }
                None => output::print_listing(&listing.entries, long),
            }
            match listing.incomplete {
                // Printed as far as it goes, but a script must not take it
                // for the whole folder.
                Some(why) => {
                    Err(Error::Protocol(format!("the listing is incomplete: {why}")).into())
                }
                None => Ok(()),
            }
        }
        Action::Get { transfer, args } => {
            let (sources, local) = split_get_args(args, shared.site.is_some())?;
            let (connect, paths) = sources_on_one_server(&sources, shared)?;
            let several = paths.len() > 1;
            let mut specs = Vec::new();
            for path in paths {
                let trimmed = path.trim_end_matches('/');
                let target = if transfer.recursive {
                    folder_download_target(trimmed, local.clone())?
                } else if trimmed.is_empty() || path.ends_with('/') {
                    return Err(usage(
                        "the URL must name a file to download (or use -r for a folder)".to_string(),
                    ));
                } else if several {
                    let folder = local.clone().unwrap_or_else(|| PathBuf::from("."));
                    folder.join(local_name(remote_basename(trimmed))?)
                } else {
                    download_target(trimmed, local.clone())?
                };
                specs.push(TransferSpec {
                    direction: Direction::Download,
                    remote: trimmed.to_string(),
                    local: target,
                    recursive: transfer.recursive,
                    copy_to: String::new(),
                });
            }
            distinct_targets(&specs)?;
            if let (true, Some(folder)) = (several, &local) {
                std::fs::create_dir_all(folder).map_err(|e| Error::local(folder, &e))?;
            }
            let lone = (specs.len() == 1 && !transfer.recursive).then(|| specs[0].remote.clone());
            let probe = connect.clone();
            let ran = transfers::run_with_args(
                transfers::Servers::One(connect),
                &transfer,
                specs,
                shared.verbose,
                |options| options.resume = transfer.resume,
            );
            match (ran, lone) {
                // Refused: a folder, asked for without -r? Said so.
                (
                    Err(
                        failure @ Failure {
                            error: Error::Permanent { .. },
                            ..
                        },
                    ),
                    Some(path),
                ) => match is_remote_folder(probe, &path) {
                    true => Err(usage(format!(
                        "{} is a folder: add -r to download it and all it holds",
                        crate::engine::display_text(&path)
                    ))),
                    false => Err(failure),
                },
                (ran, _) => ran,
            }
        }
        Action::Put { transfer, mut args } => {
            let url = args.pop().unwrap_or_default();
            let url = url
                .to_str()
                .ok_or_else(|| usage(format!("{} is not a URL", url.display())))?;
            let (parsed, connect) = target(url, shared)?;
            // Several sources always go into the folder the URL names.
            let into = match parsed.path.as_str() {
                path if args.len() > 1 && !path.is_empty() && !path.ends_with('/') => {
                    format!("{path}/")
                }
                path => path.to_string(),
            };
            let mut specs = Vec::new();
            for local in args {
                let is_dir = local.is_dir();
                if is_dir && !transfer.recursive {
                    return Err(usage(format!("{} is a folder (use -r)", local.display())));
                }
                if !local.exists() {
                    return Err(Error::LocalIo {
                        path: local.display().to_string(),
                        message: "does not exist".to_string(),
                    }
                    .into());
                }
                specs.push(TransferSpec {
                    direction: Direction::Upload,
                    remote: upload_target(&into, &local)?,
                    local,
                    recursive: is_dir,
                    copy_to: String::new(),
                });
            }
            distinct_targets(&specs)?;
            transfers::run_with_args(
                transfers::Servers::One(connect),
                &transfer,
                specs,
                shared.verbose,
                |_| {},
            )
        }
        Action::Copy {
            transfer,
            fxp,
            source,
            target,
        } => {
            if shared.site.is_some() {
                return Err(usage(
                    "copy takes two URLs; --site does not apply".to_string(),
                ));
            }
            let (from, source_options) = self::target(&source, shared)?;
            let to = FtpUrl::parse(&target).map_err(|e| usage(e.to_string()))?;
            // Standard input and FERRY_PASSWORD are the source's.
            let target_shared = SharedOptions {
                password_stdin: false,
                ..shared.clone()
            };
            let mut target_options = connect_options(&to, &target_shared)?;
            if to.password.is_none() {
                target_options.password =
                    std::env::var("FERRY_TARGET_PASSWORD").ok().map(Secret::new);
            }
            let from_path = from.path.trim_end_matches('/');
            if from_path.is_empty() && !transfer.recursive {
                return Err(usage(
                    "SRC_URL must name a file to copy (or use -r for a folder)".to_string(),
                ));
            }
            let name = remote_basename(from_path);
            let to_path = if to.path.is_empty() || to.path.ends_with('/') {
                remote_join(&to.path, name)
            } else {
                to.path.clone()
            };
            let spec = TransferSpec {
                direction: Direction::Copy,
                remote: from_path.to_string(),
                local: PathBuf::new(),
                recursive: transfer.recursive,
                copy_to: to_path.trim_end_matches('/').to_string(),
            };
            let servers = transfers::Servers::Two(source_options, Box::new(target_options));
            transfers::run_with_args(servers, &transfer, vec![spec], shared.verbose, |options| {
                options.fxp = fxp
            })
        }
        Action::Mirror {
            reverse,
            deletions,
            dry_run,
            checksum,
            queue,
            url,
            localdir,
        } => {
            let (parsed, connect) = target(&url, shared)?;
            if reverse && !localdir.is_dir() {
                return Err(Error::LocalIo {
                    path: localdir.display().to_string(),
                    message: "is not a folder".to_string(),
                }
                .into());
            }
            let spec = TransferSpec {
                direction: if reverse {
                    Direction::Upload
                } else {
                    Direction::Download
                },
                remote: parsed.path.trim_end_matches('/').to_string(),
                local: localdir,
                recursive: true,
                copy_to: String::new(),
            };
            let mut options =
                transfers::queue_options(&queue, ExistsPolicy::OverwriteIfChanged, shared.verbose)?;
            options.delete_extraneous = deletions.delete;
            options.files_as_trees = false;
            options.max_delete = Some(deletions.max_delete);
            options.force_delete = deletions.force_delete;
            options.dry_run = dry_run;
            options.compare_checksums = checksum;
            options.resume = true;
            transfers::run(
                transfers::Servers::One(connect),
                options,
                vec![spec],
                false,
                shared.verbose,
            )
        }
        Action::Edit {
            overwrite,
            keep_both,
            url,
        } => {
            let on_conflict = match (overwrite, keep_both) {
                (true, _) => edit::OnConflict::Overwrite,
                (_, true) => edit::OnConflict::KeepBoth,
                _ => edit::OnConflict::Ask,
            };
            edit::run(&url, on_conflict, shared)
        }
        Action::Watch {
            deletions,
            no_default_excludes,
            queue,
            localdir,
            url,
        } => {
            let (parsed, connect) = target(&url, shared)?;
            let mut options =
                transfers::queue_options(&queue, ExistsPolicy::OverwriteIfChanged, shared.verbose)?;
            options.max_delete = Some(deletions.max_delete);
            options.force_delete = deletions.force_delete;
            if !no_default_excludes {
                options
                    .filter
                    .exclude
                    .extend(crate::engine::watch::default_excludes());
            }
            let options = crate::engine::watch::WatchOptions {
                local: localdir,
                remote: parsed.path.trim_end_matches('/').to_string(),
                delete: deletions.delete,
                queue: options,
                quiet: crate::engine::watch::DEFAULT_QUIET,
                first_item_id: 0,
            };
            watch::run(connect, options, !no_default_excludes, shared.verbose)
        }
        Action::Find {
            ignore_case,
            long,
            min_size,
            max_size,
            newer,
            older,
            jobs,
            max_depth,
            max_entries,
            url,
            pattern,
        } => {
            let (parsed, connect) = target(&url, shared)?;
            let size = |text: Option<String>, what: &str| match text {
                None => Ok(None),
                Some(text) => crate::engine::rate_limit::parse_rate(&text)
                    .map(Some)
                    .ok_or_else(|| usage(format!("{what} {text:?} is not a size (10K, 5M, 1G)"))),
            };
            let day = |text: Option<String>, what: &str| match text {
                None => Ok(None),
                Some(text) => chrono::NaiveDate::parse_from_str(&text, "%Y-%m-%d")
                    .ok()
                    .and_then(|d| d.and_hms_opt(0, 0, 0))
                    .map(Some)
                    .ok_or_else(|| usage(format!("{what} {text:?} is not a day (YYYY-MM-DD)"))),
            };
            let options = crate::engine::find::FindOptions {
                root: parsed.path.trim_end_matches('/').to_string(),
                pattern,
                case_insensitive: ignore_case,
                min_size: size(min_size, "--min-size")?,
                max_size: size(max_size, "--max-size")?,
                newer_than: day(newer, "--newer")?,
                older_than: day(older, "--older")?,
                max_depth,
                max_entries,
                connections: usize::from(jobs),
            };
            find::run(connect, options, long)
        }
        Action::Check { url, local } => {
            let (parsed, connect) = target(&url, shared)?;
            check::run(
                connect,
                parsed.path.trim_end_matches('/'),
                &local,
                shared.verbose,
            )
        }
        Action::Rm { recursive, url } => {
            let (mut client, url) = connect(&url, shared)?;
            let path = url.path.trim_end_matches('/').to_string();
            if path.is_empty() {
                return Err(usage("the URL must name what to delete".to_string()));
            }
            if recursive {
                client.request(Change(Command::DeleteTree(path)))?;
                return Ok(());
            }
            match client.request(Change(Command::Delete(path.clone()))) {
                Ok(()) => Ok(()),
                // Not a file? An empty folder goes with plain rm too.
                Err(err @ Error::Permanent { .. }) => client
                    .request(Change(Command::Rmdir(path)))
                    .map_err(|_| err.into()),
                Err(err) => Err(err.into()),
            }
        }
        Action::Mkdir { url } => {
            let (mut client, url) = connect(&url, shared)?;
            let path = url.path.trim_end_matches('/').to_string();
            client.request(Change(Command::Mkdir(path)))?;
            Ok(())
        }
        Action::Mv { url, new_path } => {
            let (mut client, url) = connect(&url, shared)?;
            client.request(Change(Command::Rename {
                from: url.path.clone(),
                to: new_path,
            }))?;
            Ok(())
        }
        Action::Sites { action } => {
            let password = if shared.password_stdin {
                read_password_line()?
            } else {
                std::env::var("FERRY_PASSWORD").ok()
            };
            sites::run(action, password)
        }
        Action::Quote { url, command } => {
            let (mut client, _) = connect(&url, shared)?;
            let reply = client.request(Raw {
                line: command.join(" "),
            })?;
            output::print_line(&display_lines(&reply.text));
            if reply.code >= 400 {
                return Err(Error::from_reply(reply.code, &reply.text).into());
            }
            Ok(())
        }
    }
}

/// Opens and logs in a connection for `url` (or, with `--site`, the path
/// `url` on that site).
fn connect(url: &str, shared: &SharedOptions) -> Result<(Client, FtpUrl), Failure> {
    let (url, options) = target(url, shared)?;
    Ok((login(options, shared.verbose)?, url))
}

/// A connection logged in with `options` (a failure is the connect
/// phase's, status 3).
fn login(options: ConnectOptions, verbose: u8) -> Result<Client, Failure> {
    let mut client = Client::new(verbose);
    client
        .request(Connect { options })
        .map_err(|error| Failure {
            error,
            phase: Phase::Connect,
            hint: None,
            status: None,
        })?;
    Ok(client)
}

/// Where a command goes: a URL, or with `--site NAME` a path on that saved
/// site (its host, port, protocol, user, keyring password and settings;
/// the command line's options still apply on top).
fn target(arg: &str, shared: &SharedOptions) -> Result<(FtpUrl, ConnectOptions), Failure> {
    let Some(name) = &shared.site else {
        let url = FtpUrl::parse(arg).map_err(|e| usage(e.to_string()))?;
        let options = connect_options(&url, shared)?;
        return Ok((url, options));
    };
    if arg.contains("://") {
        return Err(usage(format!(
            "with --site, give a path on the site, not a URL ({arg:?})"
        )));
    }
    let site = sites::find(name)?;
    let url = FtpUrl {
        security: site.protocol.security(),
        host: site.host.clone(),
        port: site.effective_port(),
        user: (!site.user.is_empty()).then(|| site.user.clone()),
        password: None,
        path: if arg.is_empty() {
            site.remote_dir.clone()
        } else {
            arg.to_string()
        },
    };
    let password = match password(&url, shared)? {
        Some(p) => Some(p),
        None => sites::stored_password(&site),
    };
    let mut options = site.connect_options(password);
    let _ = PREVIOUSLY_TRUSTED.set(site.trusted_certificates.clone());
    apply_shared(&mut options, shared)?;
    Ok((url, options))
}

/// Certificates trusted before for the server of this run (a site's, or
/// those the window trusted always), to say loudly when it changed.
static PREVIOUSLY_TRUSTED: std::sync::OnceLock<Vec<String>> = std::sync::OnceLock::new();

fn connect_options(url: &FtpUrl, shared: &SharedOptions) -> Result<ConnectOptions, Failure> {
    let mut options = url.connect_options();
    options.password = password(url, shared)?.map(Secret::new);
    // What the window trusted always for this server counts here too.
    let trusted = match crate::sites::TrustStore::default_location()
        .map(|t| t.trusted(&url.host, url.port))
    {
        Some(Ok(trusted)) => trusted,
        None => Vec::new(),
        // Nothing trusted (the safe side), and why: the file was kept aside.
        Some(Err(why)) => {
            output::message(&format!("ferry: no certificate is trusted always: {why}"));
            Vec::new()
        }
    };
    options.tls.pinned_sha256.extend(trusted.iter().cloned());
    let _ = PREVIOUSLY_TRUSTED.set(trusted);
    options
        .ssh
        .known_hosts
        .extend(crate::sites::ssh_known_hosts_location());
    // SFTP logs in as this computer's user when the URL names none, as ssh does.
    if options.security == crate::engine::Security::Sftp && options.user.is_none() {
        options.user = std::env::var("USER")
            .or_else(|_| std::env::var("USERNAME"))
            .ok();
    }
    apply_shared(&mut options, shared)?;
    Ok(options)
}

/// The shared command-line options, on top of a URL's or a site's.
fn apply_shared(options: &mut ConnectOptions, shared: &SharedOptions) -> Result<(), Failure> {
    if let Some(account) = shared
        .account
        .clone()
        .or_else(|| std::env::var("FERRY_ACCOUNT").ok())
    {
        options.account = Some(Secret::new(account));
    }
    options.timeout = Duration::from_secs(shared.timeout.max(1));
    if shared.source_address.is_some() {
        options.source_address = shared.source_address;
    }
    if let Some(encoding) = &shared.encoding {
        options.encoding = encoding.clone();
    }
    if shared.active {
        options.data_mode = DataMode::Active;
    }
    options.trust_pasv_address = shared.trust_pasv_address;
    options.sync_downloads = shared.fsync;
    options.verify_transfers |= shared.verify;
    options.clear_control_channel |= shared.ccc;
    options.clear_data |= shared.clear_data;
    options.tls.versions = match shared.tls_version.as_deref() {
        Some("1.2") => crate::engine::TlsVersions::Only12,
        Some("1.3") => crate::engine::TlsVersions::Only13,
        _ => crate::engine::TlsVersions::Both,
    };
    if shared.ascii {
        options.transfer_type = TransferType::Ascii;
    }
    if let Some(text) = &shared.limit_rate {
        let rate = crate::engine::rate_limit::parse_rate(text).ok_or_else(|| {
            usage(format!(
                "--limit-rate {text:?} is not a rate (bytes a second: 500K, 2M, 1G)"
            ))
        })?;
        options.rate_limits.download.set(rate);
        options.rate_limits.upload.set(rate);
    }
    options
        .ssh
        .identity_files
        .extend(shared.identity.iter().cloned());
    for fingerprint in &shared.trust {
        // An SSH host key's fingerprint, as ssh-keygen prints it.
        if fingerprint.starts_with("SHA256:") {
            options.ssh.trusted_host_keys.push(fingerprint.clone());
            continue;
        }
        match crate::engine::normalize_fingerprint(fingerprint) {
            Some(fp) => options.tls.pinned_sha256.push(fp),
            None => {
                return Err(usage(format!(
                    "--trust {fingerprint:?} is not a SHA-256 fingerprint (64 hex digits)"
                )));
            }
        }
    }
    if shared.insecure {
        output::message(
            "ferry: WARNING: --insecure accepts any certificate; the connection can be read and changed by anyone on the way",
        );
        options.tls.insecure = true;
    }
    Ok(())
}

/// The password from the URL, standard input or `FERRY_PASSWORD`, in that order.
fn password(url: &FtpUrl, shared: &SharedOptions) -> Result<Option<String>, Failure> {
    if let Some(p) = &url.password {
        return Ok(Some(p.clone()));
    }
    if shared.password_stdin {
        return read_password_line();
    }
    Ok(std::env::var("FERRY_PASSWORD").ok())
}

/// The first line of standard input (prompted for on a terminal).
fn read_password_line() -> Result<Option<String>, Failure> {
    let stdin = std::io::stdin();
    if stdin.is_terminal() {
        output::prompt("Password: ");
    }
    let mut line = String::new();
    stdin
        .lock()
        .read_line(&mut line)
        .map_err(|e| Failure::from(Error::local(Path::new("<stdin>"), &e)))?;
    Ok(Some(line.trim_end_matches(['\r', '\n']).to_string()))
}

/// Where a download goes: LOCAL itself, or the remote name inside LOCAL
/// when LOCAL is a folder (the name checked first: it is the server's).
fn download_target(remote: &str, local: Option<PathBuf>) -> Result<PathBuf, Failure> {
    let local = local.unwrap_or_else(|| PathBuf::from("."));
    if local.is_dir() {
        let name = local_name(remote_basename(remote))?;
        Ok(local.join(name))
    } else {
        Ok(local)
    }
}

/// Several sources of one run must not land on one target (`/a/x.txt` and
/// `/b/x.txt` into one folder): both would find it absent, and the second
/// would replace the first without a word. Refused before anything runs.
fn distinct_targets(specs: &[TransferSpec]) -> Result<(), Failure> {
    let mut seen = std::collections::HashSet::new();
    for spec in specs {
        let target = match spec.direction {
            Direction::Upload => spec.remote.clone(),
            _ => spec.local.display().to_string(),
        };
        if !seen.insert(target.clone()) {
            return Err(usage(format!(
                "two sources would both go to {}: give them one at a time",
                crate::engine::display_text(&target)
            )));
        }
    }
    Ok(())
}

/// `get`'s arguments: the sources, then LOCAL when there are several
/// arguments and the last is not a URL (with --site every argument is a
/// path, so the last of several is LOCAL, as with `cp`).
fn split_get_args(
    mut args: Vec<PathBuf>,
    with_site: bool,
) -> Result<(Vec<String>, Option<PathBuf>), Failure> {
    let last_is_local = args.len() > 1
        && (with_site
            || !args
                .last()
                .is_some_and(|a| a.to_string_lossy().contains("://")));
    let local = if last_is_local { args.pop() } else { None };
    let sources = args
        .into_iter()
        .map(|a| {
            a.into_os_string()
                .into_string()
                .map_err(|a| usage(format!("{} is not a URL", a.to_string_lossy())))
        })
        .collect::<Result<_, _>>()?;
    Ok((sources, local))
}

/// The connection for `sources` and the path of each: they must all be on
/// the server the first names (one queue, one set of logins; the password
/// is read once).
fn sources_on_one_server(
    sources: &[String],
    shared: &SharedOptions,
) -> Result<(ConnectOptions, Vec<String>), Failure> {
    let (first, rest) = sources
        .split_first()
        .ok_or_else(|| usage("nothing to transfer".to_string()))?;
    let (url, connect) = target(first, shared)?;
    let mut paths = vec![url.path.clone()];
    for source in rest {
        if shared.site.is_some() {
            if source.contains("://") {
                return Err(usage(format!(
                    "with --site, give paths on the site, not URLs ({source:?})"
                )));
            }
            paths.push(source.clone());
            continue;
        }
        let other = FtpUrl::parse(source).map_err(|e| usage(e.to_string()))?;
        let same = (&other.security, &other.host, other.port, &other.user)
            == (&url.security, &url.host, url.port, &url.user);
        if !same {
            return Err(usage(format!(
                "{source} is on another server than {first}: one run takes one server"
            )));
        }
        paths.push(other.path);
    }
    Ok((connect, paths))
}

/// Where a folder download goes: the remote folder's name inside LOCAL
/// (made when the remote folder turns out to exist), whether LOCAL exists
/// yet or not, so that the same command run again (to resume after a
/// kill) finds the same files rather than nesting a second copy; LOCAL
/// itself for the login folder or the root, which have no name of their own.
fn folder_download_target(remote: &str, local: Option<PathBuf>) -> Result<PathBuf, Failure> {
    let local = local.unwrap_or_else(|| PathBuf::from("."));
    let name = remote_basename(remote);
    if name.is_empty() || name == "/" {
        return Ok(local);
    }
    Ok(local.join(local_name(name)?))
}

/// Whether the server can open `path` as a folder (a fresh login, CWD).
fn is_remote_folder(options: ConnectOptions, path: &str) -> bool {
    login(options, 0).is_ok_and(|mut client| {
        client
            .request(crate::engine::typed::Cwd {
                path: path.to_string(),
            })
            .is_ok()
    })
}

/// `path` as a listing entry, when the server says it is a file (SIZE).
fn file_entry(client: &mut Client, path: &str) -> Option<crate::listing::RemoteEntry> {
    let Ok(stat) = client.request(Stat {
        path: path.to_string(),
    }) else {
        return None;
    };
    stat.size?;
    Some(crate::listing::RemoteEntry {
        name: remote_basename(path).to_string(),
        kind: crate::listing::EntryKind::File,
        size: stat.size,
        modified: stat.modified,
        permissions: None,
        owner: None,
        group: None,
    })
}

/// Where an upload goes: the URL's path, or the local file's name inside
/// it when the path is empty or ends with `/`.
fn upload_target(path: &str, local: &Path) -> Result<String, Failure> {
    if !path.is_empty() && !path.ends_with('/') {
        return Ok(path.to_string());
    }
    let name = local
        .file_name()
        .and_then(|n| n.to_str())
        .ok_or_else(|| usage(format!("{} has no usable file name", local.display())))?;
    Ok(remote_join(path, name))
}
