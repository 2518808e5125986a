//! The file icons the lists draw: bundled PNGs (`assets/icons/files`,
//! drawn for Ferry, CC0), decoded once per window into textures. Emoji
//! glyphs drew as odd shapes in some fonts; these look the same
//! everywhere.

use egui::{ColorImage, TextureHandle, TextureOptions};

use super::rows::{FileRow, RowKind};

/// What a row's icon shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Icon {
    Folder,
    Parent,
    File,
    Text,
    Image,
    Archive,
    Code,
    Link,
}

const ICONS: [(Icon, &[u8]); 8] = [
    (
        Icon::Folder,
        include_bytes!("../../assets/icons/files/folder.png"),
    ),
    (
        Icon::Parent,
        include_bytes!("../../assets/icons/files/parent.png"),
    ),
    (
        Icon::File,
        include_bytes!("../../assets/icons/files/file.png"),
    ),
    (
        Icon::Text,
        include_bytes!("../../assets/icons/files/text.png"),
    ),
    (
        Icon::Image,
        include_bytes!("../../assets/icons/files/image.png"),
    ),
    (
        Icon::Archive,
        include_bytes!("../../assets/icons/files/archive.png"),
    ),
    (
        Icon::Code,
        include_bytes!("../../assets/icons/files/code.png"),
    ),
    (
        Icon::Link,
        include_bytes!("../../assets/icons/files/link.png"),
    ),
];

impl Icon {
    /// The icon for a row: by kind, and for files by their type (the
    /// row's `type_name`, worked out once by the caller).
    pub fn of(row: &FileRow, kind: &str) -> Icon {
        match row.kind {
            RowKind::Dir => Icon::Folder,
            RowKind::Link => Icon::Link,
            RowKind::Other => Icon::File,
            RowKind::File => {
                let has = |word: &str| kind.contains(word);
                if has("image") || has("Icon") {
                    Icon::Image
                } else if has("archive") || has("Package") || has("Disk image") {
                    Icon::Archive
                } else if has("script")
                    || has("source")
                    || has("JavaScript")
                    || has("TypeScript")
                    || has("HTML")
                    || has("CSS")
                    || has("JSON")
                    || has("XML")
                    || has("YAML")
                {
                    Icon::Code
                } else if has("Text") || has("text") || has("document") || has("table") {
                    Icon::Text
                } else {
                    Icon::File
                }
            }
        }
    }
}

/// The icons as textures of one window.
pub struct Icons {
    textures: Vec<(Icon, TextureHandle)>,
}

impl Icons {
    pub fn load(ctx: &egui::Context) -> Icons {
        let textures = ICONS
            .iter()
            .filter_map(|(icon, png)| {
                // Bundled and tested: a PNG that does not decode is a
                // build mistake, shown as no icon rather than a crash.
                let decoded = eframe::icon_data::from_png_bytes(png).ok()?;
                let size = [decoded.width as usize, decoded.height as usize];
                let image = ColorImage::from_rgba_unmultiplied(size, &decoded.rgba);
                let name = format!("ferry-icon-{icon:?}");
                Some((*icon, ctx.load_texture(name, image, TextureOptions::LINEAR)))
            })
            .collect();
        Icons { textures }
    }

    pub fn get(&self, icon: Icon) -> Option<&TextureHandle> {
        self.textures
            .iter()
            .find(|(i, _)| *i == icon)
            .map(|(_, t)| t)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_bundled_icon_decodes() {
        let ctx = egui::Context::default();
        let icons = Icons::load(&ctx);
        for (icon, _) in ICONS {
            let texture = icons.get(icon).expect("decoded");
            assert_eq!(texture.size(), [32, 32], "{icon:?}");
        }
    }
}
