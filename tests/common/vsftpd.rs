//! Debian's vsftpd on 127.0.0.1, started by the test with its own
//! configuration file, for the behaviour of a widely deployed server that
//! libunftp does not show: a Unix LIST format, real system logins through
//! PAM, and FTPS that insists on TLS session reuse for data connections.
//!
//! Needs root (vsftpd binds, reads the key and switches to the user) and
//! `apt-get install vsftpd`; only tests behind the `vsftpd-tests` feature
//! use it, and they fail loudly rather than skip when it is missing.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU32, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use super::certs::{TestCert, generate};

const VSFTPD: &str = "/usr/sbin/vsftpd";
/// The system user the tests log in as, created on first use.
pub const USER: &str = "ferrytest";
pub const PASSWORD: &str = "ferrytest-pw";
pub const BANNER: &str = "Welcome to the Ferry vsftpd";
/// Passive data ports, above Linux's ephemeral range (32768-60999) so
/// client sockets do not hold them. vsftpd picks a random port in the
/// range and retries when the bind fails, so parallel servers can share
/// it (the libunftp fixture uses the same range, for the same reasons).
const PASSIVE_PORTS: (u16, u16) = (61000, 65535);
/// How long `start` waits for the 220 greeting.
const STARTUP_DEADLINE: Duration = Duration::from_secs(10);
/// A chosen control port can be taken between our check and vsftpd's
/// bind; then vsftpd exits and we try another.
const START_ATTEMPTS: u32 = 5;

/// How the server speaks TLS.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Plain,
    /// AUTH TLS required for logins and data.
    Explicit {
        require_ssl_reuse: bool,
    },
    /// TLS from the first byte (vsftpd's `implicit_ssl`).
    Implicit,
}

/// A running vsftpd; dropping it kills the process group and waits.
pub struct Vsftpd {
    pub port: u16,
    /// A fresh folder owned by `user`; tests address files there by
    /// absolute path (the login starts in the user's home, one level up).
    pub home: PathBuf,
    pub user: String,
    pub password: String,
    cert: Option<TestCert>,
    child: Child,
    /// The configuration, certificate and key (readable by root only).
    _dir: tempfile::TempDir,
}

impl Vsftpd {
    /// Plain FTP (active and passive mode allowed).
    pub fn start() -> Vsftpd {
        Vsftpd::launch(Mode::Plain, "")
    }

    /// Plain FTP with extra configuration lines (e.g. `local_max_rate=N`
    /// to make a transfer slow enough to interrupt).
    pub fn start_with(extra: &str) -> Vsftpd {
        Vsftpd::launch(Mode::Plain, extra)
    }

    /// Explicit FTPS required for logins and data (PROT P), with a
    /// self-signed certificate for `localhost` and `127.0.0.1`. With
    /// `require_ssl_reuse`, vsftpd refuses a data connection that does not
    /// resume the control connection's TLS session.
    pub fn start_tls(require_ssl_reuse: bool) -> Vsftpd {
        Vsftpd::launch(Mode::Explicit { require_ssl_reuse }, "")
    }

    /// Implicit FTPS (TLS from the first byte; port chosen like the
    /// others, not 990), data over TLS required, session reuse required.
    pub fn start_implicit_tls() -> Vsftpd {
        Vsftpd::launch(Mode::Implicit, "")
    }

    /// The server's certificate, for TLS servers.
    pub fn cert(&self) -> Option<&TestCert> {
        self.cert.as_ref()
    }

    fn launch(mode: Mode, extra: &str) -> Vsftpd {
        assert!(
            Path::new(VSFTPD).exists(),
            "vsftpd not installed: apt-get install vsftpd ({VSFTPD} is missing)"
        );
        let (uid, gid, user_home) = ensure_user();
        let dir = tempfile::tempdir().expect("a temporary folder for vsftpd's configuration");
        let empty = dir.path().join("empty");
        std::fs::create_dir(&empty).expect("vsftpd's secure_chroot_dir");
        let cert = (mode != Mode::Plain).then(|| {
            let cert = generate(&["localhost", "127.0.0.1"]);
            cert.write_pem_files(dir.path());
            cert
        });

        let mut last_error = String::new();
        for _ in 0..START_ATTEMPTS {
            let port = free_port();
            let home = user_home.join(format!("run-{port}-{}", std::process::id()));
            let config = dir.path().join("vsftpd.conf");
            let text = config_text(mode, port, dir.path(), &empty) + extra;
            std::fs::write(&config, text).expect("write vsftpd.conf");
            let mut child = Command::new(VSFTPD)
                .arg(&config)
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::piped())
                // Its own process group, so Drop also ends session processes.
                .process_group(0)
                .spawn()
                .unwrap_or_else(|e| panic!("could not run {VSFTPD}: {e}"));
            match wait_until_ready(port, mode, &mut child) {
                Ok(()) => {
                    make_work_folder(&home, uid, gid);
                    return Vsftpd {
                        port,
                        home,
                        user: USER.to_string(),
                        password: PASSWORD.to_string(),
                        cert,
                        child,
                        _dir: dir,
                    };
                }
                Err(why) => {
                    kill_group(&mut child);
                    let mut stderr = String::new();
                    if let Some(mut pipe) = child.stderr.take() {
                        let _ = pipe.read_to_string(&mut stderr);
                    }
                    last_error = format!("port {port}: {why}; vsftpd's stderr: {stderr:?}");
                }
            }
        }
        panic!(
            "vsftpd ({mode:?}) did not start after {START_ATTEMPTS} attempts; last: {last_error}"
        );
    }
}

impl Drop for Vsftpd {
    fn drop(&mut self) {
        kill_group(&mut self.child);
        let _ = std::fs::remove_dir_all(&self.home);
    }
}

/// vsftpd forks a process per session; kill the whole group, then reap.
fn kill_group(child: &mut Child) {
    let _ = Command::new("kill")
        .args(["-KILL", "--", &format!("-{}", child.id())])
        .stderr(Stdio::null())
        .status();
    let _ = child.kill();
    let _ = child.wait();
}

fn config_text(mode: Mode, port: u16, dir: &Path, empty: &Path) -> String {
    let mut c = format!(
        "listen=YES\n\
         listen_ipv6=NO\n\
         listen_address=127.0.0.1\n\
         listen_port={port}\n\
         background=NO\n\
         local_enable=YES\n\
         write_enable=YES\n\
         anonymous_enable=NO\n\
         pasv_enable=YES\n\
         pasv_min_port={}\n\
         pasv_max_port={}\n\
         port_enable=YES\n\
         connect_from_port_20=NO\n\
         seccomp_sandbox=NO\n\
         isolate=NO\n\
         isolate_network=NO\n\
         pam_service_name=vsftpd\n\
         xferlog_enable=NO\n\
         utf8_filesystem=YES\n\
         chroot_local_user=NO\n\
         local_umask=022\n\
         delay_failed_login=0\n\
         dirmessage_enable=NO\n\
         secure_chroot_dir={}\n\
         ftpd_banner={BANNER}\n",
        PASSIVE_PORTS.0,
        PASSIVE_PORTS.1,
        empty.display(),
    );
    if mode != Mode::Plain {
        let require_ssl_reuse = match mode {
            Mode::Explicit { require_ssl_reuse } => require_ssl_reuse,
            _ => true,
        };
        let yes = |b: bool| if b { "YES" } else { "NO" };
        // vsftpd 3.0.3 in Debian has no per-version switches beyond
        // `ssl_tlsv1`, which (with OpenSSL's TLS_server_method) allows
        // TLS 1.0 through 1.3; rustls then negotiates 1.3 or 1.2.
        c.push_str(&format!(
            "ssl_enable=YES\n\
             implicit_ssl={}\n\
             rsa_cert_file={}\n\
             rsa_private_key_file={}\n\
             allow_anon_ssl=NO\n\
             force_local_logins_ssl=YES\n\
             force_local_data_ssl=YES\n\
             require_ssl_reuse={}\n\
             ssl_ciphers=HIGH\n\
             ssl_tlsv1=YES\n\
             ssl_sslv2=NO\n\
             ssl_sslv3=NO\n",
            yes(mode == Mode::Implicit),
            dir.join("cert.pem").display(),
            dir.join("key.pem").display(),
            yes(require_ssl_reuse),
        ));
    }
    c
}

/// Waits for a 220 greeting (plain and explicit) or an accepted TCP
/// connection (implicit: the greeting comes inside TLS); fails early if
/// vsftpd exits (e.g. it could not bind) or says `500 OOPS`.
fn wait_until_ready(port: u16, mode: Mode, child: &mut Child) -> Result<(), String> {
    let deadline = Instant::now() + STARTUP_DEADLINE;
    let mut last = String::from("no connection");
    while Instant::now() < deadline {
        if let Ok(Some(status)) = child.try_wait() {
            return Err(format!("vsftpd exited with {status}"));
        }
        match TcpStream::connect((Ipv4Addr::LOCALHOST, port)) {
            Ok(_) if mode == Mode::Implicit => return Ok(()),
            Ok(stream) => {
                let _ = stream.set_read_timeout(Some(STARTUP_DEADLINE));
                let mut line = String::new();
                let _ = BufReader::new(&stream).read_line(&mut line);
                let _ = (&stream).write_all(b"QUIT\r\n");
                if line.starts_with("220") {
                    return Ok(());
                }
                // A 500 OOPS is a configuration error: retrying won't help.
                return Err(format!("first line {:?}", line.trim_end()));
            }
            Err(e) => last = e.to_string(),
        }
        thread::sleep(Duration::from_millis(20));
    }
    Err(format!(
        "no 220 greeting within {STARTUP_DEADLINE:?} ({last})"
    ))
}

/// A port below Linux's ephemeral range (so client sockets never hold it)
/// that is free right now; spread by process id so parallel test binaries
/// start in different places.
fn free_port() -> u16 {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let seed = std::process::id().wrapping_mul(7919);
    for _ in 0..1000 {
        let n = seed.wrapping_add(NEXT.fetch_add(1, Ordering::Relaxed).wrapping_mul(97));
        let port = 20_000 + (n % 12_000) as u16;
        if TcpListener::bind((Ipv4Addr::LOCALHOST, port)).is_ok() {
            return port;
        }
    }
    panic!("no free port between 20000 and 32000 on 127.0.0.1");
}

/// Creates the login user once per process (idempotent: tolerates another
/// test or test binary having made it) and sets its password. Returns its
/// uid, gid and home folder.
fn ensure_user() -> (u32, u32, PathBuf) {
    static USER_READY: OnceLock<Result<(u32, u32, PathBuf), String>> = OnceLock::new();
    USER_READY
        .get_or_init(|| {
            if lookup_user().is_none() {
                let out = Command::new("useradd")
                    .args(["-m", "-s", "/bin/bash", USER])
                    .output()
                    .map_err(|e| format!("run useradd (tests must run as root): {e}"))?;
                // 9: the user exists (a parallel test binary made it).
                if !out.status.success() && out.status.code() != Some(9) {
                    return Err(format!(
                        "useradd {USER} failed ({}): {} (tests must run as root)",
                        out.status,
                        String::from_utf8_lossy(&out.stderr).trim()
                    ));
                }
            }
            set_password()?;
            let (uid, gid, home) =
                lookup_user().ok_or_else(|| format!("user {USER} missing after useradd"))?;
            std::fs::create_dir_all(&home).map_err(|e| format!("{}: {e}", home.display()))?;
            std::os::unix::fs::chown(&home, Some(uid), Some(gid))
                .map_err(|e| format!("chown {}: {e}", home.display()))?;
            // Readable by all, writable by the owner only: what vsftpd
            // and PAM expect of a home folder.
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&home, std::fs::Permissions::from_mode(0o755))
                .map_err(|e| format!("chmod {}: {e}", home.display()))?;
            Ok((uid, gid, home))
        })
        .clone()
        .unwrap_or_else(|e| panic!("cannot prepare the vsftpd login user: {e}"))
}

/// chpasswd locks /etc/shadow; another process holding the lock makes it
/// fail, so try a few times.
fn set_password() -> Result<(), String> {
    let mut last = String::new();
    for _ in 0..20 {
        let mut child = Command::new("chpasswd")
            .stdin(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| format!("run chpasswd: {e}"))?;
        let _ = child
            .stdin
            .take()
            .expect("chpasswd's stdin")
            .write_all(format!("{USER}:{PASSWORD}\n").as_bytes());
        let out = child
            .wait_with_output()
            .map_err(|e| format!("chpasswd: {e}"))?;
        if out.status.success() {
            return Ok(());
        }
        last = String::from_utf8_lossy(&out.stderr).trim().to_string();
        thread::sleep(Duration::from_millis(100));
    }
    Err(format!("chpasswd failed: {last}"))
}

/// uid, gid and home of `USER` from /etc/passwd.
fn lookup_user() -> Option<(u32, u32, PathBuf)> {
    let passwd = std::fs::read_to_string("/etc/passwd").ok()?;
    passwd.lines().find_map(|line| {
        let f: Vec<&str> = line.split(':').collect();
        (f.len() >= 7 && f[0] == USER)
            .then(|| Some((f[2].parse().ok()?, f[3].parse().ok()?, PathBuf::from(f[5]))))
            .flatten()
    })
}

fn make_work_folder(home: &Path, uid: u32, gid: u32) {
    let _ = std::fs::remove_dir_all(home);
    std::fs::create_dir(home).unwrap_or_else(|e| panic!("create {}: {e}", home.display()));
    std::os::unix::fs::chown(home, Some(uid), Some(gid))
        .unwrap_or_else(|e| panic!("chown {}: {e}", home.display()));
}
