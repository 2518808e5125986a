//! Ferry: a desktop FTP/FTPS file manager and a command line that drives
//! the same engine.
//!
//! Layers, one direction: [`cli`] (and later the GUI) turn user intent into
//! [`engine::Command`]s; the [`engine`] speaks FTP on worker threads and
//! reports [`engine::Event`]s; [`listing`] parses directory listings.

// Library code reports errors; tests may unwrap.
#![cfg_attr(not(test), warn(clippy::unwrap_used, clippy::expect_used))]

pub mod cli;
pub mod engine;
pub mod gui;
pub mod listing;
pub mod sites;
pub mod units;
pub mod url;
