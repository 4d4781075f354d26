//! The summary bar charts: statistics of `summary.csv` (one group of bars per metric, one bar
//! per policy in its colour). Each chart is a [`SummaryBarChart`] spec, drawn by the one
//! [`draw`] function:
//!
//! - [`IDLE`], chart 3, idle time by cause: hours per person per week a present person could
//!   not work, split into the six causes that add up to `idle_h_per_person_week`. Bars are
//!   means over the run with their 95% interval; the cause tells a team what to change.
//!   Starved: no card anywhere they could work (feed the flow). Waiting for release: the
//!   policy holds work until its next plan, replenishment or poll (plan or release more
//!   often). Assigned elsewhere: cards they could do sit in colleagues' queues (assign later,
//!   or let people pull). Blocked: no room downstream (fix the bottleneck or the WIP limit).
//!   Waiting on input: their own cards wait on missing input or a blocker. Skill mismatch:
//!   work waits that they cannot do (cross-train). See `docs/IDLE.md`.
//! - [`START_TO_DONE`], chart 4, start-to-done time (first hour of work to done, the same
//!   event under every policy, unlike cycle time from each policy's commitment point): its
//!   mean and 50th, 85th and 95th percentiles, each with its spread across replications.
//!   The output folder holds each replication's statistics, not every card's time, so this
//!   chart does not pretend to be a histogram: for each statistic and policy, the bar spans
//!   the 5th to 95th percentile of that statistic across replications and the thick line
//!   marks its median.
//!   "85th percentile" is the usual forecast ("85% of cards finish within this"); a lower,
//!   shorter bar is faster and more predictable.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::DrawResult;
use super::bars::{BarLook, GroupBar, Grouped, grouped_chart};
use super::data::{RunData, Stat};
use super::layout::policy_frame;
use super::style::{Style, policy_colours};

/// Which statistics of a metric across replications one bar shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BarShape {
    /// The mean as a solid bar from zero, with its 95% confidence interval as a whisker.
    MeanWithInterval,
    /// The spread: a light range bar from the 5th to the 95th percentile, the median (else the
    /// mean) marked across it.
    Spread,
}

impl BarShape {
    /// How a [`grouped_chart`] draws bars of this shape.
    pub fn look(self) -> BarLook {
        match self {
            BarShape::MeanWithInterval => BarLook::Solid,
            BarShape::Spread => BarLook::Range,
        }
    }

    /// The bar of one metric under one policy; `None` when the statistics it needs are
    /// undefined.
    pub fn bar(self, s: &Stat) -> Option<GroupBar> {
        match self {
            BarShape::MeanWithInterval => {
                let mean = s.mean?;
                Some(GroupBar {
                    low: 0.0,
                    high: mean,
                    whisker: s.ci95_low.zip(s.ci95_high),
                    marker: None,
                })
            }
            BarShape::Spread => {
                let mid = s.p50.or(s.mean)?;
                Some(GroupBar {
                    low: s.p05.unwrap_or(mid).min(mid),
                    high: s.p95.unwrap_or(mid).max(mid),
                    whisker: None,
                    marker: Some(mid),
                })
            }
        }
    }
}

/// What one summary bar chart shows. Every policy is drawn in its own colour
/// ([`policy_colours`]); the unit is part of `y_desc`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SummaryBarChart {
    /// The chart's title (also its caption in the report).
    pub title: &'static str,
    /// The subtitle after the scenario name; `{reps}` stands for "across N replications".
    pub subtitle: &'static str,
    /// The metrics drawn, in order: `(metric of summary.csv, group label)`. Those the folder
    /// lacks are skipped.
    pub metrics: &'static [(&'static str, &'static str)],
    /// What each bar shows.
    pub shape: BarShape,
    /// The y axis description, with its unit.
    pub y_desc: &'static str,
    /// What to say when there is nothing to draw.
    pub empty_reason: &'static str,
    /// Durations in calendar hours drawn in the scenario's working days (days round the
    /// clock), as managers read them; `y_desc` is then used with its `(h)` replaced.
    pub in_days: bool,
}

/// Chart 3, idle time by cause: one group per cause, one bar per policy (mean, 95% interval).
pub const IDLE: SummaryBarChart = SummaryBarChart {
    title: "Idle time by cause",
    subtitle: "hours per person per week a present person had no work they could do, by cause (they add up to the idle total). for release: held until the next plan, release or poll; elsewhere: in colleagues' queues; bar = mean over the run, whisker = 95% confidence interval.",
    metrics: &[
        ("starved_h_per_person_week", "starved"),
        ("waiting_for_release_h_per_person_week", "for release"),
        ("assigned_elsewhere_h_per_person_week", "elsewhere"),
        ("blocked_h_per_person_week", "blocked"),
        ("waiting_h_per_person_week", "on input"),
        ("skill_mismatch_h_per_person_week", "skill mismatch"),
    ],
    shape: BarShape::MeanWithInterval,
    y_desc: "idle (h per person per week)",
    empty_reason: "No idle-time metrics in this output folder's summary.csv.",
    in_days: false,
};

/// Chart 4, start-to-done time: one group per statistic, one range bar per policy.
pub const START_TO_DONE: SummaryBarChart = SummaryBarChart {
    title: "Start to done: first hour of work to done",
    subtitle: "each statistic of a run's start-to-done times; bar = 5th to 95th percentile of that statistic {reps}, thick line = its median.",
    metrics: &[
        ("start_to_done_mean_h", "mean"),
        ("start_to_done_p50_h", "50th percentile"),
        ("start_to_done_p85_h", "85th percentile"),
        ("start_to_done_p95_h", "95th percentile"),
    ],
    shape: BarShape::Spread,
    y_desc: "start to done (h)",
    empty_reason: "No start-to-done metrics in this output folder's summary.csv (or no card finished).",
    in_days: true,
};

/// Working days per calendar hour when `chart` draws durations in days and the folder's
/// calendar is known.
fn day_factor(d: &RunData, chart: &SummaryBarChart) -> Option<f64> {
    d.days_per_hour.filter(|_| chart.in_days)
}

/// The bars of a chart: the labels of the groups (one per metric the folder holds) and
/// `bars[policy][group]`.
pub fn bars(d: &RunData, chart: &SummaryBarChart) -> (Vec<String>, Vec<Vec<Option<GroupBar>>>) {
    let present: Vec<&(&str, &str)> = chart
        .metrics
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
                .map(|(m, _)| {
                    let bar = chart.shape.bar(&d.stat(p, m)?.stat)?;
                    Some(match day_factor(d, chart) {
                        Some(k) => GroupBar {
                            low: bar.low * k,
                            high: bar.high * k,
                            whisker: bar.whisker.map(|(a, b)| (a * k, b * k)),
                            marker: bar.marker.map(|x| x * k),
                        },
                        None => bar,
                    })
                })
                .collect()
        })
        .collect();
    (groups, bars)
}

/// Draws a summary bar chart: the frame with the policies' legend, then the grouped bars.
///
/// # Errors
/// The drawing backend fails.
pub fn draw<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    d: &RunData,
    st: &Style,
    chart: &SummaryBarChart,
) -> DrawResult {
    let plot = policy_frame(area, st, d, chart.title, chart.subtitle)?;
    let y_desc = match day_factor(d, chart) {
        Some(_) => chart.y_desc.replace(
            "(h)",
            if d.round_the_clock {
                "(days)"
            } else {
                "(working days)"
            },
        ),
        None => chart.y_desc.to_string(),
    };
    let (groups, bars) = bars(d, chart);
    grouped_chart(
        &plot,
        st,
        &Grouped {
            groups: &groups,
            y_desc: &y_desc,
            colours: &policy_colours(&d.policies),
            bars: &bars,
            look: chart.shape.look(),
            empty_reason: chart.empty_reason,
        },
    )
}

/// The deployment panel's title.
pub const DEPLOYMENTS_TITLE: &str = "Deployments: frequency, change failure rate, time to restore";

/// The deployment panel's three measures: metric, label, y axis, scale (the change failure
/// rate is a share, shown in percent).
const DEPLOYMENT_METRICS: [(&str, &str, &str, f64); 3] = [
    (
        "deployments_per_week",
        "deployment frequency",
        "successful deployments per week",
        1.0,
    ),
    (
        "change_failure_rate",
        "change failure rate",
        "failed deployments (%)",
        100.0,
    ),
    (
        "time_to_restore_mean_h",
        "time to restore",
        "mean time to restore (h)",
        1.0,
    ),
];

/// Whether the folder holds deployment measures (the scenario has a stage that deploys).
pub fn has_deployments(d: &RunData) -> bool {
    d.summary
        .iter()
        .any(|r| r.metric == "deployments_per_week" && r.stat.mean.is_some())
}

/// Draws the deployment panel: three bar charts side by side (each measure has its own unit),
/// one bar per policy, mean with its 95% interval.
///
/// # Errors
/// The drawing backend fails.
pub fn draw_deployments<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    d: &RunData,
    st: &Style,
) -> DrawResult {
    let plot = policy_frame(
        area,
        st,
        d,
        DEPLOYMENTS_TITLE,
        "bar = mean {reps}, whisker = 95% confidence interval. More frequent, fewer failures and faster restores are better; \"n/a\" = no failed deployment to restore from.",
    )?;
    let colours = policy_colours(&d.policies);
    let panels = plot.split_evenly((1, DEPLOYMENT_METRICS.len()));
    for ((metric, label, y_desc, scale), panel) in DEPLOYMENT_METRICS.iter().zip(&panels) {
        let groups = vec![label.to_string()];
        let bars: Vec<Vec<Option<GroupBar>>> = d
            .policies
            .iter()
            .map(|p| {
                let s = d.stat(p, metric).map(|r| r.stat)?;
                let mean = s.mean? * scale;
                Some(GroupBar {
                    low: 0.0,
                    high: mean,
                    whisker: s
                        .ci95_low
                        .zip(s.ci95_high)
                        .map(|(l, h)| (l * scale, h * scale)),
                    marker: None,
                })
            })
            .map(|b| vec![b])
            .collect();
        grouped_chart(
            panel,
            st,
            &Grouped {
                groups: &groups,
                y_desc,
                colours: &colours,
                bars: &bars,
                look: BarLook::Solid,
                empty_reason: "No deployment measures in this output folder (no stage deploys).",
            },
        )?;
    }
    Ok(())
}
