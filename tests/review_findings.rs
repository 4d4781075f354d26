//! Review findings: each test pins one engine bug found in review (it failed before its fix).

mod common;

use common::{policy, traced};
use flowsim::engine::{Trace, Workspace};
use flowsim::metrics::{M, RepResult};
use flowsim::policy::Policy;
use flowsim::rng::Streams;
use flowsim::scenario::Scenario;

fn load(text: &str) -> Scenario {
    common::load(text, "review.toml")
}

/// Audited replication `rep` of policy `p`, in a fresh workspace.
fn run_one(sc: &Scenario, p: &Policy, rep: u64) -> RepResult {
    common::audited(sc, p, rep, &mut Workspace::default())
}

/// Overtime is work done outside normal hours. A person whose planned-overtime day is
/// extended but who has nothing to do at the end of their normal hours must go home then:
/// idle hours after the normal end are not overtime.
#[test]
fn idle_person_with_planned_overtime_goes_home_at_normal_end() {
    // One developer, one big card whose input is missing for longer than the horizon: push
    // plans it, sees 100 h of load against 40 h and plans 2 h of overtime a day, but the card
    // blocks at once and the developer has nothing else to do.
    let sc = load(
        r#"
name = "idle-overtime"
[run]
horizon_weeks = 1
seed = 3
policies = ["push"]
[arrivals]
process = "none"
initial_backlog = 1
[disruptions.missing_input]
probability = 1.0
delay = { dist = "constant", value = 10000.0 }
[[stages]]
name = "work"
effort = { dist = "constant", value = 100.0 }
[team.dev]
count = 1
skills = { work = 1.0 }
max_overtime_h_per_day = 2
"#,
    );
    let r = run_one(&sc, policy(&sc, "push"), 0);
    assert_eq!(r.get(M::Utilisation), Some(0.0), "nobody can work");
    let ot = r.get(M::OvertimeH).unwrap();
    assert_eq!(ot, 0.0, "{ot} h of overtime counted while idle");
}

/// One developer holding two cards, one of them blocked for good: turning to the other card
/// is one context switch. Coming back to the same card the next morning is not a switch, and
/// under `switch_cost` it must not cost the switch again every day.
#[test]
fn resuming_the_same_card_next_morning_is_not_a_context_switch() {
    let sc = load(
        r#"
name = "overnight"
[run]
horizon_weeks = 2
seed = 1
policies = ["p"]
[policies.p]
preset = "pull"
readiness_check = false
[arrivals]
process = "none"
initial_backlog = 2
[disruptions.missing_input]
probability = 0.5
delay = { dist = "constant", value = 10000.0 }
[multitasking]
model = "switch_cost"
switch_cost_h = 0.5
[[stages]]
name = "work"
effort = { dist = "constant", value = 40.0 }
[team.dev]
count = 1
skills = { work = 1.0 }
wip_limit = 2
"#,
    );
    let p = policy(&sc, "p");
    // Find replications where the first card blocks on its missing input and the second
    // does not: the developer then works the second card for five days while holding both.
    let mut checked = 0;
    for rep in 0..40 {
        let (r, tr) = traced(&sc, p, Streams::new(sc.settings.seed, rep));
        let blocked: Vec<u64> = tr
            .iter()
            .filter_map(|t| match t {
                Trace::Block { card, .. } => Some(*card),
                _ => None,
            })
            .collect();
        if blocked != [0] {
            continue;
        }
        checked += 1;
        assert_eq!(r.get(M::CardsFinished), Some(1.0));
        assert_eq!(
            r.get(M::ContextSwitches),
            Some(1.0),
            "rep {rep}: one switch (to the second card), not one per morning"
        );
    }
    assert!(
        checked > 0,
        "no replication had only the first card blocked"
    );
}

/// A card found to miss its input when work starts blocks at once; under `on_block = switch`
/// its holder turns to other work at once, not at the next unrelated event (the next
/// morning). Both for pull (taking from the stage) and push (the person's planned queue).
#[test]
fn a_card_that_blocks_on_start_frees_its_holder_for_other_work_at_once() {
    for policy_name in ["p", "push"] {
        let sc = load(
            r#"
name = "block-on-start"
[run]
horizon_weeks = 2
seed = 1
policies = ["p", "push"]
[policies.p]
preset = "pull"
readiness_check = false
[arrivals]
process = "none"
initial_backlog = 2
[disruptions.missing_input]
probability = 0.5
delay = { dist = "constant", value = 10000.0 }
[[stages]]
name = "work"
effort = { dist = "constant", value = 4.0 }
[team.dev]
count = 1
skills = { work = 1.0 }
wip_limit = 2
"#,
        );
        let p = policy(&sc, policy_name);
        let mut checked = 0;
        for rep in 0..40 {
            let (_, tr) = traced(&sc, p, Streams::new(sc.settings.seed, rep));
            let first_blocks = tr
                .iter()
                .any(|t| matches!(t, Trace::Block { card: 0, t, .. } if *t == 9.0));
            let second_blocks = tr.iter().any(|t| matches!(t, Trace::Block { card: 1, .. }));
            if !first_blocks || second_blocks {
                continue;
            }
            checked += 1;
            let taken = tr.iter().find_map(|t| match t {
                Trace::Hold { card: 1, t, .. } => Some(*t),
                _ => None,
            });
            assert_eq!(
                taken,
                Some(9.0),
                "{policy_name} rep {rep}: the second card waits for the next morning"
            );
        }
        assert!(checked > 0, "{policy_name}: no replication to check");
    }
}

/// Push planning commits a card when its *assignees'* loads stay within their capacity. A
/// teammate already over capacity (here: an oversized card committed on its own) must not
/// stop cards that go to somebody else from being planned.
#[test]
fn an_overloaded_teammate_does_not_stop_cards_for_others_from_being_planned() {
    let sc = load(
        r#"
name = "planner"
[run]
horizon_weeks = 1
seed = 5
policies = ["push"]
[arrivals]
process = "none"
initial_backlog = 4
[[stages]]
name = "work"
effort = { dist = "uniform", min = 5.0, max = 80.0 }
[team.dev]
count = 2
skills = { work = 1.0 }
"#,
    );
    let p = policy(&sc, "push");
    let mut checked = 0;
    for rep in 0..60 {
        let streams = Streams::new(sc.settings.seed, rep);
        // The cards' efforts are the first draws of their own streams (estimates are exact).
        let effort: Vec<f64> = (0..2)
            .map(|id| {
                let mut rng = streams.stream(flowsim::rng::StreamKind::Card, id);
                sc.model.stages[0].effort.sample(&mut rng)
            })
            .collect();
        // Card 0 is too big for anybody's 40 h week (committed alone, to developer 0); card 1
        // fits developer 1's empty week.
        if !(effort[0] > 40.0 && effort[1] <= 40.0) {
            continue;
        }
        checked += 1;
        let (_, trace) = traced(&sc, p, streams);
        let assigned: Vec<(u64, usize)> = trace
            .iter()
            .filter_map(|t| match t {
                Trace::Assign {
                    t, card, person, ..
                } if *t == 9.0 => Some((*card, *person)),
                _ => None,
            })
            .collect();
        assert!(
            assigned.contains(&(1, 1)),
            "rep {rep}: efforts {effort:?}: card 1 not planned for developer 1 ({assigned:?})"
        );
    }
    assert!(checked > 0, "no replication to check");
}

/// Commitment hit rate: a hit is counted for a commitment the denominator counts. With a
/// warm-up ending in the middle of a planning period, the commitments open at its end are in
/// the window; before, their hits were counted but the commitments were not, and the rate
/// could exceed 1.
#[test]
fn commitment_hit_rate_counts_hits_and_commitments_alike_across_warm_up() {
    let sc = load(
        r#"
name = "warm-commit"
[run]
horizon_weeks = 3
warmup_weeks = 0.2
seed = 11
policies = ["push"]
[arrivals]
process = "batch"
batch_size = 8
period_weeks = 1
[[stages]]
name = "work"
effort = { dist = "constant", value = 4.0 }
[team.dev]
count = 2
skills = { work = 1.0 }
"#,
    );
    let r = run_one(&sc, policy(&sc, "push"), 0);
    // 32 h of work a week for 80 h of time: every commitment is met.
    assert_eq!(r.get(M::CommitmentHitRate), Some(1.0));
}

/// Work that completes at the very instant a working day ends is done then, not the next
/// morning: the day's end was scheduled first, so it used to send the worker home with no
/// work left and the card finished at 9:00 the next working day.
#[test]
fn work_finishing_exactly_at_day_end_is_done_that_day() {
    let sc = load(
        r#"
name = "day-end-tie"
[run]
horizon_weeks = 2
seed = 1
policies = ["pull", "push"]
[arrivals]
process = "none"
initial_backlog = 1
[[stages]]
name = "work"
effort = { dist = "constant", value = 40.0 }
[team.dev]
count = 1
skills = { work = 1.0 }
"#,
    );
    for name in ["pull", "push"] {
        let r = run_one(&sc, policy(&sc, name), 0);
        // Arrived Monday 0:00, taken at 9:00, 40 h of work: done on Friday at 17:00.
        assert_eq!(
            r.get(M::LeadTimeMean),
            Some(4.0 * 24.0 + 17.0),
            "{name}: done next Monday instead of Friday evening"
        );
    }
}

/// A rollback task is not a card: it has no missing input to wait for, and it does not count
/// as a started card in the blocker rate.
#[test]
fn rollback_tasks_do_not_wait_for_missing_input_nor_count_as_cards() {
    let sc = load(
        r#"
name = "rollback"
[run]
horizon_weeks = 10
seed = 2
policies = ["p"]
[policies.p]
preset = "pull"
readiness_check = true
detection_probability = 1.0
failed_deploy = "break"
[arrivals]
process = "poisson"
rate_per_week = 3
[disruptions.missing_input]
probability = 1.0
delay = { dist = "constant", value = 50.0 }
[[stages]]
name = "build"
effort = { dist = "constant", value = 2.0 }
[[stages]]
name = "deploy"
effort = { dist = "constant", value = 1.0 }
deployment = { failure_probability = 0.3, fix_in = "build", rollback_effort = { dist = "constant", value = 1.0 } }
[team.dev]
count = 2
skills = { build = 1.0, deploy = 1.0 }
"#,
    );
    let r = run_one(&sc, policy(&sc, "p"), 0);
    assert!(
        r.get(M::ChangeFailureRate).unwrap() > 0.0,
        "no failed deployment"
    );
    // Every card waits for its input in clarification, which the blocker rate counts (issue
    // 13); a rollback task never waits and is no card: counted, it would pull the rate
    // below one.
    assert_eq!(
        r.get(M::BlockerRate),
        Some(1.0),
        "a rollback counted as a card"
    );
    // A 1 h rollback by one of two people: restored well within a working day.
    let ttr = r.get(M::TimeToRestoreMean).unwrap();
    assert!(ttr < 24.0, "time to restore {ttr} h");
}

/// Idle by cause: a person idle because the system WIP limit is reached while the backlog has
/// cards is *blocked* (work exists, no room), not *starved*, whether cards enter on pull or
/// by cadence replenishment.
#[test]
fn idle_behind_a_full_system_wip_limit_is_blocked_under_cadence_release_too() {
    let sc = load(
        r#"
name = "conwip-idle"
[run]
horizon_weeks = 1
seed = 4
policies = ["f", "p"]
[policies.f]
preset = "flow"
system_wip_limit = 1
swarming = false
replenish_every_hours = 0
[policies.p]
preset = "pull"
system_wip_limit = 1
[arrivals]
process = "none"
initial_backlog = 50
[[stages]]
name = "work"
effort = { dist = "constant", value = 4.0 }
[team.dev]
count = 2
skills = { work = 1.0 }
"#,
    );
    for name in ["p", "f"] {
        let r = run_one(&sc, policy(&sc, name), 0);
        let starved = r.get(M::StarvedH).unwrap();
        let blocked = r.get(M::BlockedH).unwrap();
        // One of the two works all 40 h; the other waits for room all week.
        assert!(
            starved < 1e-9 && (blocked - 20.0).abs() < 1e-6,
            "{name}: starved {starved} h, blocked {blocked} h per person-week"
        );
    }
}

/// A system WIP limit is a mechanism every policy can set, so a push plan must honour it too:
/// the planner commits no card, fresh, expedite or from an endless backlog, once the system
/// holds the limit (the audit failed with "system WIP 24 over its limit 8" before the fix).
#[test]
fn the_push_planner_honours_a_system_wip_limit() {
    for process in [
        "process = \"poisson\"\nrate_per_week = 12\ninitial_backlog = 40\n\
         [classes]\nexpedite_rate_per_week = 2",
        "process = \"unlimited\"",
    ] {
        let sc = load(&format!(
            r#"
name = "push-conwip"
[run]
horizon_weeks = 12
warmup_weeks = 1
seed = 19
policies = ["push", "push-top-up", "pull", "flow", "push-free"]
[arrivals]
{process}
[[stages]]
name = "dev"
effort = {{ dist = "lognormal", mean = 6.0, sd = 4.0 }}
[[stages]]
name = "test"
effort = {{ dist = "exponential", mean = 3.0 }}
[team.dev]
count = 3
skills = {{ dev = 1.0 }}
[team.tester]
count = 2
skills = {{ test = 1.0, dev = 0.5 }}
[policies.push]
system_wip_limit = 8
[policies.push-top-up]
preset = "push"
top_up = true
system_wip_limit = 8
[policies.pull]
system_wip_limit = 8
[policies.flow]
system_wip_limit = 8
[policies.push-free]
preset = "push"
"#
        ));
        let wip = |name: &str, rep: u64| {
            // The audit checks the limit after every event.
            run_one(&sc, policy(&sc, name), rep)
                .get(M::WipMean)
                .unwrap()
        };
        for rep in 0..5 {
            for name in ["push", "push-top-up", "pull", "flow"] {
                let w = wip(name, rep);
                assert!(w <= 8.0 + 1e-9, "{name} rep {rep}: mean system WIP {w}");
            }
            // The limit binds: push holds fewer cards with it than without it.
            let (limited, free) = (wip("push", rep), wip("push-free", rep));
            assert!(
                limited < free,
                "rep {rep}: push holds {limited} cards under the limit, {free} without"
            );
        }
    }
}
