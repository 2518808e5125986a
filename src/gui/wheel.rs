//! Mouse-wheel notches scroll at once.
//!
//! egui spreads a notch (a "line" or "page" step) over the next frames
//! for a smooth glide; with a software renderer those frames are slow and
//! a list kept moving for almost half a second after the last notch
//! (FileZilla stops at once). A notch is turned here into what a trackpad
//! sends, which egui applies in the frame it arrives: the whole step, now.

use egui::{Event, MouseWheelUnit, RawInput, TouchPhase};

/// Rewrites this frame's wheel notches so that each scrolls its whole
/// step in this frame. `line_points` is egui's
/// `InputOptions::line_scroll_speed`; a page is the window's height.
pub fn scroll_at_once(raw: &mut RawInput, line_points: f32) {
    let notch = |event: &Event| {
        matches!(
            event,
            Event::MouseWheel {
                unit: MouseWheelUnit::Line | MouseWheelUnit::Page,
                phase: TouchPhase::Move,
                ..
            }
        )
    };
    if !raw.events.iter().any(notch) {
        return;
    }
    let page_points = raw.screen_rect.map_or(600.0, |r| r.height());
    let events = std::mem::take(&mut raw.events);
    for event in events {
        match event {
            Event::MouseWheel {
                unit: unit @ (MouseWheelUnit::Line | MouseWheelUnit::Page),
                delta,
                phase: TouchPhase::Move,
                source,
                modifiers,
            } => {
                let points = match unit {
                    MouseWheelUnit::Page => page_points,
                    _ => line_points,
                };
                // A touch that starts is what makes egui apply a step
                // unsmoothed.
                raw.events.push(Event::MouseWheel {
                    unit: MouseWheelUnit::Point,
                    delta: egui::Vec2::ZERO,
                    phase: TouchPhase::Start,
                    source,
                    modifiers,
                });
                raw.events.push(Event::MouseWheel {
                    unit: MouseWheelUnit::Point,
                    delta: delta * points,
                    phase: TouchPhase::Move,
                    source,
                    modifiers,
                });
            }
            other => raw.events.push(other),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wheel(unit: MouseWheelUnit, dy: f32) -> Event {
        Event::MouseWheel {
            unit,
            delta: egui::vec2(0.0, dy),
            phase: TouchPhase::Move,
            source: egui::MouseWheelSource::Wheel,
            modifiers: egui::Modifiers::NONE,
        }
    }

    /// Runs one frame of `raw` and says how far a scroll area would move.
    fn scrolled_in_one_frame(ctx: &egui::Context, raw: RawInput) -> f32 {
        let mut delta = 0.0;
        let mut output = ctx.run_ui(raw, |ui| delta = ui.input(|i| i.smooth_scroll_delta.y));
        output.textures_delta.clear();
        delta
    }

    #[test]
    fn a_notch_scrolls_its_whole_step_in_the_frame_it_arrives() {
        let raw = |events| RawInput {
            time: Some(1.0),
            events,
            screen_rect: Some(egui::Rect::from_min_size(
                egui::Pos2::ZERO,
                egui::vec2(800.0, 500.0),
            )),
            ..Default::default()
        };
        // egui on its own: a fraction of the step this frame, the rest
        // later.
        let plain = scrolled_in_one_frame(
            &egui::Context::default(),
            raw(vec![wheel(MouseWheelUnit::Line, -3.0)]),
        );
        assert!(plain > -119.0, "egui already scrolls at once ({plain})");
        for (unit, steps, expected) in [
            (MouseWheelUnit::Line, -3.0, -120.0),
            (MouseWheelUnit::Page, 1.0, 500.0),
        ] {
            let mut input = raw(vec![wheel(unit, steps)]);
            scroll_at_once(&mut input, 40.0);
            let now = scrolled_in_one_frame(&egui::Context::default(), input);
            assert_eq!(now, expected, "{unit:?}");
        }
        // Anything else goes through untouched.
        let mut input = raw(vec![wheel(MouseWheelUnit::Point, -3.0), Event::Copy]);
        scroll_at_once(&mut input, 40.0);
        assert_eq!(
            input.events,
            vec![wheel(MouseWheelUnit::Point, -3.0), Event::Copy]
        );
    }
}
