//! `ferry find URL PATTERN`: the engine's search, a path per line as
//! each folder is read; folders that could not be read are said on
//! stderr and make the status 4 (the results may miss what they hold).

use super::Failure;
use super::output::{self, long_line};
use crate::engine::find::{FindEvent, FindOptions, find};
use crate::engine::{ConnectOptions, Error, display_text};

pub fn run(connect: ConnectOptions, options: FindOptions, long: bool) -> Result<(), Failure> {
    let (search, events) = find(connect, options)?;
    let mut unread = 0u64;
    for event in events.iter() {
        match event {
            FindEvent::Found(found) => {
                let line = if long {
                    let mut entry = found.entry;
                    entry.name = found.path;
                    long_line(&entry)
                } else {
                    display_text(&found.path)
                };
                output::print_line(&line);
                // Nobody reads the rest: stop listing.
                if output::stdout_closed() {
                    drop(search);
                    return Ok(());
                }
            }
            FindEvent::Unread { folder, error } => {
                unread += 1;
                output::message(&format!(
                    "ferry: {}: not read whole: {error}",
                    display_text(&folder)
                ));
            }
            FindEvent::Done {
                error: Some(error), ..
            } => return Err(error.into()),
            FindEvent::Done { .. } if unread > 0 => {
                return Err(Error::Protocol(format!(
                    "{unread} folder(s) could not be read whole: the results may miss what they hold"
                ))
                .into());
            }
            FindEvent::Done { .. } => return Ok(()),
        }
    }
    drop(search);
    Ok(())
}
