//! Text that meets WCAG AA (a contrast of at least 4.5:1 against what it
//! is drawn on) in both themes. egui's defaults draw some text in grey on
//! grey: hints, disabled labels, the log's data lines, and in the light
//! theme its orange warnings and red errors.

use egui::{Color32, Visuals};

/// WCAG's AA threshold for body text.
#[cfg(test)]
const AA: f32 = 4.5;

/// The log's colours, per kind: command, reply, error, warning, data,
/// status; dark theme first.
pub fn log_colour(kind: crate::engine::LogKind, dark: bool) -> Color32 {
    use crate::engine::LogKind;
    match (kind, dark) {
        (LogKind::Command, true) => Color32::from_rgb(130, 170, 255),
        (LogKind::Command, false) => Color32::from_rgb(20, 60, 180),
        (LogKind::Reply, true) => Color32::from_rgb(120, 200, 120),
        (LogKind::Reply, false) => Color32::from_rgb(20, 110, 20),
        (LogKind::Error, true) => Color32::from_rgb(255, 120, 120),
        (LogKind::Error, false) => Color32::from_rgb(180, 20, 20),
        (LogKind::Warning, true) => Color32::from_rgb(240, 180, 80),
        (LogKind::Warning, false) => Color32::from_rgb(150, 80, 0),
        (LogKind::Data, true) => Color32::from_gray(170),
        (LogKind::Data, false) => Color32::from_gray(85),
        (LogKind::Status, true) => Color32::from_gray(220),
        (LogKind::Status, false) => Color32::from_gray(30),
    }
}

/// Makes `visuals` legible: text, weak text, disabled text, warnings,
/// errors and links all at least [`AA`] against the panels, the text
/// fields and the striped rows.
pub fn make_legible(visuals: &mut Visuals) {
    let dark = visuals.dark_mode;
    let (text, weak) = match dark {
        true => (Color32::from_gray(215), Color32::from_gray(165)),
        false => (Color32::from_gray(25), Color32::from_gray(80)),
    };
    visuals.override_text_color = None;
    visuals.widgets.noninteractive.fg_stroke.color = text;
    visuals.widgets.inactive.fg_stroke.color = text;
    visuals.weak_text_color = Some(weak);
    // Disabled widgets fade their text by this much: kept readable.
    visuals.disabled_alpha = visuals.disabled_alpha.max(0.75);
    if !dark {
        visuals.warn_fg_color = Color32::from_rgb(150, 80, 0);
        visuals.error_fg_color = Color32::from_rgb(180, 20, 20);
        visuals.hyperlink_color = Color32::from_rgb(0, 85, 170);
    } else {
        visuals.error_fg_color = Color32::from_rgb(255, 120, 120);
    }
}

/// WCAG's contrast ratio of two opaque colours.
#[cfg(test)]
fn contrast(a: Color32, b: Color32) -> f32 {
    let luminance = |c: Color32| {
        let channel = |v: u8| {
            let v = f32::from(v) / 255.0;
            if v <= 0.039_28 {
                v / 12.92
            } else {
                ((v + 0.055) / 1.055).powf(2.4)
            }
        };
        0.2126 * channel(c.r()) + 0.7152 * channel(c.g()) + 0.0722 * channel(c.b())
    };
    let (la, lb) = (luminance(a), luminance(b));
    (la.max(lb) + 0.05) / (la.min(lb) + 0.05)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::LogKind;

    /// A colour drawn at `alpha` over `background`, as egui fades it.
    fn faded(colour: Color32, alpha: f32, background: Color32) -> Color32 {
        let mix =
            |c: u8, b: u8| (f32::from(c) * alpha + f32::from(b) * (1.0 - alpha)).round() as u8;
        Color32::from_rgb(
            mix(colour.r(), background.r()),
            mix(colour.g(), background.g()),
            mix(colour.b(), background.b()),
        )
    }

    #[test]
    fn every_text_colour_meets_aa_in_both_themes() {
        for mut visuals in [Visuals::dark(), Visuals::light()] {
            make_legible(&mut visuals);
            let dark = visuals.dark_mode;
            // Translucent fills (the light theme's striped rows) are seen
            // over the panel.
            let over_panel = |fill: Color32| {
                let keep = 1.0 - f32::from(fill.a()) / 255.0;
                let add = |c: u8, p: u8| (f32::from(c) + f32::from(p) * keep).min(255.0) as u8;
                let panel = visuals.panel_fill;
                Color32::from_rgb(
                    add(fill.r(), panel.r()),
                    add(fill.g(), panel.g()),
                    add(fill.b(), panel.b()),
                )
            };
            let backgrounds = [
                visuals.panel_fill,
                visuals.window_fill,
                over_panel(visuals.extreme_bg_color),
                over_panel(visuals.faint_bg_color),
            ];
            let mut texts = vec![
                ("text", visuals.widgets.noninteractive.fg_stroke.color),
                ("weak", visuals.weak_text_color()),
                ("warning", visuals.warn_fg_color),
                ("error", visuals.error_fg_color),
                ("link", visuals.hyperlink_color),
            ];
            for kind in [
                LogKind::Command,
                LogKind::Reply,
                LogKind::Error,
                LogKind::Warning,
                LogKind::Data,
                LogKind::Status,
            ] {
                texts.push(("log line", log_colour(kind, dark)));
            }
            for background in backgrounds {
                for (what, colour) in &texts {
                    let ratio = contrast(*colour, background);
                    assert!(
                        ratio >= AA,
                        "{what} {colour:?} on {background:?}: {ratio:.2} (dark: {dark})"
                    );
                }
                let disabled = faded(
                    visuals.widgets.noninteractive.fg_stroke.color,
                    visuals.disabled_alpha,
                    background,
                );
                let ratio = contrast(disabled, background);
                assert!(
                    ratio >= AA,
                    "disabled text on {background:?}: {ratio:.2} (dark: {dark})"
                );
            }
        }
    }

    #[test]
    fn contrast_is_wcags() {
        assert!((contrast(Color32::BLACK, Color32::WHITE) - 21.0).abs() < 0.01);
        assert!((contrast(Color32::WHITE, Color32::WHITE) - 1.0).abs() < 0.01);
    }
}
