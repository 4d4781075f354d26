//! Chart 4, cycle time (commit to done) per policy: its mean and 50th, 85th and 95th
//! percentiles, each with its spread across replications.
//!
//! The output folder holds each replication's cycle-time statistics, not every card's cycle
//! time, so this chart does not pretend to be a histogram: for each statistic and policy, the
//! bar spans the 5th to 95th percentile of that statistic across replications and the thick
//! line marks its median. How to read it: "85th percentile" is the usual forecast ("85% of
//! cards finish within this"); a lower, shorter bar is faster and more predictable.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::DrawResult;
use super::bars::{BarLook, GroupBar, Grouped, grouped_chart, summary_bars};
use super::data::RunData;
use super::layout::{frame, policy_legend, reps_phrase};
use super::style::{Style, policy_colours};

/// The statistics drawn, in order: metric and label.
pub const STATS: [(&str, &str); 4] = [
    ("cycle_time_mean_h", "mean"),
    ("cycle_time_p50_h", "50th percentile"),
    ("cycle_time_p85_h", "85th percentile"),
    ("cycle_time_p95_h", "95th percentile"),
];

/// The chart's title.
pub fn title() -> String {
    "Cycle time: start to done".into()
}

/// The bars: one group per statistic the folder holds, one range bar per policy.
pub fn bars(d: &RunData) -> (Vec<String>, Vec<Vec<Option<GroupBar>>>) {
    summary_bars(d, &STATS, |s| {
        let mid = s.p50.or(s.mean)?;
        Some(GroupBar {
            low: s.p05.unwrap_or(mid).min(mid),
            high: s.p95.unwrap_or(mid).max(mid),
            whisker: None,
            marker: Some(mid),
        })
    })
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
        "{}: each statistic of a run's cycle times; bar = 5th to 95th percentile of that statistic {}, thick line = its median.",
        d.scenario,
        reps_phrase(d)
    );
    let plot = frame(area, st, &title(), &sub, &policy_legend(d))?;
    let (groups, bars) = bars(d);
    grouped_chart(
        &plot,
        st,
        &Grouped {
            groups: &groups,
            y_desc: "cycle time (h)",
            colours: &policy_colours(&d.policies),
            bars: &bars,
            look: BarLook::Range,
            empty_reason: "No cycle-time metrics in this output folder's summary.csv (or no card finished).",
        },
    )
}
