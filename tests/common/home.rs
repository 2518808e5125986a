//! Tests that touch the desktop's trash run in a home of their own.
//!
//! The trash crate finds the trash through `XDG_DATA_HOME` (else `HOME`),
//! read from the environment each time. Setting those inside the test
//! process is `unsafe` (other threads read the environment), which the
//! crate forbids; so such a test runs itself again in a child process
//! started with both pointing into a fresh temporary folder. Nothing a
//! test does can then reach the real user's trash.

use std::path::PathBuf;
use std::process::Command;

/// Set in the child: the private home it was given.
const CHILD: &str = "FERRY_TEST_PRIVATE_HOME";

/// In the test process, runs the test `name` (its function name) again in
/// a child with a private home, asserts that it ran and passed, and
/// returns `None`: the caller returns. In the child, returns the home
/// (whose `.local/share/Trash` is the trash), having checked that it is
/// the one the parent made.
pub fn private_home(name: &str) -> Option<PathBuf> {
    if let Some(home) = std::env::var_os(CHILD) {
        let home = PathBuf::from(home);
        assert_eq!(
            std::env::var_os("HOME").map(PathBuf::from),
            Some(home.clone())
        );
        assert_eq!(
            std::env::var_os("XDG_DATA_HOME").map(PathBuf::from),
            Some(home.join(".local/share"))
        );
        return Some(home);
    }
    let home = tempfile::tempdir().expect("a temporary home");
    let output = Command::new(std::env::current_exe().expect("the test binary"))
        .args([name, "--exact", "--nocapture", "--test-threads=1"])
        .env(CHILD, home.path())
        .env("HOME", home.path())
        .env("XDG_DATA_HOME", home.path().join(".local/share"))
        .output()
        .expect("the test binary runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    // "1 passed": the child ran this very test, not an empty filter.
    assert!(
        output.status.success() && stdout.contains("1 passed"),
        "{name} in a private home failed:\n{stdout}\n{stderr}"
    );
    None
}
