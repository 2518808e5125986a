//! `FtpUrl::parse` on any text. Besides not panicking, two promises:
//!
//! - the password never shows: `Display` and `Debug` are the same with
//!   and without it;
//! - `Display` gives a URL that parses back to the same value (without
//!   the password), as long as nothing needs percent-encoding: `Display`
//!   writes the user and path decoded, so a `%` in either, or a `:` or `/`
//!   in the user, cannot come back.

#![no_main]

use ferry::url::FtpUrl;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let Ok(url) = FtpUrl::parse(&text) else {
        return;
    };
    let shown = url.to_string();
    let without_password = FtpUrl {
        password: None,
        ..url.clone()
    };
    assert_eq!(shown, without_password.to_string());
    assert_eq!(format!("{url:?}"), format!("{without_password:?}"));

    let user_plain = url
        .user
        .as_deref()
        .is_none_or(|u| !u.contains(['%', ':', '/']));
    if user_plain && !url.path.contains('%') {
        let again = FtpUrl::parse(&shown)
            .unwrap_or_else(|e| panic!("{shown:?} from {text:?} does not parse: {e}"));
        assert_eq!(again, without_password, "{shown:?} from {text:?}");
    }
});
