//! Real servers and drivers for Ferry's tests, on 127.0.0.1 only: an
//! in-process libunftp server (plain and FTPS), a scripted server for
//! replies that break the rules on purpose, a fault-injecting server, a
//! server that clears its command channel (CCC), test certificates, a
//! harness around an engine connection, and `alone` for tests that need a
//! process of their own, and Debian's sshd for SFTP. Shared by the engine's tests and the app's.

pub mod alone;
pub mod ccc_server;
pub mod certs;
pub mod faulty;
pub mod gate;
pub mod harness;
pub mod queue;
pub mod scripted;
#[cfg(unix)]
pub mod sshd;
pub mod unftp;
