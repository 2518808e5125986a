//! An in-process libunftp server on 127.0.0.1, with a filesystem back end
//! in a temporary folder and user/password logins, plain or FTPS.

use std::net::TcpStream;
use std::path::PathBuf;
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use tokio::sync::oneshot;
use unftp_core::auth::{AuthenticationError, Authenticator, Credentials, Principal};

use super::certs::{TestCert, generate};

/// How the server offers TLS.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tls {
    None,
    /// AUTH TLS offered, plain FTP allowed too.
    Explicit,
    /// AUTH TLS required for control and data connections.
    ExplicitRequired,
}

pub struct UnftpOptions {
    pub tls: Tls,
    pub user: String,
    pub password: String,
    pub greeting: String,
}

impl Default for UnftpOptions {
    fn default() -> UnftpOptions {
        UnftpOptions {
            tls: Tls::None,
            user: "alice".to_string(),
            password: "s3cret-pw".to_string(),
            greeting: "Welcome to the Ferry test server".to_string(),
        }
    }
}

pub struct UnftpServer {
    pub port: u16,
    pub root: tempfile::TempDir,
    cert: Option<TestCert>,
    _cert_dir: Option<tempfile::TempDir>,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<thread::JoinHandle<()>>,
}

/// Accepts exactly one user and password.
#[derive(Debug)]
struct OneUser {
    user: String,
    password: String,
}

#[async_trait]
impl Authenticator for OneUser {
    async fn authenticate(
        &self,
        username: &str,
        creds: &Credentials,
    ) -> Result<Principal, AuthenticationError> {
        if username != self.user {
            return Err(AuthenticationError::BadUser);
        }
        if creds.password.as_deref() != Some(self.password.as_str()) {
            return Err(AuthenticationError::BadPassword);
        }
        Ok(Principal {
            username: username.to_string(),
        })
    }
}

impl UnftpServer {
    /// Plain FTP with the default user.
    pub fn plain() -> UnftpServer {
        UnftpServer::start(UnftpOptions::default())
    }

    pub fn start(options: UnftpOptions) -> UnftpServer {
        let root = tempfile::tempdir().expect("a temporary server root");
        let port = free_port();
        let (cert, cert_dir) = match options.tls {
            Tls::None => (None, None),
            _ => {
                let cert = generate(&["localhost", "127.0.0.1"]);
                let dir = tempfile::tempdir().expect("a folder for the certificate");
                std::fs::write(dir.path().join("cert.pem"), &cert.cert_pem).expect("write cert");
                std::fs::write(dir.path().join("key.pem"), &cert.key_pem).expect("write key");
                (Some(cert), Some(dir))
            }
        };
        let fs_root = root.path().to_path_buf();
        let authenticator = Arc::new(OneUser {
            user: options.user.clone(),
            password: options.password.clone(),
        });
        // libunftp wants a 'static greeting; a test leaks a few bytes.
        let greeting: &'static str = Box::leak(options.greeting.clone().into_boxed_str());
        let mut builder = libunftp::ServerBuilder::with_authenticator(
            Box::new(move || unftp_sbe_fs::Filesystem::new(fs_root.clone()).expect("fs back end")),
            authenticator,
        )
        .greeting(greeting)
        .passive_host(libunftp::options::PassiveHost::Ip([127, 0, 0, 1].into()))
        .passive_ports(50000..=65000)
        .idle_session_timeout(60);
        if let Some(dir) = &cert_dir {
            builder = builder.ftps(dir.path().join("cert.pem"), dir.path().join("key.pem"));
            if options.tls == Tls::ExplicitRequired {
                builder = builder.ftps_required(
                    libunftp::options::FtpsRequired::All,
                    libunftp::options::FtpsRequired::All,
                );
            }
        }
        let (stop, stopped) = oneshot::channel::<()>();
        let builder = builder.shutdown_indicator(async move {
            let _ = stopped.await;
            libunftp::options::Shutdown::new().grace_period(Duration::from_millis(100))
        });
        let server = builder.build().expect("build the libunftp server");
        let thread = thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .expect("a tokio runtime");
            runtime.block_on(async move {
                let _ = server.listen(format!("127.0.0.1:{port}")).await;
            });
        });
        wait_until_listening(port);
        UnftpServer {
            port,
            root,
            cert,
            _cert_dir: cert_dir,
            stop: Some(stop),
            thread: Some(thread),
        }
    }

    pub fn path(&self, rel: &str) -> PathBuf {
        self.root.path().join(rel)
    }

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

/// A free loopback port below Linux's ephemeral range (32768 and up), so
/// no client socket of a parallel test can take it between this check and
/// the server's bind; a per-process counter keeps the servers of one test
/// binary apart.
pub fn free_port() -> u16 {
    use std::sync::atomic::{AtomicU16, Ordering};
    static NEXT: AtomicU16 = AtomicU16::new(0);
    let base = 20_000 + (std::process::id() % 60) as u16 * 200;
    for _ in 0..200 {
        let port = base + NEXT.fetch_add(1, Ordering::Relaxed) % 200;
        if std::net::TcpListener::bind(("127.0.0.1", port)).is_ok() {
            return port;
        }
    }
    panic!("no free port in {base}..{}", base + 200);
}

fn wait_until_listening(port: u16) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        if TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return;
        }
        thread::sleep(Duration::from_millis(20));
    }
    panic!("the libunftp server did not listen on 127.0.0.1:{port} within 10 s");
}
