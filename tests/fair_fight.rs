//! Issue 13, first half: push at its best, and every mechanism wherever it is set. One test per
//! asymmetry the review found, each failing if the asymmetry comes back, and the claims of
//! `scenarios/push-at-its-best.toml`'s header. Paired comparisons on common random numbers
//! (replication `r` of every policy sees the same world), audited runs, fixed seeds.

mod common;

use common::{audited_replications, load, paired_interval, policy};
use flowsim::metrics::{M, RepResult};
use flowsim::scenario::Scenario;

/// Replications per policy in these checks.
const REPS: u64 = 20;

fn shipped(name: &str) -> String {
    let path = format!("{}/scenarios/{name}.toml", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn runs(sc: &Scenario, name: &str) -> Vec<RepResult> {
    audited_replications(sc, policy(sc, name), REPS)
}

/// Paired interval of `f(a) - f(b)`.
fn diff(a: &[RepResult], b: &[RepResult], f: impl Fn(&RepResult) -> f64) -> (f64, f64, f64) {
    paired_interval(a.iter().zip(b).map(|(x, y)| f(x) - f(y)))
}

fn get(m: M) -> impl Fn(&RepResult) -> f64 {
    move |r| r.get(m).unwrap_or_else(|| panic!("{m:?} undefined"))
}

/// Mean time a card waits before its commitment point (lead time - cycle time, hours).
fn wait_for_plan(r: &RepResult) -> f64 {
    get(M::LeadTimeMean)(r) - get(M::CycleTimeMean)(r)
}

#[track_caller]
fn below_zero(what: &str, (m, lo, hi): (f64, f64, f64)) {
    assert!(
        hi < 0.0,
        "{what}: {m:.2} [{lo:.2}, {hi:.2}] is not below zero"
    );
}

#[track_caller]
fn above_zero(what: &str, (m, lo, hi): (f64, f64, f64)) {
    assert!(
        lo > 0.0,
        "{what}: {m:.2} [{lo:.2}, {hi:.2}] is not above zero"
    );
}

/// Since clarification counts in blocked card-hours under every policy (one yardstick), a
/// readiness check moves a card's wait for its input from "held and blocked" to "waiting for
/// clarification", held by nobody: what it saves is people's time waiting on their own blocked
/// cards.
#[test]
fn a_readiness_check_at_planning_time_cuts_push_time_waiting_on_held_cards() {
    let text = format!(
        "{}\n[policies.push-checked]\npreset = \"push\"\nreadiness_check = true\n",
        shipped("missing-inputs").replace("policies = [", "policies = [\"push-checked\", ")
    );
    let sc = load(&text, "missing-inputs + push-checked");
    let (checked, plain) = (runs(&sc, "push-checked"), runs(&sc, "push"));
    below_zero(
        "hours a person-week waiting on own blocked cards, push with a readiness check - plain push",
        diff(&checked, &plain, get(M::WaitingH)),
    );
}

#[test]
fn the_emergency_delay_changes_pulls_results() {
    // flu-season's wave: four people away for one to two weeks, unannounced.
    let base = shipped("flu-season");
    let at_once = load(
        &format!("{base}\n[policies.pull]\nemergency_after_days = 1\n"),
        "flu-season, pull hands over at once",
    );
    let late = load(
        &format!("{base}\n[policies.pull]\nemergency_after_days = 5\n"),
        "flu-season, pull hands over after 5 days",
    );
    above_zero(
        "pull lead time, hand-over after 5 days - at once",
        diff(
            &runs(&late, "pull"),
            &runs(&at_once, "pull"),
            get(M::LeadTimeMean),
        ),
    );
}

#[test]
fn identical_mechanisms_under_different_names_give_identical_numbers() {
    // `pull` rebuilt from the push preset, field by field, and push under another name.
    let text = format!(
        "{}\n[policies.pull-from-push]\npreset = \"push\"\nrelease = \"on_pull\"\n\
         stage_limits = true\nhandoff = {{ test = \"pull\" }}\n\
         overtime = \"none\"\nreadiness_check = true\nfailed_deploy = \"keep_last_good\"\n\
         [policies.planned]\npreset = \"push\"\n",
        shipped("everyday-friction").replace(
            "policies = [",
            "policies = [\"pull-from-push\", \"planned\", "
        )
    );
    let sc = load(&text, "everyday-friction + renamed policies");
    for (a, b) in [("pull-from-push", "pull"), ("planned", "push")] {
        let (ra, rb) = (runs(&sc, a), runs(&sc, b));
        for (k, (x, y)) in ra.iter().zip(&rb).enumerate() {
            assert_eq!(x.values, y.values, "{a} vs {b}, replication {k}");
            assert_eq!(x.weekly, y.weekly, "{a} vs {b}, replication {k}");
        }
    }
}

#[test]
fn daily_planning_with_top_up_shortens_pushs_wait_for_the_plan() {
    let text = format!(
        "{}\n[policies.push-daily]\npreset = \"push\"\nplanning_period_days = 1\ntop_up = true\n",
        shipped("weekly-commitments").replace("policies = [", "policies = [\"push-daily\", ")
    );
    let sc = load(&text, "weekly-commitments + push-daily");
    let (daily, weekly) = (runs(&sc, "push-daily"), runs(&sc, "push"));
    below_zero(
        "wait for the plan (lead - cycle), daily with top-up - weekly",
        diff(&daily, &weekly, wait_for_plan),
    );
    below_zero(
        "lead time, daily with top-up - weekly",
        diff(&daily, &weekly, get(M::LeadTimeMean)),
    );
}

#[test]
fn class_of_service_orders_pushs_personal_queues() {
    // hard-deadline has fixed-date cards: with queues in class order, push meets at least as
    // many due dates as before this change (pinned: the hit rate stays high).
    let sc = load(&shipped("hard-deadline"), "hard-deadline");
    let push = runs(&sc, "push");
    let hits: f64 = push
        .iter()
        .map(|r| r.get(M::DueDateHitRate).unwrap_or(1.0))
        .sum::<f64>()
        / push.len() as f64;
    assert!(hits > 0.5, "push due-date hit rate {hits}");
}

#[test]
fn time_to_restore_is_measured_under_keep_last_good() {
    let sc = load(&shipped("deployment-pipeline"), "deployment-pipeline");
    let name = sc
        .policies
        .iter()
        .find(|p| p.failed_deploy == flowsim::policy::FailedDeploy::KeepLastGood)
        .expect("a keep-last-good policy")
        .name
        .clone();
    for r in runs(&sc, &name) {
        if r.get(M::ChangeFailureRate).is_some_and(|c| c > 0.0) {
            let t = r.get(M::TimeToRestoreMean).expect("measured");
            assert!(t > 0.0, "{name}: time to restore {t} is not measured");
        }
    }
}

/// `scenarios/push-at-its-best.toml`'s header, statement by statement.
#[test]
fn push_at_its_best_header_holds() {
    let sc = load(&shipped("push-at-its-best"), "push-at-its-best");
    let r = |p: &str| runs(&sc, p);
    let (weekly, daily, daily_no_ot, pull, flow) = (
        r("push"),
        r("push-daily"),
        r("push-daily-no-overtime"),
        r("pull"),
        r("flow"),
    );
    let lead = get(M::LeadTimeMean);
    // Weekly push: the longest lead time, most of the gap to pull is waiting for Monday's plan.
    above_zero("lead, weekly push - pull", diff(&weekly, &pull, &lead));
    let (gap, _, _) = diff(&weekly, &pull, &lead);
    let (wait, _, _) = diff(&weekly, &pull, wait_for_plan);
    assert!(
        wait > 0.7 * gap,
        "waiting for the plan {wait} of a gap of {gap}"
    );
    // Push at its best: shorter lead time than pull and flow, bought with overtime.
    below_zero("lead, push-daily - pull", diff(&daily, &pull, &lead));
    below_zero("lead, push-daily - flow", diff(&daily, &flow, &lead));
    above_zero(
        "overtime, push-daily - weekly push",
        diff(&daily, &weekly, get(M::OvertimeH)),
    );
    // Without the overtime, the daily plan is still far better than weekly push, but behind
    // pull.
    below_zero(
        "lead, push-daily-no-overtime - weekly push",
        diff(&daily_no_ot, &weekly, &lead),
    );
    above_zero(
        "lead, push-daily-no-overtime - pull",
        diff(&daily_no_ot, &pull, &lead),
    );
    // Everybody finishes the demand: throughput within 2% of pull's.
    for (name, rs) in [("push", &weekly), ("push-daily", &daily), ("flow", &flow)] {
        let (m, _, _) = diff(rs, &pull, get(M::ThroughputPerWeek));
        assert!(
            m.abs() < 0.16,
            "{name} throughput differs from pull's by {m}"
        );
    }
}
