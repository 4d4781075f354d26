//! Chart 3, idle time by cause: hours per person per week a present person could not work,
//! split into starved, blocked, waiting and skill mismatch, side by side per policy.
//!
//! How to read it: bars are means over the run with their 95% interval; the cause tells a team
//! what to change. Starved: nothing upstream (feed the flow). Blocked: no room downstream (fix
//! the bottleneck or the WIP limit). Waiting: own cards wait on missing input. Skill mismatch:
//! work waits that nobody free can do (cross-train).

use plotters::coord::Shift;
use plotters::prelude::*;

use super::DrawResult;
use super::bars::{BarLook, GroupBar, Grouped, grouped_chart, summary_bars};
use super::data::RunData;
use super::layout::{frame, policy_legend};
use super::style::{Style, policy_colours};

/// The causes drawn, in order: metric and label. Those the folder lacks are skipped.
pub const CAUSES: [(&str, &str); 4] = [
    ("starved_h_per_person_week", "starved"),
    ("blocked_h_per_person_week", "blocked"),
    ("waiting_h_per_person_week", "waiting on input"),
    ("skill_mismatch_h_per_person_week", "skill mismatch"),
];

/// The chart's title.
pub fn title() -> String {
    "Idle time by cause".into()
}

/// The bars: one group per cause the folder holds, one bar per policy (mean, 95% interval).
pub fn bars(d: &RunData) -> (Vec<String>, Vec<Vec<Option<GroupBar>>>) {
    summary_bars(d, &CAUSES, |s| {
        let mean = s.mean?;
        Some(GroupBar {
            low: 0.0,
            high: mean,
            whisker: s.ci95_low.zip(s.ci95_high),
            marker: None,
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
        "{}: hours per person per week a present person had no work they could do, by cause; bar = mean over the run, whisker = 95% confidence interval.",
        d.scenario
    );
    let plot = frame(area, st, &title(), &sub, &policy_legend(d))?;
    let (groups, bars) = bars(d);
    grouped_chart(
        &plot,
        st,
        &Grouped {
            groups: &groups,
            y_desc: "idle (h per person per week)",
            colours: &policy_colours(&d.policies),
            bars: &bars,
            look: BarLook::Solid,
            empty_reason: "No idle-time metrics in this output folder's summary.csv.",
        },
    )
}
