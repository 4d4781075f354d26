//! Every mechanism a shipped scenario relies on, switched off in that scenario: the named
//! metric must move in the expected direction, with a 95% paired interval (common random
//! numbers, fixed seeds) that excludes zero. If a mechanism stopped working, its switch would
//! change nothing and its test would fail.
//!
//! `scenarios/everyday-friction.toml` uses them all: fatigue, expedite work, blockers,
//! rework, multitasking costs, answerers of missing inputs and emergency reassignment.

mod common;

use common::{audited_replications, paired_interval, policy};
use flowsim::metrics::{M, RepResult};

/// Replications per run: the intervals below stay well clear of zero at this count.
const REPS: u64 = 40;

fn shipped(name: &str) -> String {
    let path = format!("{}/scenarios/{name}.toml", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// Replaces `from` (which must occur) in the scenario's text.
#[track_caller]
fn edit(text: &str, from: &str, to: &str) -> String {
    assert!(text.contains(from), "`{from}` not in the scenario");
    text.replace(from, to)
}

fn runs(text: &str, name: &str) -> Vec<RepResult> {
    let sc = common::load(text, "a shipped scenario");
    audited_replications(&sc, policy(&sc, name), REPS)
}

/// Paired interval of metric `m` under policy `name`, the shipped everyday-friction scenario
/// minus the one with `from` replaced by `to` (the mechanism switched off):
/// `(mean, low, high)`.
#[track_caller]
fn effect(name: &str, m: M, from: &str, to: &str) -> (f64, f64, f64) {
    effect_in("everyday-friction", name, m, from, to)
}

/// As [`effect`], in shipped scenario `scenario`.
#[track_caller]
fn effect_in(scenario: &str, name: &str, m: M, from: &str, to: &str) -> (f64, f64, f64) {
    let on = shipped(scenario);
    let off = edit(&on, from, to);
    let (a, b) = (runs(&on, name), runs(&off, name));
    paired_interval(
        a.iter()
            .zip(&b)
            .filter_map(|(x, y)| Some(x.get(m)? - y.get(m)?)),
    )
}

#[track_caller]
fn above_zero(what: &str, (mean, lo, hi): (f64, f64, f64)) {
    println!("{what}: {mean:.3} [{lo:.3}, {hi:.3}]");
    assert!(
        lo > 0.0,
        "{what}: mechanism on - off = {mean} [{lo}, {hi}], should be above zero"
    );
}

#[test]
fn fatigue_adds_sick_days_where_people_work_overtime() {
    // Push works overtime to meet its plan; fatigue turns that into more sickness.
    above_zero(
        "push sick person-days",
        effect(
            "push",
            M::SickDays,
            "fatigue_per_overtime_hour = 0.05",
            "fatigue_per_overtime_hour = 0.0",
        ),
    );
}

#[test]
fn expedite_arrivals_add_finished_cards() {
    above_zero(
        "flow cards finished",
        effect(
            "flow",
            M::CardsFinished,
            "expedite_rate_per_week = 1",
            "expedite_rate_per_week = 0",
        ),
    );
}

#[test]
fn blockers_block_cards_and_lengthen_lead_time() {
    let line =
        "blockers = { chance_per_day = 0.05, duration = { dist = \"exponential\", mean = 8.0 } }\n";
    above_zero(
        "flow blocker rate",
        effect("flow", M::BlockerRate, line, ""),
    );
    above_zero("flow lead time", effect("flow", M::LeadTimeMean, line, ""));
}

#[test]
fn rework_lengthens_cycle_time() {
    above_zero(
        "flow cycle time",
        effect(
            "flow",
            M::CycleTimeMean,
            "rework = { probability = 0.2, to = \"development\", effort_share = 0.4 }\n",
            "",
        ),
    );
}

#[test]
fn switch_costs_lengthen_cycle_time() {
    above_zero(
        "push cycle time",
        effect(
            "push",
            M::CycleTimeMean,
            "model = \"switch_cost\"",
            "model = \"none\"",
        ),
    );
}

#[test]
fn a_busy_answerer_makes_inputs_wait_longer_than_their_work() {
    // Without answerers, an input arrives after its delay; with one, the same delay is the
    // answerer's work, done in working hours, one request at a time.
    above_zero(
        "flow input wait",
        effect("flow", M::InputWaitMean, ", answerers = 1 }", " }"),
    );
}

#[test]
fn emergency_reassignment_shortens_push_lead_time_in_a_flu_wave() {
    // In flu-season four people are away for one and a half to two weeks and push reassigns
    // their cards after two days (its default); with reassignment switched off, the cards
    // wait for them to come back.
    let on = shipped("flu-season");
    assert!(
        !on.contains("emergency_after_days"),
        "flu-season uses push's default"
    );
    let off = format!("{on}\n[policies.push]\nemergency_after_days = 1000\n");
    let (a, b) = (runs(&on, "push"), runs(&off, "push"));
    let (mean, lo, hi) = paired_interval(
        a.iter()
            .zip(&b)
            .filter_map(|(x, y)| Some(y.get(M::LeadTimeMean)? - x.get(M::LeadTimeMean)?)),
    );
    above_zero("push lead time, reassignment off - on", (mean, lo, hi));
}
