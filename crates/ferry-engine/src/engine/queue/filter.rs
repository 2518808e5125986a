//! Which names a tree transfer takes: `--include` and `--exclude` globs,
//! as lftp's `mirror -I/-X` and rclone's filters, so one run can move a
//! site without its `.git/` or its `*.log` files.
//!
//! A name left out is left alone on both sides: not transferred, and
//! never deleted by a mirror with `--delete` (where rclone needs
//! `--delete-excluded` to do otherwise, Ferry has no such switch).

use glob::{MatchOptions, Pattern};

/// A name pattern. Without a `/` it matches a name at any depth (`*.bak`,
/// `.git`); with one, the path from the top of the tree (`docs/*.pdf`,
/// `/build`, `**/cache`); a trailing `/` matches folders only (`tmp/`).
/// `*` and `?` stay within a name, `**` spans folders, `[abc]` is a class.
#[derive(Debug, Clone)]
pub struct NamePattern {
    pattern: Pattern,
    whole_path: bool,
    folders_only: bool,
}

impl NamePattern {
    pub fn new(text: &str) -> Result<NamePattern, String> {
        let folders_only = text.ends_with('/');
        let trimmed = text.trim_end_matches('/');
        let whole_path = trimmed.contains('/');
        let trimmed = trimmed.trim_start_matches('/');
        if trimmed.is_empty() {
            return Err(format!("{text:?} matches nothing: give a name or a path"));
        }
        let pattern =
            Pattern::new(trimmed).map_err(|err| format!("{text:?} is not a glob: {err}"))?;
        Ok(NamePattern {
            pattern,
            whole_path,
            folders_only,
        })
    }

    /// `path` is from the top of the tree, `/`-separated, without a
    /// leading `/`; `name` is its last part.
    fn matches(&self, path: &str, name: &str, is_dir: bool) -> bool {
        const OPTIONS: MatchOptions = MatchOptions {
            case_sensitive: true,
            require_literal_separator: true,
            require_literal_leading_dot: false,
        };
        if self.folders_only && !is_dir {
            return false;
        }
        let subject = if self.whole_path { path } else { name };
        self.pattern.matches_with(subject, OPTIONS)
    }
}

/// The `--include` and `--exclude` patterns of a run.
#[derive(Debug, Clone, Default)]
pub struct NameFilter {
    /// Files must match one of these, when there are any; folders are
    /// always entered, to find the files that do.
    pub include: Vec<NamePattern>,
    /// Files and folders matching any of these are left out (a folder
    /// with all it holds). Exclusion wins over inclusion.
    pub exclude: Vec<NamePattern>,
}

impl NameFilter {
    /// Whether the entry at `path` (from the top of the tree) is left out.
    pub fn leaves_out(&self, path: &str, is_dir: bool) -> bool {
        let path = path.trim_start_matches('/');
        let name = path.rsplit('/').next().unwrap_or(path);
        if self.exclude.iter().any(|p| p.matches(path, name, is_dir)) {
            return true;
        }
        !is_dir
            && !self.include.is_empty()
            && !self.include.iter().any(|p| p.matches(path, name, is_dir))
    }

    pub fn is_empty(&self) -> bool {
        self.include.is_empty() && self.exclude.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn filter(include: &[&str], exclude: &[&str]) -> NameFilter {
        let patterns =
            |texts: &[&str]| texts.iter().map(|t| NamePattern::new(t).unwrap()).collect();
        NameFilter {
            include: patterns(include),
            exclude: patterns(exclude),
        }
    }

    #[test]
    fn a_pattern_without_a_slash_matches_a_name_at_any_depth() {
        let f = filter(&[], &["*.bak", ".git"]);
        assert!(f.leaves_out("a.bak", false));
        assert!(f.leaves_out("deep/down/a.bak", false));
        assert!(f.leaves_out("site/.git", true));
        assert!(!f.leaves_out("a.bak.txt", false));
        assert!(!f.leaves_out("site/.github", true));
    }

    #[test]
    fn a_pattern_with_a_slash_matches_the_path_from_the_top() {
        let f = filter(&[], &["/build", "docs/*.pdf", "**/cache/"]);
        assert!(f.leaves_out("build", true));
        assert!(!f.leaves_out("src/build", true));
        assert!(f.leaves_out("docs/a.pdf", false));
        assert!(
            !f.leaves_out("docs/old/a.pdf", false),
            "* stays within a name"
        );
        assert!(f.leaves_out("a/b/cache", true));
        assert!(
            !f.leaves_out("a/b/cache", false),
            "a trailing / means folders only"
        );
    }

    #[test]
    fn include_takes_only_matching_files_and_exclude_wins() {
        let f = filter(&["*.html", "*.css"], &["draft-*"]);
        assert!(!f.leaves_out("index.html", false));
        assert!(!f.leaves_out("css/site.css", false));
        assert!(f.leaves_out("logo.png", false));
        assert!(!f.leaves_out("css", true), "folders are entered");
        assert!(f.leaves_out("draft-1.html", false));
        assert!(!filter(&[], &[]).leaves_out("anything", false));
    }

    #[test]
    fn a_pattern_that_is_not_a_glob_or_matches_nothing_is_refused() {
        assert!(NamePattern::new("[a-").is_err());
        assert!(NamePattern::new("/").is_err());
        assert!(NamePattern::new("").is_err());
    }
}
