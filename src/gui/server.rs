//! The browsing connection: one engine worker whose outcomes the window
//! reads each frame, with what each request was for.
//!
//! Every connect and disconnect lets the worker go and starts a new one
//! with a new id: the old one stops what it was doing and says QUIT on
//! its own, and whatever it still reports carries the old id and is
//! dropped. So a login the user cancelled or replaced can never come back
//! as "connected", nor its failure as an error: one generation per
//! connection, kept by the engine's own connection ids.

use std::collections::HashMap;

use crossbeam_channel::{Receiver, Sender, unbounded};

use super::bridge::{Waker, relay};
use super::connect_bar::LinkState;
use crate::engine::typed::{Cdup, Change, Connect, Cwd, List, Raw, RemoteHash, Stat, TypedCommand};
use crate::engine::{
    Command, ConnectOptions, Connection, Error, Event, FileStat, Listing, Outcome, Reply,
    RequestId, SessionInfo,
};
use crate::sites::Site;

/// Why a request was sent, so its outcome lands in the right place.
#[derive(Debug, Clone)]
enum Purpose {
    /// Logging in; then open `folder` (or the login folder).
    Connect { folder: Option<String> },
    /// CWD or CDUP; then list.
    ChangeFolder,
    /// A listing of the current folder.
    List,
    /// A change (mkdir, rename, delete, chmod); list again when done.
    Change { what: String },
    /// A listing of the folder `path`, chosen for deletion on login
    /// `login`, to tell the user how much it holds.
    Count { login: u64, path: String },
    /// A raw command from the log panel.
    Raw,
    /// SIZE and MDTM of a file opened to edit (`edit` is its entry).
    EditStat { edit: u64, why: EditStatFor },
    /// A NOOP on an idle login.
    KeepAlive,
    /// Right-click → Checksum on `name` in `folder`.
    Checksum { folder: String, name: String },
}

/// Why a file opened to edit is asked about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EditStatFor {
    /// Just downloaded: what the copy was made from.
    Opened,
    /// Before an upload: did anyone change it meanwhile?
    Check,
    /// Just uploaded: what the server has now.
    Uploaded,
}

impl Purpose {
    /// The outcome of the request sent for this purpose, in the type its
    /// command answers: an answer of another kind is an error the user
    /// sees, never silently dropped.
    fn answer(self, outcome: Result<Outcome, Error>) -> Answer {
        match self {
            Purpose::Connect { folder } => Answer::Connected {
                folder,
                result: outcome.and_then(Connect::answer),
            },
            Purpose::ChangeFolder => Answer::FolderOpened(outcome.and_then(Cwd::answer)),
            Purpose::List => Answer::Listed(outcome.and_then(List::answer)),
            Purpose::Change { what } => Answer::Changed {
                what,
                result: outcome.and_then(Change::answer),
            },
            Purpose::Count { login, path } => Answer::Counted {
                login,
                path,
                result: outcome.and_then(List::answer),
            },
            Purpose::Raw => Answer::Raw(outcome.and_then(Raw::answer)),
            Purpose::EditStat { edit, why } => Answer::EditStat {
                edit,
                why,
                result: outcome.and_then(Stat::answer),
            },
            Purpose::KeepAlive => Answer::KeptAlive,
            Purpose::Checksum { folder, name } => Answer::Checksum {
                folder,
                name,
                result: outcome.and_then(RemoteHash::answer),
            },
        }
    }
}

/// What a browsing request of the window answered, with what it was for.
#[derive(Debug)]
pub enum Answer {
    /// Logged in; `folder` is to be opened next (else the login folder).
    Connected {
        folder: Option<String>,
        result: Result<SessionInfo, Error>,
    },
    /// CWD or CDUP: the folder open now.
    FolderOpened(Result<String, Error>),
    /// The open folder's entries.
    Listed(Result<Listing, Error>),
    /// A change (mkdir, rename, delete, chmod) described by `what`.
    Changed {
        what: String,
        result: Result<(), Error>,
    },
    /// The entries of `path`, chosen for deletion on login `login`.
    Counted {
        login: u64,
        path: String,
        result: Result<Listing, Error>,
    },
    /// A raw command's reply.
    Raw(Result<Reply, Error>),
    /// SIZE and MDTM of a file opened to edit.
    EditStat {
        edit: u64,
        why: EditStatFor,
        result: Result<FileStat, Error>,
    },
    /// A keep-alive was answered (a failure is in the log already).
    KeptAlive,
    /// The server's checksum of `name` in `folder` (`None`: it gives none).
    Checksum {
        folder: String,
        name: String,
        result: Result<Option<crate::engine::hash::FileHash>, Error>,
    },
}

pub struct RemoteSession {
    connection: Connection,
    /// Where every generation's worker sends its events (one relay for
    /// all of them).
    sender: Sender<Event>,
    pub events: Receiver<Event>,
    pending: HashMap<RequestId, Purpose>,
    /// When the last request went out (a keep-alive is due after a quiet
    /// spell).
    last_request: std::time::Instant,
    /// The options of the current (or last) login.
    pub options: Option<ConnectOptions>,
    debug_level: u8,
}

impl RemoteSession {
    pub fn start(waker: Waker) -> RemoteSession {
        let (sender, rx) = unbounded();
        RemoteSession {
            connection: Connection::spawn(0, sender.clone()),
            sender,
            events: relay(rx, waker, "browse"),
            pending: HashMap::new(),
            last_request: std::time::Instant::now(),
            options: None,
            debug_level: 0,
        }
    }

    /// Lets the current connection go and starts the next generation.
    /// The old worker cancels what it was asked (a running transfer or
    /// listing aborts, a login in progress ends with QUIT) without the
    /// window waiting, and its outcomes are dropped on arrival.
    pub fn replace(&mut self) {
        let next = self.connection.id().wrapping_add(1);
        self.connection = Connection::spawn(next, self.sender.clone());
        self.connection.set_debug_level(self.debug_level);
        self.pending.clear();
    }

    /// Which connection this is: a new one for every connect and every
    /// disconnect. An action chosen on one is refused on another (another
    /// server, or the same one connected anew), never carried out on
    /// whatever is connected now.
    pub fn generation(&self) -> u64 {
        u64::from(self.connection.id())
    }

    /// Whether `event` comes from the current connection.
    pub fn is_current(&self, event: &Event) -> bool {
        event.connection == self.connection.id()
    }

    /// Logs in, then opens `folder` (see [`Answer::Connected`]).
    pub fn connect(&mut self, options: ConnectOptions, folder: Option<String>) {
        self.send(Connect { options }, Purpose::Connect { folder });
    }

    /// Opens `path` (CWD).
    pub fn open_folder(&mut self, path: String) {
        self.send(Cwd { path }, Purpose::ChangeFolder);
    }

    /// Opens the parent folder (CDUP).
    pub fn open_parent(&mut self) {
        self.send(Cdup {}, Purpose::ChangeFolder);
    }

    /// Lists the open folder.
    pub fn list(&mut self) {
        self.send(List { path: None }, Purpose::List);
    }

    /// A change to the server's files; `what` says it to the user.
    pub fn change(&mut self, command: Command, what: String) {
        self.send(Change(command), Purpose::Change { what });
    }

    /// Lists `path`, chosen for deletion on login `login`, to say how much
    /// it holds.
    pub fn count(&mut self, path: String, login: u64) {
        let purpose = Purpose::Count {
            login,
            path: path.clone(),
        };
        self.send(List { path: Some(path) }, purpose);
    }

    /// The server's checksum of `name` in `folder`, for the Checksum column.
    pub fn checksum(&mut self, folder: String, name: String) {
        let path = crate::engine::names::remote_join(&folder, &name);
        self.send(RemoteHash { path }, Purpose::Checksum { folder, name });
    }

    /// SIZE and MDTM of `path`, a file opened to edit.
    pub fn edit_stat(&mut self, path: String, edit: u64, why: EditStatFor) {
        self.send(Stat { path }, Purpose::EditStat { edit, why });
    }

    /// A command line typed by the user.
    pub fn raw(&mut self, line: String) {
        self.send(Raw { line }, Purpose::Raw);
    }

    fn send(&mut self, command: impl TypedCommand, purpose: Purpose) {
        let id = self.connection.send(command.command());
        self.pending.insert(id, purpose);
        self.last_request = std::time::Instant::now();
    }

    /// Sends a NOOP if nothing was asked for `every`; how long until the
    /// next is due.
    pub fn keep_alive(&mut self, every: std::time::Duration) -> std::time::Duration {
        let quiet = self.last_request.elapsed();
        if quiet < every {
            return every - quiet;
        }
        if self.pending.is_empty() {
            self.send(Change(Command::KeepAlive), Purpose::KeepAlive);
        } else {
            self.last_request = std::time::Instant::now();
        }
        every
    }

    /// What the request `request` answered, once; `None` for a request
    /// this session did not send (or already answered).
    pub fn answer(
        &mut self,
        request: RequestId,
        outcome: Result<Outcome, Error>,
    ) -> Option<Answer> {
        Some(self.pending.remove(&request)?.answer(outcome))
    }

    /// Whether every request sent has been answered and its answer taken.
    pub fn is_idle(&self) -> bool {
        self.pending.is_empty() && self.events.is_empty()
    }

    /// Whether changes of some kind are still on their way.
    pub fn busy_with_changes(&self) -> bool {
        self.pending
            .values()
            .any(|p| matches!(p, Purpose::Change { .. }))
    }

    pub fn set_debug_level(&mut self, level: u8) {
        self.debug_level = level;
        self.connection.set_debug_level(level);
    }
}

/// One server pane's connection and what the window shows of it.
pub struct Server {
    pub session: RemoteSession,
    pub link: LinkState,
    /// TLS version and cipher, for the lock.
    pub tls_note: String,
    pub welcome: String,
    /// The last connect: options, folder to open, and the site it was
    /// for, so a trusted certificate can reconnect with the same.
    pub last_connect: Option<(ConnectOptions, Option<String>, Option<Site>)>,
    /// Counts the user's choices about this server (connect, connect to a
    /// site, disconnect). An answer that arrives for an older choice (a
    /// site's password from the keyring) is dropped: the user has moved on.
    pub choices: u64,
    /// The fingerprint of the certificate the current login refused, while
    /// the user is asked about it: trusting applies to that login only,
    /// never to a connection started since.
    pub untrusted: Option<String>,
    /// A login held back until the certificates trusted always are known
    /// (the window's first moments): the folder it is to open. It goes
    /// out with them pinned (see `FerryApp::trust_known`).
    pub waiting_for_trust: Option<Option<String>>,
    /// A symbolic link opened (double-click, Enter): tried as a folder
    /// first; if the server says it is none, it is fetched as the file it
    /// points to, as FileZilla does.
    pub opening_link: Option<super::chosen::Chosen>,
    /// The folder a link or a site named, being opened after login: if
    /// the server cannot enter it, it may name a file (a link to a file,
    /// `ftp://host/dir/file.txt`), which is then shown in its folder and
    /// offered for download.
    pub opening_start: Option<String>,
    /// That file's name, to select once its folder is listed.
    pub named_file: Option<String>,
    /// A name to select once the folder being opened is listed (Find's
    /// Show).
    pub select_after: Option<String>,
}

impl Server {
    pub fn start(waker: Waker) -> Server {
        Server {
            session: RemoteSession::start(waker),
            link: LinkState::Disconnected,
            tls_note: String::new(),
            welcome: String::new(),
            last_connect: None,
            opening_link: None,
            opening_start: None,
            named_file: None,
            select_after: None,
            choices: 0,
            untrusted: None,
            waiting_for_trust: None,
        }
    }

    pub fn is_connected(&self) -> bool {
        matches!(self.link, LinkState::Connected { .. })
    }

    /// The saved site's name when connected through one, else
    /// `user@host:port`: how the title and the status line name it.
    pub fn who(&self) -> String {
        self.site_name().unwrap_or_else(|| self.name())
    }

    /// The saved site the login came from, if any.
    pub fn site_name(&self) -> Option<String> {
        self.last_connect
            .as_ref()
            .and_then(|(_, _, site)| site.as_ref())
            .map(|site| site.name.clone())
    }

    /// `user@host:port` of the current (or last) login, for a person.
    pub fn name(&self) -> String {
        let Some(options) = &self.session.options else {
            return String::new();
        };
        let user = options
            .user
            .as_ref()
            .map(|u| format!("{u}@"))
            .unwrap_or_default();
        format!("{user}{}:{}", options.host, options.port)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each purpose reads its answer in its own type: a listing request
    /// answered by anything but a listing is an error the window shows,
    /// where matching a union of answers used to let it pass unnoticed.
    #[test]
    fn an_answer_of_the_wrong_kind_is_an_error() {
        let answer = Purpose::List.answer(Ok(Outcome::Size(3)));
        let Answer::Listed(Err(err)) = answer else {
            panic!("not a failed listing: {answer:?}");
        };
        assert!(err.to_string().contains("expected a listing"), "{err}");
        let answer = Purpose::ChangeFolder.answer(Ok(Outcome::Path("/a".to_string())));
        assert!(matches!(answer, Answer::FolderOpened(Ok(path)) if path == "/a"));
        let answer = Purpose::Change {
            what: "Deleting /a".to_string(),
        }
        .answer(Ok(Outcome::Listing(Listing::default())));
        assert!(matches!(answer, Answer::Changed { result: Err(_), .. }));
        let answer = Purpose::Count {
            login: 2,
            path: "/x".to_string(),
        }
        .answer(Err(Error::Cancelled));
        assert!(matches!(
            answer,
            Answer::Counted {
                login: 2,
                result: Err(Error::Cancelled),
                ..
            }
        ));
    }
}
