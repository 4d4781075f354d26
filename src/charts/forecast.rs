//! The forecast chart of `flowsim forecast`: for each working day, the share of runs that had
//! finished all N backlog cards by its end, one step line per policy (in its colour), with the
//! 85% level marked. Read it across at 85% to see "85% of runs are done within D working days";
//! a line further left finishes sooner, a steeper one is more predictable.
//!
//! Drawn only from the folder's `forecast.csv` and `forecast_runs.csv`.

use std::collections::BTreeMap;
use std::path::Path;

use plotters::coord::Shift;
use plotters::prelude::*;

use super::layout::{frame, house_mesh, no_data, value_chart};
use super::style::{MUTED, Style, fmt_tick, policy_colours};
use super::{ChartError, ChartSize, DrawResult};
use crate::output::files;

/// The data of the chart: per policy (in file order), the working day each run finished on
/// (`None`: unfinished by the horizon).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ForecastData {
    /// Scenario name.
    pub scenario: String,
    /// Cards forecast.
    pub cards: String,
    /// Policies in order, each with its runs' working days.
    pub policies: Vec<(String, Vec<Option<u64>>)>,
}

fn read_err(path: &Path, e: impl std::fmt::Display) -> ChartError {
    ChartError::Read {
        path: path.to_path_buf(),
        message: e.to_string(),
    }
}

/// Reads the chart's data from a forecast folder.
///
/// # Errors
/// A file is missing or malformed.
pub fn load(dir: &Path) -> DrawResult<ForecastData> {
    let mut d = ForecastData::default();
    let path = dir.join(files::FORECAST);
    let mut rd = ::csv::Reader::from_path(&path).map_err(|e| read_err(&path, e))?;
    let h = rd.headers().map_err(|e| read_err(&path, e))?.clone();
    let col = |name: &str| h.iter().position(|c| c == name);
    let (Some(sc), Some(cards)) = (col("scenario"), col("cards")) else {
        return Err(read_err(&path, "no `scenario` or `cards` column"));
    };
    if let Some(rec) = rd.records().next() {
        let rec = rec.map_err(|e| read_err(&path, e))?;
        d.scenario = crate::output::safe::csv_uncell(rec.get(sc).unwrap_or("")).to_string();
        d.cards = rec.get(cards).unwrap_or("").to_string();
    }
    let path = dir.join(files::FORECAST_RUNS);
    let mut rd = ::csv::Reader::from_path(&path).map_err(|e| read_err(&path, e))?;
    let h = rd.headers().map_err(|e| read_err(&path, e))?.clone();
    let col = |name: &str| h.iter().position(|c| c == name);
    let (Some(pc), Some(wc)) = (col("policy"), col("done_working_days")) else {
        return Err(read_err(&path, "no `policy` or `done_working_days` column"));
    };
    let mut index: BTreeMap<String, usize> = BTreeMap::new();
    for rec in rd.records() {
        let rec = rec.map_err(|e| read_err(&path, e))?;
        let p = crate::output::safe::csv_uncell(rec.get(pc).unwrap_or("")).to_string();
        let wd = rec.get(wc).and_then(|s| s.parse::<u64>().ok());
        let i = *index.entry(p.clone()).or_insert_with(|| {
            d.policies.push((p, Vec::new()));
            d.policies.len() - 1
        });
        d.policies[i].1.push(wd);
    }
    Ok(d)
}

/// Draws the chart on `area`.
///
/// # Errors
/// The drawing backend fails.
pub fn draw<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    d: &ForecastData,
    st: &Style,
) -> DrawResult {
    let names: Vec<String> = d.policies.iter().map(|p| p.0.clone()).collect();
    let colours = policy_colours(&names);
    let legend: Vec<(String, RGBColor)> = names.iter().cloned().zip(colours.clone()).collect();
    let title = format!("When will the {} cards be done?", d.cards);
    let sub = format!(
        "{}: share of runs that had finished all {} cards by the end of each working day; dashed line = 85% of runs.",
        d.scenario, d.cards
    );
    let plot = frame(area, st, &title, &sub, &legend)?;
    let max = d
        .policies
        .iter()
        .flat_map(|p| p.1.iter().flatten())
        .copied()
        .max();
    let Some(max) = max else {
        return no_data(&plot, st, "No run finished the cards within the horizon.");
    };
    let min = d
        .policies
        .iter()
        .flat_map(|p| p.1.iter().flatten())
        .copied()
        .min()
        .unwrap_or(0);
    // From a little before the first finish to a little after the last.
    let span = (max - min) as f64;
    let x0 = (min as f64 - 1.0 - span * 0.3).max(0.0).floor();
    let x1 = (max as f64 + 1.0 + span * 0.1).ceil();
    let mut chart = value_chart(&plot, st, (0.0, 100.0))?
        .x_label_area_size(st.px(Style::AXIS + 40.0))
        .build_cartesian_2d(x0..x1, 0.0..100.0)?;
    let xf = |v: &f64| fmt_tick(*v);
    house_mesh(&mut chart.configure_mesh(), st)
        .x_desc("working days from the start")
        .y_desc("runs finished (%)")
        .x_labels(12)
        .y_labels(11)
        .x_label_formatter(&xf)
        .y_label_formatter(&xf)
        .draw()?;
    chart.draw_series(DashedLineSeries::new(
        [(x0, 85.0), (x1, 85.0)],
        st.px(12.0),
        st.px(8.0),
        MUTED.stroke_width(st.px(2.0)),
    ))?;
    for ((_, runs), c) in d.policies.iter().zip(&colours) {
        let n = runs.len().max(1) as f64;
        let mut days: Vec<u64> = runs.iter().flatten().copied().collect();
        days.sort_unstable();
        // A step line: at the end of day k, the share of runs done on day k or earlier.
        let mut pts = vec![(x0, 0.0)];
        let mut done = 0usize;
        let mut i = 0;
        while i < days.len() {
            let k = days[i];
            while i < days.len() && days[i] == k {
                i += 1;
                done += 1;
            }
            let prev = pts.last().map_or(0.0, |p: &(f64, f64)| p.1);
            pts.push((k as f64, prev));
            pts.push((k as f64, done as f64 / n * 100.0));
        }
        let last = pts.last().map_or(0.0, |p| p.1);
        pts.push((x1, last));
        chart.draw_series(LineSeries::new(pts, c.stroke_width(st.px(Style::LINE))))?;
    }
    Ok(())
}

/// Draws `charts/forecast.svg` and `.png` from a forecast folder's files.
///
/// # Errors
/// A file cannot be read, drawn or written.
pub fn draw_dir(dir: &Path, size: ChartSize) -> DrawResult {
    let d = load(dir)?;
    super::draw_files(dir, "forecast", size, &d)
}

impl super::Standalone for ForecastData {
    fn draw_on<DB: DrawingBackend>(&self, area: &DrawingArea<DB, Shift>, st: &Style) -> DrawResult {
        draw(area, self, st)
    }
}
