//! One connection for the renames and deletions a watch makes, logged in
//! when first needed and again after it broke: the queue carries the
//! bytes, this carries the few commands that are not transfers.

use crossbeam_channel::{Receiver, Sender};

use crate::engine::command::{Command, ConnectOptions};
use crate::engine::error::{Error, Result};
use crate::engine::event::{Event, EventKind, Outcome};
use crate::engine::worker::Connection;

use super::WatchEvent;

pub(super) struct Remote {
    connect: ConnectOptions,
    debug_level: u8,
    link: Option<(Connection, Receiver<Event>)>,
}

impl Remote {
    pub fn new(connect: ConnectOptions, debug_level: u8) -> Remote {
        Remote {
            connect,
            debug_level,
            link: None,
        }
    }

    /// Runs `command` to its outcome, logging in first if need be; its
    /// log lines go to `news`.
    pub fn call(&mut self, command: Command, news: &Sender<WatchEvent>) -> Result<Outcome> {
        if self.link.is_none() {
            let (connection, events) = Connection::open();
            connection.set_debug_level(self.debug_level);
            let login = Command::Connect(self.connect.clone());
            let outcome = run(&connection, &events, login, news);
            if let Err(err) = outcome {
                connection.close();
                return Err(err);
            }
            self.link = Some((connection, events));
        }
        let Some((connection, events)) = &self.link else {
            return Err(Error::NotConnected);
        };
        let outcome = run(connection, events, command, news);
        if outcome.as_ref().is_err_and(Error::ends_session) {
            self.close();
        }
        outcome
    }

    pub fn close(&mut self) {
        if let Some((connection, _)) = self.link.take() {
            connection.close();
        }
    }
}

fn run(
    connection: &Connection,
    events: &Receiver<Event>,
    command: Command,
    news: &Sender<WatchEvent>,
) -> Result<Outcome> {
    let id = connection.send(command);
    loop {
        let event = events
            .recv()
            .map_err(|_| Error::Connection("the connection worker stopped".to_string()))?;
        match event.kind {
            EventKind::Log(line) => {
                let _ = news.send(WatchEvent::Log(line));
            }
            EventKind::Finished { request, result } if request == id => return result,
            _ => {}
        }
    }
}
