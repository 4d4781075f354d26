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
    let any = bands
        .iter()
        .any(|b| b.points.iter().any(|p| p.middle.is_some()));
    if !any {
        return no_data(area, st, empty_reason);
    }
    let (y0, y1) = value_range(
        bands
            .iter()
            .flat_map(|b| b.points.iter().flat_map(|p| [p.low, p.middle, p.high]))
            .flatten(),
    );
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
    for b in bands {
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
    for b in bands {
        for run in runs(&b.points, |p| p.middle) {
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
