//! The engine's shortcuts are savings, not changes: every shipped scenario, under each of its
//! policies, gives the same results with a shortcut switched off as with it on, and so do
//! boards made to reach their corners (polls at every interval, delayed pullers, every
//! mechanism at once).

use super::Workspace;
use super::state::Sim;
use crate::metrics::RepResult;
use crate::rng::Streams;
use crate::scenario::{Scenario, load_file};
use std::path::PathBuf;

/// Every scenario shipped in `scenarios/` and `scenarios/validation/`.
fn shipped() -> Vec<(PathBuf, Scenario)> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let mut out = Vec::new();
    for dir in ["scenarios", "scenarios/validation"] {
        let mut files: Vec<PathBuf> = std::fs::read_dir(root.join(dir))
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "toml"))
            .collect();
        files.sort();
        for p in files {
            let sc = load_file(&p).unwrap_or_else(|e| panic!("{e}"));
            out.push((p, sc));
        }
    }
    out
}

/// One replication of policy `p` under master seed `seed`, audited when `audit`, after `set`
/// has switched what the test compares.
fn simulate_with(
    sc: &Scenario,
    p: usize,
    streams: Streams,
    audit: bool,
    set: impl FnOnce(&mut Sim),
) -> RepResult {
    let mut ws = Workspace {
        audit,
        ..Workspace::default()
    };
    let mut sim = Sim::new(&sc.model, &sc.policies[p], streams, &mut ws);
    set(&mut sim);
    sim.run().unwrap_or_else(|e| panic!("{e}"));
    sim.finish()
}

/// Replication `rep` (seed 11), the first one audited.
fn run(sc: &Scenario, p: usize, rep: u64, set: impl FnOnce(&mut Sim)) -> RepResult {
    simulate_with(sc, p, Streams::new(11, rep), rep == 0, set)
}

/// Calls `check` for every shipped scenario, each of its policies and two replications, with
/// a label; returns how many calls there were.
fn on_every_shipped_scenario(mut check: impl FnMut(&Scenario, usize, u64, &str)) -> usize {
    let mut calls = 0;
    for (path, sc) in shipped() {
        for p in 0..sc.policies.len() {
            for rep in 0..2 {
                let what = format!(
                    "{} under {}, rep {rep}",
                    path.display(),
                    sc.policies[p].name
                );
                check(&sc, p, rep, &what);
                calls += 1;
            }
        }
    }
    calls
}

fn assert_same(a: &RepResult, b: &RepResult, what: &str) {
    assert_eq!(a.values, b.values, "{what}: metrics");
    assert_eq!(a.weekly, b.weekly, "{what}: weekly series");
    assert_eq!(a.card_times, b.card_times, "{what}: card times");
    assert_eq!(a.events, b.events, "{what}: events");
}

/// A standard arrival queued behind a card the backlog already gives next, on a settled
/// board, needs no dispatch (`Sim::backlog_has_next`).
#[test]
fn quiet_arrivals_change_nothing() {
    let compared = on_every_shipped_scenario(|sc, p, rep, what| {
        let off = run(sc, p, rep, |s| s.quiet_arrivals = false);
        let on = run(sc, p, rep, |_| {});
        assert_same(&off, &on, what);
    });
    assert!(compared > 100, "{compared} runs compared");
}

/// A standard card waiting in the backlog draws its attributes only when it leaves it, where
/// nothing reads them before (`Sim::new_card`): the same values from the same stream.
#[test]
fn lazy_draws_change_nothing() {
    let mut lazy = 0;
    on_every_shipped_scenario(|sc, p, rep, what| {
        let mut was_lazy = false;
        let eager = run(sc, p, rep, |s| s.lazy_draws = false);
        let on = run(sc, p, rep, |s| was_lazy = s.lazy_draws);
        assert_same(&eager, &on, what);
        lazy += usize::from(was_lazy);
    });
    assert!(lazy > 50, "{lazy} runs drew lazily");
}

/// A conservative puller's delay is the dispatch's other dependence on the clock (besides day
/// ends): `puller_ready` counts it as over 1e-9 h early, so a poll on the lattice just before
/// the `PullerReady` event already pulls. Parked polls must wake for it (the first parked
/// version lost a whole polling interval there: 240 against 221 cards a week at 0.35 h).
#[test]
fn parked_polls_wait_for_a_pullers_delay() {
    for every in [0.35, 0.1, 0.01] {
        for delay in [every, 2.0 * every, 0.5, 1.0, 4.0] {
            let sc = crate::scenario::load_str(
                &format!(
                    r#"
name = "delayed-puller"
[run]
horizon_weeks = 4
policies = ["pull"]
[calendar]
mode = "24/7"
[arrivals]
process = "poisson"
rate_per_hour = 3
[[stages]]
name = "a"
effort = {{ dist = "exponential", mean = 0.2 }}
[[stages]]
name = "b"
effort = {{ dist = "exponential", mean = 0.05 }}
pull_delay_h = {delay}
[team.x]
count = 2
skills = {{ a = 1.0 }}
[team.y]
skills = {{ b = 1.0 }}
[policies.pull]
handoff = {{ b = "pull" }}
poll_every_hours = {{ b = {every} }}
"#
                ),
                "delayed-puller.toml",
            )
            .unwrap_or_else(|e| panic!("{e}"));
            let what = format!("polls every {every} h, delay {delay} h");
            let all = run(&sc, 0, 0, |s| s.park_polls = false);
            let parked = run(&sc, 0, 0, |_| {});
            assert_close(&all, &parked, &what);
        }
    }
}

/// The same dependence for a quiet arrival: one landing within 1e-9 h before a puller's
/// delay ends must dispatch (a full dispatch would pull then). Rare by nature (about
/// rate x 1e-9 per delay), so arrivals come a million an hour into a capped backlog.
#[test]
fn a_quiet_arrival_still_sees_a_pullers_delay_end() {
    let sc = crate::scenario::load_str(
        r#"
name = "flood"
[run]
horizon_weeks = 0.02
policies = ["pull"]
[calendar]
mode = "24/7"
[arrivals]
process = "poisson"
rate_per_hour = 1000000
max_backlog = 3
[[stages]]
name = "a"
effort = { dist = "constant", value = 0.0001 }
pull_delay_h = 0.001
[team.x]
skills = { a = 1.0 }
"#,
        "flood.toml",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    for rep in 1..4 {
        let what = format!("rep {rep}");
        let off = run(&sc, 0, rep, |s| s.quiet_arrivals = false);
        let on = run(&sc, 0, rep, |_| {});
        assert_same(&off, &on, &what);
    }
}

/// Every mechanism at once, under ten policies (the presets, time-slicing, swarming, column
/// pull, cadence 0 with and without column pull, switching on blocks with a readiness check,
/// a plan without top-up, polls behind a delayed puller), in four worlds (working days with a
/// capped backlog, expedites and answerers; round the clock; fixed dates with overtime for
/// dates at risk; batches). Each shortcut off and on: the same results (parked polls to the
/// last bits of time integrals).
#[test]
fn every_shortcut_changes_nothing_with_every_mechanism_on() {
    const EVERYTHING: &str = r#"
name = "everything"
[run]
horizon_weeks = 16
policies = ["push", "pull", "flow", "p-slice", "p-swarm", "p-col", "cad0", "cadcol", "p-switch", "plan-notop", "p-poll"]
[calendar]
CALENDAR
[arrivals]
ARRIVALS
initial_backlog = 6
[classes]
CLASSES
[estimates]
bias = 0.9
spread = 0.3
[disruptions]
handover_cost_h = 1.0
missing_input = { probability = 0.4, delay = { dist = "exponential", mean = 10.0 } ANSWERERS }
blockers = { chance_per_day = 0.08, duration = { dist = "exponential", mean = 6.0 } }
[[stages]]
name = "a"
effort = { dist = "lognormal", mean = 6.0, sd = 3.0 }
wip_limit = 4
[[stages]]
name = "b"
effort = { dist = "lognormal", mean = 4.0, sd = 2.0 }
wip_limit = 3
pull_below = 2
pull_delay_h = 0.5
rework = { probability = 0.2, to = "a", effort_share = 0.5 }
[[stages]]
name = "c"
effort = { dist = "exponential", mean = 1.5 }
wip_limit = 2
[team.dev]
count = 3
skills = { a = 1.0, b = 0.5 }
wip_limit = 2
sick_chance_per_day = 0.03
max_overtime_h_per_day = 2
[team.qa]
count = 2
skills = { b = 1.0, c = 0.8 }
wip_limit = 2
hours_per_day = 6
[team.ops]
skills = { c = 1.0, a = 0.3 }
[policies.pull]
OVERTIME
[policies.p-slice]
preset = "pull"
time_slicing = true
[policies.p-swarm]
preset = "pull"
swarming = true
max_per_card = 2
[policies.p-col]
preset = "pull"
column_pull = true
[policies.cad0]
preset = "flow"
release = "cadence"
replenish_every_hours = 0
system_wip_limit = 6
[policies.cadcol]
preset = "flow"
release = "cadence"
replenish_every_hours = 0
column_pull = true
system_wip_limit = 7
[policies.p-switch]
preset = "pull"
on_block = "switch"
readiness_check = true
detection_probability = 0.6
[policies.plan-notop]
preset = "push"
top_up = false
[policies.p-poll]
preset = "pull"
handoff = { b = "pull", c = "pull" }
poll_every_hours = { b = 0.25, c = 0.1 }
"#;
    let working = "mode = \"working\"\nhours_per_day = 8\ndays_per_week = 5";
    let poisson = "process = \"poisson\"\nrate_per_week = 14";
    let worlds = [
        (
            working,
            format!("{poisson}\nmax_backlog = 8"),
            "expedite_rate_per_week = 0.5",
            ", answerers = 1",
            "",
        ),
        (
            "mode = \"24/7\"",
            format!("{poisson}\nmax_backlog = 5"),
            "",
            "",
            "",
        ),
        (
            working,
            poisson.to_string(),
            "expedite_rate_per_week = 0.3\nfixed_date_share = 0.2\ndue_in_weeks = { dist = \"uniform\", min = 1, max = 3 }",
            "",
            "overtime = \"fixed_date_at_risk\"",
        ),
        (
            working,
            "process = \"batch\"\nbatch_size = 5\nperiod_weeks = 0.5".to_string(),
            "",
            ", answerers = 1",
            "",
        ),
    ];
    for (w, (calendar, arrivals, classes, answerers, overtime)) in worlds.iter().enumerate() {
        let text = EVERYTHING
            .replace("CALENDAR", calendar)
            .replace("ARRIVALS", arrivals)
            .replace("CLASSES", classes)
            .replace("ANSWERERS", answerers)
            .replace("OVERTIME", overtime);
        let sc =
            crate::scenario::load_str(&text, "everything.toml").unwrap_or_else(|e| panic!("{e}"));
        for p in 0..sc.policies.len() {
            for rep in 0..2 {
                let what = format!("world {w} under {}, rep {rep}", sc.policies[p].name);
                let on = run(&sc, p, rep, |_| {});
                let quiet_off = run(&sc, p, rep, |s| s.quiet_arrivals = false);
                assert_same(&quiet_off, &on, &format!("{what}, quiet arrivals"));
                let eager = run(&sc, p, rep, |s| s.lazy_draws = false);
                assert_same(&eager, &on, &format!("{what}, lazy draws"));
                let every_poll = run(&sc, p, rep, |s| s.park_polls = false);
                assert_close(&every_poll, &on, &format!("{what}, parked polls"));
            }
        }
    }
}

/// Equal but for the last bits of time integrals (a parked poll no longer splits one).
fn assert_close(a: &RepResult, b: &RepResult, what: &str) {
    assert_eq!(a.values.len(), b.values.len(), "{what}: metrics");
    assert_eq!(a.weekly.len(), b.weekly.len(), "{what}: weekly series");
    for (k, (x, y)) in a.values.iter().zip(&b.values).enumerate() {
        match (x, y) {
            (Some(x), Some(y)) => assert!(
                (x - y).abs() <= 1e-9 * x.abs().max(1.0),
                "{what}: metric {k}: {x} against {y}"
            ),
            _ => assert_eq!(x, y, "{what}: metric {k}"),
        }
    }
    for (x, y) in a.weekly.iter().zip(&b.weekly) {
        assert!(
            (x - y).abs() <= 1e-9 * x.abs().max(1.0),
            "{what}: weekly {x} against {y}"
        );
    }
    assert_eq!(a.card_times, b.card_times, "{what}: card times");
}

fn polling_board(every: f64, calendar: &str) -> Scenario {
    let text = format!(
        r#"
name = "polls"
[run]
horizon_weeks = 6
seed = 3
policies = ["push", "pull", "flow", "hybrid"]
[calendar]
{calendar}
[arrivals]
process = "poisson"
rate_per_hour = 0.3
[disruptions]
blockers = {{ chance_per_day = 0.1, duration = {{ dist = "exponential", mean = 6.0 }} }}
missing_input = {{ probability = 0.2, delay = {{ dist = "exponential", mean = 3.0 }} }}
[[stages]]
name = "a"
effort = {{ dist = "exponential", mean = 2.0 }}
[[stages]]
name = "b"
effort = {{ dist = "lognormal", mean = 3.0, sd = 2.0 }}
wip_limit = 3
[[stages]]
name = "c"
effort = {{ dist = "exponential", mean = 1.5 }}
wip_limit = 2
[team.ann]
skills = {{ a = 1.0, b = 0.5 }}
sick_chance_per_day = 0.05
[team.bo]
count = 2
skills = {{ b = 1.0 }}
[team.cy]
skills = {{ c = 1.0, a = 0.5 }}
[policies.push]
handoff = {{ b = "pull", c = "pull" }}
poll_every_hours = {{ b = {every}, c = {every} }}
[policies.pull]
handoff = {{ b = "pull", c = "pull" }}
poll_every_hours = {{ b = {every}, c = {every} }}
[policies.flow]
handoff = {{ c = "pull" }}
poll_every_hours = {{ c = {every} }}
[policies.hybrid]
preset = "pull"
handoff = {{ b = "push", c = "pull" }}
poll_every_hours = {{ c = {every} }}
"#
    );
    crate::scenario::load_str(&text, "polls.toml").unwrap_or_else(|e| panic!("{e}"))
}

/// Parking idle polls is a saving, not a change: every metric and weekly value equals the
/// run in which every poll happens, but for the last bits of time integrals (a parked poll
/// no longer splits one), and far fewer events run.
#[test]
fn parked_polls_change_nothing_but_the_event_count() {
    let calendars = [
        "mode = \"working\"\nhours_per_day = 8\ndays_per_week = 5",
        "mode = \"24/7\"",
    ];
    for every in [0.01, 0.35, 5.0, 24.0] {
        for calendar in calendars {
            let sc = polling_board(every, calendar);
            for p in 0..sc.policies.len() {
                for rep in 0..3 {
                    let streams = Streams::new(5, rep);
                    let all = simulate_with(&sc, p, streams, true, |s| s.park_polls = false);
                    let parked = simulate_with(&sc, p, streams, true, |_| {});
                    let what = format!(
                        "{} every {every} h, {calendar}, rep {rep}",
                        sc.policies[p].name
                    );
                    assert_close(&all, &parked, &what);
                    assert!(parked.events <= all.events, "{what}");
                    if every == 0.01 {
                        assert!(
                            parked.events * 20 < all.events,
                            "{what}: {} against {}",
                            parked.events,
                            all.events
                        );
                    }
                }
            }
        }
    }
}
