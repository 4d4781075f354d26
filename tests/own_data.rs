//! The team's own data (issue 16): replayed arrivals and empirical efforts through the
//! binary, `--set` that removes keys and catches typos, and the Little's-law warning for a
//! demand beyond capacity.

use std::path::Path;
use std::process::{Command, Output};

fn flowsim(args: &[&str], dir: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_flowsim"))
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap()
}

fn text(o: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

/// Rows of a CSV file as maps from header to cell.
fn rows(path: &Path) -> Vec<std::collections::HashMap<String, String>> {
    let mut r = csv::Reader::from_path(path).unwrap();
    let h = r.headers().unwrap().clone();
    r.records()
        .map(|rec| {
            let rec = rec.unwrap();
            h.iter()
                .zip(rec.iter())
                .map(|(a, b)| (a.to_string(), b.to_string()))
                .collect()
        })
        .collect()
}

const TEAM: &str = r#"
[[stages]]
name = "work"
effort = { dist = "constant", value = 2 }
[team.dev]
count = 3
skills = { work = 1.0 }
"#;

#[test]
fn a_replayed_history_arrives_exactly_in_the_run() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("data")).unwrap();
    // 2026-03-02 is a Monday. Week 0: 3 cards, week 1: none, week 2: 2 cards.
    std::fs::write(
        dir.path().join("data/h.csv"),
        "Key,Created,Class,Due\nX-1,2026-03-02 09:00,,\nX-2,2026-03-04,expedite,\n\
         X-3,2026-03-06 15:30,,2026-03-27\nX-4,2026-03-16,,\nX-5,2026-03-20 11:00,,\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("s.toml"),
        format!(
            "[run]\nhorizon_weeks = 6\nreplications = 5\n[arrivals]\nprocess = \"replay\"\n\
             file = \"data/h.csv\"\n{TEAM}"
        ),
    )
    .unwrap();
    let o = flowsim(
        &["run", "s.toml", "--out", "out", "--no-charts"],
        dir.path(),
    );
    let (out, err) = text(&o);
    assert!(o.status.success(), "{out}{err}");
    let weekly = rows(&dir.path().join("out/weekly.csv"));
    let want = [3.0, 3.0, 5.0, 5.0, 5.0, 5.0];
    for policy in ["push", "pull", "flow"] {
        let arrived: Vec<f64> = weekly
            .iter()
            .filter(|r| r["policy"] == policy && r["series"] == "arrived_total")
            .map(|r| r["mean"].parse().unwrap())
            .collect();
        assert_eq!(arrived, want, "{policy}");
        // Every replication the same: the 5th and 95th percentiles are the mean.
        for r in weekly
            .iter()
            .filter(|r| r["policy"] == policy && r["series"] == "arrived_total")
        {
            assert_eq!(r["p05"], r["p95"], "{r:?}");
        }
    }
    // `replay_speed = 2` plays the history twice as fast: the two cards of its third week
    // (hours 345 and 443 from the first Monday) arrive in the second (172.5 and 221.5).
    let o = flowsim(
        &[
            "run",
            "s.toml",
            "--out",
            "fast",
            "--no-charts",
            "--set",
            "arrivals.replay_speed=2",
        ],
        dir.path(),
    );
    assert!(o.status.success(), "{:?}", text(&o));
    let arrived: Vec<f64> = rows(&dir.path().join("fast/weekly.csv"))
        .iter()
        .filter(|r| r["policy"] == "pull" && r["series"] == "arrived_total")
        .map(|r| r["mean"].parse().unwrap())
        .collect();
    assert_eq!(arrived, [3.0, 5.0, 5.0, 5.0, 5.0, 5.0]);
    // All five are done: 2 hours of work each, three people.
    let summary = rows(&dir.path().join("out/summary.csv"));
    let finished = summary
        .iter()
        .find(|r| r["policy"] == "pull" && r["metric"] == "cards_finished")
        .unwrap();
    assert_eq!(finished["mean"], "5");
}

/// `manifest.json` names each data file a scenario read with the SHA-256 of its bytes, so a
/// result says which export it replayed: the same path with one card more gives another hash.
#[test]
fn the_manifest_hashes_the_history_it_replayed() {
    use sha2::{Digest, Sha256};
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("data")).unwrap();
    std::fs::write(
        dir.path().join("s.toml"),
        format!(
            "[run]\nhorizon_weeks = 2\nreplications = 2\n[arrivals]\nprocess = \"replay\"\n\
             file = \"data/h.csv\"\n{TEAM}"
        ),
    )
    .unwrap();
    let mut seen = Vec::new();
    for history in [
        "created\n2026-03-02\n2026-03-03\n",
        "created\n2026-03-02\n2026-03-03\n2026-03-04\n",
    ] {
        std::fs::write(dir.path().join("data/h.csv"), history).unwrap();
        let out = format!("out{}", seen.len());
        let o = flowsim(
            &["run", "s.toml", "--out", &out, "--no-charts", "-q"],
            dir.path(),
        );
        assert!(o.status.success(), "{:?}", text(&o));
        let manifest: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(dir.path().join(&out).join("manifest.json")).unwrap(),
        )
        .unwrap();
        let files = manifest["data_files"].as_array().unwrap();
        assert_eq!(files.len(), 1, "{files:?}");
        assert_eq!(files[0]["path"], "data/h.csv");
        let want: String = Sha256::digest(history.as_bytes())
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert_eq!(files[0]["sha256"], want.as_str());
        seen.push(want);
    }
    assert_ne!(seen[0], seen[1]);
}

#[test]
fn an_empirical_effort_has_the_sample_mean() {
    let dir = tempfile::tempdir().unwrap();
    let hours = [3.0, 5.0, 8.0, 13.0, 2.5, 21.0, 6.0, 4.0];
    let mut csv = String::from("key,dev_hours\n");
    for (i, h) in hours.iter().enumerate() {
        csv.push_str(&format!("K-{i},{h}\n"));
    }
    csv.push_str("K-9,\n"); // an empty cell is skipped
    std::fs::write(dir.path().join("hours.csv"), csv).unwrap();
    // 24/7, far more people than work: a card's cycle time is its effort.
    std::fs::write(
        dir.path().join("s.toml"),
        "[run]\nhorizon_weeks = 20\nreplications = 40\nseed = 5\n[calendar]\nmode = \"24/7\"\n\
         [arrivals]\nprocess = \"poisson\"\nrate_per_week = 10\n[[stages]]\nname = \"work\"\n\
         effort = { dist = \"empirical\", file = \"hours.csv\", column = \"dev_hours\" }\n\
         [team.dev]\ncount = 12\nskills = { work = 1.0 }\n",
    )
    .unwrap();
    let o = flowsim(
        &[
            "run",
            "s.toml",
            "--out",
            "out",
            "--no-charts",
            "--policies",
            "pull",
        ],
        dir.path(),
    );
    let (out, err) = text(&o);
    assert!(o.status.success(), "{out}{err}");
    let sample_mean = hours.iter().sum::<f64>() / hours.len() as f64;
    let within = |folder: &str, want: f64| {
        let summary = rows(&dir.path().join(folder).join("summary.csv"));
        let ct = summary
            .iter()
            .find(|r| r["metric"] == "cycle_time_mean_h")
            .unwrap();
        let lo: f64 = ct["ci95_low"].parse().unwrap();
        let hi: f64 = ct["ci95_high"].parse().unwrap();
        assert!(lo <= want && want <= hi, "{want} outside [{lo}, {hi}]");
    };
    within("out", sample_mean);
    // `scale` multiplies every observed value: "what if this stage took 20% less?".
    let o = flowsim(
        &[
            "run",
            "s.toml",
            "--out",
            "out-scaled",
            "--no-charts",
            "--policies",
            "pull",
            "--set",
            "stages[0].effort.scale=0.8",
        ],
        dir.path(),
    );
    assert!(o.status.success(), "{:?}", text(&o));
    within("out-scaled", 0.8 * sample_mean);
}

#[test]
fn a_bad_history_file_is_refused_with_its_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("h.csv"),
        "created\n2026-03-02\n2026-03-03\n03/04/2026\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("s.toml"),
        format!("[arrivals]\nprocess = \"replay\"\nfile = \"h.csv\"\n{TEAM}"),
    )
    .unwrap();
    let o = flowsim(&["run", "s.toml", "--out", "out"], dir.path());
    let (_, err) = text(&o);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains("s.toml:3:8: `arrivals.file`"), "{err}");
    assert!(
        err.contains("h.csv:4: `03/04/2026` in column `created` is not a date"),
        "{err}"
    );
    // A missing file says where it was looked for.
    std::fs::remove_file(dir.path().join("h.csv")).unwrap();
    let o = flowsim(&["check", "s.toml"], dir.path());
    let (out, err) = text(&o);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        format!("{out}{err}").contains("relative to the scenario file"),
        "{out}{err}"
    );
}

#[test]
fn set_catches_typos_and_removes_keys() {
    let dir = tempfile::tempdir().unwrap();
    let sc = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/small-team.toml");
    let sc = sc.to_str().unwrap();
    let args = |set: &[&str]| {
        let mut a = vec![
            "run",
            sc,
            "--reps",
            "2",
            "--no-charts",
            "--policies",
            "pull",
            "--out",
            "o",
            "--force",
        ];
        for s in set {
            a.push("--set");
            a.push(s);
        }
        a.iter().map(|s| s.to_string()).collect::<Vec<_>>()
    };
    let run = |set: &[&str]| {
        let a = args(set);
        let a: Vec<&str> = a.iter().map(String::as_str).collect();
        let o = flowsim(&a, dir.path());
        let (out, err) = text(&o);
        (o.status.code(), format!("{out}{err}"))
    };
    let (code, msg) = run(&["team.testr.count=3"]);
    assert_eq!(code, Some(2), "{msg}");
    assert!(
        msg.contains("has no `testr` (did you mean `tester`?)"),
        "{msg}"
    );
    let (code, msg) = run(&["run.horizon_weks=10"]);
    assert_eq!(code, Some(2), "{msg}");
    assert!(msg.contains("did you mean `horizon_weeks`?"), "{msg}");
    let (code, msg) = run(&["stages.tset.wip_limit=2"]);
    assert_eq!(code, Some(2), "{msg}");
    assert!(msg.contains("did you mean `test`?"), "{msg}");
    // Replacing the arrival process needs its old rate removed: `path=` removes a key.
    let (code, msg) = run(&["arrivals.process=none"]);
    assert_eq!(code, Some(2), "{msg}");
    assert!(
        msg.contains("(from --set arrivals.process=none)") || msg.contains("rate_per_week"),
        "{msg}"
    );
    let (code, msg) = run(&["arrivals.process=none", "arrivals.rate_per_week="]);
    assert_eq!(code, Some(0), "{msg}");
    // A new policy from a preset's name is fine; removing what is not there is not.
    let (code, msg) = run(&["policies.pull.system_wip_limit=6"]);
    assert_eq!(code, Some(0), "{msg}");
    let (code, msg) = run(&["arrivals.batch_size="]);
    assert_eq!(code, Some(2), "{msg}");
    assert!(
        msg.contains("there is no `arrivals.batch_size` to remove"),
        "{msg}"
    );
}

#[test]
fn set_errors_point_into_the_users_file() {
    let dir = tempfile::tempdir().unwrap();
    // Line 7 has a bad value the user wrote; --set adds another.
    std::fs::write(
        dir.path().join("s.toml"),
        format!(
            "# a comment that --set's rewrite would drop\n\n[run]\nhorizon_weeks = 4\n\n\
             [arrivals]\nprocess = \"poisson\"\nrate_per_week = -3\n{TEAM}"
        ),
    )
    .unwrap();
    let o = flowsim(
        &[
            "run",
            "s.toml",
            "--set",
            "stages.work.wip_limit=0",
            "--no-charts",
        ],
        dir.path(),
    );
    let (out, err) = text(&o);
    let msg = format!("{out}{err}");
    assert_eq!(o.status.code(), Some(2), "{msg}");
    assert!(
        msg.contains("s.toml:8:17: `arrivals.rate_per_week`"),
        "{msg}"
    );
    assert!(
        msg.contains("(from --set stages.work.wip_limit=0)"),
        "{msg}"
    );
}

#[test]
fn littles_law_says_when_demand_exceeds_capacity() {
    let dir = tempfile::tempdir().unwrap();
    // 10 cards a week against capacity for 4.
    std::fs::write(
        dir.path().join("s.toml"),
        "[run]\nhorizon_weeks = 30\nreplications = 10\n[arrivals]\nprocess = \"poisson\"\n\
         rate_per_week = 10\n[[stages]]\nname = \"work\"\n\
         effort = { dist = \"exponential\", mean = 10 }\n[team.dev]\ncount = 1\n\
         skills = { work = 1.0 }\n",
    )
    .unwrap();
    let o = flowsim(
        &[
            "run",
            "s.toml",
            "--out",
            "out",
            "--no-charts",
            "--policies",
            "pull",
        ],
        dir.path(),
    );
    let (out, err) = text(&o);
    assert!(o.status.success(), "{out}{err}");
    assert!(out.contains("for pull"), "{out}");
    assert!(out.contains("demand exceeds capacity"), "{out}");
    assert!(!out.contains("lengthen run.horizon_weeks"), "{out}");
}

/// `flowsim levers` on the team's own data: the empirical efforts get their `scale` levers and
/// the replayed history its `replay_speed` lever, like any parametric scenario.
#[test]
fn levers_move_the_teams_own_efforts_and_arrivals() {
    let levers = flowsim::levers::levers(
        "[arrivals]\nprocess = \"replay\"\nfile = \"h.csv\"\n[[stages]]\nname = \"dev\"\n\
         effort = { dist = \"empirical\", values = [2, 3, 5] }\n[team.dev]\nskills = { dev = 1.0 }\n",
    )
    .unwrap();
    let sets: Vec<String> = levers.iter().flat_map(|l| l.sets.clone()).collect();
    for want in [
        "stages[0].effort.scale=0.8",
        "stages[0].effort.scale=1.2",
        "arrivals.replay_speed=0.9",
        "arrivals.replay_speed=1.1",
    ] {
        assert!(sets.iter().any(|s| s == want), "{want} not in {sets:?}");
    }
}
