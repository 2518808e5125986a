//! Saved sites: plain-data bookmarks in a JSON file (`store`), passwords
//! in the OS keyring (`secrets`), and FileZilla's site manager in and out
//! (`filezilla`). Nothing here knows the GUI or the terminal.

pub mod filezilla;
mod json_file;
mod kept_edits;
mod saved_queue;
pub mod secrets;
mod site;
mod store;
mod trust;

pub use kept_edits::{EditsStore, KeptEdit};
pub use saved_queue::{QueueStore, SavedQueue, SavedServer, SavedTransfer};
pub use site::{LogonType, Site, SiteProtocol, TransferMode, new_site_id};
pub use store::{SCHEMA_VERSION, SiteStore, StoreError};
pub use trust::{TrustStore, TrustedCertificates, ssh_known_hosts_location};

/// Finds a site by its path (`Work/acme`) or, if unique, its bare name.
pub fn find<'a>(sites: &'a [Site], name: &str) -> Result<&'a Site, String> {
    if let Some(site) = sites.iter().find(|s| s.path() == name) {
        return Ok(site);
    }
    let matching: Vec<&Site> = sites.iter().filter(|s| s.name == name).collect();
    match matching.as_slice() {
        [one] => Ok(one),
        [] => Err(format!("no site named {name:?} (see `ferry sites list`)")),
        many => Err(format!(
            "{} sites are named {name:?}; use the folder path: {}",
            many.len(),
            many.iter().map(|s| s.path()).collect::<Vec<_>>().join(", ")
        )),
    }
}
