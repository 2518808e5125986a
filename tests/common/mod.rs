//! Real servers and drivers for the integration tests. Each test binary
//! uses a subset, hence `dead_code` is allowed.
#![allow(dead_code)]

pub mod alone;
pub mod ccc_server;
pub mod certs;
pub mod cli;
pub mod faulty;
pub mod gate;
pub mod gui;
pub mod harness;
pub mod home;
pub mod queue;
pub mod scripted;
pub mod unftp;
#[cfg(all(unix, feature = "vsftpd-tests"))]
pub mod vsftpd;
