//! The weekly band charts: one weekly series of `weekly.csv` over the weeks of the horizon, one
//! line per policy (in its colour) with the band where 90% of replications fall. Each chart is
//! a [`WeeklyChart`] spec, drawn by the one [`draw`] function:
//!
//! - [`THROUGHPUT`], chart 1, the throughput run chart: cards finished per week. Each line is
//!   the typical (median) week's throughput of a policy. A higher line delivers more; a wider
//!   band is less predictable.
//! - [`OVERTIME`], chart 2: hours worked outside normal hours, per person per week. The line is
//!   the mean over replications (overtime is often zero in most runs and large in a few, so the
//!   median would hide it). A policy with no overtime lies flat on zero.
//! - [`WIP`], chart 6, work in progress over time: the time-average number of committed,
//!   unfinished cards in each week. A line that keeps climbing means work is started faster
//!   than it is finished; by Little's law, more WIP at the same throughput means longer lead
//!   times.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::DrawResult;
use super::band::{Band, BandPoint, XAxis, band_chart};
use super::data::RunData;
use super::layout::policy_frame;
use super::style::{Style, policy_colours};

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
}

/// Chart 1, the throughput run chart.
pub const THROUGHPUT: WeeklyChart = WeeklyChart {
    series: "throughput",
    title: "Throughput: cards finished per week",
    subtitle: "line = median week {reps}, band = 5th to 95th percentile.",
    middle: Middle::Median,
    y_desc: "cards finished per week",
    empty_reason: "No weekly throughput in this output folder (weekly.csv is missing or has no `throughput` series).",
};

/// Chart 2, overtime per person per week.
pub const OVERTIME: WeeklyChart = WeeklyChart {
    series: "overtime_h_per_person",
    title: "Overtime per person per week",
    subtitle: "hours beyond normal working hours; line = mean {reps}, band = 5th to 95th percentile.",
    middle: Middle::Mean,
    y_desc: "overtime (h per person per week)",
    empty_reason: "This output folder records no weekly overtime (weekly.csv has no `overtime_h_per_person` series; flowsim versions before overtime was measured did not write it).",
};

/// Chart 6, work in progress over time.
pub const WIP: WeeklyChart = WeeklyChart {
    series: "wip_mean",
    title: "Work in progress over time",
    subtitle: "time-average committed cards not yet done in each week; line = median {reps}, band = 5th to 95th percentile.",
    middle: Middle::Median,
    y_desc: "cards in progress",
    empty_reason: "No weekly WIP in this output folder (weekly.csv has no `wip_mean` series).",
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
    band_chart(
        &plot,
        st,
        &weeks_axis(d),
        chart.y_desc,
        &weekly_bands(d, chart.series, chart.middle),
        chart.empty_reason,
    )
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
                        Middle::Median => w.p50,
                        Middle::Mean => w.mean,
                    };
                    BandPoint {
                        x: w.week as f64,
                        low: w.p05,
                        middle: mid,
                        high: w.p95,
                    }
                })
                .collect(),
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
