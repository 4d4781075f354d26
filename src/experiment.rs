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

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use rayon::prelude::*;

use crate::engine::{Workspace, simulate};
use crate::metrics::{HISTOGRAM_BUCKETS, MetricInfo, RepResult, catalogue, weekly_catalogue};
use crate::rng::Streams;
use crate::scenario::Scenario;
use crate::stats::{ExactSum, Paired, QuantileSketch, Summary, Welford};

mod spill;
pub use crate::engine::WeeklySink;
pub use spill::{BLOCK_BYTES, RowWriter, Spill, SpillError, block_bytes, cell_bytes};

/// Replications run in parallel per chunk, at most; a chunk's results are handed on in order
/// while the next chunk is simulated (two chunks at most at a time). A chunk is shorter when its replications' results would take more than
/// [`CHUNK_BYTES`] (long horizons), but never shorter than the worker threads.
pub const CHUNK: u64 = 256;

/// Memory the results of one chunk of replications may take while they wait to be handed on
/// in order (bytes; see [`chunk_len`]): 32 MiB, two chunks at a time.
pub const CHUNK_BYTES: u64 = 32 * 1024 * 1024;

/// Replications per chunk: [`CHUNK`], fewer when each replication's results (`bytes_per_rep`
/// bytes) would take more than [`CHUNK_BYTES`] together, never fewer than `threads`.
pub fn chunk_len(bytes_per_rep: u64, threads: usize) -> u64 {
    (CHUNK_BYTES / bytes_per_rep.max(1)).clamp((threads as u64).clamp(1, CHUNK), CHUNK)
}

/// Bytes one replication's results hold while they wait in a chunk: the weekly series of
/// every policy unless `weekly_taken` (a [`Spill`] took them on the worker thread), the cards'
/// records when `record_cards` (`run --cards`: the cards expected to arrive), plus a kilobyte
/// of metrics.
fn rep_bytes(sc: &Scenario, weekly_taken: bool, record_cards: bool) -> u64 {
    let weekly = if weekly_taken {
        0
    } else {
        sc.model.weeks() * weekly_catalogue(&sc.model).len() * std::mem::size_of::<f64>()
    };
    let cards = if record_cards {
        let per_card = std::mem::size_of::<crate::metrics::CardRecord>() as f64;
        (crate::scenario::estimate_work(sc, 1).cards_per_rep * per_card).min(1e15) as u64
    } else {
        0
    };
    sc.policies.len() as u64 * (weekly as u64 + cards + 1024)
}

/// Bytes of weekly aggregates above which a simulating run spills them to disk
/// ([`Aggregates::spilled`]): 8 MiB, or the internal knob `FLOWSIM_SPILL_ABOVE_BYTES` (tests
/// set 0 to force the spill, or a large value to keep everything in memory, and compare the
/// bytes).
pub fn spill_above_bytes() -> u64 {
    std::env::var("FLOWSIM_SPILL_ABOVE_BYTES")
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(8 * 1024 * 1024)
}

/// Whether a simulating run of `sc` spills its weekly aggregates.
pub fn spills(sc: &Scenario) -> bool {
    Aggregates::weekly_bytes(sc) > spill_above_bytes()
}

/// Called on the worker thread before replication `rep` of policy `k` (the policy's index)
/// runs: where its weekly rows go as each week closes (e.g. [`Spill::row_writer`]), if not
/// into its result. The replication then never holds its whole weekly series.
pub type Prepare<'a> = &'a (dyn Fn(u64, usize) -> Option<Box<dyn WeeklySink>> + Sync);

/// Runs replications `reps` of every policy. For each replication, in replication order,
/// calls `sink(rep, results)` with one result per policy in policy order. `on_done` is called
/// from worker threads once per finished replication (for progress bars).
///
/// # Errors
/// The first error the sink returns; the remaining replications are not run.
pub fn run_replications<E: Send>(
    sc: &Scenario,
    reps: std::ops::Range<u64>,
    on_done: &(dyn Fn() + Sync),
    sink: impl FnMut(u64, Vec<RepResult>) -> Result<(), E> + Send,
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
pub fn run_replications_until<E: Send>(
    sc: &Scenario,
    reps: std::ops::Range<u64>,
    stop: &AtomicBool,
    on_done: &(dyn Fn() + Sync),
    sink: impl FnMut(u64, Vec<RepResult>) -> Result<(), E> + Send,
) -> Result<Progress, E> {
    run_replications_recording(sc, reps, stop, false, on_done, sink)
}

/// Like [`run_replications_until`]; with `record_cards`, each result also holds its cards'
/// records (`RepResult::cards`, for `cards.csv`). Memory holds at most one chunk of
/// replications' records at a time.
///
/// # Errors
/// The first error the sink returns; the remaining replications are not run.
pub fn run_replications_recording<E: Send>(
    sc: &Scenario,
    reps: std::ops::Range<u64>,
    stop: &AtomicBool,
    record_cards: bool,
    on_done: &(dyn Fn() + Sync),
    sink: impl FnMut(u64, Vec<RepResult>) -> Result<(), E> + Send,
) -> Result<Progress, E> {
    run_replications_prepared(sc, reps, stop, record_cards, None, on_done, sink)
}

/// Like [`run_replications_recording`], with `prepare` called on the worker thread for each
/// replication's results before they wait for their turn (see [`Prepare`]).
///
/// # Errors
/// The first error the sink returns; the remaining replications are not run.
pub fn run_replications_prepared<E: Send>(
    sc: &Scenario,
    reps: std::ops::Range<u64>,
    stop: &AtomicBool,
    record_cards: bool,
    prepare: Option<Prepare<'_>>,
    on_done: &(dyn Fn() + Sync),
    mut sink: impl FnMut(u64, Vec<RepResult>) -> Result<(), E> + Send,
) -> Result<Progress, E> {
    let seed = sc.settings.seed;
    let chunk = chunk_len(
        rep_bytes(sc, prepare.is_some(), record_cards),
        rayon::current_num_threads(),
    );
    let simulate_chunk = |range: std::ops::Range<u64>| -> Vec<Option<Vec<RepResult>>> {
        range
            .into_par_iter()
            .map_init(Workspace::default, |ws, rep| {
                if stop.load(Ordering::Relaxed) {
                    return None;
                }
                let streams = Streams::new(seed, rep);
                ws.record_cards = record_cards;
                let r: Vec<RepResult> = sc
                    .policies
                    .iter()
                    .enumerate()
                    .map(|(k, p)| {
                        ws.weekly_sink = prepare.and_then(|sink_for| sink_for(rep, k));
                        simulate(&sc.model, p, streams, ws)
                    })
                    .collect();
                on_done();
                Some(r)
            })
            .collect()
    };
    // The calling thread hands on one chunk, in replication order, while the workers simulate
    // the next (`rayon::join`: the thread that finishes handing on joins the simulation), so
    // aggregating and writing never leave the workers idle.
    let mut start = reps.start;
    let mut waiting: Option<(u64, Vec<Option<Vec<RepResult>>>)> = None;
    loop {
        let next = (start < reps.end && !stop.load(Ordering::Relaxed))
            .then(|| start..(start + chunk).min(reps.end));
        if next.is_none() && waiting.is_none() {
            break;
        }
        let handing = waiting.take();
        let hand_on = || -> Result<Option<Progress>, E> {
            let Some((first, results)) = handing else {
                return Ok(None);
            };
            for (i, per_policy) in results.into_iter().enumerate() {
                let Some(per_policy) = per_policy else {
                    return Ok(Some(Progress {
                        done: first + i as u64 - reps.start,
                        stopped: true,
                    }));
                };
                sink(first + i as u64, per_policy)?;
            }
            Ok(None)
        };
        let (simulated, handed) = rayon::join(
            || next.clone().map(|r| (r.start, simulate_chunk(r))),
            hand_on,
        );
        if let Some(done) = handed? {
            return Ok(done);
        }
        if let Some(r) = next {
            start = r.end;
        }
        waiting = simulated;
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

fn released() -> SpillError {
    SpillError {
        path: std::path::PathBuf::from("(weekly spill)"),
        source: std::io::Error::other("the weekly series were already written and released"),
    }
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

    /// Adds one replication's value; non-finite values are skipped.
    pub fn push(&mut self, v: f64) {
        if v.is_finite() {
            self.sum.add(v);
            self.sketch.push(v);
        }
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
    /// `[policy][week * series + s]`; empty per policy when the series are spilled (read them
    /// with [`Aggregates::for_each_week`], which serves both).
    pub weekly: Vec<Vec<WeeklyAgg>>,
    /// `[policy][week * series + s]` of the first replication added (replication 1 of a run):
    /// the run chart one real board would show. Empty until a replication with weekly series
    /// is added, and when the series are spilled ([`Aggregates::for_each_first`]).
    pub first: Vec<Vec<f64>>,
    /// Where the weekly series are: in `weekly` and `first`, or in a [`Spill`].
    store: Store,
    /// `[policy][measure][bucket]`: cards finished after warm-up, summed over replications,
    /// per histogram bucket ([`crate::metrics::bucket_edges`]); measure 0 is lead time, 1 cycle
    /// time. Integer counts, so partial sums (shards) add up exactly.
    pub card_times: Vec<[Vec<u64>; 2]>,
}

/// Where an [`Aggregates`]' weekly series are kept.
#[derive(Debug, Clone)]
enum Store {
    /// In [`Aggregates::weekly`] and [`Aggregates::first`].
    Memory,
    /// One row per replication in a file, aggregated when read.
    Spilled(Arc<Spill>),
    /// Spilled, written out and let go ([`Aggregates::release_weekly`]).
    Released,
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
        Self::with_weekly(sc, true)
    }

    /// Empty aggregates; `weekly` cells in memory only when `in_memory`.
    fn with_weekly(sc: &Scenario, in_memory: bool) -> Self {
        let metrics = catalogue(&sc.model);
        let weekly_series = weekly_catalogue(&sc.model);
        let weeks = sc.model.weeks();
        let np = sc.policies.len();
        let pairs = policy_pairs(np);
        Aggregates {
            per_metric: vec![vec![MetricAgg::default(); metrics.len()]; np],
            paired: vec![vec![Paired::default(); metrics.len()]; pairs.len()],
            pairs,
            weekly: vec![
                vec![
                    WeeklyAgg::default();
                    weeks * weekly_series.len() * usize::from(in_memory)
                ];
                np
            ],
            first: vec![Vec::new(); np],
            store: Store::Memory,
            card_times: vec![[vec![0; HISTOGRAM_BUCKETS], vec![0; HISTOGRAM_BUCKETS]]; np],
            metrics,
            weekly_series,
            policies: sc.policies.iter().map(|p| p.name.clone()).collect(),
            weeks,
            reps: 0,
        }
    }

    /// Bytes the weekly aggregates of `sc` would take in memory after its replications
    /// (an estimate, [`cell_bytes`] per policy, week and series).
    pub fn weekly_bytes(sc: &Scenario) -> u64 {
        let cells = sc.policies.len() * sc.model.weeks() * weekly_catalogue(&sc.model).len();
        cells as u64 * cell_bytes(u64::from(sc.settings.replications)) as u64
    }

    /// Empty aggregates for a scenario whose weekly series go to a spill file at `path`
    /// (which must not exist; see [`Spill`]) instead of memory. Every file written from them
    /// holds the same bytes as from [`Aggregates::new`].
    ///
    /// # Errors
    /// The spill file cannot be created.
    pub fn spilled(sc: &Scenario, path: &std::path::Path) -> Result<Self, SpillError> {
        let mut agg = Self::with_weekly(sc, false);
        let spill = Spill::create(path, agg.policies.len(), agg.weeks, agg.weekly_series.len())?;
        agg.store = Store::Spilled(Arc::new(spill));
        Ok(agg)
    }

    /// The spill file, when the weekly series are spilled and not yet released.
    pub fn spill(&self) -> Option<&Arc<Spill>> {
        match &self.store {
            Store::Spilled(s) => Some(s),
            _ => None,
        }
    }

    /// Whether [`Aggregates::weekly`] and [`Aggregates::first`] hold the weekly series (not
    /// spilled).
    pub fn weekly_in_memory(&self) -> bool {
        matches!(self.store, Store::Memory)
    }

    /// Lets go of spilled weekly series once they are written (closing and removing the spill
    /// file); in-memory series stay.
    pub fn release_weekly(&mut self) {
        if !self.weekly_in_memory() {
            self.store = Store::Released;
        }
    }

    /// Calls `f(week, cells, first)` for every week of policy `k` in order: `cells` holds the
    /// week's aggregate per series (in catalogue order), `first` the first replication's values
    /// that week (shorter, or empty, where it has none). The same values whether the series
    /// are in memory or spilled.
    ///
    /// # Errors
    /// A spill file cannot be read back (or was released), or `f`'s error.
    pub fn for_each_week<E: From<SpillError>>(
        &self,
        k: usize,
        mut f: impl FnMut(usize, &[WeeklyAgg], &[f64]) -> Result<(), E>,
    ) -> Result<(), E> {
        let ns = self.weekly_series.len();
        match &self.store {
            Store::Memory => {
                let first = &self.first[k];
                for w in 0..self.weeks {
                    let lo = (w * ns).min(first.len());
                    let hi = ((w + 1) * ns).min(first.len());
                    f(w, &self.weekly[k][w * ns..(w + 1) * ns], &first[lo..hi])?;
                }
                Ok(())
            }
            Store::Spilled(s) => s.for_each_week(k, self.reps, f),
            Store::Released => Err(released().into()),
        }
    }

    /// Calls `f` with the first replication's weekly values of policy `k`, in order, in one or
    /// more pieces (none when no replication was added).
    ///
    /// # Errors
    /// A spill file cannot be read back (or was released), or `f`'s error.
    pub fn for_each_first<E: From<SpillError>>(
        &self,
        k: usize,
        mut f: impl FnMut(&[f64]) -> Result<(), E>,
    ) -> Result<(), E> {
        match &self.store {
            Store::Memory => f(&self.first[k]),
            Store::Spilled(_) if self.reps == 0 => Ok(()),
            Store::Spilled(s) => s.for_each_first(k, f),
            Store::Released => Err(released().into()),
        }
    }

    /// The first error writing a spilled row, if any.
    ///
    /// # Errors
    /// That error.
    pub fn spill_check(&self) -> Result<(), SpillError> {
        match &self.store {
            Store::Spilled(s) => s.check(),
            _ => Ok(()),
        }
    }

    /// Adds one replication: one result per policy, in policy order. With spilled weekly
    /// series, results whose weekly series are all empty are taken as already written to the
    /// spill by the worker ([`Spill::row_writer`]); others are written now (a failure is kept
    /// for [`Aggregates::spill_check`]).
    pub fn add(&mut self, results: &[RepResult]) {
        let first = self.reps == 0;
        if let Store::Spilled(s) = &self.store
            && results.iter().any(|r| !r.weekly.is_empty())
        {
            s.put_row(self.reps, results);
        }
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
            if first && self.weekly_in_memory() {
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
            for (a, &v) in self.weekly[k].iter_mut().zip(&r.weekly) {
                a.push(v);
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_chunk_holds_at_most_its_bytes_and_never_fewer_replications_than_threads() {
        assert_eq!(chunk_len(1, 2), CHUNK);
        assert_eq!(chunk_len(0, 2), CHUNK);
        assert_eq!(chunk_len(CHUNK_BYTES / 10, 1), 10);
        assert_eq!(chunk_len(CHUNK_BYTES / 10 + 1, 1), 9);
        assert_eq!(chunk_len(CHUNK_BYTES, 4), 4);
        assert_eq!(chunk_len(u64::MAX, 0), 1);
        assert_eq!(chunk_len(u64::MAX, 1000), CHUNK);
    }
}
