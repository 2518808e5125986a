//! The `ferry` binary over SFTP, against Debian's OpenSSH server started
//! by the test (ferry-testkit's `sshd`). Needs root and openssh-server;
//! `.ci/run` runs these with `--features sshd-tests`.
#![cfg(all(unix, feature = "sshd-tests"))]

mod common;

use std::fs;
use std::path::Path;

use common::cli::{Run, ferry_with};
use common::queue::snapshot;
use ferry_testkit::sshd::{self, PASSWORD, Sshd, user_folder};

/// `ferry ARGS…` with a home of the test's own (its `~/.ssh` and Ferry's
/// config folder), the password in the environment, and no SSH agent.
fn ferry_in(home: &Path, args: &[&str]) -> Run {
    let home = home.to_str().unwrap();
    ferry_with(
        args,
        &[
            ("HOME", home),
            ("XDG_CONFIG_HOME", &format!("{home}/.config")),
            ("XDG_CACHE_HOME", &format!("{home}/.cache")),
            ("FERRY_PASSWORD", PASSWORD),
            ("SSH_AUTH_SOCK", ""),
        ],
        None,
    )
}

/// A home whose `~/.ssh/known_hosts` knows the server.
fn home_knowing(server: &Sshd) -> tempfile::TempDir {
    let home = tempfile::tempdir().unwrap();
    fs::create_dir_all(home.path().join(".ssh")).unwrap();
    fs::copy(server.known_hosts(), home.path().join(".ssh/known_hosts")).unwrap();
    home
}

#[test]
fn an_unknown_host_key_stops_with_status_6_and_its_fingerprint_until_trusted() {
    let server = Sshd::start();
    let home = tempfile::tempdir().unwrap();
    let url = format!("{}/", server.url());
    let run = ferry_in(home.path(), &["ls", &url]).expect_status(6);
    let fingerprint = sshd::fingerprint(&server.host_key_pub);
    assert!(run.stderr.contains(&fingerprint), "{}", run.stderr);
    assert!(run.stderr.contains("not known"), "{}", run.stderr);
    ferry_in(home.path(), &["--trust", &fingerprint, "ls", &url]).expect_status(0);
    // Trusting once writes nothing: the next run asks again.
    ferry_in(home.path(), &["ls", &url]).expect_status(6);
}

#[test]
fn a_changed_host_key_is_refused_naming_both_keys_even_with_trust() {
    let server = Sshd::start();
    let home = tempfile::tempdir().unwrap();
    let old = server.dir().join("old_ed25519");
    sshd::new_key(&old);
    fs::create_dir_all(home.path().join(".ssh")).unwrap();
    fs::write(
        home.path().join(".ssh/known_hosts"),
        sshd::known_hosts_line(&old.with_extension("pub"), server.port),
    )
    .unwrap();
    let new = sshd::fingerprint(&server.host_key_pub);
    let url = format!("{}/", server.url());
    for args in [vec!["ls", &url], vec!["--trust", &new, "ls", &url]] {
        let run = ferry_in(home.path(), &args).expect_status(6);
        assert!(run.stderr.contains("HAS CHANGED"), "{}", run.stderr);
        assert!(run.stderr.contains(&new), "{}", run.stderr);
        assert!(
            run.stderr
                .contains(&sshd::fingerprint(&old.with_extension("pub"))),
            "{}",
            run.stderr
        );
    }
}

#[test]
fn a_tree_goes_up_and_down_byte_for_byte_and_a_second_mirror_moves_nothing() {
    let server = Sshd::start();
    let home = home_knowing(&server);
    let local = tempfile::tempdir().unwrap();
    let tree = local.path().join("site");
    fs::create_dir_all(tree.join("images/vacances été")).unwrap();
    fs::write(tree.join("index.html"), "<h1>hello</h1>\n").unwrap();
    fs::write(tree.join("empty"), "").unwrap();
    let big: Vec<u8> = (0..3_000_000u32).map(|i| (i * 31 % 251) as u8).collect();
    fs::write(tree.join("images/vacances été/plage 1.jpg"), &big).unwrap();
    fs::write(tree.join("images/logo.png"), &big[..40_000]).unwrap();

    let folder = user_folder();
    let remote = format!("{}/{}/site", server.url(), folder.display());
    ferry_in(
        home.path(),
        &["mirror", "--reverse", &remote, tree.to_str().unwrap()],
    )
    .expect_status(0);
    assert_eq!(snapshot(&folder.join("site")), snapshot(&tree));
    let again = ferry_in(
        home.path(),
        &["mirror", "--reverse", &remote, tree.to_str().unwrap()],
    )
    .expect_status(0);
    assert!(again.stderr.contains(" 0 done"), "{}", again.stderr);

    let back = local.path().join("back");
    // --fsync flushes each file before its rename; the bytes are the same.
    ferry_in(
        home.path(),
        &["get", "-r", "--fsync", &remote, back.to_str().unwrap()],
    )
    .expect_status(0);
    assert_eq!(snapshot(&back.join("site")), snapshot(&tree));

    let mirrored = local.path().join("mirrored");
    ferry_in(
        home.path(),
        &["mirror", &remote, mirrored.to_str().unwrap()],
    )
    .expect_status(0);
    assert_eq!(snapshot(&mirrored), snapshot(&tree));
    let again = ferry_in(
        home.path(),
        &["mirror", &remote, mirrored.to_str().unwrap()],
    )
    .expect_status(0);
    assert!(again.stderr.contains(" 0 done"), "{}", again.stderr);

    // ls -l shows sizes; rename and delete reach the server.
    let listing =
        ferry_in(home.path(), &["ls", "-l", &format!("{remote}/images")]).expect_status(0);
    assert!(listing.stdout.contains("40000"), "{}", listing.stdout);
    ferry_in(
        home.path(),
        &[
            "mv",
            &format!("{remote}/index.html"),
            &format!("{}/site/home.html", folder.display()),
        ],
    )
    .expect_status(0);
    assert!(folder.join("site/home.html").is_file());
    ferry_in(home.path(), &["rm", "-r", &remote]).expect_status(0);
    assert!(!folder.join("site").exists());
}

#[test]
fn a_key_file_logs_in_without_a_password_and_raw_commands_are_refused() {
    let server = Sshd::start();
    let home = home_knowing(&server);
    let url = format!("{}/", server.url());
    let key = server.client_key.to_str().unwrap();
    let no_password = ferry_with(
        &["--identity", key, "ls", &url],
        &[
            ("HOME", home.path().to_str().unwrap()),
            ("SSH_AUTH_SOCK", ""),
        ],
        None,
    );
    let no_password = no_password.expect_status(0);
    assert!(
        no_password.stdout.contains(".profile"),
        "{}",
        no_password.stdout
    );
    let raw = ferry_in(home.path(), &["quote", &url, "NOOP"]).expect_status(2);
    assert!(raw.stderr.contains("only over FTP"), "{}", raw.stderr);
}

#[test]
fn hostile_names_in_an_sftp_listing_never_escape_and_links_are_fetched_as_what_they_point_to() {
    let server = Sshd::start();
    let home = home_knowing(&server);
    let folder = user_folder();
    let tree = folder.join("tree");
    fs::create_dir_all(tree.join("real folder")).unwrap();
    fs::write(tree.join("plain.txt"), "plain").unwrap();
    fs::write(tree.join("real folder/inside.txt"), "inside").unwrap();
    // Names a server may hold that must never become paths here.
    for name in ["line\nbreak.txt", "carriage\rreturn.txt", "back\\slash.txt"] {
        fs::write(tree.join(name), "hostile").unwrap();
    }
    std::os::unix::fs::symlink("plain.txt", tree.join("link to file")).unwrap();
    std::os::unix::fs::symlink("real folder", tree.join("link to folder")).unwrap();
    std::os::unix::fs::symlink("..", tree.join("link up")).unwrap();
    sshd::chown_to_user(&folder);
    let local = tempfile::tempdir().unwrap();
    let target = local.path().join("out");
    let remote = format!("{}/{}/tree", server.url(), folder.display());
    let run = ferry_in(
        home.path(),
        &["get", "-r", &remote, target.to_str().unwrap()],
    );
    // Everything written is inside the target, under names that are the
    // server's safe ones.
    let written: Vec<String> = snapshot(local.path())
        .into_iter()
        .map(|(name, _)| name)
        .collect();
    for name in &written {
        assert!(name.starts_with("out/"), "{name:?} escaped");
    }
    for hostile in ["line\nbreak.txt", "carriage\rreturn.txt", "back\\slash.txt"] {
        assert!(
            !written.iter().any(|w| w.contains(hostile)),
            "{hostile:?} written: {written:?}"
        );
    }
    assert_eq!(
        fs::read_to_string(target.join("tree/plain.txt")).unwrap(),
        "plain"
    );
    assert_eq!(
        fs::read_to_string(target.join("tree/real folder/inside.txt")).unwrap(),
        "inside"
    );
    // A link to a file comes as the file, a link to a folder as the
    // folder, a link to a folder above it is not followed (a loop).
    assert_eq!(
        fs::read_to_string(target.join("tree/link to file")).unwrap(),
        "plain"
    );
    assert_eq!(
        fs::read_to_string(target.join("tree/link to folder/inside.txt")).unwrap(),
        "inside"
    );
    assert!(!target.join("tree/link up").exists(), "{written:?}");
    // The skipped names and the loop are said, as over FTP; skipping is
    // not failing (the summary counts them).
    assert!(run.stderr.contains("break.txt"), "{}", run.stderr);
    assert!(run.stderr.contains("not followed"), "{}", run.stderr);
    assert!(run.stderr.contains("3 skipped, 0 failed"), "{}", run.stderr);
    assert_eq!(run.status, 0, "{}", run.stderr);
}

#[test]
fn a_site_with_a_key_file_logs_in_with_it_and_no_password() {
    let server = Sshd::start();
    let home = home_knowing(&server);
    let home_dir = home.path().to_str().unwrap();
    let config = format!("{home_dir}/.config");
    let env = [
        ("HOME", home_dir),
        ("XDG_CONFIG_HOME", config.as_str()),
        ("FERRY_KEYRING", "none"),
        ("SSH_AUTH_SOCK", ""),
    ];
    let url = format!("{}/", server.url());
    ferry_with(
        &[
            "sites",
            "add",
            "shell",
            &url,
            "--site-key-file",
            server.client_key.to_str().unwrap(),
        ],
        &env,
        None,
    )
    .expect_status(0);
    let listed = ferry_with(&["ls", "--site", "shell", ""], &env, None).expect_status(0);
    assert!(listed.stdout.contains(".profile"), "{}", listed.stdout);
}
