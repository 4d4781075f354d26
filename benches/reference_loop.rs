//! flowsim's general engine against the hand-rolled limit, in one run: an M/M/1 queue at
//! utilisation 0.8 simulated by flowsim's scenario (`MM1` in `tests/common`, as in
//! `benches/engine.rs`) and by a minimal event loop written for this one model (a binary heap of arrival and departure
//! times, exponential draws, a FIFO line). The two alternate, round after round, so both see
//! the same machine load; the ratio of their median speeds is the figure to quote, since it
//! holds on a noisy, shared machine where absolute times do not.
//!
//! Run with `cargo bench --bench reference_loop` (add `-- ROUNDS` for more than 15 rounds).

#[path = "../tests/common/mod.rs"]
mod common;

use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};
use std::time::Instant;

use flowsim::engine::{Workspace, simulate};
use flowsim::metrics::M;
use flowsim::rng::Streams;
use rand::SeedableRng;
use rand_distr::{Distribution, Exp};
use rand_xoshiro::Xoshiro256PlusPlus;

/// Arrivals per hour and service rate per hour: utilisation 0.8, as in `benches/engine.rs`.
const ARRIVAL_RATE: f64 = 0.8;
const SERVICE_RATE: f64 = 1.0;
/// Simulated hours per replication: 1,000 weeks of 168 hours.
const HORIZON_H: f64 = 1000.0 * 168.0;

/// The hand-rolled M/M/1: returns the customers served by the horizon.
fn hand_rolled(seed: u64) -> u64 {
    #[derive(PartialEq, Eq, PartialOrd, Ord)]
    enum Kind {
        Departure,
        Arrival,
    }
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    let gap = Exp::new(ARRIVAL_RATE).expect("positive rate");
    let service = Exp::new(SERVICE_RATE).expect("positive rate");
    // Times as ordered bits (non-negative f64s order like their bit patterns).
    let mut events: BinaryHeap<Reverse<(u64, Kind)>> = BinaryHeap::new();
    let mut line: VecDeque<f64> = VecDeque::new();
    let mut busy = false;
    let mut served = 0u64;
    events.push(Reverse((gap.sample(&mut rng).to_bits(), Kind::Arrival)));
    while let Some(Reverse((bits, kind))) = events.pop() {
        let now = f64::from_bits(bits);
        if now > HORIZON_H {
            break;
        }
        match kind {
            Kind::Arrival => {
                events.push(Reverse((
                    (now + gap.sample(&mut rng)).to_bits(),
                    Kind::Arrival,
                )));
                if busy {
                    line.push_back(now);
                } else {
                    busy = true;
                    let done = now + service.sample(&mut rng);
                    events.push(Reverse((done.to_bits(), Kind::Departure)));
                }
            }
            Kind::Departure => {
                served += 1;
                if line.pop_front().is_some() {
                    let done = now + service.sample(&mut rng);
                    events.push(Reverse((done.to_bits(), Kind::Departure)));
                } else {
                    busy = false;
                }
            }
        }
    }
    served
}

fn main() {
    // `cargo bench` passes `--bench`; a bare number among the arguments sets the rounds.
    let rounds: usize = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(15);
    let sc = common::load(common::MM1, "mm1");
    let policy = &sc.policies[0];
    let mut ws = Workspace::default();
    let (mut engine_speed, mut loop_speed) = (Vec::new(), Vec::new());
    for round in 0..rounds as u64 {
        let t = Instant::now();
        let r = simulate(&sc.model, policy, Streams::new(1, round), &mut ws);
        let customers = r.get(M::CardsFinished).unwrap_or(0.0);
        engine_speed.push(customers / t.elapsed().as_secs_f64());

        let t = Instant::now();
        let served = hand_rolled(round);
        loop_speed.push(served as f64 / t.elapsed().as_secs_f64());
    }
    let engine = common::median(&mut engine_speed);
    let hand = common::median(&mut loop_speed);
    println!(
        "M/M/1 at utilisation 0.8, {rounds} alternating rounds of {HORIZON_H} simulated hours:"
    );
    println!(
        "  flowsim's general engine: {:>6.2} million customers per second (median)",
        engine / 1e6
    );
    println!(
        "  hand-rolled event loop:   {:>6.2} million customers per second (median)",
        hand / 1e6
    );
    println!("  ratio engine / hand-rolled: {:.2}x", engine / hand);
}
