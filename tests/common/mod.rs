//! Real servers and drivers for the integration tests.
#![allow(dead_code)]

pub mod certs;
pub mod cli;
pub mod harness;
pub mod scripted;
pub mod unftp;
#[cfg(feature = "vsftpd-tests")]
pub mod vsftpd;
