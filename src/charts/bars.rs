//! The grouped bar chart: bars grouped by category (a statistic, a cause), one bar per policy in
//! each group, coloured by policy; solid bars with whiskers, or range bars with a marker.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::DrawResult;
use super::layout::{house_mesh, no_data, value_chart, value_range};
use super::style::{INK, MUTED, Style, fmt_num, fmt_tick};

/// One bar of a [`grouped_chart`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GroupBar {
    /// Bottom of the bar.
    pub low: f64,
    /// Top of the bar.
    pub high: f64,
    /// A whisker (e.g. a 95% interval), drawn as an I-beam.
    pub whisker: Option<(f64, f64)>,
    /// A marker across the bar (e.g. the median), drawn as a thick line; its value is printed.
    pub marker: Option<f64>,
}

/// How the bars of a [`grouped_chart`] look.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BarLook {
    /// Solid bars from zero, value printed on top.
    Solid,
    /// Light range bars with a coloured outline and a marker line.
    Range,
}

/// What a [`grouped_chart`] shows.
#[derive(Debug, Clone)]
pub struct Grouped<'a> {
    /// Group labels, under the x axis.
    pub groups: &'a [String],
    /// The y axis description with its unit.
    pub y_desc: &'a str,
    /// One colour per policy.
    pub colours: &'a [RGBColor],
    /// `bars[policy][group]`; a `None` bar is marked "n/a".
    pub bars: &'a [Vec<Option<GroupBar>>],
    /// How the bars look.
    pub look: BarLook,
    /// What to say when there is nothing to draw.
    pub empty_reason: &'a str,
}

/// Bars grouped by category, one bar per policy in each group, coloured by policy.
pub fn grouped_chart<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    st: &Style,
    g: &Grouped,
) -> DrawResult {
    let Grouped {
        groups,
        y_desc,
        colours,
        bars,
        look,
        empty_reason,
    } = g.clone();
    let values: Vec<f64> = bars
        .iter()
        .flatten()
        .flatten()
        .flat_map(|b| {
            let (wl, wh) = b.whisker.unwrap_or((b.low, b.high));
            [b.low, b.high, wl, wh]
        })
        .collect();
    if values.is_empty() || groups.is_empty() {
        return no_data(area, st, empty_reason);
    }
    let (y0, y1) = value_range(values);
    let ng = groups.len();
    let mut chart = value_chart(area, st, (y0, y1))?
        .x_label_area_size(st.px(Style::AXIS + 30.0))
        .build_cartesian_2d(0.0..ng as f64, y0..y1)?;
    let ylf = |v: &f64| fmt_tick(*v);
    house_mesh(&mut chart.configure_mesh(), st)
        .disable_x_mesh()
        .x_labels(0)
        .y_desc(y_desc)
        .y_labels(8)
        .y_label_formatter(&ylf)
        .draw()?;
    let np = bars.len().max(1);
    let slot = 0.8 / np as f64;
    let base = area.get_base_pixel();
    let value_style = st
        .font(Style::VALUE)
        .pos(Pos::new(HPos::Center, VPos::Bottom));
    let na_style = st
        .font(Style::VALUE)
        .color(&MUTED)
        .pos(Pos::new(HPos::Center, VPos::Bottom));
    let lw = st.px(3.0);
    for (g, label) in groups.iter().enumerate() {
        // Group label under the axis, centred.
        let (cx, by) = chart.backend_coord(&(g as f64 + 0.5, y0));
        area.draw_text(
            label,
            &st.font(Style::AXIS).pos(Pos::new(HPos::Center, VPos::Top)),
            (cx - base.0, by - base.1 + st.px(12.0) as i32),
        )?;
        for (k, per_policy) in bars.iter().enumerate() {
            let c = colours.get(k).copied().unwrap_or(INK);
            let x0 = g as f64 + 0.1 + slot * k as f64 + slot * 0.08;
            let x1 = g as f64 + 0.1 + slot * (k as f64 + 1.0) - slot * 0.08;
            let xm = (x0 + x1) / 2.0;
            let bar_px = chart.backend_coord(&(x1, y0)).0 - chart.backend_coord(&(x0, y0)).0;
            let Some(b) = per_policy.get(g).copied().flatten() else {
                chart.draw_series(std::iter::once(Text::new(
                    "n/a".to_string(),
                    (xm, y0),
                    na_style.clone(),
                )))?;
                continue;
            };
            match look {
                BarLook::Solid => {
                    chart.draw_series(std::iter::once(Rectangle::new(
                        [(x0, b.low), (x1, b.high)],
                        c.filled(),
                    )))?;
                }
                BarLook::Range => {
                    chart.draw_series(std::iter::once(Rectangle::new(
                        [(x0, b.low), (x1, b.high)],
                        c.mix(0.25).filled(),
                    )))?;
                    chart.draw_series(std::iter::once(Rectangle::new(
                        [(x0, b.low), (x1, b.high)],
                        c.stroke_width(lw),
                    )))?;
                }
            }
            if let Some((wl, wh)) = b.whisker {
                let cap = (x1 - x0) * 0.25;
                let ws = INK.stroke_width(lw);
                for seg in [
                    vec![(xm, wl), (xm, wh)],
                    vec![(xm - cap, wl), (xm + cap, wl)],
                    vec![(xm - cap, wh), (xm + cap, wh)],
                ] {
                    chart.draw_series(std::iter::once(PathElement::new(seg, ws)))?;
                }
            }
            if let Some(mv) = b.marker {
                chart.draw_series(std::iter::once(PathElement::new(
                    vec![(x0, mv), (x1, mv)],
                    c.stroke_width(st.px(6.0)),
                )))?;
            }
            let shown = match look {
                BarLook::Solid => b.high,
                BarLook::Range => b.marker.unwrap_or(b.high),
            };
            let top = match look {
                BarLook::Solid => b.whisker.map_or(b.high, |w| w.1.max(b.high)),
                BarLook::Range => b.high,
            };
            let text = fmt_num(Some(shown));
            let tw = area.estimate_text_size(&text, &value_style)?.0 as i32;
            if tw <= bar_px + st.px(8.0) as i32 {
                let (px, py) = chart.backend_coord(&(xm, top));
                area.draw_text(
                    &text,
                    &value_style,
                    (px - base.0, py - base.1 - st.px(4.0) as i32),
                )?;
            }
        }
    }
    Ok(())
}
