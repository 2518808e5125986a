//! The browsing connection: one engine worker whose outcomes the window
//! reads each frame, with what each request was for.

use std::collections::HashMap;

use crossbeam_channel::{Receiver, unbounded};

use super::bridge::{Waker, relay};
use super::connect_bar::LinkState;
use crate::engine::{Command, ConnectOptions, Connection, Event, RequestId};
use crate::sites::Site;

/// Why a request was sent, so its outcome lands in the right place.
#[derive(Debug, Clone)]
pub enum Purpose {
    /// Logging in; then open `folder` (or the login folder).
    Connect {
        folder: Option<String>,
    },
    /// CWD or CDUP; then list.
    ChangeFolder,
    /// A listing of the current folder.
    List,
    /// A change (mkdir, rename, delete, chmod); list again when done.
    Change {
        what: String,
    },
    /// A listing of the folder `path`, chosen for deletion on login
    /// `login`, to tell the user how much it holds.
    Count {
        login: u64,
        path: String,
    },
    /// A raw command from the log panel.
    Raw,
    Disconnect,
}

pub struct RemoteSession {
    connection: Connection,
    pub events: Receiver<Event>,
    pending: HashMap<RequestId, Purpose>,
    /// The options of the current (or last) login.
    pub options: Option<ConnectOptions>,
}

impl RemoteSession {
    pub fn start(waker: Waker) -> RemoteSession {
        let (tx, rx) = unbounded();
        RemoteSession {
            connection: Connection::spawn(0, tx),
            events: relay(rx, waker, "browse"),
            pending: HashMap::new(),
            options: None,
        }
    }

    pub fn send(&mut self, command: Command, purpose: Purpose) -> RequestId {
        let id = self.connection.send(command);
        self.pending.insert(id, purpose);
        id
    }

    /// What a finished request was for (once).
    pub fn purpose(&mut self, request: RequestId) -> Option<Purpose> {
        self.pending.remove(&request)
    }

    /// Whether changes of some kind are still on their way.
    pub fn busy_with_changes(&self) -> bool {
        self.pending
            .values()
            .any(|p| matches!(p, Purpose::Change { .. }))
    }

    pub fn set_debug_level(&self, level: u8) {
        self.connection.set_debug_level(level);
    }

    /// Stops what is running (a listing of a huge folder) and forgets it.
    pub fn cancel_all(&mut self) {
        for request in self.pending.keys() {
            self.connection.cancel(*request);
        }
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
    /// Counts the logins of this pane's connection: an action chosen on
    /// one login is refused on another (another server, or the same one
    /// connected anew), never carried out on whatever is connected now.
    pub login: u64,
}

impl Server {
    pub fn start(waker: Waker) -> Server {
        Server {
            session: RemoteSession::start(waker),
            link: LinkState::Disconnected,
            tls_note: String::new(),
            welcome: String::new(),
            last_connect: None,
            login: 0,
        }
    }

    pub fn is_connected(&self) -> bool {
        matches!(self.link, LinkState::Connected { .. })
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
