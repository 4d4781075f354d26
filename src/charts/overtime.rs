//! Chart 2, overtime: hours worked outside normal hours, per person per week, one line per
//! policy.
//!
//! How to read it: the line is the mean over replications (overtime is often zero in most runs
//! and large in a few, so the median would hide it); the band is where 90% of replications
//! fall. A policy with no overtime lies flat on zero.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::DrawResult;
use super::band::{Middle, band_chart, weekly_bands, weeks_axis};
use super::data::RunData;
use super::layout::{frame, policy_legend, reps_phrase};
use super::style::Style;

/// The weekly series drawn.
pub const SERIES: &str = "overtime_h_per_person";

/// The chart's title.
pub fn title() -> String {
    "Overtime per person per week".into()
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
        "{}: hours beyond normal working hours; line = mean {}, band = 5th to 95th percentile.",
        d.scenario,
        reps_phrase(d)
    );
    let plot = frame(area, st, &title(), &sub, &policy_legend(d))?;
    band_chart(
        &plot,
        st,
        &weeks_axis(d),
        "overtime (h per person per week)",
        &weekly_bands(d, SERIES, Middle::Mean),
        "This output folder records no weekly overtime (weekly.csv has no `overtime_h_per_person` series; flowsim versions before overtime was measured did not write it).",
    )
}
