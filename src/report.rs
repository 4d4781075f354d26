//! Human-readable output: the side-by-side terminal table, the plain-language headline
//! sentences, and the progress bar. Files for machines live in `output`.

use std::path::Path;

use crate::experiment::Aggregates;
use crate::metrics::MetricInfo;
use crate::output::folder::Finished;
use crate::scenario::Scenario;
use crate::stats::Summary;

/// Formats a number for a table cell: 3 significant figures, or `-` when undefined.
pub fn cell(v: Option<f64>) -> String {
    match v {
        None => "-".into(),
        Some(0.0) => "0".into(),
        Some(x) => format!("{x:.*}", decimals(x)),
    }
}

/// Decimals a value of `x`'s size is shown with: none from 100, one from 10, else two; judged
/// on the value as rounded (9.996 shows as 10.0, not 10.00).
fn decimals(x: f64) -> usize {
    let d = |x: f64| match x.abs() {
        a if a >= 100.0 => 0,
        a if a >= 10.0 => 1,
        _ => 2,
    };
    let first = d(x);
    let rounded: f64 = format!("{x:.first$}").parse().unwrap_or(x);
    d(rounded).min(first)
}

/// `mean ±half-width`, both with the mean's decimals (`2.63 ±0.00`, `272 ±3`).
pub fn with_interval(mean: f64, half: f64) -> String {
    if mean == 0.0 && half == 0.0 {
        return "0 ±0".into();
    }
    let d = if mean == 0.0 {
        decimals(half)
    } else {
        decimals(mean)
    };
    format!("{mean:.d$} ±{half:.d$}")
}

/// A table with one row per metric and one column per policy: `mean ±half-width`.
pub fn table(cat: &[MetricInfo], policies: &[&str], s: &[Vec<Summary>]) -> String {
    let mut rows: Vec<Vec<String>> = Vec::new();
    let mut head = vec!["metric".to_string(), "unit".to_string()];
    head.extend(policies.iter().map(|p| p.to_string()));
    rows.push(head);
    for (m, info) in cat.iter().enumerate() {
        let mut row = vec![info.name.clone(), info.unit.to_string()];
        for per in s {
            let x = per[m];
            let txt = match (x.mean, x.ci95) {
                (Some(mean), Some((lo, hi))) => with_interval(mean, (hi - lo) / 2.0),
                (mean, _) => cell(mean),
            };
            row.push(txt);
        }
        rows.push(row);
    }
    let widths: Vec<usize> = (0..rows[0].len())
        .map(|c| rows.iter().map(|r| r[c].chars().count()).max().unwrap_or(0))
        .collect();
    let mut out = String::new();
    for (i, r) in rows.iter().enumerate() {
        for (c, txt) in r.iter().enumerate() {
            if c < 2 {
                out.push_str(&format!("{txt:<w$}  ", w = widths[c]));
            } else {
                out.push_str(&format!("{txt:>w$}  ", w = widths[c]));
            }
        }
        out.truncate(out.trim_end().len());
        out.push('\n');
        if i == 0 {
            out.push_str(&"-".repeat(widths.iter().sum::<usize>() + 2 * (widths.len() - 1)));
            out.push('\n');
        }
    }
    out
}

/// How a headline sentence speaks about one metric.
struct Headline {
    metric: &'static str,
    /// Words for "more" and "less" of the metric, around the relative change.
    more: &'static str,
    less: &'static str,
    /// What the metric is, for "no clear difference in ...".
    what: &'static str,
    /// Whether to speak in percent (relative) or in the metric's unit (absolute).
    relative: bool,
}

const HEADLINES: [Headline; 7] = [
    Headline {
        metric: "throughput_per_week",
        more: "finished {x} more cards per week than",
        less: "finished {x} fewer cards per week than",
        what: "cards finished per week",
        relative: true,
    },
    Headline {
        metric: "lead_time_mean_h",
        more: "had a mean lead time (arrival to done) {x} longer than",
        less: "had a mean lead time (arrival to done) {x} shorter than",
        what: "mean lead time",
        relative: true,
    },
    Headline {
        metric: "start_to_done_p85_h",
        more: "had an 85th-percentile start-to-done time {x} longer than",
        less: "had an 85th-percentile start-to-done time {x} shorter than",
        what: "85th-percentile start-to-done time",
        relative: true,
    },
    Headline {
        metric: "wip_mean",
        more: "held {x} more work in progress than",
        less: "held {x} less work in progress than",
        what: "work in progress",
        relative: true,
    },
    Headline {
        metric: "overtime_h_per_person_week",
        more: "needed {x} more overtime per person per week than",
        less: "needed {x} less overtime per person per week than",
        what: "overtime",
        relative: false,
    },
    Headline {
        metric: "idle_h_per_person_week",
        more: "left people idle (every cause) {x} more per person per week than",
        less: "left people idle (every cause) {x} less per person per week than",
        what: "idle time",
        relative: false,
    },
    Headline {
        metric: "blocked_h_per_person_week",
        more: "left people blocked (no room downstream) {x} more per person per week than",
        less: "left people blocked (no room downstream) {x} less per person per week than",
        what: "blocked time",
        relative: false,
    },
];

/// A relative difference whose whole interval lies within this share of the baseline is
/// reported as "practically the same" rather than as "more" or "less".
pub const NEGLIGIBLE: f64 = 0.01;

fn pct(x: f64) -> String {
    let p = x * 100.0;
    if p.abs() >= 10.0 {
        format!("{p:.0}%")
    } else if p.abs() < 1.0 {
        format!("{p:.2}%")
    } else {
        format!("{p:.1}%")
    }
}

fn hours(x: f64) -> String {
    let c = cell(Some(x));
    format!("{c} h")
}

/// How durations read in the headlines: calendar hours times `per_hour` gives `unit` (working
/// days of the scenario's calendar, or days in 24/7 mode).
#[derive(Debug, Clone, Copy)]
pub struct DayUnit {
    /// Days per calendar hour.
    pub per_hour: f64,
    /// "working days" or "days".
    pub unit: &'static str,
}

impl DayUnit {
    /// The day unit of a scenario's calendar.
    pub fn of(sc: &Scenario) -> Self {
        DayUnit {
            per_hour: sc.model.working_days_per_hour(),
            unit: if sc.model.round_the_clock() {
                "days"
            } else {
                "working days"
            },
        }
    }
}

/// Plain-language sentences a manager can repeat, for every pair of policies (each against
/// the baseline first, then each later pair; see [`Aggregates::pairs`]) and every headline
/// metric, built from the paired differences. When the 95% interval includes zero the
/// sentence says there is no clear difference. With `days`, lead-time sentences also give
/// both means in days.
pub fn headlines(agg: &Aggregates, days: Option<DayUnit>) -> Vec<String> {
    agg.pairs
        .iter()
        .flat_map(|&(k, against)| pair_headlines(agg, k, against, days))
        .collect()
}

/// The headline sentences of policy `k` against policy `against`.
pub fn pair_headlines(
    agg: &Aggregates,
    k: usize,
    against: usize,
    days: Option<DayUnit>,
) -> Vec<String> {
    let mut out = Vec::new();
    let (p, base) = (&agg.policies[k], &agg.policies[against]);
    for h in &HEADLINES {
        let Some(m) = agg.metric_index(h.metric) else {
            continue;
        };
        let Some(pd) = agg.paired(k, against, m) else {
            continue;
        };
        let (est, lo, hi, fmt): (f64, f64, f64, fn(f64) -> String) = if h.relative {
            match pd.relative(0.95) {
                Some(r) => (r.0, r.1, r.2, pct),
                None => continue,
            }
        } else {
            match (pd.diff.mean(), pd.diff.interval(0.95)) {
                (Some(m), Some((lo, hi))) => (m, lo, hi, hours),
                _ => continue,
            }
        };
        let ci = format!("95% CI {}..{}", fmt(lo), fmt(hi));
        if lo <= 0.0 && hi >= 0.0 {
            if est == 0.0 && lo == 0.0 && hi == 0.0 {
                out.push(format!("{p} and {base}: identical {}.", h.what));
            } else {
                out.push(format!(
                    "{p} and {base}: no clear difference in {} ({ci}).",
                    h.what
                ));
            }
        } else if h.relative && lo.abs() < NEGLIGIBLE && hi.abs() < NEGLIGIBLE {
            out.push(format!(
                "{p} and {base}: practically the same {} ({p} {} {}; {ci}).",
                h.what,
                pct(est.abs()),
                if est > 0.0 { "higher" } else { "lower" }
            ));
        } else {
            let phrase = if est > 0.0 { h.more } else { h.less };
            let phrase = phrase.replace("{x}", &fmt(est.abs()));
            // Keep the interval in the sentence's direction: "14% more (CI 11%..17%)".
            let (a, b) = if est > 0.0 { (lo, hi) } else { (-hi, -lo) };
            // A time 45% shorter is 1.8 times as fast: say both, so "45% faster" is not
            // read as a speed; and say both means in days, which a manager reads right.
            let mut extra = String::new();
            if h.metric == "lead_time_mean_h" && est > -1.0 {
                let times = |x: f64| {
                    if x < 1.1 {
                        format!("{x:.2}")
                    } else {
                        format!("{x:.1}")
                    }
                };
                if est < 0.0 {
                    extra.push_str(&format!("{} times as fast; ", times(1.0 / (1.0 + est))));
                } else {
                    extra.push_str(&format!("{} times as long; ", times(1.0 + est)));
                }
                if let (Some(d), Some(x), Some(y)) =
                    (days, agg.summary(k, m).mean, agg.summary(against, m).mean)
                {
                    extra.push_str(&format!(
                        "{} against {} {}; ",
                        cell(Some(x * d.per_hour)),
                        cell(Some(y * d.per_hour)),
                        d.unit
                    ));
                }
            }
            out.push(format!(
                "{p} {phrase} {base} ({extra}95% CI {}..{}).",
                fmt(a),
                fmt(b)
            ));
        }
    }
    out
}

/// The metrics of the short terminal table, in this order, where they apply (defined and not
/// zero under some policy); `--all-metrics` prints the whole catalogue. Only yardsticks that
/// mean the same under every policy: start-to-done, not the policy-specific cycle time.
pub const SHORT_TABLE: [&str; 16] = [
    "throughput_per_week",
    "cards_finished",
    "lead_time_mean_h",
    "lead_time_p50_h",
    "lead_time_p85_h",
    "lead_time_p95_h",
    "start_to_done_p85_h",
    "wip_mean",
    "utilisation",
    "idle_h_per_person_week",
    "overtime_h_per_person_week",
    "commitment_hit_rate",
    "due_date_hit_rate",
    "deployments_per_week",
    "change_failure_rate",
    "unfinished_cards",
];

/// A duration in calendar hours as a manager reads it: working days of the scenario's
/// calendar (calendar weeks times working days a week), or days in 24/7 mode. The name loses
/// its `_h`.
fn in_days(sc: &Scenario, info: &MetricInfo) -> Option<(MetricInfo, f64)> {
    if info.unit != "h" {
        return None;
    }
    let DayUnit { per_hour, unit } = DayUnit::of(sc);
    let name = info
        .name
        .strip_suffix("_h")
        .unwrap_or(&info.name)
        .to_string();
    Some((
        MetricInfo {
            name,
            unit,
            description: info.description.clone(),
        },
        per_hour,
    ))
}

fn scaled(s: Summary, k: f64) -> Summary {
    let f = |v: Option<f64>| v.map(|x| x * k);
    Summary {
        n: s.n,
        mean: f(s.mean),
        ci95: s.ci95.map(|(a, b)| (a * k, b * k)),
        p05: f(s.p05),
        p50: f(s.p50),
        p95: f(s.p95),
    }
}

/// The side-by-side table and the headline sentences of one finished experiment: the headline
/// metrics that apply, durations in working days (every metric in the files' units with
/// `all_metrics`).
pub fn render(sc: &Scenario, finished: &Finished, dir: &Path, all_metrics: bool) -> String {
    let agg = &finished.aggregates;
    let applies = |m: usize| {
        (0..agg.policies.len()).any(|k| agg.summary(k, m).mean.is_some_and(|v| v != 0.0))
    };
    let shown: Vec<usize> = if all_metrics {
        (0..agg.metrics.len()).collect()
    } else {
        SHORT_TABLE
            .iter()
            .filter_map(|n| agg.metric_index(n))
            .filter(|&m| applies(m))
            .collect()
    };
    let mut cat: Vec<MetricInfo> = Vec::new();
    let mut factor: Vec<f64> = Vec::new();
    for &m in &shown {
        let info = &agg.metrics[m];
        match in_days(sc, info).filter(|_| !all_metrics) {
            Some((i, k)) => {
                cat.push(i);
                factor.push(k);
            }
            None => {
                cat.push(info.clone());
                factor.push(1.0);
            }
        }
    }
    let summaries: Vec<Vec<Summary>> = (0..agg.policies.len())
        .map(|k| {
            shown
                .iter()
                .zip(&factor)
                .map(|(&m, &f)| scaled(agg.summary(k, m), f))
                .collect()
        })
        .collect();
    let names: Vec<&str> = agg.policies.iter().map(String::as_str).collect();
    let mut s = format!(
        "{} — {} replications per policy, seed {}, {} threads, {:.1} s\n",
        sc.model.name, agg.reps, sc.settings.seed, finished.threads, finished.wall_s
    );
    // Headlines first: the answer, then the table it comes from.
    let mut heads = String::new();
    let days = Some(DayUnit::of(sc));
    let mut against_base = Vec::new();
    let mut others = Vec::new();
    for &(k, against) in &agg.pairs {
        let lines = pair_headlines(agg, k, against, days);
        if against == 0 {
            against_base.extend(lines);
        } else {
            others.extend(lines);
        }
    }
    if !against_base.is_empty() {
        heads.push_str(&format!(
            "\nCompared with {} (same random numbers in every replication):\n",
            agg.policies[0]
        ));
        for l in against_base {
            heads.push_str(&format!("  {l}\n"));
        }
    }
    if !others.is_empty() {
        heads.push_str(
            "\nBetween the other policies (paired the same way; all pairs in differences.csv):\n",
        );
        for l in others {
            heads.push_str(&format!("  {l}\n"));
        }
    }
    s.push_str(&heads);
    if !heads.is_empty() {
        s.push('\n');
    }
    s.push_str("mean ±half-width of the 95% interval; - = undefined in every replication\n\n");
    s.push_str(&crate::report::table(&cat, &names, &summaries));
    if !all_metrics {
        let days = cat
            .iter()
            .find(|i| i.unit.ends_with("days"))
            .map(|i| i.unit);
        let hidden = agg.metrics.len() - shown.len();
        s.push_str(&format!(
            "{}{hidden} more metric{} in summary.csv{}; --all-metrics prints them all here.\n",
            days.map_or(String::new(), |u| format!(
                "Durations in {u} ({}); summary.csv keeps hours. ",
                if sc.model.round_the_clock() {
                    "24 h each".to_string()
                } else {
                    format!("{} a calendar week", sc.model.days_per_week())
                }
            )),
            if hidden == 1 { "" } else { "s" },
            if hidden > 0 { "" } else { " (none hidden)" },
        ));
    }
    let undefined: Vec<String> = shown
        .iter()
        .flat_map(|&m| {
            let info = &agg.metrics[m];
            agg.policies.iter().enumerate().filter_map(move |(k, p)| {
                let u = agg.per_metric[k][m].undefined;
                // In the short table, undefined in every replication is its "-" already.
                (u > 0 && (all_metrics || u < agg.reps)).then(|| {
                    format!(
                        "  {} under {p}: undefined in {u} of {} replications",
                        info.name, agg.reps
                    )
                })
            })
        })
        .collect();
    if !undefined.is_empty() {
        s.push_str("\nNote: statistics use only the replications where a metric is defined:\n");
        s.push_str(&undefined.join("\n"));
        s.push('\n');
    }
    for (k, c) in crate::output::json::littles_law(agg)
        .into_iter()
        .enumerate()
    {
        if c.status == "warning" {
            s.push_str(&little_warning(agg, k, &c));
        }
    }
    s.push_str(&format!("\nWrote {}\n", dir.display()));
    s
}

/// The Little's-law warning says that demand exceeds capacity when the cards unfinished at the
/// horizon are more than this share of those finished (work arrived at least 1.25 times as
/// fast as it was finished) ...
pub const OVERLOAD_SHARE: f64 = 0.25;
/// ... and more than this many times what throughput x lead time predicts (the backlog grew
/// instead of holding steady).
pub const OVERLOAD_RATIO: f64 = 2.0;

/// The terminal's Little's-law warning for policy `k`. When the work unfinished at the horizon
/// is both a large share of the work finished and far more than throughput x lead time
/// predicts (see [`OVERLOAD_SHARE`], [`OVERLOAD_RATIO`]), work piles up faster than it is
/// finished: demand exceeds capacity, and a longer horizon only makes it worse. Otherwise the
/// horizon is probably too short.
pub fn little_warning(agg: &Aggregates, k: usize, c: &crate::output::json::LittleCheck) -> String {
    let mean = |name: &str| agg.metric_index(name).and_then(|m| agg.summary(k, m).mean);
    let off = format!(
        "\nWarning: Little's law is off by {:.1}% for {} (cards in system {:.2} against throughput x lead time {:.2})",
        c.relative_difference.unwrap_or(0.0) * 100.0,
        c.policy,
        c.cards_in_system.unwrap_or(0.0),
        c.throughput_x_lead_time.unwrap_or(0.0)
    );
    let unfinished = mean("unfinished_cards").unwrap_or(0.0);
    let finished = mean("cards_finished").unwrap_or(0.0);
    let predicted = c.throughput_x_lead_time.unwrap_or(0.0).max(1.0);
    if unfinished > OVERLOAD_SHARE * finished && unfinished > OVERLOAD_RATIO * predicted {
        let tp = mean("throughput_per_week").unwrap_or(0.0);
        let demand = tp * (1.0 + unfinished / finished.max(1.0));
        format!(
            "{off}: demand exceeds capacity. About {demand:.1} cards arrive a week and {} finishes {tp:.1}; on average {unfinished:.0} cards are unfinished at the horizon against {finished:.0} finished, so queues and lead times grow with the horizon and a longer one will not help. Lower the arrivals or add capacity (`flowsim levers` shows where).\n",
            c.policy,
        )
    } else {
        format!(
            "{off}: the horizon is probably too short, or much work is unfinished at its end; lengthen run.horizon_weeks before trusting time averages.\n"
        )
    }
}

/// A progress bar on stderr counting replications, with rate and ETA; hidden when `quiet` or
/// when stderr is not a terminal (so logs and pipes stay clean).
pub fn progress_bar(total: u64, quiet: bool) -> indicatif::ProgressBar {
    use std::io::IsTerminal;
    if quiet || !std::io::stderr().is_terminal() {
        return indicatif::ProgressBar::hidden();
    }
    let pb = indicatif::ProgressBar::new(total);
    if let Ok(style) = indicatif::ProgressStyle::with_template(
        "{msg} [{bar:30}] {pos}/{len} replications, {per_sec}, ETA {eta}",
    ) {
        pb.set_style(style.progress_chars("=> "));
    }
    pb
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::RepResult;

    #[test]
    fn a_mean_and_its_interval_share_their_decimals() {
        assert_eq!(with_interval(2.63, 0.0), "2.63 ±0.00");
        assert_eq!(with_interval(2.63, 0.001), "2.63 ±0.00");
        assert_eq!(with_interval(272.4, 3.4), "272 ±3");
        assert_eq!(with_interval(45.12, 0.31), "45.1 ±0.3");
        // Rounding up across a size keeps to the rounded value's decimals.
        assert_eq!(with_interval(9.999, 0.91), "10.0 ±0.9");
        assert_eq!(with_interval(99.96, 2.0), "100 ±2");
        assert_eq!(with_interval(0.0, 0.0), "0 ±0");
        assert_eq!(with_interval(0.0, 0.004), "0.00 ±0.00");
        assert_eq!(cell(Some(9.996)), "10.0");
        assert_eq!(cell(Some(-0.5)), "-0.50");
        assert_eq!(cell(Some(0.0)), "0");
    }

    /// Aggregates of the reference scenario's two policies fed with made-up values:
    /// throughput `base` and `base * ratio` with replication-to-replication noise.
    fn fake(ratio: f64) -> Aggregates {
        let mut sc =
            crate::scenario::load_str(crate::scenario::REFERENCE, crate::scenario::REFERENCE_NAME)
                .unwrap();
        sc.policies.retain(|p| p.name == "pull" || p.name == "flow");
        let mut agg = Aggregates::new(&sc);
        let n = agg.metrics.len();
        let m = agg.metric_index("throughput_per_week").unwrap();
        for r in 0..50 {
            let base = 10.0 + (r % 7) as f64 * 0.3;
            let noise = ((r * 37) % 11) as f64 * 0.01;
            let mut a = vec![None; n];
            let mut b = vec![None; n];
            a[m] = Some(base);
            b[m] = Some(base * ratio + noise);
            let res = |values| RepResult {
                values,
                weekly: Vec::new(),
                events: 0,
                card_times: Default::default(),
                cards: Vec::new(),
            };
            agg.add(&[res(a), res(b)]);
        }
        agg
    }

    #[test]
    fn headlines_speak_of_more_less_and_no_clear_difference() {
        let up = headlines(&fake(1.14), None);
        assert!(
            up[0].starts_with("flow finished 14% more cards per week than pull (95% CI 1"),
            "{up:?}"
        );
        let down = headlines(&fake(0.8), None);
        assert!(
            down[0].starts_with("flow finished 2")
                && down[0].contains("% fewer cards per week than pull"),
            "{down:?}"
        );
        let same = headlines(&fake(0.9995), None);
        assert!(
            same[0].contains("practically the same") || same[0].contains("no clear difference"),
            "{same:?}"
        );
        // Metrics undefined everywhere give no sentence.
        assert_eq!(up.len(), 1);
    }

    /// Every pair is compared, each on its own paired differences: with three policies whose
    /// throughputs are 10, 12 and 14.4 (each 20% above the one before), the third pair says
    /// flow finished 20% more than pull, not 44% (its difference against push).
    #[test]
    fn every_pair_of_policies_gets_its_own_headlines() {
        let sc =
            crate::scenario::load_str(crate::scenario::REFERENCE, crate::scenario::REFERENCE_NAME)
                .unwrap();
        assert_eq!(sc.policies.len(), 3);
        let mut agg = Aggregates::new(&sc);
        assert_eq!(agg.pairs, vec![(1, 0), (2, 0), (2, 1)]);
        let n = agg.metrics.len();
        let tp = agg.metric_index("throughput_per_week").unwrap();
        let lt = agg.metric_index("lead_time_mean_h").unwrap();
        for r in 0..40 {
            let noise = ((r * 37) % 11) as f64 * 0.01;
            let rep = |k: i32| {
                let mut v = vec![None; n];
                v[tp] = Some(10.0 * 1.2f64.powi(k) + noise);
                v[lt] = Some(100.0 / 1.2f64.powi(k) + noise);
                RepResult {
                    values: v,
                    weekly: Vec::new(),
                    events: 0,
                    card_times: Default::default(),
                    cards: Vec::new(),
                }
            };
            agg.add(&[rep(0), rep(1), rep(2)]);
        }
        let days = DayUnit {
            per_hour: 0.1,
            unit: "working days",
        };
        let lines = headlines(&agg, Some(days));
        let [p, f] = [&agg.policies[1], &agg.policies[2]];
        let base = &agg.policies[0];
        assert!(
            lines.iter().any(
                |l| l.starts_with(&format!("{f} finished 44% more cards per week than {base}"))
            ),
            "{lines:?}"
        );
        assert!(
            lines
                .iter()
                .any(|l| l.starts_with(&format!("{f} finished 20% more cards per week than {p}"))),
            "{lines:?}"
        );
        // Lead time: 83.3 h against 100 h is 8.3 against 10.0 working days at 0.1 a hour.
        assert!(
            lines
                .iter()
                .any(|l| l.starts_with(&format!("{p} had a mean lead time"))
                    && l.contains("; 8.3")
                    && l.contains("against 10.0 working days")),
            "{lines:?}"
        );
    }
}
