//! One half of the window: a pane and the place its files live.
//!
//! The right half always shows a server (the connect bar's). The left
//! half shows this computer, or a second server for copies between two
//! servers; it keeps its server connection either way, idle while it shows
//! this computer. What a half shows decides what its pane's actions mean
//! (a double-click opens a local folder or sends CWD) and whether news of
//! its server may still land in the pane.

use super::chosen::Place;
use super::file_table::Side;
use super::pane::Pane;
use super::server::Server;

/// Where the files of a half live.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    Computer,
    Server,
}

pub struct Half {
    /// What is drawn: the folder, its rows, the table's state.
    pub pane: Pane,
    /// The connection of this half's server, when it shows one.
    pub server: Server,
    source: Source,
}

impl Half {
    pub fn new(pane: Pane, server: Server, source: Source) -> Half {
        Half {
            pane,
            server,
            source,
        }
    }

    pub fn shows_server(&self) -> bool {
        self.source == Source::Server
    }

    /// Shows `source` from now on. The caller lets go of the server's
    /// connection first when it leaves a server: this only switches what
    /// the pane's actions and news mean.
    pub fn show(&mut self, source: Source) {
        self.source = source;
    }

    /// Where this half (on `side`) shows files now: this computer, or its
    /// server on its current login.
    pub fn place(&self, side: Side) -> Place {
        match self.source {
            Source::Computer => Place::Computer,
            Source::Server => Place::Server {
                side,
                login: self.server.session.generation(),
                name: self.server.name(),
            },
        }
    }

    /// Whether this half still shows the server it showed on `login`, and
    /// is connected: the only state in which something chosen then may be
    /// carried out.
    pub fn still_on(&self, login: u64) -> bool {
        self.shows_server()
            && self.server.session.generation() == login
            && self.server.is_connected()
    }
}
