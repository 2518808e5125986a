//! An in-process libunftp server on 127.0.0.1 with a filesystem back end in
//! a temporary folder and user/password logins, plain or FTPS, so `cargo
//! test` talks to a real FTP server without anything installed.
//!
//! The server runs on its own tokio runtime in a background thread; the
//! tests stay synchronous. We accept control connections ourselves on a
//! listener bound to port 0 and hand each one to libunftp's
//! `Server::service`, so the kernel picks the port and parallel tests can
//! never race for it (`Server::listen` only takes an address to bind).

use std::io::{BufRead, BufReader, Write};
use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use libunftp::options::{ActivePassiveMode, FtpsRequired, PassiveHost};
use tokio::sync::oneshot;
use unftp_core::auth::{AuthenticationError, Authenticator, Credentials, DefaultUser, Principal};
use unftp_sbe_fs::Filesystem;

use crate::certs::{TestCert, generate};

/// Passive data ports. Above Linux's default ephemeral range (32768-60999),
/// so client sockets do not occupy them; libunftp picks a random port in
/// the range and retries if the bind fails, so parallel servers sharing
/// the range do not collide.
pub const PASSIVE_PORTS: std::ops::RangeInclusive<u16> = 61000..=65535;

/// How long `start` waits for the greeting before giving up.
const STARTUP_DEADLINE: Duration = Duration::from_secs(10);

/// How the server offers TLS. libunftp 0.24 has no implicit TLS (it only
/// upgrades with AUTH TLS), so there is no `Implicit` variant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tls {
    /// Plain FTP; AUTH TLS is refused with 502.
    None,
    /// AUTH TLS offered, plain FTP allowed too.
    Explicit,
    /// AUTH TLS and PROT P required (control and data, anonymous too).
    ExplicitRequired,
}

/// What the server accepts and says.
#[derive(Debug, Clone)]
pub struct UnftpOptions {
    pub tls: Tls,
    /// The one account that logs in with `password`.
    pub user: String,
    pub password: String,
    /// The text of the 220 greeting (the client's welcome banner).
    pub greeting: String,
    /// If true, user `anonymous` also logs in, with any password.
    pub allow_anonymous: bool,
    /// Passive mode only: PORT and EPRT are refused (and so is FXP).
    pub passive_only: bool,
}

impl Default for UnftpOptions {
    fn default() -> UnftpOptions {
        UnftpOptions {
            tls: Tls::None,
            user: "alice".to_string(),
            password: "s3cret-pw".to_string(),
            greeting: "Welcome to the Ferry test server".to_string(),
            allow_anonymous: false,
            passive_only: false,
        }
    }
}

/// A running server; dropping it stops the server and joins its thread.
pub struct UnftpServer {
    pub port: u16,
    /// The server's root folder: `/` on the server is this folder.
    pub root: tempfile::TempDir,
    cert: Option<TestCert>,
    /// Holds the PEM files libunftp reads (once per control connection).
    _cert_dir: Option<tempfile::TempDir>,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<thread::JoinHandle<()>>,
}

/// Accepts exactly one user and password, and optionally `anonymous`.
/// libunftp answers any error here with 530.
#[derive(Debug)]
struct Accounts {
    user: String,
    password: String,
    allow_anonymous: bool,
}

#[async_trait]
impl Authenticator for Accounts {
    async fn authenticate(
        &self,
        username: &str,
        creds: &Credentials,
    ) -> Result<Principal, AuthenticationError> {
        let ok = if username == self.user {
            if creds.password.as_deref() != Some(self.password.as_str()) {
                return Err(AuthenticationError::BadPassword);
            }
            true
        } else {
            self.allow_anonymous && username == "anonymous"
        };
        if !ok {
            return Err(AuthenticationError::BadUser);
        }
        Ok(Principal {
            username: username.to_string(),
        })
    }
}

type FsServer = libunftp::Server<Filesystem, DefaultUser>;

impl UnftpServer {
    /// Plain FTP with the default options (user `alice`, password `s3cret-pw`).
    pub fn plain() -> UnftpServer {
        UnftpServer::start(UnftpOptions::default())
    }

    /// Starts a server and returns once it has sent its greeting to a
    /// probe connection, so the test's first connect cannot race it.
    pub fn start(options: UnftpOptions) -> UnftpServer {
        let root = tempfile::tempdir().expect("a temporary server root");
        let (cert, cert_dir) = match options.tls {
            Tls::None => (None, None),
            Tls::Explicit | Tls::ExplicitRequired => {
                let cert = generate(&["localhost", "127.0.0.1"]);
                let dir = tempfile::tempdir().expect("a folder for the certificate");
                cert.write_pem_files(dir.path());
                (Some(cert), Some(dir))
            }
        };

        let fs_root = root.path().to_path_buf();
        let cert_paths = cert_dir
            .as_ref()
            .map(|d| (d.path().join("cert.pem"), d.path().join("key.pem")));
        let authenticator = Arc::new(Accounts {
            user: options.user.clone(),
            password: options.password.clone(),
            allow_anonymous: options.allow_anonymous,
        });
        // libunftp wants a 'static greeting; each server leaks a few bytes.
        let greeting: &'static str = Box::leak(options.greeting.clone().into_boxed_str());
        let tls = options.tls;
        let passive_only = options.passive_only;
        // `Server::service` consumes the server, so build one per control
        // connection. They share the authenticator; each has its own TLS
        // config, which its data connections share (session resumption).
        let make_server = move || -> Result<FsServer, libunftp::ServerError> {
            let fs_root = fs_root.clone();
            let mut builder = libunftp::ServerBuilder::with_authenticator(
                Box::new(move || {
                    Filesystem::new(fs_root.clone()).expect("the filesystem back end")
                }),
                authenticator.clone(),
            )
            .greeting(greeting)
            .passive_host(PassiveHost::Ip(Ipv4Addr::LOCALHOST))
            .passive_ports(PASSIVE_PORTS)
            .active_passive_mode(if passive_only {
                ActivePassiveMode::PassiveOnly
            } else {
                ActivePassiveMode::ActiveAndPassive
            });
            if let Some((cert, key)) = &cert_paths {
                builder = builder.ftps(cert.clone(), key.clone());
                if tls == Tls::ExplicitRequired {
                    builder = builder.ftps_required(FtpsRequired::All, FtpsRequired::All);
                }
            }
            builder.build()
        };
        // Surface a configuration error here, with a clear message, rather
        // than in the server thread.
        if let Err(e) = make_server() {
            panic!(
                "libunftp refused the test configuration ({:?}): {e:?}",
                options.tls
            );
        }

        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).expect("bind 127.0.0.1:0");
        let port = listener
            .local_addr()
            .expect("the listener's address")
            .port();
        listener
            .set_nonblocking(true)
            .expect("a non-blocking listener");
        let (stop, mut stopped) = oneshot::channel::<()>();
        let thread = thread::Builder::new()
            .name(format!("unftp-{port}"))
            .spawn(move || {
                let runtime = tokio::runtime::Builder::new_multi_thread()
                    .worker_threads(2)
                    .thread_name(format!("unftp-{port}-worker"))
                    .enable_all()
                    .build()
                    .expect("a tokio runtime for the test server");
                runtime.block_on(async move {
                    let listener =
                        tokio::net::TcpListener::from_std(listener).expect("a tokio listener");
                    loop {
                        tokio::select! {
                            _ = &mut stopped => break,
                            accepted = listener.accept() => match accepted {
                                Ok((stream, _)) => {
                                    let server = make_server().expect("build the libunftp server");
                                    if tls == Tls::None {
                                        tokio::spawn(server.service(stream));
                                    } else {
                                        tokio::spawn(serve_through_auth_tls_guard(server, stream));
                                    }
                                }
                                // E.g. too many open files: back off briefly.
                                Err(_) => tokio::time::sleep(Duration::from_millis(10)).await,
                            },
                        }
                    }
                });
                // Cancels every session; bounded so Drop cannot hang.
                runtime.shutdown_timeout(Duration::from_secs(2));
            })
            .expect("spawn the server thread");

        let server = UnftpServer {
            port,
            root,
            cert,
            _cert_dir: cert_dir,
            stop: Some(stop),
            thread: Some(thread),
        };
        wait_for_greeting(port, &options.greeting);
        server
    }

    /// `rel` inside the server's root folder, for arranging and checking
    /// files behind the server's back.
    pub fn path(&self, rel: &str) -> PathBuf {
        self.root.path().join(rel)
    }

    /// The server's certificate, when TLS is on.
    pub fn cert(&self) -> Option<&TestCert> {
        self.cert.as_ref()
    }
}

impl Drop for UnftpServer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// How long the guard holds back a `234` reply to AUTH TLS.
const AUTH_TLS_HOLD: Duration = Duration::from_millis(40);

/// Works around a race in libunftp 0.24: its AUTH TLS handler replies
/// `234` and only then tells the control loop, through a spawned task and
/// a channel, to start the TLS handshake. If the client's ClientHello
/// reaches the server before the loop sees that message (easy on a busy
/// 2-core machine running tests in parallel: ~18% of 320 parallel logins
/// failed), the loop reads the ClientHello as an FTP command and the
/// client fails with "received corrupt message of type
/// InvalidContentType". The client did nothing wrong, so the fixture
/// relays each control connection through a loopback pair and holds the
/// `234` line back for `AUTH_TLS_HOLD`, giving the loop time to switch
/// before the ClientHello can exist. After that line the relay is a plain
/// byte pipe (TLS passes through untouched); data connections go straight
/// to libunftp.
async fn serve_through_auth_tls_guard(server: FsServer, client: tokio::net::TcpStream) {
    use tokio::io::{AsyncBufReadExt, AsyncWriteExt};
    let Ok(pair) = tokio::net::TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).await else {
        return;
    };
    let Ok(addr) = pair.local_addr() else { return };
    let (Ok(near), Ok((far, _))) =
        tokio::join!(tokio::net::TcpStream::connect(addr), pair.accept())
    else {
        return;
    };
    drop(pair);
    tokio::spawn(server.service(far));

    let (client_read, mut client_write) = client.into_split();
    let (near_read, mut near_write) = near.into_split();
    let upstream = async move {
        let mut client_read = client_read;
        let _ = tokio::io::copy(&mut client_read, &mut near_write).await;
        let _ = near_write.shutdown().await;
    };
    let downstream = async move {
        let mut replies = tokio::io::BufReader::new(near_read);
        let mut line = Vec::new();
        loop {
            line.clear();
            match replies.read_until(b'\n', &mut line).await {
                Ok(0) | Err(_) => break,
                Ok(_) => {}
            }
            let upgrade = line.starts_with(b"234 ");
            if upgrade {
                tokio::time::sleep(AUTH_TLS_HOLD).await;
            }
            if client_write.write_all(&line).await.is_err() {
                break;
            }
            if upgrade {
                // From here on the bytes are TLS records: pass them through.
                let _ = tokio::io::copy(&mut replies, &mut client_write).await;
                break;
            }
        }
        let _ = client_write.shutdown().await;
    };
    tokio::join!(upstream, downstream);
}

/// Connects to the control port and reads the 220 line, then says QUIT.
/// Panics after `STARTUP_DEADLINE` with what was (not) received.
fn wait_for_greeting(port: u16, greeting: &str) {
    let deadline = Instant::now() + STARTUP_DEADLINE;
    let mut last = String::from("nothing yet");
    while Instant::now() < deadline {
        match read_first_line(port) {
            Ok(line) if line.starts_with("220") => return,
            Ok(line) => last = format!("unexpected first line {line:?}"),
            Err(e) => last = e.to_string(),
        }
        thread::sleep(Duration::from_millis(20));
    }
    panic!(
        "the libunftp test server on 127.0.0.1:{port} did not greet ({greeting:?}) within {:?}: {last}",
        STARTUP_DEADLINE
    );
}

fn read_first_line(port: u16) -> std::io::Result<String> {
    let stream = TcpStream::connect_timeout(&(Ipv4Addr::LOCALHOST, port).into(), STARTUP_DEADLINE)?;
    stream.set_read_timeout(Some(STARTUP_DEADLINE))?;
    let mut line = String::new();
    BufReader::new(&stream).read_line(&mut line)?;
    let _ = (&stream).write_all(b"QUIT\r\n");
    Ok(line.trim_end().to_string())
}
