//! A small FTP server over an in-memory tree, for behaviour real servers
//! will not show on demand: refused connections, transient 450/452 replies,
//! connections that die mid-transfer, slow transfers and hostile listing
//! names. Std only, one thread per control connection, passive mode only.

use std::collections::{BTreeMap, HashMap};
use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// Read and write timeout of every socket, so that no thread hangs forever.
const IO_TIMEOUT: Duration = Duration::from_secs(20);
/// How long a transfer command waits for the client's data connection.
const ACCEPT_TIMEOUT: Duration = Duration::from_secs(10);
const CHUNK: usize = 64 * 1024;
/// Longer command lines (CRLF included) are answered 500 and discarded.
const MAX_LINE: usize = 8 * 1024;
/// The modification time (UTC, as MDTM shows it) of every file a `Tree`
/// starts with, and of every folder and raw entry.
const TREE_MTIME: &str = "20240102030405";

#[derive(Clone)]
enum Node {
    Dir,
    File {
        data: Vec<u8>,
        mtime: String,
    },
    /// A symbolic link: its target as written (relative to its folder, or
    /// absolute). Followed by RETR, SIZE, MDTM, CWD and listings, as Unix
    /// servers do; PWD after a CWD through one names the path as the
    /// client gave it, as servers that keep a logical path do.
    Link {
        target: String,
    },
}

/// An in-memory file tree: absolute paths without trailing slash ("/dir/file").
#[derive(Default, Clone)]
pub struct Tree {
    nodes: BTreeMap<String, Node>,
    /// (folder, raw name, size), listed verbatim; see [`Tree::raw_entry`].
    raw: Vec<(String, String, usize)>,
}

impl Tree {
    pub fn new() -> Tree {
        Tree::default()
    }

    /// A file, modified 2024-01-02 03:04:05 UTC; parent folders are created.
    pub fn file(mut self, path: &str, bytes: impl Into<Vec<u8>>) -> Tree {
        let path = normalize(path);
        self.make_dirs(parent(&path));
        let data = bytes.into();
        let mtime = TREE_MTIME.to_string();
        let node = Node::File { data, mtime };
        self.nodes.insert(path, node);
        self
    }

    /// A symbolic link at `path` to `target` (as `ln -s target path`);
    /// parent folders are created.
    pub fn link(mut self, path: &str, target: &str) -> Tree {
        let path = normalize(path);
        self.make_dirs(parent(&path));
        let node = Node::Link {
            target: target.to_string(),
        };
        self.nodes.insert(path, node);
        self
    }

    /// An (empty) folder; parent folders are created.
    pub fn dir(mut self, path: &str) -> Tree {
        self.make_dirs(&normalize(path));
        self
    }

    /// A raw listing name injected into a folder's listing (MLSD, LIST and
    /// NLST) as a file of `size` bytes; RETR of it (by whatever path the
    /// client builds) also serves those bytes ([`raw_bytes`]). Used for
    /// hostile names like "../x", "/etc/x", "a/../../x", "..\\x", "x\ry",
    /// names with NUL, and a 10 000-char name.
    ///
    /// RETR, SIZE and MDTM find it by `folder + "/" + name` exactly as the
    /// client sends it (absolute, or relative to the current folder), by the
    /// bare name when that is absolute, and last, after the real files, by
    /// that path with "." and ".." resolved ("/dir/../x" also as "/x").
    pub fn raw_entry(mut self, folder: &str, name: &str, size: usize) -> Tree {
        let folder = normalize(folder);
        self.make_dirs(&folder);
        self.raw.push((folder, name.to_string(), size));
        self
    }

    fn make_dirs(&mut self, path: &str) {
        let mut at = String::new();
        for part in path.split('/').filter(|p| !p.is_empty()) {
            at = format!("{at}/{part}");
            self.nodes.entry(at.clone()).or_insert(Node::Dir);
        }
    }
}

/// The bytes served for a raw entry of `size` bytes: "abc…z" repeated.
pub fn raw_bytes(size: usize) -> Vec<u8> {
    (0..size).map(|i| b'a' + (i % 26) as u8).collect()
}

/// What goes wrong, and when. `Default` is a well-behaved server.
#[derive(Default, Clone)]
pub struct Faults {
    /// Answer "421 Too many connections" in the greeting (and close) to a
    /// connection that would make more than this many at once.
    pub max_connections: Option<usize>,
    /// Every connection but the first waits this long before its greeting
    /// (pure-ftpd's logins take seconds): the second and later logins are
    /// still in progress long after the first connection is working.
    pub slow_greeting_after_first: Option<Duration>,
    /// Reads each command with one read and throws away whatever came
    /// with it: a second command sent together with the first is never
    /// answered (servers that mishandle pipelining).
    pub drops_commands_sent_together: bool,
    /// After a RETR's or a listing's data, answers the next command (if
    /// one comes within 300 ms) before the 226, as libunftp may when its data task is
    /// slower than its control loop: replies out of order.
    pub end_reply_after_next_command: bool,
    /// The first N RETR commands (across the whole server) get
    /// "450 File temporarily unavailable" instead of data.
    pub fail_first_retrs: usize,
    /// The first N STOR/APPE commands get "452 Insufficient storage, try later".
    pub fail_first_stores: usize,
    /// On the first RETR (server-wide, once) of a file larger than this many
    /// bytes: send this many bytes from the REST offset (fewer if the file
    /// ends first), then shut down both the data and the control connection
    /// abruptly (no 226, no 426).
    pub drop_retr_after: Option<u64>,
    /// FEAT does not offer MLSD, and MLSD is answered 502.
    pub no_mlsd: bool,
    /// LIST is answered 502 too (with `no_mlsd`: an NLST-only server).
    pub no_list: bool,
    /// Sleep this long between 64 KiB chunks of RETR data, to make a
    /// transfer slow enough to cancel.
    pub retr_chunk_delay: Option<Duration>,
    /// Sleep this long between 64 KiB reads of STOR data, so a test can
    /// change the local file while it is being sent.
    pub stor_chunk_delay: Option<Duration>,
    /// LIST and NLST of a path that is not there answer 150 and 226 with
    /// an empty listing, as vsftpd does.
    pub empty_listing_when_missing: bool,
    /// Folders this login may not enter or read: CWD is refused with 550,
    /// and a listing of one shows only the folder's own line, with 226 (as
    /// vsftpd does for a folder of mode 700 that another user owns).
    pub locked: Vec<String>,
    /// Folders this login may enter but not read: CWD works, and a listing
    /// shows only the folder's own line, with 226 (vsftpd, mode 711).
    pub unreadable: Vec<String>,
    /// The server's clock, for the times it gives stored files: this many
    /// seconds from UTC (a server listing its local time, two hours east).
    pub clock_offset_secs: i64,
    /// XSHA256 (listed in FEAT): `Some(true)` answers each file's digest,
    /// `Some(false)` the digest of other bytes (a copy that went wrong on
    /// the way); `None`: no such command.
    pub xsha256: Option<bool>,
    /// Extra MLSD lines, verbatim, per folder: `(folder, line)`.
    pub raw_mlsd: Vec<(String, String)>,
    /// Listings longer than this are cut to it, and the 226 says so
    /// (pure-ftpd: "226-Output truncated to 10000 matches").
    pub truncate_listings: Option<usize>,
    /// A folder that holds two folders, `a` and `b`, and a 3-byte file
    /// `f`; and so does each of them, for ever.
    pub endless_folder: Option<String>,
    /// RETR sends the file and then keeps sending filler until the client
    /// hangs up (at most [`ENDLESS_CAP`] bytes, so the server stops by
    /// itself); SIZE and listings still tell the real size.
    pub retr_endless: bool,
    /// After accepting a STOR's or APPE's data connection, wait up to a
    /// second for its first bytes (or its end) before saying 150, and
    /// count the uploads whose bytes came first: see
    /// [`FaultyServer::uploads_sent_before_150`].
    pub watch_for_upload_before_150: bool,
}

/// The most filler a `retr_endless` RETR sends after the file.
pub const ENDLESS_CAP: usize = 64 * 1024 * 1024;

struct Shared {
    faults: Faults,
    stop: AtomicBool,
    state: Mutex<State>,
}

impl Shared {
    /// The state, even after a session thread panicked holding it.
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[derive(Default)]
struct State {
    /// See [`Faults::endless_folder`].
    endless: Option<String>,
    nodes: BTreeMap<String, Node>,
    raw: Vec<(String, String, usize)>,
    commands: Vec<String>,
    /// Commands that arrived before the reply to the one in front of them.
    sent_together: usize,
    accepted: usize,
    /// Control connections open now (those greeted with 220).
    open: usize,
    logged_in: usize,
    max_logged_in: usize,
    retrs: usize,
    stores: usize,
    /// Uploads whose bytes arrived before the server said 150.
    sent_before_150: usize,
    dropped_retr: bool,
    /// Open control connections, shut down when the server is dropped.
    live: HashMap<usize, TcpStream>,
}

/// One listing line's worth: name, is a folder, size, modification time,
/// and a link's target.
type Entry = (String, bool, usize, String, Option<String>);

/// How many links a path may pass through, as a kernel bounds it (ELOOP).
const MAX_LINK_HOPS: usize = 40;

impl State {
    fn is_dir(&self, path: &str) -> bool {
        let path = self.resolve(path);
        path == "/" || matches!(self.nodes.get(&path), Some(Node::Dir)) || self.in_endless(&path)
    }

    /// `path` (absolute, normalised) with every link on it followed: the
    /// path of what it names. A loop or a path through too many links
    /// stays where it stopped, which names nothing.
    fn resolve(&self, path: &str) -> String {
        let mut path = path.to_string();
        let mut hops = 0;
        'again: loop {
            let mut at = String::new();
            let parts: Vec<&str> = path.split('/').filter(|p| !p.is_empty()).collect();
            for (i, part) in parts.iter().enumerate() {
                let folder = if at.is_empty() {
                    "/".to_string()
                } else {
                    at.clone()
                };
                at = format!("{at}/{part}");
                if let Some(Node::Link { target }) = self.nodes.get(&at) {
                    hops += 1;
                    if hops > MAX_LINK_HOPS {
                        return path;
                    }
                    let rest = parts[i + 1..].join("/");
                    path = normalize(&format!("{}/{rest}", join(&folder, target)));
                    continue 'again;
                }
            }
            return path;
        }
    }

    fn exists(&self, path: &str) -> bool {
        path == "/" || self.nodes.contains_key(path) || self.endless_file(path).is_some()
    }

    /// Whether `path` is the endless folder or one of the folders below it.
    fn in_endless(&self, path: &str) -> bool {
        let Some(top) = &self.endless else {
            return false;
        };
        path == top
            || path
                .strip_prefix(&format!("{top}/"))
                .is_some_and(|rest| rest.split('/').all(|part| part == "a" || part == "b"))
    }

    /// The bytes of `f` in a folder of the endless tree.
    fn endless_file(&self, path: &str) -> Option<Vec<u8>> {
        let folder = path.strip_suffix("/f")?;
        self.in_endless(folder).then(|| b"abc".to_vec())
    }

    /// The bytes and modification time of the file RETR, SIZE and MDTM name:
    /// raw entries by the exact path, then real files, then raw entries by
    /// the normalised path.
    fn lookup(&self, cwd: &str, arg: &str) -> Option<(Vec<u8>, String)> {
        let exact = join(cwd, arg);
        let normal = normalize(&exact);
        let raw = |by_normal: bool| {
            let hit = |(folder, name, _): &&(String, String, usize)| {
                let key = format!("{}/{name}", folder.trim_end_matches('/'));
                match by_normal {
                    true => normalize(&key) == normal,
                    false => key == exact || (name.starts_with('/') && name == arg),
                }
            };
            let found = self.raw.iter().find(hit);
            found.map(|(_, _, size)| (raw_bytes(*size), TREE_MTIME.to_string()))
        };
        let real = || match self.nodes.get(&self.resolve(&normal)) {
            Some(Node::File { data, mtime }) => Some((data.clone(), mtime.clone())),
            _ => self
                .endless_file(&normal)
                .map(|data| (data, TREE_MTIME.to_string())),
        };
        raw(false).or_else(real).or_else(|| raw(true))
    }

    /// A folder's real children, then its raw entries.
    fn children(&self, dir: &str) -> Vec<Entry> {
        if self.in_endless(dir) {
            let folder = |name: &str| (name.to_string(), true, 4096, TREE_MTIME.to_string(), None);
            let file = ("f".to_string(), false, 3, TREE_MTIME.to_string(), None);
            return vec![folder("a"), folder("b"), file];
        }
        let prefix = format!("{}/", dir.trim_end_matches('/'));
        let below = self.nodes.range(prefix.clone()..);
        let mut entries: Vec<Entry> = below
            .take_while(|(path, _)| path.starts_with(&prefix))
            .filter(|(path, _)| !path[prefix.len()..].contains('/'))
            .map(|(path, node)| entry(base(path), node))
            .collect();
        for (_, name, size) in self.raw.iter().filter(|r| r.0 == dir) {
            entries.push((name.clone(), false, *size, TREE_MTIME.to_string(), None));
        }
        entries
    }
}

fn entry(name: &str, node: &Node) -> Entry {
    match node {
        Node::Dir => (name.to_string(), true, 4096, TREE_MTIME.to_string(), None),
        Node::File { data, mtime } => (name.to_string(), false, data.len(), mtime.clone(), None),
        // The size of a link is the length of its target, as `ls -l` shows.
        Node::Link { target } => (
            name.to_string(),
            false,
            target.len(),
            TREE_MTIME.to_string(),
            Some(target.clone()),
        ),
    }
}

/// The FTP server; it stops accepting when dropped.
pub struct FaultyServer {
    pub port: u16,
    state: Arc<Shared>,
    acceptor: Option<JoinHandle<()>>,
}

impl FaultyServer {
    /// Binds 127.0.0.1:0 and serves `tree`; user "user", any password but "wrong".
    pub fn start(tree: Tree, faults: Faults) -> FaultyServer {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        let port = listener.local_addr().expect("local address").port();
        let (nodes, raw) = (tree.nodes, tree.raw);
        let state = Mutex::new(State {
            endless: faults.endless_folder.as_deref().map(normalize),
            nodes,
            raw,
            ..State::default()
        });
        let stop = AtomicBool::new(false);
        let state = Arc::new(Shared {
            faults,
            stop,
            state,
        });
        let shared = Arc::clone(&state);
        let acceptor = Some(thread::spawn(move || accept_loop(listener, shared)));
        FaultyServer {
            port,
            state,
            acceptor,
        }
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// "ftp://user:pw@127.0.0.1:PORT/{path}" (a leading "/" of `path` is dropped).
    pub fn url(&self, path: &str) -> String {
        let path = path.trim_start_matches('/');
        format!("ftp://user:pw@127.0.0.1:{}/{path}", self.port)
    }

    /// The current contents of a stored file (after uploads); `None` for
    /// folders, raw entries and missing paths.
    pub fn file(&self, path: &str) -> Option<Vec<u8>> {
        match self.state.lock().nodes.get(&normalize(path)) {
            Some(Node::File { data, .. }) => Some(data.clone()),
            _ => None,
        }
    }

    /// Whether a real file or folder exists at `path`.
    pub fn exists(&self, path: &str) -> bool {
        self.state.lock().exists(&normalize(path))
    }

    /// Every command line received, all connections, in order; the PASS
    /// argument shows as "PASS ****". Non-UTF-8 bytes show as U+FFFD; a line
    /// over 8 KiB shows its first 8 KiB.
    pub fn commands(&self) -> Vec<String> {
        self.state.lock().commands.clone()
    }

    /// How many commands arrived before the reply to the one in front.
    pub fn commands_sent_together(&self) -> usize {
        self.state.lock().sent_together
    }

    /// Uploads whose bytes (or end) arrived before the server's 150, with
    /// `watch_for_upload_before_150`.
    pub fn uploads_sent_before_150(&self) -> usize {
        self.state.lock().sent_before_150
    }

    /// Control connections accepted, including those turned away with 421.
    pub fn connections_accepted(&self) -> usize {
        self.state.lock().accepted
    }

    /// The highest number of control connections logged in at the same time.
    pub fn max_concurrent_connections(&self) -> usize {
        self.state.lock().max_logged_in
    }
}

impl Drop for FaultyServer {
    /// Wakes the accept loop with a connection of its own, then cuts every
    /// open control connection so that session threads end promptly too.
    fn drop(&mut self) {
        self.state.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(("127.0.0.1", self.port));
        if let Some(acceptor) = self.acceptor.take() {
            let _ = acceptor.join();
        }
        for stream in self.state.lock().live.values() {
            let _ = stream.shutdown(Shutdown::Both);
        }
    }
}

fn accept_loop(listener: TcpListener, shared: Arc<Shared>) {
    for (id, stream) in listener.incoming().enumerate() {
        if shared.stop.load(Ordering::SeqCst) {
            return;
        }
        let Ok(mut stream) = stream else { continue };
        let _ = stream.set_read_timeout(Some(IO_TIMEOUT));
        let _ = stream.set_write_timeout(Some(IO_TIMEOUT));
        // Counted here, one connection after the other, so the limit has no races.
        let mut state = shared.lock();
        state.accepted += 1;
        if shared
            .faults
            .max_connections
            .is_some_and(|max| state.open >= max)
        {
            drop(state);
            let _ = stream.write_all(b"421 Too many connections\r\n");
            let _ = stream.shutdown(Shutdown::Both);
            continue;
        }
        state.open += 1;
        if let Ok(clone) = stream.try_clone() {
            state.live.insert(id, clone);
        }
        drop(state);
        let shared = Arc::clone(&shared);
        thread::spawn(move || Session::new(shared, id, stream).run());
    }
}

/// One control connection.
struct Session {
    shared: Arc<Shared>,
    id: usize,
    ctrl: BufReader<TcpStream>,
    cwd: String,
    rest: u64,
    /// The listener of the most recent EPSV/PASV.
    pasv: Option<TcpListener>,
    rnfr: Option<String>,
    user: bool,
    logged_in: bool,
    /// Whether this connection no longer counts as open.
    left: bool,
}

impl Drop for Session {
    fn drop(&mut self) {
        self.leave();
    }
}

impl Session {
    fn new(shared: Arc<Shared>, id: usize, stream: TcpStream) -> Session {
        let ctrl = BufReader::new(stream);
        let (cwd, rest, pasv, rnfr) = ("/".to_string(), 0, None, None);
        let (user, logged_in, left) = (false, false, false);
        Session {
            shared,
            id,
            ctrl,
            cwd,
            rest,
            pasv,
            rnfr,
            user,
            logged_in,
            left,
        }
    }

    fn run(mut self) {
        if self.id > 0
            && let Some(delay) = self.shared.faults.slow_greeting_after_first
        {
            thread::sleep(delay);
        }
        if self.reply("220 Faulty FTP server ready").is_err() {
            return;
        }
        while let Ok(Some((line, too_long))) = read_line(&mut self.ctrl) {
            let text = String::from_utf8_lossy(&line).into_owned();
            let (verb, arg) = text.split_once(' ').unwrap_or((&text, ""));
            let verb = verb.to_ascii_uppercase();
            let logged = if verb == "PASS" { "PASS ****" } else { &text };
            let behind = self.ctrl.buffer().len();
            let mut state = self.shared.lock();
            state.commands.push(logged.to_string());
            state.sent_together += usize::from(behind > 0);
            drop(state);
            if behind > 0 && self.shared.faults.drops_commands_sent_together {
                self.ctrl.consume(behind);
            }
            let go_on = if too_long {
                self.reply("500 Command line too long").map(|()| true)
            } else if line.contains(&0) {
                self.reply("501 NUL in command").map(|()| true)
            } else {
                self.handle(&verb, arg)
            };
            if !matches!(go_on, Ok(true)) {
                return;
            }
        }
    }

    fn reply(&mut self, text: &str) -> io::Result<()> {
        let line = format!("{text}\r\n");
        self.ctrl.get_mut().write_all(line.as_bytes())
    }

    /// Stops counting this connection as open and logged in (idempotent).
    fn leave(&mut self) {
        if std::mem::replace(&mut self.left, true) {
            return;
        }
        let mut state = self.shared.lock();
        state.open -= 1;
        state.logged_in -= usize::from(self.logged_in);
        state.live.remove(&self.id);
    }

    /// Answers one command; `Ok(false)` closes the connection.
    fn handle(&mut self, verb: &str, arg: &str) -> io::Result<bool> {
        let public = ["USER", "PASS", "QUIT", "FEAT", "SYST", "OPTS", "NOOP"];
        if !self.logged_in && !public.contains(&verb) {
            self.reply("530 Please log in with USER and PASS")?;
            return Ok(true);
        }
        let path = normalize(&join(&self.cwd, arg));
        let no_mlsd = self.shared.faults.no_mlsd;
        let reply: String = match verb {
            "RETR" => return self.retr(arg),
            "STOR" | "APPE" => return self.store(&path, verb == "APPE").map(|()| true),
            "MLSD" if no_mlsd => "502 MLSD is not offered".into(),
            "LIST" if self.shared.faults.no_list => "502 LIST is not offered".into(),
            "MLSD" | "LIST" | "NLST" => return self.list(verb, arg).map(|()| true),
            "QUIT" => {
                // Leave first, so that a next connection is not refused.
                self.leave();
                self.reply("221 Goodbye")?;
                return Ok(false);
            }
            "USER" => {
                self.user = true;
                "331 Password required".into()
            }
            "PASS" if !self.user => "503 Send USER first".into(),
            "PASS" if arg == "wrong" => "530 Login incorrect".into(),
            "PASS" => {
                if !std::mem::replace(&mut self.logged_in, true) {
                    let mut state = self.shared.lock();
                    state.logged_in += 1;
                    state.max_logged_in = state.max_logged_in.max(state.logged_in);
                }
                "230 Logged in".into()
            }
            "SYST" => "215 UNIX Type: L8".into(),
            // vsftpd's, which names PASS among the commands.
            "HELP" => concat!(
                "214-The following commands are recognized.\r\n",
                " ABOR ACCT ALLO APPE CDUP CWD DELE EPRT EPSV FEAT HELP LIST MDTM MKD\r\n",
                " MODE NLST NOOP OPTS PASS PASV PORT PWD QUIT REIN REST RETR RMD RNFR\r\n",
                "214 Help OK."
            )
            .into(),
            "FEAT" => {
                let mlsd = if no_mlsd { "" } else { " MLSD\r\n" };
                let rest = " MDTM\r\n SIZE\r\n REST STREAM\r\n UTF8\r\n EPSV\r\n MFMT";
                let hash = match self.shared.faults.xsha256 {
                    Some(_) => "\r\n XSHA256",
                    None => "",
                };
                format!("211-Features:\r\n{mlsd}{rest}{hash}\r\n211 End")
            }
            "OPTS" | "TYPE" | "MODE" | "STRU" | "NOOP" => "200 OK".into(),
            "PWD" => format!("257 \"{}\" is the current folder", self.cwd),
            "CWD" | "CDUP" => {
                let path = if verb == "CWD" {
                    path
                } else {
                    parent(&self.cwd).to_string()
                };
                if self.shared.faults.locked.contains(&path) {
                    "550 Failed to change directory.".into()
                } else if !self.shared.lock().is_dir(&path) {
                    "550 No such folder".into()
                } else {
                    self.cwd = path;
                    "250 Folder changed".into()
                }
            }
            "EPSV" | "PASV" => {
                let listener = TcpListener::bind("127.0.0.1:0")?;
                let port = listener.local_addr()?.port();
                self.pasv = Some(listener);
                match verb {
                    "EPSV" => format!("229 Entering Extended Passive Mode (|||{port}|)"),
                    _ => format!(
                        "227 Entering Passive Mode (127,0,0,1,{},{})",
                        port >> 8,
                        port & 0xff
                    ),
                }
            }
            "REST" => match arg.parse() {
                Ok(offset) => {
                    self.rest = offset;
                    format!("350 Restarting at {offset}")
                }
                Err(_) => "501 Bad offset".into(),
            },
            "SIZE" | "MDTM" => match self.shared.lock().lookup(&self.cwd, arg) {
                Some((data, _)) if verb == "SIZE" => format!("213 {}", data.len()),
                Some((_, mtime)) => format!("213 {mtime}"),
                None => "550 No such file".into(),
            },
            "MFMT" => {
                let (stamp, target) = arg.split_once(' ').unwrap_or((arg, ""));
                let target = normalize(&join(&self.cwd, target));
                let mut state = self.shared.lock();
                let valid = stamp.len() == 14 && stamp.bytes().all(|b| b.is_ascii_digit());
                match (valid, state.nodes.get_mut(&target)) {
                    (false, _) => "501 Bad time".into(),
                    (true, Some(Node::File { mtime, .. })) => {
                        *mtime = stamp.to_string();
                        format!("213 Modify={stamp}; {target}")
                    }
                    _ => "550 No such file".into(),
                }
            }
            "XSHA256" if self.shared.faults.xsha256.is_some() => {
                match self.shared.lock().lookup(&self.cwd, arg) {
                    Some((data, _)) => {
                        use sha2::Digest;
                        let mut hasher = sha2::Sha256::new();
                        hasher.update(&data);
                        if self.shared.faults.xsha256 == Some(false) {
                            hasher.update(b"not quite");
                        }
                        let digest: String = hasher
                            .finalize()
                            .iter()
                            .map(|b| format!("{b:02x}"))
                            .collect();
                        format!("250 {digest}")
                    }
                    None => "550 No such file".into(),
                }
            }
            "MKD" | "RMD" | "DELE" | "RNFR" | "RNTO" => self.change_tree(verb, path),
            "ABOR" => "226 No transfer to abort".into(),
            _ => "502 Command not implemented".into(),
        };
        self.reply(&reply)?;
        Ok(true)
    }

    /// MKD, RMD, DELE, RNFR and RNTO; returns the reply.
    fn change_tree(&mut self, verb: &str, path: String) -> String {
        let mut state = self.shared.lock();
        let is_file = matches!(state.nodes.get(&path), Some(Node::File { .. }));
        let reply = match verb {
            "MKD" if state.exists(&path) || !state.is_dir(parent(&path)) => "550 Cannot create",
            "MKD" => {
                state.nodes.insert(path.clone(), Node::Dir);
                return format!("257 \"{path}\" created");
            }
            "RMD" if path == "/" || !state.is_dir(&path) => "550 No such folder",
            "RMD" if !state.children(&path).is_empty() => "550 Folder not empty",
            "DELE" if !is_file => "550 No such file",
            "RMD" | "DELE" => {
                state.nodes.remove(&path);
                "250 Removed"
            }
            "RNFR" if path == "/" || !state.exists(&path) => "550 No such file or folder",
            "RNFR" => {
                self.rnfr = Some(path);
                "350 Ready for RNTO"
            }
            _ => match self.rnfr.take() {
                None => "503 Send RNFR first",
                Some(from) if from == path => "250 Renamed",
                Some(from) if path.starts_with(&format!("{from}/")) => "550 Cannot move inside",
                Some(_) if state.is_dir(&path) || !state.is_dir(parent(&path)) => {
                    "550 Cannot rename there"
                }
                Some(from) => {
                    let inside = format!("{from}/");
                    let keys = state.nodes.keys();
                    let moved: Vec<String> = keys
                        .filter(|k| **k == from || k.starts_with(&inside))
                        .cloned()
                        .collect();
                    for key in moved {
                        let node = state.nodes.remove(&key).expect("listed above");
                        state
                            .nodes
                            .insert(format!("{path}{}", &key[from.len()..]), node);
                    }
                    "250 Renamed"
                }
            },
        };
        reply.to_string()
    }

    /// Waits for the client on `listener` (taken by the transfer command
    /// first, so that a refused transfer uses it up too), then says 150, or
    /// 425 when there is no data connection.
    fn open_data(&mut self, listener: Option<TcpListener>) -> io::Result<Option<TcpStream>> {
        self.open_data_for(listener, false)
    }

    /// [`Session::open_data`]; for an `upload`, see
    /// [`Faults::watch_for_upload_before_150`].
    fn open_data_for(
        &mut self,
        listener: Option<TcpListener>,
        upload: bool,
    ) -> io::Result<Option<TcpStream>> {
        let stream = listener.and_then(|listener| {
            listener.set_nonblocking(true).ok()?;
            let deadline = Instant::now() + ACCEPT_TIMEOUT;
            loop {
                match listener.accept() {
                    Ok((stream, _)) => break Some(stream),
                    Err(e)
                        if e.kind() == io::ErrorKind::WouldBlock && Instant::now() < deadline =>
                    {
                        thread::sleep(Duration::from_millis(5))
                    }
                    Err(_) => break None,
                }
            }
        });
        let Some(stream) = stream.filter(|s| s.set_nonblocking(false).is_ok()) else {
            self.reply("425 No data connection")?;
            return Ok(None);
        };
        if upload && self.shared.faults.watch_for_upload_before_150 {
            stream.set_read_timeout(Some(Duration::from_secs(1)))?;
            if stream.peek(&mut [0u8; 1]).is_ok() {
                self.shared.lock().sent_before_150 += 1;
            }
        }
        stream.set_read_timeout(Some(IO_TIMEOUT))?;
        stream.set_write_timeout(Some(IO_TIMEOUT))?;
        self.reply("150 Opening data connection")?;
        Ok(Some(stream))
    }

    /// Writes `body` in 64 KiB chunks, sleeping `delay` between them, closes
    /// the data connection and says 226, or 426 when the client hung up.
    fn send(&mut self, data: TcpStream, body: &[u8], delay: Option<Duration>) -> io::Result<()> {
        self.send_then(data, body, delay, "226 Transfer complete")
    }

    /// Like [`Session::send`], with `done` as the reply after a whole send.
    fn send_then(
        &mut self,
        mut data: TcpStream,
        body: &[u8],
        delay: Option<Duration>,
        done: &str,
    ) -> io::Result<()> {
        let mut sent = Ok(());
        for (i, chunk) in body.chunks(CHUNK).enumerate() {
            if let (true, Some(delay)) = (i > 0, delay) {
                thread::sleep(delay);
            }
            sent = data.write_all(chunk);
            if sent.is_err() {
                break;
            }
        }
        let _ = data.shutdown(Shutdown::Write);
        drop(data);
        if sent.is_ok() && self.shared.faults.end_reply_after_next_command {
            self.answer_next_command_first()?;
        }
        match sent {
            Ok(()) => self.reply(done),
            Err(_) => self.reply("426 Connection closed; transfer aborted"),
        }
    }

    /// See [`Faults::end_reply_after_next_command`].
    fn answer_next_command_first(&mut self) -> io::Result<()> {
        self.ctrl
            .get_ref()
            .set_read_timeout(Some(Duration::from_millis(300)))?;
        let next = read_line(&mut self.ctrl);
        self.ctrl.get_ref().set_read_timeout(Some(IO_TIMEOUT))?;
        if let Ok(Some((line, _))) = next {
            let text = String::from_utf8_lossy(&line).into_owned();
            self.shared.lock().commands.push(text.clone());
            let (verb, arg) = text.split_once(' ').unwrap_or((&text, ""));
            self.handle(&verb.to_ascii_uppercase(), arg)?;
        }
        Ok(())
    }

    fn retr(&mut self, arg: &str) -> io::Result<bool> {
        let listener = self.pasv.take();
        let offset = std::mem::take(&mut self.rest) as usize;
        let faults = self.shared.faults.clone();
        let mut state = self.shared.lock();
        state.retrs += 1;
        let found = state.lookup(&self.cwd, arg);
        let refusal = match &found {
            _ if state.retrs <= faults.fail_first_retrs => "450 File temporarily unavailable",
            None => "550 No such file",
            Some((data, _)) if offset > data.len() => "554 REST beyond the end of the file",
            Some(_) => "",
        };
        let data = found.map(|(data, _)| data).unwrap_or_default();
        let big = faults.drop_retr_after.filter(|n| data.len() as u64 > *n);
        let drop_after = big.filter(|_| refusal.is_empty() && !state.dropped_retr);
        state.dropped_retr |= drop_after.is_some();
        drop(state);
        if !refusal.is_empty() {
            return self.reply(refusal).map(|()| true);
        }
        let Some(mut stream) = self.open_data(listener)? else {
            return Ok(true);
        };
        let mut body = data[offset..].to_vec();
        if faults.retr_endless {
            body.resize(body.len() + ENDLESS_CAP, b'#');
        }
        let body = &body[..];
        let Some(n) = drop_after else {
            return self
                .send(stream, body, faults.retr_chunk_delay)
                .map(|()| true);
        };
        let _ = stream.write_all(&body[..body.len().min(n as usize)]);
        let _ = stream.shutdown(Shutdown::Both);
        let _ = self.ctrl.get_ref().shutdown(Shutdown::Both);
        Ok(false)
    }

    fn store(&mut self, path: &str, append: bool) -> io::Result<()> {
        let listener = self.pasv.take();
        let offset = std::mem::take(&mut self.rest) as usize;
        let mut state = self.shared.lock();
        state.stores += 1;
        let refused = state.stores <= self.shared.faults.fail_first_stores;
        let misplaced = state.is_dir(path) || !state.is_dir(parent(path));
        drop(state);
        if refused || misplaced {
            return self.reply(match refused {
                true => "452 Insufficient storage, try later",
                false => "550 Cannot store there",
            });
        }
        let Some(mut stream) = self.open_data_for(listener, true)? else {
            return Ok(());
        };
        let mut received = Vec::new();
        let result = match self.shared.faults.stor_chunk_delay {
            None => stream.read_to_end(&mut received).map(|_| ()),
            Some(delay) => read_slowly(&mut stream, &mut received, delay),
        };
        drop(stream);
        if result.is_err() {
            return self.reply("426 Connection lost; nothing stored");
        }
        let mut state = self.shared.lock();
        if state.is_dir(path) || !state.is_dir(parent(path)) {
            drop(state);
            return self.reply("550 Cannot store there");
        }
        let mut data = match state.nodes.remove(path) {
            Some(Node::File { data, .. }) => data,
            _ => Vec::new(),
        };
        if !append {
            data.resize(offset, 0);
        }
        data.extend_from_slice(&received);
        let mtime = now_plus(self.shared.faults.clock_offset_secs);
        state
            .nodes
            .insert(path.to_string(), Node::File { data, mtime });
        drop(state);
        self.reply("226 Stored")
    }

    fn list(&mut self, verb: &str, arg: &str) -> io::Result<()> {
        let listener = self.pasv.take();
        // Skip "ls" options such as "-la" before the path.
        let mut arg = arg.trim_start();
        while verb != "MLSD" && arg.starts_with('-') {
            arg = arg
                .split_once(' ')
                .map_or("", |(_, rest)| rest.trim_start());
        }
        let path = normalize(&join(&self.cwd, arg));
        let shared = Arc::clone(&self.shared);
        let faults = &shared.faults;
        let state = shared.lock();
        let locked = faults.locked.contains(&path) || faults.unreadable.contains(&path);
        let real = state.resolve(&path);
        let entries = match state.nodes.get(&real) {
            // Only the folder's own line, as `ls -ld` would show it.
            _ if locked => Some(vec![(
                base(&path).to_string(),
                true,
                4096,
                TREE_MTIME.into(),
                None,
            )]),
            _ if state.is_dir(&path) => Some(state.children(&real)),
            Some(node) => Some(vec![entry(base(&path), node)]),
            None if faults.empty_listing_when_missing && verb != "MLSD" => Some(Vec::new()),
            None => None,
        };
        drop(state);
        let Some(mut entries) = entries else {
            return self.reply("550 No such file or folder");
        };
        let mut done = "226 Transfer complete".to_string();
        if let Some(max) = faults.truncate_listings.filter(|max| entries.len() > *max) {
            let total = entries.len();
            entries.truncate(max);
            done = format!("226-Output truncated to {max} matches\r\n226 {total} matches total");
        }
        let mut text: String = entries.iter().map(|e| listing_line(verb, e)).collect();
        if verb == "MLSD" && !locked {
            for (_, line) in faults.raw_mlsd.iter().filter(|(f, _)| normalize(f) == path) {
                text.push_str(line);
                text.push_str("\r\n");
            }
        }
        match self.open_data(listener)? {
            Some(stream) => self.send_then(stream, text.as_bytes(), None, &done),
            None => Ok(()),
        }
    }
}

/// One line of an MLSD, LIST (as `ls -l` shows it) or NLST listing.
fn listing_line(verb: &str, (name, dir, size, mtime, link): &Entry) -> String {
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let (kind, perms) = match (dir, link) {
        (_, Some(target)) => (format!("OS.unix=slink:{target}"), "lrwxrwxrwx    1"),
        (true, None) => ("dir".to_string(), "drwxr-xr-x    2"),
        (false, None) => ("file".to_string(), "-rw-r--r--    1"),
    };
    let name = match (verb, link) {
        ("LIST", Some(target)) => format!("{name} -> {target}"),
        _ => name.clone(),
    };
    let field = |at: usize| &mtime[at..at + 2];
    let month = MONTHS[field(4).parse::<usize>().map_or(0, |m| m.clamp(1, 12) - 1)];
    let (day, hour, minute) = (field(6), field(8), field(10));
    match verb {
        "MLSD" => format!("type={kind};size={size};modify={mtime}; {name}\r\n"),
        "LIST" => {
            format!("{perms} ftp      ftp      {size:>8} {month} {day} {hour}:{minute} {name}\r\n")
        }
        _ => format!("{name}\r\n"),
    }
}

/// Reads one command line without its CRLF, keeping at most `MAX_LINE`
/// bytes; the flag says the line was longer (the rest is read and dropped,
/// so memory stays bounded). `None` at EOF.
fn read_line(reader: &mut BufReader<TcpStream>) -> io::Result<Option<(Vec<u8>, bool)>> {
    let (mut line, mut skipped) = (Vec::new(), Vec::new());
    let mut limited = reader.take(MAX_LINE as u64);
    if limited.read_until(b'\n', &mut line)? == 0 {
        return Ok(None);
    }
    let too_long = !line.ends_with(b"\n") && line.len() == MAX_LINE;
    while too_long && !skipped.ends_with(b"\n") {
        skipped.clear();
        limited.set_limit(MAX_LINE as u64);
        if limited.read_until(b'\n', &mut skipped)? == 0 {
            break;
        }
    }
    let end = line.strip_suffix(b"\n").map_or(line.len(), <[u8]>::len);
    let end = line[..end].strip_suffix(b"\r").map_or(end, <[u8]>::len);
    line.truncate(end);
    Ok(Some((line, too_long)))
}

/// Reads to EOF in 64 KiB steps with a pause after each.
fn read_slowly(stream: &mut impl Read, into: &mut Vec<u8>, delay: Duration) -> io::Result<()> {
    let mut chunk = vec![0u8; 64 * 1024];
    loop {
        match stream.read(&mut chunk)? {
            0 => return Ok(()),
            n => into.extend_from_slice(&chunk[..n]),
        }
        thread::sleep(delay);
    }
}

/// `name` relative to `folder`, or `name` itself when absolute; not normalised.
fn join(folder: &str, name: &str) -> String {
    match name.starts_with('/') {
        true => name.to_string(),
        false => format!("{}/{name}", folder.trim_end_matches('/')),
    }
}

/// An absolute path with "", "." and ".." resolved; ".." stops at the root.
fn normalize(path: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            part => parts.push(part),
        }
    }
    format!("/{}", parts.join("/"))
}

fn parent(path: &str) -> &str {
    match path.rfind('/') {
        Some(0) | None => "/",
        Some(i) => &path[..i],
    }
}

fn base(path: &str) -> &str {
    &path[path.rfind('/').map_or(0, |i| i + 1)..]
}

/// Now as YYYYMMDDHHMMSS (UTC), by Howard Hinnant's days-to-civil algorithm.
fn now_plus(offset_secs: i64) -> String {
    let since = SystemTime::now().duration_since(UNIX_EPOCH);
    let secs = since.map_or(0, |d| d.as_secs() as i64) + offset_secs;
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    let (hour, minute, second) = (rem / 3600, rem % 3600 / 60, rem % 60);
    format!("{year:04}{month:02}{day:02}{hour:02}{minute:02}{second:02}")
}
