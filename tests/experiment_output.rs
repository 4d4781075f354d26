//! The experiment's output, driven through the real binary in a temporary folder: files and
//! their columns, byte-identical results whatever the thread count, common random numbers,
//! `--set`, several scenarios in one run, and sweeps.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use common::{flowsim, folder_with, read};
use predicates::prelude::*;

/// The tiny scenario (see [`common::tiny_scenario`]) over eight weeks, 40 replications.
fn tiny() -> String {
    common::tiny_scenario(8, 40)
}

/// Rows of a CSV file as maps from column name to cell.
fn rows(p: impl AsRef<Path>) -> Vec<BTreeMap<String, String>> {
    let mut r = csv::Reader::from_path(p.as_ref()).unwrap();
    let head: Vec<String> = r.headers().unwrap().iter().map(String::from).collect();
    r.records()
        .map(|rec| {
            let rec = rec.unwrap();
            head.iter()
                .cloned()
                .zip(rec.iter().map(String::from))
                .collect()
        })
        .collect()
}

const CSVS: [&str; 4] = [
    "summary.csv",
    "differences.csv",
    "replications.csv",
    "weekly.csv",
];

#[test]
fn writes_every_file_with_tidy_columns() {
    let d = folder_with(&[("tiny.toml", &tiny())]);
    flowsim(d.path())
        .args(["run", "tiny.toml", "--quiet"])
        .assert()
        .success()
        .stdout(predicate::str::contains("throughput_per_week"))
        .stdout(predicate::str::contains("Compared with pull"));
    let out = d.path().join("output/tiny");
    for f in CSVS.iter().chain(&["manifest.json"]) {
        assert!(out.join(f).is_file(), "{f} missing");
    }
    let summary = read(out.join("summary.csv"));
    assert!(
        summary.starts_with("scenario,policy,metric,unit,mean,ci95_low,ci95_high,p05,p50,p95,reps")
    );
    assert!(!summary.contains("NaN") && !summary.contains("inf"));
    let s = rows(out.join("summary.csv"));
    // One row per policy and metric.
    let metrics: Vec<&str> = s
        .iter()
        .filter(|r| r["policy"] == "pull")
        .map(|r| r["metric"].as_str())
        .collect();
    assert_eq!(s.len(), 2 * metrics.len());
    for m in [
        "throughput_per_week",
        "lead_time_mean_h",
        "cycle_time_p85_h",
        "wip_mean",
    ] {
        assert!(metrics.contains(&m), "{m} missing");
    }
    for r in &s {
        if let (Ok(lo), Ok(mean), Ok(hi)) = (
            r["ci95_low"].parse::<f64>(),
            r["mean"].parse::<f64>(),
            r["ci95_high"].parse::<f64>(),
        ) {
            assert!(lo <= mean && mean <= hi, "{r:?}");
        }
    }
    // replications.csv: one row per replication and policy, a column per metric.
    let reps = rows(out.join("replications.csv"));
    assert_eq!(reps.len(), 2 * 40);
    assert_eq!(reps[0]["replication"], "0");
    assert_eq!(reps[1]["policy"], "flow");
    assert_eq!(reps[0].len(), 3 + metrics.len());
    // The summary mean is the mean of the replication rows.
    let tp: Vec<f64> = reps
        .iter()
        .filter(|r| r["policy"] == "pull")
        .map(|r| r["throughput_per_week"].parse().unwrap())
        .collect();
    let mean = tp.iter().sum::<f64>() / tp.len() as f64;
    let row = s
        .iter()
        .find(|r| r["policy"] == "pull" && r["metric"] == "throughput_per_week")
        .unwrap();
    assert!((row["mean"].parse::<f64>().unwrap() - mean).abs() < 1e-9);
    // weekly.csv: policies x weeks x series.
    let w = rows(out.join("weekly.csv"));
    assert!(
        w.iter()
            .any(|r| r["week"] == "8" && r["series"] == "cards_test")
    );
    assert!(w.iter().all(|r| r["reps"] == "40"));
    // The manifest.
    let m: serde_json::Value = serde_json::from_str(&read(out.join("manifest.json"))).unwrap();
    assert_eq!(m["finished"], true);
    assert_eq!(m["seed"], 7);
    assert_eq!(m["replications_done"], 40);
    assert_eq!(m["scenario_sha256"].as_str().unwrap().len(), 64);
    assert_eq!(m["metrics"].as_array().unwrap().len(), metrics.len());
    assert_eq!(m["metrics"][0]["unit"], "cards/week");
}

#[test]
fn csv_is_byte_identical_for_one_and_two_threads() {
    // 1,100 replications: several parallel chunks, and past the exact range of the
    // percentile sketch, so both code paths are covered.
    let d = folder_with(&[("tiny.toml", &tiny())]);
    for t in ["1", "2"] {
        flowsim(d.path())
            .args(["run", "tiny.toml", "-q", "--reps", "1100", "--threads", t])
            .args(["--out", &format!("t{t}")])
            .assert()
            .success();
    }
    for f in CSVS {
        let a = read(d.path().join("t1").join(f));
        let b = read(d.path().join("t2").join(f));
        assert!(a.len() > 100, "{f} is nearly empty");
        assert!(a == b, "{f} differs between --threads 1 and --threads 2");
    }
    let m: serde_json::Value =
        serde_json::from_str(&read(d.path().join("t1/manifest.json"))).unwrap();
    assert_eq!(m["threads"], 1);
}

#[test]
fn identical_policies_differ_by_exactly_zero() {
    let text = tiny().replace(
        "[policies.flow]\nsystem_wip_limit = 4\nreplenish_every_hours = 24\n",
        "[policies.a]\npreset = \"pull\"\n[policies.b]\npreset = \"pull\"\n",
    ) + "";
    let text = text.replace(
        "policies = [\"pull\", \"flow\"]\n",
        "policies = [\"a\", \"b\"]\n",
    );
    let d = folder_with(&[("twins.toml", &text)]);
    flowsim(d.path())
        .args(["run", "twins.toml", "-q", "--out", "o"])
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "b and a: identical cards finished per week",
        ));
    let diffs = rows(d.path().join("o/differences.csv"));
    assert!(!diffs.is_empty());
    let mut defined = 0;
    for r in &diffs {
        assert_eq!((r["baseline"].as_str(), r["policy"].as_str()), ("a", "b"));
        if r["reps"] != "0" {
            defined += 1;
        }
        for c in ["mean", "ci95_low", "ci95_high", "p05", "p50", "p95"] {
            assert!(
                r[c].is_empty() || r[c] == "0",
                "{} {c} = {} (common random numbers broken)",
                r["metric"],
                r[c]
            );
        }
        for c in ["rel_mean", "rel_ci95_low", "rel_ci95_high"] {
            assert!(
                r[c].is_empty() || r[c] == "0",
                "{} {c} = {}",
                r["metric"],
                r[c]
            );
        }
    }
    assert!(defined > 10, "too few defined differences: {defined}");
}

#[test]
fn paired_intervals_are_tighter_than_unpaired_ones() {
    let d = folder_with(&[("tiny.toml", &tiny())]);
    flowsim(d.path())
        .args(["run", "tiny.toml", "-q", "--reps", "200", "--out", "o"])
        .assert()
        .success();
    let s = rows(d.path().join("o/summary.csv"));
    let diffs = rows(d.path().join("o/differences.csv"));
    let half = |r: &BTreeMap<String, String>| {
        (r["ci95_high"].parse::<f64>().unwrap() - r["ci95_low"].parse::<f64>().unwrap()) / 2.0
    };
    let metric = "wip_mean";
    let get = |p: &str| {
        s.iter()
            .find(|r| r["policy"] == p && r["metric"] == metric)
            .unwrap()
    };
    // Half-width an independent-samples comparison would have.
    let unpaired = (half(get("pull")).powi(2) + half(get("flow")).powi(2)).sqrt();
    let paired = half(diffs.iter().find(|r| r["metric"] == metric).unwrap());
    assert!(
        paired < unpaired,
        "paired {paired} not tighter than unpaired {unpaired}"
    );
    // The difference's mean is the difference of the means.
    let dm: f64 = diffs.iter().find(|r| r["metric"] == metric).unwrap()["mean"]
        .parse()
        .unwrap();
    let m = |p: &str| get(p)["mean"].parse::<f64>().unwrap();
    assert!((dm - (m("flow") - m("pull"))).abs() < 1e-9);
}

#[test]
fn set_overrides_fields_through_the_same_validation() {
    let d = folder_with(&[("tiny.toml", &tiny())]);
    flowsim(d.path())
        .args(["run", "tiny.toml", "-q", "--out", "o", "--reps", "5"])
        .args([
            "--set",
            "team.tester.count=3",
            "--set",
            "stages.test.wip_limit=4",
        ])
        .args(["--set", "run.horizon_weeks=3"])
        .assert()
        .success();
    let m: serde_json::Value =
        serde_json::from_str(&read(d.path().join("o/manifest.json"))).unwrap();
    assert_eq!(m["overrides"].as_array().unwrap().len(), 3);
    assert_ne!(m["scenario_sha256"], m["source_sha256"]);
    let w = rows(d.path().join("o/weekly.csv"));
    assert_eq!(w.iter().map(|r| r["week"].as_str()).max(), Some("3"));
    // A value the file would reject is rejected the same way, naming the field.
    flowsim(d.path())
        .args([
            "run",
            "tiny.toml",
            "-q",
            "--set",
            "stages.test.wip_limit=-1",
        ])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("tiny.toml"))
        .stderr(predicate::str::contains("--set stages.test.wip_limit=-1"));
    flowsim(d.path())
        .args(["run", "tiny.toml", "-q", "--set", "stages.qa.wip_limit=1"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("dev, test"));
}

#[test]
fn several_scenarios_run_and_a_bad_one_does_not_stop_the_others() {
    let other = tiny().replace("name = \"tiny\"", "name = \"other\"");
    let d = folder_with(&[
        ("a.toml", &tiny()),
        (
            "b.toml",
            "name = \"broken\"\n[arrivals]\nprocess = \"poisson\"\n",
        ),
        ("c.toml", &other),
    ]);
    flowsim(d.path())
        .args(["run", ".", "-q", "--reps", "3", "--out", "o"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("b.toml"))
        .stderr(predicate::str::contains("1 of 3 scenarios failed"));
    assert!(d.path().join("o/tiny/summary.csv").is_file());
    assert!(d.path().join("o/other/summary.csv").is_file());
    // All good: exit 0.
    flowsim(d.path())
        .args(["run", "a.toml", "c.toml", "-q", "--reps", "3"])
        .assert()
        .success();
    assert!(d.path().join("output/other/manifest.json").is_file());
}

#[test]
fn sweep_writes_one_block_per_point_with_the_same_seed() {
    let d = folder_with(&[("tiny.toml", &tiny())]);
    flowsim(d.path())
        .args(["sweep", "tiny.toml", "-q", "--reps", "10", "--out", "sw"])
        .args([
            "--vary",
            "stages.test.wip_limit=1..3",
            "--vary",
            "team.dev.count=1,2",
        ])
        .assert()
        .success();
    let s = rows(d.path().join("sw/sweep.csv"));
    let points: std::collections::BTreeSet<&str> = s.iter().map(|r| r["point"].as_str()).collect();
    assert_eq!(points.len(), 6);
    let first = s.iter().find(|r| r["point"] == "1").unwrap();
    assert_eq!(first["stages.test.wip_limit"], "1");
    assert_eq!(first["team.dev.count"], "1");
    let last = s.iter().find(|r| r["point"] == "6").unwrap();
    assert_eq!(last["stages.test.wip_limit"], "3");
    assert_eq!(last["team.dev.count"], "2");
    for p in 1..=6 {
        let dir: PathBuf = d.path().join(format!("sw/points/{p}"));
        let m: serde_json::Value = serde_json::from_str(&read(dir.join("manifest.json"))).unwrap();
        assert_eq!(m["seed"], 7, "point {p}");
    }
    // Bad ranges are refused before anything runs.
    flowsim(d.path())
        .args(["sweep", "tiny.toml", "-q", "--vary", "team.dev.count=5..1"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("end is below the start"));
}

#[test]
fn undefined_metrics_are_empty_cells_with_a_note() {
    // Nothing ever arrives: no card finishes, so lead times are undefined in every replication.
    let idle = tiny()
        .replace("process = \"poisson\"", "process = \"none\"")
        .replace("rate_per_week = 6\n", "")
        .replace("initial_backlog = 3", "initial_backlog = 0");
    let d = folder_with(&[("idle.toml", &idle)]);
    flowsim(d.path())
        .args([
            "run",
            "idle.toml",
            "-q",
            "--reps",
            "5",
            "--out",
            "o",
            "--all-metrics",
        ])
        .assert()
        .success()
        .stdout(predicate::str::contains("undefined in 5 of 5 replications"));
    // The short table leaves out what does not apply here, and says so.
    flowsim(d.path())
        .args(["run", "idle.toml", "-q", "--reps", "5", "--out", "o2"])
        .assert()
        .success()
        .stdout(predicate::str::contains("lead_time_mean").not())
        .stdout(predicate::str::contains(
            "--all-metrics prints them all here",
        ));
    let s = rows(d.path().join("o/summary.csv"));
    let lead = s
        .iter()
        .find(|r| r["policy"] == "pull" && r["metric"] == "lead_time_mean_h")
        .unwrap();
    for c in ["mean", "ci95_low", "ci95_high", "p05", "p50", "p95"] {
        assert_eq!(lead[c], "", "{c}");
    }
    assert_eq!(lead["reps"], "0");
    assert!(
        lead["note"].contains("undefined in 5 of 5"),
        "{}",
        lead["note"]
    );
    for f in CSVS {
        let text = read(d.path().join("o").join(f));
        assert!(!text.contains("NaN") && !text.contains("inf"), "{f}");
    }
}

#[test]
fn an_unusable_output_folder_fails_before_running() {
    let d = folder_with(&[("tiny.toml", &tiny()), ("taken", "a file")]);
    flowsim(d.path())
        .args(["run", "tiny.toml", "-q", "--out", "taken"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("taken"))
        .stderr(predicate::str::contains("--out"));
}
