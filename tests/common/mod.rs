//! Drivers for the app's integration tests: the `ferry` binary (cli), the
//! window (gui), a private home for the trash, and Debian's vsftpd; the
//! servers and the engine harness come from the `ferry-testkit` crate
//! (shared with the engine's own tests). Each test binary uses a subset,
//! hence `dead_code` is allowed.
#![allow(dead_code, unused_imports)]

pub use ferry_testkit::{alone, ccc_server, certs, faulty, gate, harness, queue, scripted, unftp};

pub mod cli;
pub mod gui;
pub mod home;
#[cfg(all(unix, feature = "vsftpd-tests"))]
pub mod vsftpd;
