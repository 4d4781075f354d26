//! Experiments: many replications of a scenario under each of its policies.
//!
//! Replication `r` of every policy uses `Streams::new(seed, r)`: the same arrivals, efforts
//! and personal draws (common random numbers). Replications run in parallel with rayon in
//! chunks; each chunk's results are collected in index order and handed to the caller's sink
//! sequentially, so every aggregate is the same whatever the thread count.

use rayon::prelude::*;

use crate::engine::{Workspace, simulate};
use crate::metrics::RepResult;
use crate::rng::Streams;
use crate::scenario::Scenario;

/// Replications run in parallel per chunk; results are handed on in order between chunks.
pub const CHUNK: u64 = 256;

/// Runs replications `reps` of every policy, calling `sink(rep, policy_index, result)` in
/// replication order, then policy order.
pub fn run_replications(
    sc: &Scenario,
    reps: std::ops::Range<u64>,
    mut sink: impl FnMut(u64, usize, RepResult),
) {
    let seed = sc.settings.seed;
    let mut start = reps.start;
    while start < reps.end {
        let end = (start + CHUNK).min(reps.end);
        let chunk: Vec<Vec<RepResult>> = (start..end)
            .into_par_iter()
            .map_init(Workspace::default, |ws, rep| {
                let streams = Streams::new(seed, rep);
                sc.policies
                    .iter()
                    .map(|p| simulate(&sc.model, p, streams, ws))
                    .collect()
            })
            .collect();
        for (i, per_policy) in chunk.into_iter().enumerate() {
            for (k, r) in per_policy.into_iter().enumerate() {
                sink(start + i as u64, k, r);
            }
        }
        start = end;
    }
}
