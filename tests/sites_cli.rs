//! `ferry sites …` and `--site`, through the real binary, with the config
//! folder in a temporary directory and the keyring turned off
//! (FERRY_KEYRING=none): no test touches the user's own sites or keyring.

mod common;

use std::fs;
use std::path::Path;

use common::cli::{Run, ferry_with};
use common::unftp::UnftpServer;

fn sites(config: &Path, args: &[&str], password: Option<&str>) -> Run {
    let config = config.to_str().unwrap();
    let mut env = vec![
        ("XDG_CONFIG_HOME", config),
        ("HOME", config),
        ("FERRY_KEYRING", "none"),
    ];
    if let Some(password) = password {
        env.push(("FERRY_PASSWORD", password));
    }
    ferry_with(args, &env, None)
}

#[test]
fn add_list_use_and_remove_a_site_without_ever_storing_the_password_in_the_file() {
    let server = UnftpServer::plain();
    fs::create_dir(server.path("pub")).unwrap();
    fs::write(server.path("pub/readme.txt"), b"hi").unwrap();
    let config = tempfile::tempdir().unwrap();
    let url = format!("ftp://alice@127.0.0.1:{}/pub", server.port);
    let run = sites(
        config.path(),
        &["sites", "add", "work", &url, "--folder", "Jobs/Acme"],
        Some("s3cret-pw"),
    )
    .expect_status(0);
    assert!(
        run.stderr.contains("without its password"),
        "{}",
        run.stderr
    );
    let file = fs::read_to_string(config.path().join("ferry/sites.json")).unwrap();
    assert!(file.contains("\"host\": \"127.0.0.1\""), "{file}");
    assert!(!file.contains("s3cret-pw"), "{file}");

    let run = sites(config.path(), &["sites", "list"], None).expect_status(0);
    assert!(
        run.stdout
            .contains("Jobs/Acme/work\tftp://alice@127.0.0.1:"),
        "{}",
        run.stdout
    );
    // A second site of the same path is refused.
    sites(
        config.path(),
        &["sites", "add", "work", &url, "--folder", "Jobs/Acme"],
        None,
    )
    .expect_status(2);

    // --site replaces the URL: the argument is a path on the site, and an
    // empty one is the site's remote folder.
    let run = sites(
        config.path(),
        &["ls", "--site", "work", ""],
        Some("s3cret-pw"),
    )
    .expect_status(0);
    assert_eq!(run.stdout.trim(), "readme.txt");
    let run = sites(
        config.path(),
        &["ls", "--site", "Jobs/Acme/work", "/pub"],
        Some("s3cret-pw"),
    )
    .expect_status(0);
    assert_eq!(run.stdout.trim(), "readme.txt");
    let local = tempfile::tempdir().unwrap();
    sites(
        config.path(),
        &[
            "get",
            "--site",
            "work",
            "pub/readme.txt",
            local.path().to_str().unwrap(),
        ],
        Some("s3cret-pw"),
    )
    .expect_status(0);
    assert_eq!(fs::read(local.path().join("readme.txt")).unwrap(), b"hi");
    // Without the password (no keyring here), the login is refused: 3.
    sites(config.path(), &["ls", "--site", "work", ""], None).expect_status(3);
    sites(config.path(), &["ls", "--site", "nobody", ""], None).expect_status(2);
    sites(
        config.path(),
        &["ls", "--site", "work", "ftp://elsewhere/"],
        None,
    )
    .expect_status(2);

    sites(config.path(), &["sites", "remove", "work"], None).expect_status(0);
    let run = sites(config.path(), &["sites", "list"], None).expect_status(0);
    assert_eq!(run.stdout.trim(), "");
    sites(config.path(), &["sites", "remove", "work"], None).expect_status(2);
}

#[test]
fn a_corrupt_sites_file_is_kept_reported_and_never_overwritten() {
    let config = tempfile::tempdir().unwrap();
    let dir = config.path().join("ferry");
    fs::create_dir_all(&dir).unwrap();
    fs::write(
        dir.join("sites.json"),
        b"{\"version\": 1, \"sites\": [ {\"name\": ",
    )
    .unwrap();
    let run = sites(config.path(), &["sites", "list"], None).expect_status(7);
    assert!(run.stderr.contains("sites.json"), "{}", run.stderr);
    assert!(run.stderr.contains("kept as"), "{}", run.stderr);
    let kept: Vec<_> = fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("sites.json.corrupt-"))
        .collect();
    assert_eq!(kept.len(), 1, "{kept:?}");
    // Ferry goes on: a new site starts a fresh file, the old one stays.
    sites(
        config.path(),
        &["sites", "add", "new", "ftp://example.com/"],
        None,
    )
    .expect_status(0);
    let run = sites(config.path(), &["sites", "list"], None).expect_status(0);
    assert!(
        run.stdout.contains("new\tftp://example.com/"),
        "{}",
        run.stdout
    );
    assert_eq!(
        fs::read(dir.join(&kept[0])).unwrap(),
        b"{\"version\": 1, \"sites\": [ {\"name\": "
    );
}

const FILEZILLA: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes" ?>
<FileZilla3 version="3.66.4" platform="*nix">
  <Servers>
    <Server>
      <Host>ftp.example.com</Host><Port>21</Port><Protocol>6</Protocol><Type>0</Type>
      <User>alice</User><Pass encoding="base64">c2VjcmV0</Pass><Logontype>1</Logontype>
      <PasvMode>MODE_ACTIVE</PasvMode><Name>Top</Name><RemoteDir>1 0 8 my files 3 www</RemoteDir>
    </Server>
    <Folder expanded="1">Wörk ☃
      <Server>
        <Host>secure.example.com</Host><Port>990</Port><Protocol>3</Protocol>
        <User>bob</User><Pass encoding="crypt">AAAA</Pass><Logontype>1</Logontype>
        <Name>Implicit</Name>
      </Server>
      <Server>
        <Host>sftp.example.com</Host><Protocol>1</Protocol><Name>Shell</Name>
      </Server>
    </Folder>
  </Servers>
</FileZilla3>
"#;

#[test]
fn filezilla_sites_come_in_with_a_report_and_go_back_out() {
    let config = tempfile::tempdir().unwrap();
    let file = config.path().join("sitemanager.xml");
    fs::write(&file, FILEZILLA).unwrap();
    let run = sites(
        config.path(),
        &["sites", "import-filezilla", file.to_str().unwrap()],
        None,
    )
    .expect_status(0);
    assert!(run.stdout.contains("imported  Top"), "{}", run.stdout);
    assert!(
        run.stdout.contains("imported  Wörk ☃/Implicit ("),
        "{}",
        run.stdout
    );
    // FileZilla's SFTP sites come in as SFTP sites.
    assert!(
        run.stdout.contains("imported  Wörk ☃/Shell"),
        "{}",
        run.stdout
    );
    // The keyring is off here, so the one readable password is not kept.
    assert!(
        run.stderr.contains("passwords were not imported"),
        "{}",
        run.stderr
    );
    let run = sites(config.path(), &["sites", "list"], None).expect_status(0);
    assert!(
        run.stdout
            .contains("Top\tftp://alice@ftp.example.com//my%20files/www"),
        "{}",
        run.stdout
    );
    // What `sites list` prints is a URL Ferry reads back to the same folder.
    let listed = ferry::url::FtpUrl::parse("ftp://alice@ftp.example.com//my%20files/www").unwrap();
    assert_eq!(listed.path, "/my files/www");
    assert!(
        run.stdout
            .contains("Wörk ☃/Implicit\tftps://bob@secure.example.com/"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains("Wörk ☃/Shell\tsftp://sftp.example.com/"),
        "{}",
        run.stdout
    );

    let out = config.path().join("export.xml");
    sites(
        config.path(),
        &["sites", "export-filezilla", out.to_str().unwrap()],
        None,
    )
    .expect_status(0);
    let exported = fs::read_to_string(&out).unwrap();
    assert!(
        exported.contains("<Host>secure.example.com</Host>"),
        "{exported}"
    );
    assert!(
        exported.contains("<RemoteDir>1 0 8 my files 3 www</RemoteDir>"),
        "{exported}"
    );

    // A fresh config imports the export into the same list.
    let again = tempfile::tempdir().unwrap();
    sites(
        again.path(),
        &["sites", "import-filezilla", out.to_str().unwrap()],
        None,
    )
    .expect_status(0);
    let first = sites(config.path(), &["sites", "list"], None).stdout;
    let second = sites(again.path(), &["sites", "list"], None).stdout;
    assert_eq!(first, second);
}

#[test]
fn a_site_saved_with_clear_data_connects_with_prot_c() {
    use common::unftp::{Tls, UnftpOptions};
    let server = UnftpServer::start(UnftpOptions {
        tls: Tls::Explicit,
        ..UnftpOptions::default()
    });
    fs::write(server.path("open.txt"), b"hi").unwrap();
    let fingerprint = server.cert().unwrap().sha256_hex.clone();
    let config = tempfile::tempdir().unwrap();
    let url = format!("ftpes://alice@127.0.0.1:{}/", server.port);
    sites(
        config.path(),
        &["sites", "add", "fast", &url, "--site-clear-data"],
        Some("s3cret-pw"),
    )
    .expect_status(0);
    let file = fs::read_to_string(config.path().join("ferry/sites.json")).unwrap();
    assert!(file.contains("\"clear_data\": true"), "{file}");
    let run = sites(
        config.path(),
        &["ls", "-v", "--site", "fast", "--trust", &fingerprint, ""],
        Some("s3cret-pw"),
    )
    .expect_status(0);
    assert_eq!(run.stdout.trim(), "open.txt");
    assert!(run.stderr.contains("PROT C"), "{}", run.stderr);
}

#[cfg(unix)]
#[test]
fn an_export_is_readable_by_its_owner_only_and_says_what_it_holds() {
    use std::os::unix::fs::PermissionsExt;
    let config = tempfile::tempdir().unwrap();
    sites(
        config.path(),
        &["sites", "add", "work", "ftp://alice@ftp.example.com/"],
        None,
    )
    .expect_status(0);
    let mode = |path: &Path| fs::metadata(path).unwrap().permissions().mode() & 0o777;

    let out = config.path().join("export.xml");
    let run = sites(
        config.path(),
        &["sites", "export-filezilla", out.to_str().unwrap()],
        None,
    )
    .expect_status(0);
    assert_eq!(mode(&out), 0o600);
    // The keyring is off here: no password went in, and it says so.
    assert!(run.stderr.contains("no passwords"), "{}", run.stderr);
    assert!(
        fs::read_to_string(&out)
            .unwrap()
            .contains("ftp.example.com")
    );

    // An existing file that others could read is narrowed, never widened.
    let shared = config.path().join("shared.xml");
    fs::write(&shared, b"old").unwrap();
    fs::set_permissions(&shared, fs::Permissions::from_mode(0o644)).unwrap();
    sites(
        config.path(),
        &["sites", "export-filezilla", shared.to_str().unwrap()],
        None,
    )
    .expect_status(0);
    assert_eq!(mode(&shared), 0o600);
    let private = config.path().join("private.xml");
    fs::write(&private, b"old").unwrap();
    fs::set_permissions(&private, fs::Permissions::from_mode(0o200)).unwrap();
    sites(
        config.path(),
        &["sites", "export-filezilla", private.to_str().unwrap()],
        None,
    )
    .expect_status(0);
    assert_eq!(mode(&private), 0o200);
}
