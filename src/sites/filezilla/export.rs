//! Sites out to FileZilla's format, so nobody is locked in.

use std::borrow::Cow;
use std::cell::Cell;
use std::collections::HashMap;
use std::fmt::Write as _;
use std::io::{self, Write as _};
use std::path::Path;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

use super::format_remote_dir;
use crate::sites::site::{LogonType, Site, SiteProtocol, TransferMode};

/// FileZilla 3 XML for `sites`, folders grouped in first-seen order;
/// `password` gives each site's password (stored as base64, as FileZilla
/// does without a master password). No `version` attribute: FileZilla
/// warns about files from versions newer than itself, and there is no
/// number that is older than every reader yet newer than every feature.
pub fn export(sites: &[Site], password: &dyn Fn(&Site) -> Option<String>) -> String {
    enum Item<'a> {
        Folder(&'a str, usize),
        Server(&'a Site),
    }
    type Node<'a> = (Vec<Item<'a>>, HashMap<&'a str, usize>);
    let mut nodes: Vec<Node<'_>> = vec![Node::default()];
    for site in sites {
        let mut node = 0;
        for name in &site.folder {
            let next = nodes.len();
            let (items, index) = &mut nodes[node];
            node = *index.entry(name.as_str()).or_insert_with(|| {
                items.push(Item::Folder(name, next));
                next
            });
            if node == next {
                nodes.push(Node::default());
            }
        }
        nodes[node].0.push(Item::Server(site));
    }
    let platform = if cfg!(windows) { "windows" } else { "*nix" };
    let mut out = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\" ?>\n\
         <FileZilla3 platform=\"{platform}\">\n\t<Servers>\n"
    );
    // (node, next item): a stack rather than recursion, as folders may nest deep.
    let mut stack = vec![(0, 0)];
    while let Some((node, at)) = stack.pop() {
        // Capped, so that absurd nesting cannot make the output quadratic.
        let indent = "\t".repeat(stack.len().min(64) + 2);
        match nodes[node].0.get(at) {
            None if stack.is_empty() => {}
            None => writeln!(out, "{}</Folder>", &indent[1..]).unwrap_or(()),
            Some(Item::Folder(name, child)) => {
                writeln!(out, "{indent}<Folder expanded=\"1\">{}", escape(name)).unwrap_or(());
                stack.extend([(node, at + 1), (*child, 0)]);
            }
            Some(Item::Server(site)) => {
                let pass = match site.logon {
                    LogonType::Anonymous => None,
                    _ => password(site),
                };
                write_server(&mut out, site, pass, &indent);
                stack.push((node, at + 1));
            }
        }
    }
    out.push_str("\t</Servers>\n</FileZilla3>\n");
    out
}

/// What [`write_export`] wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Exported {
    pub sites: usize,
    /// Passwords in the file (base64, which anyone can decode).
    pub passwords: usize,
}

/// Writes [`export`] of `sites` to `path`, readable by its owner only.
///
/// FileZilla's format keeps passwords in base64, which is no protection:
/// whoever can read the file has them. A new file is therefore created
/// with mode 0600; an existing one keeps no more than its owner's read and
/// write bits (`mode & 0o600`: narrowed for others, never widened), before
/// a byte is written. The caller says how many passwords went in.
pub fn write_export(
    path: &Path,
    sites: &[Site],
    password: &dyn Fn(&Site) -> Option<String>,
) -> io::Result<Exported> {
    let passwords = Cell::new(0);
    let xml = export(sites, &|site: &Site| {
        let found = password(site);
        passwords.set(passwords.get() + usize::from(found.is_some()));
        found
    });
    write_private(path, xml.as_bytes())?;
    Ok(Exported {
        sites: sites.len(),
        passwords: passwords.get(),
    })
}

/// Writes `bytes` to `path`, a new file with mode 0600, an existing one
/// narrowed to its owner's bits first (see [`write_export`]).
fn write_private(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
        options.mode(0o600);
        let file = options.open(path)?;
        let mode = file.metadata()?.permissions().mode() & 0o7777;
        if mode & !0o600 != 0 {
            file.set_permissions(std::fs::Permissions::from_mode(mode & 0o600))?;
        }
        write_whole(file, bytes)
    }
    #[cfg(not(unix))]
    {
        write_whole(options.open(path)?, bytes)
    }
}

/// Replaces the file's contents with `bytes` and flushes them to disk.
fn write_whole(mut file: std::fs::File, bytes: &[u8]) -> io::Result<()> {
    file.set_len(0)?;
    file.write_all(bytes)?;
    file.sync_all()
}

fn write_server(out: &mut String, site: &Site, password: Option<String>, indent: &str) {
    let protocol = match site.protocol {
        SiteProtocol::Plain => "6",
        SiteProtocol::ExplicitTls => "4",
        SiteProtocol::ImplicitTls => "3",
        SiteProtocol::Sftp => "1",
    };
    let key_file = (site.protocol == SiteProtocol::Sftp && !site.key_file.is_empty())
        .then_some(site.key_file.as_str());
    let logon = match site.logon {
        // FileZilla's "Key file" logon, the key's path beside it.
        _ if key_file.is_some() => "5",
        LogonType::Anonymous => "0",
        LogonType::Normal => "1",
        LogonType::AskForPassword => "2",
        LogonType::Account => "4",
    };
    let mode = match site.transfer_mode {
        TransferMode::Default => "MODE_DEFAULT",
        TransferMode::Passive => "MODE_PASSIVE",
        TransferMode::Active => "MODE_ACTIVE",
    };
    let (encoding, custom) = match site.encoding.to_ascii_lowercase().as_str() {
        "" | "utf-8" | "utf8" => ("UTF-8", None),
        "latin-1" | "latin1" => ("Custom", Some("ISO-8859-1")),
        _ => ("Custom", Some(site.encoding.as_str())),
    };
    let (port, connections) = (site.effective_port(), site.max_connections);
    let password = password.map(|p| STANDARD.encode(p));
    let account = Some(site.account.as_str()).filter(|a| !a.is_empty());
    // In FileZilla's order; `None` leaves an element out. A name may carry
    // attributes, which the end tag leaves out.
    let elements = [
        ("Host", Some(site.host.as_str())),
        ("Port", Some(&port.to_string())),
        ("Protocol", Some(protocol)),
        ("Type", Some("0")),
        ("User", Some(&site.user)),
        ("Pass encoding=\"base64\"", password.as_deref()),
        ("Logontype", Some(logon)),
        ("Keyfile", key_file),
        ("Account", account),
        ("TimezoneOffset", Some("0")),
        ("PasvMode", Some(mode)),
        ("MaximumMultipleConnections", Some(&connections.to_string())),
        ("EncodingType", Some(encoding)),
        ("CustomEncoding", custom),
        ("BypassProxy", Some("0")),
        ("Name", Some(&site.name)),
        ("Comments", Some(&site.comments)),
        ("LocalDir", Some(&site.local_dir)),
        ("RemoteDir", Some(&format_remote_dir(&site.remote_dir))),
        ("SyncBrowsing", Some("0")),
        ("DirectoryComparison", Some("0")),
    ];
    writeln!(out, "{indent}<Server>").unwrap_or(());
    for (name, value) in elements {
        if let Some(value) = value {
            let end = name.split(' ').next().unwrap_or(name);
            writeln!(out, "{indent}\t<{name}>{}</{end}>", escape(value)).unwrap_or(());
        }
    }
    writeln!(out, "{indent}</Server>").unwrap_or(());
}

/// Text escaped for element content. A carriage return and other control
/// characters are written as references so that they survive line-end
/// normalisation; NUL cannot exist in XML at all and is dropped.
fn escape(text: &str) -> Cow<'_, str> {
    let special = |c: char| {
        matches!(c, '&' | '<' | '>' | '"' | '\'') || (c.is_control() && c != '\t' && c != '\n')
    };
    if !text.contains(special) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\0' => {}
            c if special(c) => write!(out, "&#{};", u32::from(c)).unwrap_or(()),
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}
