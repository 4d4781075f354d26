//! How every chart looks: sizes scaled from a 1600x900 design, the ink and grid colours, the
//! Okabe–Ito palette with one fixed colour per policy, the embedded font, and how numbers are
//! written on axes and bars.
//!
//! One place for these so that every chart, and the HTML report's swatches, agree: a policy has
//! the same colour everywhere, and text is readable on a projector whatever the chart size.

use std::sync::OnceLock;

use plotters::prelude::*;

use super::{ChartError, ChartSize, DrawResult};

/// Sizes of text, lines and margins, scaled from a 1600x900 design.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Style {
    /// Scale factor relative to 1600x900.
    pub scale: f64,
    /// A dashboard panel: the frame draws the title only (no subtitle, no legend).
    pub compact: bool,
}

impl Style {
    /// The style for a chart of this size.
    pub fn new(size: ChartSize) -> Self {
        let s = (size.width as f64 / 1600.0).min(size.height as f64 / 900.0);
        Style {
            scale: s.clamp(0.3, 5.0),
            compact: false,
        }
    }

    /// The compact style of a dashboard panel, scaled by `f`.
    pub fn panel(&self, f: f64) -> Self {
        Style {
            scale: self.scale * f,
            compact: true,
        }
    }

    /// A length in pixels for a 1600x900 design length.
    pub fn px(&self, base: f64) -> u32 {
        (base * self.scale).round().max(1.0) as u32
    }

    /// Regular text of a design size.
    pub fn font(&self, base: f64) -> TextStyle<'static> {
        TextStyle::from(("sans-serif", self.px(base) as f64).into_font()).color(&INK)
    }

    /// Bold text of a design size.
    pub fn bold(&self, base: f64) -> TextStyle<'static> {
        TextStyle::from(("sans-serif", self.px(base) as f64, FontStyle::Bold).into_font())
            .color(&INK)
    }

    /// Title size.
    pub const TITLE: f64 = 40.0;
    /// Subtitle size.
    pub const SUBTITLE: f64 = 24.0;
    /// Legend text size.
    pub const LEGEND: f64 = 26.0;
    /// Axis description size.
    pub const AXIS: f64 = 26.0;
    /// Tick label size.
    pub const TICK: f64 = 22.0;
    /// Value label size (numbers on bars).
    pub const VALUE: f64 = 20.0;
    /// Line width of a policy's line.
    pub const LINE: f64 = 4.0;
    /// Outer margin.
    pub const MARGIN: f64 = 24.0;
}

/// Text colour: near-black.
pub const INK: RGBColor = RGBColor(0x22, 0x22, 0x22);
/// Secondary text colour.
pub const MUTED: RGBColor = RGBColor(0x55, 0x55, 0x55);
/// Grid lines.
pub const GRID: RGBColor = RGBColor(0xdd, 0xdd, 0xdd);

/// The Okabe–Ito colour-blind-safe palette, in the order policies take it: blue, vermillion,
/// bluish green, orange, reddish purple, sky blue, black, yellow (last: weak on white).
pub const OKABE_ITO: [RGBColor; 8] = [
    RGBColor(0x00, 0x72, 0xB2),
    RGBColor(0xD5, 0x5E, 0x00),
    RGBColor(0x00, 0x9E, 0x73),
    RGBColor(0xE6, 0x9F, 0x00),
    RGBColor(0xCC, 0x79, 0xA7),
    RGBColor(0x56, 0xB4, 0xE9),
    RGBColor(0x00, 0x00, 0x00),
    RGBColor(0xF0, 0xE4, 0x42),
];

/// One colour per policy. The presets keep their colour in every run (push vermillion, pull
/// blue, flow green), so slides from different runs agree; other policies take the remaining
/// colours in order (those of the presets last), cycling after eight.
pub fn policy_colours(policies: &[String]) -> Vec<RGBColor> {
    let fixed = |p: &str| match p {
        "pull" => Some(0),
        "push" => Some(1),
        "flow" => Some(2),
        _ => None,
    };
    let mut used: Vec<usize> = policies.iter().filter_map(|p| fixed(p)).collect();
    let mut next = 0;
    policies
        .iter()
        .map(|p| {
            if let Some(i) = fixed(p) {
                return OKABE_ITO[i];
            }
            // Prefer colours no preset owns, so a custom policy never looks like one.
            let free = (3..OKABE_ITO.len()).chain(0..3).find(|i| !used.contains(i));
            match free {
                Some(i) => {
                    used.push(i);
                    OKABE_ITO[i]
                }
                None => {
                    next += 1;
                    OKABE_ITO[(next - 1) % OKABE_ITO.len()]
                }
            }
        })
        .collect()
}

/// A colour as `#rrggbb` (for the HTML report).
pub fn hex(c: RGBColor) -> String {
    format!("#{:02x}{:02x}{:02x}", c.0, c.1, c.2)
}

/// Registers DejaVu Sans (regular and bold) as `sans-serif`, once per process. Without it the
/// PNG backend fails with `FontUnavailable` (the SVG backend would silently succeed).
///
/// # Errors
/// The embedded font cannot be parsed (never expected).
pub fn ensure_fonts() -> DrawResult {
    static FONTS: OnceLock<Result<(), String>> = OnceLock::new();
    FONTS
        .get_or_init(|| {
            let bad = |_| "the embedded DejaVu Sans font cannot be read".to_string();
            plotters::style::register_font(
                "sans-serif",
                FontStyle::Normal,
                dejavu::sans::regular(),
            )
            .map_err(bad)?;
            plotters::style::register_font("sans-serif", FontStyle::Bold, dejavu::sans::bold())
                .map_err(bad)
        })
        .clone()
        .map_err(ChartError::Draw)
}

/// A number for a label: 3 significant figures, `–` when undefined.
pub fn fmt_num(v: Option<f64>) -> String {
    match v {
        None => "–".into(),
        Some(x) if !x.is_finite() => "–".into(),
        Some(0.0) => "0".into(),
        Some(x) if x.abs() >= 100.0 => format!("{x:.0}"),
        Some(x) if x.abs() >= 10.0 => format!("{x:.1}"),
        Some(x) => format!("{x:.2}"),
    }
}

/// A tick label: up to 3 decimals, trailing zeros dropped.
pub fn fmt_tick(x: f64) -> String {
    let s = format!("{x:.3}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" { "0".into() } else { s.into() }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn presets_keep_their_colour_whatever_the_order() {
        let a = policy_colours(&["push".into(), "pull".into(), "flow".into()]);
        let b = policy_colours(&["flow".into(), "mine".into(), "push".into()]);
        assert_eq!(a[0], b[2]);
        assert_eq!(a[2], b[0]);
        assert!(!a.contains(&b[1]), "a custom policy takes a free colour");
        let many: Vec<String> = (0..12).map(|i| format!("p{i}")).collect();
        assert_eq!(policy_colours(&many).len(), 12);
    }

    #[test]
    fn numbers_are_safe() {
        assert_eq!(fmt_tick(2.5), "2.5");
        assert_eq!(fmt_tick(-0.0), "0");
        assert_eq!(fmt_num(None), "–");
        assert_eq!(fmt_num(Some(f64::NAN)), "–");
    }
}
