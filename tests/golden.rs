//! Golden outputs: fixed runs of the real binary pinned byte for byte under `tests/golden/`.
//!
//! Every shipped scenario at a small fixed replication count, one 2-D sweep (with its SVG
//! charts and report), a run split into two shards and merged, what `flowsim check` prints
//! for every file in `tests/bad_scenarios/`, and a small `forecast` and `levers` run. Only timing is masked: `wall_time_s` in a
//! manifest, and the seconds a command prints after "in" or a comma (`in 0.1 s`).
//!
//! A change that alters any output must update these files in the same commit, so the change
//! in every number shows in review. To regenerate them after such a change:
//!
//! ```text
//! FLOWSIM_BLESS=1 cargo test --release --test golden
//! ```

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use assert_cmd::Command;

/// Replications per policy for the shipped scenarios: enough to exercise the aggregates and
/// intervals, few enough that every scenario runs in a fraction of a second.
const REPS: &str = "3";

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn golden_dir(case: &str) -> PathBuf {
    root().join("tests").join("golden").join(case)
}

fn flowsim(cwd: &Path) -> Command {
    let mut c = Command::cargo_bin("flowsim").unwrap();
    c.current_dir(cwd);
    for v in [
        "SLURM_ARRAY_TASK_ID",
        "SLURM_ARRAY_TASK_COUNT",
        "SLURM_ARRAY_TASK_MIN",
        "SLURM_ARRAY_TASK_STEP",
        "JOB_COMPLETION_INDEX",
        "FLOWSIM_SHARDS",
    ] {
        c.env_remove(v);
    }
    c
}

/// Runs a command; returns (exit code, stdout, stderr) with `tmp` written as `<TMP>` and
/// timings masked.
fn capture(cmd: &mut Command, tmp: &Path) -> (i32, String, String) {
    let out = cmd.output().unwrap();
    let clean =
        |b: &[u8]| mask(&String::from_utf8_lossy(b).replace(&*tmp.to_string_lossy(), "<TMP>"));
    (
        out.status.code().unwrap_or(-1),
        clean(&out.stdout),
        clean(&out.stderr),
    )
}

/// Masks a duration printed at the end of a line: `..., 0.0 s` and `... in 0.01 s`.
fn mask(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for line in text.split_inclusive('\n') {
        let (body, nl) = match line.strip_suffix('\n') {
            Some(b) => (b, "\n"),
            None => (line, ""),
        };
        out.push_str(&mask_line(body));
        out.push_str(nl);
    }
    out
}

fn mask_line(line: &str) -> String {
    let words: Vec<&str> = line.split(' ').collect();
    let timed = |i: usize| {
        i > 0
            && i + 1 < words.len()
            && words[i].parse::<f64>().is_ok()
            && (words[i - 1] == "in" || words[i - 1].ends_with(','))
            && matches!(words[i + 1], "s" | "s;" | "s," | "s)")
    };
    (0..words.len())
        .map(|i| if timed(i) { "<seconds>" } else { words[i] })
        .collect::<Vec<_>>()
        .join(" ")
}

/// Every file under `dir` that the golden files pin (PNG images aside: their SVG twins are
/// pinned), relative path → normalised text.
fn snapshot(dir: &Path) -> BTreeMap<String, String> {
    fn walk(base: &Path, d: &Path, out: &mut BTreeMap<String, String>) {
        let mut entries: Vec<_> = std::fs::read_dir(d)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        entries.sort();
        for p in entries {
            if p.is_dir() {
                walk(base, &p, out);
            } else if p.extension().is_some_and(|e| e == "png") {
                continue;
            } else {
                let rel = p
                    .strip_prefix(base)
                    .unwrap()
                    .to_string_lossy()
                    .replace('\\', "/");
                let text = std::fs::read_to_string(&p)
                    .unwrap_or_else(|e| panic!("{}: not UTF-8 text: {e}", p.display()));
                let text = if rel.ends_with("manifest.json") {
                    text.lines()
                        .filter(|l| !l.trim_start().starts_with("\"wall_time_s\""))
                        .map(|l| format!("{l}\n"))
                        .collect()
                } else if rel.ends_with("answer.txt") || rel.ends_with("report.html") {
                    // The terminal's answer, kept in the folder, carries its timing too.
                    mask(&text)
                } else {
                    text
                };
                out.insert(rel, text);
            }
        }
    }
    let mut out = BTreeMap::new();
    if dir.exists() {
        walk(dir, dir, &mut out);
    }
    out
}

/// Compares `actual` with the golden folder `case`, or rewrites the folder when
/// `FLOWSIM_BLESS` is set. Panics with every difference, one line each.
fn check(case: &str, actual: &BTreeMap<String, String>) {
    let dir = golden_dir(case);
    if std::env::var_os("FLOWSIM_BLESS").is_some() {
        let _ = std::fs::remove_dir_all(&dir);
        for (rel, text) in actual {
            let p = dir.join(rel);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(&p, text).unwrap();
        }
        return;
    }
    let expected = snapshot(&dir);
    assert!(
        !expected.is_empty(),
        "{}: no golden files; create them with FLOWSIM_BLESS=1 cargo test --release --test golden",
        dir.display()
    );
    let mut problems = Vec::new();
    for rel in expected.keys().filter(|k| !actual.contains_key(*k)) {
        problems.push(format!("{case}/{rel}: expected but not written"));
    }
    for (rel, text) in actual {
        match expected.get(rel) {
            None => problems.push(format!("{case}/{rel}: written but not in the golden files")),
            Some(want) if want != text => {
                let (n, (w, g)) = want
                    .lines()
                    .chain(std::iter::repeat("<end of file>"))
                    .zip(text.lines().chain(std::iter::repeat("<end of file>")))
                    .enumerate()
                    .find(|(_, (w, g))| w != g)
                    .unwrap();
                problems.push(format!(
                    "{case}/{rel}: line {} differs\n    golden: {w}\n    now:    {g}",
                    n + 1
                ));
            }
            Some(_) => {}
        }
    }
    assert!(
        problems.is_empty(),
        "output differs from tests/golden/ (if the change is intended, regenerate with \
         FLOWSIM_BLESS=1 cargo test --release --test golden and say why in the commit):\n{}",
        problems.join("\n")
    );
}

/// The shipped scenario files: `scenarios/*.toml` and `scenarios/validation/*.toml`.
fn shipped_scenarios() -> Vec<PathBuf> {
    let mut out = Vec::new();
    for dir in ["scenarios", "scenarios/validation"] {
        for e in std::fs::read_dir(root().join(dir)).unwrap() {
            let p = e.unwrap().path();
            if p.extension().is_some_and(|e| e == "toml") {
                out.push(p.strip_prefix(root()).unwrap().to_path_buf());
            }
        }
    }
    out.sort();
    out
}

#[test]
fn every_shipped_scenario_gives_its_golden_output() {
    let tmp = tempfile::tempdir().unwrap();
    let mut actual = BTreeMap::new();
    for scenario in shipped_scenarios() {
        let name = scenario
            .with_extension("")
            .to_string_lossy()
            .replace('/', "-");
        let out = tmp.path().join(&name);
        let mut cmd = flowsim(&root());
        cmd.args(["run", "--reps", REPS, "--threads", "2", "-q", "--no-charts"]);
        if scenario.starts_with("scenarios/validation") {
            // The queueing-theory cases run for thousands of weeks; 40 keep the files small.
            cmd.args([
                "--set",
                "run.horizon_weeks=40",
                "--set",
                "run.warmup_weeks=2",
            ]);
        }
        let (code, stdout, stderr) = capture(cmd.arg("--out").arg(&out).arg(&scenario), tmp.path());
        assert_eq!(code, 0, "{}: {stderr}", scenario.display());
        actual.insert(format!("{name}/stdout.txt"), stdout);
        for (rel, text) in snapshot(&out) {
            actual.insert(format!("{name}/{rel}"), text);
        }
    }
    check("runs", &actual);
}

#[test]
fn a_two_dimensional_sweep_gives_its_golden_output() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("sweep");
    let (code, stdout, stderr) = capture(
        flowsim(&root())
            .args([
                "sweep",
                "scenarios/small-team.toml",
                "--reps",
                REPS,
                "--threads",
                "2",
                "-q",
            ])
            .args([
                "--set",
                "run.horizon_weeks=12",
                "--set",
                "run.warmup_weeks=2",
            ])
            .args([
                "--vary",
                "team.tester.count=1,2",
                "--vary",
                "policies.flow.system_wip_limit=4,8",
            ])
            .args(["--chart-size", "400x400", "--out"])
            .arg(&out),
        tmp.path(),
    );
    assert_eq!(code, 0, "{stderr}");
    let mut actual = snapshot(&out);
    actual.insert("stdout.txt".into(), stdout);
    check("sweep", &actual);
}

#[test]
fn a_run_split_into_two_shards_merges_to_its_golden_output() {
    let tmp = tempfile::tempdir().unwrap();
    let parts = tmp.path().join("parts");
    let mut actual = BTreeMap::new();
    for k in ["1/2", "2/2"] {
        let (code, stdout, stderr) = capture(
            flowsim(&root())
                .args([
                    "run",
                    "scenarios/small-team.toml",
                    "--reps",
                    "5",
                    "--threads",
                    "2",
                    "-q",
                    "--no-charts",
                ])
                .args(["--shard", k, "--out"])
                .arg(&parts),
            tmp.path(),
        );
        assert_eq!(code, 0, "shard {k}: {stderr}");
        actual.insert(format!("shard-{}.stdout.txt", &k[..1]), stdout);
    }
    let merged = tmp.path().join("merged");
    let (code, stdout, stderr) = capture(
        flowsim(&root())
            .args(["merge", "--chart-size", "400x400", "--out"])
            .arg(&merged)
            .arg(&parts),
        tmp.path(),
    );
    assert_eq!(code, 0, "merge: {stderr}");
    actual.insert("merge.stdout.txt".into(), stdout);
    for (rel, text) in snapshot(&merged) {
        actual.insert(format!("merged/{rel}"), text);
    }
    check("shards", &actual);
}

#[test]
fn check_prints_its_golden_report_for_every_bad_scenario() {
    let bad = root().join("tests").join("bad_scenarios");
    let mut files: Vec<String> = std::fs::read_dir(&bad)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".toml"))
        .collect();
    files.sort();
    let mut actual = BTreeMap::new();
    for f in &files {
        let (code, stdout, stderr) = capture(flowsim(&bad).args(["check", f]), &bad);
        actual.insert(
            f.replace(".toml", ".txt"),
            format!("exit code {code}\n--- stdout\n{stdout}--- stderr\n{stderr}"),
        );
    }
    check("check", &actual);
}

#[test]
fn a_forecast_and_a_levers_run_give_their_golden_output() {
    let tmp = tempfile::tempdir().unwrap();
    let mut actual = BTreeMap::new();
    let forecast = tmp.path().join("forecast");
    let (code, stdout, stderr) = capture(
        flowsim(&root())
            .args([
                "forecast",
                "scenarios/small-team.toml",
                "--reps",
                "5",
                "--threads",
                "2",
            ])
            .args(["--cards", "20", "--no-arrivals", "--start", "2027-01-04"])
            .args(["--by-weeks", "2", "-q", "--chart-size", "400x400", "--out"])
            .arg(&forecast),
        tmp.path(),
    );
    assert_eq!(code, 0, "forecast: {stderr}");
    actual.insert("forecast.stdout.txt".into(), stdout);
    for (rel, text) in snapshot(&forecast) {
        actual.insert(format!("forecast/{rel}"), text);
    }
    let levers = tmp.path().join("levers");
    let (code, stdout, stderr) = capture(
        flowsim(&root())
            .args([
                "levers",
                "scenarios/small-team.toml",
                "--reps",
                REPS,
                "--threads",
                "2",
            ])
            .args([
                "--set",
                "run.horizon_weeks=12",
                "--set",
                "run.warmup_weeks=2",
            ])
            .args(["-q", "--chart-size", "400x400", "--out"])
            .arg(&levers),
        tmp.path(),
    );
    assert_eq!(code, 0, "levers: {stderr}");
    actual.insert("levers.stdout.txt".into(), stdout);
    for (rel, text) in snapshot(&levers) {
        actual.insert(format!("levers/{rel}"), text);
    }
    check("commands", &actual);
}
