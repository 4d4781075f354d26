//! Issue 15's board mechanisms: board-driven pull (`column_pull`), the conservative puller
//! (`pull_below`, `pull_delay_h` on a stage), quality under pressure (a rework chance that
//! grows with overtime or cards held) and swarming to the constraint (`swarm_to`). For each:
//! its effect on a shipped scenario as a paired interval on common random numbers, a fairness
//! check that every preset can set it, and its load-time checks. Every run is audited (all
//! invariants after every event); seeds are fixed and every tolerance is a 95% interval.

mod common;

use common::{audited_replications, load, paired_interval, policy};
use flowsim::metrics::{M, RepResult};
use flowsim::policy::SwarmTo;
use flowsim::scenario::{Scenario, load_str};

/// Replications per policy in these checks.
const REPS: u64 = 30;

fn shipped(name: &str) -> String {
    let path = format!("{}/scenarios/{name}.toml", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn runs(sc: &Scenario, name: &str) -> Vec<RepResult> {
    audited_replications(sc, policy(sc, name), REPS)
}

/// Paired interval of `m(a) - m(b)`.
fn diff(a: &[RepResult], b: &[RepResult], m: M) -> (f64, f64, f64) {
    let get = |r: &RepResult| r.get(m).unwrap_or_else(|| panic!("{m:?} undefined"));
    paired_interval(a.iter().zip(b).map(|(x, y)| get(x) - get(y)))
}

#[track_caller]
fn above_zero(what: &str, (m, lo, hi): (f64, f64, f64)) {
    assert!(
        lo > 0.0,
        "{what}: {m:.3} [{lo:.3}, {hi:.3}] is not above zero"
    );
}

#[track_caller]
fn below_zero(what: &str, (m, lo, hi): (f64, f64, f64)) {
    assert!(
        hi < 0.0,
        "{what}: {m:.3} [{lo:.3}, {hi:.3}] is not below zero"
    );
}

#[track_caller]
fn not_zero(what: &str, (m, lo, hi): (f64, f64, f64)) {
    assert!(
        lo > 0.0 || hi < 0.0,
        "{what}: {m:.3} [{lo:.3}, {hi:.3}] includes zero"
    );
}

/// The load error of `text` (which must not load).
fn error(text: &str) -> String {
    match load_str(text, "bad.toml") {
        Ok(_) => panic!("loaded, but should not:\n{text}"),
        Err(e) => e.to_string(),
    }
}

/// `base` with its `run.policies` replaced by `names` and `tables` appended.
fn with_policies(base: &str, names: &[&str], tables: &str) -> String {
    let start = base.find("policies = [").expect("run.policies");
    let end = start + base[start..].find(']').expect("closing bracket") + 1;
    let list: Vec<String> = names.iter().map(|n| format!("\"{n}\"")).collect();
    let mut text = base.to_string();
    text.replace_range(start..end, &format!("policies = [{}]", list.join(", ")));
    format!("{text}\n{tables}\n")
}

// ---- Board-driven pull -------------------------------------------------------------------

/// team-kanban's claim: columns that pull as soon as they have room finish more cards than
/// people who pull only when free, because a free person finds a card already in their column.
#[test]
fn board_driven_pull_raises_team_kanban_throughput() {
    let sc = load(&shipped("team-kanban"), "team-kanban");
    let (board, people) = (runs(&sc, "pull-board"), runs(&sc, "pull"));
    above_zero(
        "team-kanban throughput, pull-board - pull (cards a week)",
        diff(&board, &people, M::ThroughputPerWeek),
    );
    // The card waits in its column, counted in its WIP: more work in progress.
    above_zero(
        "team-kanban WIP, pull-board - pull (cards)",
        diff(&board, &people, M::WipMean),
    );
}

/// Every preset can set `column_pull` (push once its hand-offs pull), and it changes what
/// each of them does.
#[test]
fn every_preset_can_pull_by_the_board() {
    let tables = "\
[policies.push]\nhandoff = { development = \"pull\", test = \"pull\" }\n\
[policies.push-board]\npreset = \"push\"\ncolumn_pull = true\n\
handoff = { development = \"pull\", test = \"pull\" }\n\
[policies.pull-board]\npreset = \"pull\"\ncolumn_pull = true\n\
[policies.flow]\nsystem_wip_limit = 9\n\
[policies.flow-board]\npreset = \"flow\"\ncolumn_pull = true\nsystem_wip_limit = 9\n";
    let base = shipped("team-kanban").replace("[policies.pull-board]", "[policies.unused]");
    let base = &base[..base.find("[policies.unused]").unwrap()];
    let names = [
        "push",
        "push-board",
        "pull",
        "pull-board",
        "flow",
        "flow-board",
    ];
    let sc = load(
        &with_policies(base, &names, tables),
        "team-kanban, every preset",
    );
    for preset in ["push", "pull", "flow"] {
        let board = format!("{preset}-board");
        assert!(policy(&sc, &board).column_pull, "{board}");
        assert!(!policy(&sc, preset).column_pull, "{preset}");
        not_zero(
            &format!("cycle time, {board} - {preset} (h)"),
            diff(&runs(&sc, &board), &runs(&sc, preset), M::CycleTimeMean),
        );
    }
}

#[test]
fn a_board_pulling_from_an_endless_backlog_without_a_limit_is_refused() {
    let text = "[run]\nhorizon_weeks = 4\npolicies = [\"p\"]\n[arrivals]\nprocess = \"unlimited\"\n\
[[stages]]\nname = \"work\"\neffort = { dist = \"constant\", value = 4 }\n\
[team.x]\nskills = { work = 1.0 }\n[policies.p]\npreset = \"pull\"\ncolumn_pull = true\n";
    let e = error(text);
    assert!(e.contains("policies.p.column_pull"), "{e}");
    assert!(
        e.contains("wip_limit") && e.contains("system_wip_limit"),
        "{e}"
    );
}

// ---- Swarming to the constraint ------------------------------------------------------------

/// swarm-to-constraint's claim: a helper at the constraint (highest load per capable person)
/// finishes more than a helper at the stage with the most cards.
#[test]
fn swarming_to_the_constraint_raises_throughput() {
    let sc = load(&shipped("swarm-to-constraint"), "swarm-to-constraint");
    let (constraint, most) = (runs(&sc, "flow-constraint"), runs(&sc, "flow"));
    above_zero(
        "throughput, flow-constraint - flow (cards a week)",
        diff(&constraint, &most, M::ThroughputPerWeek),
    );
}

/// Every preset can send its helpers to the constraint, and it changes what each one does
/// (the same random world, different results); the effect's size is
/// `swarming_to_the_constraint_raises_throughput`'s.
#[test]
fn every_preset_can_swarm_to_the_constraint() {
    let base = shipped("swarm-to-constraint");
    let base = &base[..base.find("[policies.flow]").unwrap()];
    let mut tables = String::new();
    let mut names = Vec::new();
    for preset in ["push", "pull", "flow"] {
        for (suffix, to) in [("most", "most_cards"), ("constraint", "constraint")] {
            // (A plan commits its own batches: push keeps no system limit.)
            let limit = if preset == "push" {
                ""
            } else {
                "system_wip_limit = 8\n"
            };
            tables.push_str(&format!(
                "[policies.{preset}-{suffix}]\npreset = \"{preset}\"\nswarming = true\n\
                 {limit}swarm_to = \"{to}\"\n"
            ));
            names.push(format!("{preset}-{suffix}"));
        }
    }
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    let sc = load(&with_policies(base, &names, &tables), "every preset swarms");
    for preset in ["push", "pull", "flow"] {
        let (c, m) = (format!("{preset}-constraint"), format!("{preset}-most"));
        assert_eq!(
            policy(&sc, &c).swarming.map(|s| s.to),
            Some(SwarmTo::Constraint)
        );
        let (rc, rm) = (runs(&sc, &c), runs(&sc, &m));
        let changed = rc
            .iter()
            .zip(&rm)
            .filter(|(a, b)| a.values != b.values)
            .count();
        assert!(changed > 0, "{c} and {m} gave identical replications");
        assert!(
            rc.iter()
                .zip(&rm)
                .all(|(a, b)| a.get(M::PairingLossH).is_some() && b.get(M::PairingLossH).is_some()),
            "{c}: pairing loss undefined"
        );
    }
}

#[test]
fn swarm_to_needs_swarming_and_a_known_target() {
    let base = shipped("swarm-to-constraint");
    let e = error(
        &format!("{base}\n[policies.pull]\nswarm_to = \"constraint\"\n").replace(
            "policies = [\"flow\", \"flow-constraint\"]",
            "policies = [\"flow\", \"flow-constraint\", \"pull\"]",
        ),
    );
    assert!(
        e.contains("policies.pull.swarm_to") && e.contains("swarming = true"),
        "{e}"
    );
    let e = error(&base.replace("swarm_to = \"constraint\"", "swarm_to = \"bottleneck\""));
    assert!(e.contains("constraint") && e.contains("most_cards"), "{e}");
}

// ---- Quality under pressure ----------------------------------------------------------------

/// everyday-friction with its test check's chance raised by `extra` (TOML keys of the rework
/// table, e.g. `per_extra_card = 0.5`).
fn friction_under_pressure(extra: &str) -> Scenario {
    let base = shipped("everyday-friction");
    let old = "rework = { probability = 0.2, to = \"development\", effort_share = 0.4 }";
    assert!(base.contains(old), "everyday-friction's rework line moved");
    let new = format!(
        "rework = {{ probability = 0.2, to = \"development\", effort_share = 0.4, {extra} }}"
    );
    load(&base.replace(old, &new), "everyday-friction under pressure")
}

/// Overtime cuts quality: push, the only policy here that works overtime, loses lead time to
/// the extra rework; pull and flow, which work none, see exactly the same runs (one rule for
/// every policy: only overtime worked raises the chance).
#[test]
fn overtime_raises_rework_for_whoever_works_it() {
    let plain = load(&shipped("everyday-friction"), "everyday-friction");
    let tired = friction_under_pressure("per_overtime_hour = 0.1");
    above_zero(
        "push lead time, rework growing with overtime - plain (h)",
        diff(
            &runs(&tired, "push"),
            &runs(&plain, "push"),
            M::LeadTimeMean,
        ),
    );
    for name in ["pull", "flow"] {
        let (a, b) = (runs(&tired, name), runs(&plain, name));
        assert!(
            a.iter().all(|r| r.get(M::OvertimeH) == Some(0.0)),
            "{name} works overtime here: pick another check"
        );
        for (x, y) in a.iter().zip(&b) {
            assert_eq!(x.values, y.values, "{name}: no overtime, no change");
        }
    }
}

/// Every policy's people may hold several cards (switching on a block); under every preset a
/// chance that grows with the cards held lengthens start-to-done.
#[test]
fn cards_held_raise_rework_under_every_preset() {
    let plain = load(&shipped("everyday-friction"), "everyday-friction");
    let juggling = friction_under_pressure("per_extra_card = 0.5");
    for name in ["push", "pull", "flow"] {
        above_zero(
            &format!("{name} start-to-done, rework growing with cards held - plain (h)"),
            diff(
                &runs(&juggling, name),
                &runs(&plain, name),
                M::StartToDoneMean,
            ),
        );
    }
}

#[test]
fn pressure_terms_must_be_chances() {
    for (field, v) in [("per_overtime_hour", "-0.1"), ("per_extra_card", "2")] {
        let base = shipped("everyday-friction");
        let text = base.replace(
            "effort_share = 0.4 }",
            &format!("effort_share = 0.4, {field} = {v} }}"),
        );
        let e = error(&text);
        assert!(e.contains(&format!("stages[1].rework.{field}")), "{e}");
        assert!(e.contains("from 0 (off) to 1"), "{e}");
    }
}

// ---- The conservative puller ---------------------------------------------------------------

/// conservative-pullers with `edit` applied to its text.
fn pullers(edit: impl Fn(String) -> String) -> Scenario {
    load(
        &edit(shipped("conservative-pullers")),
        "conservative-pullers",
    )
}

/// The seed's claim: throughput is limited by the most conservative puller. Relaxing the
/// release's 6 h wait raises throughput; relaxing review's threshold moves it by less than a
/// tenth of that (the intervals of both paired differences decide).
#[test]
fn throughput_is_limited_by_the_most_conservative_puller() {
    let base = pullers(|t| t);
    let release = pullers(|t| t.replace("pull_delay_h = 6", "pull_delay_h = 3"));
    let review = pullers(|t| t.replace("pull_below = 1", "pull_below = 2"));
    for name in ["pull", "flow"] {
        let b = runs(&base, name);
        let (m, lo, hi) = diff(&runs(&release, name), &b, M::ThroughputPerWeek);
        above_zero(
            &format!("{name} throughput, release waits 3 h - 6 h"),
            (m, lo, hi),
        );
        let (rm, rlo, rhi) = diff(&runs(&review, name), &b, M::ThroughputPerWeek);
        assert!(
            rlo > -lo / 10.0 && rhi < lo / 10.0,
            "{name}: relaxing review moved throughput by {rm:.3} [{rlo:.3}, {rhi:.3}], \
             not small against relaxing release's {m:.3} [{lo:.3}, {hi:.3}]"
        );
    }
}

/// A conservative puller is a stage's own: every preset meets it wherever the stage pulls
/// (push once its hand-offs pull), and it lowers throughput under each.
#[test]
fn every_preset_meets_a_conservative_puller() {
    let tables = "[policies.push]\nhandoff = { review = \"pull\", release = \"pull\" }\n\
                  [policies.flow]\nsystem_wip_limit = 8\n";
    let names = ["push", "pull", "flow"];
    let strip = |t: String| {
        let t = t[..t.find("[policies.flow]").unwrap()].to_string();
        with_policies(&t, &names, tables)
    };
    let eager = pullers(|t| {
        strip(t)
            .replace("pull_below = 1\n", "")
            .replace("pull_delay_h = 6\n", "")
    });
    let careful = pullers(strip);
    for name in names {
        below_zero(
            &format!("{name} throughput, conservative pullers - eager ones"),
            diff(
                &runs(&careful, name),
                &runs(&eager, name),
                M::ThroughputPerWeek,
            ),
        );
    }
}

#[test]
fn a_conservative_puller_needs_usable_values() {
    let e = error(&shipped("conservative-pullers").replace("pull_below = 1", "pull_below = 0"));
    assert!(
        e.contains("stages[1].pull_below") && e.contains("at least 1"),
        "{e}"
    );
    let e =
        error(&shipped("conservative-pullers").replace("pull_delay_h = 6", "pull_delay_h = -2"));
    assert!(
        e.contains("stages[2].pull_delay_h") && e.contains("got -2"),
        "{e}"
    );
}
