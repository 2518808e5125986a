//! Running one test in a process of its own.
//!
//! Some checks are about the whole process: its peak memory, its threads,
//! its open files, its environment. Tests in one binary run in parallel
//! threads of one process, so such a check made there would see the other
//! tests too, and could pass or fail for their reasons. A test that needs
//! the process to itself starts `alone(name)`: in the test run it runs
//! the test binary again with only that test, in a child process, asserts
//! that the child ran it and it passed, and returns `false` (the caller
//! returns); in the child it returns `true` and the test goes on.

use std::ffi::OsStr;
use std::process::Command;

/// Set in the child: the name of the test it runs.
const CHILD: &str = "FERRY_TEST_ALONE";

/// See the module's doc. `name` is the test's function name (the test
/// binary's filter, matched exactly).
pub fn alone(name: &str) -> bool {
    alone_with(name, &[])
}

/// As [`alone`], with environment variables set for the child.
pub fn alone_with(name: &str, env: &[(&str, &OsStr)]) -> bool {
    if std::env::var_os(CHILD).is_some_and(|child| child == name) {
        return true;
    }
    let mut child = Command::new(std::env::current_exe().expect("the test binary"));
    child
        .args([name, "--exact", "--nocapture", "--test-threads=1"])
        .env(CHILD, name);
    for (key, value) in env {
        child.env(key, value);
    }
    let output = child.output().expect("the test binary runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    // "1 passed": the child ran this very test, not an empty filter.
    assert!(
        output.status.success() && stdout.contains("1 passed"),
        "{name} in a process of its own failed:\n{stdout}\n{stderr}"
    );
    false
}
