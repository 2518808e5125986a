//! Never destroy on doubt: `mirror --delete`, tree downloads and listings
//! against servers that answer a mistyped path with an empty listing, hide
//! a folder, send facts Ferry cannot read, cut a listing short or list an
//! endless tree. Nothing is deleted or created on such an answer, and the
//! exit status says the run did not do what was asked.

mod common;

use std::fs;
use std::path::Path;

use common::cli::ferry;
use common::faulty::{Faults, FaultyServer, Tree};
use common::queue::snapshot;
use common::unftp::UnftpServer;

fn s(path: &Path) -> &str {
    path.to_str().unwrap()
}

/// A local copy with files the server's tree does not all have.
fn backup_with(root: &Path, names: &[&str]) {
    fs::create_dir_all(root).unwrap();
    for name in names {
        let path = root.join(name);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, format!("local {name}")).unwrap();
    }
}

fn site_tree() -> Tree {
    Tree::new()
        .file("/tree/readme.txt", "read me")
        .file("/tree/docs/a.txt", "a")
        .dir("/tree/empty")
}

/// A server that answers LIST of a missing folder with 226 and nothing,
/// and offers no MLSD: vsftpd's ways.
fn vsftpd_like() -> Faults {
    Faults {
        empty_listing_when_missing: true,
        no_mlsd: true,
        ..Faults::default()
    }
}

#[test]
fn a_mistyped_path_or_a_file_url_deletes_nothing_and_fails() {
    for faults in [vsftpd_like(), Faults::default()] {
        let empty_listing = faults.empty_listing_when_missing;
        let server = FaultyServer::start(site_tree(), faults);
        let local = tempfile::tempdir().unwrap();
        let backup = local.path().join("backup");
        backup_with(&backup, &["readme.txt", "docs/a.txt", "mine.txt"]);
        let before = snapshot(&backup);

        for path in ["tree-typo", "tree/readme.txt"] {
            // Without --delete, a file URL is no folder to mirror either.
            let plain = local.path().join("plain");
            let run = ferry(&["mirror", &server.url(path), s(&plain)]);
            assert_eq!(run.status, 4, "{path} ({empty_listing}): {}", run.stderr);
            assert!(!plain.exists(), "{path}: {}", run.stderr);
            let run = ferry(&["mirror", "--delete", &server.url(path), s(&backup)]);
            assert_eq!(run.status, 4, "{path} ({empty_listing}): {}", run.stderr);
            assert_eq!(snapshot(&backup), before, "{path}: {}", run.stderr);
            if empty_listing || path.ends_with(".txt") {
                assert!(
                    run.stderr.contains("not a folder"),
                    "{path}: {}",
                    run.stderr
                );
            }
        }
        // The same for the upload direction: a mistyped local folder is a
        // usage error before anything is asked of the server.
        let typo = local.path().join("no-such-folder");
        let run = ferry(&[
            "mirror",
            "--reverse",
            "--delete",
            &server.url("tree"),
            s(&typo),
        ]);
        assert_eq!(run.status, 7, "{}", run.stderr);
        assert!(server.exists("/tree/readme.txt"));
        assert!(
            !server
                .commands()
                .iter()
                .any(|c| c.starts_with("DELE") || c.starts_with("RMD")),
            "{:?}",
            server.commands()
        );
    }
}

#[test]
fn a_missing_folder_is_an_error_and_creates_nothing_locally() {
    for faults in [vsftpd_like(), Faults::default()] {
        let server = FaultyServer::start(site_tree(), faults);
        let local = tempfile::tempdir().unwrap();

        let run = ferry(&["ls", &server.url("no-such-dir")]);
        assert_eq!(run.status, 4, "{}", run.stderr);
        assert!(run.stdout.is_empty(), "{}", run.stdout);

        let out = local.path().join("out");
        let run = ferry(&["get", "-r", &server.url("no-such-dir"), s(&out)]);
        assert_eq!(run.status, 4, "{}", run.stderr);
        assert!(!out.exists(), "get -r made a folder for nothing");

        let mirror = local.path().join("mirror");
        let run = ferry(&["mirror", &server.url("no-such-dir"), s(&mirror)]);
        assert_eq!(run.status, 4, "{}", run.stderr);
        assert!(!mirror.exists(), "mirror made a folder for nothing");

        // A real, empty folder is fine, and is made.
        let run = ferry(&["mirror", &server.url("tree/empty"), s(&mirror)]);
        assert_eq!(run.status, 0, "{}", run.stderr);
        assert!(mirror.is_dir());
    }
}

#[test]
fn an_unreadable_subfolder_keeps_its_local_copy_and_grows_no_phantom() {
    // Mode 700 (no entry) and mode 711 (entry, no listing), as vsftpd
    // shows them: 226 and the folder's own line.
    for (locked, unreadable) in [(true, false), (false, true)] {
        let folder = || vec!["/tree/locked".to_string()];
        let faults = Faults {
            locked: if locked { folder() } else { Vec::new() },
            unreadable: if unreadable { folder() } else { Vec::new() },
            ..vsftpd_like()
        };
        an_unreadable_subfolder_case(faults);
    }
}

fn an_unreadable_subfolder_case(faults: Faults) {
    let tree = site_tree().file("/tree/locked/secret.txt", "secret");
    let server = FaultyServer::start(tree, faults);
    let local = tempfile::tempdir().unwrap();
    let backup = local.path().join("backup");
    backup_with(
        &backup,
        &["readme.txt", "docs/a.txt", "locked/secret.txt", "stale.txt"],
    );

    let run = ferry(&["mirror", "--delete", &server.url("tree"), s(&backup)]);
    assert_eq!(run.status, 4, "{}", run.stderr);
    let refused = [
        "is not a folder that can be listed",
        "listed only the folder itself",
    ];
    assert!(
        refused.iter().any(|why| run.stderr.contains(why)),
        "{}",
        run.stderr
    );
    assert_eq!(
        fs::read(backup.join("locked/secret.txt")).unwrap(),
        b"local locked/secret.txt"
    );
    assert!(!backup.join("locked/locked").exists(), "a phantom folder");
    // One folder could not be read: no deletion of the run rests on it.
    assert!(backup.join("stale.txt").exists());
    assert!(run.stderr.contains("Nothing was deleted"), "{}", run.stderr);
    // What could be read did arrive.
    assert_eq!(fs::read(backup.join("readme.txt")).unwrap(), b"read me");
}

#[test]
fn listing_lines_that_cannot_be_read_are_never_deletions() {
    let faults = Faults {
        raw_mlsd: vec![
            (
                "/tree".to_string(),
                "type=file;size=-1;modify=20240102030405; bad-size.txt".to_string(),
            ),
            (
                "/tree".to_string(),
                "type=file;size=3;modify=2026-01-01 12:00; bad-date.txt".to_string(),
            ),
        ],
        ..Faults::default()
    };
    let server = FaultyServer::start(site_tree(), faults);
    let local = tempfile::tempdir().unwrap();
    let backup = local.path().join("backup");
    backup_with(&backup, &["bad-size.txt", "bad-date.txt", "stale.txt"]);

    let run = ferry(&["mirror", "--delete", &server.url("tree"), s(&backup)]);
    assert_eq!(run.status, 4, "{}", run.stderr);
    assert!(run.stderr.contains("incomplete"), "{}", run.stderr);
    for name in ["bad-size.txt", "bad-date.txt", "stale.txt"] {
        assert!(backup.join(name).exists(), "{name} was deleted");
    }

    // get -r fetches what it can read and says it left something out.
    let out = local.path().join("out");
    let run = ferry(&["get", "-r", &server.url("tree"), s(&out)]);
    assert_eq!(run.status, 4, "{}", run.stderr);
    assert_eq!(fs::read(out.join("tree/readme.txt")).unwrap(), b"read me");
    assert!(run.stderr.contains("incomplete"), "{}", run.stderr);

    // ls shows what it read, warns, and does not pass for the whole folder.
    let run = ferry(&["ls", &server.url("tree")]);
    assert_eq!(run.status, 4, "{}", run.stderr);
    assert!(run.stdout.contains("readme.txt"), "{}", run.stdout);
    assert!(run.stderr.contains("2 listing line(s)"), "{}", run.stderr);
}

#[test]
fn a_listing_the_server_cut_short_is_never_a_basis_for_deletion() {
    let mut tree = Tree::new();
    for i in 0..6 {
        tree = tree.file(&format!("/big/f{i}.txt"), format!("{i}"));
    }
    let faults = Faults {
        truncate_listings: Some(3),
        ..Faults::default()
    };
    let server = FaultyServer::start(tree, faults);
    let local = tempfile::tempdir().unwrap();
    let backup = local.path().join("backup");
    let names: Vec<String> = (0..6).map(|i| format!("f{i}.txt")).collect();
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    backup_with(&backup, &names);
    let before = snapshot(&backup);

    let run = ferry(&["mirror", "--delete", &server.url("big"), s(&backup)]);
    assert_eq!(run.status, 4, "{}", run.stderr);
    assert!(
        run.stderr.contains("cut the listing short"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("truncated to 3"), "{}", run.stderr);
    assert_eq!(snapshot(&backup).len(), before.len());
    for name in names {
        assert!(backup.join(name).exists(), "{name} was deleted");
    }
    let run = ferry(&["ls", &server.url("big")]);
    assert_eq!(run.status, 4, "{}", run.stderr);
    assert!(run.stderr.contains("INCOMPLETE"), "{}", run.stderr);
}

#[cfg(unix)]
#[test]
fn reverse_mirror_never_deletes_what_it_skipped_locally() {
    use std::os::unix::ffi::OsStrExt;
    let server = UnftpServer::plain();
    let remote = server.path("pub");
    fs::create_dir_all(remote.join("linked/deep")).unwrap();
    fs::write(remote.join("linked/deep/f"), b"f").unwrap();
    fs::write(remote.join("kept.txt"), b"old").unwrap();
    let latin1 = std::ffi::OsStr::from_bytes(b"caf\xe9.txt");
    fs::write(remote.join(latin1), b"latin-1").unwrap();

    let local = tempfile::tempdir().unwrap();
    let source = local.path().join("site");
    let elsewhere = local.path().join("elsewhere");
    fs::create_dir_all(&elsewhere).unwrap();
    fs::create_dir_all(&source).unwrap();
    fs::write(source.join("kept.txt"), b"newer").unwrap();
    std::os::unix::fs::symlink(&elsewhere, source.join("linked")).unwrap();
    fs::write(source.join(latin1), b"latin-1").unwrap();

    let url = format!("ftp://alice:s3cret-pw@127.0.0.1:{}/pub", server.port);
    let run = ferry(&["mirror", "--reverse", "--delete", &url, s(&source)]);
    assert_eq!(run.status, 0, "{}", run.stderr);
    assert_eq!(fs::read(remote.join("kept.txt")).unwrap(), b"newer");
    assert!(remote.join("linked/deep/f").exists(), "{}", run.stderr);
    assert!(remote.join(latin1).exists(), "{}", run.stderr);

    // Without the name that cannot be compared, the link still counts as
    // present, and a real extra goes.
    fs::remove_file(source.join(latin1)).unwrap();
    fs::remove_file(remote.join(latin1)).unwrap();
    fs::write(remote.join("extra.txt"), b"x").unwrap();
    let run = ferry(&["mirror", "--reverse", "--delete", &url, s(&source)]);
    assert_eq!(run.status, 0, "{}", run.stderr);
    assert!(remote.join("linked/deep/f").exists(), "{}", run.stderr);
    assert!(!remote.join("extra.txt").exists(), "{}", run.stderr);
    assert!(run.stderr.contains("1 deleted"), "{}", run.stderr);
}

#[test]
fn deletions_above_the_bound_or_emptying_the_target_need_consent() {
    let server = UnftpServer::plain();
    let remote = server.path("site");
    fs::create_dir_all(remote.join("other")).unwrap();
    fs::write(remote.join("keep.txt"), b"keep").unwrap();
    fs::write(remote.join("other/new.txt"), b"new").unwrap();
    let url = |path: &str| format!("ftp://alice:s3cret-pw@127.0.0.1:{}/{path}", server.port);
    let local = tempfile::tempdir().unwrap();
    let backup = local.path().join("backup");
    backup_with(
        &backup,
        &["keep.txt", "x1", "x2", "x3", "x4", "x5", "old/y"],
    );
    let before = snapshot(&backup);
    assert_eq!(before.len(), 8);

    // Six entries would go, more than 3: nothing goes, in a dry run too.
    for dry in [true, false] {
        let mut args = vec!["mirror", "--delete", "--max-delete", "3"];
        if dry {
            args.push("--dry-run");
        }
        let site = url("site");
        args.extend([site.as_str(), s(&backup)]);
        let run = ferry(&args);
        assert_eq!(run.status, 2, "{}", run.stderr);
        assert!(
            run.stderr.contains("more than the limit of 3"),
            "{}",
            run.stderr
        );
        assert!(!run.stdout.contains("would delete"), "{}", run.stdout);
        for (path, _) in &before {
            assert!(backup.join(path).exists(), "{path} was deleted");
        }
    }
    let run = ferry(&[
        "mirror",
        "--delete",
        "--max-delete",
        "6",
        "--dry-run",
        &url("site"),
        s(&backup),
    ]);
    assert_eq!(run.status, 0, "{}", run.stderr);
    assert_eq!(
        run.stdout.matches("would delete").count(),
        6,
        "{}",
        run.stdout
    );
    assert!(run.stderr.contains("6 to delete"), "{}", run.stderr);
    let run = ferry(&[
        "mirror",
        "--delete",
        "--max-delete",
        "6",
        &url("site"),
        s(&backup),
    ]);
    assert_eq!(run.status, 0, "{}", run.stderr);
    assert!(run.stderr.contains("6 deleted"), "{}", run.stderr);
    assert!(!backup.join("x1").exists() && !backup.join("old").exists());

    // A folder that exists but has none of the target's names (a path
    // typed wrong by one folder): emptying the target takes --force-delete.
    let run = ferry(&["mirror", "--delete", &url("site/other"), s(&backup)]);
    assert_eq!(run.status, 2, "{}", run.stderr);
    assert!(run.stderr.contains("everything in"), "{}", run.stderr);
    assert!(backup.join("keep.txt").exists());
    let run = ferry(&[
        "mirror",
        "--delete",
        "--force-delete",
        &url("site/other"),
        s(&backup),
    ]);
    assert_eq!(run.status, 0, "{}", run.stderr);
    assert!(!backup.join("keep.txt").exists());
    assert_eq!(fs::read(backup.join("new.txt")).unwrap(), b"new");
}

#[test]
fn an_endless_tree_ends_at_the_bounds_with_a_clear_error() {
    let faults = Faults {
        endless_folder: Some("/loop".to_string()),
        ..Faults::default()
    };
    let server = FaultyServer::start(Tree::new(), faults);
    let local = tempfile::tempdir().unwrap();

    let out = local.path().join("deep");
    let run = ferry(&[
        "get",
        "-r",
        "--max-depth",
        "3",
        &server.url("loop"),
        s(&out),
    ]);
    assert_eq!(run.status, 4, "{}", run.stderr);
    assert!(run.stderr.contains("--max-depth"), "{}", run.stderr);
    // Levels 0 to 3 are read: 1 + 2 + 4 + 8 folders, a file in each.
    let folders = walk(&out).iter().filter(|p| p.is_dir()).count();
    assert_eq!(folders, 1 + 2 + 4 + 8, "{}", run.stderr);

    let out = local.path().join("wide");
    let run = ferry(&[
        "get",
        "-r",
        "--max-entries",
        "40",
        &server.url("loop"),
        s(&out),
    ]);
    assert_eq!(run.status, 4, "{}", run.stderr);
    assert!(run.stderr.contains("--max-entries"), "{}", run.stderr);
    assert!(walk(&out).len() <= 40, "{}", walk(&out).len());
}

fn walk(root: &Path) -> Vec<std::path::PathBuf> {
    let mut found = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in fs::read_dir(&dir).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path.clone());
            }
            found.push(path);
        }
    }
    found
}

#[test]
fn the_same_tree_download_run_again_resumes_in_place() {
    let server = UnftpServer::plain();
    let remote = server.path("sec");
    fs::create_dir_all(remote.join("sub")).unwrap();
    fs::write(remote.join("a.txt"), b"a").unwrap();
    fs::write(remote.join("sub/b.txt"), b"b").unwrap();
    let url = format!("ftp://alice:s3cret-pw@127.0.0.1:{}/sec", server.port);
    let local = tempfile::tempdir().unwrap();
    let out = local.path().join("q");

    // The first run makes q/sec; a file of it is lost (as if killed).
    ferry(&["get", "-r", "-j", "4", &url, s(&out)]).expect_status(0);
    assert_eq!(snapshot(&out.join("sec")), snapshot(&remote));
    fs::remove_file(out.join("sec/sub/b.txt")).unwrap();

    // The same command with -c fills the same folder, no second copy.
    let run = ferry(&["get", "-r", "-c", &url, s(&out)]).expect_status(0);
    assert!(run.stderr.contains("1 done"), "{}", run.stderr);
    assert!(!out.join("sec/sec").exists());
    assert_eq!(snapshot(&out.join("sec")), snapshot(&remote));
}

#[test]
fn get_r_of_a_file_fetches_it_and_rm_r_of_a_file_deletes_it() {
    let server = UnftpServer::plain();
    fs::create_dir_all(server.path("d")).unwrap();
    fs::write(server.path("d/one.txt"), b"one").unwrap();
    let url = |path: &str| format!("ftp://alice:s3cret-pw@127.0.0.1:{}/{path}", server.port);
    let local = tempfile::tempdir().unwrap();

    let out = local.path().join("out");
    let run = ferry(&["get", "-r", &url("d/one.txt"), s(&out)]).expect_status(0);
    assert_eq!(
        fs::read(out.join("one.txt")).unwrap(),
        b"one",
        "{}",
        run.stderr
    );
    assert!(!out.join("one.txt/one.txt").exists());

    // `ls` of a file lists it, as `ls file` does.
    let run = ferry(&["ls", "-l", &url("d/one.txt")]).expect_status(0);
    assert!(
        run.stdout.contains("one.txt") && run.stdout.contains(" 3 "),
        "{}",
        run.stdout
    );
    assert!(!run.stderr.contains("error"), "{}", run.stderr);

    ferry(&["rm", "-r", &url("d/one.txt")]).expect_status(0);
    assert!(!server.path("d/one.txt").exists());
    assert!(server.path("d").exists());
    let run = ferry(&["rm", "-r", &url("d/no-such")]);
    assert_eq!(run.status, 4, "{}", run.stderr);
}
