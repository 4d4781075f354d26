//! Charts and the self-contained HTML report, drawn from an output folder's files.
//!
//! Why a module of its own: coaches and managers would rather look than read, and a chart must
//! be redrawable from a finished run without simulating (`flowsim chart DIR`). So nothing here
//! touches the engine or the live aggregates: [`data::load`] reads the CSV files back into a
//! typed [`data::RunData`], and every chart is drawn from that. The same bytes in give the same
//! SVG bytes out.
//!
//! One file per chart (criterion.rs's `src/plot/` habit); this file holds what they share: the
//! projector-sized [`Style`], the Okabe–Ito palette (one colour per policy in every chart), the
//! embedded DejaVu Sans font (registered once, so text renders on machines without font
//! libraries), the header-and-legend frame, and two chart shapes (a line with a band over
//! weeks, and grouped bars per policy).

pub mod cfd;
pub mod cycle_time;
pub mod dashboard;
pub mod data;
pub mod html;
pub mod idle;
pub mod overtime;
pub mod sweep;
pub mod throughput;
pub mod wip;

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use data::RunData;

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

/// How to draw: the size of each chart.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ChartOptions {
    /// Pixel size of every chart.
    pub size: ChartSize,
}

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
fn widest<DB: DrawingBackend>(
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

/// One point of a [`Band`]: `(x, low, middle, high)`; the line follows `middle`, the band
/// spans `low..high`; `None` leaves a gap.
pub type BandPoint = (f64, Option<f64>, Option<f64>, Option<f64>);

/// One policy's line with its band, over x (weeks or a swept parameter).
#[derive(Debug, Clone)]
pub struct Band {
    /// Legend name.
    pub name: String,
    /// Colour.
    pub colour: RGBColor,
    /// `(x, low, middle, high)`: the line is `middle`, the band `low..high`.
    pub points: Vec<BandPoint>,
}

/// The x axis of a [`band_chart`].
#[derive(Debug, Clone)]
pub struct XAxis {
    /// Description with unit.
    pub desc: String,
    /// Range.
    pub range: (f64, f64),
    /// Categorical labels at x = 0, 1, ... (else numeric ticks).
    pub categories: Option<Vec<String>>,
    /// Label whole numbers only (weeks, integer parameters).
    pub integer: bool,
}

/// Runs of consecutive points where `f` is defined.
fn runs<T: Copy>(pts: &[BandPoint], f: impl Fn(&BandPoint) -> Option<T>) -> Vec<Vec<(f64, T)>> {
    let mut out: Vec<Vec<(f64, T)>> = Vec::new();
    let mut cur = Vec::new();
    for p in pts {
        match f(p) {
            Some(v) => cur.push((p.0, v)),
            None => {
                if !cur.is_empty() {
                    out.push(std::mem::take(&mut cur));
                }
            }
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// Lines with shaded bands, one per policy, on a plain grid. Undefined points leave gaps; a
/// lone point is drawn as a dot. When no point is defined, says so instead.
pub fn band_chart<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    st: &Style,
    x: &XAxis,
    y_desc: &str,
    bands: &[Band],
    empty_reason: &str,
) -> DrawResult {
    let any = bands.iter().any(|b| b.points.iter().any(|p| p.2.is_some()));
    if !any {
        return no_data(area, st, empty_reason);
    }
    let (y0, y1) = value_range(
        bands
            .iter()
            .flat_map(|b| b.points.iter().flat_map(|p| [p.1, p.2, p.3]))
            .flatten(),
    );
    let tick = st.font(Style::TICK);
    let axis = st.font(Style::AXIS);
    let ylab_w = widest(
        area,
        [fmt_tick(y0), fmt_tick(y1), fmt_tick((y0 + y1) / 2.0)],
        &tick,
    )?;
    let cat_fmt = |v: &f64| -> String {
        match &x.categories {
            Some(c) => {
                let i = v.round();
                if (v - i).abs() < 1e-6 && i >= 0.0 && (i as usize) < c.len() {
                    c[i as usize].clone()
                } else {
                    String::new()
                }
            }
            None if x.integer && (v - v.round()).abs() > 1e-6 => String::new(),
            None => fmt_tick(*v),
        }
    };
    let mut chart = ChartBuilder::on(area)
        .margin_left(st.px(Style::MARGIN))
        .margin_right(st.px(Style::MARGIN * 1.5))
        .margin_top(st.px(10.0))
        .margin_bottom(st.px(Style::MARGIN * 0.5))
        .x_label_area_size(st.px(Style::TICK + Style::AXIS + 34.0))
        .y_label_area_size(ylab_w + st.px(Style::AXIS + 34.0))
        .build_cartesian_2d(x.range.0..x.range.1, y0..y1)?;
    let n_cat = x.categories.as_ref().map(Vec::len);
    let ylf = |v: &f64| fmt_tick(*v);
    chart
        .configure_mesh()
        .x_desc(x.desc.as_str())
        .y_desc(y_desc)
        .axis_desc_style(axis)
        .label_style(tick)
        .x_labels(match n_cat {
            Some(n) => n.max(2) * 4 + 1,
            None => 10,
        })
        .y_labels(8)
        .x_label_formatter(&cat_fmt)
        .y_label_formatter(&ylf)
        .max_light_lines(0)
        .bold_line_style(GRID.stroke_width(1))
        .axis_style(MUTED.stroke_width(st.px(2.0)))
        .draw()?;
    let lw = st.px(Style::LINE);
    for b in bands {
        for run in runs(&b.points, |p| match (p.1, p.3) {
            (Some(l), Some(h)) => Some((l, h)),
            _ => None,
        }) {
            let fill = b.colour.mix(0.12).filled();
            if run.len() == 1 {
                let (xv, (l, h)) = run[0];
                let half = (x.range.1 - x.range.0) * 0.01;
                chart.draw_series(std::iter::once(Rectangle::new(
                    [(xv - half, l), (xv + half, h)],
                    fill,
                )))?;
            } else {
                let mut poly: Vec<(f64, f64)> = run.iter().map(|&(xv, (_, h))| (xv, h)).collect();
                poly.extend(run.iter().rev().map(|&(xv, (l, _))| (xv, l)));
                chart.draw_series(std::iter::once(Polygon::new(poly, fill)))?;
                // Thin edges keep overlapping bands of different policies apart.
                let edge = b.colour.mix(0.55).stroke_width(st.px(1.5));
                chart.draw_series(LineSeries::new(
                    run.iter().map(|&(xv, (l, _))| (xv, l)),
                    edge,
                ))?;
                chart.draw_series(LineSeries::new(
                    run.iter().map(|&(xv, (_, h))| (xv, h)),
                    edge,
                ))?;
            }
        }
    }
    for b in bands {
        for run in runs(&b.points, |p| p.2) {
            let style = b.colour.stroke_width(lw);
            if run.len() == 1 {
                chart.draw_series(std::iter::once(Circle::new(
                    run[0],
                    st.px(7.0),
                    b.colour.filled(),
                )))?;
            } else {
                chart.draw_series(LineSeries::new(run, style))?;
            }
        }
    }
    Ok(())
}

/// Bars for a [`grouped_chart`] from `summary.csv`: one group per `(metric, label)` the folder
/// holds (labelled `label`), one bar per policy, shaped from that metric's statistics by `bar`.
pub fn summary_bars(
    d: &data::RunData,
    metrics: &[(&str, &str)],
    bar: impl Fn(&data::Stat) -> Option<GroupBar>,
) -> (Vec<String>, Vec<Vec<Option<GroupBar>>>) {
    let present: Vec<&(&str, &str)> = metrics
        .iter()
        .filter(|(m, _)| d.summary.iter().any(|r| r.metric == *m))
        .collect();
    let groups = present.iter().map(|(_, l)| l.to_string()).collect();
    let bars = d
        .policies
        .iter()
        .map(|p| {
            present
                .iter()
                .map(|(m, _)| bar(&d.stat(p, m)?.stat))
                .collect()
        })
        .collect();
    (groups, bars)
}

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
    let tick = st.font(Style::TICK);
    let ylab_w = widest(
        area,
        [fmt_tick(y0), fmt_tick(y1), fmt_tick((y0 + y1) / 2.0)],
        &tick,
    )?;
    let ng = groups.len();
    let mut chart = ChartBuilder::on(area)
        .margin_left(st.px(Style::MARGIN))
        .margin_right(st.px(Style::MARGIN * 1.5))
        .margin_top(st.px(10.0))
        .margin_bottom(st.px(Style::MARGIN * 0.5))
        .x_label_area_size(st.px(Style::AXIS + 30.0))
        .y_label_area_size(ylab_w + st.px(Style::AXIS + 34.0))
        .build_cartesian_2d(0.0..ng as f64, y0..y1)?;
    let ylf = |v: &f64| fmt_tick(*v);
    chart
        .configure_mesh()
        .disable_x_mesh()
        .x_labels(0)
        .y_desc(y_desc)
        .axis_desc_style(st.font(Style::AXIS))
        .label_style(tick)
        .y_labels(8)
        .y_label_formatter(&ylf)
        .max_light_lines(0)
        .bold_line_style(GRID.stroke_width(1))
        .axis_style(MUTED.stroke_width(st.px(2.0)))
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

/// The legend entries of the policies: `(name, colour)`.
pub fn policy_legend(d: &RunData) -> Vec<(String, RGBColor)> {
    d.policies
        .iter()
        .cloned()
        .zip(policy_colours(&d.policies))
        .collect()
}

/// "across N replications" for subtitles.
pub fn reps_phrase(d: &RunData) -> String {
    match d.manifest.replications {
        Some(1) => "from a single replication".to_string(),
        Some(n) => format!("across {n} replications"),
        None => "across replications".to_string(),
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
    /// Cycle-time statistics per policy.
    CycleTime,
    /// Cumulative flow diagram per policy.
    Cfd,
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
            ChartKind::CycleTime => "cycle_time".into(),
            ChartKind::Cfd => "cfd".into(),
            ChartKind::Wip => "wip".into(),
            ChartKind::Sweep(m) => format!("sweep_{m}"),
            ChartKind::Dashboard => "dashboard".into(),
        }
    }

    /// The chart's title (also its caption in the report).
    pub fn title(&self, d: &RunData) -> String {
        match self {
            ChartKind::Throughput => throughput::title(),
            ChartKind::Overtime => overtime::title(),
            ChartKind::Idle => idle::title(),
            ChartKind::CycleTime => cycle_time::title(),
            ChartKind::Cfd => cfd::title(),
            ChartKind::Wip => wip::title(),
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
            ChartKind::Throughput => throughput::draw(area, d, st),
            ChartKind::Overtime => overtime::draw(area, d, st),
            ChartKind::Idle => idle::draw(area, d, st),
            ChartKind::CycleTime => cycle_time::draw(area, d, st),
            ChartKind::Cfd => cfd::draw(area, d, st),
            ChartKind::Wip => wip::draw(area, d, st),
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
        None => vec![
            ChartKind::Dashboard,
            ChartKind::Throughput,
            ChartKind::CycleTime,
            ChartKind::Wip,
            ChartKind::Idle,
            ChartKind::Overtime,
            ChartKind::Cfd,
        ],
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
    let d = data::load(dir)?;
    let charts_dir = dir.join("charts");
    std::fs::create_dir_all(&charts_dir).map_err(|e| write_err(&charts_dir, e))?;
    let mut drawn = Vec::new();
    let mut files = Vec::new();
    for kind in kinds(&d) {
        let c = render(&kind, &d, &charts_dir, opts.size)?;
        files.push(charts_dir.join(format!("{}.svg", kind.stem())));
        files.push(charts_dir.join(format!("{}.png", kind.stem())));
        drawn.push(c);
    }
    let report = dir.join("report.html");
    std::fs::write(&report, html::report(&d, &drawn)).map_err(|e| write_err(&report, e))?;
    Ok(Written { files, report })
}

/// Stores the scenario text as simulated (after `--set` overrides) in the output folder, so
/// the report can show it and `flowsim chart DIR` can redraw it.
///
/// # Errors
/// The file cannot be written.
pub fn save_scenario_text(dir: &Path, text: &str) -> DrawResult {
    let path = dir.join(data::SCENARIO_FILE);
    std::fs::write(&path, text).map_err(|e| write_err(&path, e))
}

/// Which weekly statistic a line follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Middle {
    /// The median across replications (a typical run).
    Median,
    /// The mean across replications (for skewed, often-zero series such as overtime).
    Mean,
}

/// One band per policy from a weekly series: the line is the median or mean, the band the 5th
/// to 95th percentile across replications. Policies without the series get no points.
pub fn weekly_bands(d: &RunData, series: &str, middle: Middle) -> Vec<Band> {
    d.policies
        .iter()
        .zip(policy_colours(&d.policies))
        .map(|(p, colour)| Band {
            name: p.clone(),
            colour,
            points: d
                .weekly
                .get(p, series)
                .iter()
                .map(|w| {
                    let mid = match middle {
                        Middle::Median => w.p50,
                        Middle::Mean => w.mean,
                    };
                    (w.week as f64, w.p05, mid, w.p95)
                })
                .collect(),
        })
        .collect()
}

/// The week axis: 1 to the last week (a lone week gets room either side).
pub fn weeks_axis(d: &RunData) -> XAxis {
    let n = d.weekly.weeks().max(1) as f64;
    XAxis {
        desc: "week of the horizon".into(),
        range: if n <= 1.0 { (0.5, 1.5) } else { (1.0, n) },
        categories: None,
        integer: true,
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
    fn numbers_and_ranges_are_safe() {
        assert_eq!(fmt_tick(2.5), "2.5");
        assert_eq!(fmt_tick(-0.0), "0");
        assert_eq!(fmt_num(None), "–");
        assert_eq!(fmt_num(Some(f64::NAN)), "–");
        assert_eq!(value_range([]), (0.0, 1.0));
        assert_eq!(value_range([0.0, 0.0]), (0.0, 1.0));
        let (lo, hi) = value_range([-2.0, 4.0, f64::INFINITY]);
        assert!(lo < -2.0 && hi > 4.0);
    }

    #[test]
    fn html_is_escaped() {
        assert_eq!(
            html::escape("<a href=\"x\">&'</a>"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;&lt;/a&gt;"
        );
    }
}
