//! Chart 5, the cumulative flow diagram: for each policy, the cards in each stage at the end of
//! each week, stacked in board order, with the cards done (cumulative) at the bottom, then the
//! stages, the cards committed but not started ("ready": flow's ready column, push's planned
//! queues) and the backlog on top. Every card is in exactly one band, so the stack's top is the
//! cards arrived (tests/cfd_balance.rs).
//!
//! It shows a window, the last [`super::DEFAULT_CFD_WEEKS`] weeks unless `--cfd-weeks` says
//! otherwise, and counts "done" from the window's start: over a whole year the done cards dwarf
//! the stage bands, which then are a few pixels thick.
//!
//! How to read it: the vertical thickness of a band is the cards in that stage (WIP); the
//! horizontal distance between the top of a band and the top of "done" is roughly the time a
//! card takes to get through. A band that widens is a queue building up in front of a
//! bottleneck; parallel edges mean a stable flow.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::DrawResult;
use super::data::RunData;
use super::layout::{frame, house_mesh, no_data, value_range};
use super::style::{Style, fmt_tick, policy_colours};

/// The chart's title.
pub fn title() -> String {
    "Cumulative flow diagram".into()
}

/// Colour of the "done" layer.
const DONE: RGBColor = RGBColor(0x4d, 0x4d, 0x4d);
/// Colour of the "backlog" layer.
const BACKLOG: RGBColor = RGBColor(0xcc, 0xcc, 0xcc);
/// Colour of the "ready" layer (committed, not started): a warm tone no stage colour uses.
const READY: RGBColor = RGBColor(0xe6, 0x9f, 0x00);
/// A viridis-like ramp for stages (dark to light), sampled evenly for any number of stages.
const RAMP: [RGBColor; 7] = [
    RGBColor(0x44, 0x01, 0x54),
    RGBColor(0x44, 0x3a, 0x83),
    RGBColor(0x31, 0x68, 0x8e),
    RGBColor(0x21, 0x90, 0x8d),
    RGBColor(0x35, 0xb7, 0x79),
    RGBColor(0x8f, 0xd7, 0x44),
    RGBColor(0xd8, 0xe2, 0x19),
];

fn stage_colour(i: usize, n: usize) -> RGBColor {
    if n <= 1 {
        return RAMP[3];
    }
    RAMP[(i * (RAMP.len() - 1) + (n - 1) / 2) / (n - 1)]
}

/// The layers, top to bottom (legend order): `(label, weekly series, colour)`.
pub fn layers(d: &RunData) -> Vec<(String, String, RGBColor)> {
    let stages = d.weekly.stages();
    let mut v = Vec::new();
    if d.weekly.has("backlog") {
        v.push(("backlog".to_string(), "backlog".to_string(), BACKLOG));
    }
    if d.weekly.has("ready") {
        v.push((
            "ready (committed, not started)".to_string(),
            "ready".to_string(),
            READY,
        ));
    }
    let n = stages.len();
    for (i, s) in stages.iter().enumerate() {
        v.push((s.clone(), format!("cards_{s}"), stage_colour(i, n)));
    }
    if d.weekly.has("done_total") {
        let (first, last) = window(d);
        let label = if first <= 1 {
            "done".to_string()
        } else if first == last {
            format!("done in week {first}")
        } else {
            format!("done since week {}", first - 1)
        };
        v.push((label, "done_total".to_string(), DONE));
    }
    v
}

/// The weeks shown, first and last (1-based, inclusive): the last `d.cfd_weeks` of the
/// horizon, or all of it when `cfd_weeks` is 0 or longer.
pub fn window(d: &RunData) -> (u32, u32) {
    let weeks = d.weekly.weeks();
    if d.cfd_weeks == 0 || d.cfd_weeks >= weeks {
        (1, weeks.max(1))
    } else {
        (weeks - d.cfd_weeks + 1, weeks)
    }
}

/// Stacked tops per layer (bottom layer first) for one policy over the window: `(week, bottom,
/// top)` each. "done" counts from the end of the week before the window.
fn stacks(
    d: &RunData,
    policy: &str,
    layers: &[(String, String, RGBColor)],
) -> Vec<Vec<(f64, f64, f64)>> {
    let weeks = d.weekly.weeks() as usize;
    let (first, last) = window(d);
    let (first, last) = (first as usize, last as usize);
    let mut below = vec![0.0; weeks];
    let mut out = Vec::new();
    for (_, series, _) in layers.iter().rev() {
        let mut v = vec![0.0; weeks];
        for p in d.weekly.get(policy, series) {
            if let Some(slot) = v.get_mut((p.week as usize).wrapping_sub(1)) {
                *slot = p.mean().unwrap_or(0.0).max(0.0);
            }
        }
        if series == "done_total" && first > 1 {
            let base = v.get(first - 2).copied().unwrap_or(0.0);
            v.iter_mut().for_each(|x| *x = (*x - base).max(0.0));
        }
        let layer = (first.saturating_sub(1)..last.min(weeks))
            .map(|w| (w as f64 + 1.0, below[w], below[w] + v[w]))
            .collect();
        for w in 0..weeks {
            below[w] += v[w];
        }
        out.push(layer);
    }
    out
}

/// Draws the chart.
///
/// # Errors
/// The drawing backend fails.
pub fn draw<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    d: &RunData,
    st: &Style,
) -> DrawResult {
    let layers = layers(d);
    let legend: Vec<(String, RGBColor)> = layers.iter().map(|(l, _, c)| (l.clone(), *c)).collect();
    let (first, last) = window(d);
    let span = if first == 1 {
        "every week of the horizon".to_string()
    } else {
        format!("weeks {first} to {last} of {}", d.weekly.weeks())
    };
    let sub = format!(
        "{}: mean cards in each band at the end of each week, {span} (--cfd-weeks sets the window). Bands top to bottom: backlog, committed but not started, each stage in board order, done. A band that widens is a queue.",
        d.scenario
    );
    let plot = frame(area, st, &title(), &sub, &legend)?;
    let weeks = d.weekly.weeks();
    if layers.is_empty() || weeks == 0 || d.policies.is_empty() {
        return no_data(
            &plot,
            st,
            "No per-stage card counts in this output folder (weekly.csv has no `cards_<stage>` series).",
        );
    }
    let all: Vec<Vec<Vec<(f64, f64, f64)>>> =
        d.policies.iter().map(|p| stacks(d, p, &layers)).collect();
    let (_, y1) = value_range(all.iter().flatten().flatten().map(|t| t.2));
    let np = d.policies.len();
    let cols = np.min(3);
    let rows = np.div_ceil(cols);
    let panels = plot.split_evenly((rows, cols));
    let colours = policy_colours(&d.policies);
    let (x0, x1) = if first >= last {
        (first as f64 - 0.5, first as f64 + 0.5)
    } else {
        (first as f64, last as f64)
    };
    for (k, panel) in panels.iter().enumerate().take(np) {
        let (pw, _) = panel.dim_in_pixel();
        panel.draw_text(
            &d.policies[k],
            &st.bold(Style::LEGEND + 4.0)
                .color(&colours[k])
                .pos(Pos::new(HPos::Center, VPos::Top)),
            (pw as i32 / 2, 0),
        )?;
        let (_, body) = panel.split_vertically(st.px(Style::LEGEND + 14.0));
        let ylf = |v: &f64| fmt_tick(*v);
        let xlf = |v: &f64| {
            if (v - v.round()).abs() < 1e-6 {
                fmt_tick(*v)
            } else {
                String::new()
            }
        };
        let mut chart = ChartBuilder::on(&body)
            .margin_left(st.px(Style::MARGIN * 0.5))
            .margin_right(st.px(Style::MARGIN))
            .margin_bottom(st.px(Style::MARGIN * 0.5))
            .x_label_area_size(st.px(Style::TICK + Style::AXIS + 30.0))
            .y_label_area_size(st.px(Style::AXIS + Style::TICK * 2.5 + 30.0))
            .build_cartesian_2d(x0..x1, 0.0..y1)?;
        house_mesh(&mut chart.configure_mesh(), st)
            .x_desc("week")
            .y_desc("cards")
            .x_labels((last - first + 1).clamp(2, 13) as usize)
            .y_labels(6)
            .x_label_formatter(&xlf)
            .y_label_formatter(&ylf)
            .draw()?;
        let n = layers.len();
        for (i, layer) in all[k].iter().enumerate() {
            let colour = layers[n - 1 - i].2;
            let pts: Vec<(f64, f64, f64)> = if layer.len() == 1 {
                vec![(x0, layer[0].1, layer[0].2), (x1, layer[0].1, layer[0].2)]
            } else {
                layer.clone()
            };
            let mut poly: Vec<(f64, f64)> = pts.iter().map(|&(x, _, t)| (x, t)).collect();
            poly.extend(pts.iter().rev().map(|&(x, b, _)| (x, b)));
            chart.draw_series(std::iter::once(Polygon::new(poly, colour.filled())))?;
        }
    }
    Ok(())
}
