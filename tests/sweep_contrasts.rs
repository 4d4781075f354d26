//! `sweep_differences.csv` and the top-level `manifest.json` of sweeps and batch runs, through
//! the real binary: each point against the reference point, paired by replication, as computed
//! here from the points' own `replications.csv`.

mod common;

use std::collections::BTreeMap;
use std::path::Path;

use common::{flowsim, folder_with, paired_interval, tiny_scenario};
use predicates::prelude::*;

/// `(policy, replication) -> value` of `metric` in a point's `replications.csv`.
fn column(dir: &Path, metric: &str) -> BTreeMap<(String, u64), f64> {
    let mut r = csv::Reader::from_path(dir.join("replications.csv")).unwrap();
    let j = r
        .headers()
        .unwrap()
        .iter()
        .position(|h| h == metric)
        .unwrap();
    r.records()
        .map(|rec| {
            let rec = rec.unwrap();
            let key = (rec[1].to_string(), rec[2].parse().unwrap());
            (key, rec[j].parse().unwrap())
        })
        .collect()
}

fn rows(path: &Path) -> Vec<BTreeMap<String, String>> {
    let mut r = csv::Reader::from_path(path).unwrap();
    let h: Vec<String> = r.headers().unwrap().iter().map(String::from).collect();
    r.records()
        .map(|rec| {
            h.iter()
                .cloned()
                .zip(rec.unwrap().iter().map(String::from))
                .collect()
        })
        .collect()
}

#[test]
fn sweep_differences_pair_each_point_with_the_reference_by_replication() {
    let d = folder_with(&[("tiny.toml", &tiny_scenario(6, 30))]);
    let p = d.path();
    let sweep = |out: &str, reference: &[&str]| {
        flowsim(p)
            .args(["sweep", "tiny.toml", "--vary", "team.dev.count=1,2,3"])
            .args(["-q", "--no-charts", "--out", out])
            .args(reference)
            .assert()
            .success();
    };
    sweep("by-value", &["--reference", "team.dev.count=2"]);
    sweep("by-number", &["--reference", "2"]);
    let a = std::fs::read(p.join("by-value/sweep_differences.csv")).unwrap();
    assert_eq!(
        a,
        std::fs::read(p.join("by-number/sweep_differences.csv")).unwrap()
    );
    let out = p.join("by-value");
    let table = rows(&out.join("sweep_differences.csv"));
    let metric = "throughput_per_week";
    let reference = column(&out.join("points/2"), metric);
    let mut checked = 0;
    let mut policies: Vec<String> = reference.keys().map(|(p, _)| p.clone()).collect();
    policies.dedup();
    assert!(policies.len() >= 2, "{policies:?}");
    for point in [1, 3] {
        let theirs = column(&out.join(format!("points/{point}")), metric);
        for policy in &policies {
            let diffs = (0..30).map(|r| {
                let key = (policy.to_string(), r);
                theirs[&key] - reference[&key]
            });
            let (mean, lo, hi) = paired_interval(diffs);
            let row = table
                .iter()
                .find(|r| {
                    r["point"] == point.to_string()
                        && r["policy"] == *policy
                        && r["metric"] == metric
                })
                .unwrap();
            assert_eq!(row["reference_point"], "2");
            assert_eq!(row["reference_team.dev.count"], "2");
            assert_eq!(row["reps"], "30");
            for (col, want) in [("mean", mean), ("ci95_low", lo), ("ci95_high", hi)] {
                let got: f64 = row[col].parse().unwrap();
                assert!(
                    (got - want).abs() <= 1e-9 * want.abs().max(1.0),
                    "{col} {got} {want}"
                );
            }
            checked += 1;
        }
    }
    assert_eq!(checked, 2 * policies.len());
    // No row compares the reference with itself.
    assert!(table.iter().all(|r| r["point"] != "2"));
    // The index names every point's folder and status.
    let index: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(index["kind"], "sweep");
    assert_eq!(index["reference_point"], 2);
    let entries = index["entries"].as_array().unwrap();
    assert_eq!(entries.len(), 3);
    for (i, e) in entries.iter().enumerate() {
        assert_eq!(e["folder"], format!("points/{}", i + 1));
        assert_eq!(e["status"], "finished");
        assert_eq!(e["values"][0], format!("team.dev.count={}", i + 1));
        assert!(
            out.join(e["folder"].as_str().unwrap())
                .join("summary.csv")
                .is_file()
        );
    }
}

#[test]
fn a_reference_that_is_no_point_is_refused() {
    let d = folder_with(&[("tiny.toml", &tiny_scenario(2, 3))]);
    for (bad, says) in [
        ("7", "points 1 to 2"),
        ("team.dev.count=5", "no sweep point"),
        ("team.tester.count=1", "not a varied parameter"),
        ("abc", "PATH=VALUE"),
    ] {
        flowsim(d.path())
            .args(["sweep", "tiny.toml", "--vary", "team.dev.count=1,2", "-q"])
            .args(["--no-charts", "--out", "x", "--reference", bad])
            .assert()
            .code(2)
            .stderr(predicate::str::contains(says));
    }
}

#[test]
fn a_batch_run_writes_an_index_of_its_folders() {
    let d = folder_with(&[
        ("a.toml", &tiny_scenario(2, 3)),
        (
            "b.toml",
            &tiny_scenario(2, 3).replace("name = \"tiny\"", "name = \"other\""),
        ),
        ("c.toml", "name = \"broken\"\n"),
    ]);
    flowsim(d.path())
        .args(["run", ".", "-q", "--no-charts", "--out", "batch"])
        .assert()
        .code(2);
    let index: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(d.path().join("batch/manifest.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(index["kind"], "batch");
    let e = index["entries"].as_array().unwrap();
    assert_eq!(e.len(), 3);
    assert_eq!(
        (e[0]["folder"].as_str(), e[0]["status"].as_str()),
        (Some("tiny"), Some("finished"))
    );
    assert_eq!(
        (e[1]["folder"].as_str(), e[1]["status"].as_str()),
        (Some("other"), Some("finished"))
    );
    assert_eq!(e[2]["status"], "failed");
    assert!(e[2]["error"].as_str().unwrap().contains("arrivals"));
    for f in [&e[0], &e[1]] {
        let dir = d.path().join("batch").join(f["folder"].as_str().unwrap());
        assert!(dir.join("manifest.json").is_file());
    }
}

/// Varying a path of one policy (`policies.flow.system_wip_limit`) reruns only that policy at
/// the later points; the others' results are reused, and every point's CSV files are the very
/// bytes of a plain `run` of that point.
#[test]
fn policies_the_varied_path_does_not_touch_are_reused_with_the_same_bytes() {
    let d = folder_with(&[("tiny.toml", &tiny_scenario(4, 12))]);
    let p = d.path();
    flowsim(p)
        .args(["sweep", "tiny.toml", "-q", "--no-charts", "--out", "sw"])
        .args(["--vary", "policies.flow.system_wip_limit=2,5"])
        .args(["--vary", "team.dev.count=1,2"])
        .assert()
        .success();
    let index: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(p.join("sw/manifest.json")).unwrap())
            .unwrap();
    let e = index["entries"].as_array().unwrap();
    // Points 3 and 4 (limit 5) reuse points 1 and 2 (limit 2, same team) for all but flow.
    assert!(e[0]["reused_point"].is_null() && e[1]["reused_point"].is_null());
    assert_eq!(e[2]["reused_point"], 1);
    assert_eq!(e[3]["reused_point"], 2);
    assert_eq!(e[3]["simulated_policies"], serde_json::json!(["flow"]));
    for (i, (limit, devs)) in [(2, 1), (2, 2), (5, 1), (5, 2)].iter().enumerate() {
        let out = format!("run{i}");
        flowsim(p)
            .args(["run", "tiny.toml", "-q", "--no-charts", "--out", &out])
            .args(["--set", &format!("policies.flow.system_wip_limit={limit}")])
            .args(["--set", &format!("team.dev.count={devs}")])
            .assert()
            .success();
        for f in [
            "replications.csv",
            "summary.csv",
            "differences.csv",
            "weekly.csv",
        ] {
            assert!(
                std::fs::read(p.join(format!("sw/points/{}", i + 1)).join(f)).unwrap()
                    == std::fs::read(p.join(&out).join(f)).unwrap(),
                "point {} {f}",
                i + 1
            );
        }
    }
}
