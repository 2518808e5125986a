//! Ferry's engine: everything that speaks FTP and moves files, with no
//! user interface. The window and the command line (the `ferry` crate)
//! sit on top and talk to it through commands and events.
//!
//! [`url`] reads and writes `ftp://` URLs; [`listing`] parses directory
//! listings; [`engine`] runs sessions on worker threads (connect, list,
//! transfer, the queue, server-to-server copies) and reports
//! [`engine::Event`]s; [`units`] writes sizes and counts for people.
//!
//! Nothing here may depend on egui, a terminal or the saved sites: the
//! compiler keeps that wall (this crate does not have them).

// Library code reports errors; tests may unwrap.
#![cfg_attr(not(test), warn(clippy::unwrap_used, clippy::expect_used))]

pub mod engine;
pub mod listing;
pub mod units;
pub mod url;
