//! One simulated year of the reference scenario under one preset, for instruction counts:
//!
//! ```text
//! cargo build --release --example reference_year
//! valgrind --tool=callgrind --callgrind-out-file=/dev/null \
//!     target/release/examples/reference_year push 10
//! ```
//!
//! Arguments: the policy (`push`, `pull` or `flow`) and the number of replications (default
//! 10). Prints the cards finished, so the work cannot be optimised away.

use flowsim::engine::{Workspace, simulate};
use flowsim::rng::Streams;
use flowsim::scenario::{REFERENCE, load_str};

fn main() {
    let mut args = std::env::args().skip(1);
    let policy = args.next().unwrap_or_else(|| "push".into());
    let reps: u64 = args
        .next()
        .map_or(10, |a| a.parse().expect("replications: a whole number"));
    let sc = load_str(REFERENCE, "reference").expect("the reference scenario loads");
    let Some(p) = sc.policies.iter().find(|p| p.name == policy) else {
        eprintln!("no policy `{policy}` in the reference scenario (push, pull, flow)");
        std::process::exit(2);
    };
    let mut ws = Workspace::default();
    let mut finished = 0u64;
    let mut events = 0u64;
    for rep in 0..reps {
        let r = simulate(&sc.model, p, Streams::new(1, rep), &mut ws);
        finished += r.get(flowsim::metrics::M::CardsFinished).unwrap_or(0.0) as u64;
        events += r.events;
    }
    println!("{policy}: {reps} simulated years, {finished} cards finished, {events} events");
}
