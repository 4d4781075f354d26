//! Chart 8, the one-page dashboard: the headline numbers of each policy and the four main
//! charts (throughput, start-to-done time, WIP, idle time by cause) on one 16:9 image for a slide.
//!
//! How to read it: the tiles give each policy's mean over all replications; the charts are the
//! full-size charts in miniature, with the same colours (one per policy, shown in the tiles).

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::data::RunData;
use super::layout::{replications_per_policy, wrap};
use super::style::{INK, MUTED, Style, fmt_num, policy_colours};
use super::{ChartKind, DrawResult};

/// The charts in the grid, row by row.
pub const PANELS: [ChartKind; 4] = [
    ChartKind::Throughput,
    ChartKind::StartToDone,
    ChartKind::Wip,
    ChartKind::Idle,
];

/// The chart's title.
pub fn title(d: &RunData) -> String {
    format!("{}: how the ways of working compare", d.scenario)
}

/// The headline lines of a tile: metric, the line with `{}` for the mean (`{t}` for a duration
/// in working days with its hours), and the line when the metric is undefined in every
/// replication.
const TILE: [(&str, &str, &str); 5] = [
    (
        "throughput_per_week",
        "{} cards/week",
        "throughput: undefined",
    ),
    (
        "lead_time_mean_h",
        "lead time {t} (mean)",
        "lead time: undefined",
    ),
    (
        "start_to_done_p85_h",
        "start to done {t} (85th pct)",
        "start to done (85th pct): undefined",
    ),
    (
        "overtime_h_per_person_week",
        "overtime {} h/person/week",
        "overtime: undefined",
    ),
    ("wip_mean", "WIP {} cards", "WIP: undefined"),
];

/// The tile lines of a policy: at most four, from the metrics the folder holds.
pub fn tile_lines(d: &RunData, policy: &str) -> Vec<String> {
    TILE.iter()
        .filter_map(|(m, line, undefined)| {
            let r = d.stat(policy, m)?;
            Some(match r.stat.mean {
                // Durations read in working days (hours in brackets), as managers read them.
                Some(v) if line.contains("{t}") => {
                    line.replace("{t}", &super::times::label_time(d, v))
                }
                Some(v) => line.replace("{}", &fmt_num(Some(v))),
                None => undefined.to_string(),
            })
        })
        .take(4)
        .collect()
}

/// Draws the dashboard.
///
/// # Errors
/// The drawing backend fails.
pub fn draw<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    d: &RunData,
    st: &Style,
) -> DrawResult {
    area.fill(&WHITE)?;
    let (w, _) = area.dim_in_pixel();
    let m = st.px(Style::MARGIN) as i32;
    let mut y = st.px(16.0) as i32;
    let tstyle = st.bold(36.0);
    area.draw_text(&title(d), &tstyle, (m, y))?;
    y += st.px(36.0 * 1.25) as i32;
    let mut sub = Vec::new();
    sub.extend(replications_per_policy(d));
    if let Some(s) = d.manifest.seed {
        sub.push(format!("seed {s}"));
    }
    if let Some(desc) = &d.description {
        sub.push(desc.clone());
    }
    sub.push("numbers: means over all replications".into());
    let sstyle = st.font(20.0).color(&MUTED);
    if let Some(line) = wrap(
        area,
        &sub.join(" · "),
        &sstyle,
        (w as i32 - 2 * m).max(1) as u32,
    )?
    .first()
    {
        area.draw_text(line, &sstyle, (m, y))?;
    }
    y += st.px(20.0 * 1.5) as i32;
    // Tiles: one per policy.
    let np = d.policies.len().max(1);
    let line_size = if np > 4 { 17.0 } else { 21.0 };
    let name_size = line_size + 5.0;
    let gap = st.px(14.0) as i32;
    let tile_w = ((w as i32 - 2 * m - gap * (np as i32 - 1)) / np as i32).max(1);
    // Wide tiles put their lines in two columns, leaving more room for the charts.
    let cols = if tile_w > st.px(620.0) as i32 { 2 } else { 1 };
    let rows = 4usize.div_ceil(cols) as f64;
    let tile_h = st.px(name_size * 1.4 + line_size * 1.3 * rows + 16.0) as i32;
    let colours = policy_colours(&d.policies);
    for (k, p) in d.policies.iter().enumerate() {
        let x0 = m + k as i32 * (tile_w + gap);
        let c = colours[k];
        area.draw(&Rectangle::new(
            [(x0, y), (x0 + tile_w, y + tile_h)],
            c.mix(0.08).filled(),
        ))?;
        area.draw(&Rectangle::new(
            [(x0, y), (x0 + st.px(8.0) as i32, y + tile_h)],
            c.filled(),
        ))?;
        let tx = x0 + st.px(20.0) as i32;
        let ty = y + st.px(8.0) as i32;
        area.draw_text(p, &st.bold(name_size).color(&c), (tx, ty))?;
        let ty = ty + st.px(name_size * 1.4) as i32;
        let col_w = (tile_w - st.px(20.0) as i32) / cols as i32;
        for (i, l) in tile_lines(d, p).iter().enumerate() {
            let (col, row) = (i / rows as usize, i % rows as usize);
            area.draw_text(
                l,
                &st.font(line_size).color(&INK),
                (
                    tx + col as i32 * col_w,
                    ty + row as i32 * st.px(line_size * 1.3) as i32,
                ),
            )?;
        }
    }
    if d.policies.is_empty() {
        area.draw_text(
            "no policies in this output folder",
            &st.font(line_size)
                .color(&MUTED)
                .pos(Pos::new(HPos::Left, VPos::Top)),
            (m, y),
        )?;
    }
    y += tile_h + st.px(8.0) as i32;
    let (_, grid) = area.split_vertically(y.max(0) as u32);
    let cells = grid.split_evenly((2, 2));
    let panel = st.panel(0.66);
    for (kind, cell) in PANELS.iter().zip(&cells) {
        kind.draw(cell, d, &panel)?;
    }
    Ok(())
}
