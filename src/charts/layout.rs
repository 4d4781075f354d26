//! What surrounds every plot: the title, the wrapped subtitle and the legend of policy colours
//! above it, the "no data" message in place of an empty plot, and the house margins, grid and
//! value range of a plot's axes.

use plotters::chart::MeshStyle;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::DrawResult;
use super::data::RunData;
use super::style::{GRID, MUTED, Style, fmt_tick, policy_colours};

/// Width in pixels of `text` in `style`, as plotters lays it out in the embedded DejaVu Sans:
/// the width of the PNG's text, and an upper bound of the SVG's in a browser (plotters writes
/// the SVG's font size smaller than the size it draws the PNG at). The measure every layout
/// that must not overflow uses; it needs the font registered ([`super::style::ensure_fonts`]).
///
/// # Errors
/// The font is not registered or cannot be read.
pub fn text_width(text: &str, style: &TextStyle) -> DrawResult<u32> {
    let ((x0, _), (x1, _)) = style
        .font
        .layout_box(text)
        .map_err(|e| super::ChartError::Draw(format!("{e:?}")))?;
    Ok((x1 - x0).max(0) as u32)
}

/// Words of `text` in lines no wider than `max_w` pixels in `style`.
pub fn wrap<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    text: &str,
    style: &TextStyle,
    max_w: u32,
) -> DrawResult<Vec<String>> {
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        let candidate = if line.is_empty() {
            word.to_string()
        } else {
            format!("{line} {word}")
        };
        if !line.is_empty() && area.estimate_text_size(&candidate, style)?.0 > max_w {
            lines.push(std::mem::replace(&mut line, word.to_string()));
        } else {
            line = candidate;
        }
    }
    if !line.is_empty() {
        lines.push(line);
    }
    Ok(lines)
}

/// Fills `area` white, draws the title, the subtitle (wrapped) and a legend row of colour
/// swatches (wrapped), and returns the area left below them for the plot.
pub fn frame<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    st: &Style,
    title: &str,
    subtitle: &str,
    legend: &[(String, RGBColor)],
) -> DrawResult<DrawingArea<DB, Shift>> {
    area.fill(&WHITE)?;
    let (w, _) = area.dim_in_pixel();
    let m = st.px(Style::MARGIN) as i32;
    let max_w = (w as i32 - 2 * m).max(1) as u32;
    let mut y = m;
    let tstyle = st.bold(Style::TITLE);
    for line in wrap(area, title, &tstyle, max_w)? {
        area.draw_text(&line, &tstyle, (m, y))?;
        y += (st.px(Style::TITLE) as f64 * 1.2) as i32;
    }
    if st.compact {
        let (_, rest) = area.split_vertically((y + st.px(4.0) as i32).max(0) as u32);
        return Ok(rest);
    }
    let sstyle = st.font(Style::SUBTITLE).color(&MUTED);
    for line in wrap(area, subtitle, &sstyle, max_w)? {
        area.draw_text(&line, &sstyle, (m, y))?;
        y += (st.px(Style::SUBTITLE) as f64 * 1.3) as i32;
    }
    if !legend.is_empty() {
        y += st.px(8.0) as i32;
        let lstyle = st.font(Style::LEGEND);
        let sw = st.px(34.0) as i32;
        let sh = st.px(18.0) as i32;
        let gap = st.px(10.0) as i32;
        let spacing = st.px(36.0) as i32;
        let row_h = (st.px(Style::LEGEND) as f64 * 1.35) as i32;
        let mut x = m;
        for (name, colour) in legend {
            let tw = area.estimate_text_size(name, &lstyle)?.0 as i32;
            if x > m && x + sw + gap + tw > w as i32 - m {
                x = m;
                y += row_h;
            }
            let mid = y + st.px(Style::LEGEND) as i32 / 2;
            area.draw(&Rectangle::new(
                [(x, mid - sh / 2), (x + sw, mid + sh / 2)],
                colour.filled(),
            ))?;
            area.draw_text(
                name,
                &lstyle.pos(Pos::new(HPos::Left, VPos::Center)),
                (x + sw + gap, mid),
            )?;
            x += sw + gap + tw + spacing;
        }
        y += row_h;
    }
    y += st.px(6.0) as i32;
    let (_, rest) = area.split_vertically(y.max(0) as u32);
    Ok(rest)
}

/// Writes "no data" with a reason in the middle of `area`.
pub fn no_data<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    st: &Style,
    reason: &str,
) -> DrawResult {
    let (w, h) = area.dim_in_pixel();
    let style = st.font(Style::AXIS).color(&MUTED);
    let max_w = (w as f64 * 0.8) as u32;
    let lines = wrap(area, reason, &style, max_w.max(1))?;
    let lh = (st.px(Style::AXIS) as f64 * 1.3) as i32;
    let mut y = h as i32 / 2 - lh * lines.len() as i32 / 2;
    for l in lines {
        area.draw_text(
            &l,
            &style.pos(Pos::new(HPos::Center, VPos::Top)),
            (w as i32 / 2, y),
        )?;
        y += lh;
    }
    Ok(())
}

/// Width in pixels of the widest of `labels` in `style` (at least 1).
pub fn widest<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    labels: impl IntoIterator<Item = String>,
    style: &TextStyle,
) -> DrawResult<u32> {
    let mut w = 1;
    for l in labels {
        w = w.max(area.estimate_text_size(&l, style)?.0);
    }
    Ok(w)
}

/// A `0..max` value range with headroom; `0..1` when nothing is defined or all is zero.
/// Negative values widen it downwards.
pub fn value_range(values: impl IntoIterator<Item = f64>) -> (f64, f64) {
    let (mut lo, mut hi) = (0.0f64, 0.0f64);
    for v in values.into_iter().filter(|v| v.is_finite()) {
        lo = lo.min(v);
        hi = hi.max(v);
    }
    if hi - lo <= 0.0 {
        return (lo, lo + 1.0);
    }
    let pad = (hi - lo) * 0.08;
    (if lo < 0.0 { lo - pad } else { 0.0 }, hi + pad)
}

/// A chart builder on `area` for values from `y0` to `y1` up the y axis: the house margins, and
/// room left of the plot for the y tick labels of that range and the axis description. Callers
/// add the x label area and build the coordinates.
///
/// # Errors
/// The backend cannot measure text.
pub fn value_chart<'a, 'b, DB: DrawingBackend>(
    area: &'a DrawingArea<DB, Shift>,
    st: &Style,
    (y0, y1): (f64, f64),
) -> DrawResult<ChartBuilder<'a, 'b, DB>> {
    let ylab_w = widest(
        area,
        [fmt_tick(y0), fmt_tick(y1), fmt_tick((y0 + y1) / 2.0)],
        &st.font(Style::TICK),
    )?;
    let mut builder = ChartBuilder::on(area);
    builder
        .margin_left(st.px(Style::MARGIN))
        .margin_right(st.px(Style::MARGIN * 1.5))
        .margin_top(st.px(10.0))
        .margin_bottom(st.px(Style::MARGIN * 0.5))
        .y_label_area_size(ylab_w + st.px(Style::AXIS + 34.0));
    Ok(builder)
}

/// The house grid on `mesh`: axis descriptions and tick labels in the chart's sizes, light major
/// lines only, muted axes. Callers add what differs (descriptions, label counts and formats)
/// and draw it.
pub fn house_mesh<'m, 'a, 'b, X, Y, DB>(
    mesh: &'m mut MeshStyle<'a, 'b, X, Y, DB>,
    st: &Style,
) -> &'m mut MeshStyle<'a, 'b, X, Y, DB>
where
    X: Ranged,
    Y: Ranged,
    DB: DrawingBackend,
{
    mesh.axis_desc_style(st.font(Style::AXIS))
        .label_style(st.font(Style::TICK))
        .max_light_lines(0)
        .bold_line_style(GRID.stroke_width(1))
        .axis_style(MUTED.stroke_width(st.px(2.0)))
}

/// [`frame`] for a chart with one colour per policy: the legend lists the policies, and the
/// subtitle is the scenario name followed by `subtitle`, where `{reps}` stands for
/// [`reps_phrase`].
///
/// # Errors
/// The drawing backend fails.
pub fn policy_frame<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    st: &Style,
    d: &RunData,
    title: &str,
    subtitle: &str,
) -> DrawResult<DrawingArea<DB, Shift>> {
    let sub = format!(
        "{}: {}",
        d.scenario,
        subtitle.replace("{reps}", &reps_phrase(d))
    );
    frame(area, st, title, &sub, &policy_legend(d))
}

/// The legend entries of the policies: `(name, colour)`.
pub fn policy_legend(d: &RunData) -> Vec<(String, RGBColor)> {
    d.policies
        .iter()
        .cloned()
        .zip(policy_colours(&d.policies))
        .collect()
}

/// "N replications per policy" for the report and the dashboard, when the manifest says.
pub fn replications_per_policy(d: &RunData) -> Option<String> {
    match d.manifest.replications {
        Some(1) => Some("1 replication per policy".into()),
        Some(n) => Some(format!("{n} replications per policy")),
        None => None,
    }
}

/// "across N replications" for subtitles.
pub fn reps_phrase(d: &RunData) -> String {
    match d.manifest.replications {
        Some(1) => "from a single replication".to_string(),
        Some(n) => format!("across {n} replications"),
        None => "across replications".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_are_safe() {
        assert_eq!(value_range([]), (0.0, 1.0));
        assert_eq!(value_range([0.0, 0.0]), (0.0, 1.0));
        let (lo, hi) = value_range([-2.0, 4.0, f64::INFINITY]);
        assert!(lo < -2.0 && hi > 4.0);
    }
}
