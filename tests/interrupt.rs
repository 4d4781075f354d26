//! Ctrl-C: the real binary, on a run far too long to finish, gets SIGINT and must stop
//! promptly with exit code 130, leaving a folder that says it is partial and whose
//! replications.csv holds complete rows for exactly the replications it reports.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Lines in the hidden staging folder's replications.csv, once it exists.
fn staged_rows(parent: &Path) -> usize {
    std::fs::read_dir(parent)
        .into_iter()
        .flatten()
        .filter_map(Result::ok)
        .filter(|e| e.file_name().to_string_lossy().starts_with(".run.partial-"))
        .filter_map(|e| std::fs::read_to_string(e.path().join("replications.csv")).ok())
        .map(|t| t.lines().count())
        .max()
        .unwrap_or(0)
}

#[test]
fn sigint_writes_a_partial_result_and_exits_130() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("run");
    let reps: u64 = 200_000;
    let mut child = Command::new(env!("CARGO_BIN_EXE_flowsim"))
        .args(["run", "-q", "--no-charts", "--threads", "2", "--reps"])
        .arg(reps.to_string())
        .arg("--out")
        .arg(&out)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Wait until replications are being written (rows reach the disk), then interrupt.
    let start = Instant::now();
    while staged_rows(tmp.path()) < 2 {
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "no replication was written within a minute"
        );
        assert!(child.try_wait().unwrap().is_none(), "the run ended early");
        std::thread::sleep(Duration::from_millis(50));
    }
    let sent = Instant::now();
    let kill = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(kill.success());
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if sent.elapsed() > Duration::from_secs(30) {
            let _ = child.kill();
            panic!("still running 30 s after SIGINT");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let stderr = std::io::read_to_string(child.stderr.take().unwrap()).unwrap();
    assert_eq!(status.code(), Some(130), "{stderr}");
    assert!(stderr.contains("Interrupted after "), "{stderr}");
    assert!(
        stderr.contains(&format!("of {reps} replications")),
        "{stderr}"
    );

    // The folder is in place (no hidden staging folder left) and says it is partial.
    let names: Vec<String> = std::fs::read_dir(tmp.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, ["run"], "{names:?}");
    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(manifest["finished"], false);
    assert_eq!(manifest["partial"], true);
    assert!(manifest["interrupted"].as_str().unwrap().contains("Ctrl-C"));
    let done = manifest["replications_done"].as_u64().unwrap();
    assert!(done > 0 && done < reps, "{done}");
    assert!(
        stderr.contains(&format!("after {done} of {reps}")),
        "{stderr}"
    );

    // replications.csv: complete rows only, replications 0..done for every policy.
    let policies = manifest["policies"].as_array().unwrap().len();
    let mut r = csv::Reader::from_path(out.join("replications.csv")).unwrap();
    let width = r.headers().unwrap().len();
    let rows: Vec<csv::StringRecord> = r.records().map(Result::unwrap).collect();
    assert_eq!(rows.len() as u64, done * policies as u64);
    for (i, row) in rows.iter().enumerate() {
        assert_eq!(row.len(), width, "row {i} is incomplete");
        assert_eq!(row[2].parse::<usize>().unwrap(), i / policies, "row {i}");
    }
    // The other files describe the same replications.
    for f in ["summary.csv", "differences.csv", "weekly.csv"] {
        assert!(out.join(f).is_file(), "{f} missing");
    }
}

#[test]
fn sigint_stops_levers_and_leaves_nothing_behind() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("l");
    let mut child = Command::new(env!("CARGO_BIN_EXE_flowsim"))
        .args([
            "levers",
            "-q",
            "--no-charts",
            "--threads",
            "2",
            "--reps",
            "20000",
        ])
        .arg("--out")
        .arg(&out)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // The staging folder exists once the run has begun.
    let staged = || {
        std::fs::read_dir(tmp.path())
            .into_iter()
            .flatten()
            .filter_map(Result::ok)
            .any(|e| e.file_name().to_string_lossy().starts_with(".l.partial-"))
    };
    let start = Instant::now();
    while !staged() {
        assert!(start.elapsed() < Duration::from_secs(60), "never started");
        if child.try_wait().unwrap().is_some() {
            let mut err = String::new();
            std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut err).unwrap();
            panic!("ended early: {err}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    std::thread::sleep(Duration::from_millis(300));
    let kill = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(kill.success());
    let sent = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if sent.elapsed() > Duration::from_secs(30) {
            let _ = child.kill();
            panic!("still running 30 s after SIGINT");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    assert_eq!(status.code(), Some(130));
    let mut err = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut err).unwrap();
    assert!(err.contains("nothing was written"), "{err}");
    assert!(!out.exists(), "no result folder");
    assert!(!staged(), "the staging folder is removed");
}
