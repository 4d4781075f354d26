//! The band chart: one line per policy over x (weeks or a swept parameter) with a shaded band
//! around it, gaps where a value is undefined. The weekly charts and the sweep charts draw
//! their data with it.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::DrawResult;
use super::layout::{house_mesh, no_data, value_chart, value_range};
use super::style::{Style, fmt_tick};

/// One point of a [`Band`]: the line follows `middle`, the band spans `low..high`; `None`
/// leaves a gap.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BandPoint {
    /// Position on the x axis.
    pub x: f64,
    /// Bottom of the band.
    pub low: Option<f64>,
    /// The line.
    pub middle: Option<f64>,
    /// Top of the band.
    pub high: Option<f64>,
}

/// One policy's line with its band, over x (weeks or a swept parameter).
#[derive(Debug, Clone)]
pub struct Band {
    /// Legend name.
    pub name: String,
    /// Colour.
    pub colour: RGBColor,
    /// The points, in x order.
    pub points: Vec<BandPoint>,
    /// One replication's values (a real board's run chart), drawn as a thin dark line with
    /// dots; empty for none.
    pub single: Vec<(f64, f64)>,
}

/// How a [`band_chart`] draws its bands.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Look {
    /// Leave the shaded bands out (lines only: overlapping translucent bands blend into grey).
    pub no_shading: bool,
    /// A marker on every point, its shape by the band's position (circle, triangle, square,
    /// diamond...), and a dash pattern per band, so that lines stay apart without colour.
    pub markers: bool,
    /// A y range shared with other panels instead of one fitted to these bands.
    pub y_range: Option<(f64, f64)>,
}

/// The y range that fits every value of `bands` (lines, bands and single runs).
pub fn fitted_range(bands: &[Band]) -> (f64, f64) {
    value_range(
        bands
            .iter()
            .flat_map(|b| b.points.iter().flat_map(|p| [p.low, p.middle, p.high]))
            .flatten()
            .chain(bands.iter().flat_map(|b| b.single.iter().map(|p| p.1))),
    )
}

/// Draws marker `shape` (0 circle, 1 triangle, 2 square, 3 diamond, then again) at each point.
fn draw_markers<DB: DrawingBackend, CT: plotters::coord::CoordTranslate<From = (f64, f64)>>(
    chart: &mut ChartContext<'_, DB, CT>,
    pts: &[(f64, f64)],
    shape: usize,
    colour: RGBColor,
    r: u32,
) -> DrawResult {
    let r = r as i32;
    let style = colour.filled();
    for &p in pts {
        match shape % 4 {
            0 => {
                chart.draw_series(std::iter::once(Circle::new(p, r, style)))?;
            }
            1 => {
                chart.draw_series(std::iter::once(TriangleMarker::new(p, r + 2, style)))?;
            }
            2 => {
                chart.draw_series(std::iter::once(
                    EmptyElement::at(p) + Rectangle::new([(-r, -r), (r, r)], style),
                ))?;
            }
            _ => {
                chart.draw_series(std::iter::once(
                    EmptyElement::at(p)
                        + Polygon::new(
                            vec![(0, -r - 2), (r + 2, 0), (0, r + 2), (-r - 2, 0)],
                            style,
                        ),
                ))?;
            }
        }
    }
    Ok(())
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
            Some(v) => cur.push((p.x, v)),
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
    band_chart_with(area, st, x, y_desc, bands, empty_reason, &Look::default())
}

/// [`band_chart`] with a [`Look`]: lines only, markers and dashes, a shared y range.
pub fn band_chart_with<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    st: &Style,
    x: &XAxis,
    y_desc: &str,
    bands: &[Band],
    empty_reason: &str,
    look: &Look,
) -> DrawResult {
    let any = bands
        .iter()
        .any(|b| b.points.iter().any(|p| p.middle.is_some()));
    if !any {
        return no_data(area, st, empty_reason);
    }
    let (y0, y1) = look.y_range.unwrap_or_else(|| {
        if look.no_shading {
            value_range(
                bands
                    .iter()
                    .flat_map(|b| b.points.iter().map(|p| p.middle))
                    .flatten(),
            )
        } else {
            fitted_range(bands)
        }
    });
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
    let mut chart = value_chart(area, st, (y0, y1))?
        .x_label_area_size(st.px(Style::TICK + Style::AXIS + 34.0))
        .build_cartesian_2d(x.range.0..x.range.1, y0..y1)?;
    let n_cat = x.categories.as_ref().map(Vec::len);
    let ylf = |v: &f64| fmt_tick(*v);
    house_mesh(&mut chart.configure_mesh(), st)
        .x_desc(x.desc.as_str())
        .y_desc(y_desc)
        .x_labels(match n_cat {
            Some(n) => n.max(2) * 4 + 1,
            None => 10,
        })
        .y_labels(8)
        .x_label_formatter(&cat_fmt)
        .y_label_formatter(&ylf)
        .draw()?;
    let lw = st.px(Style::LINE);
    for b in bands.iter().filter(|_| !look.no_shading) {
        for run in runs(&b.points, |p| p.low.zip(p.high)) {
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
    for b in bands.iter().filter(|b| b.single.len() > 1) {
        let grey = RGBColor(0x33, 0x33, 0x33);
        chart.draw_series(LineSeries::new(
            b.single.iter().copied(),
            grey.stroke_width(st.px(1.5)),
        ))?;
        chart.draw_series(
            b.single
                .iter()
                .map(|&p| Circle::new(p, st.px(3.0), grey.filled())),
        )?;
    }
    for (k, b) in bands.iter().enumerate() {
        for run in runs(&b.points, |p| p.middle) {
            let style = b.colour.stroke_width(lw);
            if look.markers {
                match k % 3 {
                    0 => {
                        chart.draw_series(LineSeries::new(run.iter().copied(), style))?;
                    }
                    1 => {
                        chart.draw_series(DashedLineSeries::new(
                            run.iter().copied(),
                            st.px(18.0),
                            st.px(8.0),
                            style,
                        ))?;
                    }
                    _ => {
                        chart.draw_series(DashedLineSeries::new(
                            run.iter().copied(),
                            st.px(5.0),
                            st.px(6.0),
                            style,
                        ))?;
                    }
                }
                draw_markers(&mut chart, &run, k, b.colour, st.px(7.0))?;
                continue;
            }
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
