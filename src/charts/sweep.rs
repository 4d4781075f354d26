//! Chart 7, sweep charts: one headline metric against the varied parameter, one line per
//! policy (the mean) with its 95% confidence band. With a grid of two parameters, one panel
//! per value of the second.
//!
//! The parameter is named in words ("system WIP limit (flow)", not
//! `policies.flow.system_wip_limit`), every point has a marker (a dash pattern and marker shape
//! per policy), a metric that is zero at every point (overtime in a flow-only sweep) gets no
//! chart, and the panels of a two-parameter sweep share their y axis.
//!
//! How to read it: follow a policy's line to see how the metric responds to the parameter;
//! where bands do not overlap the policies differ clearly. A WIP-limit sweep of start-to-done or
//! cycle time typically falls and then rises again (the U-shape): too little WIP starves people, too much
//! makes cards queue.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::DrawResult;
use super::band::{Band, BandPoint, Look, XAxis, band_chart_with, fitted_range};
use super::data::{RunData, Sweep};
use super::layout::{frame, no_data, policy_frame};
use super::style::{Style, policy_colours};

/// Headline metrics drawn against the parameter, with their words; absent ones are skipped.
pub const METRICS: [(&str, &str); 9] = [
    ("throughput_per_week", "Throughput"),
    ("lead_time_mean_h", "Mean lead time"),
    ("start_to_done_p85_h", "85th-percentile start-to-done time"),
    (
        "cycle_time_p85_h",
        "85th-percentile cycle time (from each policy's commitment)",
    ),
    ("wip_mean", "Work in progress"),
    ("utilisation", "Utilisation"),
    ("overtime_h_per_person_week", "Overtime"),
    ("idle_h_per_person_week", "Idle, every cause"),
    ("blocked_h_per_person_week", "Idle, blocked"),
];

/// The metrics of a sweep that get a chart, in [`METRICS`] order: those with a non-zero value
/// at some point (an all-zero chart, e.g. overtime in a flow-only sweep, says nothing).
pub fn metrics(s: &Sweep) -> Vec<String> {
    METRICS
        .iter()
        .filter(|(m, _)| {
            s.rows
                .iter()
                .any(|r| r.metric == *m && r.stat.mean.is_some_and(|v| v != 0.0))
        })
        .map(|(m, _)| m.to_string())
        .collect()
}

/// A scenario path in words: `policies.flow.system_wip_limit` is "system WIP limit (flow)",
/// `stages.test.wip_limit` "WIP limit of stage test", `team.developer.count` "developers
/// (people)"; other paths name their last part and what it belongs to.
pub fn param_words(path: &str) -> String {
    let field = |f: &str| {
        f.split('_')
            .map(|w| match w {
                "wip" => "WIP".to_string(),
                "h" => "(h)".to_string(),
                w => w.to_string(),
            })
            .collect::<Vec<_>>()
            .join(" ")
    };
    let parts: Vec<&str> = path.split('.').collect();
    match parts.as_slice() {
        ["policies", p, f] => format!("{} ({p})", field(f)),
        ["stages", s, f] => format!("{} of stage {s}", field(f)),
        ["team", r, "count"] => format!("{r}s (people)"),
        ["team", r, f] => format!("{} of each {r}", field(f)),
        [.., owner, f] => format!("{} ({owner})", field(f)),
        [f] => field(f),
        [] => path.to_string(),
    }
}

/// A headline metric in words (its identifier when not a headline).
pub fn words(metric: &str) -> &str {
    METRICS
        .iter()
        .find(|(m, _)| *m == metric)
        .map_or(metric, |(_, w)| w)
}

/// The chart's title.
pub fn title(d: &RunData, metric: &str) -> String {
    let param = d
        .sweep
        .as_ref()
        .and_then(|s| s.params.first())
        .map_or_else(|| "the parameter".to_string(), |p| param_words(p));
    match d.sweep.as_ref().and_then(|s| s.params.get(1)) {
        Some(second) => format!("{} vs {param}, by {}", words(metric), param_words(second)),
        None => format!("{} vs {param}", words(metric)),
    }
}

/// Distinct values of parameter column `i`, in order of first appearance.
fn distinct(s: &Sweep, i: usize) -> Vec<String> {
    let mut v: Vec<String> = Vec::new();
    for r in &s.rows {
        if let Some(x) = r.values.get(i)
            && !v.contains(x)
        {
            v.push(x.clone());
        }
    }
    v
}

/// Draws the chart for one metric.
///
/// # Errors
/// The drawing backend fails.
pub fn draw<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    d: &RunData,
    st: &Style,
    metric: &str,
) -> DrawResult {
    let Some(s) = &d.sweep else {
        let plot = frame(area, st, &title(d, metric), &d.scenario, &[])?;
        return no_data(&plot, st, "This output folder is not a sweep.");
    };
    let unit = s
        .rows
        .iter()
        .find(|r| r.metric == metric)
        .map_or(String::new(), |r| r.unit.clone());
    let plot = policy_frame(
        area,
        st,
        d,
        &title(d, metric),
        "line = mean {reps} at each point (one marker and dash per policy), band = its 95% confidence interval (same random numbers at every point).",
    )?;
    let xs = distinct(s, 0);
    let numeric: Option<Vec<f64>> = xs.iter().map(|x| x.trim().parse::<f64>().ok()).collect();
    let xpos = |v: &str| -> f64 {
        match &numeric {
            Some(n) => xs.iter().position(|x| x == v).map_or(0.0, |i| n[i]),
            None => xs.iter().position(|x| x == v).unwrap_or(0) as f64,
        }
    };
    let range = match &numeric {
        Some(n) => {
            let lo = n.iter().copied().fold(f64::INFINITY, f64::min);
            let hi = n.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            if hi > lo {
                let pad = (hi - lo) * 0.03;
                (lo - pad, hi + pad)
            } else {
                (lo - 0.5, lo + 0.5)
            }
        }
        None => (-0.5, xs.len().max(1) as f64 - 0.5),
    };
    let x = XAxis {
        desc: s
            .params
            .first()
            .map_or_else(|| "point".into(), |p| param_words(p)),
        range,
        categories: if numeric.is_some() {
            None
        } else {
            Some(xs.clone())
        },
        integer: numeric
            .as_ref()
            .is_some_and(|n| n.iter().all(|v| v.fract() == 0.0)),
    };
    let facets: Vec<Option<String>> = if s.params.len() > 1 {
        distinct(s, 1).into_iter().map(Some).collect()
    } else {
        vec![None]
    };
    let panels = plot.split_evenly((1, facets.len().max(1)));
    let colours = policy_colours(&d.policies);
    let y_desc = if unit.is_empty() {
        words(metric).to_string()
    } else {
        format!("{} ({unit})", words(metric))
    };
    let facet_bands: Vec<Vec<Band>> = facets
        .iter()
        .map(|facet| {
            d.policies
                .iter()
                .zip(&colours)
                .map(|(p, c)| {
                    let mut points: Vec<BandPoint> = s
                        .rows
                        .iter()
                        .filter(|r| {
                            r.policy == *p
                                && r.metric == metric
                                && facet.as_ref().is_none_or(|f| r.values.get(1) == Some(f))
                        })
                        .map(|r| BandPoint {
                            x: xpos(r.values.first().map_or("", String::as_str)),
                            low: r.stat.ci95_low,
                            middle: r.stat.mean,
                            high: r.stat.ci95_high,
                        })
                        .collect();
                    points.sort_by(|a, b| a.x.total_cmp(&b.x));
                    Band {
                        name: p.clone(),
                        colour: *c,
                        points,
                        single: Vec::new(),
                    }
                })
                .collect()
        })
        .collect();
    // One y axis for every panel, so that panels compare at a glance.
    let all: Vec<Band> = facet_bands.iter().flatten().cloned().collect();
    let look = Look {
        no_shading: false,
        markers: true,
        y_range: Some(fitted_range(&all)),
    };
    for ((facet, panel), bands) in facets.iter().zip(&panels).zip(&facet_bands) {
        let body = match facet {
            Some(v) => {
                let (pw, _) = panel.dim_in_pixel();
                let label = format!("{} = {v}", param_words(&s.params[1]));
                panel.draw_text(
                    &label,
                    &st.bold(Style::LEGEND)
                        .pos(Pos::new(HPos::Center, VPos::Top)),
                    (pw as i32 / 2, 0),
                )?;
                panel.split_vertically(st.px(Style::LEGEND + 12.0)).1
            }
            None => panel.clone(),
        };
        band_chart_with(
            &body,
            st,
            &x,
            &y_desc,
            bands,
            "No defined values of this metric at any sweep point.",
            &look,
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::charts::data::{Stat, SweepRow};

    #[test]
    fn parameters_read_as_words() {
        assert_eq!(
            param_words("policies.flow.system_wip_limit"),
            "system WIP limit (flow)"
        );
        assert_eq!(
            param_words("stages.test.wip_limit"),
            "WIP limit of stage test"
        );
        assert_eq!(param_words("team.tester.count"), "testers (people)");
        assert_eq!(
            param_words("arrivals.rate_per_week"),
            "rate per week (arrivals)"
        );
    }

    #[test]
    fn a_metric_zero_everywhere_gets_no_chart() {
        let row = |metric: &str, mean: f64| SweepRow {
            point: 1,
            values: vec!["4".into()],
            policy: "flow".into(),
            metric: metric.into(),
            unit: "h".into(),
            stat: Stat {
                mean: Some(mean),
                ..Stat::default()
            },
        };
        let s = Sweep {
            params: vec!["policies.flow.system_wip_limit".into()],
            rows: vec![row("overtime_h_per_person_week", 0.0), row("wip_mean", 3.5)],
        };
        assert_eq!(metrics(&s), vec!["wip_mean".to_string()]);
    }
}
