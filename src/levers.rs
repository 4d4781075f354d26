//! Sensitivity: which lever moves lead time and throughput most?
//!
//! Why it exists: "where should we add a person?" and "which lever matters most?" are answered
//! by changing one thing at a time and measuring the effect. Each lever is a variant of the
//! scenario written as `--set` assignments on its TOML text ([`crate::overrides`]), so it goes
//! through the same validation as a hand-written file. Every variant runs the same replications
//! with the same seed as the unchanged scenario (common random numbers: card `i` has the same
//! efforts and arrival time in both), and the effect is the paired difference per replication,
//! with a Student-t 95% interval; relative effects use the delta method for a ratio of means
//! ([`Paired::relative`]).
//!
//! The levers, each one step from the scenario as written:
//! - **people**: one more person in each role; one fewer where the role has more than one;
//! - **effort**: each stage's effort distribution scaled by 0.8 and by 1.2 (every time-valued
//!   parameter: `value`, `min`, `mode`, `max`, `mean`, `sd`; an empirical distribution's
//!   `scale`), so each card's effort there is 20% less or more;
//! - **WIP limit**: each stage's `wip_limit`, where set, one lower (if above 1) and one higher;
//! - **arrivals**: the arrival rate 10% lower and higher (`rate_per_week`/`rate_per_hour`, a
//!   batch's `period_weeks` divided by 0.9 or 1.1, or a replayed history's `replay_speed`);
//! - **sickness**: every role's `sick_chance_per_day` halved and raised by half, where any role
//!   has one;
//! - **estimate bias**: estimates made unbiased (`estimates.bias = 1`), where the scenario
//!   sets a bias other than 1.
//!
//! People are numbered role by role, so adding someone to a role renumbers the people of the
//! roles after it and their sickness draws change; cards (efforts, arrivals) keep theirs.
//! Scheduled absences follow their people: when a role's size changes, `[[absences]]` is
//! rewritten so that the people who stay keep theirs under their new names (`tester` becomes
//! `tester-1` when a second tester joins), and the one who leaves takes theirs along.

use toml::{Table, Value};

use std::sync::atomic::AtomicBool;

use crate::experiment::{RunOverrides, run_replications_until};
use crate::metrics::{M, RepResult};
use crate::scenario::Scenario;
use crate::stats::{Paired, Welford};

/// Which way a lever moves its factor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// Fewer people, less effort, a lower limit or rate, less sickness, estimates set right.
    Down,
    /// More people, more effort, a higher limit or rate, more sickness.
    Up,
}

impl Direction {
    /// `down` or `up`.
    pub fn word(self) -> &'static str {
        match self {
            Direction::Down => "down",
            Direction::Up => "up",
        }
    }
}

/// One variant of the scenario.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lever {
    /// What it changes, e.g. `people: tester`, `effort: test` (the tornado chart's row).
    pub factor: String,
    /// Which way.
    pub direction: Direction,
    /// In words, e.g. `one more tester`, `test effort -20%`.
    pub label: String,
    /// The `--set` assignments that make the variant.
    pub sets: Vec<String>,
}

/// A float as a TOML literal (always with a decimal point or exponent), rounded to nine
/// decimals so that 6 x 1.2 reads 7.2.
fn lit(x: f64) -> String {
    let r = (x * 1e9).round() / 1e9;
    format!("{r:?}")
}

fn num(v: &Value) -> Option<f64> {
    match v {
        Value::Integer(i) => Some(*i as f64),
        Value::Float(f) => Some(*f),
        _ => None,
    }
}

/// The time-valued parameters of a `{ dist = ... }` table, by distribution.
fn time_fields(dist: &str) -> Option<&'static [&'static str]> {
    Some(match dist {
        "constant" => &["value"],
        "uniform" => &["min", "max"],
        "triangular" => &["min", "mode", "max"],
        "exponential" | "gamma" | "erlang" => &["mean"],
        "lognormal" => &["mean", "sd"],
        _ => return None,
    })
}

/// The name of person `i` (1-based) of a role of `count` people: `ROLE` alone, else `ROLE-i`
/// (as the scenario loader names them).
fn person_name(role: &str, i: i64, count: i64) -> String {
    if count == 1 {
        role.to_string()
    } else {
        format!("{role}-{i}")
    }
}

/// The `absences` assignment that keeps `[[absences]]` true when `role` goes from `from` to
/// `to` people: the people who stay keep their absences under their new names (`tester-1`
/// becomes `tester` when one is left, and the other way round), the one who leaves takes theirs
/// along. `None` when no absence changes.
fn absences_for(doc: &Table, role: &str, from: i64, to: i64) -> Option<String> {
    let list = doc.get("absences")?.as_array()?;
    let mut changed = false;
    let mut kept = Vec::new();
    for a in list {
        let who = a.get("person").and_then(Value::as_str);
        let index = (1..=from).find(|&i| who == Some(person_name(role, i, from).as_str()));
        match index {
            Some(i) if i > to => changed = true,
            Some(i) => {
                let name = person_name(role, i, to);
                let mut a = a.clone();
                if let Some(t) = a.as_table_mut()
                    && who != Some(name.as_str())
                {
                    t.insert("person".into(), Value::String(name));
                    changed = true;
                }
                kept.push(a);
            }
            None => kept.push(a.clone()),
        }
    }
    changed.then(|| format!("absences={}", Value::Array(kept)))
}

/// The levers of a scenario, read from its TOML text (after any `--set`), in a fixed order:
/// people by role, effort by stage, WIP limits by stage, arrivals, sickness, estimate bias.
///
/// # Errors
/// The text is not TOML.
pub fn levers(text: &str) -> Result<Vec<Lever>, String> {
    let doc: Table = text
        .parse()
        .map_err(|e: toml::de::Error| format!("the scenario is not valid TOML: {}", e.message()))?;
    let mut out = Vec::new();
    let empty = Table::new();
    let team = doc.get("team").and_then(Value::as_table).unwrap_or(&empty);
    for (role, t) in team {
        let count = t.get("count").and_then(Value::as_integer).unwrap_or(1);
        let path = format!("team.{role}.count");
        let with_absences = |n: i64| {
            let mut sets = vec![format!("{path}={n}")];
            sets.extend(absences_for(&doc, role, count, n));
            sets
        };
        if count > 1 {
            out.push(Lever {
                factor: format!("people: {role}"),
                direction: Direction::Down,
                label: format!("one fewer {role}"),
                sets: with_absences(count - 1),
            });
        }
        out.push(Lever {
            factor: format!("people: {role}"),
            direction: Direction::Up,
            label: format!("one more {role}"),
            sets: with_absences(count + 1),
        });
    }
    let no_stages = Vec::new();
    let stages = doc
        .get("stages")
        .and_then(Value::as_array)
        .unwrap_or(&no_stages);
    for (i, st) in stages.iter().enumerate() {
        let name = st.get("name").and_then(Value::as_str).unwrap_or("?");
        let Some(effort) = st.get("effort").and_then(Value::as_table) else {
            continue;
        };
        let dist = effort.get("dist").and_then(Value::as_str).unwrap_or("");
        let fields = time_fields(dist);
        if fields.is_none() && dist != "empirical" {
            continue;
        }
        for (dir, f, word) in [(Direction::Down, 0.8, "-20%"), (Direction::Up, 1.2, "+20%")] {
            let sets = match fields {
                Some(fields) => fields
                    .iter()
                    .filter_map(|k| {
                        let v = num(effort.get(*k)?)?;
                        Some(format!("stages[{i}].effort.{k}={}", lit(v * f)))
                    })
                    .collect(),
                // The team's own efforts: every observed value scaled.
                None => {
                    let scale = effort.get("scale").and_then(num).unwrap_or(1.0);
                    vec![format!("stages[{i}].effort.scale={}", lit(scale * f))]
                }
            };
            out.push(Lever {
                factor: format!("effort: {name}"),
                direction: dir,
                label: format!("{name} effort {word}"),
                sets,
            });
        }
    }
    for (i, st) in stages.iter().enumerate() {
        let name = st.get("name").and_then(Value::as_str).unwrap_or("?");
        let Some(w) = st.get("wip_limit").and_then(Value::as_integer) else {
            continue;
        };
        if w > 1 {
            out.push(Lever {
                factor: format!("WIP limit: {name}"),
                direction: Direction::Down,
                label: format!("{name} WIP limit {w} -> {}", w - 1),
                sets: vec![format!("stages[{i}].wip_limit={}", w - 1)],
            });
        }
        out.push(Lever {
            factor: format!("WIP limit: {name}"),
            direction: Direction::Up,
            label: format!("{name} WIP limit {w} -> {}", w + 1),
            sets: vec![format!("stages[{i}].wip_limit={}", w + 1)],
        });
    }
    if let Some(arr) = doc.get("arrivals").and_then(Value::as_table) {
        let process = arr.get("process").and_then(Value::as_str).unwrap_or("");
        for (dir, f, word) in [(Direction::Down, 0.9, "-10%"), (Direction::Up, 1.1, "+10%")] {
            let sets: Vec<String> = match process {
                "poisson" => ["rate_per_week", "rate_per_hour"]
                    .iter()
                    .filter_map(|k| {
                        let v = num(arr.get(*k)?)?;
                        Some(format!("arrivals.{k}={}", lit(v * f)))
                    })
                    .collect(),
                "batch" => {
                    let period = arr.get("period_weeks").and_then(num).unwrap_or(1.0);
                    vec![format!("arrivals.period_weeks={}", lit(period / f))]
                }
                "replay" => {
                    let scale = arr.get("replay_speed").and_then(num).unwrap_or(1.0);
                    vec![format!("arrivals.replay_speed={}", lit(scale * f))]
                }
                _ => Vec::new(),
            };
            if !sets.is_empty() {
                out.push(Lever {
                    factor: "arrival rate".into(),
                    direction: dir,
                    label: format!("arrivals {word}"),
                    sets,
                });
            }
        }
    }
    let sick: Vec<(String, f64)> = team
        .iter()
        .filter_map(|(role, t)| {
            let p = num(t.get("sick_chance_per_day")?)?;
            (p > 0.0).then(|| (role.clone(), p))
        })
        .collect();
    if !sick.is_empty() {
        for (dir, f, word) in [(Direction::Down, 0.5, "-50%"), (Direction::Up, 1.5, "+50%")] {
            out.push(Lever {
                factor: "sickness".into(),
                direction: dir,
                label: format!("sickness {word}"),
                sets: sick
                    .iter()
                    .map(|(role, p)| {
                        format!("team.{role}.sick_chance_per_day={}", lit((p * f).min(1.0)))
                    })
                    .collect(),
            });
        }
    }
    if let Some(b) = doc
        .get("estimates")
        .and_then(|e| e.get("bias"))
        .and_then(num)
        && b != 1.0
    {
        out.push(Lever {
            factor: "estimate bias".into(),
            direction: Direction::Down,
            label: format!("unbiased estimates (bias {b} -> 1)"),
            sets: vec!["estimates.bias=1.0".into()],
        });
    }
    Ok(out)
}

/// A paired effect of a lever on one metric: variant minus unchanged, per replication.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Effect {
    /// The unchanged scenario's mean (the metric's unit).
    pub base: Option<f64>,
    /// Mean difference, variant minus unchanged (the metric's unit).
    pub diff: Option<f64>,
    /// 95% Student-t interval of the mean difference.
    pub diff_ci: Option<(f64, f64)>,
    /// Relative change of the mean (0.1 = +10%) and its 95% interval (delta method).
    pub rel: Option<(f64, f64, f64)>,
    /// Replications where both were defined.
    pub pairs: u64,
}

impl Effect {
    fn of(p: &Paired, base: &Welford) -> Effect {
        Effect {
            base: base.mean(),
            diff: p.diff.mean(),
            diff_ci: p.diff.interval(0.95),
            rel: p.relative(0.95),
            pairs: p.diff.n(),
        }
    }
}

/// What a lever did under one policy.
#[derive(Debug, Clone, PartialEq)]
pub struct PolicyEffect {
    /// Mean lead time of finished cards (`lead_time_mean_h`, hours).
    pub lead_time: Effect,
    /// Throughput (`throughput_per_week`, cards/week).
    pub throughput: Effect,
}

/// A lever and its effect under each policy, or why it could not be run.
#[derive(Debug, Clone, PartialEq)]
pub struct LeverResult {
    /// The lever.
    pub lever: Lever,
    /// One per policy, in the scenario's policy order; empty when skipped.
    pub per_policy: Vec<PolicyEffect>,
    /// Why the variant was not run (it does not load), if so.
    pub skipped: Option<String>,
}

/// The unchanged scenario's per-replication values: `[policy][rep]` = (throughput, lead time).
type Base = Vec<Vec<(Option<f64>, Option<f64>)>>;

fn pick(r: &RepResult) -> (Option<f64>, Option<f64>) {
    (r.get(M::ThroughputPerWeek), r.get(M::LeadTimeMean))
}

/// Runs the unchanged scenario `base` and every lever, each variant loaded from `text` with the
/// lever's assignments and `settings` applied (the same replications, seed and policies as
/// `base`). `on_done` is called once per finished replication (all policies), for progress.
/// Runs inside the caller's thread pool. Returns `None` when `stop` was set (Ctrl-C) before
/// every variant finished.
pub fn run(
    base: &Scenario,
    text: &str,
    settings: &RunOverrides,
    levers: &[Lever],
    stop: &AtomicBool,
    on_done: &(dyn Fn() + Sync),
) -> Option<Vec<LeverResult>> {
    let reps = 0..u64::from(base.settings.replications);
    let np = base.policies.len();
    let mut values: Base = vec![Vec::with_capacity(reps.end as usize); np];
    let mut base_tp = vec![Welford::default(); np];
    let mut base_lead = vec![Welford::default(); np];
    let done = run_replications_until(base, reps.clone(), stop, on_done, |_, rs| {
        for (k, r) in rs.iter().enumerate() {
            let (t, l) = pick(r);
            t.into_iter().for_each(|x| base_tp[k].push(x));
            l.into_iter().for_each(|x| base_lead[k].push(x));
            values[k].push((t, l));
        }
        Ok::<(), ()>(())
    });
    if done.map_or(true, |p| p.stopped) {
        return None;
    }
    let mut out = Vec::with_capacity(levers.len());
    for lever in levers {
        out.push({
            let variant = match variant(text, &lever.sets, settings, base) {
                Ok(sc) => sc,
                Err(why) => {
                    out.push(LeverResult {
                        lever: lever.clone(),
                        per_policy: Vec::new(),
                        skipped: Some(why),
                    });
                    continue;
                }
            };
            let mut lead = vec![Paired::default(); np];
            let mut tp = vec![Paired::default(); np];
            let done = run_replications_until(&variant, reps.clone(), stop, on_done, |rep, rs| {
                for (k, r) in rs.iter().enumerate() {
                    let (t1, l1) = pick(r);
                    let (t0, l0) = values[k][rep as usize];
                    if let (Some(x), Some(y)) = (t0, t1) {
                        tp[k].push(x, y);
                    }
                    if let (Some(x), Some(y)) = (l0, l1) {
                        lead[k].push(x, y);
                    }
                }
                Ok::<(), ()>(())
            });
            if done.map_or(true, |p| p.stopped) {
                return None;
            }
            LeverResult {
                lever: lever.clone(),
                per_policy: (0..np)
                    .map(|k| PolicyEffect {
                        lead_time: Effect::of(&lead[k], &base_lead[k]),
                        throughput: Effect::of(&tp[k], &base_tp[k]),
                    })
                    .collect(),
                skipped: None,
            }
        });
    }
    Some(out)
}

/// The scenario of a lever: `text` with `sets` applied, loaded and given `settings`.
///
/// # Errors
/// The variant does not load, or its policies differ from the unchanged scenario's.
pub fn variant(
    text: &str,
    sets: &[String],
    settings: &RunOverrides,
    base: &Scenario,
) -> Result<Scenario, String> {
    let t = crate::overrides::apply_all(text, sets).map_err(|e| e.to_string())?;
    let mut sc = crate::scenario::load_str(&t, &base.origin).map_err(|e| {
        // The problems, without the header line, on one line.
        let text = e.to_string();
        let problems: Vec<&str> = text.lines().skip(1).map(str::trim).collect();
        if problems.is_empty() {
            text.trim().to_string()
        } else {
            problems.join(" ")
        }
    })?;
    settings.apply(&mut sc)?;
    let names = |s: &Scenario| {
        s.policies
            .iter()
            .map(|p| p.name.clone())
            .collect::<Vec<_>>()
    };
    if names(&sc) != names(base) {
        return Err("its policies differ from the unchanged scenario's".into());
    }
    Ok(sc)
}

/// The order to show the levers of policy `k` in: by the size of their relative effect on
/// lead time, largest first (skipped and undefined last; ties keep the levers' order).
pub fn ranking(results: &[LeverResult], k: usize) -> Vec<usize> {
    let size = |r: &LeverResult| {
        r.per_policy
            .get(k)
            .and_then(|e| e.lead_time.rel)
            .map_or(-1.0, |(x, _, _)| x.abs())
    };
    let mut idx: Vec<usize> = (0..results.len()).collect();
    idx.sort_by(|&a, &b| size(&results[b]).total_cmp(&size(&results[a])));
    idx
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_reference_scenario_has_its_levers() {
        let ls = levers(crate::scenario::REFERENCE).unwrap();
        let labels: Vec<&str> = ls.iter().map(|l| l.label.as_str()).collect();
        assert!(labels.contains(&"one more tester"));
        assert!(labels.contains(&"one fewer developer"));
        assert!(!labels.contains(&"one fewer analyst"), "one analyst only");
        assert!(labels.contains(&"test effort +20%"));
        assert!(labels.contains(&"deploy WIP limit 2 -> 1"));
        assert!(labels.contains(&"arrivals -10%"));
        let test_up = ls.iter().find(|l| l.label == "test effort +20%").unwrap();
        assert_eq!(
            test_up.sets,
            vec!["stages[2].effort.mean=7.2", "stages[2].effort.sd=3.6"]
        );
    }

    #[test]
    fn absences_follow_their_people() {
        let doc: Table = r#"
[[absences]]
person = "tester-1"
from_week = 1
[[absences]]
person = "tester-2"
from_week = 2
[[absences]]
person = "dev"
from_week = 3
"#
        .parse()
        .unwrap();
        let down = absences_for(&doc, "tester", 2, 1).unwrap();
        assert!(
            down.contains(r#"person = "tester""#) && !down.contains("tester-2"),
            "{down}"
        );
        assert!(down.contains(r#"person = "dev""#));
        let up = absences_for(&doc, "dev", 1, 2).unwrap();
        assert!(up.contains(r#"person = "dev-1""#), "{up}");
        assert_eq!(absences_for(&doc, "tester", 2, 3), None);
    }

    #[test]
    fn every_lever_of_the_reference_loads() {
        let base = crate::scenario::load_str(crate::scenario::REFERENCE, "ref").unwrap();
        for l in levers(crate::scenario::REFERENCE).unwrap() {
            variant(
                crate::scenario::REFERENCE,
                &l.sets,
                &RunOverrides::default(),
                &base,
            )
            .unwrap_or_else(|e| panic!("{}: {e}", l.label));
        }
    }
}
