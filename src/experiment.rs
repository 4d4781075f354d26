//! Experiments: many replications of a scenario under each of its policies, aggregated online.
//!
//! This module is where parallelism lives (the engine is single-threaded) and where the rules
//! that keep results reproducible are enforced:
//!
//! - Replication `r` of every policy uses `Streams::new(seed, r)`: the same arrivals, efforts
//!   and personal draws for every policy (common random numbers), whatever thread runs it.
//! - Replications run in parallel with rayon in chunks of [`CHUNK`]; each chunk's results are
//!   collected in index order and handed to the caller sequentially. Every aggregate is fed in
//!   replication order, never reduced in parallel, so the same seed gives the same bytes
//!   whatever the thread count.
//! - Aggregates are online (Welford, bounded quantile sketches): memory does not grow with the
//!   number of replications; per-replication rows go to disk as each chunk completes.

use std::sync::atomic::{AtomicBool, Ordering};

use rayon::prelude::*;

use crate::engine::{Workspace, simulate};
use crate::metrics::{HISTOGRAM_BUCKETS, MetricInfo, RepResult, catalogue, weekly_catalogue};
use crate::rng::Streams;
use crate::scenario::Scenario;
use crate::stats::{ExactSum, Paired, QuantileSketch, Summary, Welford};

/// Replications run in parallel per chunk; results are handed on in order between chunks.
pub const CHUNK: u64 = 256;

/// Runs replications `reps` of every policy. For each replication, in replication order,
/// calls `sink(rep, results)` with one result per policy in policy order. `on_done` is called
/// from worker threads once per finished replication (for progress bars).
///
/// # Errors
/// The first error the sink returns; the remaining replications are not run.
pub fn run_replications<E>(
    sc: &Scenario,
    reps: std::ops::Range<u64>,
    on_done: &(dyn Fn() + Sync),
    sink: impl FnMut(u64, Vec<RepResult>) -> Result<(), E>,
) -> Result<(), E> {
    let never = AtomicBool::new(false);
    run_replications_until(sc, reps, &never, on_done, sink).map(|_| ())
}

/// Like [`run_replications`], but stops early once `stop` is set (e.g. by Ctrl-C): workers
/// check the flag before starting each replication, so they stop within one replication.
///
/// The replications handed to `sink` are always a prefix `reps.start..reps.start + n` of the
/// range, with no gaps: a replication that finished after an earlier one was skipped is dropped,
/// so a partial result is still a pure function of (scenario, seed, n).
///
/// # Errors
/// The first error the sink returns; the remaining replications are not run.
pub fn run_replications_until<E>(
    sc: &Scenario,
    reps: std::ops::Range<u64>,
    stop: &AtomicBool,
    on_done: &(dyn Fn() + Sync),
    sink: impl FnMut(u64, Vec<RepResult>) -> Result<(), E>,
) -> Result<Progress, E> {
    run_replications_recording(sc, reps, stop, false, on_done, sink)
}

/// Like [`run_replications_until`]; with `record_cards`, each result also holds its cards'
/// records (`RepResult::cards`, for `cards.csv`). Memory holds at most one chunk of
/// replications' records at a time.
///
/// # Errors
/// The first error the sink returns; the remaining replications are not run.
pub fn run_replications_recording<E>(
    sc: &Scenario,
    reps: std::ops::Range<u64>,
    stop: &AtomicBool,
    record_cards: bool,
    on_done: &(dyn Fn() + Sync),
    mut sink: impl FnMut(u64, Vec<RepResult>) -> Result<(), E>,
) -> Result<Progress, E> {
    let seed = sc.settings.seed;
    let mut start = reps.start;
    while start < reps.end && !stop.load(Ordering::Relaxed) {
        let end = (start + CHUNK).min(reps.end);
        let chunk: Vec<Option<Vec<RepResult>>> = (start..end)
            .into_par_iter()
            .map_init(Workspace::default, |ws, rep| {
                if stop.load(Ordering::Relaxed) {
                    return None;
                }
                let streams = Streams::new(seed, rep);
                ws.record_cards = record_cards;
                let r = sc
                    .policies
                    .iter()
                    .map(|p| simulate(&sc.model, p, streams, ws))
                    .collect();
                on_done();
                Some(r)
            })
            .collect();
        for (i, per_policy) in chunk.into_iter().enumerate() {
            let Some(per_policy) = per_policy else {
                return Ok(Progress {
                    done: start + i as u64 - reps.start,
                    stopped: true,
                });
            };
            sink(start + i as u64, per_policy)?;
        }
        start = end;
    }
    Ok(Progress {
        done: start - reps.start,
        stopped: start < reps.end,
    })
}

/// How far [`run_replications_until`] got.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress {
    /// Replications handed to the sink (a prefix of the range).
    pub done: u64,
    /// Whether the stop flag ended the run before the whole range ran.
    pub stopped: bool,
}

/// Runs `f` on a dedicated rayon pool of `threads` threads (all cores when `None` or 0).
///
/// # Errors
/// The pool cannot be built (e.g. the system refuses threads).
pub fn with_threads<R: Send>(
    threads: Option<usize>,
    f: impl FnOnce() -> R + Send,
) -> Result<R, rayon::ThreadPoolBuildError> {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads.unwrap_or(0))
        .build()?;
    Ok(pool.install(f))
}

/// What a command line may change in a loaded scenario before it runs: the replications, the
/// seed and the policies (by name: the scenario's own, else a preset).
#[derive(Debug, Clone, Default)]
pub struct RunOverrides {
    /// Replications per policy.
    pub replications: Option<u32>,
    /// Master seed.
    pub seed: Option<u64>,
    /// Policies to run, in order; the first is the baseline.
    pub policies: Option<Vec<String>>,
}

impl RunOverrides {
    /// Applies the settings to `sc`.
    ///
    /// # Errors
    /// Replications out of range, a policy name neither the scenario nor a preset defines, or
    /// no policy left to run; in words that name the flag.
    pub fn apply(&self, sc: &mut Scenario) -> Result<(), String> {
        if let Some(r) = self.replications {
            if r == 0 {
                return Err("--reps must be at least 1.".into());
            }
            if r > crate::limits::MAX_REPLICATIONS {
                return Err(format!(
                    "--reps {r} is beyond the limit of {}; a few hundred replications give tight \
                     confidence intervals.",
                    crate::limits::MAX_REPLICATIONS
                ));
            }
            sc.settings.replications = r;
        }
        if let Some(s) = self.seed {
            sc.settings.seed = s;
        }
        if let Some(names) = &self.policies {
            sc.policies = names
                .iter()
                .map(|n| policy_named(sc, n))
                .collect::<Result<_, _>>()?;
        }
        if sc.policies.is_empty() {
            return Err(format!(
                "{}: no policy to run; list at least one in run.policies or with --policies",
                sc.origin
            ));
        }
        Ok(())
    }
}

/// The scenario's policy called `name`, else the preset of that name.
fn policy_named(sc: &Scenario, name: &str) -> Result<crate::policy::Policy, String> {
    if let Some(p) = sc.policies.iter().find(|p| p.name == name) {
        return Ok(p.clone());
    }
    crate::policy::Policy::preset(name, sc.model.stages.len(), sc.model.people.len()).ok_or_else(
        || {
            let known: Vec<&str> = sc.policies.iter().map(|p| p.name.as_str()).collect();
            format!(
                "--policies: `{name}` is neither a preset nor a policy of {}; known: {}",
                sc.origin,
                known.join(", ")
            )
        },
    )
}

/// One metric of one policy across replications.
#[derive(Debug, Clone, Default)]
pub struct MetricAgg {
    /// Mean and variance of the defined values.
    pub welford: Welford,
    /// Percentiles of the defined values.
    pub sketch: QuantileSketch,
    /// Replications where the metric was undefined.
    pub undefined: u64,
}

impl MetricAgg {
    fn push(&mut self, v: Option<f64>) {
        match v {
            Some(x) if x.is_finite() => {
                self.welford.push(x);
                self.sketch.push(x);
            }
            _ => self.undefined += 1,
        }
    }

    /// Mean, 95% interval and percentiles.
    pub fn summary(&self) -> Summary {
        Summary {
            n: self.welford.n(),
            mean: self.welford.mean(),
            ci95: self.welford.interval(0.95),
            p05: self.sketch.quantile(0.05),
            p50: self.sketch.quantile(0.50),
            p95: self.sketch.quantile(0.95),
        }
    }
}

/// One weekly series of one policy in one week, across replications.
///
/// Both parts merge exactly (an exact sum and a mergeable sketch), so partial aggregates of
/// disjoint replication ranges (shards) combine into the same bytes as one run.
#[derive(Debug, Clone, Default)]
pub struct WeeklyAgg {
    /// Sum across replications, exact until rounded.
    pub sum: ExactSum,
    /// Percentiles across replications (and the count).
    pub sketch: QuantileSketch,
}

impl WeeklyAgg {
    /// Mean across replications; `None` without observations.
    pub fn mean(&self) -> Option<f64> {
        let n = self.sketch.n();
        (n > 0).then(|| self.sum.value() / n as f64)
    }

    /// Adds the observations of another aggregate (e.g. another shard's).
    pub fn merge(&mut self, other: &WeeklyAgg) {
        self.sum.merge(&other.sum);
        self.sketch.merge(&other.sketch);
    }
}

/// Everything an experiment keeps in memory: online aggregates, fed in replication order.
#[derive(Debug, Clone)]
pub struct Aggregates {
    /// Metric catalogue, in column order.
    pub metrics: Vec<MetricInfo>,
    /// Weekly series catalogue (name, unit), in order.
    pub weekly_series: Vec<(String, &'static str)>,
    /// Policy names; the first is the baseline of the paired differences.
    pub policies: Vec<String>,
    /// Weeks in each weekly series.
    pub weeks: usize,
    /// Replications added.
    pub reps: u64,
    /// `[policy][metric]`.
    pub per_metric: Vec<Vec<MetricAgg>>,
    /// Every pair of policies compared, as `(policy, against)` indices: first each policy
    /// against the baseline (in policy order), then each later pair in policy order.
    pub pairs: Vec<(usize, usize)>,
    /// `[pair][metric]`: `policy - against` per replication, for each of [`Self::pairs`].
    pub paired: Vec<Vec<Paired>>,
    /// `[policy][week * series + s]`.
    pub weekly: Vec<Vec<WeeklyAgg>>,
    /// `[policy][week * series + s]` of the first replication added (replication 1 of a run):
    /// the run chart one real board would show. Empty until a replication with weekly series
    /// is added.
    pub first: Vec<Vec<f64>>,
    /// `[policy][measure][bucket]`: cards finished after warm-up, summed over replications,
    /// per histogram bucket ([`crate::metrics::bucket_edges`]); measure 0 is lead time, 1 cycle
    /// time. Integer counts, so partial sums (shards) add up exactly.
    pub card_times: Vec<[Vec<u64>; 2]>,
}

/// Every pair of `n` policies as `(policy, against)`: each later policy against the baseline
/// first (the pairs the headlines lead with), then `(j, i)` for `0 < i < j` in order.
pub fn policy_pairs(n: usize) -> Vec<(usize, usize)> {
    (0..n)
        .flat_map(|i| (i + 1..n).map(move |j| (j, i)))
        .collect()
}

impl Aggregates {
    /// Empty aggregates for a scenario.
    pub fn new(sc: &Scenario) -> Self {
        let metrics = catalogue(&sc.model);
        let weekly_series = weekly_catalogue(&sc.model);
        let weeks = sc.model.weeks();
        let np = sc.policies.len();
        let pairs = policy_pairs(np);
        Aggregates {
            per_metric: vec![vec![MetricAgg::default(); metrics.len()]; np],
            paired: vec![vec![Paired::default(); metrics.len()]; pairs.len()],
            pairs,
            weekly: vec![vec![WeeklyAgg::default(); weeks * weekly_series.len()]; np],
            first: vec![Vec::new(); np],
            card_times: vec![[vec![0; HISTOGRAM_BUCKETS], vec![0; HISTOGRAM_BUCKETS]]; np],
            metrics,
            weekly_series,
            policies: sc.policies.iter().map(|p| p.name.clone()).collect(),
            weeks,
            reps: 0,
        }
    }

    /// Adds one replication: one result per policy, in policy order.
    pub fn add(&mut self, results: &[RepResult]) {
        let first = self.reps == 0;
        self.reps += 1;
        for (pair, &(k, against)) in self.paired.iter_mut().zip(&self.pairs) {
            let (base, r) = (&results[against], &results[k]);
            for (m, d) in pair.iter_mut().enumerate() {
                if let (Some(x), Some(y)) = (base.values[m], r.values[m])
                    && x.is_finite()
                    && y.is_finite()
                {
                    d.push(x, y);
                }
            }
        }
        for (k, r) in results.iter().enumerate() {
            if first {
                self.first[k].clone_from(&r.weekly);
            }
            for (hist, buckets) in self.card_times[k].iter_mut().zip(&r.card_times) {
                for &(i, n) in buckets {
                    if let Some(c) = hist.get_mut(i as usize) {
                        *c += u64::from(n);
                    }
                }
            }
            for (m, &v) in r.values.iter().enumerate() {
                self.per_metric[k][m].push(v);
            }
            for (i, &v) in r.weekly.iter().enumerate().take(self.weekly[k].len()) {
                if v.is_finite() {
                    self.weekly[k][i].sum.add(v);
                    self.weekly[k][i].sketch.push(v);
                }
            }
        }
    }

    /// Summary of metric `m` under policy `k`.
    pub fn summary(&self, k: usize, m: usize) -> Summary {
        self.per_metric[k][m].summary()
    }

    /// The paired differences `policy - against` of metric `m`, if that pair is compared.
    pub fn paired(&self, k: usize, against: usize, m: usize) -> Option<&Paired> {
        let i = self.pairs.iter().position(|&p| p == (k, against))?;
        Some(&self.paired[i][m])
    }

    /// Index of a metric by name.
    pub fn metric_index(&self, name: &str) -> Option<usize> {
        self.metrics.iter().position(|i| i.name == name)
    }
}
