//! SSH, for SFTP (issue 20): what Ferry decides itself, whatever SSH
//! library carries the bytes. So far the host keys: which are known,
//! which changed, which are revoked.

pub mod known_hosts;
