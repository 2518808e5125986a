//! Runs the real `ferry` binary the way a script would.

use std::io::Write;
use std::process::{Command, Output, Stdio};

/// The outcome of one `ferry` run.
pub struct Run {
    pub status: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    fn from(output: Output) -> Run {
        Run {
            status: output.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }

    /// Panics with everything the run printed unless it exited with `status`.
    pub fn expect_status(self, status: i32) -> Run {
        assert_eq!(
            self.status, status,
            "exit status\n--- stdout\n{}\n--- stderr\n{}",
            self.stdout, self.stderr
        );
        self
    }
}

/// `ferry ARGS…` with a clean environment for passwords.
pub fn ferry(args: &[&str]) -> Run {
    ferry_with(args, &[], None)
}

/// `ferry ARGS…` with extra environment variables and optional stdin.
pub fn ferry_with(args: &[&str], env: &[(&str, &str)], stdin: Option<&str>) -> Run {
    let mut command = Command::new(env!("CARGO_BIN_EXE_ferry"));
    command
        .args(args)
        .env_remove("FERRY_PASSWORD")
        .env_remove("FERRY_TARGET_PASSWORD")
        .env_remove("FERRY_ACCOUNT")
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (key, value) in env {
        command.env(key, value);
    }
    let mut child = command.spawn().expect("run the ferry binary");
    if let Some(input) = stdin {
        let mut pipe = child.stdin.take().expect("stdin pipe");
        pipe.write_all(input.as_bytes()).expect("write stdin");
    }
    Run::from(child.wait_with_output().expect("ferry finishes"))
}

/// `ferry ARGS…` whose reader goes away after `lines` lines of its
/// standard output, as `ferry ls … | head -N` does (0: before it writes
/// anything). `stdout` holds the lines read.
pub fn ferry_read_lines(args: &[&str], env: &[(&str, &str)], lines: usize) -> Run {
    use std::io::BufRead;
    let mut command = Command::new(env!("CARGO_BIN_EXE_ferry"));
    command
        .args(args)
        .env_remove("FERRY_PASSWORD")
        .env_remove("FERRY_TARGET_PASSWORD")
        .env_remove("FERRY_ACCOUNT")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (key, value) in env {
        command.env(key, value);
    }
    let mut child = command.spawn().expect("run the ferry binary");
    let stdout = child.stdout.take().expect("stdout pipe");
    let mut read = String::new();
    {
        let mut reader = std::io::BufReader::new(stdout);
        for _ in 0..lines {
            if reader.read_line(&mut read).unwrap_or(0) == 0 {
                break;
            }
        }
        // Dropping the reader closes the pipe's only read end.
    }
    let output = child.wait_with_output().expect("ferry finishes");
    Run {
        status: output.status.code().unwrap_or(-1),
        stdout: read,
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// `ferry ARGS…` with extra environment variables, and the peak resident
/// memory it reached (KiB, from /proc while it runs, Linux).
pub fn ferry_measured(args: &[&str], env: &[(&str, &str)]) -> (Run, u64) {
    let mut command = Command::new(env!("CARGO_BIN_EXE_ferry"));
    command
        .args(args)
        .env_remove("FERRY_PASSWORD")
        .env_remove("FERRY_TARGET_PASSWORD")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (key, value) in env {
        command.env(key, value);
    }
    let child = command.spawn().expect("run the ferry binary");
    let status = format!("/proc/{}/status", child.id());
    let peak = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
    let watcher = {
        let peak = peak.clone();
        std::thread::spawn(move || {
            while let Ok(text) = std::fs::read_to_string(&status) {
                let hwm = text
                    .lines()
                    .find(|l| l.starts_with("VmHWM:"))
                    .and_then(|l| l.split_whitespace().nth(1))
                    .and_then(|n| n.parse().ok());
                match hwm {
                    Some(kib) => peak.fetch_max(kib, std::sync::atomic::Ordering::Relaxed),
                    // A zombie has no memory lines: it has ended.
                    None => break,
                };
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
        })
    };
    let run = Run::from(child.wait_with_output().expect("ferry finishes"));
    let _ = watcher.join();
    (run, peak.load(std::sync::atomic::Ordering::Relaxed))
}
