//! Dispatch fixes of issue 14 seen through the metrics (the exact mechanisms are pinned on
//! hand-made states in `src/engine/tests.rs`).

mod common;

use common::{load, paired_interval, policy, replications};
use flowsim::metrics::M;

/// One stage with a WIP limit of 3, three people, cards that block often (a 20% chance a
/// day, 16 h on average), an endless backlog. `pwip1` is pull with a personal WIP limit of
/// 1, `pwait` pull with `on_block = "wait"`.
const BLOCKERS: &str = r#"
name = "blocked-holders"
[run]
horizon_weeks = 30
warmup_weeks = 4
seed = 1
policies = ["pull", "pwait"]
[arrivals]
process = "unlimited"
[disruptions]
blockers = { chance_per_day = 0.2, duration = { dist = "exponential", mean = 16 } }
[[stages]]
name = "work"
effort = { dist = "exponential", mean = 8.0 }
wip_limit = 3
[team.dev]
count = 3
skills = { work = 1.0 }
wip_limit = @WIP
[policies.pwait]
preset = "pull"
on_block = "wait"
"#;

/// Bug 8: with personal WIP 2 and `on_block = "switch"`, a freed stage slot used to go to the
/// lowest-numbered free person even when that person held a blocked card, leaving a colleague
/// with empty hands idle: 11.6 against 12.3 cards a week with personal WIP 1 (-6%). Now the
/// slot goes to empty hands first and personal WIP 2 loses nothing against WIP 1, or against
/// waiting on the block.
#[test]
fn a_blocked_holder_does_not_take_the_slot_a_colleague_with_empty_hands_could_use() {
    let two = load(&BLOCKERS.replace("@WIP", "2"), "wip2.toml");
    let one = load(&BLOCKERS.replace("@WIP", "1"), "wip1.toml");
    let reps = 30;
    let tp = |sc, name| -> Vec<f64> {
        replications(sc, policy(sc, name), reps)
            .iter()
            .map(|r| r.get(M::ThroughputPerWeek).unwrap())
            .collect()
    };
    let (switch2, switch1, wait2) = (tp(&two, "pull"), tp(&one, "pull"), tp(&two, "pwait"));
    for (other, label) in [(&switch1, "personal WIP 1"), (&wait2, "on_block = wait")] {
        let (mean, lo, _) = paired_interval(switch2.iter().zip(other).map(|(a, b)| a / b - 1.0));
        assert!(
            lo > -0.02,
            "personal WIP 2 with switch against {label}: {:.1}% (95% CI from {:.1}%)",
            100.0 * mean,
            100.0 * lo
        );
    }
}
