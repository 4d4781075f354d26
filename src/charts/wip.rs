//! Chart 6, work in progress over time: the time-average number of committed, unfinished cards
//! in each week, one line per policy.
//!
//! How to read it: a line that keeps climbing means work is started faster than it is
//! finished; by Little's law, more WIP at the same throughput means longer lead times.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::DrawResult;
use super::band::{Middle, band_chart, weekly_bands, weeks_axis};
use super::data::RunData;
use super::layout::{frame, policy_legend, reps_phrase};
use super::style::Style;

/// The weekly series drawn.
pub const SERIES: &str = "wip_mean";

/// The chart's title.
pub fn title() -> String {
    "Work in progress over time".into()
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
    let sub = format!(
        "{}: time-average committed cards not yet done in each week; line = median {}, band = 5th to 95th percentile.",
        d.scenario,
        reps_phrase(d)
    );
    let plot = frame(area, st, &title(), &sub, &policy_legend(d))?;
    band_chart(
        &plot,
        st,
        &weeks_axis(d),
        "cards in progress",
        &weekly_bands(d, SERIES, Middle::Median),
        "No weekly WIP in this output folder (weekly.csv has no `wip_mean` series).",
    )
}
