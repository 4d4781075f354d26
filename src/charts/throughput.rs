//! Chart 1, the throughput run chart: cards finished per week, one line per policy.
//!
//! How to read it: each line is the typical (median) week's throughput of a policy, the shaded
//! band where 90% of replications fall. A higher line delivers more; a wider band is less
//! predictable.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::DrawResult;
use super::band::{Middle, band_chart, weekly_bands, weeks_axis};
use super::data::RunData;
use super::layout::{frame, policy_legend, reps_phrase};
use super::style::Style;

/// The weekly series drawn.
pub const SERIES: &str = "throughput";

/// The chart's title.
pub fn title() -> String {
    "Throughput: cards finished per week".into()
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
        "{}: line = median week {}, band = 5th to 95th percentile.",
        d.scenario,
        reps_phrase(d)
    );
    let plot = frame(area, st, &title(), &sub, &policy_legend(d))?;
    band_chart(
        &plot,
        st,
        &weeks_axis(d),
        "cards finished per week",
        &weekly_bands(d, SERIES, Middle::Median),
        "No weekly throughput in this output folder (weekly.csv is missing or has no `throughput` series).",
    )
}
