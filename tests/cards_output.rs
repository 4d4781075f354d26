//! `flowsim run --cards`: `cards.csv`, one row per card per replication and policy, streamed
//! in replication order. Checked through the real binary: the same bytes whatever the thread
//! count, one row for every card `cards_finished` and `unfinished_cards` count, lead times
//! whose mean is `lead_time_mean_h`, and the other files untouched by the option.

mod common;

use std::collections::BTreeMap;
use std::path::Path;

use common::{flowsim, folder_with, load, read};
use flowsim::engine::{Workspace, simulate};
use flowsim::rng::Streams;

/// Three policies on a two-stage board with every card attribute in play: expedite and
/// fixed-date cards, rework, blockers and missing inputs; a backlog left at the horizon.
const SCENARIO: &str = r#"
name = "cards"
[run]
horizon_weeks = 8
warmup_weeks = 1
replications = 40
seed = 11
policies = ["push", "pull", "flow"]
[arrivals]
process = "poisson"
rate_per_week = 7
initial_backlog = 4
[classes]
expedite_rate_per_week = 0.5
fixed_date_share = 0.3
due_in_weeks = { dist = "uniform", min = 1, max = 3 }
[disruptions]
missing_input = { probability = 0.2, delay = { dist = "exponential", mean = 16 } }
blockers = { chance_per_day = 0.05, duration = { dist = "uniform", min = 2, max = 8 } }
[[stages]]
name = "dev"
effort = { dist = "lognormal", mean = 6.0, sd = 4.0 }
[[stages]]
name = "test"
effort = { dist = "exponential", mean = 3.0 }
rework = { probability = 0.3, to = "dev", effort_share = 0.5 }
[team.dev]
count = 2
skills = { dev = 1.0 }
[team.tester]
count = 1
skills = { test = 1.0, dev = 0.5 }
[policies.flow]
system_wip_limit = 5
"#;

/// Rows of a CSV file as maps from column name to cell.
fn rows(p: impl AsRef<Path>) -> Vec<BTreeMap<String, String>> {
    let mut r = csv::Reader::from_path(p.as_ref()).unwrap();
    let head: Vec<String> = r.headers().unwrap().iter().map(String::from).collect();
    r.records()
        .map(|rec| {
            head.iter()
                .cloned()
                .zip(rec.unwrap().iter().map(String::from))
                .collect()
        })
        .collect()
}

fn num(cell: &str) -> f64 {
    cell.parse().unwrap_or_else(|e| panic!("{cell:?}: {e}"))
}

/// Runs `flowsim run scenario.toml` with `args` into `dir/out`.
fn run(dir: &Path, out: &str, args: &[&str]) {
    flowsim(dir)
        .args(["run", "scenario.toml", "-q", "--no-charts", "--out", out])
        .args(args)
        .assert()
        .success();
}

#[test]
fn cards_csv_is_byte_identical_for_one_and_two_threads() {
    // 300 replications: two parallel chunks.
    let d = folder_with(&[("scenario.toml", SCENARIO)]);
    for t in ["1", "2"] {
        run(
            d.path(),
            &format!("t{t}"),
            &["--cards", "--reps", "300", "--threads", t],
        );
    }
    let a = read(d.path().join("t1/cards.csv"));
    let b = read(d.path().join("t2/cards.csv"));
    assert!(
        a.lines().count() > 300 * 3 * 10,
        "cards.csv is nearly empty"
    );
    assert!(
        a == b,
        "cards.csv differs between --threads 1 and --threads 2"
    );
}

#[test]
fn one_row_per_card_counted_and_lead_times_match_the_metrics() {
    let d = folder_with(&[("scenario.toml", SCENARIO)]);
    run(d.path(), "with", &["--cards"]);
    run(d.path(), "without", &[]);
    // The option adds a file and changes no other.
    assert!(!d.path().join("without/cards.csv").exists());
    for f in [
        "summary.csv",
        "differences.csv",
        "replications.csv",
        "weekly.csv",
    ] {
        let a = read(d.path().join("with").join(f));
        let b = read(d.path().join("without").join(f));
        assert!(a == b, "{f} changes with --cards");
    }
    let cards = rows(d.path().join("with/cards.csv"));
    // Per (policy, replication): rows, finished rows and the sum of their lead times.
    let mut per: BTreeMap<(String, String), (u64, u64, f64)> = BTreeMap::new();
    let mut seen = BTreeMap::<&str, u64>::new();
    for c in &cards {
        let e = per
            .entry((c["policy"].clone(), c["replication"].clone()))
            .or_default();
        e.0 += 1;
        let lead = num(&c["lead_time_h"]);
        assert!(lead >= 0.0, "negative lead time: {c:?}");
        let censored = &c["censored"];
        if censored == "false" {
            e.1 += 1;
            e.2 += lead;
            let (arrived, done) = (num(&c["arrived_h"]), num(&c["done_h"]));
            assert!((done - arrived - lead).abs() < 1e-9, "{c:?}");
            assert!(num(&c["started_h"]) <= done && num(&c["committed_h"]) <= done);
        } else {
            assert_eq!(censored, "true");
            assert!(
                c["done_h"].is_empty(),
                "a censored card has no done time: {c:?}"
            );
        }
        // A due date (and whether it was met) only on fixed-date cards.
        let dated = c["class"] == "fixed-date";
        assert_eq!(!c["due_h"].is_empty(), dated, "{c:?}");
        if !dated {
            assert!(c["due_met"].is_empty(), "{c:?}");
        }
        *seen.entry(c["class"].as_str()).or_default() += 1;
        if num(&c["reworks"]) > 0.0 {
            *seen.entry("rework").or_default() += 1;
        }
        if num(&c["blocked_h"]) > 0.0 {
            *seen.entry("blocked").or_default() += 1;
        }
        if censored == "true" {
            *seen.entry("censored").or_default() += 1;
        }
    }
    for what in [
        "standard",
        "expedite",
        "fixed-date",
        "rework",
        "blocked",
        "censored",
    ] {
        assert!(
            seen.get(what).is_some_and(|&n| n > 0),
            "no {what} card in {seen:?}"
        );
    }
    let reps = rows(d.path().join("with/replications.csv"));
    assert_eq!(
        per.len(),
        reps.len(),
        "one group of cards per replication and policy"
    );
    let mut mean_of_means = BTreeMap::<String, (f64, u64)>::new();
    for r in &reps {
        let (n, finished, sum) = per[&(r["policy"].clone(), r["replication"].clone())];
        let counted = num(&r["cards_finished"]) + num(&r["unfinished_cards"]);
        assert_eq!(
            n as f64, counted,
            "rows for {} rep {}",
            r["policy"], r["replication"]
        );
        assert_eq!(finished as f64, num(&r["cards_finished"]));
        let mean = num(&r["lead_time_mean_h"]);
        let ours = sum / finished as f64;
        assert!(
            (ours - mean).abs() <= 1e-9 * mean,
            "{} rep {}: lead times in cards.csv average {ours}, lead_time_mean_h is {mean}",
            r["policy"],
            r["replication"]
        );
        let m = mean_of_means.entry(r["policy"].clone()).or_default();
        m.0 += ours;
        m.1 += 1;
    }
    // And summary.csv's mean is the mean over replications of those per-replication means.
    for s in rows(d.path().join("with/summary.csv")) {
        if s["metric"] == "lead_time_mean_h" {
            let (sum, n) = mean_of_means[&s["policy"]];
            let mean = num(&s["mean"]);
            assert!(
                (sum / n as f64 - mean).abs() <= 1e-9 * mean,
                "{}",
                s["policy"]
            );
        }
    }
}

#[test]
fn the_engine_records_cards_only_when_asked() {
    let sc = load(SCENARIO, "cards.toml");
    let mut ws = Workspace::default();
    for p in &sc.policies {
        let off = simulate(&sc.model, p, Streams::new(11, 0), &mut ws);
        assert!(
            off.cards.is_empty(),
            "{}: records without being asked",
            p.name
        );
        ws.record_cards = true;
        let on = simulate(&sc.model, p, Streams::new(11, 0), &mut ws);
        ws.record_cards = false;
        assert_eq!(
            on.values, off.values,
            "{}: recording changed the run",
            p.name
        );
        assert!(!on.cards.is_empty(), "{}: no records when asked", p.name);
    }
}

#[test]
fn cards_with_shards_is_refused_with_a_way_out() {
    let d = folder_with(&[("scenario.toml", SCENARIO)]);
    flowsim(d.path())
        .args(["run", "scenario.toml", "-q", "--cards", "--shard", "1/2"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains(
            "--cards cannot be combined with --shard",
        ));
}
