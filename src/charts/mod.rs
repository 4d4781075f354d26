//! Charts and the self-contained HTML report, drawn from an output folder's files.
//!
//! Why a module of its own: coaches and managers would rather look than read, and a chart must
//! be redrawable from a finished run without simulating (`flowsim chart DIR`). So nothing here
//! touches the engine or the live aggregates: [`data::load`] reads the CSV files back into a
//! typed [`data::RunData`], and every chart is drawn from that. The same bytes in give the same
//! SVG bytes out.
//!
//! One file per mechanism. Two chart shapes, [`band`] (a line with a band per policy) and
//! [`bars`] (grouped bars per policy), draw every chart but the cumulative flow diagram
//! ([`cfd`]) and the [`dashboard`]; the charts that differ only in what they show are specs of
//! one drawing function each: [`weekly`] (throughput, WIP and overtime over the weeks),
//! [`summary_bars`] (start-to-done time and idle time by cause) and [`sweep`] (a metric against the
//! varied parameter). What they all share is in [`style`] (sizes, the Okabe–Ito palette with
//! one colour per policy, the embedded DejaVu Sans font, number formats) and [`layout`] (title,
//! subtitle and legend around a plot). [`data`] reads the folder, [`html`] writes the report,
//! and this file holds the entry points: which charts a folder gets, and drawing them to files.

pub mod band;
pub mod bars;
pub mod cfd;
pub mod dashboard;
pub mod data;
pub mod forecast;
pub mod html;
pub mod layout;
pub mod style;
pub mod summary_bars;
pub mod sweep;
pub mod times;
pub mod tornado;
pub mod weekly;

use crate::output::files;
use std::path::{Path, PathBuf};

use plotters::coord::Shift;
use plotters::prelude::*;

use data::RunData;
use style::{Style, ensure_fonts};

/// A failure to read an output folder or to draw or write a chart, naming the file.
#[derive(Debug, thiserror::Error)]
pub enum ChartError {
    /// A file of the output folder cannot be read or parsed.
    #[error("{path}: cannot read: {message}")]
    Read {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        message: String,
    },
    /// A chart or the report cannot be written.
    #[error(
        "{path}: cannot write: {message}; check that the folder is writable and the disk is not full"
    )]
    Write {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        message: String,
    },
    /// The folder is not a flowsim output folder.
    #[error(
        "{0}: holds neither summary.csv nor sweep.csv; give the folder a `flowsim run` or `flowsim sweep` wrote"
    )]
    NotAnOutput(PathBuf),
    /// The drawing library failed (e.g. no font).
    #[error("drawing failed: {0}")]
    Draw(String),
    /// A bad `--chart-size`.
    #[error(
        "--chart-size `{0}`: give WIDTHxHEIGHT in pixels, e.g. 1600x900, each from 400 to 8000"
    )]
    BadSize(String),
}

impl<E: std::error::Error + Send + Sync> From<DrawingAreaErrorKind<E>> for ChartError {
    fn from(e: DrawingAreaErrorKind<E>) -> Self {
        ChartError::Draw(e.to_string())
    }
}

/// Result of a drawing step.
pub type DrawResult<T = ()> = Result<T, ChartError>;

/// Size of every chart in pixels (the dashboard too).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChartSize {
    /// Width (pixels).
    pub width: u32,
    /// Height (pixels).
    pub height: u32,
}

impl Default for ChartSize {
    /// 1600x900: 16:9, sharp on a projector, readable when pasted into a slide.
    fn default() -> Self {
        ChartSize {
            width: 1600,
            height: 900,
        }
    }
}

impl std::str::FromStr for ChartSize {
    type Err = ChartError;

    /// Parses `WIDTHxHEIGHT`, each from 400 to 8000 pixels.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || ChartError::BadSize(s.to_string());
        let (w, h) = s.trim().split_once(['x', 'X']).ok_or_else(bad)?;
        let w: u32 = w.trim().parse().map_err(|_| bad())?;
        let h: u32 = h.trim().parse().map_err(|_| bad())?;
        if !(400..=8000).contains(&w) || !(400..=8000).contains(&h) {
            return Err(bad());
        }
        Ok(ChartSize {
            width: w,
            height: h,
        })
    }
}

/// Weeks the cumulative flow diagram shows by default (the last twelve: a quarter, the window
/// a coach reviews; the whole horizon makes the stage bands a few pixels thick).
pub const DEFAULT_CFD_WEEKS: u32 = 12;

/// How to draw: the size of each chart and the cumulative flow diagram's window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChartOptions {
    /// Pixel size of every chart.
    pub size: ChartSize,
    /// Weeks the cumulative flow diagram shows (the last ones of the horizon).
    pub cfd_weeks: u32,
}

impl Default for ChartOptions {
    fn default() -> Self {
        ChartOptions {
            size: ChartSize::default(),
            cfd_weeks: DEFAULT_CFD_WEEKS,
        }
    }
}

/// Which chart to draw.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChartKind {
    /// Throughput run chart.
    Throughput,
    /// Overtime per person per week.
    Overtime,
    /// Idle hours per person per week by cause.
    Idle,
    /// Start-to-done statistics per policy (the time yardstick common to every policy).
    StartToDone,
    /// Cumulative flow diagram per policy.
    Cfd,
    /// Histogram of per-card lead or cycle times, with the 50th and 85th percentiles.
    CardTimes(times::Measure),
    /// Deployment measures: frequency, change failure rate, time to restore.
    Deployments,
    /// WIP over time.
    Wip,
    /// One swept metric against the varied parameter.
    Sweep(String),
    /// The one-page dashboard.
    Dashboard,
}

impl ChartKind {
    /// The file stem under `charts/`.
    pub fn stem(&self) -> String {
        match self {
            ChartKind::Throughput => "throughput".into(),
            ChartKind::Overtime => "overtime".into(),
            ChartKind::Idle => "idle".into(),
            ChartKind::StartToDone => "start_to_done".into(),
            ChartKind::Cfd => "cfd".into(),
            ChartKind::CardTimes(m) => m.stem().into(),
            ChartKind::Deployments => "deployments".into(),
            ChartKind::Wip => "wip".into(),
            ChartKind::Sweep(m) => format!("sweep_{m}"),
            ChartKind::Dashboard => "dashboard".into(),
        }
    }

    /// The chart's title (also its caption in the report).
    pub fn title(&self, d: &RunData) -> String {
        match self {
            ChartKind::Throughput => weekly::THROUGHPUT.title.into(),
            ChartKind::Overtime => weekly::OVERTIME.title.into(),
            ChartKind::Idle => summary_bars::IDLE.title.into(),
            ChartKind::StartToDone => summary_bars::START_TO_DONE.title.into(),
            ChartKind::Cfd => cfd::title(),
            ChartKind::CardTimes(m) => m.title().into(),
            ChartKind::Deployments => summary_bars::DEPLOYMENTS_TITLE.into(),
            ChartKind::Wip => weekly::WIP.title.into(),
            ChartKind::Sweep(m) => sweep::title(d, m),
            ChartKind::Dashboard => dashboard::title(d),
        }
    }

    /// Draws the chart on `area`.
    ///
    /// # Errors
    /// The drawing backend fails.
    pub fn draw<DB: DrawingBackend>(
        &self,
        area: &DrawingArea<DB, Shift>,
        d: &RunData,
        st: &Style,
    ) -> DrawResult {
        match self {
            ChartKind::Throughput => weekly::draw(area, d, st, &weekly::THROUGHPUT),
            ChartKind::Overtime => weekly::draw(area, d, st, &weekly::OVERTIME),
            ChartKind::Idle => summary_bars::draw(area, d, st, &summary_bars::IDLE),
            ChartKind::StartToDone => summary_bars::draw(area, d, st, &summary_bars::START_TO_DONE),
            ChartKind::Cfd => cfd::draw(area, d, st),
            ChartKind::CardTimes(m) => times::draw(area, d, st, *m),
            ChartKind::Deployments => summary_bars::draw_deployments(area, d, st),
            ChartKind::Wip => weekly::draw(area, d, st, &weekly::WIP),
            ChartKind::Sweep(m) => sweep::draw(area, d, st, m),
            ChartKind::Dashboard => dashboard::draw(area, d, st),
        }
    }
}

/// The charts an output folder gets, in report order.
pub fn kinds(d: &RunData) -> Vec<ChartKind> {
    match &d.sweep {
        Some(s) => sweep::metrics(s)
            .into_iter()
            .map(ChartKind::Sweep)
            .collect(),
        None => {
            let mut v = vec![
                ChartKind::Dashboard,
                ChartKind::Throughput,
                ChartKind::CardTimes(times::Measure::Lead),
                ChartKind::CardTimes(times::Measure::Cycle),
                ChartKind::StartToDone,
                ChartKind::Wip,
                ChartKind::Idle,
                ChartKind::Overtime,
                ChartKind::Cfd,
            ];
            if summary_bars::has_deployments(d) {
                v.push(ChartKind::Deployments);
            }
            v
        }
    }
}

/// One drawn chart.
#[derive(Debug, Clone)]
pub struct Drawn {
    /// Which chart.
    pub kind: ChartKind,
    /// Its title.
    pub title: String,
    /// The SVG text (also written to `charts/<stem>.svg`).
    pub svg: String,
}

fn write_err(path: &Path, e: impl std::fmt::Display) -> ChartError {
    ChartError::Write {
        path: path.to_path_buf(),
        message: e.to_string(),
    }
}

/// Draws one chart to SVG (returned and written) and PNG.
///
/// # Errors
/// Drawing or writing fails.
pub fn render(
    kind: &ChartKind,
    d: &RunData,
    charts_dir: &Path,
    size: ChartSize,
) -> DrawResult<Drawn> {
    ensure_fonts()?;
    let st = Style::new(size);
    let dims = (size.width, size.height);
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, dims).into_drawing_area();
        kind.draw(&root, d, &st)?;
        root.present()?;
    }
    let stem = kind.stem();
    let svg_path = charts_dir.join(format!("{stem}.svg"));
    std::fs::write(&svg_path, &svg).map_err(|e| write_err(&svg_path, e))?;
    let png_path = charts_dir.join(format!("{stem}.png"));
    {
        let root = BitMapBackend::new(&png_path, dims).into_drawing_area();
        kind.draw(&root, d, &st)?;
        root.present().map_err(|e| write_err(&png_path, e))?;
    }
    Ok(Drawn {
        title: kind.title(d),
        kind: kind.clone(),
        svg,
    })
}

/// A chart of a folder that is not a run (`forecast`, `levers`), drawable on any backend.
pub trait Standalone {
    /// Draws the chart on `area`.
    ///
    /// # Errors
    /// The drawing backend fails.
    fn draw_on<DB: DrawingBackend>(&self, area: &DrawingArea<DB, Shift>, st: &Style) -> DrawResult;
}

/// Draws `chart` to `charts/<stem>.svg` and `charts/<stem>.png` under `dir`.
///
/// # Errors
/// Drawing or writing fails.
pub fn draw_files(dir: &Path, stem: &str, size: ChartSize, chart: &impl Standalone) -> DrawResult {
    ensure_fonts()?;
    let st = Style::new(size);
    let dims = (size.width, size.height);
    let charts_dir = dir.join(files::CHARTS);
    std::fs::create_dir_all(&charts_dir).map_err(|e| write_err(&charts_dir, e))?;
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, dims).into_drawing_area();
        chart.draw_on(&root, &st)?;
        root.present()?;
    }
    let svg_path = charts_dir.join(format!("{stem}.svg"));
    std::fs::write(&svg_path, &svg).map_err(|e| write_err(&svg_path, e))?;
    let png_path = charts_dir.join(format!("{stem}.png"));
    {
        let root = BitMapBackend::new(&png_path, dims).into_drawing_area();
        chart.draw_on(&root, &st)?;
        root.present().map_err(|e| write_err(&png_path, e))?;
    }
    Ok(())
}

/// Writes the `report.html` of a `forecast` or `levers` folder (see
/// [`html::standalone_report`]).
///
/// # Errors
/// The CSV file cannot be read, or the report cannot be written.
pub fn write_standalone_report(
    dir: &Path,
    title: &str,
    csv_name: &str,
    chart_stem: &str,
) -> DrawResult {
    let html = html::standalone_report(dir, title, csv_name, chart_stem).map_err(|message| {
        ChartError::Read {
            path: dir.join(csv_name),
            message,
        }
    })?;
    let report = dir.join(files::REPORT);
    std::fs::write(&report, html).map_err(|e| write_err(&report, e))
}

/// What [`draw_dir`] wrote.
#[derive(Debug, Clone)]
pub struct Written {
    /// Every chart file (SVG and PNG), in report order.
    pub files: Vec<PathBuf>,
    /// The HTML report.
    pub report: PathBuf,
}

/// Reads an output folder and writes `charts/*.svg`, `charts/*.png` and `report.html` into it.
/// Drawing depends only on the folder's files and the size, so it can be repeated at will.
///
/// # Errors
/// The folder is not an output folder, or a file cannot be read or written.
pub fn draw_dir(dir: &Path, opts: &ChartOptions) -> DrawResult<Written> {
    let mut d = data::load(dir)?;
    d.cfd_weeks = opts.cfd_weeks;
    let charts_dir = dir.join(files::CHARTS);
    std::fs::create_dir_all(&charts_dir).map_err(|e| write_err(&charts_dir, e))?;
    let mut drawn = Vec::new();
    let mut files = Vec::new();
    for kind in kinds(&d) {
        let c = render(&kind, &d, &charts_dir, opts.size)?;
        files.push(charts_dir.join(format!("{}.svg", kind.stem())));
        files.push(charts_dir.join(format!("{}.png", kind.stem())));
        drawn.push(c);
    }
    let report = dir.join(files::REPORT);
    std::fs::write(&report, html::report(&d, &drawn)).map_err(|e| write_err(&report, e))?;
    Ok(Written { files, report })
}

impl From<ChartError> for crate::error::Error {
    /// A folder that is not a result or a bad `--chart-size` is bad input; anything else failed
    /// while drawing.
    fn from(e: ChartError) -> Self {
        use crate::error::{Error, Kind};
        let kind = match e {
            ChartError::NotAnOutput(_) | ChartError::BadSize(_) => Kind::BadInput,
            _ => Kind::Failed,
        };
        Error::new(kind, e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chart_size_parses_and_rejects() {
        let s: ChartSize = "1920x1080".parse().unwrap();
        assert_eq!((s.width, s.height), (1920, 1080));
        assert!("1920".parse::<ChartSize>().is_err());
        assert!("10x10".parse::<ChartSize>().is_err());
        assert!("axb".parse::<ChartSize>().is_err());
    }
}
