//! Edit and Open (read only) on a server's file in the window (issue 18):
//! the copy is opened with the program the settings name (here `true`,
//! which opens nothing; the window records what it handed over), a save
//! is noticed, asked about and uploaded through the queue, and a file
//! someone changed on the server meanwhile is never overwritten without
//! the user's word.

mod common;

use std::fs;
use std::path::PathBuf;

use common::gui::{App, connect, right_click, shows, wait_for, window_with_settings};
use common::unftp::UnftpServer;
use egui_kittest::kittest::Queryable;
use ferry::gui::{LinkState, Settings};

fn window_on(server: &UnftpServer, local: &std::path::Path) -> App {
    let settings = Settings {
        last_local: Some(local.to_path_buf()),
        editor: "true {path}".to_string(),
        ..Settings::default()
    };
    let mut app = window_with_settings(settings);
    connect(&mut app, server.port, "alice", "s3cret-pw");
    wait_for(&mut app, "connected", |app| {
        matches!(app.state().link(), LinkState::Connected { .. })
    });
    app
}

/// Clicks the right-click menu's `label` (the menu bar may have an entry
/// of the same name: the menu's is the last one drawn).
fn menu_entry(app: &mut App, label: &str) {
    let entries: Vec<_> = app.query_all_by_label(label).collect();
    entries.last().expect("the menu entry").click();
    app.step();
}

/// Picks `entry` from the menu bar's `menu`.
fn menu_pick(app: &mut App, menu: &str, entry: &str) {
    app.get_by_label(menu).click();
    for _ in 0..3 {
        app.step();
    }
    app.get_by_label(entry).click();
    for _ in 0..3 {
        app.step();
    }
}

/// Clicks a dialog's button once the dialog has settled where it is
/// drawn (a modal is placed in its first frames; a click aimed at where
/// it was would miss).
fn click(app: &mut App, label: &str) {
    for _ in 0..3 {
        app.step();
    }
    app.get_by_label(label).click();
    app.step();
}

fn state_of(app: &App, name: &str) -> String {
    app.state()
        .edited_files()
        .iter()
        .find(|e| e.name() == name)
        .map(|e| e.state.label())
        .unwrap_or_default()
}

fn copy_of(app: &App, name: &str) -> PathBuf {
    app.state()
        .edited_files()
        .iter()
        .find(|e| e.name() == name)
        .map(|e| e.local.clone())
        .expect("an edited file")
}

#[test]
fn a_saved_file_is_uploaded_after_the_question_and_a_change_on_the_server_is_asked_about() {
    let server = UnftpServer::plain();
    fs::write(server.path("page.html"), b"<p>old</p>").unwrap();
    let local = tempfile::tempdir().unwrap();
    let mut app = window_on(&server, local.path());
    wait_for(&mut app, "the listing", |app| shows(app, "page.html"));
    right_click(&mut app, "page.html");
    menu_entry(&mut app, "Edit");
    wait_for(&mut app, "the copy opened", |app| {
        state_of(app, "page.html") == "unchanged" && app.state().opened_copies().len() == 1
    });
    let copy = copy_of(&app, "page.html");
    assert_eq!(app.state().opened_copies()[0], copy);
    assert_eq!(fs::read(&copy).unwrap(), b"<p>old</p>");
    assert!(
        !copy.starts_with(local.path()),
        "never in the user's folders"
    );
    assert!(shows(&app, "Edited files (1)"));

    // Saved as an editor does: a new file renamed over the copy.
    fs::write(copy.with_extension("tmp"), b"<p>new</p>").unwrap();
    fs::rename(copy.with_extension("tmp"), &copy).unwrap();
    wait_for(&mut app, "the question", |app| {
        shows(app, "Upload the saved file?")
    });
    assert_eq!(
        fs::read(server.path("page.html")).unwrap(),
        b"<p>old</p>",
        "not before the answer"
    );
    click(&mut app, "Upload now");
    wait_for(&mut app, "the upload", |app| {
        state_of(app, "page.html").starts_with("uploaded at")
    });
    assert_eq!(fs::read(server.path("page.html")).unwrap(), b"<p>new</p>");

    // Someone else changes the file on the server; then this copy is saved.
    fs::write(server.path("page.html"), b"<p>theirs, longer</p>").unwrap();
    fs::write(&copy, b"<p>mine</p>").unwrap();
    wait_for(&mut app, "the question again", |app| {
        shows(app, "Upload the saved file?")
    });
    click(&mut app, "Upload now");
    wait_for(&mut app, "the conflict", |app| {
        shows(app, "The file changed on the server")
    });
    assert_eq!(state_of(&app, "page.html"), "changed on the server too");
    assert_eq!(
        fs::read(server.path("page.html")).unwrap(),
        b"<p>theirs, longer</p>"
    );
    click(&mut app, "Keep both");
    wait_for(&mut app, "the copy beside theirs", |_| {
        fs::read(server.path("page (1).html")).is_ok_and(|b| b == b"<p>mine</p>")
    });
    assert_eq!(
        fs::read(server.path("page.html")).unwrap(),
        b"<p>theirs, longer</p>"
    );
}

#[test]
fn a_file_opened_read_only_is_never_uploaded() {
    let server = UnftpServer::plain();
    fs::write(server.path("notes.txt"), b"notes").unwrap();
    let local = tempfile::tempdir().unwrap();
    let mut app = window_on(&server, local.path());
    wait_for(&mut app, "the listing", |app| shows(app, "notes.txt"));
    right_click(&mut app, "notes.txt");
    menu_entry(&mut app, "Open (read only)");
    wait_for(&mut app, "the copy opened", |app| {
        state_of(app, "notes.txt") == "unchanged"
    });
    let copy = copy_of(&app, "notes.txt");
    fs::write(&copy, b"scribbled on").unwrap();
    wait_for(&mut app, "the change noticed", |app| {
        state_of(app, "notes.txt") == "changed, not uploaded"
    });
    assert!(!shows(&app, "Upload the saved file?"));
    assert_eq!(fs::read(server.path("notes.txt")).unwrap(), b"notes");
}

#[test]
fn a_local_folder_is_kept_up_to_date_on_the_server_until_stopped() {
    let server = UnftpServer::plain();
    let local = tempfile::tempdir().unwrap();
    let site = local.path().join("site");
    fs::create_dir_all(site.join(".git")).unwrap();
    fs::write(site.join("index.html"), b"<h1>home</h1>").unwrap();
    fs::write(site.join(".git/HEAD"), b"ref").unwrap();
    let mut app = window_on(&server, local.path());
    wait_for(&mut app, "the listings", |app| {
        shows(app, "site") && !app.state_mut().right_pane().table.folder().is_empty()
    });
    right_click(&mut app, "site");
    menu_entry(&mut app, "Keep the server folder up to date");
    wait_for(&mut app, "the first mirror", |app| {
        app.state()
            .kept_folder()
            .is_some_and(|s| s.contains("in step, watching"))
    });
    assert_eq!(
        fs::read(server.path("site/index.html")).unwrap(),
        b"<h1>home</h1>"
    );
    assert!(
        !server.path("site/.git").exists(),
        "left out as the settings say"
    );
    fs::write(site.join("about.html"), b"<h1>about</h1>").unwrap();
    wait_for(&mut app, "the new file sent", |app| {
        app.state()
            .kept_folder()
            .is_some_and(|s| s.contains("1 file sent, the last about.html at"))
    });
    assert_eq!(
        fs::read(server.path("site/about.html")).unwrap(),
        b"<h1>about</h1>"
    );
    assert!(shows(&app, "Stop"));
    let stops: Vec<_> = app.query_all_by_label("Stop").collect();
    stops.last().unwrap().click();
    wait_for(&mut app, "stopped", |app| {
        app.state().kept_folder().is_none()
    });
    fs::write(site.join("later.html"), b"later").unwrap();
    std::thread::sleep(std::time::Duration::from_millis(500));
    assert!(
        !server.path("site/later.html").exists(),
        "no longer watched"
    );
}

#[test]
fn closing_with_a_saved_edit_not_uploaded_asks_first() {
    let server = UnftpServer::plain();
    fs::write(server.path("draft.txt"), b"draft").unwrap();
    let local = tempfile::tempdir().unwrap();
    let mut app = window_on(&server, local.path());
    wait_for(&mut app, "the listing", |app| shows(app, "draft.txt"));
    right_click(&mut app, "draft.txt");
    menu_entry(&mut app, "Edit");
    wait_for(&mut app, "the copy opened", |app| {
        state_of(app, "draft.txt") == "unchanged"
    });
    fs::write(copy_of(&app, "draft.txt"), b"draft, longer").unwrap();
    wait_for(&mut app, "the question", |app| {
        shows(app, "Upload the saved file?")
    });
    click(&mut app, "Not now");
    assert_eq!(state_of(&app, "draft.txt"), "changed, not uploaded");
    // The desktop asks the window to close (its close button).
    app.input_mut()
        .viewports
        .entry(egui::ViewportId::ROOT)
        .or_default()
        .events
        .push(egui::ViewportEvent::Close);
    wait_for(&mut app, "the question about the edit", |app| {
        shows(app, "Edited files not uploaded")
    });
    assert!(!app.state().quit_asked(), "the close was cancelled");
    click(&mut app, "Close");
    assert!(app.state().quit_asked());
}

/// A link to a file (`ferry ftp://host/dir/file.txt`, a clicked link)
/// opens its folder with the file selected and offers to download it
/// (issue 19, point 6), where it failed with 550 before.
#[test]
fn a_link_to_a_file_opens_its_folder_and_offers_the_download() {
    let server = UnftpServer::plain();
    fs::create_dir(server.path("docs")).unwrap();
    fs::write(server.path("docs/manual.pdf"), b"%PDF-1.7").unwrap();
    fs::write(server.path("docs/other.txt"), b"other").unwrap();
    let local = tempfile::tempdir().unwrap();
    let url = ferry::url::FtpUrl::parse(&format!(
        "ftp://alice:s3cret-pw@127.0.0.1:{}/docs/manual.pdf",
        server.port
    ))
    .unwrap();
    let mut app = common::gui::window_opening(local.path(), Some(url));
    wait_for(&mut app, "the offer", |app| {
        shows(app, "The link names a file")
    });
    assert!(
        app.state().errors().is_empty(),
        "{:?}",
        app.state().errors()
    );
    let selected: Vec<String> = app
        .state_mut()
        .right_pane()
        .table
        .selection()
        .iter()
        .map(|r| r.name.clone())
        .collect();
    assert_eq!(selected, ["manual.pdf"]);
    click(&mut app, "Download");
    wait_for(&mut app, "the download", |_| {
        fs::read(local.path().join("manual.pdf")).is_ok_and(|b| b == b"%PDF-1.7")
    });
    assert!(!local.path().join("other.txt").exists());
}

/// An idle login gets a NOOP at the interval the settings give (issue
/// 19, point 4), and none when they say off.
#[test]
fn an_idle_login_is_kept_alive_at_the_set_interval() {
    let server = UnftpServer::plain();
    let local = tempfile::tempdir().unwrap();
    for (secs, wanted) in [(1, true), (0, false)] {
        let settings = Settings {
            last_local: Some(local.path().to_path_buf()),
            keep_alive_secs: secs,
            ..Settings::default()
        };
        let mut app = window_with_settings(settings);
        connect(&mut app, server.port, "alice", "s3cret-pw");
        wait_for(&mut app, "connected", |app| {
            matches!(app.state().link(), LinkState::Connected { .. })
        });
        let until = std::time::Instant::now() + std::time::Duration::from_millis(2500);
        while std::time::Instant::now() < until {
            app.step();
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        assert_eq!(
            app.state().log_contains("NOOP"),
            wanted,
            "every {secs} s: {}",
            app.state().log_text()
        );
    }
}

/// The queue panel's speed limit holds a running download back and,
/// changed, lets it go at once (issue 19, point 3).
#[test]
fn the_speed_limit_is_followed_by_a_running_transfer_when_changed() {
    let server = UnftpServer::plain();
    let big: Vec<u8> = (0..3_000_000u32).map(|i| (i % 253) as u8).collect();
    fs::write(server.path("big.bin"), &big).unwrap();
    let local = tempfile::tempdir().unwrap();
    let settings = Settings {
        last_local: Some(local.path().to_path_buf()),
        download_limit_kib: 64,
        ..Settings::default()
    };
    let mut app = window_with_settings(settings);
    connect(&mut app, server.port, "alice", "s3cret-pw");
    wait_for(&mut app, "the listing", |app| shows(app, "big.bin"));
    assert_eq!(app.state().settings().download_limit_kib, 64);
    common::gui::double_click(&mut app, "big.bin");
    wait_for(&mut app, "the download under way", |app| {
        app.state()
            .queue_view()
            .items
            .values()
            .any(|i| i.bytes_done > 0)
    });
    // At 64 KiB/s the 3 MB take 45 s: a second later it is far from done.
    for _ in 0..30 {
        app.step();
        std::thread::sleep(std::time::Duration::from_millis(30));
    }
    assert!(
        !local.path().join("big.bin").exists(),
        "held back by the limit"
    );
    let field = app.get_by_label("down");
    field.focus();
    app.step();
    app.get_by_label("down").type_text("0");
    app.step();
    app.key_press(egui::Key::Enter);
    app.step();
    assert_eq!(app.state().settings().download_limit_kib, 0);
    wait_for(&mut app, "the download let go", |_| {
        fs::read(local.path().join("big.bin")).is_ok_and(|b| b == big)
    });
}

/// Server → Find files (Ctrl+F): matches stream into the list, one is
/// downloaded, another shown in its folder, selected (issue 19, point 5).
#[test]
fn find_lists_matches_in_the_tree_and_downloads_or_shows_them() {
    let server = UnftpServer::plain();
    fs::create_dir_all(server.path("www/docs/2025")).unwrap();
    fs::write(server.path("www/docs/2025/Report.pdf"), b"%PDF report").unwrap();
    fs::write(server.path("www/docs/guide.pdf"), b"%PDF guide").unwrap();
    fs::write(server.path("www/index.html"), b"<h1>").unwrap();
    let local = tempfile::tempdir().unwrap();
    let mut app = window_on(&server, local.path());
    wait_for(&mut app, "the listing", |app| shows(app, "www"));
    app.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::F);
    app.step();
    wait_for(&mut app, "the find window", |app| {
        shows(app, "Find files on the server")
    });
    app.get_by_label("Names").focus();
    app.step();
    app.get_by_label("Names").type_text("*.PDF");
    app.step();
    app.get_by_label("Any case").click();
    app.step();
    app.get_by_label("Find").click();
    wait_for(&mut app, "the matches", |app| {
        shows(app, "2 matches in 4 folders")
    });
    assert!(shows(&app, "www/docs/2025/Report.pdf"));
    assert!(shows(&app, "www/docs/guide.pdf"));
    assert!(!shows(&app, "www/index.html"));
    // Rows are in the order their folders were read: each button is
    // found on its path's row.
    let press_on_row = |app: &mut App, label: &str, path: &str| {
        let y = app.get_by_label(path).rect().center().y;
        app.query_all_by_label(label)
            .find(|n| (n.rect().center().y - y).abs() < 8.0)
            .expect("the row's button")
            .click();
        app.step();
    };
    press_on_row(&mut app, "Download", "www/docs/guide.pdf");
    wait_for(&mut app, "the download", |_| {
        fs::read(local.path().join("guide.pdf")).is_ok_and(|b| b == b"%PDF guide")
    });
    press_on_row(&mut app, "Open", "www/docs/2025/Report.pdf");
    wait_for(&mut app, "a copy opened to read", |app| {
        state_of(app, "Report.pdf") == "unchanged"
    });
    press_on_row(&mut app, "Show", "www/docs/2025/Report.pdf");
    wait_for(&mut app, "its folder, selected", |app| {
        let pane = app.state_mut().right_pane();
        pane.folder.ends_with("/www/docs/2025")
            && pane
                .table
                .selection()
                .iter()
                .any(|r| r.name == "Report.pdf")
    });
}

/// View → Compare folders marks each pane's rows against the other's;
/// View → Synchronized browsing opens the same folder on the other side
/// (issue 19, point 1).
#[test]
fn folders_are_compared_and_browsed_together() {
    use ferry::gui::Side;
    let server = UnftpServer::plain();
    let local = tempfile::tempdir().unwrap();
    let site = local.path().join("site");
    fs::create_dir_all(site.join("img")).unwrap();
    fs::create_dir_all(server.path("site/img")).unwrap();
    for (name, here, there) in [
        ("same.txt", &b"same"[..], Some(&b"same"[..])),
        ("changed.txt", b"longer here", Some(b"short")),
        ("new.txt", b"only here", None),
    ] {
        fs::write(site.join(name), here).unwrap();
        if let Some(there) = there {
            fs::write(server.path(&format!("site/{name}")), there).unwrap();
        }
    }
    fs::write(server.path("site/old.txt"), b"only there").unwrap();
    fs::write(site.join("img/a.png"), b"png").unwrap();
    fs::create_dir(site.join("img/sub")).unwrap();
    let settings = Settings {
        last_local: Some(site.clone()),
        ..Settings::default()
    };
    let mut app = window_with_settings(settings);
    connect(&mut app, server.port, "alice", "s3cret-pw");
    wait_for(&mut app, "both listings", |app| {
        common::gui::lists(app, Side::Left, "same.txt")
            && common::gui::lists(app, Side::Right, "site")
    });
    common::gui::double_click_in(&mut app, Some(Side::Right), "site");
    wait_for(&mut app, "the server's site", |app| {
        common::gui::lists(app, Side::Right, "old.txt")
    });
    menu_pick(&mut app, "View", "Compare folders");
    use ferry::gui::Mark;
    let marks = |app: &mut App, side: Side| {
        let pane = match side {
            Side::Left => app.state_mut().left_pane(),
            Side::Right => app.state_mut().right_pane(),
        };
        let mut marks: Vec<(String, Mark)> = pane
            .table
            .marks
            .iter()
            .map(|(n, m)| (n.clone(), *m))
            .collect();
        marks.sort_by(|a, b| a.0.cmp(&b.0));
        marks
    };
    assert_eq!(
        marks(&mut app, Side::Left),
        [
            ("changed.txt".to_string(), Mark::SizeDiffers),
            ("new.txt".to_string(), Mark::OnlyHere)
        ]
    );
    assert_eq!(
        marks(&mut app, Side::Right),
        [
            ("changed.txt".to_string(), Mark::SizeDiffers),
            ("old.txt".to_string(), Mark::OnlyHere)
        ]
    );

    menu_pick(&mut app, "View", "Synchronized browsing");
    common::gui::double_click_in(&mut app, Some(Side::Left), "img");
    wait_for(&mut app, "the server's img too", |app| {
        app.state_mut()
            .right_pane()
            .table
            .folder()
            .ends_with("/site/img")
    });
    // Compared again in the new folders: a.png and sub are only here.
    app.step();
    assert_eq!(
        marks(&mut app, Side::Left),
        [
            ("a.png".to_string(), Mark::OnlyHere),
            ("sub".to_string(), Mark::OnlyHere)
        ]
    );
    // A folder only here: the server's is offered to be made.
    common::gui::double_click_in(&mut app, Some(Side::Left), "sub");
    wait_for(&mut app, "the question", |app| {
        shows(app, "The folder is not there")
    });
    click(&mut app, "Create");
    wait_for(&mut app, "the server's new folder opened", |app| {
        app.state_mut()
            .right_pane()
            .table
            .folder()
            .ends_with("/site/img/sub")
    });
    assert!(server.path("site/img/sub").is_dir());
}

/// View → Synchronize… previews the mirror (nothing changes) and runs
/// it through the queue once seen (issue 19, point 1).
#[test]
fn synchronize_previews_then_runs_the_mirror() {
    use ferry::gui::Side;
    let server = UnftpServer::plain();
    fs::create_dir_all(server.path("site")).unwrap();
    fs::write(server.path("site/stale.txt"), b"old").unwrap();
    fs::write(server.path("site/extra.txt"), b"only there").unwrap();
    let local = tempfile::tempdir().unwrap();
    let site = local.path().join("site");
    fs::create_dir_all(site.join("css")).unwrap();
    fs::write(site.join("stale.txt"), b"new and longer").unwrap();
    fs::write(site.join("css/main.css"), b"body{}").unwrap();
    let settings = Settings {
        last_local: Some(site.clone()),
        ..Settings::default()
    };
    let mut app = window_with_settings(settings);
    connect(&mut app, server.port, "alice", "s3cret-pw");
    wait_for(&mut app, "the server's folder", |app| {
        common::gui::lists(app, Side::Right, "site")
    });
    common::gui::double_click_in(&mut app, Some(Side::Right), "site");
    wait_for(&mut app, "inside site", |app| {
        common::gui::lists(app, Side::Right, "extra.txt")
    });
    menu_pick(&mut app, "View", "Synchronize…");
    app.query_all_by(|n| {
        n.label()
            .is_some_and(|l| l.starts_with("Make /site on ") && l.ends_with(" here"))
    })
    .next()
    .expect("the upload choice")
    .click();
    app.step();
    app.get_by_label_contains("Delete what the other side lacks")
        .click();
    app.step();
    app.get_by_label("Preview").click();
    wait_for(&mut app, "the plan", |app| shows(app, "3 changes."));
    let plan = std::cell::RefCell::new(Vec::new());
    let _ = app
        .query_all_by(|n| {
            if let Some(label) = n
                .value()
                .or_else(|| n.label())
                .filter(|l| l.contains("would"))
            {
                plan.borrow_mut().push(label.to_string());
            }
            false
        })
        .count();
    let plan = plan.into_inner();
    assert!(
        plan.iter()
            .any(|l| l.contains("delete") && l.contains("extra.txt")),
        "{plan:?}"
    );
    assert_eq!(
        fs::read(server.path("site/stale.txt")).unwrap(),
        b"old",
        "a preview changes nothing"
    );
    assert!(server.path("site/extra.txt").exists());
    app.get_by_label("Synchronize").click();
    wait_for(&mut app, "the mirror", |_| {
        fs::read(server.path("site/stale.txt")).is_ok_and(|b| b == b"new and longer")
            && fs::read(server.path("site/css/main.css")).is_ok_and(|b| b == b"body{}")
            && !server.path("site/extra.txt").exists()
    });
}

/// An edited file saved but not uploaded when the window closes is kept
/// with its copy, listed by the next window, and uploaded from there once
/// logged in to its server again (issue 18).
#[test]
fn a_saved_edit_not_uploaded_outlives_the_window() {
    let server = UnftpServer::plain();
    fs::write(server.path("page.txt"), b"server's").unwrap();
    let local = tempfile::tempdir().unwrap();
    let config = tempfile::tempdir().unwrap();
    let settings = || Settings {
        last_local: Some(local.path().to_path_buf()),
        editor: "true".to_string(),
        ..Settings::default()
    };
    let mut app = common::gui::window_with_settings_in(settings(), config.path());
    connect(&mut app, server.port, "alice", "s3cret-pw");
    wait_for(&mut app, "the listing", |app| shows(app, "page.txt"));
    right_click(&mut app, "page.txt");
    menu_entry(&mut app, "Edit");
    wait_for(&mut app, "the copy opened", |app| {
        state_of(app, "page.txt") == "unchanged"
    });
    let copy = copy_of(&app, "page.txt");
    fs::write(&copy, b"mine, saved last time").unwrap();
    wait_for(&mut app, "the question", |app| {
        shows(app, "Upload the saved file?")
    });
    click(&mut app, "Not now");
    app.state_mut().shut_down(std::time::Duration::from_secs(5));
    drop(app);
    assert!(copy.exists(), "the copy is kept");
    let kept = fs::read_to_string(config.path().join("edits.json")).unwrap();
    assert!(
        kept.contains("page.txt") && !kept.contains("s3cret"),
        "{kept}"
    );
    assert_eq!(fs::read(server.path("page.txt")).unwrap(), b"server's");

    let mut app = common::gui::window_with_settings_in(settings(), config.path());
    wait_for(&mut app, "the file listed again", |app| {
        state_of(app, "page.txt") == "changed, not uploaded"
    });
    connect(&mut app, server.port, "alice", "s3cret-pw");
    wait_for(&mut app, "connected", |app| {
        matches!(app.state().link(), LinkState::Connected { .. })
    });
    let upload = app
        .query_all_by_label("Upload")
        .next()
        .expect("the list's Upload");
    upload.click();
    app.step();
    wait_for(&mut app, "the upload", |_| {
        fs::read(server.path("page.txt")).is_ok_and(|b| b == b"mine, saved last time")
    });
    wait_for(&mut app, "the list to say so", |app| {
        state_of(app, "page.txt").starts_with("uploaded at")
    });
    // Uploaded, it is not kept again: its copy goes with this window.
    app.state_mut().shut_down(std::time::Duration::from_secs(5));
    drop(app);
    assert!(!copy.exists(), "the kept copy is removed once sent");
    let kept = fs::read_to_string(config.path().join("edits.json")).unwrap();
    assert!(!kept.contains("page.txt"), "{kept}");
}

/// A server listing its local time (LIST, two hours east of UTC) is found
/// out from a file just uploaded, and comparing folders allows for it: a
/// file uploaded a moment ago is not "newer" there (issue 19, point 1).
#[test]
fn a_server_listing_another_time_zone_is_found_and_compared_in_utc() {
    use common::faulty::{Faults, FaultyServer, Tree};
    use ferry::gui::{Mark, Side};
    let server = FaultyServer::start(
        Tree::new().dir("/www"),
        Faults {
            no_mlsd: true,
            clock_offset_secs: 7200,
            ..Faults::default()
        },
    );
    let local = tempfile::tempdir().unwrap();
    fs::write(local.path().join("page.html"), b"<h1>page</h1>").unwrap();
    let settings = Settings {
        last_local: Some(local.path().to_path_buf()),
        // Stored with the server's own clock (no MFMT).
        keep_times: false,
        ..Settings::default()
    };
    let mut app = window_with_settings(settings);
    connect(&mut app, server.port, "user", "secret-pw");
    wait_for(&mut app, "the listings", |app| {
        common::gui::lists(app, Side::Left, "page.html")
            && !app.state_mut().right_pane().table.folder().is_empty()
    });
    common::gui::double_click_in(&mut app, Some(Side::Left), "page.html");
    wait_for(&mut app, "the upload listed", |app| {
        common::gui::lists(app, Side::Right, "page.html")
    });
    wait_for(&mut app, "the offset found", |app| {
        app.state()
            .log_contains("lists times 2 h 00 min ahead of UTC")
    });
    menu_pick(&mut app, "View", "Compare folders");
    // Two hours "newer" on the server without the offset; the same now.
    let page = |app: &mut App, side: Side| -> Option<Mark> {
        let pane = match side {
            Side::Left => app.state_mut().left_pane(),
            Side::Right => app.state_mut().right_pane(),
        };
        pane.table.marks.get("page.html").copied()
    };
    assert_eq!(page(&mut app, Side::Right), None);
    assert_eq!(page(&mut app, Side::Left), None);
}

/// Right-click → Checksum shows the server's checksum of each selected
/// file in a Checksum column (the test server gives SITE MD5; issue 19,
/// point 2).
#[test]
fn the_checksum_column_shows_the_servers_checksums() {
    let server = UnftpServer::plain();
    fs::write(server.path("hello.txt"), b"hello").unwrap();
    let local = tempfile::tempdir().unwrap();
    let mut app = window_on(&server, local.path());
    wait_for(&mut app, "the listing", |app| shows(app, "hello.txt"));
    assert!(!shows(&app, "Checksum"), "no column until asked");
    right_click(&mut app, "hello.txt");
    menu_entry(&mut app, "Checksum");
    wait_for(&mut app, "the checksum", |app| {
        shows(app, "MD5 5d41402abc4b2a76b9719d911017c592")
    });
    assert!(shows(&app, "Checksum"), "the column's title");
}
