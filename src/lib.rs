//! Ferry: a desktop FTP/FTPS file manager and a command line that drives
//! the same engine.
//!
//! Layers, one direction: [`cli`] and [`gui`] turn user intent into
//! [`engine::Command`]s; the [`engine`] (the `ferry-engine` crate, which
//! knows nothing of them) speaks FTP on worker threads and reports
//! [`engine::Event`]s; [`sites`] keeps saved sites and trusted
//! certificates.

// Library code reports errors; tests may unwrap.
#![cfg_attr(not(test), warn(clippy::unwrap_used, clippy::expect_used))]

pub mod cli;
mod editor;
pub mod gui;
pub mod sites;

// The engine crate's modules, under the names the rest of Ferry (and its
// tests) have always used.
pub use ferry_engine::{engine, listing, units, url};
