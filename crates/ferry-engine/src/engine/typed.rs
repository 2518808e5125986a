//! Requests that say what they answer.
//!
//! A [`Command`] sent to a connection comes back as an [`Outcome`], a union
//! of every kind of answer: a caller that expected a listing had to match
//! and decide what to do with anything else. The types here pair each
//! command with the one answer it gives, so a blocking caller writes
//! `client.request(List(path))?` and gets a [`Listing`], and a mismatch
//! (which would be a bug in the engine) is a loud error, never ignored.

use super::command::{Command, ConnectOptions};
use super::error::{Error, Result};
use super::event::{FileStat, Listing, Outcome, Reply, SessionInfo, TransferSummary};

/// A command and the type of its answer.
pub trait TypedCommand {
    type Answer;
    fn command(self) -> Command;
    /// The answer in `outcome`, or an error naming what came instead.
    fn answer(outcome: Outcome) -> Result<Self::Answer>;
}

/// What a command answered that its type does not allow: an engine bug.
fn mismatch(wanted: &str, outcome: &Outcome) -> Error {
    let came = match outcome {
        Outcome::Done => "done",
        Outcome::Connected(_) => "a session",
        Outcome::Path(_) => "a folder",
        Outcome::Listing(_) => "a listing",
        Outcome::Names(_) => "names",
        Outcome::Size(_) => "a size",
        Outcome::ModificationTime(_) => "a time",
        Outcome::Stat(_) => "a file's size and time",
        Outcome::Reply(_) => "a reply",
        Outcome::Transferred(_) => "a transfer",
        Outcome::Hash(_) => "a checksum",
        Outcome::Same(_) => "a comparison",
    };
    Error::Protocol(format!(
        "internal error: expected {wanted}, the connection answered {came}"
    ))
}

macro_rules! typed {
    ($(#[$doc:meta])* $name:ident ($($field:ident: $ty:ty),*) => $answer:ty,
     |$s:ident| $command:expr, $variant:ident, $wanted:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone)]
        pub struct $name { $(pub $field: $ty),* }

        impl TypedCommand for $name {
            type Answer = $answer;
            fn command(self) -> Command {
                let $s = self;
                $command
            }
            fn answer(outcome: Outcome) -> Result<$answer> {
                match outcome {
                    Outcome::$variant(answer) => Ok(answer),
                    other => Err(mismatch($wanted, &other)),
                }
            }
        }
    };
}

typed!(
    /// Connect and log in: what the server and the session are.
    Connect(options: ConnectOptions) => SessionInfo,
    |s| Command::Connect(s.options), Connected, "a session"
);
typed!(
    /// A folder's entries (the current folder if `None`).
    List(path: Option<String>) => Listing,
    |s| Command::List(s.path), Listing, "a listing"
);
typed!(
    /// Open a folder: the working folder after it (PWD's answer).
    Cwd(path: String) => String,
    |s| Command::Cwd(s.path), Path, "a folder"
);
typed!(
    /// Open the parent folder: the working folder after it.
    Cdup() => String,
    |_s| Command::Cdup, Path, "a folder"
);
typed!(
    /// Whether a file exists, how big, how old (SIZE and MDTM).
    Stat(path: String) => FileStat,
    |s| Command::Stat(s.path), Stat, "a file's size and time"
);
typed!(
    /// Download one file, whole, to `local` (see [`Command::Download`]).
    Fetch(remote: String, local: std::path::PathBuf) => TransferSummary,
    |s| Command::Download {
        remote: s.remote,
        local: s.local,
        resume: false,
        size: None,
        fetch_time: false,
    },
    Transferred, "a transfer"
);
typed!(
    /// The server's checksum of a file; `None` when it gives none.
    RemoteHash(path: String) => Option<super::hash::FileHash>,
    |s| Command::Hash(s.path), Hash, "a checksum"
);
typed!(
    /// Any command line; the reply whatever its code.
    Raw(line: String) => Reply,
    |s| Command::Raw(s.line), Reply, "a reply"
);

/// A command that answers only "done" (mkdir, rmdir, delete, rename…).
#[derive(Debug, Clone)]
pub struct Change(pub Command);

impl TypedCommand for Change {
    type Answer = ();
    fn command(self) -> Command {
        self.0
    }
    fn answer(outcome: Outcome) -> Result<()> {
        match outcome {
            Outcome::Done => Ok(()),
            other => Err(mismatch("done", &other)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_answer_of_another_kind_is_an_error_not_ignored() {
        let listing = Outcome::Listing(Listing::default());
        assert!(List { path: None }.command() == Command::List(None));
        assert_eq!(List::answer(listing.clone()).unwrap(), Listing::default());
        let err = Stat::answer(listing).unwrap_err();
        assert!(err.to_string().contains("answered a listing"), "{err}");
        assert!(Change::answer(Outcome::Size(3)).is_err());
        assert!(Change::answer(Outcome::Done).is_ok());
    }
}
