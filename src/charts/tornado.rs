//! The tornado chart of `flowsim levers`: one row per factor (a role's head count, a stage's
//! effort or WIP limit, the arrival rate...), one panel per policy. In each row, the lighter
//! bar is the factor moved down (one fewer person, 20% less effort, a lower limit or rate), the
//! solid bar the factor moved up; the bar's length is the change of the mean lead time (%), the
//! whisker its 95% interval. Rows are sorted by the largest effect in the first panel, so the
//! levers that matter most are on top and the chart narrows like a tornado.
//!
//! Drawn only from the folder's `levers.csv`.

use std::path::Path;

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::layout::{frame, house_mesh, no_data, widest};
use super::style::{INK, Style, fmt_tick, policy_colours};
use super::{ChartError, ChartSize, DrawResult};
use crate::output::files;
use crate::output::safe::csv_uncell;

/// One bar: a lever's relative change of mean lead time with its interval (%).
#[derive(Debug, Clone, PartialEq)]
pub struct Bar {
    /// The factor (the row).
    pub factor: String,
    /// `down` or `up`.
    pub up: bool,
    /// The lever in words.
    pub label: String,
    /// Change of the mean lead time (%), and its 95% interval.
    pub change: (f64, f64, f64),
}

/// The chart's data: per policy (in file order), its bars.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TornadoData {
    /// Scenario name.
    pub scenario: String,
    /// Policies with their bars.
    pub policies: Vec<(String, Vec<Bar>)>,
}

fn read_err(path: &Path, e: impl std::fmt::Display) -> ChartError {
    ChartError::Read {
        path: path.to_path_buf(),
        message: e.to_string(),
    }
}

/// Reads `levers.csv` from a levers folder.
///
/// # Errors
/// The file is missing or malformed.
pub fn load(dir: &Path) -> DrawResult<TornadoData> {
    let path = dir.join(files::LEVERS);
    let mut rd = ::csv::Reader::from_path(&path).map_err(|e| read_err(&path, e))?;
    let h = rd.headers().map_err(|e| read_err(&path, e))?.clone();
    let col = |name: &str| {
        h.iter()
            .position(|c| c == name)
            .ok_or_else(|| read_err(&path, format!("no `{name}` column")))
    };
    let (sc, pc, fc, dc, lc) = (
        col("scenario")?,
        col("policy")?,
        col("factor")?,
        col("direction")?,
        col("lever")?,
    );
    let (m, lo, hi) = (
        col("lead_time_mean_change_pct")?,
        col("lead_time_mean_change_ci95_low_pct")?,
        col("lead_time_mean_change_ci95_high_pct")?,
    );
    let mut d = TornadoData::default();
    for rec in rd.records() {
        let rec = rec.map_err(|e| read_err(&path, e))?;
        let get = |i: usize| csv_uncell(rec.get(i).unwrap_or("")).to_string();
        let f = |i: usize| rec.get(i).and_then(|s| s.parse::<f64>().ok());
        d.scenario = get(sc);
        let policy = get(pc);
        if d.policies.last().is_none_or(|p| p.0 != policy) {
            d.policies.push((policy, Vec::new()));
        }
        let (Some(x), Some(l), Some(u)) = (f(m), f(lo), f(hi)) else {
            continue;
        };
        if let Some(p) = d.policies.last_mut() {
            p.1.push(Bar {
                factor: get(fc),
                up: get(dc) == "up",
                label: get(lc),
                change: (x, l, u),
            });
        }
    }
    Ok(d)
}

/// The rows: factors sorted by their largest absolute effect in the first policy.
fn rows(d: &TornadoData) -> Vec<String> {
    let mut rows: Vec<(String, f64)> = Vec::new();
    if let Some((_, bars)) = d.policies.first() {
        for b in bars {
            match rows.iter_mut().find(|r| r.0 == b.factor) {
                Some(r) => r.1 = r.1.max(b.change.0.abs()),
                None => rows.push((b.factor.clone(), b.change.0.abs())),
            }
        }
    }
    rows.sort_by(|a, b| b.1.total_cmp(&a.1));
    rows.into_iter().map(|r| r.0).collect()
}

/// Draws the chart on `area`.
///
/// # Errors
/// The drawing backend fails.
pub fn draw<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    d: &TornadoData,
    st: &Style,
) -> DrawResult {
    let names: Vec<String> = d.policies.iter().map(|p| p.0.clone()).collect();
    let colours = policy_colours(&names);
    let mut legend: Vec<(String, RGBColor)> = names.iter().cloned().zip(colours.clone()).collect();
    legend.push((
        "lighter: fewer / less / lower".into(),
        RGBColor(0xbb, 0xbb, 0xbb),
    ));
    let title = "Which lever moves lead time most?";
    let sub = format!(
        "{}: change of the mean lead time (%) against the unchanged scenario, with 95% intervals (common random numbers); solid bar = factor up, lighter bar = factor down.",
        d.scenario
    );
    let plot = frame(area, st, title, &sub, &legend)?;
    let rows = rows(d);
    if rows.is_empty() || d.policies.is_empty() {
        return no_data(
            &plot,
            st,
            "No lever could be measured (levers.csv has no effects).",
        );
    }
    let label_style = st.font(Style::TICK);
    let label_w = widest(&plot, rows.iter().cloned(), &label_style)? + st.px(16.0);
    let (labels, panels) = plot.split_horizontally(label_w);
    let panel_areas = panels.split_evenly((1, d.policies.len()));
    let nr = rows.len() as f64;
    for (k, ((policy, bars), c)) in d.policies.iter().zip(&colours).enumerate() {
        let pa = &panel_areas[k];
        let values = bars.iter().flat_map(|b| [b.change.1, b.change.2, 0.0]);
        let (mut lo, mut hi) = values.fold((0.0f64, 0.0f64), |(l, h), v| {
            if v.is_finite() {
                (l.min(v), h.max(v))
            } else {
                (l, h)
            }
        });
        let pad = ((hi - lo) * 0.08).max(1.0);
        lo -= pad;
        hi += pad;
        let mut chart = ChartBuilder::on(pa)
            .margin_left(st.px(8.0))
            .margin_right(st.px(Style::MARGIN))
            .margin_top(st.px(Style::AXIS + 14.0))
            .x_label_area_size(st.px(Style::AXIS + 40.0))
            .build_cartesian_2d(lo..hi, 0.0..nr)?;
        let xf = |v: &f64| fmt_tick(*v);
        house_mesh(&mut chart.configure_mesh(), st)
            .disable_y_mesh()
            .y_labels(0)
            .x_labels(6)
            .x_desc(format!("{policy}: lead time change (%)"))
            .x_label_formatter(&xf)
            .draw()?;
        chart.draw_series(std::iter::once(PathElement::new(
            vec![(0.0, 0.0), (0.0, nr)],
            INK.stroke_width(st.px(2.0)),
        )))?;
        for (i, row) in rows.iter().enumerate() {
            let top = nr - i as f64;
            for b in bars.iter().filter(|b| &b.factor == row) {
                let (y0, y1) = if b.up {
                    (top - 0.5, top - 0.12)
                } else {
                    (top - 0.88, top - 0.5)
                };
                let style = if b.up {
                    c.filled()
                } else {
                    c.mix(0.35).filled()
                };
                chart.draw_series(std::iter::once(Rectangle::new(
                    [(0.0, y0), (b.change.0, y1)],
                    style,
                )))?;
                let ym = (y0 + y1) / 2.0;
                chart.draw_series(std::iter::once(PathElement::new(
                    vec![(b.change.1, ym), (b.change.2, ym)],
                    INK.stroke_width(st.px(2.0)),
                )))?;
            }
        }
        if k == 0 {
            let base = labels.get_base_pixel();
            for (i, row) in rows.iter().enumerate() {
                let (_, py) = chart.backend_coord(&(0.0, nr - i as f64 - 0.5));
                labels.draw_text(
                    row,
                    &label_style.pos(Pos::new(HPos::Right, VPos::Center)),
                    (label_w as i32 - st.px(8.0) as i32, py - base.1),
                )?;
            }
        }
    }
    Ok(())
}

/// Draws `charts/levers.svg` and `.png` from a levers folder's `levers.csv`.
///
/// # Errors
/// The file cannot be read, drawn or written.
pub fn draw_dir(dir: &Path, size: ChartSize) -> DrawResult {
    let d = load(dir)?;
    super::draw_files(dir, "levers", size, &d)
}

impl super::Standalone for TornadoData {
    fn draw_on<DB: DrawingBackend>(&self, area: &DrawingArea<DB, Shift>, st: &Style) -> DrawResult {
        draw(area, self, st)
    }
}
