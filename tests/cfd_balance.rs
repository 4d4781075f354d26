//! The cumulative flow diagram counts every card under every policy: in every week of every
//! replication, backlog + ready (committed, in no stage yet) + the cards in each stage + done
//! add up to the cards arrived. Issue 17 found flow's week 1 adding up to 55.2 of 60 before the
//! `ready` series existed (flow's replenished-but-unstarted cards were in no band).

mod common;

use common::{load, replications};
use flowsim::metrics::weekly_catalogue;

/// Checks every week of `reps` replications of every policy; returns the sum over flow's weeks
/// of its ready cards.
fn check(text: &str, origin: &str, reps: u64) -> f64 {
    let sc = load(text, origin);
    let cat = weekly_catalogue(&sc.model);
    let ix = |n: &str| cat.iter().position(|(s, _)| s == n).unwrap();
    let stages: Vec<usize> = cat
        .iter()
        .enumerate()
        .filter(|(_, (s, _))| s.starts_with("cards_"))
        .map(|(i, _)| i)
        .collect();
    assert!(!stages.is_empty());
    let (backlog, ready, done, arrived) = (
        ix("backlog"),
        ix("ready"),
        ix("done_total"),
        ix("arrived_total"),
    );
    let ns = cat.len();
    let mut ready_seen = 0.0;
    for p in &sc.policies {
        for (r, res) in replications(&sc, p, reps).iter().enumerate() {
            let weeks = res.weekly.len() / ns;
            assert_eq!(weeks, sc.model.weeks());
            for w in 0..weeks {
                let row = &res.weekly[w * ns..(w + 1) * ns];
                let in_stages: f64 = stages.iter().map(|&s| row[s]).sum();
                let total = row[backlog] + row[ready] + in_stages + row[done];
                assert_eq!(
                    total,
                    row[arrived],
                    "{origin} {} rep {r} week {}: backlog {} + ready {} + stages {in_stages} + done {} != arrived {}",
                    p.name,
                    w + 1,
                    row[backlog],
                    row[ready],
                    row[done],
                    row[arrived]
                );
                if p.name == "flow" {
                    ready_seen += row[ready];
                }
            }
        }
    }
    ready_seen
}

#[test]
fn bands_add_up_to_arrivals_on_the_reference_team() {
    check(
        flowsim::scenario::REFERENCE,
        flowsim::scenario::REFERENCE_NAME,
        10,
    );
}

#[test]
fn bands_add_up_to_arrivals_with_a_backlog_of_60() {
    // The case: a 60-card backlog and no arrivals.
    let text = flowsim::scenario::REFERENCE.replace("initial_backlog = 10", "initial_backlog = 60");
    assert_ne!(text, flowsim::scenario::REFERENCE);
    let ready = check(&text, "small-team-backlog-60.toml", 10);
    assert!(ready > 0.0, "flow never had a ready card");
}

#[test]
fn bands_add_up_to_arrivals_in_every_shipped_scenario() {
    let mut n = 0;
    for e in std::fs::read_dir("scenarios").unwrap() {
        let path = e.unwrap().path();
        if path.extension().is_some_and(|x| x == "toml") {
            let text = std::fs::read_to_string(&path).unwrap();
            check(&text, &path.display().to_string(), 2);
            n += 1;
        }
    }
    assert!(n >= 10, "only {n} scenarios checked");
}
