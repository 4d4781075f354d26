//! `flowsim forecast` through the real binary: cases with an exact answer, a Poisson case
//! against its closed form (Erlang), agreement with `flowsim run`'s weekly.csv, censoring, and
//! bad input.

mod common;

use std::collections::BTreeMap;
use std::path::Path;

use common::{flowsim, folder_with};

/// One person, one stage of constant effort, no arrivals beyond the backlog, no disruptions.
fn one_person(calendar: &str, effort: &str, backlog: u32, horizon_weeks: u32) -> String {
    format!(
        r#"
name = "one-person"
[run]
horizon_weeks = {horizon_weeks}
replications = 20
seed = 7
policies = ["pull"]
[calendar]
{calendar}
[arrivals]
process = "none"
initial_backlog = {backlog}
[[stages]]
name = "work"
effort = {effort}
[team.solo]
count = 1
skills = {{ work = 1.0 }}
"#
    )
}

/// The rows of a CSV file as maps from column to cell.
fn rows(path: &Path) -> Vec<BTreeMap<String, String>> {
    let mut rd = csv::Reader::from_path(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
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

fn f(row: &BTreeMap<String, String>, col: &str) -> f64 {
    row.get(col)
        .unwrap_or_else(|| panic!("no column {col}"))
        .parse()
        .unwrap_or_else(|_| panic!("{col} = {:?} is not a number", row[col]))
}

#[test]
fn one_person_round_the_clock_finishes_at_the_sum_of_the_efforts() {
    // 12 cards of 5 h each, one person working 24/7: the last is done at exactly 60 h, in the
    // third day, in every run.
    let text = one_person(
        r#"mode = "24/7""#,
        r#"{ dist = "constant", value = 5 }"#,
        12,
        1,
    );
    let dir = folder_with(&[("s.toml", &text)]);
    flowsim(dir.path())
        .args([
            "forecast",
            "s.toml",
            "--out",
            "f",
            "--no-charts",
            "--start",
            "2027-01-04",
        ])
        .assert()
        .success()
        .stdout(predicates::str::contains(
            "85% of runs finish the 12 cards within 3 days (0.4 weeks; by 2027-01-06) under pull.",
        ));
    let r = rows(&dir.path().join("f/forecast.csv"));
    assert_eq!(r.len(), 1);
    for p in ["p50", "p85", "p95"] {
        assert!((f(&r[0], &format!("{p}_clock_hours")) - 60.0).abs() < 1e-9);
        assert_eq!(f(&r[0], &format!("{p}_working_days")), 3.0);
    }
    assert_eq!(f(&r[0], "runs_unfinished"), 0.0);
}

#[test]
fn one_person_on_a_working_calendar_finishes_on_the_known_day_and_date() {
    // 30 cards of 4 h, 8 h a day, 5 days a week: 120 h of work, 15 working days; starting on
    // Monday 2027-01-04, the last card is done on Friday 2027-01-22 at 17:00 (week 3, day 5:
    // 2 x 168 + 4 x 24 + 9 + 8 = 449 h after the start).
    let text = one_person(
        "mode = \"working\"\nhours_per_day = 8\ndays_per_week = 5",
        r#"{ dist = "constant", value = 4 }"#,
        30,
        2,
    );
    let dir = folder_with(&[("s.toml", &text)]);
    flowsim(dir.path())
        .args(["forecast", "s.toml", "--out", "f", "--start", "2027-01-04", "-q"])
        .assert()
        .success()
        .stdout(predicates::str::contains(
            "85% of runs finish the 30 cards within 15 working days (3.0 weeks; by 2027-01-22) under pull.",
        ));
    let r = rows(&dir.path().join("f/forecast.csv"));
    assert!((f(&r[0], "p95_clock_hours") - 449.0).abs() < 1e-9);
    assert_eq!(f(&r[0], "p85_working_weeks"), 3.0);
    assert_eq!(r[0]["p50_date"], "2027-01-22");
    // The horizon of 2 weeks was too short: the runs were extended (doubled) to finish.
    assert_eq!(f(&r[0], "horizon_weeks"), 4.0);
    assert!(dir.path().join("f/charts/forecast.png").is_file());
    assert!(dir.path().join("f/forecast_runs.csv").is_file());
    // The folder's report.html: the terminal's answer, the chart inline and the table.
    let answer = std::fs::read_to_string(dir.path().join("f/answer.txt")).unwrap();
    assert!(answer.contains("within 15 working days (3.0 weeks; by 2027-01-22) under pull."));
    let report = std::fs::read_to_string(dir.path().join("f/report.html")).unwrap();
    for want in [
        "<h2>Contents</h2>",
        "within 15 working days (3.0 weeks; by 2027-01-22) under pull.",
        "<svg",
        "<th>p85_working_days</th>",
    ] {
        assert!(report.contains(want), "{want} not in report.html");
    }
    // `flowsim chart` redraws a forecast folder's chart and report from its files.
    std::fs::remove_dir_all(dir.path().join("f/charts")).unwrap();
    std::fs::remove_file(dir.path().join("f/report.html")).unwrap();
    flowsim(dir.path()).args(["chart", "f"]).assert().success();
    assert!(dir.path().join("f/charts/forecast.svg").is_file());
    let again = std::fs::read_to_string(dir.path().join("f/report.html")).unwrap();
    assert!(again.contains("under pull.") && again.contains("<svg"));
}

/// The regularised lower incomplete gamma of integer shape: P(Erlang(n, rate) <= x).
fn erlang_cdf(n: u32, rate: f64, x: f64) -> f64 {
    let lx = rate * x;
    let mut term = (-lx).exp();
    let mut tail = term;
    for k in 1..n {
        term *= lx / k as f64;
        tail += term;
    }
    1.0 - tail
}

#[test]
fn exponential_efforts_on_one_server_finish_as_an_erlang() {
    // N cards with exponential efforts (mean m) on one person working 24/7 without a break:
    // the last is done at the sum of N exponentials, an Erlang(N, 1/m): mean N m, sd sqrt(N) m.
    let (n, m, reps) = (20u32, 3.0, 400u32);
    let text = one_person(
        r#"mode = "24/7""#,
        r#"{ dist = "exponential", mean = 3 }"#,
        n,
        1,
    );
    let dir = folder_with(&[("s.toml", &text)]);
    flowsim(dir.path())
        .args(["forecast", "s.toml", "--out", "f", "--no-charts", "-q"])
        .args(["--reps", &reps.to_string()])
        .assert()
        .success();
    let runs = rows(&dir.path().join("f/forecast_runs.csv"));
    assert_eq!(runs.len(), reps as usize);
    let t: Vec<f64> = runs.iter().map(|r| f(r, "done_clock_hours")).collect();
    let mean = t.iter().sum::<f64>() / t.len() as f64;
    let (mu, sd) = (f64::from(n) * m, f64::from(n).sqrt() * m);
    // 99.9% interval of the sample mean (the sd is known).
    let half = 3.29 * sd / f64::from(reps).sqrt();
    assert!(
        (mean - mu).abs() < half,
        "mean completion {mean:.2} h, Erlang mean {mu} h, allowed +-{half:.2}"
    );
    // The reported percentiles sit where the Erlang CDF says, within the binomial spread of
    // an empirical quantile (3.29 standard errors of a share).
    let r = rows(&dir.path().join("f/forecast.csv"));
    for (col, q) in [("p50", 0.50), ("p85", 0.85), ("p95", 0.95)] {
        let x = f(&r[0], &format!("{col}_clock_hours"));
        let p = erlang_cdf(n, 1.0 / m, x);
        let tol = 3.29 * (q * (1.0 - q) / f64::from(reps)).sqrt() + 1.0 / f64::from(reps);
        assert!(
            (p - q).abs() < tol,
            "{col}: {x:.2} h has Erlang CDF {p:.3}, expected {q} +-{tol:.3}"
        );
    }
}

/// The mean `done_total` of weekly.csv per (policy, week).
fn weekly_done(dir: &Path) -> BTreeMap<(String, u32), f64> {
    rows(&dir.join("weekly.csv"))
        .into_iter()
        .filter(|r| r["series"] == "done_total")
        .map(|r| {
            (
                (r["policy"].clone(), r["week"].parse().unwrap()),
                f(&r, "mean"),
            )
        })
        .collect()
}

#[test]
fn cards_by_a_week_agree_with_run_weekly_done_total() {
    // The reference scenario (with its arrivals): the mean number of cards done by the end of
    // week W is the same figure as weekly.csv's done_total for week W, replication by
    // replication the same runs (same seed, common random numbers).
    let dir = tempfile::tempdir().unwrap();
    flowsim(dir.path())
        .args(["run", "--reps", "40", "--out", "r", "--no-charts", "-q"])
        .assert()
        .success();
    let weekly = weekly_done(&dir.path().join("r"));
    for w in [1u32, 6, 20] {
        let out = format!("f{w}");
        flowsim(dir.path())
            .args([
                "forecast",
                "--reps",
                "40",
                "--no-charts",
                "-q",
                "--out",
                &out,
            ])
            .args(["--by-weeks", &w.to_string()])
            .assert()
            .success();
        for r in rows(&dir.path().join(&out).join("forecast.csv")) {
            let got = f(&r, "cards_done_by_mean");
            let want = weekly[&(r["policy"].clone(), w)];
            assert!(
                (got - want).abs() < 1e-9,
                "{} week {w}: forecast {got}, weekly.csv {want}",
                r["policy"]
            );
        }
    }
}

#[test]
fn a_backlog_forecast_agrees_with_run_on_the_same_backlog() {
    // The 60-card question both ways: `run` on a scenario with a 60-card backlog and no
    // arrivals (weekly.csv's done_total), and `forecast --cards 60 --no-arrivals` on the
    // reference scenario; and inside the forecast, a run has all 60 done by week W exactly when
    // its completion time is at most W weeks.
    let text = common::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/small-team.toml"))
        .replace(
            "process = \"poisson\"     # \"poisson\", \"batch\", \"none\" or \"unlimited\"\nrate_per_week = 8\ninitial_backlog = 10",
            "process = \"none\"\ninitial_backlog = 60",
        );
    assert!(text.contains("initial_backlog = 60"));
    let dir = folder_with(&[("backlog.toml", &text)]);
    flowsim(dir.path())
        .args([
            "run",
            "backlog.toml",
            "--reps",
            "40",
            "--out",
            "r",
            "--no-charts",
            "-q",
        ])
        .assert()
        .success();
    let weekly = weekly_done(&dir.path().join("r"));
    flowsim(dir.path())
        .args(["forecast", "--cards", "60", "--no-arrivals", "--reps", "40"])
        .args(["--by-weeks", "7", "--out", "f", "--no-charts", "-q"])
        .assert()
        .success();
    for r in rows(&dir.path().join("f/forecast.csv")) {
        let want = weekly[&(r["policy"].clone(), 7)];
        assert!(
            (f(&r, "cards_done_by_mean") - want).abs() < 1e-9,
            "{}",
            r["policy"]
        );
    }
    for r in rows(&dir.path().join("f/forecast_runs.csv")) {
        let done_by_then = f(&r, "done_clock_hours") <= 7.0 * 168.0;
        assert_eq!(f(&r, "cards_done_by") == 60.0, done_by_then, "{r:?}");
    }
}

#[test]
fn runs_that_never_finish_are_reported_not_dropped() {
    // 2,000 cards of 8 h for one person need 2,000 working days; a 1-week horizon doubled four
    // times (16 weeks) cannot hold them.
    let text = one_person(
        "mode = \"working\"",
        r#"{ dist = "constant", value = 8 }"#,
        2000,
        1,
    );
    let dir = folder_with(&[("s.toml", &text)]);
    flowsim(dir.path())
        .args([
            "forecast",
            "s.toml",
            "--out",
            "f",
            "--no-charts",
            "--reps",
            "5",
        ])
        .assert()
        .success()
        .stdout(predicates::str::contains(
            "5 of 5 runs had not finished the 2000 cards by the horizon (16 weeks)",
        ))
        .stdout(predicates::str::contains("fewer than 85% of runs finish"));
    let r = rows(&dir.path().join("f/forecast.csv"));
    assert_eq!(r[0]["runs_unfinished"], "5");
    assert_eq!(r[0]["p85_working_days"], "");
}

#[test]
fn bad_input_names_the_flag_and_the_fix() {
    let text = one_person(
        r#"mode = "24/7""#,
        r#"{ dist = "constant", value = 5 }"#,
        0,
        1,
    );
    let dir = folder_with(&[("empty.toml", &text)]);
    let cases: &[(&[&str], &str)] = &[
        (&["forecast", "empty.toml"], "--cards N"),
        (&["forecast", "--cards", "0"], "--cards must be at least 1"),
        (
            &["forecast", "--start", "2027-13-01"],
            "--start: `2027-13-01` is not a date",
        ),
        (&["forecast", "--by", "2027-03-01"], "--by needs --start"),
        (
            &["forecast", "--start", "2027-03-01", "--by", "2027-02-01"],
            "is before --start",
        ),
        (&["forecast", "--by-weeks=0"], "--by-weeks must be"),
        (
            &["forecast", "--shard", "1/2"],
            "unexpected argument '--shard'",
        ),
        (
            &[
                "forecast",
                "--cards",
                "60",
                "--set",
                "arrivals.max_backlog=10",
            ],
            "--set arrivals.max_backlog=60",
        ),
        (&["forecast", "missing.toml"], "missing.toml: cannot read"),
    ];
    for (args, needle) in cases {
        flowsim(dir.path())
            .args(*args)
            .args(["-q", "--no-charts", "--out", "o"])
            .assert()
            .code(2)
            .stderr(predicates::str::contains(*needle));
    }
    assert!(
        !dir.path().join("o").exists(),
        "no result folder after bad input"
    );
}

#[test]
fn every_shipped_scenario_forecasts_a_small_backlog() {
    // Through the library, two replications each: every run finishes 10 cards without further
    // arrivals, and the completion day is a working day no earlier than the first.
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    for dir in ["scenarios", "scenarios/validation"] {
        let mut paths: Vec<_> = std::fs::read_dir(root.join(dir))
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|x| x == "toml"))
            .collect();
        paths.sort();
        for path in paths {
            let mut sc = common::load(&common::read(&path), &path.display().to_string());
            sc.settings.replications = 2;
            let n = flowsim::forecast::set_backlog(&mut sc.model, Some(10), true).unwrap();
            let stop = std::sync::atomic::AtomicBool::new(false);
            let runs = flowsim::forecast::run(&sc, n, None, &stop, &|| {}).unwrap();
            for s in flowsim::forecast::summarise(&runs, &sc.model.calendar) {
                assert_eq!(s.unfinished, 0, "{} {}", path.display(), s.policy);
                assert!(s.done_working_days[2].unwrap() >= 1);
            }
        }
    }
}
