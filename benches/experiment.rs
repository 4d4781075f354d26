//! Experiment throughput: 2,000 replications of the reference scenario under each of its
//! policies, on 1 and on 2 worker threads, aggregated exactly as `flowsim run` does (without
//! the file writes). The ratio of the two times is the parallel speed-up.
//!
//! Run with `cargo bench --bench experiment`.

#[path = "../tests/common/mod.rs"]
mod common;

use common::aggregate;
use flowsim::scenario;

fn main() {
    divan::main();
}

const REPS: u64 = 2_000;

#[divan::bench(args = [1, 2], sample_count = 3, sample_size = 1)]
fn reference_2000_reps(threads: usize) -> u64 {
    let sc = scenario::load_str(scenario::REFERENCE, scenario::REFERENCE_NAME)
        .expect("the reference scenario loads");
    aggregate(&sc, REPS, Some(threads))
}
