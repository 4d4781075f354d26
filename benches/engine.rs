//! Engine speed: one replication of the reference scenario (a simulated year) per policy, and
//! customers per second through the general engine on an M/M/1 queue.
//!
//! Run with `cargo bench --bench engine`. Targets (one core, release): a simulated year of the
//! reference scenario in under 1 ms; at least 4 million M/M/1 customers per second.

#[path = "../tests/common/mod.rs"]
mod common;

use common::{load, policy};
use divan::counter::ItemsCount;
use flowsim::engine::{Workspace, simulate};
use flowsim::rng::Streams;
use flowsim::scenario::{REFERENCE, Scenario};

fn main() {
    divan::main();
}

fn reference() -> Scenario {
    load(REFERENCE, "reference")
}

/// Times one simulated year of `sc` under `policy`, a fresh replication each iteration.
fn bench_year(bencher: divan::Bencher, sc: &Scenario, name: &str) {
    let p = policy(sc, name);
    let mut ws = Workspace::default();
    let mut rep = 0u64;
    bencher.bench_local(|| {
        rep += 1;
        simulate(&sc.model, p, Streams::new(1, rep), &mut ws)
    });
}

/// One simulated year (52 weeks) of the reference scenario under each preset.
#[divan::bench(args = ["push", "pull", "flow"])]
fn reference_year(bencher: divan::Bencher, policy: &str) {
    bench_year(bencher, &reference(), policy);
}

/// The reference scenario with disruptions on: sickness, missing inputs, blockers, rework,
/// expedite and fixed-date work, and Weinberg multitasking costs.
fn disrupted() -> Scenario {
    let text = REFERENCE
        .replace(
            "[[stages]]\nname = \"analysis\"",
            "[disruptions]\nmissing_input = { probability = 0.15, delay = { dist = \"exponential\", mean = 16 } }\n\
             blockers = { chance_per_day = 0.03, duration = { dist = \"uniform\", min = 2, max = 12 } }\n\
             [classes]\nexpedite_rate_per_week = 0.5\nfixed_date_share = 0.1\n\
             due_in_weeks = { dist = \"uniform\", min = 2, max = 4 }\n\
             [multitasking]\nmodel = \"weinberg\"\n\n[[stages]]\nname = \"analysis\"",
        )
        .replace(
            "name = \"test\"\neffort = { dist = \"lognormal\", mean = 6.0, sd = 3.0 }",
            "name = \"test\"\neffort = { dist = \"lognormal\", mean = 6.0, sd = 3.0 }\n\
             rework = { probability = 0.1, to = \"development\" }",
        )
        .replace("count = 3\n", "count = 3\nsick_chance_per_day = 0.01\n");
    let sc = load(&text, "disrupted");
    assert!(sc.model.disruptions.missing_input.is_some());
    assert!(sc.model.stages[2].rework.is_some());
    sc
}

/// One simulated year of the reference scenario with disruptions on, under each preset.
#[divan::bench(args = ["push", "pull", "flow"])]
fn reference_year_disrupted(bencher: divan::Bencher, policy: &str) {
    bench_year(bencher, &disrupted(), policy);
}

/// M/M/1 at utilisation 0.8 over 1000 weeks: about 134,000 customers per replication.
#[divan::bench]
fn mm1_customers(bencher: divan::Bencher) {
    let sc = load(common::MM1, "mm1");
    let p = sc.policies[0].clone();
    let mut ws = Workspace::default();
    let customers = simulate(&sc.model, &p, Streams::new(1, 0), &mut ws)
        .get(flowsim::metrics::M::CardsFinished)
        .unwrap_or(0.0) as usize;
    let mut rep = 0u64;
    bencher.counter(ItemsCount::new(customers)).bench_local(|| {
        rep += 1;
        simulate(&sc.model, &p, Streams::new(1, rep), &mut ws)
    });
}
