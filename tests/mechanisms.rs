//! Mechanism tests: each mechanism of the push / pull / flow table on a small scenario built
//! for it, checked through the engine's own metrics and, where a metric cannot show it, its
//! trace. Every run here is audited (all invariants checked after every event).

mod common;

use common::{audited_replications, paired_interval, policy};
use flowsim::engine::Trace;
use flowsim::metrics::M;
use flowsim::rng::Streams;
use flowsim::scenario::Scenario;

fn load(text: &str) -> Scenario {
    common::load(text, "test.toml")
}

/// Runs `reps` audited replications of policy `name`; returns the metric per replication.
fn run(sc: &Scenario, name: &str, reps: u64, m: M) -> Vec<Option<f64>> {
    audited_replications(sc, policy(sc, name), reps)
        .iter()
        .map(|r| r.get(m))
        .collect()
}

fn mean(v: &[Option<f64>]) -> f64 {
    let xs: Vec<f64> = v.iter().flatten().copied().collect();
    assert!(!xs.is_empty());
    xs.iter().sum::<f64>() / xs.len() as f64
}

/// Paired differences a - b with a 95% interval.
fn paired(a: &[Option<f64>], b: &[Option<f64>]) -> (f64, f64, f64) {
    paired_interval(a.iter().zip(b).filter_map(|(x, y)| Some((*x)? - (*y)?)))
}

/// One stage, two people, constant 4 h cards arriving 15 at a time each Monday: 60 h of work
/// against 80 h of normal time.
fn weekly_batch(bias: f64, spread: f64) -> String {
    format!(
        r#"
name = "batch"
[run]
horizon_weeks = 20
seed = 11
policies = ["push", "pull"]
[arrivals]
process = "batch"
batch_size = 15
period_weeks = 1
[estimates]
bias = {bias}
spread = {spread}
[[stages]]
name = "work"
effort = {{ dist = "constant", value = 4.0 }}
[team.dev]
count = 2
skills = {{ work = 1.0 }}
max_overtime_h_per_day = 2
"#
    )
}

#[test]
fn push_meets_a_plan_that_fits_without_overtime() {
    let sc = load(&weekly_batch(1.0, 0.0));
    let hit = run(&sc, "push", 5, M::CommitmentHitRate);
    let ot = run(&sc, "push", 5, M::OvertimeH);
    for (h, o) in hit.iter().zip(&ot) {
        assert_eq!(*h, Some(1.0), "every commitment met");
        assert_eq!(*o, Some(0.0), "no overtime");
    }
}

#[test]
fn optimistic_estimates_bring_overtime_that_grows_with_the_bias() {
    // With variable efforts, the planner commits more than fits when estimates run low.
    let text = |bias: f64| {
        weekly_batch(bias, 0.0)
            .replace(
                "effort = { dist = \"constant\", value = 4.0 }",
                "effort = { dist = \"lognormal\", mean = 4.0, sd = 1.0 }",
            )
            .replace("batch_size = 15", "batch_size = 40")
    };
    let mut last = -1.0;
    for bias in [1.0, 0.8, 0.6] {
        let sc = load(&text(bias));
        let ot = mean(&run(&sc, "push", 8, M::OvertimeH));
        assert!(
            ot > last,
            "overtime {ot} at bias {bias} should exceed {last}"
        );
        last = ot;
    }
    assert!(last > 0.5, "clearly visible overtime at bias 0.6: {last}");
}

#[test]
fn overtime_never_exceeds_the_cap() {
    // The audit checks every person's day against the cap after every event; the weekly
    // figure can then never exceed cap x working days.
    let sc = load(&weekly_batch(0.5, 0.3).replace("batch_size = 15", "batch_size = 30"));
    for ot in run(&sc, "push", 5, M::OvertimeH) {
        let ot = ot.unwrap();
        assert!(ot > 0.0 && ot <= 2.0 * 5.0 + 1e-9, "{ot}");
    }
}

/// Two people who can both work the one stage; `dev-1` is away for weeks 2 and 3.
fn absence(policy_extra: &str) -> Scenario {
    load(&format!(
        r#"
name = "absence"
[run]
horizon_weeks = 6
seed = 5
policies = ["push", "pull"]
[arrivals]
process = "poisson"
rate_per_week = 18
initial_backlog = 6
[[stages]]
name = "work"
effort = {{ dist = "exponential", mean = 4.0 }}
[team.dev]
count = 2
skills = {{ work = 1.0 }}
[[absences]]
person = "dev-1"
from_week = 2.45
weeks = 2
announced = false
{policy_extra}
"#
    ))
}

/// For each hold, who the planner had assigned that card's stage to at the time.
fn holds_against_assignments(trace: &[Trace]) -> Vec<(f64, usize, usize)> {
    let mut assigned = std::collections::HashMap::new();
    let mut out = Vec::new();
    for ev in trace {
        match *ev {
            Trace::Assign {
                card,
                stage,
                person,
                ..
            } => {
                assigned.insert((card, stage), person);
            }
            Trace::Hold {
                t,
                card,
                stage,
                person,
            } => {
                if let Some(&a) = assigned.get(&(card, stage)) {
                    out.push((t, a, person));
                }
            }
            _ => {}
        }
    }
    out
}

/// The trace of audited replication `rep` of policy `name`.
fn traced(sc: &Scenario, name: &str, rep: u64) -> Vec<Trace> {
    common::traced(sc, policy(sc, name), Streams::new(sc.settings.seed, rep)).1
}

/// Changes of assignee for a card's stage: (time, from, to).
fn reassignments(trace: &[Trace]) -> Vec<(f64, usize, usize)> {
    let mut assigned = std::collections::HashMap::new();
    let mut out = Vec::new();
    for ev in trace {
        if let Trace::Assign {
            t,
            card,
            stage,
            person,
        } = *ev
            && let Some(prev) = assigned.insert((card, stage), person)
            && prev != person
        {
            out.push((t, prev, person));
        }
    }
    out
}

/// Start times of the working days on which `person` was absent.
fn absent_days(trace: &[Trace], person: usize) -> Vec<f64> {
    trace
        .iter()
        .filter_map(|e| match *e {
            Trace::Absent { t, person: p } if p == person => Some(t),
            _ => None,
        })
        .collect()
}

#[test]
fn push_cards_wait_for_their_person_until_the_emergency_delay() {
    let sc = absence("[policies.push]\nemergency_after_days = 3\n");
    let mut moved = 0;
    for rep in 0..4 {
        let trace = traced(&sc, "push", rep);
        let delay_start = absent_days(&trace, 0)[2];
        for (_, assigned, holder) in holds_against_assignments(&trace) {
            assert_eq!(assigned, holder, "a push card is only held by its assignee");
        }
        for (t, from, to) in reassignments(&trace) {
            if from == 0 && to == 1 {
                assert!(
                    t >= delay_start - 1e-9,
                    "rep {rep}: reassigned at {t}, before {delay_start}"
                );
                moved += 1;
            }
        }
    }
    assert!(
        moved > 0,
        "the absent person's cards were reassigned once the delay passed"
    );
}

#[test]
fn push_never_hands_over_before_the_delay_even_when_long() {
    // With an emergency delay longer than the absence, no card ever changes hands.
    let sc = absence("[policies.push]\nemergency_after_days = 100\n");
    for rep in 0..4 {
        let trace = traced(&sc, "push", rep);
        for (_, assigned, holder) in holds_against_assignments(&trace) {
            assert_eq!(assigned, holder);
        }
        assert!(reassignments(&trace).iter().all(|&(_, from, _)| from != 0));
    }
}

#[test]
fn pull_lets_others_take_a_sick_persons_card_at_once() {
    let sc = absence("[policies.pull]\nemergency_after_days = 1\n");
    let mut taken_over = 0;
    for rep in 0..4 {
        let trace = traced(&sc, "pull", rep);
        let days = absent_days(&trace, 0);
        let away_from = days[0];
        // Cards dev-1 (index 0) held when they left.
        let mut held_by_0 = std::collections::HashSet::new();
        for e in &trace {
            match *e {
                Trace::Hold {
                    t, card, person: 0, ..
                } if t < away_from => {
                    held_by_0.insert(card);
                }
                Trace::Hold {
                    t, card, person: 1, ..
                } if t >= away_from && t < away_from + 24.0 && held_by_0.contains(&card) => {
                    taken_over += 1;
                }
                _ => {}
            }
        }
        // Nobody absent ever takes a card.
        for e in &trace {
            if let Trace::Hold { t, person: 0, .. } = *e {
                assert!(!days.iter().any(|&d| (d..d + 24.0).contains(&t)));
            }
        }
    }
    assert!(
        taken_over > 0,
        "another person took over a sick person's card"
    );
}

fn missing_inputs(detection: f64) -> Scenario {
    load(&format!(
        r#"
name = "inputs"
[run]
horizon_weeks = 12
seed = 3
policies = ["push", "pull"]
[arrivals]
process = "poisson"
rate_per_week = 8
[disruptions]
missing_input = {{ probability = 0.5, delay = {{ dist = "exponential", mean = 16.0 }} }}
[[stages]]
name = "work"
effort = {{ dist = "exponential", mean = 6.0 }}
[team.dev]
count = 2
skills = {{ work = 1.0 }}
wip_limit = 1
[policies.pull]
detection_probability = {detection}
"#
    ))
}

#[test]
fn perfect_readiness_checks_never_block_a_pull_person() {
    let sc = missing_inputs(1.0);
    let reps = 6;
    for w in run(&sc, "pull", reps, M::WaitingH) {
        assert_eq!(w, Some(0.0));
    }
    // The cards still wait for their inputs, in clarification instead of in a person's
    // hands: since issue 13 the blocker rate counts that wait under every policy alike.
    let (pull_rate, push_rate) = (
        mean(&run(&sc, "pull", reps, M::BlockerRate)),
        mean(&run(&sc, "push", reps, M::BlockerRate)),
    );
    assert!(
        pull_rate > 0.3 && (pull_rate - push_rate).abs() < 0.1,
        "blocker rate: pull {pull_rate}, push {push_rate}"
    );
    for rep in 0..reps {
        let trace = traced(&sc, "pull", rep);
        assert!(!trace.iter().any(|e| matches!(e, Trace::Block { .. })));
    }
    // The same cards under push start anyway and block their owners.
    let push_wait = mean(&run(&sc, "push", reps, M::WaitingH));
    assert!(
        push_wait > 1.0,
        "push owners wait on missing inputs: {push_wait}"
    );
    // And without detection, pull blocks too.
    let blind = missing_inputs(0.0);
    let blind_wait = mean(&run(&blind, "pull", reps, M::WaitingH));
    assert!(blind_wait > 1.0, "{blind_wait}");
}

#[test]
fn blockers_and_rework_happen_at_their_rates() {
    let sc = load(
        r#"
name = "blockers"
[run]
horizon_weeks = 30
seed = 8
policies = ["pull", "flow"]
[arrivals]
process = "poisson"
rate_per_week = 5
[disruptions]
blockers = { chance_per_day = 0.2, duration = { dist = "constant", value = 4.0 } }
[[stages]]
name = "dev"
effort = { dist = "exponential", mean = 8.0 }
[[stages]]
name = "test"
effort = { dist = "exponential", mean = 3.0 }
rework = { probability = 0.3, to = "dev", effort_share = 0.5 }
[team.dev]
count = 2
skills = { dev = 1.0 }
[team.tester]
count = 1
skills = { test = 1.0 }
"#,
    );
    for name in ["pull", "flow"] {
        let rate = mean(&run(&sc, name, 4, M::BlockerRate));
        assert!(rate > 0.1 && rate < 0.9, "{name}: {rate}");
        let hours = mean(&run(&sc, name, 4, M::BlockedCardH));
        assert!(hours > 0.0);
    }
}

/// Stable, low-variance work with hard deadlines: where push earns its place.
const STABLE: &str = include_str!("../scenarios/stable-deadlines.toml");
/// Variable work, optimistic estimates and sickness: where push does clearly worse.
const VOLATILE: &str = include_str!("../scenarios/volatile-work.toml");

#[test]
fn push_does_at_least_as_well_on_stable_work_with_deadlines() {
    let sc = load(STABLE);
    let reps = 30;
    for other in ["pull", "flow"] {
        // "At least as well": the paired interval of push - other does not lie below zero.
        for m in [M::ThroughputPerWeek, M::DueDateHitRate] {
            let (d, _, hi) = paired(&run(&sc, "push", reps, m), &run(&sc, other, reps, m));
            assert!(hi >= 0.0, "{m:?}: push - {other} = {d}, interval high {hi}");
        }
    }
    assert_eq!(mean(&run(&sc, "push", reps, M::CommitmentHitRate)), 1.0);
}

#[test]
fn push_does_clearly_worse_on_volatile_work() {
    let sc = load(VOLATILE);
    let reps = 30;
    for other in ["pull", "flow"] {
        let (d, lo, _) = paired(
            &run(&sc, "push", reps, M::LeadTimeMean),
            &run(&sc, other, reps, M::LeadTimeMean),
        );
        assert!(lo > 0.0, "lead time push - {other}: {d}, interval low {lo}");
    }
    let ot = mean(&run(&sc, "push", reps, M::OvertimeH));
    assert!(ot > 1.0, "push hides the variance as overtime: {ot}");
}

const HYBRID: &str = include_str!("../scenarios/push-staging-pull-production.toml");

#[test]
fn a_polling_stage_takes_work_only_when_it_polls() {
    let sc = load(HYBRID);
    let production = 2;
    for rep in 0..3 {
        let trace = traced(&sc, "hybrid", rep);
        let mut polled = 0;
        for e in &trace {
            if let Trace::Enter { t, stage, .. } = *e
                && stage == production
            {
                // Polls happen every 24 h from t = 24 h.
                let k = (t / 24.0).round();
                assert!((t - 24.0 * k).abs() < 1e-6 && k >= 1.0, "entered at {t}");
                polled += 1;
            }
        }
        assert!(polled > 0);
        // Pushed straight through, cards enter production whenever staging hands them on.
        let trace = traced(&sc, "push-through", rep);
        let off_poll = trace.iter().any(|e| {
            matches!(*e, Trace::Enter { t, stage, .. } if stage == production && (t / 24.0).fract() > 1e-6)
        });
        assert!(off_poll);
    }
}

const PIPELINE: &str = include_str!("../scenarios/deployment-pipeline.toml");

#[test]
fn failed_deployments_break_production_only_when_pushed_through() {
    let sc = load(PIPELINE);
    let reps = 12;
    let down_push = run(&sc, "push-through", reps, M::DowntimeH);
    let down_pull = run(&sc, "daily-pull", reps, M::DowntimeH);
    for (a, b) in down_push.iter().zip(&down_pull) {
        assert!(
            a.unwrap() > 0.0,
            "pushed through, a failure takes production down"
        );
        assert_eq!(*b, Some(0.0), "the daily pull keeps the last good state");
    }
    assert!(mean(&run(&sc, "push-through", reps, M::TimeToRestoreMean)) > 1.0);
    for name in ["push-through", "daily-pull"] {
        let cfr = mean(&run(&sc, name, reps, M::ChangeFailureRate));
        assert!(
            (0.08..0.22).contains(&cfr),
            "{name}: change failure rate {cfr}"
        );
    }
    let (d, lo, _) = paired(
        &run(&sc, "daily-pull", reps, M::CycleTimeMean),
        &run(&sc, "push-through", reps, M::CycleTimeMean),
    );
    assert!(
        lo > 0.0,
        "the daily pull adds lead time for changes: {d}, low {lo}"
    );
}

#[test]
fn fatigue_raises_sickness_with_overtime() {
    let text = |fatigue: f64| {
        weekly_batch(0.6, 0.3)
            .replace("batch_size = 15", "batch_size = 22")
            .replace(
                "max_overtime_h_per_day = 2",
                "max_overtime_h_per_day = 3\nsick_chance_per_day = 0.01",
            )
            .replace(
                "[[stages]]",
                &format!(
                    "[disruptions]\nfatigue_per_overtime_hour = {fatigue}\nfatigue_window_days = 10\n[[stages]]"
                ),
            )
    };
    let rested = load(&text(0.0));
    let tired = load(&text(0.1));
    let reps = 20;
    let (d, lo, _) = paired(
        &run(&tired, "push", reps, M::SickDays),
        &run(&rested, "push", reps, M::SickDays),
    );
    assert!(lo > 0.0, "fatigue adds sick days: {d}, low {lo}");
    // Pull works no overtime here, so fatigue changes nothing for it.
    assert_eq!(
        run(&tired, "pull", reps, M::SickDays),
        run(&rested, "pull", reps, M::SickDays)
    );
}

/// Missing inputs answered by one product owner working normal hours: how long a card waits
/// for its input depends on how many others are asking.
fn answered_inputs(probability: f64) -> Scenario {
    load(&format!(
        r#"
name = "answers"
[run]
horizon_weeks = 20
seed = 9
policies = ["push", "pull"]
[arrivals]
process = "poisson"
rate_per_week = 10
[disruptions]
missing_input = {{ probability = {probability}, delay = {{ dist = "exponential", mean = 2.0 }}, answerers = 1 }}
[[stages]]
name = "work"
effort = {{ dist = "exponential", mean = 5.0 }}
[team.dev]
count = 2
skills = {{ work = 1.0 }}
"#
    ))
}

#[test]
fn a_busy_answerer_makes_inputs_wait_longer() {
    let reps = 10;
    let light = mean(&run(&answered_inputs(0.1), "push", reps, M::InputWaitMean));
    let heavy = mean(&run(&answered_inputs(0.9), "push", reps, M::InputWaitMean));
    assert!(
        light > 2.0,
        "an answer takes 2 h of work on average, in working hours: {light}"
    );
    assert!(
        heavy > 1.5 * light,
        "queueing for the answerer: {light} vs {heavy}"
    );
}

/// Issue 13: an announced absence (a holiday) is handed over as it starts, under push and
/// pull alike, however long the emergency delay.
#[test]
fn an_announced_absence_is_handed_over_as_it_starts() {
    let sc = load(
        r#"
name = "holiday"
[run]
horizon_weeks = 6
seed = 5
policies = ["push", "pull"]
[arrivals]
process = "poisson"
rate_per_week = 18
initial_backlog = 6
[[stages]]
name = "work"
effort = { dist = "exponential", mean = 4.0 }
[team.dev]
count = 2
skills = { work = 1.0 }
[[absences]]
person = "dev-1"
from_week = 2.45
weeks = 2
[policies.push]
emergency_after_days = 100
[policies.pull]
emergency_after_days = 100
"#,
    );
    let mut moved = 0;
    for rep in 0..4 {
        let trace = traced(&sc, "push", rep);
        let first = absent_days(&trace, 0)[0];
        for (t, from, _) in reassignments(&trace) {
            if from == 0 {
                assert!(
                    (t - first).abs() < 1e-9,
                    "rep {rep}: handed over at {t}, not as the absence starts ({first})"
                );
                moved += 1;
            }
        }
        // Under pull, nothing stays held by the absent person once the absence has started.
        let trace = traced(&sc, "pull", rep);
        let days = absent_days(&trace, 0);
        let mut held = std::collections::HashSet::new();
        for e in &trace {
            match *e {
                Trace::Hold {
                    t, card, person: 0, ..
                } if t < days[0] => {
                    held.insert(card);
                }
                Trace::Hold {
                    t, card, person: 1, ..
                } if t >= days[0] && t < days[1] && held.contains(&card) => {
                    moved += 1;
                }
                _ => {}
            }
        }
    }
    assert!(moved > 0, "the holiday-maker's cards were handed over");
}

/// Mean throughput of `reps` audited replications of policy `name` of the shipped sweet-spot
/// scenario with the development column limited to `limit` cards.
fn sweet_spot_throughput(name: &str, limit: u32, reps: u64) -> Vec<Option<f64>> {
    let text = std::fs::read_to_string("scenarios/multitasking-sweet-spot.toml").unwrap();
    let text = text.replacen("wip_limit = 6", &format!("wip_limit = {limit}"), 1);
    let sc = load(&text);
    assert_eq!(sc.model.stages[0].wip_limit, Some(limit));
    run(&sc, name, reps, M::ThroughputPerWeek)
}

/// Time-slicing (issue 15, kanbansim's model): throughput peaks at a middle WIP limit and
/// falls on both sides, each step a paired 95% interval clear of zero (the points share the
/// seed, so replication r of every limit sees the same cards); one card at a time, more WIP
/// never costs throughput.
#[test]
fn time_slicing_has_a_wip_sweet_spot() {
    let reps = 30;
    let low = sweet_spot_throughput("sliced", 1, reps);
    let mid = sweet_spot_throughput("sliced", 7, reps);
    let high = sweet_spot_throughput("sliced", 16, reps);
    let (d, lo, _) = paired(&mid, &low);
    assert!(
        lo > 0.0,
        "starved at a limit of 1: mid - low = {d:.2}, low end {lo:.2}"
    );
    let (d, lo, _) = paired(&mid, &high);
    assert!(
        lo > 0.0,
        "juggling at 16: mid - high = {d:.2}, low end {lo:.2}"
    );
    let pull_mid = sweet_spot_throughput("pull", 7, reps);
    let pull_high = sweet_spot_throughput("pull", 16, reps);
    let (d, _, hi) = paired(&pull_high, &pull_mid);
    assert!(
        hi > 0.0,
        "one card at a time, more WIP never costs: {d:.2}, high end {hi:.2}"
    );
}

/// Fairness (issue 15): every preset can switch time-slicing on, and it changes what that
/// preset does: a person holding several cards progresses them together, so each takes
/// longer from its first hour of work to done (paired 95% interval above zero).
#[test]
fn every_preset_can_slice_its_time() {
    for preset in ["push", "pull", "flow"] {
        let text = format!(
            r#"
name = "juggle"
[run]
horizon_weeks = 12
warmup_weeks = 1
seed = 5
policies = ["one", "sliced"]
[arrivals]
process = "poisson"
rate_per_week = 6
[disruptions]
blockers = {{ chance_per_day = 0.2, duration = {{ dist = "exponential", mean = 6.0 }} }}
[[stages]]
name = "work"
effort = {{ dist = "exponential", mean = 5.0 }}
[team.dev]
count = 2
skills = {{ work = 1.0 }}
wip_limit = 4
[policies.one]
preset = "{preset}"
[policies.sliced]
preset = "{preset}"
time_slicing = true
"#
        );
        let sc = load(&text);
        assert_eq!(policy(&sc, "one").time_slicing, None, "{preset}");
        assert!(policy(&sc, "sliced").time_slicing.is_some(), "{preset}");
        let one = run(&sc, "one", 20, M::StartToDoneMean);
        let sliced = run(&sc, "sliced", 20, M::StartToDoneMean);
        let (d, lo, _) = paired(&sliced, &one);
        assert!(
            lo > 0.0,
            "{preset}: sliced - one = {d:.2} h, low end {lo:.2}"
        );
    }
}

/// Per replication, the change metric `k` (0: lead time for changes, 1: changes per
/// deployment) of `reps` audited replications of policy `name`.
fn run_change(sc: &Scenario, name: &str, reps: u64, k: usize) -> Vec<Option<f64>> {
    let at = flowsim::metrics::change_metrics_at(&sc.model) + k;
    let names = flowsim::metrics::catalogue(&sc.model);
    assert_eq!(
        names[at].name,
        ["lead_time_for_changes_mean_h", "changes_per_deployment"][k]
    );
    audited_replications(sc, policy(sc, name), reps)
        .iter()
        .map(|r| r.values[at])
        .collect()
}

fn gitops_text() -> String {
    std::fs::read_to_string("scenarios/gitops-deployments.toml").unwrap()
}

/// GitOps (issue 15): syncing once a day instead of every hour deploys fewer, larger batches;
/// each change can break a batch, so more of them fail; and changes wait longer for delivery.
/// Each effect is a paired 95% interval clear of zero.
#[test]
fn daily_gitops_syncs_fewer_larger_batches_that_fail_more_often() {
    let sc = load(&gitops_text());
    let reps = 30;
    let m = |name: &str, metric: M| run(&sc, name, reps, metric);
    let (d, _, hi) = paired(
        &m("gitops-daily", M::DeploymentsPerWeek),
        &m("gitops-hourly", M::DeploymentsPerWeek),
    );
    assert!(hi < 0.0, "deployments per week, daily - hourly = {d:.2}");
    let (d, lo, _) = paired(
        &m("gitops-daily", M::ChangeFailureRate),
        &m("gitops-hourly", M::ChangeFailureRate),
    );
    assert!(lo > 0.0, "change failure rate, daily - hourly = {d:.3}");
    let (d, lo, _) = paired(
        &run_change(&sc, "gitops-daily", reps, 1),
        &run_change(&sc, "gitops-hourly", reps, 1),
    );
    assert!(lo > 0.0, "changes per deployment, daily - hourly = {d:.2}");
    let (d, lo, _) = paired(
        &run_change(&sc, "gitops-daily", reps, 0),
        &run_change(&sc, "gitops-hourly", reps, 0),
    );
    assert!(lo > 0.0, "lead time for changes, daily - hourly = {d:.1} h");
    // A person deploys card by card: one change per deployment, every time.
    for v in run_change(&sc, "operator", reps, 1) {
        assert_eq!(v, Some(1.0));
    }
}

/// GitOps: a failure the health check notices only later keeps production down meanwhile,
/// even under keep-last-good (noticed at once: no downtime at all); the time to restore is
/// measured from the run, so it varies from replication to replication.
#[test]
fn an_unnoticed_gitops_failure_costs_keep_last_good_its_downtime() {
    let late = load(&gitops_text());
    let text = gitops_text().replace(
        "detect_after = { dist = \"exponential\", mean = 2.0 }, ",
        "",
    );
    let at_once = load(&text);
    assert!(
        at_once.model.stages[2]
            .deployment
            .as_ref()
            .unwrap()
            .detect_after
            .is_none()
    );
    let reps = 30;
    let down_late = run(&late, "gitops-hourly", reps, M::DowntimeH);
    let down_now = run(&at_once, "gitops-hourly", reps, M::DowntimeH);
    for v in &down_now {
        assert_eq!(*v, Some(0.0), "noticed at once: never down");
    }
    let (d, lo, _) = paired(&down_late, &down_now);
    assert!(lo > 0.0, "down hours, noticed late - at once = {d:.1}");
    let restore: Vec<f64> = run(&late, "gitops-hourly", reps, M::TimeToRestoreMean)
        .into_iter()
        .flatten()
        .collect();
    assert!(restore.len() > 20);
    assert!(
        restore.iter().any(|&r| (r - restore[0]).abs() > 1.0),
        "{restore:?}"
    );
}

/// GitOps: an expedite change deploys alone at once instead of waiting for the daily sync:
/// more deployments a week (paired 95% interval above zero).
#[test]
fn expedite_changes_bypass_the_gitops_poll() {
    let text = gitops_text().replace(
        "gitops_sync = { production = true }\nfailed_deploy = \"keep_last_good\"\n",
        "gitops_sync = { production = true }\nfailed_deploy = \"keep_last_good\"\n\
         expedite_bypasses_sync = false\n",
    );
    let waits = load(&text);
    assert!(
        !policy(&waits, "gitops-daily").gitops[2]
            .unwrap()
            .expedite_bypass
    );
    let bypass = load(&gitops_text());
    assert!(
        policy(&bypass, "gitops-daily").gitops[2]
            .unwrap()
            .expedite_bypass
    );
    let a = run(&bypass, "gitops-daily", 30, M::DeploymentsPerWeek);
    let b = run(&waits, "gitops-daily", 30, M::DeploymentsPerWeek);
    let (d, lo, _) = paired(&a, &b);
    assert!(lo > 0.0, "deployments per week, bypass - wait = {d:.2}");
}

/// Fairness (issue 15): every preset can deploy by GitOps, and the change metrics mean the
/// same under every policy: a synced stage deploys more than one change at a time on
/// average, a worked one exactly one.
#[test]
fn every_preset_can_deploy_by_gitops() {
    for preset in ["push", "pull", "flow"] {
        let text = format!(
            r#"
name = "sync"
[run]
horizon_weeks = 10
warmup_weeks = 1
seed = 8
policies = ["worked", "synced"]
[arrivals]
process = "poisson"
rate_per_week = 8
[[stages]]
name = "build"
effort = {{ dist = "exponential", mean = 4.0 }}
[[stages]]
name = "production"
effort = {{ dist = "constant", value = 0.5 }}
deployment = {{ failure_probability = 0.1, batch_failure = "each_change", fix_in = "build", rollback_effort = {{ dist = "constant", value = 2.0 }} }}
[team.dev]
count = 2
skills = {{ build = 1.0, production = 1.0 }}
[policies.worked]
preset = "{preset}"
[policies.synced]
preset = "{preset}"
handoff = {{ production = "pull" }}
poll_every_hours = {{ production = 24 }}
gitops_sync = {{ production = true }}
"#
        );
        let sc = load(&text);
        assert!(sc.model.change_metrics);
        assert!(policy(&sc, "synced").gitops[1].is_some(), "{preset}");
        for v in run_change(&sc, "worked", 10, 1).into_iter().flatten() {
            assert_eq!(v, 1.0, "{preset}");
        }
        let synced = run_change(&sc, "synced", 10, 1);
        assert!(mean(&synced) > 1.5, "{preset}: {}", mean(&synced));
        assert!(run_change(&sc, "worked", 10, 0).iter().all(Option::is_some));
    }
}

/// Time-slicing's rate, exactly: one person holding two 4-hour cards progresses both at once,
/// each at half of the 90% of their speed left with two cards (loss 0.1), so both finish at
/// 4 / 0.45 h; one card at a time finishes them at 4 h and 8 h.
#[test]
fn a_time_slicing_person_progresses_both_cards_at_their_share() {
    let text = r#"
name = "two"
[run]
horizon_weeks = 1
seed = 3
policies = ["one", "sliced"]
[calendar]
mode = "24/7"
[arrivals]
process = "none"
initial_backlog = 2
[[stages]]
name = "work"
effort = { dist = "constant", value = 4.0 }
[team.dev]
skills = { work = 1.0 }
wip_limit = 2
[policies.one]
preset = "pull"
[policies.sliced]
preset = "pull"
time_slicing = true
time_slicing_loss = 0.1
"#;
    let sc = load(text);
    let done = |name: &str| -> Vec<f64> {
        let (_, trace) = common::traced(&sc, policy(&sc, name), Streams::new(3, 0));
        trace
            .iter()
            .filter_map(|t| match t {
                Trace::Done { t, .. } => Some(*t),
                _ => None,
            })
            .collect()
    };
    let one = done("one");
    assert_eq!(one.len(), 2);
    assert!(
        (one[0] - 4.0).abs() < 1e-9 && (one[1] - 8.0).abs() < 1e-9,
        "{one:?}"
    );
    let sliced = done("sliced");
    assert_eq!(sliced.len(), 2);
    for t in sliced {
        assert!((t - 4.0 / 0.45).abs() < 1e-9, "{t}");
    }
}
