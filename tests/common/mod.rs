//! Helpers shared by the integration tests and the engine benchmark: loading a scenario,
//! finding a policy, running replications (audited, traced, or plain), paired differences, and
//! driving the flowsim binary in a temporary folder.
//!
//! Each test crate includes this file with `mod common;` and uses only part of it.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use flowsim::engine::{Trace, Workspace, simulate, simulate_audited};
use flowsim::experiment::{Aggregates, run_replications, with_threads};
use flowsim::metrics::RepResult;
use flowsim::policy::Policy;
use flowsim::rng::Streams;
use flowsim::scenario::{Scenario, load_str};
use flowsim::stats::Welford;
use tempfile::TempDir;

/// Loads a scenario from its text; a scenario error fails the test with its message.
pub fn load(text: &str, origin: &str) -> Scenario {
    load_str(text, origin).unwrap_or_else(|e| panic!("{e}"))
}

/// The policy of `sc` called `name`.
pub fn policy<'a>(sc: &'a Scenario, name: &str) -> &'a Policy {
    sc.policies
        .iter()
        .find(|p| p.name == name)
        .unwrap_or_else(|| panic!("{}: no policy {name}", sc.origin))
}

/// Replications `0..n` of policy `p` under the scenario's seed, without the audit.
pub fn replications(sc: &Scenario, p: &Policy, n: u64) -> Vec<RepResult> {
    let mut ws = Workspace::default();
    (0..n)
        .map(|r| simulate(&sc.model, p, Streams::new(sc.settings.seed, r), &mut ws))
        .collect()
}

/// Replication `rep` of policy `p` under the scenario's seed, with every invariant checked
/// after every event; a broken invariant fails the test naming the scenario, policy and
/// replication.
pub fn audited(sc: &Scenario, p: &Policy, rep: u64, ws: &mut Workspace) -> RepResult {
    simulate_audited(&sc.model, p, Streams::new(sc.settings.seed, rep), ws)
        .unwrap_or_else(|e| panic!("{} {} rep {rep}: {e}", sc.origin, p.name))
}

/// Replications `0..n` of policy `p`, each [`audited`].
pub fn audited_replications(sc: &Scenario, p: &Policy, n: u64) -> Vec<RepResult> {
    let mut ws = Workspace::default();
    (0..n).map(|r| audited(sc, p, r, &mut ws)).collect()
}

/// One audited replication of policy `p` drawn from `streams`, with the engine's trace.
pub fn traced(sc: &Scenario, p: &Policy, streams: Streams) -> (RepResult, Vec<Trace>) {
    let mut ws = Workspace::default();
    ws.trace = Some(Vec::new());
    let r = simulate_audited(&sc.model, p, streams, &mut ws)
        .unwrap_or_else(|e| panic!("{} {}: {e}", sc.origin, p.name));
    (r, ws.trace.take().expect("the trace was switched on"))
}

/// The mean of paired differences (taken in the order given) and its 95% Student-t interval:
/// `(mean, low, high)`.
pub fn paired_interval(diffs: impl IntoIterator<Item = f64>) -> (f64, f64, f64) {
    let mut w = Welford::default();
    diffs.into_iter().for_each(|d| w.push(d));
    let (lo, hi) = w.interval(0.95).expect("enough pairs");
    (w.mean().unwrap(), lo, hi)
}

/// A small team on a two-stage board (two developers, a tester who can also develop; flow
/// with a system limit of 4): quick, but with every source of variation.
pub fn tiny_scenario(horizon_weeks: u32, replications: u32) -> String {
    format!(
        r#"
name = "tiny"
[run]
horizon_weeks = {horizon_weeks}
warmup_weeks = 1
replications = {replications}
seed = 7
policies = ["pull", "flow"]
[arrivals]
process = "poisson"
rate_per_week = 6
initial_backlog = 3
[[stages]]
name = "dev"
effort = {{ dist = "lognormal", mean = 6.0, sd = 4.0 }}
wip_limit = 3
[[stages]]
name = "test"
effort = {{ dist = "exponential", mean = 3.0 }}
wip_limit = 2
[team.dev]
count = 2
skills = {{ dev = 1.0 }}
[team.tester]
count = 1
skills = {{ test = 1.0, dev = 0.5 }}
[policies.flow]
system_wip_limit = 4
replenish_every_hours = 24
"#
    )
}

/// A fresh temporary folder holding `files` (name and text).
pub fn folder_with(files: &[(&str, &str)]) -> TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (name, text) in files {
        std::fs::write(dir.path().join(name), text).unwrap();
    }
    dir
}

/// The flowsim binary, run in `dir`, blind to the environment variables that pick a shard
/// (`--shard auto`), so a test sees the same whatever machine runs it.
pub fn flowsim(dir: &Path) -> assert_cmd::Command {
    let mut c = assert_cmd::Command::cargo_bin("flowsim").unwrap();
    c.current_dir(dir);
    for v in [
        "SLURM_ARRAY_TASK_ID",
        "SLURM_ARRAY_TASK_COUNT",
        "SLURM_ARRAY_TASK_MIN",
        "SLURM_ARRAY_TASK_STEP",
        "JOB_COMPLETION_INDEX",
        "FLOWSIM_SHARDS",
    ] {
        c.env_remove(v);
    }
    c
}

/// A file's text; a missing or unreadable file fails the test naming it.
pub fn read(p: impl AsRef<Path>) -> String {
    std::fs::read_to_string(p.as_ref()).unwrap_or_else(|e| panic!("{}: {e}", p.as_ref().display()))
}

/// Every file under `dir`, relative to it, sorted.
pub fn files(dir: &Path) -> Vec<PathBuf> {
    fn walk(base: &Path, d: &Path, out: &mut Vec<PathBuf>) {
        for e in std::fs::read_dir(d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                walk(base, &p, out);
            } else {
                out.push(p.strip_prefix(base).unwrap().to_path_buf());
            }
        }
    }
    let mut v = Vec::new();
    walk(dir, dir, &mut v);
    v.sort();
    v
}

/// Runs replications `0..reps` of every policy on `threads` worker threads (`None`: all
/// cores) and aggregates them as `flowsim run` does, without writing files; returns the
/// replications aggregated.
pub fn aggregate(sc: &Scenario, reps: u64, threads: Option<usize>) -> u64 {
    with_threads(threads, || {
        let mut agg = Aggregates::new(sc);
        run_replications(sc, 0..reps, &|| {}, |_, r| {
            agg.add(&r);
            Ok::<(), ()>(())
        })
        .expect("the sink never fails");
        std::hint::black_box(agg.reps)
    })
    .expect("a thread pool")
}

/// The scenario of issue 14's bug 1: rework from test to dev while dev has a check of its own
/// (nested rework), 5 cards a week arriving. It deadlocked before the fix (0.11 cards a week).
pub const NESTED_REWORK: &str = r#"
name = "nested"
[run]
horizon_weeks = 30
warmup_weeks = 2
seed = 1
policies = ["pull", "push", "flow"]
[arrivals]
process = "poisson"
rate_per_week = 5
[[stages]]
name = "dev"
effort = { dist = "lognormal", mean = 6.0, sd = 3.0 }
rework = { probability = 0.3, to = "dev", effort_share = 0.5 }
[[stages]]
name = "test"
effort = { dist = "lognormal", mean = 3.0, sd = 1.5 }
wip_limit = 1
rework = { probability = 0.3, to = "dev", effort_share = 0.5 }
[team.dev]
count = 2
skills = { dev = 1.0 }
[team.tester]
count = 1
skills = { test = 1.0 }
"#;

/// An M/M/1 queue at utilisation 0.8 through the general engine (24/7, 1,000 weeks).
pub const MM1: &str = r#"
name = "mm1"
[run]
horizon_weeks = 1000
policies = ["fifo"]
[calendar]
mode = "24/7"
[arrivals]
process = "poisson"
rate_per_hour = 0.8
[[stages]]
name = "serve"
effort = { dist = "exponential", mean = 1.0 }
[team.server]
skills = { serve = 1.0 }
[policies.fifo]
preset = "pull"
"#;

/// The median of `v` (sorted in place); benchmarks report medians of alternating rounds.
pub fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}
