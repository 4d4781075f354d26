//! The run-time resource guard: refuse a run whose predicted work or memory is beyond what the
//! user allowed (`--max-events`, `--max-memory-mb`), before anything is simulated.
//!
//! Why this exists: `--reps 1000000` on a long horizon, or a sweep over a big grid, can ask for
//! days of computing. Loading a scenario already rejects a single replication that is absurd
//! (`scenario::limits`); this guard looks at the whole run (replications x policies x points)
//! with limits that the user can raise, or skip with `--force`. Per-replication output streams
//! to disk and aggregates are bounded sketches, so memory depends on the workers and the
//! horizon, not on the number of replications.

use crate::metrics::{N_WEEKLY_FIXED, catalogue};
use crate::scenario::{Scenario, estimate_work};
use crate::stats::SKETCH_EXACT;

/// Default `--max-events`: engine events for the whole run. The largest shipped scenario at its
/// default replications needs about 5e6, and 100,000 replications of the reference scenario
/// about 2.7e9; at several million events per second per core, 2e10 is hours of computing.
pub const DEFAULT_MAX_EVENTS: f64 = 2e10;
/// Default `--max-memory-mb`: predicted peak memory (MiB). Shipped scenarios need a few MiB, and
/// 100,000 replications of the reference scenario about 50 (output streams to disk).
pub const DEFAULT_MAX_MEMORY_MB: f64 = 4096.0;

/// Limits a run must stay within.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Limits {
    /// Most engine events for the whole run (events).
    pub max_events: f64,
    /// Most predicted peak memory (MiB).
    pub max_memory_mb: f64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_events: DEFAULT_MAX_EVENTS,
            max_memory_mb: DEFAULT_MAX_MEMORY_MB,
        }
    }
}

/// What a run needs, predicted.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Need {
    /// Engine events for the whole run (events).
    pub events: f64,
    /// Peak memory (bytes): every worker's workspace plus the aggregates.
    pub bytes: f64,
}

/// Heap bytes of one percentile sketch after `reps` observations (exact values, with the
/// vector's spare capacity, up to [`SKETCH_EXACT`]; then buckets over a few decades).
fn sketch_bytes(reps: u64) -> f64 {
    16.0 * reps.min(SKETCH_EXACT as u64) as f64 + 64.0
}

/// Predicts the events and peak memory of `reps` replications of every policy of `sc` on
/// `workers` worker threads.
pub fn need(sc: &Scenario, reps: u64, workers: usize) -> Need {
    let e = estimate_work(sc, reps);
    let m = &sc.model;
    let series = (N_WEEKLY_FIXED + m.stages.len()) as f64;
    let metrics = catalogue(m).len() as f64;
    // Per policy: a sketch per metric, a paired-difference sketch per metric, a sketch per
    // week and series; the weekly ones of a long run spill to disk, leaving a block in memory.
    let policies = sc.policies.len() as f64;
    let sketches = policies * 2.0 * metrics * sketch_bytes(reps);
    let weekly = if crate::experiment::spills(sc) {
        crate::experiment::block_bytes(reps) as f64
    } else {
        policies * m.weeks() as f64 * series * sketch_bytes(reps)
    };
    Need {
        events: e.events,
        bytes: e.bytes_per_worker * workers.max(1) as f64 + sketches + weekly,
    }
}

/// Refuses a run beyond `limits`, saying the estimate and how to proceed.
///
/// # Errors
/// A message for the user (exit code 2).
pub fn check(what: &str, need: Need, limits: Limits) -> Result<(), String> {
    let mb = need.bytes / (1024.0 * 1024.0);
    let mut over = Vec::new();
    if need.events.is_nan() || need.events > limits.max_events {
        over.push(format!(
            "about {:.1e} simulation events, beyond --max-events {:.1e}",
            need.events, limits.max_events
        ));
    }
    if mb.is_nan() || mb > limits.max_memory_mb {
        over.push(format!(
            "about {mb:.0} MiB of memory, beyond --max-memory-mb {:.0}",
            limits.max_memory_mb
        ));
    }
    if over.is_empty() {
        return Ok(());
    }
    Err(format!(
        "{what}: this run would need {}. Use fewer replications (--reps), a shorter horizon \
         (--set run.horizon_weeks=...), fewer policies or threads, raise the limit, or run it \
         anyway with --force.",
        over.join(" and ")
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::{REFERENCE, REFERENCE_NAME, load_file, load_str};

    #[test]
    fn a_long_run_counts_its_spilled_weekly_series_as_one_block() {
        let text = std::fs::read_to_string("scenarios/validation/mm1-rho50.toml").unwrap();
        let at = |weeks: u32| {
            let t = text.replace("horizon_weeks = 2000", &format!("horizon_weeks = {weeks}"));
            load_str(&t, "mm1").unwrap()
        };
        let long = at(6614);
        assert!(crate::experiment::spills(&long));
        // The aggregates' share of the prediction, beside one worker's workspace.
        let aggregates = |sc: &Scenario| {
            need(sc, 10, 1).bytes - crate::scenario::estimate_work(sc, 10).bytes_per_worker
        };
        // What the weekly sketches alone would take in memory.
        let series = (N_WEEKLY_FIXED + long.model.stages.len()) as f64;
        let whole = 6614.0 * series * sketch_bytes(10);
        assert!(aggregates(&long) < whole / 10.0, "{}", aggregates(&long));
        // and it no longer grows with the horizon.
        assert_eq!(aggregates(&long), aggregates(&at(2 * 6614)));
    }

    #[test]
    fn shipped_scenarios_pass_the_default_limits() {
        let mut worst = Need::default();
        for entry in std::fs::read_dir("scenarios").unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_none_or(|x| x != "toml") {
                continue;
            }
            let sc = load_file(&path).unwrap();
            let n = need(&sc, u64::from(sc.settings.replications), 16);
            assert!(check("x", n, Limits::default()).is_ok(), "{path:?}: {n:?}");
            // Comfortably: ten times the work still passes.
            assert!(n.events * 10.0 < DEFAULT_MAX_EVENTS, "{path:?}: {n:?}");
            worst.events = worst.events.max(n.events);
            worst.bytes = worst.bytes.max(n.bytes);
        }
        assert!(worst.events > 0.0);
    }

    #[test]
    fn a_hundred_thousand_reference_replications_fit_in_memory() {
        let sc = load_str(REFERENCE, REFERENCE_NAME).unwrap();
        let n = need(&sc, 100_000, 64);
        assert!(n.bytes / 1048576.0 < DEFAULT_MAX_MEMORY_MB / 10.0, "{n:?}");
        assert!(n.events < DEFAULT_MAX_EVENTS, "{n:?}");
    }

    #[test]
    fn refusal_states_the_estimate_and_the_ways_on() {
        let sc = load_str(REFERENCE, REFERENCE_NAME).unwrap();
        let n = need(&sc, 1_000_000, 4);
        let e = check("small-team", n, Limits::default()).unwrap_err();
        for part in [
            "simulation events",
            "--max-events",
            "--reps",
            "horizon_weeks",
            "--force",
        ] {
            assert!(e.contains(part), "{part}: {e}");
        }
        let tight = Limits {
            max_events: 1e20,
            max_memory_mb: 0.001,
        };
        let e = check("small-team", n, tight).unwrap_err();
        assert!(e.contains("MiB") && !e.contains("--max-events 1"), "{e}");
    }
}
