//! A gate in front of a server: TCP connections are taken at once but
//! wait at the gate, without a byte either way, until the test opens it
//! (then they reach the server) or shuts it (then they are closed). So a
//! test can act while a login is in flight, as a person does with a slow
//! or unreachable server. Std only; every socket has a timeout, so no
//! thread outlives the test by long.

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, PoisonError};
use std::thread;
use std::time::Duration;

const IO_TIMEOUT: Duration = Duration::from_secs(20);
/// How long a connection waits at a gate nobody opens or shuts.
const MAX_WAIT: Duration = Duration::from_secs(60);

#[derive(Clone, Copy, PartialEq, Eq)]
enum Way {
    Waiting,
    Open,
    Shut,
}

pub struct Gate {
    pub port: u16,
    way: Arc<(Mutex<Way>, Condvar)>,
    stop: Arc<AtomicBool>,
    /// The client ends of connections let through, for [`Gate::cut`].
    live: Live,
}

type Live = Arc<Mutex<Vec<TcpStream>>>;

impl Gate {
    /// A gate on 127.0.0.1 in front of the server on `server_port`.
    pub fn start(server_port: u16) -> Gate {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        let port = listener.local_addr().expect("local address").port();
        let way = Arc::new((Mutex::new(Way::Waiting), Condvar::new()));
        let shared = Arc::clone(&way);
        let stop = Arc::new(AtomicBool::new(false));
        let stopped = Arc::clone(&stop);
        let live: Live = Arc::default();
        let passing = Arc::clone(&live);
        thread::spawn(move || {
            for client in listener.incoming() {
                let Ok(client) = client else { return };
                if stopped.load(Ordering::SeqCst) {
                    return;
                }
                let way = Arc::clone(&shared);
                let live = Arc::clone(&passing);
                thread::spawn(move || pass(client, server_port, &way, &live));
            }
        });
        Gate {
            port,
            way,
            stop,
            live,
        }
    }

    /// Shuts the gate and also ends every connection it let through, as
    /// a network that went down: the server is out of reach until
    /// [`Gate::open`].
    pub fn cut(&self) {
        self.shut();
        let mut live = self.live.lock().unwrap_or_else(PoisonError::into_inner);
        for stream in live.drain(..) {
            let _ = stream.shutdown(Shutdown::Both);
        }
    }

    /// Lets waiting (and later) connections through to the server.
    pub fn open(&self) {
        self.set(Way::Open);
    }

    /// Closes waiting (and later) connections, as a server that went away.
    pub fn shut(&self) {
        self.set(Way::Shut);
    }

    fn set(&self, way: Way) {
        let (lock, changed) = &*self.way;
        *lock.lock().unwrap_or_else(PoisonError::into_inner) = way;
        changed.notify_all();
    }
}

impl Drop for Gate {
    fn drop(&mut self) {
        self.shut();
        self.stop.store(true, Ordering::SeqCst);
        // Wakes the accept loop, which then finds nobody to serve.
        let _ = TcpStream::connect(("127.0.0.1", self.port));
    }
}

fn pass(client: TcpStream, server_port: u16, way: &(Mutex<Way>, Condvar), live: &Live) {
    let (lock, changed) = way;
    let guard = lock.lock().unwrap_or_else(PoisonError::into_inner);
    let (guard, _) = changed
        .wait_timeout_while(guard, MAX_WAIT, |w| *w == Way::Waiting)
        .unwrap_or_else(PoisonError::into_inner);
    let open = *guard == Way::Open;
    drop(guard);
    if !open {
        let _ = client.shutdown(Shutdown::Both);
        return;
    }
    let Ok(server) = TcpStream::connect(("127.0.0.1", server_port)) else {
        let _ = client.shutdown(Shutdown::Both);
        return;
    };
    for stream in [&client, &server] {
        let _ = stream.set_read_timeout(Some(IO_TIMEOUT));
        let _ = stream.set_write_timeout(Some(IO_TIMEOUT));
    }
    let (Ok(client_in), Ok(server_out)) = (client.try_clone(), server.try_clone()) else {
        return;
    };
    if let Ok(end) = client.try_clone() {
        live.lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(end);
    }
    thread::spawn(move || copy(client_in, server_out));
    copy(server, client);
}

/// Bytes from `from` to `to` until either side ends; then both end.
fn copy(mut from: TcpStream, mut to: TcpStream) {
    let mut buffer = [0u8; 16 * 1024];
    loop {
        match from.read(&mut buffer) {
            Ok(0) | Err(_) => break,
            Ok(n) => {
                if to.write_all(&buffer[..n]).is_err() {
                    break;
                }
            }
        }
    }
    let _ = to.shutdown(Shutdown::Both);
    let _ = from.shutdown(Shutdown::Both);
}
