//! Behaviour that needs a server to break the rules on purpose: each test
//! scripts the replies by hand over real sockets on 127.0.0.1.

use ferry_testkit as common;

use std::io::Write;
use std::net::TcpListener;

use common::alone::alone;
use common::harness::{Harness, options};
use common::scripted::{Peer, ScriptedServer};
use ferry_engine::engine::{Command, Error, Outcome, Secret};
use ferry_engine::listing::EntryKind;

/// Answers the usual post-login commands the way a minimal server would.
fn after_login(command: &str) -> Option<String> {
    let verb = command.split_whitespace().next().unwrap_or_default();
    Some(
        match verb {
            "FEAT" => "211-Features:\r\n SIZE\r\n211 End",
            "TYPE" => "200 Type set",
            "PWD" => "257 \"/\" is the current directory",
            "QUIT" => "221 Bye",
            _ => "502 Not implemented",
        }
        .to_string(),
    )
}

fn login(peer: &mut Peer) {
    peer.reply("220 scripted");
    assert!(peer.command().unwrap().starts_with("USER "));
    peer.reply("331 Password please");
    assert!(peer.command().unwrap().starts_with("PASS "));
    peer.reply("230 In");
}

/// USER, PASS, then "332 Need account".
fn ask_for_account(peer: &mut Peer) {
    peer.reply("220 scripted");
    peer.command();
    peer.reply("331 Password please");
    peer.command();
    peer.reply("332 Need account for login");
}

#[test]
fn acct_is_sent_when_the_server_asks_with_332() {
    let server = ScriptedServer::start(|peer| {
        ask_for_account(peer);
        peer.command();
        peer.reply("230 Logged in with account");
        peer.serve(after_login);
    });
    let mut opts = options(server.port, "bob", "pw");
    opts.account = Some(Secret::new("billing-7"));
    let mut h = Harness::new(1);
    h.connect(opts);
    drop(h);
    let received = server.received();
    assert_eq!(received[2], "ACCT billing-7");
}

#[test]
fn a_332_without_an_account_is_a_clear_error() {
    let server = ScriptedServer::start(|peer| {
        ask_for_account(peer);
        let _ = peer.command();
    });
    let mut h = Harness::new(0);
    let err = h
        .call(Command::Connect(options(server.port, "bob", "pw")))
        .unwrap_err();
    assert!(err.to_string().contains("account"), "{err}");
}

#[test]
fn a_reply_line_over_64_kib_is_a_protocol_error() {
    let server = ScriptedServer::start(|peer| {
        login(peer);
        peer.serve(|command| {
            if command == "NOOP" {
                Some(format!("200 {}", "x".repeat(100 * 1024)))
            } else {
                after_login(command)
            }
        });
    });
    let mut h = Harness::new(0);
    h.connect(options(server.port, "u", "p"));
    let err = h.call(Command::Raw("NOOP".into())).unwrap_err();
    assert!(matches!(err, Error::Protocol(_)), "{err:?}");
}

#[test]
fn an_endless_reply_line_ends_as_a_protocol_error_not_unbounded_memory() {
    let server = ScriptedServer::start(|peer| {
        login(peer);
        peer.serve(|command| {
            if command == "NOOP" {
                None
            } else {
                after_login(command)
            }
        });
        // Several MiB without a newline; the client must stop reading.
        let chunk = vec![b'y'; 64 * 1024];
        peer.send(b"200 ");
        for _ in 0..64 {
            peer.send(&chunk);
        }
    });
    let mut h = Harness::new(0);
    h.connect(options(server.port, "u", "p"));
    let err = h.call(Command::Raw("NOOP".into())).unwrap_err();
    assert!(matches!(err, Error::Protocol(_)), "{err:?}");
}

/// Serves one LIST over a passive data connection on 127.0.0.1, announced
/// in a PASV reply as 127.0.0.2, after refusing EPSV.
fn pasv_server(listing: &'static [u8]) -> ScriptedServer {
    ScriptedServer::start(move |peer| {
        login(peer);
        let data = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = data.local_addr().unwrap().port();
        peer.serve(|command| match command {
            // Offered in FEAT, refused when used: the fallback must work.
            "FEAT" => Some("211-Features:\r\n EPSV\r\n SIZE\r\n211 End".to_string()),
            "EPSV" => Some("500 EPSV not understood".to_string()),
            "PASV" => Some(format!(
                "227 Entering Passive Mode (127,0,0,2,{},{})",
                port / 256,
                port % 256
            )),
            "LIST" => None,
            other => after_login(other),
        });
        peer.reply("150 Here it comes");
        data.set_nonblocking(false).unwrap();
        let (mut socket, _) = data.accept().unwrap();
        socket.write_all(listing).unwrap();
        drop(socket);
        peer.reply("226 Done");
        peer.serve(after_login);
    })
}

/// A logger that takes every record and keeps none: what an embedding
/// application or a test harness may have installed before Ferry.
struct SomeoneElsesLogger;

impl log::Log for SomeoneElsesLogger {
    fn enabled(&self, _: &log::Metadata) -> bool {
        true
    }
    fn log(&self, _: &log::Record) {}
    fn flush(&self) {}
}

/// The EPSV fallback must not depend on reading suppaftp's log: with
/// another logger installed first, Ferry sees none of suppaftp's protocol
/// lines, and still tells a refused EPSV from a refused transfer. On a
/// plain connection Ferry reads the data commands' replies itself, so a
/// listing's final reply is known all the same.
#[test]
fn epsv_refusal_falls_back_to_pasv_with_someone_elses_logger_installed() {
    // The logger is the process's: this test needs one of its own.
    if !alone("epsv_refusal_falls_back_to_pasv_with_someone_elses_logger_installed") {
        return;
    }
    log::set_logger(&SomeoneElsesLogger).unwrap();
    log::set_max_level(log::LevelFilter::Trace);
    let server = pasv_server(b"-rw-r--r--    1 0        0              12 Jan 01 12:00 a.txt\r\n");
    let mut h = Harness::new(2);
    h.connect(options(server.port, "u", "p"));
    let listed = h.call(Command::List(None));
    let Ok(Outcome::Listing(ferry_engine::engine::Listing {
        entries,
        incomplete,
        ..
    })) = listed
    else {
        panic!("{listed:?} {:?}", h.log_text())
    };
    assert_eq!(entries.len(), 1);
    assert_eq!(incomplete, None, "{:?}", h.log_text());
    let log = h.log_text().join("\n");
    assert!(log.contains("refused EPSV"), "{log}");
}

#[test]
fn epsv_refusal_falls_back_to_pasv_and_the_pasv_address_is_ignored() {
    let server = pasv_server(
        b"-rw-r--r--    1 0        0              12 Jan 01 12:00 a.txt\r\n\
          drwxr-xr-x    2 0        0            4096 Jan 01 12:00 sub dir\r\n",
    );
    let mut h = Harness::new(2);
    h.connect(options(server.port, "u", "p"));
    let Ok(Outcome::Listing(ferry_engine::engine::Listing { entries, .. })) =
        h.call(Command::List(None))
    else {
        panic!("{:?}", h.log_text())
    };
    assert_eq!(entries.len(), 2);
    assert_eq!(entries[1].name, "sub dir");
    assert_eq!(entries[1].kind, EntryKind::Dir);
    let log = h.log_text().join("\n");
    assert!(log.contains("using PASV"), "{log}");
    assert!(
        log.contains("Opening data connection to 127.0.0.1:"),
        "{log}"
    );
    // The announced address is logged, but never connected to.
    assert!(
        !log.contains("Opening data connection to 127.0.0.2"),
        "{log}"
    );
    assert!(
        !log.contains("Data connection open with 127.0.0.2"),
        "{log}"
    );
}

#[test]
fn a_421_reply_ends_the_session_and_the_next_request_reconnects() {
    let server = ScriptedServer::start(|peer| {
        login(peer);
        peer.serve(|command| {
            if command == "NOOP" {
                Some("421 Service closing".to_string())
            } else {
                after_login(command)
            }
        });
    });
    let port = server.port;
    let mut h = Harness::new(0);
    h.connect(options(port, "u", "p"));
    let Ok(Outcome::Reply(reply)) = h.call(Command::Raw("NOOP".into())) else {
        panic!()
    };
    assert_eq!(reply.code, 421);
    // The worker reports the lost session right after the reply.
    while !matches!(
        h.next_event().kind,
        ferry_engine::engine::EventKind::Disconnected { .. }
    ) {}
    // The scripted server took its one connection; the reconnect is refused.
    server.received();
    let err = h.call(Command::Pwd).unwrap_err();
    assert!(matches!(err, Error::Connection(_)), "{err:?}");
    assert!(h.log_text().iter().any(|l| l.contains("Reconnecting")));
}

#[test]
fn latin1_names_travel_as_latin1_bytes_both_ways() {
    let server = ScriptedServer::start(|peer| {
        login(peer);
        peer.serve(|command| {
            if command.starts_with("MKD ") {
                None
            } else {
                after_login(command)
            }
        });
        // A 257 reply naming the folder in Latin-1.
        peer.send(b"257 \"/caf\xe9\" created\r\n");
        peer.serve(after_login);
    });
    let mut opts = options(server.port, "u", "p");
    opts.encoding = "latin-1".into();
    let mut h = Harness::new(1);
    h.connect(opts);
    h.call(Command::Mkdir("café".into())).unwrap();
    let log = h.log_text().join("\n");
    drop(h);
    let received = server.received_bytes();
    assert!(received.contains(&b"MKD caf\xe9".to_vec()), "{received:?}");
    assert!(log.contains("MKD caf"), "{log}");
}
