//! Operations on whole remote trees, done from the client side because FTP
//! has no recursive commands.

use super::error::{Error, Result};
use super::event::Listing;
use super::names::{is_safe_local_name, remote_join};
use super::remote::Remote;
use crate::listing::EntryKind;

/// Deepest folder nesting we follow; a server that lists a folder inside
/// itself forever ends here instead of in a stack overflow.
const MAX_DEPTH: usize = 64;

/// Deletes a folder and everything in it. Symlinks are deleted, never
/// followed. A path that is a file is deleted as a file, as `rm -r` does.
/// Returns how many files and folders were removed.
pub fn delete_tree(session: &mut dyn Remote, path: &str) -> Result<u64> {
    match session.list(Some(path)) {
        Err(not_a_folder @ Error::Permanent { .. }) => match session.delete(path) {
            Ok(()) => {
                session.log().status(&format!("Deleted {path}"));
                Ok(1)
            }
            // Neither a folder we can list nor a file: say why it is not
            // a folder, the question asked first.
            Err(_) => Err(not_a_folder),
        },
        Err(err) => Err(err),
        Ok(listing) => delete_listed(session, path, listing, 0),
    }
}

fn delete_below(session: &mut dyn Remote, path: &str, depth: usize) -> Result<u64> {
    if depth > MAX_DEPTH {
        return Err(Error::Protocol(format!(
            "{path} is nested more than {MAX_DEPTH} folders deep; stopping"
        )));
    }
    let listing = session.list(Some(path))?;
    delete_listed(session, path, listing, depth)
}

fn delete_listed(
    session: &mut dyn Remote,
    path: &str,
    listing: Listing,
    depth: usize,
) -> Result<u64> {
    let mut removed = 0;
    for entry in listing.entries {
        if !is_safe_local_name(&entry.name) {
            // `..`, or a name with `/`, would reach outside the tree.
            session.log().warning(&format!(
                "Skipping the unsafe name {:?} in {path}",
                entry.name
            ));
            continue;
        }
        let child = remote_join(path, &entry.name);
        removed += match entry.kind {
            EntryKind::Dir => delete_below(session, &child, depth + 1)?,
            EntryKind::Unknown => match session.delete(&child) {
                Ok(()) => 1,
                Err(Error::Permanent { .. }) => delete_below(session, &child, depth + 1)?,
                Err(err) => return Err(err),
            },
            _ => {
                session.delete(&child)?;
                1
            }
        };
    }
    session.rmdir(path)?;
    session.log().status(&format!("Deleted {path}"));
    Ok(removed + 1)
}
