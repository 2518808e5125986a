//! View → Compare folders and View → Synchronized browsing: the two
//! panes looked at together.

use std::path::{Path, PathBuf};

use super::FerryApp;
use crate::engine::names::remote_join;
use crate::gui::compare::marks;
use crate::gui::dialogs::Dialog;
use crate::gui::file_table::Side;

/// Where synchronized browsing started, and what the panes showed.
pub struct SyncBrowsing {
    bases: (String, String),
    seen: (String, String),
    /// The folder a server pane was just sent to: if it is not there, the
    /// user is asked whether to make it.
    pub awaiting: Option<(Side, String)>,
}

impl FerryApp {
    /// Marks rows when comparing, once per pair of listings; none
    /// otherwise.
    pub(super) fn compare_folders(&mut self) {
        let comparing = self.comparing && self.right.server.is_connected();
        if !comparing {
            if self.compared.take().is_some() {
                self.left.pane.table.marks.clear();
                self.right.pane.table.marks.clear();
            }
            return;
        }
        let key = (
            self.left.pane.table.generation(),
            self.right.pane.table.generation(),
        );
        if self.compared == Some(key) {
            return;
        }
        self.compared = Some(key);
        let tolerance = self.settings.compare_tolerance_secs;
        let left = self.left.pane.table.rows();
        // A server listing its local time (LIST) is brought to UTC, as
        // this computer's times are, once its offset is known.
        let offset = self.right_offset().filter(|_| !self.right_times_exact);
        let shifted: Vec<_>;
        let right = match offset {
            Some(secs) if secs != 0 => {
                shifted = self
                    .right
                    .pane
                    .table
                    .rows()
                    .iter()
                    .map(|row| crate::gui::rows::FileRow {
                        modified: row.modified.map(|t| t - chrono::Duration::seconds(secs)),
                        ..row.clone()
                    })
                    .collect();
                &shifted[..]
            }
            _ => self.right.pane.table.rows(),
        };
        let (left_marks, right_marks) =
            (marks(left, right, tolerance), marks(right, left, tolerance));
        self.left.pane.table.marks = left_marks;
        self.right.pane.table.marks = right_marks;
    }

    /// The right server as the offsets know it: "host:port".
    fn right_key(&self) -> Option<String> {
        let options = self.right.server.session.options.as_ref()?;
        Some(format!(
            "{}:{}",
            options.host.to_ascii_lowercase(),
            options.port
        ))
    }

    /// The right server's listed times' distance from UTC, once known.
    pub(super) fn right_offset(&self) -> Option<i64> {
        self.server_offsets.get(&self.right_key()?).copied()
    }

    /// A file uploaded to the right server: its time in the next listing
    /// tells how far from UTC the server lists times (WinSCP's way).
    pub(super) fn note_upload_for_offset(&mut self, id: crate::engine::queue::ItemId) {
        let Some(item) = self.queue_view.items.get(&id) else {
            return;
        };
        let upload =
            item.spec.direction == crate::engine::queue::Direction::Upload && !item.spec.recursive;
        if upload
            && self
                .right_key()
                .is_some_and(|k| !self.server_offsets.contains_key(&k))
        {
            // With times kept (MFMT), the server holds the local file's
            // time; without, the time it was stored.
            let kept = self
                .settings
                .keep_times
                .then(|| std::fs::metadata(&item.spec.local).ok()?.modified().ok())
                .flatten()
                .map(|t| chrono::DateTime::<chrono::Utc>::from(t).naive_utc());
            let reference = kept.unwrap_or_else(|| chrono::Utc::now().naive_utc());
            self.tz_probe = Some((item.spec.remote.clone(), reference));
        }
    }

    /// The listing of the folder a probe file was uploaded to: the
    /// offset, rounded to a quarter of an hour (LIST gives minutes, and
    /// an upload takes a moment), is kept for the server.
    pub(super) fn learn_server_offset(&mut self, listing: &crate::engine::Listing) {
        if listing.exact_times {
            return;
        }
        let Some((path, uploaded)) = &self.tz_probe else {
            return;
        };
        let name = crate::engine::names::remote_basename(path);
        let Some(listed) = listing
            .entries
            .iter()
            .find(|e| e.name == name)
            .and_then(|e| e.modified)
        else {
            return;
        };
        let Some(key) = self.right_key() else {
            return;
        };
        let seconds = (listed - *uploaded).num_seconds();
        let offset = (seconds as f64 / 900.0).round() as i64 * 900;
        self.tz_probe = None;
        self.server_offsets.insert(key, offset);
        if offset != 0 {
            let (hours, minutes) = (offset.abs() / 3600, offset.abs() % 3600 / 60);
            let way = if offset > 0 { "ahead of" } else { "behind" };
            self.log.push_text(
                crate::engine::LogKind::Status,
                &format!(
                    "This server lists times {hours} h {minutes:02} min {way} UTC (found from a \
                     file just uploaded); comparing folders allows for it"
                ),
            );
            self.compared = None;
        }
    }

    pub(super) fn toggle_sync_browsing(&mut self) {
        if self.sync_browsing.take().is_some() {
            return;
        }
        let folders = (
            self.left.pane.table.folder().to_string(),
            self.right.pane.table.folder().to_string(),
        );
        if folders.0.is_empty() || folders.1.is_empty() {
            return self.error("Synchronized browsing needs a folder listed in each pane.");
        }
        self.sync_browsing = Some(SyncBrowsing {
            bases: folders.clone(),
            seen: folders,
            awaiting: None,
        });
    }

    /// A pane that opened another folder since the last frame takes the
    /// other pane to the same folder relative to where browsing was
    /// synchronized; one that left that tree ends it.
    pub(super) fn follow_the_other_pane(&mut self) {
        let Some(sync) = &self.sync_browsing else {
            return;
        };
        let now = (
            self.left.pane.table.folder().to_string(),
            self.right.pane.table.folder().to_string(),
        );
        let moved = match (now.0 != sync.seen.0, now.1 != sync.seen.1) {
            (true, false) => Some(Side::Left),
            (false, true) => Some(Side::Right),
            _ => None,
        };
        let (bases, seen) = (sync.bases.clone(), now.clone());
        if let Some(sync) = &mut self.sync_browsing {
            sync.seen = seen;
        }
        let Some(moved) = moved else {
            return;
        };
        let (from, base, other_base, other_now) = match moved {
            Side::Left => (&now.0, &bases.0, &bases.1, &now.1),
            Side::Right => (&now.1, &bases.1, &bases.0, &now.0),
        };
        let Some(relative) = relative_to(base, from) else {
            self.sync_browsing = None;
            return self.error(
                "Synchronized browsing ended: that folder is outside the one it started from.",
            );
        };
        let target = join(other_base, &relative, !self.is_server(moved.other()));
        if target == *other_now {
            return;
        }
        match moved.other() {
            side if self.is_server(side) => {
                if self.server(side).is_connected() {
                    if let Some(sync) = &mut self.sync_browsing {
                        sync.awaiting = Some((side, target.clone()));
                    }
                    self.pane(side).loading = true;
                    self.server(side).session.open_folder(target);
                }
            }
            side if !Path::new(&target).is_dir() => {
                self.dialogs
                    .push(Dialog::CreateMissing { side, path: target });
            }
            _ => self.open_local(PathBuf::from(target)),
        }
    }

    /// A server pane could not open the folder synchronized browsing sent
    /// it to: `true` if that was it (the user is asked whether to make
    /// it), `false` for any other failure.
    pub(super) fn sync_target_missing(&mut self, side: Side) -> bool {
        let Some(sync) = &mut self.sync_browsing else {
            return false;
        };
        match sync.awaiting.take() {
            Some((awaited, path)) if awaited == side => {
                self.pane(side).loading = false;
                self.dialogs.push(Dialog::CreateMissing { side, path });
                true
            }
            _ => false,
        }
    }

    /// "Create" answered: the folder is made, then opened.
    pub(super) fn create_missing(&mut self, side: Side, path: String) {
        if self.is_server(side) {
            if !self.server(side).is_connected() {
                return self.error("Connect to a server first.");
            }
            let what = format!("Creating {path}");
            self.server(side)
                .session
                .change(crate::engine::Command::Mkdir(path.clone()), what);
            self.pane(side).loading = true;
            self.server(side).session.open_folder(path);
        } else {
            self.local_fs
                .send(crate::gui::local_fs::LocalOp::Mkdir(PathBuf::from(&path)));
            self.open_local(PathBuf::from(path));
        }
    }
}

/// `folder`'s parts below `base` (empty for `base` itself), `None` when
/// it is not below it.
fn relative_to(base: &str, folder: &str) -> Option<Vec<String>> {
    let split = |path: &str| -> Vec<String> {
        Path::new(path)
            .components()
            .filter_map(|c| match c {
                std::path::Component::Normal(part) => Some(part.to_string_lossy().into_owned()),
                _ => None,
            })
            .collect()
    };
    let (base, folder) = (split(base), split(folder));
    folder.strip_prefix(base.as_slice()).map(<[String]>::to_vec)
}

/// `base` with `parts` below it: a local path, or a server's.
fn join(base: &str, parts: &[String], local: bool) -> String {
    if local {
        let mut path = PathBuf::from(base);
        path.extend(parts);
        return path.display().to_string();
    }
    parts
        .iter()
        .fold(base.to_string(), |path, part| remote_join(&path, part))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_folder_below_the_base_is_the_same_folder_below_the_other() {
        let parts = relative_to("/home/me/site", "/home/me/site/img/icons").unwrap();
        assert_eq!(parts, ["img", "icons"]);
        assert_eq!(join("/www", &parts, false), "/www/img/icons");
        assert_eq!(join("/", &parts, false), "/img/icons");
        assert_eq!(relative_to("/www", "/www").unwrap(), Vec::<String>::new());
        assert_eq!(relative_to("/www/a", "/www"), None);
        assert_eq!(relative_to("/www", "/other"), None);
    }
}
