//! What the page asks for and what it gets back: a run request checked against the controls
//! and the page's limits, the experiment it runs (the same replications and aggregates as
//! `flowsim run`), and the JSON the page draws from.
//!
//! Nothing here touches the network or the disk: `mod.rs` carries requests in and answers out.

use std::collections::BTreeMap;
use std::sync::atomic::AtomicBool;

use serde::Deserialize;
use serde_json::{Value, json};

use super::controls::{Control, fmt};
use crate::experiment::{Aggregates, RunOverrides, run_replications_until};
use crate::scenario::Scenario;
use crate::stats::Paired;

/// The most replications a request may ask for.
pub const MAX_REPS: u32 = 500;
/// The replications of a run while a control is being dragged.
pub const DRAG_REPS: u32 = 20;
/// The longest horizon the page simulates (weeks).
pub const MAX_HORIZON_WEEKS: f64 = 260.0;
/// The most simulation events one request may need (the reference scenario at 200
/// replications needs about 5e6).
pub const MAX_EVENTS: f64 = 5e7;

/// The most memory one request's run may be predicted to need (bytes).
pub const MAX_BYTES: f64 = 256.0 * 1024.0 * 1024.0;

/// The metrics the page compares with a pinned result, and draws as key numbers.
pub const KEY_METRICS: [&str; 11] = [
    "throughput_per_week",
    "lead_time_mean_h",
    "lead_time_p85_h",
    "cycle_time_p85_h",
    "wip_mean",
    "utilisation",
    "overtime_h_per_person_week",
    "starved_h_per_person_week",
    "blocked_h_per_person_week",
    "skill_mismatch_h_per_person_week",
    "waiting_h_per_person_week",
];

/// The weekly series the page draws.
const WEEKLY: [&str; 7] = [
    "throughput",
    "wip_mean",
    "overtime_h_per_person",
    "starved_h_per_person",
    "blocked_h_per_person",
    "skill_mismatch_h_per_person",
    "waiting_h_per_person",
];

/// A configuration of the page: control values (by control id) and the policies to show.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// Control id to value; controls left out keep the scenario's value.
    #[serde(default)]
    pub values: BTreeMap<String, f64>,
    /// Policies to run, in the page's order (default: the scenario's).
    #[serde(default)]
    pub policies: Option<Vec<String>>,
}

/// `POST /api/run`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RunRequest {
    /// Which page sent it (any short text): a newer request of the same page supersedes its
    /// older ones.
    pub client: String,
    /// The page's request counter: higher is newer.
    #[serde(rename = "gen")]
    pub generation: u64,
    /// Replications (1 to [`MAX_REPS`]).
    pub reps: u32,
    /// Control id to value; controls left out keep the scenario's value.
    #[serde(default)]
    pub values: BTreeMap<String, f64>,
    /// Policies to run, in the page's order (default: the scenario's).
    #[serde(default)]
    pub policies: Option<Vec<String>>,
    /// A pinned configuration to compare with, paired on the same seed and replications.
    #[serde(default)]
    pub pin: Option<Settings>,
}

impl RunRequest {
    /// The configuration it asks to run.
    pub fn settings(&self) -> Settings {
        Settings {
            values: self.values.clone(),
            policies: self.policies.clone(),
        }
    }
}

/// A configuration turned into a runnable scenario.
#[derive(Debug, Clone)]
pub struct Prepared {
    /// The scenario, overridden and validated, with the replications and policies asked for.
    pub scenario: Scenario,
    /// The `--set` assignments, in control order.
    pub set: Vec<String>,
    /// Cache key: everything that decides the result.
    pub key: String,
}

/// The page's view of the scenario it serves.
#[derive(Debug, Clone)]
pub struct Base {
    /// The scenario text as read.
    pub text: String,
    /// Where it came from (a path or the reference's name).
    pub origin: String,
    /// Whether it is the built-in reference (no file on the command line).
    pub builtin: bool,
    /// The loaded scenario.
    pub scenario: Scenario,
    /// Its controls.
    pub controls: Vec<Control>,
    /// Policies that can be shown: the scenario's, then the presets it lacks.
    pub available: Vec<String>,
    /// Replications of a full run.
    pub full_reps: u32,
}

impl Base {
    /// Loads the scenario and builds its controls.
    ///
    /// # Errors
    /// An invalid scenario, a horizon beyond the page's limit, or `full_reps` out of range.
    pub fn new(
        text: &str,
        origin: &str,
        builtin: bool,
        full_reps: Option<u32>,
    ) -> Result<Self, String> {
        let scenario = crate::scenario::load_str(text, origin).map_err(|e| e.to_string())?;
        let weeks = scenario.model.horizon_h / crate::model::HOURS_PER_WEEK;
        if weeks > MAX_HORIZON_WEEKS {
            return Err(format!(
                "{origin}: the horizon of {} weeks is beyond the live page's {MAX_HORIZON_WEEKS}; \
                 shorten run.horizon_weeks in the file",
                fmt(weeks)
            ));
        }
        let full_reps = match full_reps {
            Some(r) if r == 0 || r > MAX_REPS => {
                return Err(format!(
                    "--reps must be between 1 and {MAX_REPS} for the live page"
                ));
            }
            Some(r) => r,
            None => scenario.settings.replications.min(MAX_REPS),
        };
        let mut available: Vec<String> = scenario.policies.iter().map(|p| p.name.clone()).collect();
        for p in crate::policy::PRESETS {
            if !available.iter().any(|a| a == p) {
                available.push(p.to_string());
            }
        }
        Ok(Base {
            controls: super::controls::build(&scenario),
            text: text.to_string(),
            origin: origin.to_string(),
            builtin,
            scenario,
            available,
            full_reps,
        })
    }

    /// `GET /api/scenario`: the controls and what the page may ask.
    pub fn describe(&self) -> Value {
        let m = &self.scenario.model;
        json!({
            "name": m.name,
            "description": m.description,
            "origin": self.origin,
            "seed": self.scenario.settings.seed,
            "horizon_weeks": m.horizon_h / crate::model::HOURS_PER_WEEK,
            "controls": self.controls,
            "available_policies": self.available,
            "colours": colours(&self.available),
            "policies": self.scenario.policies.iter().map(|p| &p.name).collect::<Vec<_>>(),
            "full_reps": self.full_reps,
            "drag_reps": DRAG_REPS.min(self.full_reps),
            "max_reps": MAX_REPS,
        })
    }

    /// Checks a configuration and builds its scenario.
    ///
    /// # Errors
    /// An unknown control or policy, a value out of range, a scenario the values make invalid,
    /// or a run beyond the page's limits; in words for the page.
    pub fn prepare(&self, s: &Settings, reps: u32) -> Result<Prepared, String> {
        if reps == 0 || reps > MAX_REPS {
            return Err(format!(
                "replications must be between 1 and {MAX_REPS} (got {reps})"
            ));
        }
        for id in s.values.keys() {
            if !self.controls.iter().any(|c| &c.id == id) {
                return Err(format!("there is no control `{id}` on this page"));
            }
        }
        let mut set = Vec::new();
        for c in &self.controls {
            if let Some(&v) = s.values.get(&c.id) {
                c.check(v)?;
                set.extend(c.assignments(v));
            }
        }
        let policies = match &s.policies {
            None => None,
            Some(list) => {
                if list.is_empty() {
                    return Err("choose at least one policy to show".into());
                }
                if list.len() > self.available.len() {
                    return Err("a policy is listed twice".into());
                }
                let mut ordered = Vec::new();
                for p in list {
                    if !self.available.contains(p) {
                        return Err(format!(
                            "there is no policy `{p}`; the page knows {}",
                            self.available.join(", ")
                        ));
                    }
                    if ordered.contains(p) {
                        return Err(format!("the policy `{p}` is listed twice"));
                    }
                    ordered.push(p.clone());
                }
                Some(ordered)
            }
        };
        let text = crate::overrides::apply_all(&self.text, &set).map_err(|e| e.to_string())?;
        let mut sc = crate::scenario::load_str(&text, &self.origin).map_err(|e| {
            format!(
                "these values make the scenario invalid ({}):\n{e}",
                set.join(", ")
            )
        })?;
        RunOverrides {
            replications: Some(reps),
            seed: None,
            policies: policies.clone(),
        }
        .apply(&mut sc)?;
        let need = crate::guard::need(&sc, u64::from(reps), 1);
        if need.events > MAX_EVENTS {
            return Err(format!(
                "this would need about {:.1e} simulation events, beyond the live page's {MAX_EVENTS:.0e}; \
                 use fewer people, less demand or fewer replications",
                need.events
            ));
        }
        if need.bytes > MAX_BYTES {
            return Err(format!(
                "this would need about {:.0} MiB of memory, beyond the live page's {:.0} MiB; \
                 use fewer replications",
                need.bytes / 1048576.0,
                MAX_BYTES / 1048576.0
            ));
        }
        let names: Vec<String> = sc.policies.iter().map(|p| p.name.clone()).collect();
        let key = format!("{reps}|{}|{}", names.join(","), set.join(" "));
        Ok(Prepared {
            scenario: sc,
            set,
            key,
        })
    }

    /// The command line that gives the same numbers.
    pub fn command(&self, p: &Prepared) -> String {
        let mut parts = vec!["flowsim".to_string(), "run".to_string()];
        if !self.builtin {
            parts.push(quote(&self.origin));
        }
        let sc = &p.scenario;
        parts.push(format!("--reps {}", sc.settings.replications));
        parts.push(format!("--seed {}", sc.settings.seed));
        let names: Vec<&str> = sc.policies.iter().map(|p| p.name.as_str()).collect();
        parts.push(format!("--policies {}", quote(&names.join(","))));
        for s in &p.set {
            parts.push(format!("--set {}", quote(s)));
        }
        parts.join(" ")
    }
}

/// Quotes a word for a POSIX shell where it needs it.
fn quote(s: &str) -> String {
    if !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "._-=/,:+".contains(c))
    {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', "'\\''"))
    }
}

/// The colour of each policy, as the charts draw it.
fn colours(policies: &[String]) -> Vec<String> {
    crate::charts::style::policy_colours(policies)
        .iter()
        .map(|c| format!("#{:02x}{:02x}{:02x}", c.0, c.1, c.2))
        .collect()
}

/// A finished experiment: the aggregates, and the key metrics of every replication (for paired
/// comparisons with a pinned result).
#[derive(Debug, Clone)]
pub struct Outcome {
    /// As `flowsim run` aggregates them.
    pub agg: Aggregates,
    /// `[policy][key metric][replication]`.
    pub per_rep: Vec<Vec<Vec<Option<f64>>>>,
    /// `[policy][week * series + s]` of the first replication alone: what one board shows.
    pub first: Vec<Vec<f64>>,
}

/// What a later run needs of a result to compare with it: a few kilobytes, where the whole
/// aggregates hold a percentile sketch per week and series (megabytes at hundreds of
/// replications), so the server keeps only these.
#[derive(Debug, Clone)]
pub struct Kept {
    /// Policy names, in order.
    pub policies: Vec<String>,
    /// `[policy][key metric]`: the mean over replications.
    pub means: Vec<Vec<Option<f64>>>,
    /// `[policy][key metric][replication]`.
    pub per_rep: Vec<Vec<Vec<Option<f64>>>>,
}

impl Outcome {
    /// The part of the result a comparison needs.
    pub fn kept(&self) -> Kept {
        let agg = &self.agg;
        Kept {
            policies: agg.policies.clone(),
            means: (0..agg.policies.len())
                .map(|k| {
                    KEY_METRICS
                        .iter()
                        .map(|m| agg.metric_index(m).and_then(|i| agg.summary(k, i).mean))
                        .collect()
                })
                .collect(),
            per_rep: self.per_rep.clone(),
        }
    }
}

/// Runs replications `0..reps` of every policy on `pool`, as `flowsim run` does. `None` when
/// `stop` ended it early.
pub fn simulate(sc: &Scenario, pool: &rayon::ThreadPool, stop: &AtomicBool) -> Option<Outcome> {
    let mut agg = Aggregates::new(sc);
    let idx: Vec<Option<usize>> = KEY_METRICS.iter().map(|m| agg.metric_index(m)).collect();
    let mut per_rep = vec![vec![Vec::new(); KEY_METRICS.len()]; sc.policies.len()];
    let mut first = Vec::new();
    let reps = 0..u64::from(sc.settings.replications);
    let progress = pool.install(|| {
        run_replications_until(sc, reps, stop, &|| {}, |rep, results| {
            agg.add(&results);
            if rep == 0 {
                first = results.iter().map(|r| r.weekly.clone()).collect();
            }
            for (k, r) in results.iter().enumerate() {
                for (j, m) in idx.iter().enumerate() {
                    per_rep[k][j].push(m.and_then(|m| r.values[m]));
                }
            }
            Ok::<(), ()>(())
        })
    });
    match progress {
        Ok(p) if !p.stopped => Some(Outcome {
            agg,
            per_rep,
            first,
        }),
        _ => None,
    }
}

fn num(v: Option<f64>) -> Value {
    match v {
        Some(x) if x.is_finite() => json!(x),
        _ => Value::Null,
    }
}

/// The answer to a run: every metric's mean and interval per policy, the headline sentences
/// and the weekly series the charts draw (`compare` is null: see [`compare`]).
pub fn answer(base: &Base, p: &Prepared, o: &Outcome) -> Value {
    let agg = &o.agg;
    let metrics: Vec<Value> = agg
        .metrics
        .iter()
        .enumerate()
        .map(|(m, info)| {
            let values: Vec<Value> = (0..agg.policies.len())
                .map(|k| {
                    let s = agg.summary(k, m);
                    json!({
                        "mean": num(s.mean),
                        "lo": num(s.ci95.map(|c| c.0)),
                        "hi": num(s.ci95.map(|c| c.1)),
                    })
                })
                .collect();
            json!({"name": info.name, "unit": info.unit, "description": info.description, "values": values})
        })
        .collect();
    let ns = agg.weekly_series.len();
    let weekly: Vec<Value> = WEEKLY
        .iter()
        .filter_map(|name| {
            let s = agg.weekly_series.iter().position(|(n, _)| n == name)?;
            let unit = agg.weekly_series[s].1;
            let per_policy: Vec<Value> = agg
                .weekly
                .iter()
                .enumerate()
                .map(|(k, w)| {
                    let mut mean = Vec::with_capacity(agg.weeks);
                    let mut p05 = Vec::with_capacity(agg.weeks);
                    let mut p95 = Vec::with_capacity(agg.weeks);
                    for week in 0..agg.weeks {
                        let a = &w[week * ns + s];
                        mean.push(num(a.mean()));
                        p05.push(num(a.sketch.quantile(0.05)));
                        p95.push(num(a.sketch.quantile(0.95)));
                    }
                    let one: Vec<Value> = (0..agg.weeks)
                        .map(|week| num(o.first.get(k).and_then(|f| f.get(week * ns + s)).copied()))
                        .collect();
                    json!({"mean": mean, "p05": p05, "p95": p95, "one": one})
                })
                .collect();
            Some(json!({"name": name, "unit": unit, "per_policy": per_policy}))
        })
        .collect();
    json!({
        "reps": agg.reps,
        "seed": p.scenario.settings.seed,
        "policies": agg.policies,
        "colours": colours(&agg.policies),
        "set": p.set,
        "command": base.command(p),
        "metrics": metrics,
        "headlines": crate::report::headlines(agg, Some(crate::report::DayUnit::of(&p.scenario))),
        "weeks": agg.weeks,
        "warmup_weeks": p.scenario.model.warmup_h / crate::model::HOURS_PER_WEEK,
        "weekly": weekly,
        "compare": Value::Null,
    })
}

/// Paired differences (current minus pinned) per policy both ran and key metric: the same seed
/// and replications give both the same random numbers, replication by replication.
pub fn compare(pp: &Prepared, pinned: &Kept, current: &Kept) -> Value {
    let mut rows = Vec::new();
    for (k, name) in current.policies.iter().enumerate() {
        let Some(pk) = pinned.policies.iter().position(|n| n == name) else {
            continue;
        };
        let mut metrics = serde_json::Map::new();
        for (j, m) in KEY_METRICS.iter().enumerate() {
            let mut d = Paired::default();
            for (x, y) in pinned.per_rep[pk][j].iter().zip(&current.per_rep[k][j]) {
                if let (Some(x), Some(y)) = (x, y)
                    && x.is_finite()
                    && y.is_finite()
                {
                    d.push(*x, *y);
                }
            }
            let ci = d.diff.interval(0.95);
            metrics.insert(
                (*m).to_string(),
                json!({
                    "pinned": num(pinned.means[pk][j]),
                    "diff": num(d.diff.mean()),
                    "lo": num(ci.map(|c| c.0)),
                    "hi": num(ci.map(|c| c.1)),
                    "pairs": d.diff.n(),
                }),
            );
        }
        rows.push(json!({"policy": name, "metrics": metrics}));
    }
    json!({"set": pp.set, "per_policy": rows})
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base() -> Base {
        Base::new(
            crate::scenario::REFERENCE,
            crate::scenario::REFERENCE_NAME,
            true,
            None,
        )
        .unwrap()
    }

    fn settings(values: &[(&str, f64)]) -> Settings {
        Settings {
            values: values.iter().map(|(k, v)| (k.to_string(), *v)).collect(),
            policies: None,
        }
    }

    #[test]
    fn bad_values_are_refused_in_words() {
        let b = base();
        let e = b.prepare(&settings(&[("wip.nope", 3.0)]), 20).unwrap_err();
        assert!(e.contains("no control `wip.nope`"), "{e}");
        let e = b.prepare(&settings(&[("wip.test", 99.0)]), 20).unwrap_err();
        assert!(e.contains("outside"), "{e}");
        assert!(b.prepare(&settings(&[]), MAX_REPS + 1).is_err());
        assert!(b.prepare(&settings(&[]), 0).is_err());
        let s = Settings {
            values: BTreeMap::new(),
            policies: Some(vec!["pull".into(), "pull".into()]),
        };
        assert!(b.prepare(&s, 5).unwrap_err().contains("twice"));
    }

    #[test]
    fn a_control_becomes_a_set_and_a_command_line() {
        let b = base();
        let p = b
            .prepare(&settings(&[("wip.test", 4.0), ("people.tester", 2.0)]), 7)
            .unwrap();
        assert_eq!(p.set, ["stages.test.wip_limit=4"]);
        assert_eq!(
            b.command(&p),
            "flowsim run --reps 7 --seed 2026 --policies push,pull,flow --set stages.test.wip_limit=4"
        );
    }

    #[test]
    fn pinned_against_itself_differs_by_exactly_zero() {
        let b = base();
        let p = b.prepare(&settings(&[]), 3).unwrap();
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(1)
            .build()
            .unwrap();
        let o = simulate(&p.scenario, &pool, &AtomicBool::new(false)).unwrap();
        let mut v = answer(&b, &p, &o);
        v["compare"] = compare(&p, &o.kept(), &o.kept());
        let d = &v["compare"]["per_policy"][0]["metrics"]["throughput_per_week"];
        assert_eq!(d["diff"], json!(0.0));
        assert_eq!(v["reps"], json!(3));
        let one = &v["weekly"][0]["per_policy"][0]["one"];
        assert_eq!(v["weekly"][0]["name"], "throughput");
        assert_eq!(one.as_array().unwrap().len(), 52);
        assert!(one[10].as_f64().unwrap() >= 0.0);
        assert!(simulate(&p.scenario, &pool, &AtomicBool::new(true)).is_none());
    }
}
