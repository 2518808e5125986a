//! FileZilla's site manager (`sitemanager.xml`) in and out, so that people
//! coming from FileZilla keep their sites, and can take them back.
//!
//! Import is as lenient as FileZilla itself: a site Ferry cannot use is
//! skipped and one it had to alter is imported, each with a report line
//! saying why, so one odd site never costs the others. Only a file that is
//! not XML, or not a site manager, fails as a whole. The XML is streamed
//! and nothing recurses, so hostile nesting cannot exhaust the stack.

use std::fmt;

use base64::Engine as _;
use base64::engine::DecodePaddingMode;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};
use quick_xml::events::{BytesRef, BytesStart, Event};
use quick_xml::{Reader, XmlVersion};

use super::site::{LogonType, Site, SiteProtocol, TransferMode, new_site_id};

/// A site read from FileZilla, with its password if FileZilla had it in a
/// form we can read. The password is kept apart because `Site` never holds
/// a secret: the caller puts it in the keyring.
#[derive(Clone, PartialEq, Eq)]
pub struct ImportedSite {
    pub site: Site,
    pub password: Option<String>,
}

/// Redacts the password, so that logging an import cannot leak it.
impl fmt::Debug for ImportedSite {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ImportedSite")
            .field("site", &self.site)
            .field("password", &self.password.as_ref().map(|_| "<redacted>"))
            .finish()
    }
}

/// What became of one FileZilla site.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ImportOutcome {
    Imported,
    /// Imported, but something differs from FileZilla: says what.
    Changed(String),
    /// Not imported: says why.
    Skipped(String),
}

/// One report line per `<Server>` in the file, in file order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportLine {
    /// `Folder/Sub/Name`, as `Site::path` writes it.
    pub path: String,
    pub outcome: ImportOutcome,
}

#[derive(Debug, Default)]
pub struct FileZillaImport {
    pub sites: Vec<ImportedSite>,
    pub report: Vec<ImportLine>,
}

#[derive(Debug)]
pub enum FileZillaError {
    /// Not well-formed XML; the message starts with the line and column.
    Xml(String),
    /// The root is not `<FileZilla3>` with `<Servers>` in it.
    NotSiteManager,
}

impl fmt::Display for FileZillaError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FileZillaError::Xml(message) => write!(f, "not valid XML: {message}"),
            FileZillaError::NotSiteManager => f.write_str(
                "not a FileZilla site manager file (no <FileZilla3> element with <Servers>)",
            ),
        }
    }
}

impl std::error::Error for FileZillaError {}

/// Deeper folders are skipped: no real site tree needs more, and the bound
/// keeps every site's path short however the file nests.
const MAX_FOLDER_DEPTH: usize = 64;
/// Longer folder paths are skipped: each site holds a copy of its path.
const MAX_FOLDER_BYTES: usize = 4096;
/// Ferry's most transfer connections per site.
const MAX_CONNECTIONS: u8 = 10;
/// What a folder FileZilla wrote without a name is called here.
const UNNAMED_FOLDER: &str = "(no name)";
const CRYPT_NOTE: &str =
    "the password is encrypted with FileZilla's master password; enter it again";
/// FileZilla's `ServerProtocol` codes from 0, to name the ones Ferry skips.
const PROTOCOL_NAMES: &str = "FTP,SFTP,HTTP,FTPS,FTPES,HTTPS,insecure FTP,S3,Storj,WebDAV,\
    Azure File,Azure Blob,Swift,Google Cloud,Google Drive,Dropbox,OneDrive,B2,Box,\
    insecure WebDAV,Rackspace,Storj grant";
/// FileZilla decodes base64 whether or not the padding is there.
const LENIENT_BASE64: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// The `<Server>` children read; the rest (`Bookmark`, `Parameter`, …) are
/// ignored, and so is anything nested inside these.
#[rustfmt::skip]
const FIELDS: [&str; 16] = [
    "Host", "Port", "Protocol", "User", "Pass", "Logontype", "Account", "PasvMode",
    "MaximumMultipleConnections", "EncodingType", "CustomEncoding", "Name", "Comments",
    "LocalDir", "RemoteDir", "Keyfile",
];

struct RawFolder {
    /// The folder's own text, trimmed; `None` until some is seen (it may
    /// come after the children).
    name: Option<String>,
    parent: Option<usize>,
}

#[derive(Default)]
struct RawServer {
    folder: Option<usize>,
    /// Legacy files put the site's name here rather than in `<Name>`.
    own_text: Option<String>,
    /// The first element of each kind wins, as with FileZilla's reader.
    fields: [Option<String>; FIELDS.len()],
    pass_encoding: Option<String>,
}

impl RawServer {
    fn text(&self, field: &str) -> &str {
        let index = FIELDS.iter().position(|name| *name == field);
        index.and_then(|i| self.fields[i].as_deref()).unwrap_or("")
    }

    fn trimmed(&self, field: &str) -> &str {
        self.text(field).trim()
    }
}

#[derive(Default)]
struct Tree {
    folders: Vec<RawFolder>,
    servers: Vec<RawServer>,
}

/// An open element, as far as the site manager cares.
enum Frame {
    Root,
    Servers,
    Folder(usize),
    Server(usize),
    Field(usize, usize, String),
    Other,
}

/// Reads FileZilla's `sitemanager.xml` (or an exported site list).
pub fn import(xml: &str) -> Result<FileZillaImport, FileZillaError> {
    let tree = read_tree(xml)?;
    let mut import = FileZillaImport::default();
    for raw in &tree.servers {
        let mut notes = Vec::new();
        let own_text = raw.own_text.as_deref().unwrap_or("");
        let names = [raw.trimmed("Name"), own_text, raw.trimmed("Host")];
        let name = names
            .into_iter()
            .find(|n| !n.is_empty())
            .unwrap_or("(no name)");
        let folder = folder_path(&tree, raw.folder, &mut notes);
        let path = match &folder {
            Ok(folder) => [folder.as_slice(), &[name.to_string()]].concat().join("/"),
            Err(_) => format!("…/{name}"),
        };
        let converted = folder.and_then(|folder| convert(raw, folder, name.into(), &mut notes));
        let outcome = match converted {
            Err(reason) => ImportOutcome::Skipped(reason),
            Ok(site) => {
                import.sites.push(site);
                if notes.is_empty() {
                    ImportOutcome::Imported
                } else {
                    ImportOutcome::Changed(notes.join("; "))
                }
            }
        };
        import.report.push(ImportLine { path, outcome });
    }
    Ok(import)
}

/// Streams the XML into flat lists of folders and servers.
fn read_tree(xml: &str) -> Result<Tree, FileZillaError> {
    let xml = xml.strip_prefix('\u{feff}').unwrap_or(xml);
    let mut reader = Reader::from_str(xml);
    reader.config_mut().expand_empty_elements = true;
    let mut tree = Tree::default();
    let mut stack: Vec<Frame> = Vec::new();
    // Text since the last tag: a folder's name or a legacy server name.
    let mut run = String::new();
    let (mut seen_root, mut seen_servers) = (false, false);
    loop {
        let event = reader
            .read_event()
            .map_err(|e| xml_error(xml, reader.error_position(), &e))?;
        match event {
            Event::Text(text) => add_text(&mut stack, &mut run, &text.xml10_content()),
            Event::CData(text) => add_text(&mut stack, &mut run, &text.xml10_content()),
            Event::GeneralRef(reference) => {
                let Some(text) = resolve_reference(&reference) else {
                    let message = format!("unknown or invalid reference &{};", &*reference);
                    return Err(xml_error(xml, reader.buffer_position(), &message));
                };
                add_text(&mut stack, &mut run, &text);
            }
            Event::Start(start) => {
                flush(&stack, &mut tree, &mut run);
                let frame = match stack.last() {
                    None if seen_root => Frame::Other,
                    None if start.name().as_ref() == "FileZilla3" => Frame::Root,
                    None => return Err(FileZillaError::NotSiteManager),
                    Some(parent) => open(parent, &start, &mut tree)
                        .map_err(|e| xml_error(xml, reader.buffer_position(), &e))?,
                };
                seen_root = true;
                seen_servers |= matches!(frame, Frame::Servers);
                stack.push(frame);
            }
            Event::End(_) => {
                flush(&stack, &mut tree, &mut run);
                if let Some(Frame::Field(server, field, text)) = stack.pop()
                    && let Some(raw) = tree.servers.get_mut(server)
                {
                    raw.fields[field].get_or_insert(text);
                }
            }
            Event::Eof if stack.is_empty() => break,
            Event::Eof => {
                let message = "the file ends inside an element";
                return Err(xml_error(xml, xml.len() as u64, &message));
            }
            _ => flush(&stack, &mut tree, &mut run),
        }
    }
    seen_servers
        .then_some(tree)
        .ok_or(FileZillaError::NotSiteManager)
}

/// The frame for a new element inside `parent`.
fn open(parent: &Frame, start: &BytesStart<'_>, tree: &mut Tree) -> Result<Frame, String> {
    let name = start.name();
    let folder = match parent {
        Frame::Folder(index) => Some(*index),
        _ => None,
    };
    Ok(match (parent, name.as_ref()) {
        (Frame::Root, "Servers") => Frame::Servers,
        (Frame::Servers | Frame::Folder(_), "Folder") => {
            tree.folders.push(RawFolder {
                name: None,
                parent: folder,
            });
            Frame::Folder(tree.folders.len() - 1)
        }
        (Frame::Servers | Frame::Folder(_), "Server") => {
            tree.servers.push(RawServer {
                folder,
                ..RawServer::default()
            });
            Frame::Server(tree.servers.len() - 1)
        }
        (Frame::Server(index), name) => {
            let Some(field) = FIELDS.iter().position(|n| *n == name) else {
                return Ok(Frame::Other);
            };
            if let Some(raw) = tree.servers.get_mut(*index)
                && name == "Pass"
                && raw.fields[field].is_none()
                && let Some(encoding) = start
                    .try_get_attribute("encoding")
                    .map_err(|e| e.to_string())?
            {
                let encoding = encoding.normalized_value(XmlVersion::Implicit1_0);
                raw.pass_encoding = Some(encoding.map_err(|e| e.to_string())?.into_owned());
            }
            Frame::Field(*index, field, String::new())
        }
        _ => Frame::Other,
    })
}

fn add_text(stack: &mut [Frame], run: &mut String, text: &str) {
    match stack.last_mut() {
        Some(Frame::Field(_, _, value)) => value.push_str(text),
        Some(Frame::Folder(_) | Frame::Server(_)) => run.push_str(text),
        _ => {}
    }
}

/// Ends a run of text: like FileZilla, a folder or legacy server is named
/// by its first run of text that is not blank.
fn flush(stack: &[Frame], tree: &mut Tree, run: &mut String) {
    let text = run.trim();
    if !text.is_empty() {
        let slot = match stack.last() {
            Some(Frame::Folder(i)) => tree.folders.get_mut(*i).map(|f| &mut f.name),
            Some(Frame::Server(i)) => tree.servers.get_mut(*i).map(|s| &mut s.own_text),
            _ => None,
        };
        if let Some(slot) = slot {
            slot.get_or_insert_with(|| text.to_string());
        }
    }
    run.clear();
}

/// `&amp;` and the other four, and character references; anything else
/// would need a DTD, which a site manager never has.
fn resolve_reference(reference: &BytesRef<'_>) -> Option<String> {
    if reference.is_char_ref() {
        return reference
            .resolve_char_ref()
            .ok()
            .flatten()
            .map(String::from);
    }
    quick_xml::escape::resolve_predefined_entity(reference).map(str::to_string)
}

/// An XML error with its line and column, counted in characters.
fn xml_error(xml: &str, position: u64, error: &dyn fmt::Display) -> FileZillaError {
    let mut end = usize::try_from(position)
        .unwrap_or(usize::MAX)
        .min(xml.len());
    while !xml.is_char_boundary(end) {
        end -= 1;
    }
    let before = xml.get(..end).unwrap_or_default();
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    FileZillaError::Xml(format!("line {line}, column {column}: {error}"))
}

/// The folder names, outermost first, or why the site is skipped. Walks
/// up at most `MAX_FOLDER_DEPTH` folders and copies at most
/// `MAX_FOLDER_BYTES`, so that many sites deep inside a hostile file, or
/// under a huge folder name, cost linear time and memory, not quadratic.
fn folder_path(
    tree: &Tree,
    folder: Option<usize>,
    notes: &mut Vec<String>,
) -> Result<Vec<String>, String> {
    let mut chain = Vec::new();
    let mut at = folder.and_then(|i| tree.folders.get(i));
    while let Some(folder) = at {
        if chain.len() == MAX_FOLDER_DEPTH {
            return Err(format!("folders nested more than {MAX_FOLDER_DEPTH} deep"));
        }
        chain.push(folder.name.as_deref());
        at = folder.parent.and_then(|i| tree.folders.get(i));
    }
    if chain.iter().flatten().map(|name| name.len()).sum::<usize>() > MAX_FOLDER_BYTES {
        return Err(format!("folder names longer than {MAX_FOLDER_BYTES} bytes"));
    }
    if chain.contains(&None) {
        notes.push(format!(
            "a folder had no name; it is called {UNNAMED_FOLDER:?} here"
        ));
    }
    Ok(chain
        .into_iter()
        .rev()
        .map(|name| name.unwrap_or(UNNAMED_FOLDER).to_string())
        .collect())
}

/// A value quoted for a report line, cut short if a hostile file made it long.
fn short(text: &str) -> String {
    match text.char_indices().nth(40) {
        Some((end, _)) => format!("{:?}…", &text[..end]),
        None => format!("{text:?}"),
    }
}

/// One `<Server>` as a Ferry site, or why it cannot be one.
fn convert(
    raw: &RawServer,
    folder: Vec<String>,
    name: String,
    notes: &mut Vec<String>,
) -> Result<ImportedSite, String> {
    use LogonType::{Account, Anonymous, AskForPassword, Normal};
    let host = raw.trimmed("Host");
    if host.is_empty() {
        return Err("no host".to_string());
    }
    let code = raw.trimmed("Protocol");
    let protocol = match code.parse().ok().or(code.is_empty().then_some(0)) {
        Some(0) => {
            notes.push("FileZilla used TLS only if available; Ferry requires it".to_string());
            SiteProtocol::ExplicitTls
        }
        Some(1) => SiteProtocol::Sftp,
        Some(3) => SiteProtocol::ImplicitTls,
        Some(4) => SiteProtocol::ExplicitTls,
        Some(6) => SiteProtocol::Plain,
        number => {
            return Err(
                match number.and_then(|n| PROTOCOL_NAMES.split(',').nth(n)) {
                    Some(name) => format!("FileZilla protocol {code} ({name}) is not FTP"),
                    None => format!("FileZilla protocol {} is unknown", short(code)),
                },
            );
        }
    };
    let port = raw.trimmed("Port");
    let port = port
        .parse()
        .ok()
        .or(port.is_empty().then_some(0))
        .unwrap_or_else(|| {
            notes.push(format!(
                "port {} is not valid; using the default",
                short(port)
            ));
            0
        });
    let user = raw.text("User").to_string();
    // The logon, whether FileZilla keeps a password for it, and, if it
    // is not quite FileZilla's, what FileZilla called it.
    let code = raw.trimmed("Logontype");
    let (logon, has_password, was) = match code {
        "" if user.is_empty() => (Anonymous, false, ""),
        "" | "1" => (Normal, true, ""),
        "0" => (Anonymous, false, ""),
        "2" => (AskForPassword, false, ""),
        "3" => (AskForPassword, false, "interactive"),
        "4" => (Account, true, ""),
        "5" if protocol == SiteProtocol::Sftp => (Normal, false, ""),
        "5" => (Normal, false, "key file, for SFTP"),
        "6" => (Normal, false, "profile"),
        _ => (Normal, false, "unknown"),
    };
    if !was.is_empty() {
        let now = match logon {
            Normal => "a normal logon",
            _ => "asking for the password",
        };
        notes.push(format!(
            "logon type {} ({was}) is imported as {now}",
            short(code)
        ));
    }
    let password = has_password.then(|| read_password(raw, notes)).flatten();
    let transfer_mode = match raw.trimmed("PasvMode") {
        "MODE_PASSIVE" => TransferMode::Passive,
        "MODE_ACTIVE" => TransferMode::Active,
        _ => TransferMode::Default,
    };
    let connections = raw.trimmed("MaximumMultipleConnections");
    let max_connections = match connections.parse::<i64>() {
        _ if connections.is_empty() => 0,
        Ok(n) if n > i64::from(MAX_CONNECTIONS) => {
            notes.push(format!(
                "FileZilla allowed {n} connections; Ferry allows {MAX_CONNECTIONS}"
            ));
            MAX_CONNECTIONS
        }
        Ok(n) => u8::try_from(n).unwrap_or(0),
        Err(_) => {
            notes.push(format!(
                "{} connections is not a number",
                short(connections)
            ));
            0
        }
    };
    let encoding = match (raw.trimmed("EncodingType"), raw.trimmed("CustomEncoding")) {
        ("Custom", "") => {
            notes.push("FileZilla's custom encoding had no name; using UTF-8".into());
            "utf-8".to_string()
        }
        ("Custom", label) if label.eq_ignore_ascii_case("iso-8859-1") => "latin-1".to_string(),
        ("Custom", label) => label.to_lowercase(),
        _ => "utf-8".to_string(),
    };
    let remote = raw.text("RemoteDir");
    let remote_dir = match parse_safe_path(remote).or_else(|| parse_safe_path(remote.trim())) {
        Some((0 | 1, path)) => path,
        Some((kind, path)) => {
            notes.push(format!(
                "the remote directory is for a non-Unix server (FileZilla type {kind}); check it"
            ));
            path
        }
        None => {
            notes.push(format!(
                "could not read the remote directory {}",
                short(remote)
            ));
            String::new()
        }
    };
    let site = Site {
        id: new_site_id(),
        name,
        folder,
        host: host.to_string(),
        port,
        protocol,
        logon,
        user,
        account: raw.text("Account").to_string(),
        transfer_mode,
        max_connections,
        encoding,
        local_dir: raw.text("LocalDir").to_string(),
        remote_dir,
        comments: raw.text("Comments").to_string(),
        key_file: match protocol {
            SiteProtocol::Sftp => raw.text("Keyfile").trim().to_string(),
            _ => String::new(),
        },
        ..Site::default()
    };
    Ok(ImportedSite { site, password })
}

fn read_password(raw: &RawServer, notes: &mut Vec<String>) -> Option<String> {
    let text = raw.text("Pass");
    let note = match raw.pass_encoding.as_deref().unwrap_or("") {
        "" => return Some(text.to_string()).filter(|p| !p.is_empty()),
        "base64" => {
            let compact: String = text.chars().filter(|c| !c.is_ascii_whitespace()).collect();
            match LENIENT_BASE64.decode(compact).map(String::from_utf8) {
                Ok(Ok(password)) => return Some(password).filter(|p| !p.is_empty()),
                Ok(Err(_)) => "the password is not valid UTF-8; enter it again".to_string(),
                Err(_) => "the password is not valid base64; enter it again".to_string(),
            }
        }
        "crypt" => CRYPT_NOTE.to_string(),
        other => format!(
            "the password is stored as {}, which Ferry cannot read",
            short(other)
        ),
    };
    notes.push(note);
    None
}

mod export;
mod remote_dir;

pub use export::{Exported, export, write_export};
use remote_dir::parse_safe_path;
pub use remote_dir::{format_remote_dir, parse_remote_dir};

#[cfg(test)]
mod tests;
