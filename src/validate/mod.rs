//! Validation against queueing theory: does the engine reproduce answers nobody on this team
//! wrote?
//!
//! Users trust flowsim's comparisons of ways of working only if its general engine, run on the
//! special cases that theory solves exactly, gives theory's answers. Each [`Case`] is a scenario
//! file under `scenarios/validation/` (embedded in the binary) plus a function that runs it and
//! compares simulated metrics against values computed here, in code, from their formulas:
//! M/M/1, Erlang C, Pollaczek–Khinchine, the truncated geometric law of M/M/1/K, Jackson's
//! tandem, the practical worst case of *Factory Physics*, exact Mean Value Analysis, and the
//! numerically solved Markov chain of a two-stage line with blocking. No analytic number is
//! pasted.
//!
//! A [`Check`] passes when the analytic value lies inside the simulated 99% Student-t interval
//! over independent replications (with warm-up deletion) *and* that interval's half-width is
//! under [`MAX_HALF_WIDTH`] of the value, so that a pass means something. The run lengths live
//! in the scenario files; the seeds are fixed, so every run gives the same table.
//!
//! The closed forms live in [`theory`]; `flowsim validate` (in `crate::commands`) runs
//! [`CASES`] and `tests/validation.rs` runs the same cases.

pub mod theory;

use std::path::Path;

use rayon::prelude::*;
use serde::Serialize;

use crate::dist::Dist;
use crate::engine::{Workspace, simulate};
use crate::metrics::{M, N_FIXED, RepResult};
use crate::model::{ArrivalProcess, HOURS_PER_WEEK, Model};
use crate::policy::Policy;
use crate::rng::Streams;
use crate::scenario::{self, Scenario};
use crate::stats::{Welford, t_quantile};

pub use theory::*;

/// Confidence level of the simulated intervals.
pub const LEVEL: f64 = 0.99;
/// Largest half-width of the interval, as a share of the analytic value, for a check to count.
pub const MAX_HALF_WIDTH: f64 = 0.03;

/// One comparison of a simulated metric with its analytic value.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Check {
    /// Case name (the scenario's name, with the swept parameter where there is one).
    pub case: String,
    /// What is compared, with its unit.
    pub metric: String,
    /// The value theory gives.
    pub analytic: f64,
    /// Mean over replications.
    pub simulated_mean: f64,
    /// Lower end of the 99% interval.
    pub ci99_low: f64,
    /// Upper end of the 99% interval.
    pub ci99_high: f64,
    /// Half-width of the interval as a percentage of the analytic value.
    pub half_width_pct: f64,
    /// Replications behind the estimate.
    pub replications: u64,
    /// Analytic value inside the interval, and the interval narrow enough.
    pub pass: bool,
}

impl Check {
    /// Compares `analytic` with the replications summarised in `w`.
    ///
    /// # Panics
    /// With fewer than two replications (no interval).
    pub fn new(case: &str, metric: &str, analytic: f64, w: &Welford) -> Self {
        let mean = w.mean().expect("at least one replication");
        let var = w.variance().expect("at least two replications");
        let h = t_quantile(w.n() - 1, 0.5 + LEVEL / 2.0) * (var / w.n() as f64).sqrt();
        let (lo, hi) = (mean - h, mean + h);
        let rel = h / analytic.abs();
        Check {
            case: case.to_string(),
            metric: metric.to_string(),
            analytic,
            simulated_mean: mean,
            ci99_low: lo,
            ci99_high: hi,
            half_width_pct: 100.0 * rel,
            replications: w.n(),
            pass: lo <= analytic && analytic <= hi && rel < MAX_HALF_WIDTH,
        }
    }
}

/// A validation case: a scenario file and the comparison it supports.
pub struct Case {
    /// Short name, as in the table.
    pub name: &'static str,
    /// Path of the scenario file in the repository.
    pub file: &'static str,
    /// The file's text (embedded, so `flowsim validate` runs from any folder).
    pub text: &'static str,
    /// The theory and where it is published.
    pub source: &'static str,
    /// Runs the loaded scenario and returns its checks.
    pub run: fn(&Scenario) -> Result<Vec<Check>, String>,
}

impl Case {
    /// Loads the case's scenario.
    ///
    /// # Errors
    /// The scenario's problems, as text.
    pub fn scenario(&self) -> Result<Scenario, String> {
        scenario::load_str(self.text, self.file).map_err(|e| e.to_string())
    }

    /// Loads and runs the case.
    ///
    /// # Errors
    /// The scenario does not load, or does not have the shape the theory needs.
    pub fn checks(&self) -> Result<Vec<Check>, String> {
        let sc = self.scenario()?;
        (self.run)(&sc).map_err(|e| format!("{}: {e}", self.file))
    }
}

macro_rules! case {
    ($name:literal, $source:literal, $run:expr) => {
        Case {
            name: $name,
            file: concat!("scenarios/validation/", $name, ".toml"),
            text: include_str!(concat!("../../scenarios/validation/", $name, ".toml")),
            source: $source,
            run: $run,
        }
    };
}

/// Every validation case, in table order.
pub const CASES: &[Case] = &[
    case!(
        "mm1-rho50",
        "Kleinrock (1975) vol. I §3.2",
        open_single_stage
    ),
    case!(
        "mm1-rho90",
        "Kleinrock (1975) vol. I §3.2",
        open_single_stage
    ),
    case!(
        "mmc-c2",
        "Erlang C: Gross & Harris, Fundamentals of Queueing Theory §2.3",
        open_single_stage
    ),
    case!(
        "mmc-c4",
        "Erlang C: Gross & Harris, Fundamentals of Queueing Theory §2.3",
        open_single_stage
    ),
    case!(
        "md1",
        "Pollaczek–Khinchine: Kleinrock (1975) vol. I §5.6",
        open_single_stage
    ),
    case!(
        "mm1k",
        "M/M/1/K: Gross & Harris §2.5; Kleinrock (1975) §3.6",
        mm1k
    ),
    case!(
        "tandem",
        "Jackson (1957); Kleinrock (1975) vol. I §4.8",
        tandem
    ),
    case!(
        "penny-fab",
        "Practical worst case: Hopp & Spearman, Factory Physics ch. 7",
        penny_fab
    ),
    case!(
        "closed-unbalanced",
        "Mean Value Analysis: Reiser & Lavenberg (1980)",
        closed_unbalanced
    ),
    case!(
        "two-stage-blocking",
        "CTMC solved numerically (balance equations, Gaussian elimination)",
        two_stage_case
    ),
];

// ----- running ----------------------------------------------------------------------------------

/// Runs the scenario's replications of `model` under `policy` and summarises the values that
/// `extract` takes from each replication (one `Welford` per value, in order). Replications run
/// in parallel and are summarised in index order, so the result does not depend on threads.
pub fn replicate(
    sc: &Scenario,
    model: &Model,
    policy: &Policy,
    extract: impl Fn(&RepResult) -> Vec<f64> + Sync,
) -> Vec<Welford> {
    let seed = sc.settings.seed;
    let per_rep: Vec<Vec<f64>> = (0..sc.settings.replications as u64)
        .into_par_iter()
        .map_init(Workspace::default, |ws, rep| {
            extract(&simulate(model, policy, Streams::new(seed, rep), ws))
        })
        .collect();
    let mut out = vec![Welford::default(); per_rep.first().map_or(0, Vec::len)];
    for values in per_rep {
        for (w, v) in out.iter_mut().zip(values) {
            w.push(v);
        }
    }
    out
}

fn poisson_rate(m: &Model) -> Result<f64, String> {
    match m.arrivals.process {
        ArrivalProcess::Poisson { rate_per_h } => Ok(rate_per_h),
        _ => Err("needs Poisson arrivals".into()),
    }
}

/// Checks that every person works exactly one stage at speed 1 and returns the head count of
/// each stage.
fn servers_per_stage(m: &Model) -> Result<Vec<u32>, String> {
    let mut c = vec![0; m.stages.len()];
    for p in &m.people {
        let skills: Vec<usize> = (0..m.stages.len()).filter(|&s| p.can_work(s)).collect();
        if skills.len() != 1 || p.speed[skills[0]] != 1.0 {
            return Err(format!(
                "person {} must work exactly one stage at speed 1",
                p.name
            ));
        }
        c[skills[0]] += 1;
    }
    Ok(c)
}

fn first_policy(sc: &Scenario) -> &Policy {
    &sc.policies[0]
}

fn measured_h(m: &Model) -> f64 {
    m.horizon_h - m.warmup_h
}

fn lead_time(r: &RepResult) -> f64 {
    r.get(M::LeadTimeMean).unwrap_or(f64::NAN)
}

/// The simulated mean time in system under the first policy against `analytic` (hours).
fn time_in_system_check(sc: &Scenario, analytic: f64) -> Check {
    let w = replicate(sc, &sc.model, first_policy(sc), |r| vec![lead_time(r)]);
    Check::new(&sc.model.name, "time in system (h)", analytic, &w[0])
}

/// M/M/1, M/M/c and M/D/1: one stage, c identical people, Poisson arrivals.
fn open_single_stage(sc: &Scenario) -> Result<Vec<Check>, String> {
    let m = &sc.model;
    let lambda = poisson_rate(m)?;
    let c = servers_per_stage(m)?;
    if c.len() != 1 {
        return Err("needs exactly one stage".into());
    }
    let effort = &m.stages[0].effort;
    let mu = 1.0 / effort.mean();
    let analytic = match effort {
        Dist::Exponential { .. } => mmc_time_in_system(c[0], lambda, mu),
        _ if c[0] == 1 => mg1_time_in_system(lambda, effort.mean(), effort.scv()),
        _ => return Err("M/G/c has no exact formula here".into()),
    };
    Ok(vec![time_in_system_check(sc, analytic)])
}

/// M/M/1/K with declined arrivals.
fn mm1k(sc: &Scenario) -> Result<Vec<Check>, String> {
    let m = &sc.model;
    let lambda = poisson_rate(m)?;
    if servers_per_stage(m)? != [1] {
        return Err("needs one stage and one person".into());
    }
    let mu = 1.0 / m.stages[0].effort.mean();
    let cap = m.arrivals.max_backlog.ok_or("needs arrivals.max_backlog")?;
    let k = cap + 1;
    let p = mm1k_distribution(lambda, mu, k);
    let p_k = p[k as usize];
    let l: f64 = p.iter().enumerate().map(|(n, x)| n as f64 * x).sum();
    let w_analytic = l / (lambda * (1.0 - p_k));
    let hours = measured_h(m);
    let w = replicate(sc, m, first_policy(sc), |r| {
        vec![
            lead_time(r),
            r.get(M::ArrivalsDeclined).unwrap_or(f64::NAN) / hours,
        ]
    });
    Ok(vec![
        Check::new(&m.name, "time in system (h)", w_analytic, &w[0]),
        Check::new(&m.name, "declined per hour", lambda * p_k, &w[1]),
    ])
}

/// Jackson tandem of single-person exponential stages.
fn tandem(sc: &Scenario) -> Result<Vec<Check>, String> {
    let m = &sc.model;
    let lambda = poisson_rate(m)?;
    if servers_per_stage(m)?.iter().any(|&c| c != 1) {
        return Err("needs one person per stage".into());
    }
    let analytic: f64 = m
        .stages
        .iter()
        .map(|s| mm1_time_in_system(lambda, 1.0 / s.effort.mean()))
        .sum();
    Ok(vec![time_in_system_check(sc, analytic)])
}

/// Throughput (per hour) and cycle time of a closed loop at system WIP `w`.
fn closed_loop(sc: &Scenario, w: u32) -> Vec<Welford> {
    let mut policy = first_policy(sc).clone();
    policy.system_wip_limit = Some(w);
    replicate(sc, &sc.model, &policy, |r| {
        vec![
            r.get(M::ThroughputPerWeek).unwrap_or(f64::NAN) / HOURS_PER_WEEK,
            r.get(M::CycleTimeMean).unwrap_or(f64::NAN),
        ]
    })
}

fn closed_stations(sc: &Scenario) -> Result<Vec<f64>, String> {
    let m = &sc.model;
    if !matches!(m.arrivals.process, ArrivalProcess::Unlimited) {
        return Err("needs an unlimited backlog (closed loop)".into());
    }
    if servers_per_stage(m)?.iter().any(|&c| c != 1) {
        return Err("needs one person per stage".into());
    }
    Ok(m.stages.iter().map(|s| s.effort.mean()).collect())
}

/// WIP levels of the Penny Fab sweep.
pub const PENNY_FAB_WIP: std::ops::RangeInclusive<u32> = 1..=20;
/// WIP levels of the unbalanced closed loop.
pub const UNBALANCED_WIP: [u32; 3] = [2, 5, 10];

/// The Penny Fab against the practical worst case, WIP 1..=20.
fn penny_fab(sc: &Scenario) -> Result<Vec<Check>, String> {
    let s = closed_stations(sc)?;
    let t0: f64 = s.iter().sum();
    let rb = 1.0 / s.iter().cloned().fold(0.0, f64::max);
    let mut out = Vec::new();
    for w in PENNY_FAB_WIP {
        let est = closed_loop(sc, w);
        let case = format!("{} w={w}", sc.model.name);
        out.push(Check::new(
            &case,
            "throughput (/h)",
            pwc_throughput(w, rb, t0),
            &est[0],
        ));
        out.push(Check::new(
            &case,
            "cycle time (h)",
            pwc_cycle_time(w, rb, t0),
            &est[1],
        ));
    }
    Ok(out)
}

/// An unbalanced closed loop against exact MVA.
fn closed_unbalanced(sc: &Scenario) -> Result<Vec<Check>, String> {
    let s = closed_stations(sc)?;
    let mut out = Vec::new();
    for w in UNBALANCED_WIP {
        let (th, ct, _) = mva(&s, w);
        let est = closed_loop(sc, w);
        let case = format!("{} w={w}", sc.model.name);
        out.push(Check::new(&case, "throughput (/h)", th, &est[0]));
        out.push(Check::new(&case, "cycle time (h)", ct, &est[1]));
    }
    Ok(out)
}

/// The two-stage line with blocking against its Markov chain.
fn two_stage_case(sc: &Scenario) -> Result<Vec<Check>, String> {
    let m = &sc.model;
    let lambda = poisson_rate(m)?;
    if servers_per_stage(m)? != [1, 1] {
        return Err("needs two stages with one person each".into());
    }
    for s in &m.stages {
        if !matches!(s.effort, Dist::Exponential { .. }) {
            return Err("needs exponential efforts".into());
        }
    }
    let room1 = m.stages[0].wip_limit.ok_or("needs stages[0].wip_limit")?;
    let cap = m.arrivals.max_backlog.ok_or("needs arrivals.max_backlog")?;
    let (mu1, mu2) = (
        1.0 / m.stages[0].effort.mean(),
        1.0 / m.stages[1].effort.mean(),
    );
    let a = two_stage_blocking(lambda, mu1, mu2, room1, cap);
    let hours = measured_h(m);
    let w = replicate(sc, m, first_policy(sc), |r| {
        vec![
            lead_time(r),
            r.values[N_FIXED].unwrap_or(f64::NAN),
            r.get(M::ArrivalsDeclined).unwrap_or(f64::NAN) / hours,
        ]
    });
    let first = format!("cards in stage {} (WIP)", m.stages[0].name);
    Ok(vec![
        Check::new(&m.name, "time in system (h)", a.time_in_system, &w[0]),
        Check::new(&m.name, &first, a.first_stage, &w[1]),
        Check::new(&m.name, "declined per hour", lambda * a.p_declined, &w[2]),
    ])
}

// ----- reporting --------------------------------------------------------------------------------

/// A fixed-width table of checks: case, metric, analytic, simulated mean, 99% interval,
/// half-width and pass/fail.
pub fn table(checks: &[Check]) -> String {
    let mut rows = vec![[
        "case".to_string(),
        "metric".to_string(),
        "analytic".to_string(),
        "simulated".to_string(),
        "99% interval".to_string(),
        "±%".to_string(),
        "result".to_string(),
    ]];
    for c in checks {
        rows.push([
            c.case.clone(),
            c.metric.clone(),
            format!("{:.4}", c.analytic),
            format!("{:.4}", c.simulated_mean),
            format!("[{:.4}, {:.4}]", c.ci99_low, c.ci99_high),
            format!("{:.2}", c.half_width_pct),
            if c.pass { "pass" } else { "FAIL" }.to_string(),
        ]);
    }
    let widths: Vec<usize> = (0..7)
        .map(|k| rows.iter().map(|r| r[k].chars().count()).max().unwrap_or(0))
        .collect();
    let mut out = String::new();
    for (i, r) in rows.iter().enumerate() {
        let mut line = String::new();
        for (k, txt) in r.iter().enumerate() {
            if k < 2 {
                line.push_str(&format!("{txt:<w$}  ", w = widths[k]));
            } else {
                line.push_str(&format!("{txt:>w$}  ", w = widths[k]));
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
        if i == 0 {
            out.push_str(&"-".repeat(widths.iter().sum::<usize>() + 2 * 6));
            out.push('\n');
        }
    }
    out
}

/// Writes the checks as CSV (one row per check, header first).
///
/// # Errors
/// The file cannot be written.
pub fn write_csv(checks: &[Check], path: &Path) -> Result<(), csv::Error> {
    let mut w = csv::Writer::from_path(path)?;
    for c in checks {
        w.serialize(c)?;
    }
    w.flush()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_case_loads() {
        for c in CASES {
            c.scenario().unwrap();
        }
    }
}
