//! Tests that touch the desktop's trash run in a home of their own.
//!
//! The trash crate finds the trash through `XDG_DATA_HOME` (else `HOME`),
//! read from the environment each time. Setting those inside the test
//! process is `unsafe` (other threads read the environment), which the
//! crate forbids; so such a test runs itself again in a child process
//! started with both pointing into a fresh temporary folder. Nothing a
//! test does can then reach the real user's trash.

use std::path::PathBuf;

use super::alone::alone_with;

/// In the test process, runs the test `name` (its function name) again in
/// a child with a private home, asserts that it ran and passed, and
/// returns `None`: the caller returns. In the child, returns the home
/// (whose `.local/share/Trash` is the trash), having checked that it is
/// the one the parent made.
pub fn private_home(name: &str) -> Option<PathBuf> {
    let home = tempfile::tempdir().expect("a temporary home");
    let data = home.path().join(".local/share");
    if !alone_with(
        name,
        &[
            ("HOME", home.path().as_os_str()),
            ("XDG_DATA_HOME", data.as_os_str()),
        ],
    ) {
        return None;
    }
    // The child: its home is the one its parent made, not this new one.
    drop(home);
    let home = PathBuf::from(std::env::var_os("HOME").expect("HOME is set"));
    assert_eq!(
        std::env::var_os("XDG_DATA_HOME").map(PathBuf::from),
        Some(home.join(".local/share"))
    );
    assert!(
        home.starts_with(std::env::temp_dir()),
        "{} is not a private home",
        home.display()
    );
    Some(home)
}
