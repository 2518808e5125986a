//! Tests for `filezilla`: FileZilla's format, hostile input, round trips.

use super::*;
use base64::engine::general_purpose::STANDARD;

const SAMPLE: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes" ?>
<FileZilla3 version="3.66.4" platform="*nix">
  <Servers>
    <Server>
      <Host>ftp.example.com</Host>
      <Port>2121</Port>
      <Protocol>0</Protocol>
      <Type>0</Type>
      <User>alice</User>
      <Pass encoding="base64">c2VjcmV0</Pass>
      <Logontype>1</Logontype>
      <PasvMode>MODE_PASSIVE</PasvMode>
      <MaximumMultipleConnections>3</MaximumMultipleConnections>
      <EncodingType>Auto</EncodingType>
      <BypassProxy>0</BypassProxy>
      <Name>Example</Name>
      <Comments>hello</Comments>
      <LocalDir>/home/alice/www</LocalDir>
      <RemoteDir>1 0 3 www 4 html</RemoteDir>
      <SyncBrowsing>0</SyncBrowsing>
      <DirectoryComparison>0</DirectoryComparison>
    </Server>
    <Folder expanded="1">Work
      <Server><Host>w.example</Host><Protocol>4</Protocol><User>bob</User><Logontype>2</Logontype><Name>W &amp; Co</Name></Server>
      <Folder>Clients
        <Folder>Ümläut &#x2603;
          <Server><Host>deep.example</Host><Protocol>3</Protocol><Logontype>0</Logontype><Name>日本</Name><RemoteDir>1 0 8 my files 2 日本</RemoteDir></Server>
        </Folder>
        <Server><Host>c.example</Host><Protocol>6</Protocol><User>carol</User><Pass>pl&lt;ain</Pass><Logontype>4</Logontype><Account>acct</Account><PasvMode>MODE_ACTIVE</PasvMode>Legacy name</Server>
      </Folder>
    </Folder>
  </Servers>
</FileZilla3>
"#;

fn doc(servers: &str) -> String {
    format!("<?xml version=\"1.0\"?>\n<FileZilla3><Servers>{servers}</Servers></FileZilla3>")
}

/// Imports one `<Server>` with `body`.
fn one(body: &str) -> (Option<ImportedSite>, ImportOutcome) {
    let import = import(&doc(&format!("<Server>{body}</Server>"))).unwrap();
    assert_eq!(import.report.len(), 1);
    (
        import.sites.into_iter().next(),
        import.report[0].outcome.clone(),
    )
}

const BASE: &str = "<Host>h</Host><Protocol>6</Protocol><User>u</User>";

fn changed(outcome: &ImportOutcome, part: &str) -> bool {
    matches!(outcome, ImportOutcome::Changed(note) if note.contains(part))
}

#[test]
fn sample_imports_nested_folders_and_every_field() {
    let import = import(SAMPLE).unwrap();
    let paths: Vec<_> = import.report.iter().map(|l| l.path.as_str()).collect();
    assert_eq!(
        paths,
        [
            "Example",
            "Work/W & Co",
            "Work/Clients/Ümläut ☃/日本",
            "Work/Clients/Legacy name"
        ]
    );
    assert_eq!(import.sites.len(), 4);
    let first = &import.sites[0];
    let site = &first.site;
    assert_eq!(first.password.as_deref(), Some("secret"));
    assert_eq!(
        (site.host.as_str(), site.port, site.protocol),
        ("ftp.example.com", 2121, SiteProtocol::ExplicitTls)
    );
    assert_eq!(
        (site.logon, site.user.as_str()),
        (LogonType::Normal, "alice")
    );
    assert_eq!(
        (site.transfer_mode, site.max_connections),
        (TransferMode::Passive, 3)
    );
    assert_eq!(
        (site.encoding.as_str(), site.comments.as_str()),
        ("utf-8", "hello")
    );
    assert_eq!(
        (site.local_dir.as_str(), site.remote_dir.as_str()),
        ("/home/alice/www", "/www/html")
    );
    assert!(site.folder.is_empty() && site.id.len() == 32);
    assert!(changed(&import.report[0].outcome, "Ferry requires it"));
    assert_eq!(import.sites[1].site.folder, ["Work"]);
    assert_eq!(import.sites[2].site.folder, ["Work", "Clients", "Ümläut ☃"]);
    assert_eq!(import.sites[2].site.remote_dir, "/my files/日本");
    assert_eq!(import.sites[2].site.logon, LogonType::Anonymous);
    let legacy = &import.sites[3];
    assert_eq!(
        (legacy.site.name.as_str(), legacy.password.as_deref()),
        ("Legacy name", Some("pl<ain"))
    );
    assert_eq!(
        (legacy.site.logon, legacy.site.account.as_str()),
        (LogonType::Account, "acct")
    );
    assert_eq!(legacy.site.transfer_mode, TransferMode::Active);
    assert_eq!(import.report[3].outcome, ImportOutcome::Imported);
    assert_ne!(import.sites[0].site.id, import.sites[1].site.id);
}

#[test]
fn protocol_codes() {
    let protocol = |code: &str| one(&format!("<Host>h</Host>{code}<Logontype>0</Logontype>"));
    let (site, outcome) = protocol("<Protocol>0</Protocol>");
    assert_eq!(site.unwrap().site.protocol, SiteProtocol::ExplicitTls);
    assert_eq!(
        outcome,
        ImportOutcome::Changed("FileZilla used TLS only if available; Ferry requires it".into())
    );
    assert_eq!(protocol("").1, outcome, "missing means 0");
    for (code, expected) in [
        ("3", SiteProtocol::ImplicitTls),
        ("4", SiteProtocol::ExplicitTls),
        (" 6 ", SiteProtocol::Plain),
        ("1", SiteProtocol::Sftp),
    ] {
        let (site, outcome) = protocol(&format!("<Protocol>{code}</Protocol>"));
        assert_eq!(
            (site.unwrap().site.protocol, outcome),
            (expected, ImportOutcome::Imported)
        );
    }
    let skipped = |code: &str| protocol(&format!("<Protocol>{code}</Protocol>")).1;
    assert_eq!(
        skipped("7"),
        ImportOutcome::Skipped("FileZilla protocol 7 (S3) is not FTP".into())
    );
    assert_eq!(
        skipped("2"),
        ImportOutcome::Skipped("FileZilla protocol 2 (HTTP) is not FTP".into())
    );
    assert_eq!(
        skipped("5"),
        ImportOutcome::Skipped("FileZilla protocol 5 (HTTPS) is not FTP".into())
    );
    assert_eq!(
        skipped("99"),
        ImportOutcome::Skipped("FileZilla protocol \"99\" is unknown".into())
    );
    assert_eq!(
        skipped("-1"),
        ImportOutcome::Skipped("FileZilla protocol \"-1\" is unknown".into())
    );
}

#[test]
fn logon_types() {
    let logon = |code: &str| {
        let (site, outcome) = one(&format!(
            "{BASE}<Pass>p</Pass><Logontype>{code}</Logontype>"
        ));
        let site = site.unwrap();
        (site.site.logon, site.password, outcome)
    };
    assert_eq!(
        logon("0"),
        (LogonType::Anonymous, None, ImportOutcome::Imported)
    );
    assert_eq!(
        logon("1"),
        (LogonType::Normal, Some("p".into()), ImportOutcome::Imported)
    );
    assert_eq!(
        logon("2"),
        (LogonType::AskForPassword, None, ImportOutcome::Imported)
    );
    assert_eq!(
        logon("4"),
        (
            LogonType::Account,
            Some("p".into()),
            ImportOutcome::Imported
        )
    );
    for (code, expected, note) in [
        ("3", LogonType::AskForPassword, "interactive"),
        ("5", LogonType::Normal, "key file"),
        ("6", LogonType::Normal, "profile"),
        ("9", LogonType::Normal, "unknown"),
    ] {
        let (got, password, outcome) = logon(code);
        assert_eq!((got, password), (expected, None), "{code}");
        assert!(changed(&outcome, note), "{code}: {outcome:?}");
    }
    let missing = |user: &str| {
        one(&format!("<Host>h</Host><Protocol>6</Protocol>{user}"))
            .0
            .unwrap()
            .site
            .logon
    };
    assert_eq!(missing("<User>u</User>"), LogonType::Normal);
    assert_eq!(missing(""), LogonType::Anonymous);
}

#[test]
fn passwords() {
    let pass = |element: &str| {
        let (site, outcome) = one(&format!("{BASE}<Logontype>1</Logontype>{element}"));
        (site.unwrap().password, outcome)
    };
    assert_eq!(
        pass("<Pass encoding=\"base64\">c2VjcmV0</Pass>"),
        (Some("secret".into()), ImportOutcome::Imported)
    );
    assert_eq!(
        pass("<Pass encoding=\"base64\">w7xiZXI\n</Pass>")
            .0
            .as_deref(),
        Some("über"),
        "no padding"
    );
    assert_eq!(
        pass("<Pass> plain &amp; spaced </Pass>").0.as_deref(),
        Some(" plain & spaced ")
    );
    assert_eq!(pass("<Pass/>"), (None, ImportOutcome::Imported));
    assert_eq!(
        pass("<Pass encoding=\"crypt\" pubkey=\"abc\">xyz</Pass>"),
        (
            None,
            ImportOutcome::Changed(
                "the password is encrypted with FileZilla's master password; enter it again".into()
            )
        )
    );
    let (password, outcome) = pass("<Pass encoding=\"base64\">!!not base64!!</Pass>");
    assert!(password.is_none() && changed(&outcome, "not valid base64"));
    let (password, outcome) = pass("<Pass encoding=\"base64\">/w==</Pass>");
    assert!(password.is_none() && changed(&outcome, "not valid UTF-8"));
    let (password, outcome) = pass("<Pass encoding=\"rot13\">x</Pass>");
    assert!(password.is_none() && changed(&outcome, "\"rot13\""));
    let debug = format!(
        "{:?}",
        one(&format!("{BASE}<Pass>hunter2</Pass>")).0.unwrap()
    );
    assert!(!debug.contains("hunter2") && debug.contains("redacted"));
}

#[test]
fn remote_dirs_names_and_odd_values() {
    let (site, outcome) = one(&format!(
        "{BASE}<RemoteDir>1 0 8 my files 6 Ümläut 1 ☃ 2 日本</RemoteDir>"
    ));
    assert_eq!(
        (site.unwrap().site.remote_dir, outcome),
        ("/my files/Ümläut/☃/日本".into(), ImportOutcome::Imported)
    );
    let (site, outcome) = one(&format!("{BASE}<RemoteDir>3 0 2 C: 3 dir</RemoteDir>"));
    assert_eq!(site.unwrap().site.remote_dir, "/C:/dir");
    assert!(changed(&outcome, "FileZilla type 3"));
    let (site, outcome) = one(&format!("{BASE}<RemoteDir>1 0 99 x</RemoteDir>"));
    assert!(site.unwrap().site.remote_dir.is_empty() && changed(&outcome, "remote directory"));
    let name = |body: &str| one(&format!("{BASE}{body}")).0.unwrap().site.name;
    assert_eq!(name(""), "h", "no name: the host");
    assert_eq!(name("  Legacy &lt;1&gt;  "), "Legacy <1>");
    assert_eq!(name("<Name> New </Name>Legacy"), "New");
    assert_eq!(name("<Bookmark><Name>Not me</Name></Bookmark>"), "h");
    assert_eq!(name("<Name>First</Name><Name>Second</Name>"), "First");
    let (site, outcome) = one(&format!(
        "{BASE}<Port>70000</Port><Unknown><Host>x</Host></Unknown>"
    ));
    assert_eq!(
        (site.as_ref().unwrap().site.port, site.unwrap().site.host),
        (0, "h".into())
    );
    assert!(changed(&outcome, "port \"70000\""));
    let import = import(&doc(&format!("<Folder><Server>{BASE}</Server></Folder>"))).unwrap();
    assert_eq!(import.sites[0].site.folder, ["(no name)"]);
    assert!(changed(&import.report[0].outcome, "folder had no name"));
}

#[test]
fn entities_and_cdata_are_unescaped() {
    let xml = doc(
        "<Folder>A &amp; B &#x2603;&#9731;<Server><Host>h&#46;example</Host><Protocol>6</Protocol>\
         <Name>&lt;x&gt; &quot;q&quot; &apos;s&apos;</Name><Comments>l1&#13;\nl2 <![CDATA[<raw> &amp;]]></Comments>\
         </Server></Folder>",
    );
    let import = import(&xml).unwrap();
    let site = &import.sites[0].site;
    assert_eq!(site.folder, ["A & B ☃☃"]);
    assert_eq!(
        (site.host.as_str(), site.name.as_str()),
        ("h.example", "<x> \"q\" 's'")
    );
    assert_eq!(site.comments, "l1\r\nl2 <raw> &amp;");
    assert_eq!(import.report[0].path, "A & B ☃☃/<x> \"q\" 's'");
}

#[test]
fn encodings() {
    let encoding = |body: &str| {
        let (site, outcome) = one(&format!("{BASE}{body}"));
        (site.unwrap().site.encoding, outcome)
    };
    let custom = |label: &str| {
        encoding(&format!(
            "<EncodingType>Custom</EncodingType><CustomEncoding>{label}</CustomEncoding>"
        ))
        .0
    };
    assert_eq!(custom("ISO-8859-1"), "latin-1");
    assert_eq!(custom("windows-1252"), "windows-1252");
    assert_eq!(custom("Shift_JIS"), "shift_jis");
    assert_eq!(encoding("<EncodingType>Auto</EncodingType>").0, "utf-8");
    assert_eq!(encoding("<EncodingType>UTF-8</EncodingType>").0, "utf-8");
    assert_eq!(encoding("").0, "utf-8");
    let (label, outcome) = encoding("<EncodingType>Custom</EncodingType>");
    assert!(label == "utf-8" && changed(&outcome, "custom encoding had no name"));
}

#[test]
fn max_connections() {
    let connections = |n: &str| {
        let (site, outcome) = one(&format!(
            "{BASE}<MaximumMultipleConnections>{n}</MaximumMultipleConnections>"
        ));
        (site.unwrap().site.max_connections, outcome)
    };
    assert_eq!(connections("4"), (4, ImportOutcome::Imported));
    assert_eq!(connections("0"), (0, ImportOutcome::Imported));
    assert_eq!(connections("-2"), (0, ImportOutcome::Imported));
    let (n, outcome) = connections("25");
    assert!(n == 10 && changed(&outcome, "allowed 25 connections"));
    let (n, outcome) = connections("many");
    assert!(n == 0 && changed(&outcome, "not a number"));
}

#[test]
fn missing_host_is_skipped() {
    for body in ["<Protocol>6</Protocol><Name>N</Name>", "<Host>  </Host>"] {
        let (site, outcome) = one(body);
        assert!(site.is_none());
        assert_eq!(outcome, ImportOutcome::Skipped("no host".into()));
    }
    let import = import(&doc("<Server><Name>N</Name></Server>")).unwrap();
    assert_eq!(import.report[0].path, "N");
}

#[test]
fn malformed_xml_is_an_error() {
    for xml in [
        "<FileZilla3><Servers><Server></Servers></FileZilla3>",
        "<FileZilla3><Servers>",
        "<FileZilla3><Servers><Server><Host>a & b</Host></Server></Servers></FileZilla3>",
        "<FileZilla3><Servers>&bogus;</Servers></FileZilla3>",
        "<FileZilla3><Servers><Server><Pass encoding=base64>x</Pass></Server></Servers></FileZilla3>",
        "<FileZilla3><Servers></Servers></FileZilla3></Extra>",
    ] {
        let error = import(xml).unwrap_err();
        assert!(matches!(error, FileZillaError::Xml(_)), "{xml}: {error:?}");
    }
    let error = import("<FileZilla3>\n<Servers>\n  <Server></Folder>").unwrap_err();
    let text = error.to_string();
    assert!(text.starts_with("not valid XML: line 3, column "), "{text}");
}

#[test]
fn not_a_site_manager() {
    for xml in [
        "",
        "hello",
        "<html><body/></html>",
        "<FileZilla3><Settings/></FileZilla3>",
        "\u{feff}<FileZilla3/>",
    ] {
        assert!(
            matches!(import(xml), Err(FileZillaError::NotSiteManager)),
            "{xml:?}"
        );
    }
    assert!(
        FileZillaError::NotSiteManager
            .to_string()
            .contains("<Servers>")
    );
    assert!(
        import("\u{feff}<FileZilla3><Servers/></FileZilla3>")
            .unwrap()
            .sites
            .is_empty()
    );
}

#[test]
fn deep_nesting_is_bounded() {
    let nest = |depth: usize| {
        let open = "<Folder>f".repeat(depth);
        let close = "</Folder>".repeat(depth);
        doc(&format!("{open}<Server>{BASE}</Server>{close}"))
    };
    let import_at = |depth| import(&nest(depth)).unwrap();
    assert_eq!(import_at(64).sites[0].site.folder.len(), 64);
    let deep = import_at(65);
    assert!(deep.sites.is_empty());
    assert_eq!(
        deep.report[0].outcome,
        ImportOutcome::Skipped("folders nested more than 64 deep".into())
    );
    assert_eq!(deep.report[0].path, "…/h");
    let long = import(&doc(&format!(
        "<Folder>{}<Server>{BASE}</Server></Folder>",
        "x".repeat(5000)
    )))
    .unwrap();
    assert_eq!(
        long.report[0].outcome,
        ImportOutcome::Skipped("folder names longer than 4096 bytes".into())
    );
    // Far deeper than any stack could recurse.
    assert!(import_at(200_000).sites.is_empty());
    let many = format!(
        "{}{}{}",
        "<Folder>f".repeat(5_000),
        format!("<Server>{BASE}</Server>").repeat(5_000),
        "</Folder>".repeat(5_000)
    );
    let import = import(&doc(&many)).unwrap();
    assert_eq!(import.report.len(), 5_000);
}

#[test]
fn truncated_files_never_panic() {
    for (end, _) in SAMPLE.char_indices() {
        match import(&SAMPLE[..end]) {
            Ok(import) => assert!(import.report.len() <= 4),
            Err(FileZillaError::Xml(_) | FileZillaError::NotSiteManager) => {}
        }
    }
    let remote = "2 3 pre 8 my files 2 日本 1 😀";
    for (end, _) in remote.char_indices() {
        let _ = parse_remote_dir(&remote[..end]);
    }
}

fn sample_sites() -> Vec<Site> {
    let site = |folder: &[&str], name: &str| Site {
        id: new_site_id(),
        name: name.into(),
        folder: folder.iter().map(|s| s.to_string()).collect(),
        host: format!("{name}.example"),
        port: 2121,
        ..Site::default()
    };
    vec![
        Site {
            protocol: SiteProtocol::ExplicitTls,
            user: "alice & <bob>".into(),
            transfer_mode: TransferMode::Passive,
            max_connections: 4,
            encoding: "latin-1".into(),
            local_dir: "/home/a/Ümläut ☃".into(),
            remote_dir: "/my files/日本/😀".into(),
            comments: "line 1\r\nline 2\ttab \"quoted\" 'single' \u{1}".into(),
            ..site(&["Work", "Clients"], "acme")
        },
        Site {
            protocol: SiteProtocol::ImplicitTls,
            port: 990,
            logon: LogonType::Anonymous,
            ..site(&[], "top")
        },
        Site {
            protocol: SiteProtocol::Plain,
            logon: LogonType::Account,
            user: "u".into(),
            account: "acct".into(),
            transfer_mode: TransferMode::Active,
            encoding: "shift_jis".into(),
            remote_dir: "/".into(),
            ..site(&["Work"], "日本")
        },
        Site {
            logon: LogonType::AskForPassword,
            user: "asker".into(),
            encoding: "windows-1252".into(),
            ..site(&["Work", "Clients"], "second")
        },
        Site {
            user: "n".into(),
            ..site(&["Other"], "normal")
        },
    ]
}

#[test]
fn export_then_import_round_trips_every_field() {
    let sites = sample_sites();
    let password = |site: &Site| Some(format!("pw for {} & ☃ <x>", site.name));
    let xml = export(&sites, &password);
    let import = import(&xml).unwrap();
    assert!(
        import
            .report
            .iter()
            .all(|l| l.outcome == ImportOutcome::Imported),
        "{:?}",
        import.report
    );
    assert_eq!(import.sites.len(), sites.len());
    let order = [
        "Work/Clients/acme",
        "Work/Clients/second",
        "Work/日本",
        "top",
        "Other/normal",
    ];
    for (path, imported) in order.iter().zip(&import.sites) {
        let original = sites.iter().find(|s| s.path() == *path).unwrap();
        let expected = Site {
            id: imported.site.id.clone(),
            ..original.clone()
        };
        assert_eq!(imported.site, expected);
        let with_password = matches!(original.logon, LogonType::Normal | LogonType::Account);
        assert_eq!(
            imported.password,
            with_password.then(|| password(original)).flatten(),
            "{path}"
        );
    }
}

#[test]
fn export_groups_folders_and_writes_filezilla_codes() {
    let sites = sample_sites();
    let xml = export(&sites, &|site| Some(format!("{}-pw", site.name)));
    assert!(xml.starts_with(
        "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\" ?>\n<FileZilla3 platform="
    ));
    assert_eq!(
        xml.matches("<Folder ").count(),
        3,
        "Work, Clients, Other once each:\n{xml}"
    );
    let work = xml.find(">Work\n").unwrap();
    assert!(
        work < xml.find(">top<").unwrap()
            && xml.find(">top<").unwrap() < xml.find(">Other\n").unwrap()
    );
    assert!(
        !xml.contains(&STANDARD.encode("top-pw")),
        "never a password for anonymous"
    );
    assert!(xml.contains(&format!(
        "<Pass encoding=\"base64\">{}</Pass>",
        STANDARD.encode("normal-pw")
    )));
    assert!(
        xml.contains("<Protocol>3</Protocol>")
            && xml.contains("<Protocol>4</Protocol>")
            && xml.contains("<Protocol>6</Protocol>")
    );
    assert!(xml.contains("<CustomEncoding>ISO-8859-1</CustomEncoding>"));
    let none = export(
        &[Site {
            host: "h".into(),
            ..Site::default()
        }],
        &|_| None,
    );
    assert!(
        none.contains("<Port>21</Port>") && none.contains("<EncodingType>UTF-8</EncodingType>")
    );
    assert!(!none.contains("<Pass") && !none.contains("<Folder"));
    assert_eq!(import(&export(&[], &|_| None)).unwrap().sites.len(), 0);
}

#[test]
fn remote_dir_round_trip() {
    assert_eq!(format_remote_dir("/home/user"), "1 0 4 home 4 user");
    assert_eq!(format_remote_dir("/my files/www"), "1 0 8 my files 3 www");
    assert_eq!(format_remote_dir("/"), "1 0");
    assert_eq!(format_remote_dir(""), "");
    assert_eq!(format_remote_dir("rel//dir/"), "1 0 3 rel 3 dir");
    for path in [
        "/",
        "/home/user",
        "/my files/www",
        "/Ümläut ☃/日本",
        "/ a /  b  ",
        "/😀/x😀y",
    ] {
        assert_eq!(
            parse_remote_dir(&format_remote_dir(path)).as_deref(),
            Some(path)
        );
    }
    assert_eq!(
        parse_remote_dir("1 0 1 😀 1 x").as_deref(),
        Some("/😀/x"),
        "characters"
    );
    assert_eq!(
        parse_remote_dir("1 0 2 😀 1 x").as_deref(),
        Some("/😀/x"),
        "UTF-16, as on Windows"
    );
    assert_eq!(
        parse_remote_dir("2 5 DISK: 3 foo").as_deref(),
        Some("DISK:/foo"),
        "prefix"
    );
    assert_eq!(parse_remote_dir("0 0 1 a").as_deref(), Some("/a"));
    assert_eq!(parse_remote_dir("").as_deref(), Some(""));
}

#[test]
fn remote_dir_malformed() {
    for text in [
        "1 0 99 x",
        "abc",
        "1",
        "1 ",
        "1 0 ",
        "1 0 0 ",
        "1 0 3 ab",
        "1 0 2 abc",
        "x 0",
        "1 x",
        "1 5",
        "1 0 99999999999999 x",
        "1 0 3 abc3 def",
        "1 0 -1 a",
        "1 0 3 😀",
        "99999999 0",
        "1 00000000000 1 a",
    ] {
        assert_eq!(parse_remote_dir(text), None, "{text:?}");
    }
    let long = format!("1 0 {} {}", 40_000, "a".repeat(40_000));
    assert_eq!(parse_remote_dir(&long), None, "FileZilla's bound");
}

#[cfg(unix)]
#[test]
fn an_export_with_passwords_is_created_for_its_owner_only_and_counts_them() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let sites = vec![
        Site {
            name: "with".into(),
            host: "a.example.com".into(),
            user: "u".into(),
            logon: LogonType::Normal,
            ..Site::default()
        },
        Site {
            name: "anonymous".into(),
            host: "b.example.com".into(),
            logon: LogonType::Anonymous,
            ..Site::default()
        },
    ];
    let path = dir.path().join("out.xml");
    let written = write_export(&path, &sites, &|_| Some("hunter2".to_string())).unwrap();
    assert_eq!(
        written,
        Exported {
            sites: 2,
            passwords: 1
        }
    );
    let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    let xml = std::fs::read_to_string(&path).unwrap();
    assert!(xml.contains(&STANDARD.encode("hunter2")), "{xml}");
    // Writing again over a longer file leaves no tail of the old one.
    std::fs::write(&path, "x".repeat(xml.len() * 2)).unwrap();
    write_export(&path, &sites, &|_| None).unwrap();
    assert!(
        std::fs::read_to_string(&path)
            .unwrap()
            .ends_with("</FileZilla3>\n")
    );
}

#[test]
fn an_sftp_site_with_a_key_file_comes_in_with_it_and_goes_back_out_with_it() {
    let xml = r#"<FileZilla3><Servers>
      <Server><Host>shell.example</Host><Port>2222</Port><Protocol>1</Protocol>
        <User>me</User><Logontype>5</Logontype><Keyfile>/home/me/.ssh/id_ed25519</Keyfile>
        <Name>Shell</Name></Server>
    </Servers></FileZilla3>"#;
    let import = import(xml).unwrap();
    let site = &import.sites[0].site;
    assert_eq!(site.protocol, SiteProtocol::Sftp);
    assert_eq!(site.key_file, "/home/me/.ssh/id_ed25519");
    assert_eq!(site.port, 2222);
    // Nothing said about the logon: the key file is taken as it is.
    assert_eq!(import.report[0].outcome, ImportOutcome::Imported);
    let options = site.connect_options(None);
    assert_eq!(
        options.ssh.identity_files,
        vec![std::path::PathBuf::from("/home/me/.ssh/id_ed25519")]
    );
    let exported = export(std::slice::from_ref(site), &|_| None);
    assert!(exported.contains("<Logontype>5</Logontype>"), "{exported}");
    assert!(
        exported.contains("<Keyfile>/home/me/.ssh/id_ed25519</Keyfile>"),
        "{exported}"
    );
}
