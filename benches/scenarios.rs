//! Every shipped scenario at its default replications, as `flowsim run` simulates it (all
//! cores, aggregation included, no file writes). Target: each well under a minute on 2 cores.
//!
//! Run with `cargo bench --bench scenarios`.

#[path = "../tests/common/mod.rs"]
mod common;

use common::aggregate;
use flowsim::scenario::load_file;

fn main() {
    divan::main();
}

const SCENARIOS: &[&str] = &[
    "small-team",
    "weekly-commitments",
    "flu-season",
    "missing-inputs",
    "hard-deadline",
    "cross-team-handoff",
    "conservative-puller",
    "bottleneck-swarming",
    "wip-limit-sweep",
    "estimation-bias-sweep",
    "adding-a-person",
    "deployment-pipeline",
    "push-staging-pull-production",
    "stable-deadlines",
    "volatile-work",
];

#[divan::bench(args = SCENARIOS, sample_count = 3, sample_size = 1)]
fn default_replications(name: &str) -> u64 {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("scenarios")
        .join(format!("{name}.toml"));
    let sc = load_file(&path).expect("shipped scenario loads");
    let reps = sc.settings.replications as u64;
    aggregate(&sc, reps, None)
}
