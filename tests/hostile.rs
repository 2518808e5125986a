//! A server that lies, stalls or points elsewhere: each scenario scripted
//! over real sockets on loopback, each expected behaviour asserted.

mod common;

use std::fs;
use std::io::Write;
use std::net::TcpListener;
use std::time::{Duration, Instant};

#[cfg(target_os = "linux")]
use common::alone::alone;
#[cfg(target_os = "linux")]
use common::harness::peak_rss_kib;
use common::harness::{Harness, options};
use common::scripted::{Peer, ScriptedServer};
use ferry::engine::{Command, Error, Outcome};

fn login(peer: &mut Peer) {
    peer.reply("220 hostile");
    peer.command();
    peer.reply("331 Password please");
    peer.command();
    peer.reply("230 In");
}

/// The usual after-login replies; `None` for what the scenario handles.
fn usual(command: &str) -> Option<String> {
    let verb = command.split_whitespace().next().unwrap_or_default();
    Some(
        match verb {
            "FEAT" => "211-Features:\r\n SIZE\r\n EPSV\r\n211 End",
            "TYPE" => "200 Type set",
            "PWD" => "257 \"/\"",
            "OPTS" => "200 OK",
            "QUIT" => "221 Bye",
            "NOOP" => "200 OK",
            "ABOR" => "226 No transfer",
            _ => "502 Not implemented",
        }
        .to_string(),
    )
}

/// Serves the script's session until `verb` arrives (answered by the
/// scenario), answering everything else as usual; returns that command.
fn until(peer: &mut Peer, verb: &str, data_port: u16) -> Option<String> {
    loop {
        let command = peer.command()?;
        if command.starts_with(verb) {
            return Some(command);
        }
        let reply = match command.split_whitespace().next().unwrap_or_default() {
            "EPSV" => format!("229 Entering Extended Passive Mode (|||{data_port}|)"),
            _ => usual(&command)?,
        };
        peer.reply(&reply);
    }
}

/// A passive data listener on loopback, and its port.
fn data_listener() -> (TcpListener, u16) {
    let data = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = data.local_addr().unwrap().port();
    (data, port)
}

/// Says 150 and takes the client's data connection.
fn accept_data(peer: &mut Peer, data: &TcpListener) -> std::net::TcpStream {
    peer.reply("150 Here it comes");
    data.accept().unwrap().0
}

fn quick(port: u16) -> ferry::engine::ConnectOptions {
    let mut opts = options(port, "u", "p");
    opts.timeout = Duration::from_secs(2);
    opts
}

#[test]
fn a_transfer_that_stalls_half_way_ends_in_a_timeout_and_keeps_the_part() {
    let server = ScriptedServer::start(|peer| {
        login(peer);
        let (data, port) = data_listener();
        until(peer, "SIZE", port);
        peer.reply("213 100000");
        until(peer, "RETR", port);
        let mut socket = accept_data(peer, &data);
        socket.write_all(&[7u8; 30_000]).unwrap();
        // …and then nothing, for longer than the client waits.
        std::thread::sleep(Duration::from_secs(6));
        drop(socket);
    });
    let local = tempfile::tempdir().unwrap();
    let target = local.path().join("stall.bin");
    let mut h = Harness::new(1);
    h.connect(quick(server.port));
    let started = Instant::now();
    let err = h
        .call(Command::Download {
            remote: "stall.bin".into(),
            local: target.clone(),
            resume: false,
            size: None,
            fetch_time: false,
        })
        .unwrap_err();
    assert!(matches!(err, Error::Timeout(_)), "{err:?}");
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    let part = ferry::engine::part_path(&target).expect("a partial file of ours");
    assert_eq!(fs::read(&part).unwrap().len(), 30_000);
    assert!(!target.exists());
}

#[test]
fn a_reply_that_stalls_half_way_ends_in_a_timeout() {
    let server = ScriptedServer::start(|peer| {
        login(peer);
        until(peer, "SYST", 0);
        peer.send(b"215-This reply never");
        std::thread::sleep(Duration::from_secs(6));
    });
    let mut h = Harness::new(1);
    h.connect(quick(server.port));
    let started = Instant::now();
    let err = h.call(Command::Raw("SYST".into())).unwrap_err();
    assert!(
        matches!(err, Error::Timeout(_) | Error::Connection(_)),
        "{err:?}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
}

#[test]
fn a_short_transfer_reported_as_complete_is_a_failure_and_keeps_the_part() {
    let server = ScriptedServer::start(|peer| {
        login(peer);
        let (data, port) = data_listener();
        until(peer, "SIZE", port);
        peer.reply("213 1000");
        until(peer, "RETR", port);
        let mut socket = accept_data(peer, &data);
        socket.write_all(&[1u8; 600]).unwrap();
        drop(socket);
        // It claims success although 400 bytes are missing.
        peer.reply("226 Transfer complete");
        peer.serve(usual);
    });
    let local = tempfile::tempdir().unwrap();
    let target = local.path().join("short.bin");
    let mut h = Harness::new(1);
    h.connect(quick(server.port));
    let err = h
        .call(Command::Download {
            remote: "short.bin".into(),
            local: target.clone(),
            resume: false,
            size: None,
            fetch_time: false,
        })
        .unwrap_err();
    assert!(matches!(err, Error::Protocol(_)), "{err:?}");
    assert!(err.to_string().contains("600 of 1000"), "{err}");
    assert_eq!(
        fs::read(ferry::engine::part_path(&target).unwrap())
            .unwrap()
            .len(),
        600
    );
    assert!(!target.exists());
}

#[test]
fn a_pasv_reply_pointing_elsewhere_is_not_followed_so_its_bytes_never_arrive() {
    let server = ScriptedServer::start(|peer| {
        login(peer);
        // The honest data listener, on the control connection's peer…
        let good = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = good.local_addr().unwrap().port();
        // …and a second one on another loopback address, same port, that
        // would serve other bytes to whoever connects in the next seconds.
        let evil = TcpListener::bind(("127.0.0.2", port)).expect("bind 127.0.0.2");
        evil.set_nonblocking(true).unwrap();
        std::thread::spawn(move || {
            for _ in 0..50 {
                if let Ok((mut socket, _)) = evil.accept() {
                    let _ = socket.write_all(b"EVIL BYTES");
                    return;
                }
                std::thread::sleep(Duration::from_millis(100));
            }
        });
        loop {
            let Some(command) = peer.command() else {
                return;
            };
            let reply = match command.split_whitespace().next().unwrap_or_default() {
                "EPSV" => "500 EPSV not understood".to_string(),
                "PASV" => format!(
                    "227 Entering Passive Mode (127,0,0,2,{},{})",
                    port / 256,
                    port % 256
                ),
                "SIZE" => "213 10".to_string(),
                "RETR" => {
                    peer.reply("150 Here it comes");
                    let (mut socket, _) = good.accept().unwrap();
                    socket.write_all(b"GOOD BYTES").unwrap();
                    drop(socket);
                    "226 Done".to_string()
                }
                _ => match usual(&command) {
                    Some(reply) => reply,
                    None => return,
                },
            };
            peer.reply(&reply);
        }
    });
    let local = tempfile::tempdir().unwrap();
    let target = local.path().join("f.bin");
    let mut h = Harness::new(2);
    h.connect(quick(server.port));
    let result = h.call(Command::Download {
        remote: "f.bin".into(),
        local: target.clone(),
        resume: false,
        size: None,
        fetch_time: false,
    });
    assert!(result.is_ok(), "{result:?}\n{}", h.log_text().join("\n"));
    assert_eq!(fs::read(&target).unwrap(), b"GOOD BYTES");
}

#[test]
fn an_epsv_port_nobody_listens_on_fails_fast_and_clearly() {
    let server = ScriptedServer::start(|peer| {
        login(peer);
        // A port that was free a moment ago: nobody listens there now.
        let closed = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        until(peer, "LIST", closed);
        peer.reply("150 Here it comes");
        peer.serve(usual);
    });
    let mut h = Harness::new(1);
    h.connect(quick(server.port));
    let started = Instant::now();
    let err = h.call(Command::List(None)).unwrap_err();
    assert!(
        matches!(err, Error::Connection(_) | Error::Timeout(_)),
        "{err:?}"
    );
    assert!(started.elapsed() < Duration::from_secs(5));
}

#[cfg(target_os = "linux")]
#[test]
fn twenty_connect_and_disconnect_cycles_leak_no_threads_or_sockets() {
    // Its peak memory, threads and files are its own (common::alone).
    if !alone("twenty_connect_and_disconnect_cycles_leak_no_threads_or_sockets") {
        return;
    }
    let server = common::unftp::UnftpServer::plain();
    let count = |dir: &str| fs::read_dir(dir).map(|d| d.count()).unwrap_or(0);
    let mut h = Harness::new(0);
    // One cycle first, so lazy one-time set-up is not counted as a leak.
    h.connect(options(server.port, "alice", "s3cret-pw"));
    h.call(Command::Disconnect).unwrap();
    std::thread::sleep(Duration::from_millis(200));
    let (threads, fds) = (count("/proc/self/task"), count("/proc/self/fd"));
    for _ in 0..20 {
        h.connect(options(server.port, "alice", "s3cret-pw"));
        let Ok(Outcome::Listing(_)) = h.call(Command::List(None)) else {
            panic!()
        };
        h.call(Command::Disconnect).unwrap();
    }
    std::thread::sleep(Duration::from_millis(300));
    let (threads_after, fds_after) = (count("/proc/self/task"), count("/proc/self/fd"));
    // The in-process server's own tokio threads may vary by one or two.
    assert!(
        threads_after <= threads + 2,
        "{threads} → {threads_after} threads"
    );
    assert!(fds_after <= fds + 4, "{fds} → {fds_after} file descriptors");
}

#[cfg(target_os = "linux")]
#[test]
fn an_endless_multi_line_reply_ends_as_a_protocol_error_with_bounded_memory() {
    // Its peak memory, threads and files are its own (common::alone).
    if !alone("an_endless_multi_line_reply_ends_as_a_protocol_error_with_bounded_memory") {
        return;
    }
    let server = ScriptedServer::start(|peer| {
        login(peer);
        until(peer, "SYST", 0);
        // A multi-line reply whose last line never comes: 256 MiB of
        // well-formed continuation lines, unless the client stops first.
        peer.send(b"215-Here is some system information\r\n");
        let lines = b" more and more and more and more and more and more text\r\n".repeat(1024);
        for _ in 0..(256 * 1024 * 1024 / lines.len()) {
            peer.send(&lines);
        }
    });
    let mut h = Harness::new(0);
    h.connect(quick(server.port));
    let before = peak_rss_kib();
    let err = h.call(Command::Raw("SYST".into())).unwrap_err();
    assert!(matches!(err, Error::Protocol(_)), "{err:?}");
    let grown = peak_rss_kib().saturating_sub(before);
    assert!(grown < 64 * 1024, "peak memory grew by {grown} KiB");
}

/// Serves one LIST whose data is `body` (repeated `times`), then 226.
fn serve_listing(body: Vec<u8>, times: usize) -> ScriptedServer {
    ScriptedServer::start(move |peer| {
        login(peer);
        let (data, port) = data_listener();
        until(peer, "LIST", port);
        let mut socket = accept_data(peer, &data);
        for _ in 0..times {
            if socket.write_all(&body).is_err() {
                break;
            }
        }
        drop(socket);
        peer.reply("226 Done");
        peer.serve(usual);
    })
}

/// Lists what `server` serves, expecting a protocol error that names
/// `limit`, and that peak memory grew by less than 160 MiB meanwhile (the
/// caller runs alone: the peak is its own).
#[cfg(target_os = "linux")]
fn listing_fails_with_bounded_memory(server: &ScriptedServer, limit: &str) {
    let mut h = Harness::new(0);
    let mut opts = quick(server.port);
    opts.timeout = Duration::from_secs(10);
    h.connect(opts);
    let before = peak_rss_kib();
    let err = h.call(Command::List(None)).unwrap_err();
    assert!(matches!(err, Error::Protocol(_)), "{err:?}");
    assert!(err.to_string().contains(limit), "{err}");
    let grown = peak_rss_kib().saturating_sub(before);
    assert!(grown < 160 * 1024, "peak memory grew by {grown} KiB");
}

#[cfg(target_os = "linux")]
#[test]
fn a_listing_of_hundreds_of_mib_ends_as_a_protocol_error_with_bounded_memory() {
    // Its peak memory, threads and files are its own (common::alone).
    if !alone("a_listing_of_hundreds_of_mib_ends_as_a_protocol_error_with_bounded_memory") {
        return;
    }
    let line = b"-rw-r--r--    1 ftp      ftp          1234 Jan 02 03:04 a-file-name-of-some-length.txt\r\n";
    let block = line.repeat(8 * 1024);
    // 300 MiB, or until the client hangs up; the cap is 64 MiB of text.
    let times = 300 * 1024 * 1024 / block.len();
    listing_fails_with_bounded_memory(&serve_listing(block, times), "MiB");
}

#[test]
fn a_latin1_name_on_a_utf8_site_is_shown_escaped_and_fetched_by_its_real_bytes() {
    let server = ScriptedServer::start(|peer| {
        login(peer);
        let (data, port) = data_listener();
        until(peer, "LIST", port);
        let mut socket = accept_data(peer, &data);
        socket
            .write_all(b"-rw-r--r--    1 ftp      ftp             5 Jan 02 03:04 caf\xe9.txt\r\n")
            .unwrap();
        drop(socket);
        peer.reply("226 Done");
        // The download must ask for the very bytes the listing had.
        until(peer, "RETR", port);
        let asked = peer.received.last().cloned().unwrap_or_default();
        if asked == b"RETR caf\xe9.txt" {
            let mut socket = accept_data(peer, &data);
            socket.write_all(b"bytes").unwrap();
            drop(socket);
            peer.reply("226 Done");
        } else {
            peer.reply("550 No such file");
        }
        peer.serve(usual);
    });
    let mut h = Harness::new(1);
    h.connect(quick(server.port));
    let Ok(Outcome::Listing(ferry::engine::Listing { entries, .. })) = h.call(Command::List(None))
    else {
        panic!("{:?}", h.log_text())
    };
    assert_eq!(entries.len(), 1);
    let name = entries[0].name.clone();
    assert_eq!(ferry::engine::display_name(&name), "caf\\xE9.txt");
    let local = tempfile::tempdir().unwrap();
    let target = local.path().join(&name);
    let result = h.call(Command::Download {
        remote: name,
        local: target.clone(),
        resume: false,
        size: None,
        fetch_time: false,
    });
    assert!(result.is_ok(), "{result:?}");
    assert_eq!(fs::read(&target).unwrap(), b"bytes");
}

/// Sends `line` once a second until the client hangs up (a minute at most).
fn drip(peer: &mut Peer, line: &str) {
    for _ in 0..60 {
        if peer.try_send(format!("{line}\r\n").as_bytes()).is_err() {
            return;
        }
        std::thread::sleep(Duration::from_secs(1));
    }
}

/// Writes one byte a second to `socket` until the client hangs up.
fn drip_bytes(socket: &mut std::net::TcpStream, byte: u8) {
    for _ in 0..60 {
        if socket.write_all(&[byte]).is_err() {
            return;
        }
        std::thread::sleep(Duration::from_secs(1));
    }
}

/// The scenario's deadline: each test's timeout is 2 s, and a stall must
/// end within three of them however the server spaces its bytes.
fn assert_ends_in_time(started: Instant) {
    assert!(
        started.elapsed() < Duration::from_secs(6),
        "{:?}",
        started.elapsed()
    );
}

#[test]
fn a_greeting_dripped_a_line_a_second_times_out() {
    let server = ScriptedServer::start(|peer| drip(peer, "220-Welcome, and welcome again"));
    let started = Instant::now();
    let err = Harness::new(0)
        .call(Command::Connect(quick(server.port)))
        .unwrap_err();
    assert!(matches!(err, Error::Timeout(_)), "{err:?}");
    assert!(err.to_string().contains("within 2 s"), "{err}");
    assert_ends_in_time(started);
}

#[test]
fn a_login_reply_dripped_a_line_a_second_times_out() {
    let server = ScriptedServer::start(|peer| {
        peer.reply("220 hostile");
        peer.command();
        drip(peer, "331-Password, please, in a moment");
    });
    let started = Instant::now();
    let err = Harness::new(0)
        .call(Command::Connect(quick(server.port)))
        .unwrap_err();
    assert!(matches!(err, Error::Timeout(_)), "{err:?}");
    assert_ends_in_time(started);
}

#[test]
fn a_command_reply_dripped_a_line_a_second_times_out_and_the_session_recovers() {
    let server = ScriptedServer::start(|peer| {
        login(peer);
        until(peer, "SYST", 0);
        drip(peer, "215-UNIX, more or less");
    });
    let mut h = Harness::new(0);
    h.connect(quick(server.port));
    let started = Instant::now();
    let err = h.call(Command::Raw("SYST".into())).unwrap_err();
    assert!(matches!(err, Error::Timeout(_)), "{err:?}");
    assert_ends_in_time(started);
}

#[test]
fn a_transfer_reply_dripped_after_the_data_times_out() {
    let server = ScriptedServer::start(|peer| {
        login(peer);
        let (data, port) = data_listener();
        until(peer, "SIZE", port);
        peer.reply("213 5");
        until(peer, "RETR", port);
        let mut socket = accept_data(peer, &data);
        socket.write_all(b"hello").unwrap();
        drop(socket);
        drip(peer, "226-Nearly there");
    });
    let local = tempfile::tempdir().unwrap();
    let target = local.path().join("f.bin");
    let mut h = Harness::new(0);
    h.connect(quick(server.port));
    let started = Instant::now();
    let err = h
        .call(Command::Download {
            remote: "f.bin".into(),
            local: target.clone(),
            resume: false,
            size: None,
            fetch_time: false,
        })
        .unwrap_err();
    assert!(matches!(err, Error::Timeout(_)), "{err:?}");
    assert_ends_in_time(started);
    assert!(!target.exists());
}

#[test]
fn download_data_dripped_a_byte_a_second_times_out_and_keeps_the_part() {
    let server = ScriptedServer::start(|peer| {
        login(peer);
        let (data, port) = data_listener();
        until(peer, "SIZE", port);
        peer.reply("213 100000");
        until(peer, "RETR", port);
        let mut socket = accept_data(peer, &data);
        drip_bytes(&mut socket, 7);
    });
    let local = tempfile::tempdir().unwrap();
    let target = local.path().join("drip.bin");
    let mut h = Harness::new(0);
    h.connect(quick(server.port));
    let started = Instant::now();
    let err = h
        .call(Command::Download {
            remote: "drip.bin".into(),
            local: target.clone(),
            resume: false,
            size: None,
            fetch_time: false,
        })
        .unwrap_err();
    assert!(matches!(err, Error::Timeout(_)), "{err:?}");
    assert!(err.to_string().contains("stalled"), "{err}");
    assert_ends_in_time(started);
    let part = ferry::engine::part_path(&target).expect("the bytes that came are kept");
    assert!(!fs::read(part).unwrap().is_empty());
}

#[test]
fn a_listing_dripped_a_byte_a_second_times_out() {
    let server = ScriptedServer::start(|peer| {
        login(peer);
        let (data, port) = data_listener();
        until(peer, "LIST", port);
        let mut socket = accept_data(peer, &data);
        drip_bytes(&mut socket, b'-');
    });
    let mut h = Harness::new(0);
    h.connect(quick(server.port));
    let started = Instant::now();
    let err = h.call(Command::List(None)).unwrap_err();
    assert!(matches!(err, Error::Timeout(_)), "{err:?}");
    assert_ends_in_time(started);
}

#[test]
fn an_upload_the_server_stops_reading_times_out() {
    let server = ScriptedServer::start(|peer| {
        login(peer);
        let (data, port) = data_listener();
        until(peer, "STOR", port);
        let _socket = accept_data(peer, &data);
        // Reads nothing more, and answers nothing, until the client goes.
        while peer.command().is_some() {}
    });
    let local = tempfile::tempdir().unwrap();
    let source = local.path().join("big.bin");
    fs::write(&source, vec![3u8; 32 * 1024 * 1024]).unwrap();
    let mut h = Harness::new(0);
    h.connect(quick(server.port));
    let started = Instant::now();
    let err = h
        .call(Command::Upload {
            local: source,
            remote: "big.bin".into(),
            resume: false,
        })
        .unwrap_err();
    assert!(matches!(err, Error::Timeout(_)), "{err:?}");
    assert_ends_in_time(started);
}

/// A size of 2^64 - 1 with bytes trickling in made the ETA overflow a
/// `Duration`: the queue's thread panicked and `get` exited 0 with only a
/// partial file on disk. Now the ETA is unknown, the stall ends in a
/// timeout, and the exit status says the file did not arrive.
#[test]
fn a_size_of_two_to_the_64_with_a_trickle_is_a_failure_not_a_panic() {
    let server = ScriptedServer::start(|peer| {
        peer.greet_and_log_in("220 hostile");
        let mut data = None;
        while let Some(command) = peer.command() {
            let verb = command.split_whitespace().next().unwrap_or_default();
            match verb {
                "SIZE" => peer.reply(&format!("213 {}", u64::MAX)),
                "PASV" => {
                    let (listener, port) = data_listener();
                    data = Some(listener);
                    peer.reply(&format!(
                        "227 Entering Passive Mode (127,0,0,1,{},{})",
                        port / 256,
                        port % 256
                    ));
                }
                "RETR" => {
                    let Some(listener) = data.take() else {
                        peer.reply("425 Use PASV first");
                        continue;
                    };
                    let mut socket = accept_data(peer, &listener);
                    // A byte every two seconds: under one byte a second.
                    for _ in 0..4 {
                        if socket.write_all(b"x").is_err() {
                            break;
                        }
                        std::thread::sleep(Duration::from_secs(2));
                    }
                    drop(socket);
                    peer.reply("426 Gave up");
                }
                _ => peer.reply(&common::scripted::minimal_reply(&command)),
            }
        }
    });
    let local = tempfile::tempdir().unwrap();
    let target = local.path().join("huge.bin");
    let url = format!("ftp://u:p@127.0.0.1:{}/huge.bin", server.port);
    let run = common::cli::ferry(&[
        "--timeout",
        "6",
        "get",
        "--retries",
        "0",
        "-j",
        "1",
        &url,
        target.to_str().unwrap(),
    ]);
    assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
    assert_ne!(run.status, 0, "{}", run.stderr);
    assert!(run.stderr.contains("1 failed"), "{}", run.stderr);
    assert!(!target.exists());
}

#[cfg(target_os = "linux")]
#[test]
fn millions_of_tiny_listing_lines_end_as_a_protocol_error_with_bounded_memory() {
    // Its peak memory, threads and files are its own (common::alone).
    if !alone("millions_of_tiny_listing_lines_end_as_a_protocol_error_with_bounded_memory") {
        return;
    }
    // Three bytes a line: two million lines are only 6 MiB of text, well
    // under the byte cap, but as strings they would be hundreds of MiB.
    let server = serve_listing(b"x\r\n".repeat(64 * 1024), 2_000_000 / (64 * 1024) + 1);
    listing_fails_with_bounded_memory(&server, "entries");
}

#[test]
fn a_listing_of_unreadable_lines_warns_a_dozen_times_and_is_marked_incomplete() {
    // 5 000 lines no parser understands, and one good file.
    let mut body = b"this is not a listing line at all\r\n".repeat(5_000);
    body.extend_from_slice(b"-rw-r--r--    1 ftp      ftp          1234 Jan 02 03:04 good.txt\r\n");
    let server = serve_listing(body, 1);
    let mut h = Harness::new(0);
    h.connect(quick(server.port));
    let Outcome::Listing(listing) = h.call(Command::List(None)).unwrap() else {
        panic!("not a listing");
    };
    let names: Vec<_> = listing.entries.iter().map(|e| e.name.as_str()).collect();
    assert_eq!(names, ["good.txt"]);
    let why = listing.incomplete.expect("marked incomplete");
    assert!(why.contains("5000 listing line"), "{why}");
    let warnings = h
        .log_text()
        .into_iter()
        .filter(|l| l.contains("listing line"))
        .count();
    assert!(
        (1..=12).contains(&warnings),
        "{warnings} warnings about lines"
    );
}
