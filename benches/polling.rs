//! Idle time should cost nothing: a team-kanban board (six people, three stages, 24/7, a
//! simulated 2,016 hours per replication) under continuous pull, and the same board where the
//! development and test stages pull only at polls every 0.01 hours (the finest interval a
//! scenario accepts). The two alternate, round after round, so both see the same machine load;
//! the figure to quote is the ratio of their median times (polling / continuous).
//!
//! Run with `cargo bench --bench polling` (add `-- ROUNDS` for more than 7 rounds of 20
//! replications each).

#[path = "../tests/common/mod.rs"]
mod common;

use std::time::Instant;

use flowsim::engine::{Workspace, simulate};
use flowsim::metrics::M;
use flowsim::rng::Streams;

/// Replications per policy in one round.
const REPS: u64 = 20;

/// The board: each stage's people at 80% of their capacity at the bottleneck (development).
const KANBAN: &str = r#"
name = "team-kanban"
[run]
horizon_weeks = 12
replications = 20
seed = 1
policies = ["continuous", "polling"]
[calendar]
mode = "24/7"
[arrivals]
process = "poisson"
rate_per_hour = 0.4
[[stages]]
name = "analysis"
effort = { dist = "exponential", mean = 2.0 }
wip_limit = 3
[[stages]]
name = "development"
effort = { dist = "exponential", mean = 4.0 }
wip_limit = 4
[[stages]]
name = "test"
effort = { dist = "exponential", mean = 2.0 }
wip_limit = 3
[team.analyst]
count = 2
skills = { analysis = 1.0 }
[team.developer]
count = 2
skills = { development = 1.0 }
[team.tester]
count = 2
skills = { test = 1.0 }
[policies.continuous]
preset = "pull"
[policies.polling]
preset = "pull"
handoff = { development = "pull", test = "pull" }
poll_every_hours = { development = 0.01, test = 0.01 }
"#;

fn main() {
    // `cargo bench` passes `--bench`; a bare number among the arguments sets the rounds.
    let rounds: usize = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(7);
    let sc = common::load(KANBAN, "team-kanban");
    let mut ws = Workspace::default();
    let mut times = [Vec::new(), Vec::new()];
    let mut finished = [0.0; 2];
    for round in 0..rounds as u64 {
        for (k, name) in ["continuous", "polling"].into_iter().enumerate() {
            let p = common::policy(&sc, name);
            let t = Instant::now();
            for rep in 0..REPS {
                let r = simulate(&sc.model, p, Streams::new(1, round * REPS + rep), &mut ws);
                finished[k] += r.get(M::CardsFinished).unwrap_or(0.0);
            }
            times[k].push(t.elapsed().as_secs_f64());
        }
    }
    let [cont, poll] = times.map(|mut t| common::median(&mut t));
    println!(
        "team kanban, {rounds} alternating rounds of {REPS} replications of 2,016 h \
         ({:.0} and {:.0} cards finished):",
        finished[0], finished[1]
    );
    println!(
        "  continuous pull:          {:>8.2} ms per round (median)",
        cont * 1e3
    );
    println!(
        "  polling every 0.01 h:     {:>8.2} ms per round (median)",
        poll * 1e3
    );
    println!("  ratio polling / continuous: {:.2}x", poll / cont);
}
