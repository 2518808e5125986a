//! The command line, as DESIGN.md's contract has it.

use std::net::IpAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "ferry",
    version,
    about = "FTP and FTPS from the command line (and, without a subcommand, the desktop app)",
    after_help = "URLs: ftp:// (plain), ftpes:// (explicit TLS, required), ftps:// (implicit TLS).\n\
                  ftp://host/dir is relative to the login folder; ftp://host//dir is absolute.\n\
                  Passwords: in the URL, --password-stdin, or FERRY_PASSWORD.\n\
                  Exit status: 0 done, 2 usage, 3 cannot connect or log in, 4 permanent server error,\n\
                  5 temporary error, 6 TLS or certificate refused, 7 local file error,\n\
                  141 standard output closed early (`ferry ls URL | head -1`): nothing more is printed\n\
                  and nothing is said, as for a command stopped by SIGPIPE."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Action>,
    /// Open the desktop app connected to this URL.
    pub url: Option<String>,
    #[command(flatten)]
    pub shared: SharedOptions,
}

#[derive(Debug, Subcommand)]
pub enum Action {
    /// List a remote folder.
    Ls {
        /// Long format: permissions, size, date, name.
        #[arg(short = 'l')]
        long: bool,
        /// JSON array of entries, for scripts.
        #[arg(long)]
        json: bool,
        url: String,
    },
    /// Download files, or with -r folder trees, from one server in one run
    /// (one set of logins).
    Get {
        #[command(flatten)]
        transfer: TransferArgs,
        /// One or more URLs (paths with --site), then the file or folder to
        /// save to (default: the current folder). With several sources,
        /// LOCAL is a folder, made if missing.
        #[arg(value_name = "URL... [LOCAL]", required = true, num_args = 1..)]
        args: Vec<PathBuf>,
    },
    /// Upload files, or with -r folder trees, in one run. A URL ending in
    /// / names the folder to upload into (with several sources it always
    /// does).
    Put {
        #[command(flatten)]
        transfer: TransferArgs,
        #[arg(value_name = "LOCAL... URL", required = true, num_args = 2..)]
        args: Vec<PathBuf>,
    },
    /// Copy a file, or with -r a folder tree, from one server to another
    /// without a trip through the local disk (FXP with --fxp where both
    /// servers allow it). A DST ending in / names the folder to copy into.
    /// Passwords: in the URLs, or FERRY_PASSWORD (--password-stdin) for
    /// SRC and FERRY_TARGET_PASSWORD for DST.
    Copy {
        #[command(flatten)]
        transfer: TransferArgs,
        /// Ask the servers to send the files to each other directly (FXP);
        /// when either refuses, the bytes are relayed, and the log says so.
        #[arg(long)]
        fxp: bool,
        #[arg(value_name = "SRC_URL")]
        source: String,
        #[arg(value_name = "DST_URL")]
        target: String,
    },
    /// Make LOCALDIR a copy of the remote folder (or, with --reverse, the
    /// remote folder a copy of LOCALDIR), moving only new and changed files.
    Mirror {
        /// Upload LOCALDIR to the server instead.
        #[arg(long)]
        reverse: bool,
        #[command(flatten)]
        deletions: DeleteArgs,
        /// Show what would be transferred and deleted, change nothing.
        #[arg(long, short = 'n')]
        dry_run: bool,
        /// Decide "changed" by checksum (the server's and this computer's)
        /// for files of the same size, not by time; where the server gives
        /// no checksums, size and time decide as without.
        #[arg(long)]
        checksum: bool,
        #[command(flatten)]
        queue: QueueArgs,
        url: String,
        localdir: PathBuf,
    },
    /// Open a remote file in your editor ($VISUAL, $EDITOR, else vi) and
    /// upload it when the editor exits, if it was changed. If the file
    /// changed on the server meanwhile, nothing is overwritten: Ferry asks
    /// (on a terminal) or keeps your copy and says where (exit 4).
    Edit {
        /// Upload even if the file changed on the server meanwhile.
        #[arg(long, conflicts_with = "keep_both")]
        overwrite: bool,
        /// If the file changed on the server meanwhile, upload yours
        /// beside it as "name (1).ext".
        #[arg(long)]
        keep_both: bool,
        url: String,
    },
    /// Keep a server folder up to date with LOCALDIR: mirror it there
    /// (as mirror --reverse), then send each change as it happens until
    /// Ctrl-C. A lost connection is retried, and what changed meanwhile is
    /// sent once the server answers. With --delete, what is renamed or
    /// deleted in LOCALDIR is renamed or deleted on the server too.
    Watch {
        #[command(flatten)]
        deletions: DeleteArgs,
        /// Also send what is left out by default: .git/, node_modules/,
        /// editors' swap and backup files (*.swp, *.swx, *~, .#*).
        #[arg(long)]
        no_default_excludes: bool,
        #[command(flatten)]
        queue: QueueArgs,
        localdir: PathBuf,
        url: String,
    },
    /// Find files and folders on the server whose names match PATTERN (a
    /// glob: '*.pdf', 'report-202?-*'), in URL's folder and below; each
    /// path is printed as its folder is read. Folders are listed on -j
    /// connections at once.
    Find {
        /// Match names whatever their case.
        #[arg(short = 'i', long)]
        ignore_case: bool,
        /// Long format: permissions, size, date, path.
        #[arg(short = 'l')]
        long: bool,
        /// Files of at least this size (bytes; 10K, 5M, 1G).
        #[arg(long, value_name = "SIZE")]
        min_size: Option<String>,
        /// Files of at most this size.
        #[arg(long, value_name = "SIZE")]
        max_size: Option<String>,
        /// Modified on or after this day (YYYY-MM-DD, as the server lists it).
        #[arg(long, value_name = "DATE")]
        newer: Option<String>,
        /// Modified before this day.
        #[arg(long, value_name = "DATE")]
        older: Option<String>,
        /// Connections listing folders at once (1-10).
        #[arg(short = 'j', long = "jobs", value_name = "N", default_value_t = 2,
              value_parser = clap::value_parser!(u8).range(1..=10))]
        jobs: u8,
        /// Follow folders at most this deep below the top one.
        #[arg(long, value_name = "N", default_value_t = crate::engine::queue::DEFAULT_MAX_DEPTH)]
        max_depth: u32,
        /// Read at most this many entries (the search stops there, status 4).
        #[arg(long, value_name = "N", default_value_t = crate::engine::queue::DEFAULT_MAX_ENTRIES)]
        max_entries: u64,
        url: String,
        pattern: String,
    },
    /// Compare a server's file, or tree, with a local one by checksums
    /// (the server's HASH, XSHA256, XSHA1, XMD5, MD5, SITE MD5 or XCRC):
    /// prints each file that differs or is on one side only; status 1
    /// when any does, 4 when the server gives no checksums.
    Check { url: String, local: PathBuf },
    /// Delete a remote file (or, with -r, a folder and everything in it).
    Rm {
        #[arg(short = 'r', long)]
        recursive: bool,
        url: String,
    },
    /// Create a remote folder.
    Mkdir { url: String },
    /// Rename or move a remote file or folder.
    Mv {
        url: String,
        /// New path as the server sees it (relative to the login folder, or absolute).
        new_path: String,
    },
    /// Saved sites: list, add, remove, import from and export to FileZilla.
    Sites {
        #[command(subcommand)]
        action: SitesAction,
    },
    /// Send a raw command and print the reply.
    Quote {
        url: String,
        #[arg(required = true, num_args = 1.., trailing_var_arg = true, allow_hyphen_values = true)]
        command: Vec<String>,
    },
}

#[derive(Debug, Subcommand)]
pub enum SitesAction {
    /// List the saved sites (folder/name and URL; never passwords).
    List {
        #[arg(long)]
        json: bool,
    },
    /// Save a site; the password (from the URL, --password-stdin or
    /// FERRY_PASSWORD) goes to the OS keyring, never to the sites file.
    Add {
        /// Name, shown in lists and used with --site.
        name: String,
        url: String,
        /// Folder in the site tree, e.g. Work/Clients.
        #[arg(long)]
        folder: Option<String>,
        #[arg(long)]
        comment: Option<String>,
        /// Local folder to start in.
        #[arg(long)]
        local_dir: Option<PathBuf>,
        /// Keep no password; ask at every connect.
        #[arg(long)]
        ask_password: bool,
        /// Active mode for this site.
        #[arg(long = "active-mode")]
        active: bool,
        /// File-name encoding (utf-8, latin-1, …).
        #[arg(long = "site-encoding")]
        encoding: Option<String>,
        /// Transfer connections for this site (1-10).
        #[arg(long = "connections")]
        jobs: Option<u8>,
        /// FTPS: send PROT C after login (data unencrypted).
        #[arg(long = "site-clear-data")]
        clear_data: bool,
        /// FTPS: send CCC after login (commands in clear).
        #[arg(long = "site-ccc")]
        ccc: bool,
        /// SFTP: a private key file to log in with.
        #[arg(long = "site-key-file", value_name = "FILE")]
        key_file: Option<PathBuf>,
    },
    /// Delete a saved site and its password.
    Remove { name: String },
    /// Import FileZilla's sitemanager.xml (default: ~/.config/filezilla/sitemanager.xml).
    ImportFilezilla { file: Option<PathBuf> },
    /// Write the sites as a FileZilla sitemanager.xml.
    ExportFilezilla { file: PathBuf },
}

/// What a mirror (and a watch) may delete in the target folder.
#[derive(Debug, Args)]
pub struct DeleteArgs {
    /// Delete what the target has and the source does not (only inside the
    /// target folder). Deletions happen once every folder has been read,
    /// and only if every listing was read whole.
    #[arg(long)]
    pub delete: bool,
    /// With --delete: refuse (and delete nothing) when more than N entries
    /// would go at once; a folder counts once.
    #[arg(long, value_name = "N", default_value_t = crate::engine::queue::DEFAULT_MAX_DELETE)]
    pub max_delete: u64,
    /// With --delete: delete above --max-delete, and even everything in
    /// the target folder (which a mistyped source path would ask for).
    #[arg(long, requires = "delete")]
    pub force_delete: bool,
}

/// Options of `get` and `put`.
#[derive(Debug, Args)]
pub struct TransferArgs {
    /// A whole folder tree.
    #[arg(short = 'r', long)]
    pub recursive: bool,
    /// Resume: continue Ferry's own partial downloads and shorter remote files (uploads).
    #[arg(short = 'c', long = "continue")]
    pub resume: bool,
    #[command(flatten)]
    pub exists: ExistsArgs,
    #[command(flatten)]
    pub queue: QueueArgs,
}

/// What to do with a target that exists; without any, it is refused.
#[derive(Debug, Args)]
#[group(multiple = false)]
pub struct ExistsArgs {
    /// Replace existing files.
    #[arg(long)]
    pub overwrite: bool,
    /// Replace existing files that are older than the source.
    #[arg(long)]
    pub overwrite_if_newer: bool,
    /// Replace existing files whose size differs from the source.
    #[arg(long)]
    pub overwrite_if_size_differs: bool,
    /// Keep existing files and save the new one as "name (1).ext".
    #[arg(long)]
    pub keep_both: bool,
    /// Leave existing files alone without an error.
    #[arg(long)]
    pub skip_existing: bool,
}

/// How the transfer queue runs.
#[derive(Debug, Args)]
pub struct QueueArgs {
    /// Transfer connections at once (1-10).
    #[arg(short = 'j', long = "jobs", value_name = "N", default_value_t = 2,
          value_parser = clap::value_parser!(u8).range(1..=10))]
    pub jobs: u8,
    /// Tries after a temporary failure (4xx, dropped connection, timeout).
    #[arg(long, value_name = "N", default_value_t = 4)]
    pub retries: u32,
    /// Do not give downloaded files the server's modification time.
    #[arg(long)]
    pub no_times: bool,
    /// Give uploaded files the local modification time (MFMT), where the server offers it.
    #[arg(long)]
    pub upload_times: bool,
    /// Trees: follow folders at most this deep below the top one.
    #[arg(long, value_name = "N", default_value_t = crate::engine::queue::DEFAULT_MAX_DEPTH)]
    pub max_depth: u32,
    /// Trees: take at most this many files and folders (a server listing an
    /// endless tree stops here, with an error).
    #[arg(long, value_name = "N", default_value_t = crate::engine::queue::DEFAULT_MAX_ENTRIES)]
    pub max_entries: u64,
    /// Leave out files and folders matching GLOB (repeatable): a name at
    /// any depth (`*.log`, `.git`), a path from the top of the tree
    /// (`docs/*.pdf`, `/build`, `**/cache`), folders only with a trailing
    /// `/` (`tmp/`). What is left out is never deleted by mirror --delete.
    #[arg(long, value_name = "GLOB")]
    pub exclude: Vec<String>,
    /// Take only files matching GLOB (repeatable, same forms as
    /// --exclude); folders are still entered to find them.
    #[arg(long, value_name = "GLOB")]
    pub include: Vec<String>,
}

#[derive(Debug, Clone, Args)]
pub struct SharedOptions {
    /// Show commands and replies (-v), and data-connection details (-vv), on stderr.
    #[arg(short = 'v', action = clap::ArgAction::Count, global = true)]
    pub verbose: u8,
    /// Active mode: the server connects back to us.
    #[arg(long, global = true)]
    pub active: bool,
    /// ASCII (TYPE A) transfers, converting line endings.
    #[arg(long, global = true)]
    pub ascii: bool,
    /// Seconds to wait for each reply of the server (however it spaces its
    /// bytes), and the longest a transfer may move under 1 KiB before it
    /// counts as stalled.
    #[arg(long, value_name = "SECS", default_value_t = 30, global = true)]
    pub timeout: u64,
    /// Accept any TLS certificate. Anyone on the path can then read the session.
    #[arg(long, global = true)]
    pub insecure: bool,
    /// After login, send CCC: commands and replies travel in clear from
    /// then on (data stays encrypted), for firewalls that must read them.
    #[arg(long, global = true)]
    pub ccc: bool,
    /// After login, send PROT C: file contents and listings travel
    /// unencrypted (the login and commands stay encrypted).
    #[arg(long, global = true)]
    pub clear_data: bool,
    /// Offer only this TLS version (1.2 or 1.3); both by default.
    #[arg(long, value_name = "VERSION", value_parser = ["1.2", "1.3"], global = true)]
    pub tls_version: Option<String>,
    /// Accept the TLS certificate with this SHA-256 fingerprint, or (SFTP)
    /// the unknown host key with this one (`SHA256:…`, as ssh-keygen -l
    /// prints it). A changed host key is refused whatever is given.
    #[arg(long, value_name = "SHA256", global = true)]
    pub trust: Vec<String>,
    /// SFTP: a private key file to log in with (repeatable), tried after
    /// the SSH agent's keys and before ~/.ssh/id_ed25519, id_ecdsa, id_rsa.
    // No `-i`, ssh's spelling: `find -i` is its case-insensitive match.
    #[arg(long, value_name = "FILE", global = true)]
    pub identity: Vec<PathBuf>,
    /// Read the password from the first line of standard input.
    #[arg(long, global = true)]
    pub password_stdin: bool,
    /// Account for servers that ask for one (ACCT); also FERRY_ACCOUNT.
    #[arg(long, value_name = "ACCOUNT", global = true)]
    pub account: Option<String>,
    /// File-name encoding of the server (utf-8, latin-1, windows-1252, …).
    #[arg(long, global = true)]
    pub encoding: Option<String>,
    /// Connect from this local address.
    #[arg(long, value_name = "IP", global = true)]
    pub source_address: Option<IpAddr>,
    /// Flush each downloaded file to disk before renaming it into place
    /// (survives a power cut; slower for many small files).
    #[arg(long, global = true)]
    pub fsync: bool,
    /// Use a saved site: the URL arguments are then paths on it
    /// (`ferry ls --site work /pub`).
    #[arg(long, value_name = "NAME", global = true)]
    pub site: Option<String>,
    /// Use the address in PASV replies instead of the server's own address.
    #[arg(long, global = true)]
    pub trust_pasv_address: bool,
    /// Check each transfer against the server's checksum of the file
    /// (HASH, XSHA256, XSHA1, XMD5, MD5, SITE MD5, XCRC), where it gives
    /// one: a mismatch fails it (a download's partial file is kept).
    #[arg(long, global = true)]
    pub verify: bool,
    /// At most this many bytes a second, all transfers of the run
    /// together, each way (curl's spelling: 500K, 2M, 1G; K = 1024).
    #[arg(long, value_name = "RATE", global = true)]
    pub limit_rate: Option<String>,
}
