//! Debian's OpenSSH server on 127.0.0.1, started by a test with its own
//! host key, a test user with a password and an authorized key, and its
//! internal SFTP server: the SFTP side of what vsftpd is for FTP.
//!
//! Needs root (sshd, useradd, chpasswd) and `apt-get install
//! openssh-server`; the tests that use it sit behind the `sshd-tests`
//! features and fail loudly, never skip, when something is missing.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

/// The system user the tests log in as, made on first use.
pub const USER: &str = "ferrysftp";
pub const PASSWORD: &str = "ferrysftp-pw";

/// A running sshd; dropping it stops it.
pub struct Sshd {
    pub port: u16,
    /// The server's host key, `.pub` (OpenSSH's one-line format).
    pub host_key_pub: PathBuf,
    /// A private key (no passphrase) authorized for [`USER`].
    pub client_key: PathBuf,
    child: Child,
    dir: tempfile::TempDir,
}

impl Drop for Sshd {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs a command that must succeed.
pub fn run(program: &str, args: &[&str]) -> std::process::Output {
    let out = Command::new(program)
        .args(args)
        .output()
        .unwrap_or_else(|e| {
            panic!("{program} {args:?}: {e} (install openssh-server; run as root)")
        });
    assert!(
        out.status.success(),
        "{program} {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// Makes an ed25519 key pair without a passphrase at `path` (and `.pub`).
pub fn new_key(path: &Path) {
    run(
        "ssh-keygen",
        &[
            "-q",
            "-t",
            "ed25519",
            "-N",
            "",
            "-f",
            path.to_str().expect("a UTF-8 path"),
        ],
    );
}

/// `ssh-keygen -l`'s fingerprint of a `.pub` file (`SHA256:…`).
pub fn fingerprint(public: &Path) -> String {
    let out = run(
        "ssh-keygen",
        &["-lf", public.to_str().expect("a UTF-8 path")],
    );
    String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .nth(1)
        .expect("a fingerprint")
        .to_string()
}

/// The `known_hosts` line that makes the key in the `.pub` file `public`
/// known for 127.0.0.1 on `port`.
pub fn known_hosts_line(public: &Path, port: u16) -> String {
    let key = std::fs::read_to_string(public).expect("a public key");
    let mut fields = key.split_whitespace();
    format!(
        "[127.0.0.1]:{port} {} {}\n",
        fields.next().expect("a key type"),
        fields.next().expect("a key")
    )
}

/// The test user's home folder; the user is made once per process (one
/// made before by another test binary is taken as it is).
pub fn user_home() -> PathBuf {
    static READY: OnceLock<PathBuf> = OnceLock::new();
    READY
        .get_or_init(|| {
            let exists = Command::new("id")
                .arg(USER)
                .output()
                .is_ok_and(|o| o.status.success());
            if !exists {
                let out = Command::new("useradd")
                    .args(["-m", "-s", "/bin/sh", USER])
                    .output()
                    .expect("useradd (tests must run as root)");
                // 9: made meanwhile by a test binary running beside this one.
                assert!(
                    out.status.success() || out.status.code() == Some(9),
                    "useradd: {}",
                    String::from_utf8_lossy(&out.stderr)
                );
            }
            // chpasswd locks /etc/shadow; another process holding the
            // lock makes it fail for a moment.
            let mut set = false;
            for _ in 0..20 {
                let mut child = Command::new("chpasswd")
                    .stdin(Stdio::piped())
                    .spawn()
                    .expect("chpasswd");
                let _ = child
                    .stdin
                    .take()
                    .expect("chpasswd's input")
                    .write_all(format!("{USER}:{PASSWORD}\n").as_bytes());
                if child.wait().is_ok_and(|s| s.success()) {
                    set = true;
                    break;
                }
                std::thread::sleep(Duration::from_millis(100));
            }
            assert!(set, "chpasswd did not set the password of {USER}");
            let out = run("getent", &["passwd", USER]);
            let line = String::from_utf8_lossy(&out.stdout).to_string();
            PathBuf::from(line.trim().split(':').nth(5).expect("a home folder"))
        })
        .clone()
}

/// A fresh folder of the user's (owned by it), for one test.
pub fn user_folder() -> PathBuf {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let dir = user_home().join(format!(
        "t{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    ));
    std::fs::create_dir_all(&dir).expect("a test folder");
    chown_to_user(&dir);
    dir
}

/// Gives `path` (and what is in it) to the test user.
pub fn chown_to_user(path: &Path) {
    run(
        "chown",
        &[
            "-R",
            &format!("{USER}:"),
            path.to_str().expect("a UTF-8 path"),
        ],
    );
}

fn free_port() -> u16 {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let seed = std::process::id().wrapping_mul(7907);
    for _ in 0..1000 {
        let n = seed.wrapping_add(NEXT.fetch_add(1, Ordering::Relaxed).wrapping_mul(89));
        let port = 20_000 + (n % 12_000) as u16;
        if TcpListener::bind((Ipv4Addr::LOCALHOST, port)).is_ok() {
            return port;
        }
    }
    panic!("no free port between 20000 and 32000 on 127.0.0.1");
}

impl Sshd {
    pub fn start() -> Sshd {
        Sshd::start_with("")
    }

    /// With `first` put before the usual configuration: sshd takes the
    /// first value it reads for a keyword, so these win (e.g. passwords
    /// through PAM's keyboard-interactive questions only:
    /// `UsePAM yes\nPasswordAuthentication no\nKbdInteractiveAuthentication yes\n`).
    pub fn start_with(first: &str) -> Sshd {
        user_home();
        let dir = tempfile::tempdir().expect("a folder for sshd");
        // sshd reads authorized_keys as the user: the folder must let it.
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755))
            .expect("chmod the sshd folder");
        let host_key = dir.path().join("host_ed25519");
        let client_key = dir.path().join("client_ed25519");
        new_key(&host_key);
        new_key(&client_key);
        let authorized = dir.path().join("authorized_keys");
        std::fs::copy(client_key.with_extension("pub"), &authorized).expect("authorized_keys");
        std::fs::set_permissions(&authorized, std::fs::Permissions::from_mode(0o644))
            .expect("chmod authorized_keys");
        // Privilege separation's empty folder, which the package's service
        // would make.
        std::fs::create_dir_all("/run/sshd").expect("/run/sshd");
        for _ in 0..5 {
            let port = free_port();
            let config = dir.path().join("sshd_config");
            std::fs::write(
                &config,
                format!(
                    "{first}Port {port}\nListenAddress 127.0.0.1\nHostKey {}\nPidFile {}\n\
                     UsePAM no\nPasswordAuthentication yes\nKbdInteractiveAuthentication no\n\
                     PubkeyAuthentication yes\nAuthorizedKeysFile {}\nStrictModes no\n\
                     PermitRootLogin no\nSubsystem sftp internal-sftp\nLogLevel ERROR\n",
                    host_key.display(),
                    dir.path().join("sshd.pid").display(),
                    authorized.display()
                ),
            )
            .expect("sshd_config");
            let mut child = Command::new("/usr/sbin/sshd")
                .args(["-D", "-e", "-f", config.to_str().expect("a UTF-8 path")])
                .stdout(Stdio::null())
                .stderr(Stdio::piped())
                .spawn()
                .expect("/usr/sbin/sshd (apt-get install openssh-server)");
            let started = Instant::now();
            while started.elapsed() < Duration::from_secs(10) {
                if let Ok(stream) = TcpStream::connect((Ipv4Addr::LOCALHOST, port)) {
                    let mut banner = String::new();
                    let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
                    let _ = BufReader::new(stream).read_line(&mut banner);
                    if banner.starts_with("SSH-2.0") {
                        return Sshd {
                            port,
                            host_key_pub: host_key.with_extension("pub"),
                            client_key,
                            child,
                            dir,
                        };
                    }
                }
                if child.try_wait().ok().flatten().is_some() {
                    break;
                }
                std::thread::sleep(Duration::from_millis(50));
            }
            let _ = child.kill();
            let _ = child.wait();
            let mut err = String::new();
            if let Some(mut stderr) = child.stderr.take() {
                let _ = stderr.read_to_string(&mut err);
            }
            eprintln!("sshd did not start on port {port}: {err}");
        }
        panic!("sshd did not start");
    }

    /// A folder of this server's own for the test's files (keys, known
    /// hosts), removed with it.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// A `known_hosts` file that knows this server's key.
    pub fn known_hosts(&self) -> PathBuf {
        let path = self.dir.path().join("known_hosts");
        if !path.exists() {
            std::fs::write(&path, known_hosts_line(&self.host_key_pub, self.port))
                .expect("known_hosts");
        }
        path
    }

    /// `sftp://ferrysftp@127.0.0.1:PORT` (no password in it).
    pub fn url(&self) -> String {
        format!("sftp://{USER}@127.0.0.1:{}", self.port)
    }
}
