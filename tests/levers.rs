//! `flowsim levers`: the unchanged scenario against itself differs by exactly zero (common
//! random numbers), and one more person at a clear bottleneck shortens lead time with an
//! interval that excludes zero.

mod common;

use predicates::prelude::PredicateBooleanExt;
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::atomic::AtomicBool;

use common::{flowsim, folder_with, load, tiny_scenario};
use flowsim::experiment::{RunOverrides, with_threads};
use flowsim::levers::{self, Direction, Lever};

#[test]
fn the_unchanged_scenario_differs_from_itself_by_exactly_zero() {
    let text = tiny_scenario(8, 30);
    let base = load(&text, "tiny");
    let same = |sets: Vec<String>| Lever {
        factor: "none".into(),
        direction: Direction::Up,
        label: "unchanged".into(),
        sets,
    };
    // No assignment at all, and one that rewrites the text without changing anything.
    let seed = format!("run.seed={}", base.settings.seed);
    let list = [same(Vec::new()), same(vec![seed])];
    let results = with_threads(Some(2), || {
        levers::run(
            &base,
            &text,
            &RunOverrides::default(),
            &list,
            &AtomicBool::new(false),
            &|| {},
        )
    })
    .unwrap()
    .expect("not stopped");
    for r in &results {
        assert!(r.skipped.is_none(), "{:?}", r.skipped);
        assert_eq!(r.per_policy.len(), base.policies.len());
        for e in &r.per_policy {
            for eff in [e.lead_time, e.throughput] {
                assert_eq!(eff.pairs, 30);
                assert_eq!(eff.diff, Some(0.0));
                assert_eq!(eff.diff_ci, Some((0.0, 0.0)));
                assert_eq!(eff.rel.map(|x| x.0), Some(0.0));
            }
        }
    }
}

/// Two stages: three developers with little to do, one tester loaded to 90%.
const BOTTLENECK: &str = r#"
name = "bottleneck"
[run]
horizon_weeks = 30
warmup_weeks = 4
replications = 40
seed = 11
policies = ["pull"]
[arrivals]
process = "poisson"
rate_per_week = 8
[[stages]]
name = "dev"
effort = { dist = "exponential", mean = 4 }
[[stages]]
name = "test"
effort = { dist = "exponential", mean = 4.5 }
[team.developer]
count = 3
skills = { dev = 1.0 }
[team.tester]
count = 1
skills = { test = 1.0 }
"#;

fn rows(path: &Path) -> Vec<BTreeMap<String, String>> {
    let mut rd = csv::Reader::from_path(path).unwrap();
    let h = rd.headers().unwrap().clone();
    rd.records()
        .map(|r| {
            let r = r.unwrap();
            h.iter()
                .zip(r.iter())
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect()
        })
        .collect()
}

#[test]
fn one_more_person_at_the_bottleneck_shortens_lead_time_clearly() {
    let dir = folder_with(&[("b.toml", BOTTLENECK)]);
    flowsim(dir.path())
        .args(["levers", "b.toml", "--out", "l", "-q"])
        .assert()
        .success()
        .stdout(predicates::str::contains(
            "Under pull, one more tester shortens lead time most",
        ))
        .stdout(predicates::str::contains(
            "Under pull, the best place for one more person: tester;",
        ));
    let r = rows(&dir.path().join("l/levers.csv"));
    let tester = r
        .iter()
        .find(|r| r["lever"] == "one more tester")
        .expect("a row for one more tester");
    let hi: f64 = tester["lead_time_mean_change_ci95_high_pct"]
        .parse()
        .unwrap();
    let diff_hi: f64 = tester["lead_time_mean_diff_ci95_high_h"].parse().unwrap();
    assert!(hi < 0.0 && diff_hi < 0.0, "{tester:?}");
    // Of all levers, it shortens lead time most (ranks go by the size of the effect, so
    // "test effort +20%", which lengthens it more, may rank above it).
    let change =
        |r: &BTreeMap<String, String>| -> f64 { r["lead_time_mean_change_pct"].parse().unwrap() };
    let best = r.iter().map(change).fold(f64::INFINITY, f64::min);
    assert_eq!(change(tester), best);
    assert_eq!(tester["settings"], "team.tester.count=2");
    // A developer more changes nearly nothing next to it.
    let dev = r
        .iter()
        .find(|r| r["lever"] == "one more developer")
        .unwrap();
    let dev_change: f64 = dev["lead_time_mean_change_pct"].parse().unwrap();
    let tester_change: f64 = tester["lead_time_mean_change_pct"].parse().unwrap();
    assert!(dev_change.abs() < tester_change.abs() / 5.0, "{dev:?}");
    assert!(dir.path().join("l/charts/levers.png").is_file());
    assert!(dir.path().join("l/scenario.toml").is_file());
}

#[test]
fn levers_refuses_shards_and_bad_scenarios() {
    let dir = folder_with(&[("b.toml", BOTTLENECK), ("bad.toml", "name = 3")]);
    flowsim(dir.path())
        .args(["levers", "b.toml", "--shard", "1/2", "-q"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("unexpected argument '--shard'"));
    // Nor does its help offer it.
    flowsim(dir.path())
        .args(["levers", "--help"])
        .assert()
        .success()
        .stdout(predicates::str::contains("--shard").not())
        .stdout(predicates::str::contains("--reps"));
    flowsim(dir.path())
        .args(["levers", "bad.toml", "-q"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("bad.toml"));
    flowsim(dir.path())
        .args(["levers", "b.toml", "--reps", "0", "-q"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("--reps must be at least 1"));
}

/// Every shipped scenario file, `scenarios/` and `scenarios/validation/`.
fn shipped() -> Vec<std::path::PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut out = Vec::new();
    for dir in ["scenarios", "scenarios/validation"] {
        for e in std::fs::read_dir(root.join(dir)).unwrap() {
            let p = e.unwrap().path();
            if p.extension().is_some_and(|x| x == "toml") {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

#[test]
fn every_lever_of_every_shipped_scenario_loads() {
    let mut kinds = std::collections::BTreeSet::new();
    for path in shipped() {
        let text = common::read(&path);
        let base = load(&text, &path.display().to_string());
        let list = levers::levers(&text).unwrap();
        assert!(!list.is_empty(), "{}: no lever", path.display());
        for l in &list {
            levers::variant(&text, &l.sets, &RunOverrides::default(), &base)
                .unwrap_or_else(|e| panic!("{}: {}: {e}", path.display(), l.label));
            kinds.insert(l.factor.split(':').next().unwrap().to_string());
        }
    }
    // Across the shipped scenarios, every kind of lever occurs.
    for k in [
        "people",
        "effort",
        "WIP limit",
        "arrival rate",
        "sickness",
        "estimate bias",
    ] {
        assert!(
            kinds.contains(k),
            "no `{k}` lever in any shipped scenario: {kinds:?}"
        );
    }
}
