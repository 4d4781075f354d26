//! A reader that closes standard output early (`flowsim check ... | head -1`,
//! `flowsim run ... | head`) ends flowsim quietly with success, as ripgrep and hyperfine do:
//! exit code 0, nothing on stderr, and never a panic.

use std::path::Path;
use std::process::{Command, Output};

/// Runs the real binary with its standard output a pipe whose reading end is already closed,
/// so that the first write fails with a broken pipe.
fn with_closed_stdout(args: &[&str]) -> Output {
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    Command::new(env!("CARGO_BIN_EXE_flowsim"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stdout(writer)
        .output()
        .unwrap()
}

fn assert_quiet_success(out: &Output) {
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert_eq!(stderr, "");
}

#[test]
fn check_ends_quietly_when_stdout_is_closed() {
    let out = with_closed_stdout(&[
        "check",
        "scenarios/small-team.toml",
        "scenarios/flu-season.toml",
    ]);
    assert_quiet_success(&out);
}

#[test]
fn run_ends_quietly_when_stdout_is_closed() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("result");
    let out = with_closed_stdout(&[
        "run",
        "scenarios/small-team.toml",
        "--reps",
        "2",
        "--no-charts",
        "--quiet",
        "--out",
        dir.to_str().unwrap(),
    ]);
    assert_quiet_success(&out);
    // The result was written before the table was printed.
    assert!(Path::new(&dir).join("summary.csv").is_file());
}
