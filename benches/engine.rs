//! Engine speed: one replication of the reference scenario (a simulated year) per policy, and
//! customers per second through the general engine on an M/M/1 queue.
//!
//! Run with `cargo bench --bench engine`. Targets (one core, release): a simulated year of the
//! reference scenario in under 1 ms; at least 4 million M/M/1 customers per second.

use divan::counter::ItemsCount;
use flowsim::engine::{Workspace, simulate};
use flowsim::rng::Streams;
use flowsim::scenario::{REFERENCE, Scenario, load_str};

fn main() {
    divan::main();
}

fn reference() -> Scenario {
    load_str(REFERENCE, "reference").expect("reference scenario loads")
}

const MM1: &str = r#"
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

/// One simulated year (52 weeks) of the reference scenario under each preset.
#[divan::bench(args = ["push", "pull", "flow"])]
fn reference_year(bencher: divan::Bencher, policy: &str) {
    let sc = reference();
    let p = sc
        .policies
        .iter()
        .find(|p| p.name == policy)
        .expect("policy in reference")
        .clone();
    let mut ws = Workspace::default();
    let mut rep = 0u64;
    bencher.bench_local(|| {
        rep += 1;
        simulate(&sc.model, &p, Streams::new(1, rep), &mut ws)
    });
}

/// M/M/1 at utilisation 0.8 over 1000 weeks: about 134,000 customers per replication.
#[divan::bench]
fn mm1_customers(bencher: divan::Bencher) {
    let sc = load_str(MM1, "mm1").expect("mm1 loads");
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
