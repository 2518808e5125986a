//! Remote names are untrusted input; these checks run before a name is sent
//! in a command or becomes part of a local path.

use super::error::{Error, Result};

/// Refuses text that would end a command line early or smuggle a second
/// command: CR, LF and NUL are never sent, whatever the server.
pub fn check_command_argument(what: &str, text: &str) -> Result<()> {
    if let Some(bad) = text.chars().find(|c| matches!(c, '\r' | '\n' | '\0')) {
        let name = match bad {
            '\r' => "a carriage return",
            '\n' => "a line feed",
            _ => "a NUL byte",
        };
        return Err(Error::InvalidInput(format!(
            "{what} contains {name}; it was not sent"
        )));
    }
    Ok(())
}

/// Whether a remote file name may be used as one local path component:
/// not empty, not `.` or `..`, and free of separators and control
/// characters that could climb out of the chosen folder or confuse a shell.
pub fn is_safe_local_name(name: &str) -> bool {
    !name.is_empty()
        && name != "."
        && name != ".."
        && !name
            .chars()
            .any(|c| matches!(c, '/' | '\\' | '\0' | '\r' | '\n'))
        && !(cfg!(windows) && name.contains(':'))
}

/// Checks a remote name before it becomes a local file name.
pub fn local_name(name: &str) -> Result<&str> {
    if is_safe_local_name(name) {
        Ok(name)
    } else {
        Err(Error::InvalidInput(format!(
            "the remote name {name:?} is not safe as a local file name"
        )))
    }
}

/// The last component of a remote path (`/a/b/c.txt` gives `c.txt`).
pub fn remote_basename(path: &str) -> &str {
    path.trim_end_matches('/')
        .rsplit('/')
        .next()
        .unwrap_or(path)
}

/// The folder holding a remote path (`/a/b/c.txt` gives `/a/b`, `/a`
/// gives `/`, `c.txt` gives ``).
pub fn remote_parent(path: &str) -> String {
    let path = path.trim_end_matches('/');
    match path.rfind('/') {
        Some(0) => "/".to_string(),
        Some(cut) => path[..cut].to_string(),
        None => String::new(),
    }
}

/// Joins a remote folder and a name with exactly one `/`.
pub fn remote_join(folder: &str, name: &str) -> String {
    if folder.is_empty() {
        name.to_string()
    } else if folder.ends_with('/') {
        format!("{folder}{name}")
    } else {
        format!("{folder}/{name}")
    }
}

/// Where a symbolic link's target text leads from the folder holding it:
/// absolute as is, relative from `folder`, with `.`, `..` and doubled
/// slashes resolved (no `..` above the root). Only text: the server may
/// resolve the path otherwise (further links), so it is a hint.
pub fn remote_resolve(folder: &str, target: &str) -> String {
    let joined = match target.starts_with('/') {
        true => target.to_string(),
        false => remote_join(if folder.is_empty() { "/" } else { folder }, target),
    };
    let mut parts: Vec<&str> = Vec::new();
    for part in joined.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            other => parts.push(other),
        }
    }
    format!("/{}", parts.join("/"))
}

/// Whether remote folder `outer` is `inner` or holds it, at any depth.
pub fn remote_contains(outer: &str, inner: &str) -> bool {
    let outer = outer.trim_end_matches('/');
    outer.is_empty()
        || inner == outer
        || inner
            .strip_prefix(outer)
            .is_some_and(|rest| rest.starts_with('/'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn link_targets_resolve_from_their_folder() {
        assert_eq!(remote_resolve("/a/b", "../c"), "/a/c");
        assert_eq!(remote_resolve("/a/b", "/x//y/./z"), "/x/y/z");
        assert_eq!(remote_resolve("/a/b", "../../../.."), "/");
        assert_eq!(remote_resolve("/a/b", "."), "/a/b");
        assert_eq!(remote_resolve("", "c"), "/c");
        assert_eq!(remote_parent("/a/b/c.txt"), "/a/b");
        assert_eq!(remote_parent("/a"), "/");
        assert_eq!(remote_parent("c.txt"), "");
        assert!(remote_contains("/", "/a"));
        assert!(remote_contains("/a", "/a"));
        assert!(remote_contains("/a/", "/a/b/c"));
        assert!(!remote_contains("/a", "/ab"));
        assert!(!remote_contains("/a/b", "/a"));
    }

    #[test]
    fn refuses_line_breaks_and_nul() {
        assert!(check_command_argument("path", "a b.txt").is_ok());
        assert!(check_command_argument("path", "a\r\nDELE x").is_err());
        assert!(check_command_argument("path", "a\nb").is_err());
        assert!(check_command_argument("path", "a\0b").is_err());
    }

    #[test]
    fn hostile_names_are_not_local_names() {
        for bad in [
            "",
            ".",
            "..",
            "../x",
            "/etc/x",
            "a/../../x",
            "..\\x",
            "a\0b",
            "a\rb",
            "a\nb",
        ] {
            assert!(!is_safe_local_name(bad), "{bad:?}");
        }
        for good in ["a.txt", "with space", "..hidden", "é日本", "a..b"] {
            assert!(is_safe_local_name(good), "{good:?}");
        }
    }

    #[test]
    fn remote_paths() {
        assert_eq!(remote_basename("/a/b/c.txt"), "c.txt");
        assert_eq!(remote_basename("c.txt"), "c.txt");
        assert_eq!(remote_basename("/a/b/"), "b");
        assert_eq!(remote_join("/a", "b"), "/a/b");
        assert_eq!(remote_join("/", "b"), "/b");
        assert_eq!(remote_join("", "b"), "b");
    }
}
