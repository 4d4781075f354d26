//! The weekly band charts: one weekly series of `weekly.csv` over the weeks of the horizon, one
//! line per policy (in its colour) with the band where 90% of replications fall. Each chart is
//! a [`WeeklyChart`] spec, drawn by the one [`draw`] function:
//!
//! - [`THROUGHPUT`], chart 1, the throughput run chart: cards finished per week, one panel per
//!   policy: the band where 90% of replications fall, its median, and replication 1 alone in
//!   dark grey with a dot a week (what one real board would show: weeks of 5, 11, 7 cards,
//!   where the median is a flat line). A higher band delivers more; a wider one is less
//!   predictable. On the dashboard, the policies' bands overlaid for one or two policies, and
//!   with three or more a line per policy with its own marker and dash (bands would blend).
//! - [`OVERTIME`], chart 2: hours worked outside normal hours, per person per week. The line is
//!   the mean over replications (overtime is often zero in most runs and large in a few, so the
//!   median would hide it). A policy with no overtime lies flat on zero. One or two policies
//!   show their bands; three or more a line each with its own marker and dash (bands would
//!   blend), as on the dashboard.
//! - [`WIP`], chart 6, work in progress over time: the time-average number of committed,
//!   unfinished cards in each week, the median line of each policy with its own marker and
//!   dash (no shaded bands: three overlapping translucent bands blend into grey). A line that
//!   keeps climbing means work is started faster than it is finished; by Little's law, more
//!   WIP at the same throughput means longer lead times.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::DrawResult;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::band::{Band, BandPoint, Look, XAxis, band_chart, band_chart_with, fitted_range};
use super::data::RunData;
use super::layout::{no_data, policy_frame};
use super::style::{Style, policy_colours};

/// How a weekly chart draws its policies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WeeklyLook {
    /// One line per policy with its shaded band, overlaid.
    Bands,
    /// One line per policy with its own marker and dash, no shading.
    Lines,
    /// One panel per policy on a shared axis: band, median, and replication 1 alone.
    RunChart,
}

/// What one weekly band chart shows. Every policy is drawn in its own colour
/// ([`policy_colours`]); the unit is part of `y_desc`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WeeklyChart {
    /// The weekly series drawn (the `series` column of `weekly.csv`).
    pub series: &'static str,
    /// The chart's title (also its caption in the report).
    pub title: &'static str,
    /// The subtitle after the scenario name; `{reps}` stands for "across N replications".
    pub subtitle: &'static str,
    /// Which statistic across replications the line follows (the band is always the 5th to
    /// 95th percentile).
    pub middle: Middle,
    /// The y axis description, with its unit.
    pub y_desc: &'static str,
    /// What to say when the folder holds no value of the series.
    pub empty_reason: &'static str,
    /// How the policies are drawn (bands, on the dashboard or full size, are overlaid for up
    /// to [`MAX_OVERLAID_BANDS`] policies and become lines beyond that).
    pub look: WeeklyLook,
}

/// The most policies whose translucent bands a dashboard panel overlays; with more, each
/// policy is a line with its own marker and dash (as in the WIP chart).
pub const MAX_OVERLAID_BANDS: usize = 2;

/// Chart 1, the throughput run chart.
pub const THROUGHPUT: WeeklyChart = WeeklyChart {
    series: "throughput",
    title: "Throughput: cards finished per week",
    subtitle: "one panel per policy; coloured line = mean week {reps} (a median of whole cards is a flat line), band = 5th to 95th percentile; dark grey with dots = replication 1 alone, the run chart one board would show.",
    middle: Middle::Mean,
    y_desc: "cards finished per week",
    empty_reason: "No weekly throughput in this output folder (weekly.csv is missing or has no `throughput` series).",
    look: WeeklyLook::RunChart,
};

/// Chart 2, overtime per person per week.
pub const OVERTIME: WeeklyChart = WeeklyChart {
    series: "overtime_h_per_person",
    title: "Overtime per person per week",
    subtitle: "hours beyond normal working hours; line = mean {reps}; with one or two policies a band = 5th to 95th percentile, with more a marker and dash per policy.",
    middle: Middle::Mean,
    y_desc: "overtime (h per person per week)",
    empty_reason: "This output folder records no weekly overtime (weekly.csv has no `overtime_h_per_person` series; flowsim versions before overtime was measured did not write it).",
    look: WeeklyLook::Bands,
};

/// Chart 6, work in progress over time.
pub const WIP: WeeklyChart = WeeklyChart {
    series: "wip_mean",
    title: "Work in progress over time",
    subtitle: "time-average committed cards not yet done in each week; line = median {reps}, one marker and dash per policy.",
    middle: Middle::Median,
    y_desc: "cards in progress",
    empty_reason: "No weekly WIP in this output folder (weekly.csv has no `wip_mean` series).",
    look: WeeklyLook::Lines,
};

/// Draws a weekly band chart: the frame with the policies' legend, then one band per policy.
///
/// # Errors
/// The drawing backend fails.
pub fn draw<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    d: &RunData,
    st: &Style,
    chart: &WeeklyChart,
) -> DrawResult {
    let plot = policy_frame(area, st, d, chart.title, chart.subtitle)?;
    let mut bands = weekly_bands(d, chart.series, chart.middle);
    // A dashboard panel cannot hold a run chart per policy: it overlays the bands where they
    // stay apart (one or two policies) and draws lines with markers and dashes beyond that,
    // where three or more translucent bands blend into one grey-brown mass; a full-size band
    // chart does the same. WIP stays lines.
    let look = match chart.look {
        WeeklyLook::Lines => WeeklyLook::Lines,
        _ if st.compact && bands.len() > MAX_OVERLAID_BANDS => WeeklyLook::Lines,
        _ if st.compact => WeeklyLook::Bands,
        WeeklyLook::Bands if bands.len() > MAX_OVERLAID_BANDS => WeeklyLook::Lines,
        look => look,
    };
    match look {
        WeeklyLook::Bands => band_chart(
            &plot,
            st,
            &weeks_axis(d),
            chart.y_desc,
            &bands,
            chart.empty_reason,
        ),
        WeeklyLook::Lines => band_chart_with(
            &plot,
            st,
            &weeks_axis(d),
            chart.y_desc,
            &bands,
            chart.empty_reason,
            &Look {
                no_shading: true,
                markers: true,
                y_range: None,
            },
        ),
        WeeklyLook::RunChart => {
            for b in &mut bands {
                b.single = d
                    .weekly
                    .get(&b.name, chart.series)
                    .iter()
                    .filter_map(|w| Some((w.week as f64, w.rep1()?)))
                    .collect();
            }
            if bands.is_empty() {
                return no_data(&plot, st, chart.empty_reason);
            }
            let shared = fitted_range(&bands);
            let panels = plot.split_evenly((1, bands.len()));
            for (b, panel) in bands.iter().zip(&panels) {
                let (pw, _) = panel.dim_in_pixel();
                panel.draw_text(
                    &b.name,
                    &st.bold(Style::LEGEND + 2.0)
                        .color(&b.colour)
                        .pos(Pos::new(HPos::Center, VPos::Top)),
                    (pw as i32 / 2, 0),
                )?;
                let body = panel.split_vertically(st.px(Style::LEGEND + 12.0)).1;
                band_chart_with(
                    &body,
                    st,
                    &weeks_axis(d),
                    chart.y_desc,
                    std::slice::from_ref(b),
                    chart.empty_reason,
                    &Look {
                        no_shading: false,
                        markers: false,
                        y_range: Some(shared),
                    },
                )?;
            }
            Ok(())
        }
    }
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
fn weekly_bands(d: &RunData, series: &str, middle: Middle) -> Vec<Band> {
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
                        Middle::Median => w.p50(),
                        Middle::Mean => w.mean(),
                    };
                    BandPoint {
                        x: w.week as f64,
                        low: w.p05(),
                        middle: mid,
                        high: w.p95(),
                    }
                })
                .collect(),
            single: Vec::new(),
        })
        .collect()
}

/// The week axis: 1 to the last week (a lone week gets room either side).
fn weeks_axis(d: &RunData) -> XAxis {
    let n = d.weekly.weeks().max(1) as f64;
    XAxis {
        desc: "week of the horizon".into(),
        range: if n <= 1.0 { (0.5, 1.5) } else { (1.0, n) },
        categories: None,
        integer: true,
    }
}
