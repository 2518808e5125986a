//! `get -r`, `put -r` and `mirror` through the real binary: trees arrive
//! byte for byte, existing files are refused unless a flag says otherwise,
//! and a second mirror moves nothing.

mod common;

use std::fs;
use std::path::Path;

use common::cli::ferry;
use common::faulty::{Faults, FaultyServer, Tree};
use common::queue::snapshot;
use common::unftp::UnftpServer;

fn url(server: &UnftpServer, path: &str) -> String {
    format!("ftp://alice:s3cret-pw@127.0.0.1:{}/{path}", server.port)
}

fn s(path: &Path) -> &str {
    path.to_str().unwrap()
}

fn make_tree(root: &Path) {
    fs::create_dir_all(root.join("docs/empty")).unwrap();
    fs::create_dir_all(root.join("img")).unwrap();
    fs::write(root.join("index.html"), b"<h1>hi</h1>").unwrap();
    fs::write(root.join("docs/read me.txt"), b"spaces").unwrap();
    fs::write(root.join("docs/café.txt"), "crème").unwrap();
    let big: Vec<u8> = (0..700_000u32).map(|i| (i % 253) as u8).collect();
    fs::write(root.join("img/big.bin"), big).unwrap();
}

#[test]
fn get_r_and_put_r_copy_trees_and_refuse_to_replace_without_a_flag() {
    let server = UnftpServer::plain();
    make_tree(&server.path("site"));
    let local = tempfile::tempdir().unwrap();

    // Into an existing folder: the tree lands under its own name, as cp -r does.
    let run = ferry(&[
        "get",
        "-r",
        "-j",
        "3",
        &url(&server, "site"),
        s(local.path()),
    ])
    .expect_status(0);
    assert!(run.stderr.contains("4 files: 4 done"), "{}", run.stderr);
    let copy = local.path().join("site");
    assert_eq!(snapshot(&copy), snapshot(&server.path("site")));

    // Again: every file exists, nothing is replaced, and the status says so.
    fs::write(copy.join("index.html"), b"local edit").unwrap();
    let run = ferry(&["get", "-r", &url(&server, "site"), s(local.path())]).expect_status(7);
    assert!(
        run.stderr.contains("4 existing file(s): not replaced"),
        "{}",
        run.stderr
    );
    assert_eq!(fs::read(copy.join("index.html")).unwrap(), b"local edit");
    ferry(&[
        "get",
        "-r",
        "--skip-existing",
        &url(&server, "site"),
        s(local.path()),
    ])
    .expect_status(0);
    assert_eq!(fs::read(copy.join("index.html")).unwrap(), b"local edit");
    ferry(&[
        "get",
        "-r",
        "--overwrite-if-size-differs",
        &url(&server, "site"),
        s(local.path()),
    ])
    .expect_status(0);
    assert_eq!(fs::read(copy.join("index.html")).unwrap(), b"<h1>hi</h1>");

    // Up again under a new name, with one connection.
    ferry(&["put", "-r", "-j", "1", s(&copy), &url(&server, "again")]).expect_status(0);
    assert_eq!(snapshot(&server.path("again")), snapshot(&copy));
    // A URL ending in / names the folder to upload into.
    fs::create_dir(server.path("into")).unwrap();
    ferry(&["put", "-r", s(&copy), &url(&server, "into/")]).expect_status(0);
    assert_eq!(snapshot(&server.path("into/site")), snapshot(&copy));
    let run = ferry(&["put", "-r", s(&copy), &url(&server, "into/")]).expect_status(4);
    assert!(run.stderr.contains("not replaced"), "{}", run.stderr);

    // A folder without -r is a usage error; a missing remote folder is 4.
    ferry(&["put", s(&copy), &url(&server, "x")]).expect_status(2);
    ferry(&[
        "get",
        "-r",
        &url(&server, "nowhere"),
        s(&local.path().join("n")),
    ])
    .expect_status(4);
}

#[test]
fn mirror_moves_only_what_changed_and_deletes_only_with_delete() {
    let server = UnftpServer::plain();
    make_tree(&server.path("site"));
    let local = tempfile::tempdir().unwrap();
    let target = local.path().join("mirror");

    let run = ferry(&["mirror", &url(&server, "site"), s(&target)]).expect_status(0);
    assert!(run.stderr.contains("4 files: 4 done"), "{}", run.stderr);
    assert_eq!(snapshot(&target), snapshot(&server.path("site")));

    // Nothing changed: nothing moves.
    let run = ferry(&["mirror", &url(&server, "site"), s(&target)]).expect_status(0);
    assert!(
        run.stderr.contains("4 files: 0 done, 4 skipped"),
        "{}",
        run.stderr
    );

    // A changed file on the server comes over, alone.
    fs::write(server.path("site/docs/read me.txt"), b"spaces, and more").unwrap();
    let run = ferry(&["mirror", &url(&server, "site"), s(&target)]).expect_status(0);
    assert!(
        run.stderr.contains("4 files: 1 done, 3 skipped"),
        "{}",
        run.stderr
    );
    assert_eq!(
        fs::read(target.join("docs/read me.txt")).unwrap(),
        b"spaces, and more"
    );

    // What only the copy has stays without --delete, is listed by a dry run,
    // and goes with --delete; a partial download of ours for a file still
    // on the server stays, and a real file that merely bears the name a
    // partial file once had is an extra like any other.
    fs::write(target.join("stale.txt"), b"old").unwrap();
    fs::create_dir_all(target.join("old/deeper")).unwrap();
    fs::write(target.join("old/deeper/x"), b"x").unwrap();
    fs::write(target.join("index.html.part"), b"<h1>").unwrap();
    let part = interrupted_download(&target.join("index.html"));
    ferry(&["mirror", &url(&server, "site"), s(&target)]).expect_status(0);
    assert!(target.join("stale.txt").exists());
    let run = ferry(&[
        "mirror",
        "--delete",
        "--dry-run",
        &url(&server, "site"),
        s(&target),
    ])
    .expect_status(0);
    assert!(run.stdout.contains("would delete"), "{}", run.stdout);
    assert!(run.stdout.contains("stale.txt"), "{}", run.stdout);
    assert!(target.join("stale.txt").exists() && target.join("old/deeper/x").exists());
    ferry(&["mirror", "--delete", &url(&server, "site"), s(&target)]).expect_status(0);
    assert!(!target.join("stale.txt").exists());
    assert!(!target.join("old").exists());
    assert!(!target.join("index.html.part").exists());
    assert!(part.exists());
    assert!(local.path().exists());
}

/// Leaves a partial file of ours for `target`, the honest way: a download
/// whose connection breaks half way. Returns its path.
fn interrupted_download(target: &Path) -> std::path::PathBuf {
    let faults = Faults {
        drop_retr_after: Some(1000),
        ..Faults::default()
    };
    let server = FaultyServer::start(Tree::new().file("/f", vec![1u8; 5000]), faults);
    let url = server.url("f");
    ferry(&["get", "--overwrite", "--retries", "0", &url, s(target)]).expect_status(3);
    let part = ferry::engine::part_path(target).expect("a partial file of ours");
    assert_eq!(fs::metadata(&part).unwrap().len(), 1000);
    part
}

#[test]
fn reverse_mirror_uploads_changes_and_deletes_remote_extras() {
    let server = UnftpServer::plain();
    let local = tempfile::tempdir().unwrap();
    let source = local.path().join("site");
    make_tree(&source);

    let run = ferry(&[
        "mirror",
        "--reverse",
        "-j",
        "3",
        &url(&server, "pub"),
        s(&source),
    ])
    .expect_status(0);
    assert!(run.stderr.contains("4 done"), "{}", run.stderr);
    assert_eq!(snapshot(&server.path("pub")), snapshot(&source));

    let run = ferry(&["mirror", "--reverse", &url(&server, "pub"), s(&source)]).expect_status(0);
    assert!(run.stderr.contains("0 done, 4 skipped"), "{}", run.stderr);

    fs::write(server.path("pub/extra.txt"), b"extra").unwrap();
    fs::create_dir_all(server.path("pub/gone/deep")).unwrap();
    fs::write(server.path("pub/gone/deep/f"), b"f").unwrap();
    let run = ferry(&[
        "mirror",
        "--reverse",
        "--delete",
        "-n",
        &url(&server, "pub"),
        s(&source),
    ])
    .expect_status(0);
    assert!(
        run.stdout.contains("would delete pub/extra.txt"),
        "{}",
        run.stdout
    );
    assert!(server.path("pub/extra.txt").exists());
    ferry(&[
        "mirror",
        "--reverse",
        "--delete",
        &url(&server, "pub"),
        s(&source),
    ])
    .expect_status(0);
    assert!(!server.path("pub/extra.txt").exists());
    assert!(!server.path("pub/gone").exists());
    assert_eq!(snapshot(&server.path("pub")), snapshot(&source));
}

#[test]
fn a_refused_login_is_status_3_for_tree_transfers_too() {
    let server = UnftpServer::plain();
    let local = tempfile::tempdir().unwrap();
    let bad = format!("ftp://alice:wrong@127.0.0.1:{}/", server.port);
    ferry(&["get", "-r", &bad, s(local.path())]).expect_status(3);
    ferry(&["mirror", &bad, s(&local.path().join("m"))]).expect_status(3);
}

/// `--exclude` and `--include` choose what a tree transfer takes, both
/// ways, and what they leave out a mirror never deletes: the site goes up
/// without its `.git` and logs, and the server's own logs stay.
#[test]
fn include_and_exclude_choose_what_moves_and_what_is_left_out_is_never_deleted() {
    let server = UnftpServer::plain();
    let site = server.path("site");
    fs::create_dir_all(site.join(".git/objects")).unwrap();
    fs::create_dir_all(site.join("css")).unwrap();
    fs::create_dir_all(site.join("docs")).unwrap();
    fs::write(site.join(".git/objects/x"), b"git").unwrap();
    fs::write(site.join("index.html"), b"<h1>").unwrap();
    fs::write(site.join("css/site.css"), b"body{}").unwrap();
    fs::write(site.join("debug.log"), b"log").unwrap();
    fs::write(site.join("docs/a.pdf"), b"pdf").unwrap();
    let local = tempfile::tempdir().unwrap();
    // Files only, below the tree's own folder.
    let names = |root: &Path| -> Vec<String> {
        let files = snapshot(&root.join("site"))
            .into_iter()
            .map(|(name, _)| name);
        files.filter(|name| !name.ends_with('/')).collect()
    };

    let down = local.path().join("down");
    let run = ferry(&[
        "get",
        "-r",
        "--exclude",
        ".git",
        "--exclude",
        "*.log",
        "--exclude",
        "docs/*.pdf",
        &url(&server, "site"),
        s(&down),
    ])
    .expect_status(0);
    assert_eq!(
        names(&down),
        ["css/site.css", "index.html"],
        "{}",
        run.stderr
    );

    let only = local.path().join("only");
    ferry(&[
        "get",
        "-r",
        "--include",
        "*.css",
        &url(&server, "site"),
        s(&only),
    ])
    .expect_status(0);
    assert_eq!(names(&only), ["css/site.css"]);

    // Mirror up with --delete: the server's debug.log and .git are left
    // out, so they stay although the local folder has neither.
    let down = down.join("site");
    fs::write(down.join("new.html"), b"new").unwrap();
    let run = ferry(&[
        "mirror",
        "--reverse",
        "--delete",
        "--exclude",
        "*.log",
        "--exclude",
        ".git/",
        &url(&server, "site"),
        s(&down),
    ])
    .expect_status(0);
    assert!(site.join("new.html").exists(), "{}", run.stderr);
    assert!(site.join("debug.log").exists(), "{}", run.stderr);
    assert!(site.join(".git/objects/x").exists(), "{}", run.stderr);
    // The local docs/ is empty (its pdf was left out of the download, not
    // of this mirror): the server's pdf goes.
    assert!(!site.join("docs/a.pdf").exists(), "{}", run.stderr);

    // Mirror down with --delete: a local file left out stays.
    fs::write(down.join("local.log"), b"mine").unwrap();
    ferry(&[
        "mirror",
        "--delete",
        "--exclude",
        "*.log",
        &url(&server, "site"),
        s(&down),
    ])
    .expect_status(0);
    assert!(down.join("local.log").exists());

    let run = ferry(&[
        "get",
        "-r",
        "--exclude",
        "[a-",
        &url(&server, "site"),
        s(&down),
    ]);
    assert_eq!(run.status, 2, "{}", run.stderr);
    assert!(run.stderr.contains("not a glob"), "{}", run.stderr);
}

/// Several sources in one run share one queue and one set of logins: two
/// folders and a file from one server, on one connection with -j 1; files
/// without -r go into a folder made for them; uploads of several go into
/// the URL's folder; a source on another server is a usage error.
#[test]
fn several_sources_go_in_one_run_on_one_connection() {
    let tree = Tree::new()
        .file("/a/1.txt", b"one".to_vec())
        .file("/b/2.txt", b"two".to_vec())
        .file("/c.txt", b"three".to_vec())
        .dir("/up");
    let server = FaultyServer::start(tree, Faults::default());
    let local = tempfile::tempdir().unwrap();
    let out = local.path().join("out");
    let run = ferry(&[
        "get",
        "-r",
        "-j",
        "1",
        &server.url("/a"),
        &server.url("/b"),
        &server.url("/c.txt"),
        s(&out),
    ])
    .expect_status(0);
    assert_eq!(
        fs::read(out.join("a/1.txt")).unwrap(),
        b"one",
        "{}",
        run.stderr
    );
    assert_eq!(fs::read(out.join("b/2.txt")).unwrap(), b"two");
    assert_eq!(fs::read(out.join("c.txt")).unwrap(), b"three");
    assert_eq!(server.connections_accepted(), 1, "one login for the run");

    let files = local.path().join("files");
    ferry(&[
        "get",
        &server.url("/a/1.txt"),
        &server.url("/b/2.txt"),
        s(&files),
    ])
    .expect_status(0);
    assert_eq!(fs::read(files.join("1.txt")).unwrap(), b"one");
    assert_eq!(fs::read(files.join("2.txt")).unwrap(), b"two");

    ferry(&[
        "put",
        "-r",
        s(&out.join("a")),
        s(&out.join("c.txt")),
        &server.url("/up"),
    ])
    .expect_status(0);
    assert_eq!(server.file("/up/a/1.txt").as_deref(), Some(&b"one"[..]));
    assert_eq!(server.file("/up/c.txt").as_deref(), Some(&b"three"[..]));

    // Two sources of one name into one folder: refused, nothing written
    // (the second would have replaced the first).
    let twice = local.path().join("twice");
    let run = ferry(&[
        "get",
        &server.url("/a/1.txt"),
        &server.url("/up/a/1.txt"),
        s(&twice),
    ]);
    assert_eq!(run.status, 2, "{}", run.stderr);
    assert!(run.stderr.contains("both go to"), "{}", run.stderr);
    assert!(!twice.exists());
    let run = ferry(&[
        "put",
        s(&out.join("c.txt")),
        s(&files.join("..").join("out/c.txt")),
        &server.url("/up"),
    ]);
    assert_eq!(run.status, 2, "{}", run.stderr);

    let other = FaultyServer::start(Tree::new(), Faults::default());
    let run = ferry(&["get", &server.url("/c.txt"), &other.url("/x"), s(&files)]);
    assert_eq!(run.status, 2, "{}", run.stderr);
    assert!(run.stderr.contains("another server"), "{}", run.stderr);
}

/// A tree with every kind of link a server shows: to a file, to a
/// folder, to the folder that holds it and to the one above (loops, by
/// relative and by absolute target), and to nothing. The server keeps a
/// logical PWD, so only the link's own target text tells a loop.
fn linked_tree() -> Tree {
    Tree::new()
        .file("/site/a.txt", "the file a link points to")
        .file("/site/sub/b.txt", "in the folder")
        .link("/site/to-file", "a.txt")
        .link("/site/to-folder", "sub")
        .link("/site/sub/itself", ".")
        .link("/site/sub/up", "..")
        .link("/site/sub/root", "/site")
        .link("/site/to-nothing", "missing.txt")
}

/// Symbolic links on the server are copied as what they point to: a file
/// as the file, a folder as the folder; one that would copy a tree into
/// itself is not followed, and one to nothing fails loudly, alone. The
/// same in `get -r`, `mirror` and `copy -r`.
#[test]
fn links_on_the_server_are_copied_as_what_they_point_to_without_looping() {
    let server = FaultyServer::start(linked_tree(), Faults::default());
    let target = FaultyServer::start(Tree::new(), Faults::default());
    let local = tempfile::tempdir().unwrap();
    let check = |copy: &Path, stderr: &str| {
        let read = |path: &str| fs::read(copy.join(path)).ok();
        assert_eq!(
            read("to-file").as_deref(),
            Some(&b"the file a link points to"[..]),
            "{stderr}"
        );
        assert_eq!(
            read("to-folder/b.txt").as_deref(),
            Some(&b"in the folder"[..]),
            "{stderr}"
        );
        assert_eq!(
            read("sub/b.txt").as_deref(),
            Some(&b"in the folder"[..]),
            "{stderr}"
        );
        for looped in [
            "sub/up",
            "sub/itself",
            "sub/root",
            "to-folder/up",
            "to-nothing",
        ] {
            assert!(!copy.join(looped).exists(), "{looped}: {stderr}");
        }
        assert_eq!(stderr.matches("it would never end").count(), 6, "{stderr}");
        assert!(stderr.contains("to-nothing"), "{stderr}");
        let names = fs::read_dir(copy).unwrap().count();
        assert_eq!(names, 4, "{stderr}");
    };
    for command in ["get", "mirror"] {
        let into = local.path().join(command);
        let mut args = vec![command];
        if command == "get" {
            args.push("-r");
        }
        let source = server.url("/site");
        args.extend([source.as_str(), s(&into)]);
        // The link to nothing is the one failure: "not found", status 4.
        let run = ferry(&args).expect_status(4);
        // get -r puts the tree under its own name; mirror makes the target
        // the tree.
        match command {
            "get" => check(&into.join("site"), &run.stderr),
            _ => check(&into, &run.stderr),
        }
    }
    let run = ferry(&["copy", "-r", &server.url("/site"), &target.url("/copied")]).expect_status(4);
    assert_eq!(
        target.file("/copied/to-file").as_deref(),
        Some(&b"the file a link points to"[..]),
        "{}\n{:?}",
        run.stderr,
        target.commands()
    );
    assert_eq!(
        target.file("/copied/to-folder/b.txt").as_deref(),
        Some(&b"in the folder"[..])
    );
    assert!(!target.exists("/copied/sub/up") && !target.exists("/copied/to-nothing"));
    assert_eq!(
        run.stderr.matches("it would never end").count(),
        6,
        "{}",
        run.stderr
    );
}
