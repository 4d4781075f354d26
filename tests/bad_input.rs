//! Every broken scenario in `tests/bad_scenarios/` must be refused with the messages its
//! `# expect:` lines name, both by the library loader and by `flowsim check` (exit code 2), and
//! nothing may panic.

use std::path::{Path, PathBuf};
use std::process::Command;

use flowsim::scenario;

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_flowsim"))
}

fn bad_files() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/bad_scenarios");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("tests/bad_scenarios exists")
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    files.sort();
    files
}

/// The fragments a file must produce: its `# expect:` lines.
fn expectations(path: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(path).unwrap();
    let expects: Vec<String> = text
        .lines()
        .filter_map(|l| l.strip_prefix("# expect: "))
        .map(str::to_string)
        .collect();
    assert!(
        !expects.is_empty(),
        "{} has no # expect: line",
        path.display()
    );
    expects
}

#[test]
fn there_are_at_least_thirty_broken_scenarios() {
    assert!(bad_files().len() >= 30, "{}", bad_files().len());
}

#[test]
fn the_loader_reports_what_each_broken_scenario_expects() {
    let mut failures = Vec::new();
    for path in bad_files() {
        let msg = match scenario::load_file(&path) {
            Ok(_) => {
                failures.push(format!("{} loaded without error", path.display()));
                continue;
            }
            Err(e) => e.to_string(),
        };
        for frag in expectations(&path) {
            if !msg.contains(&frag) {
                failures.push(format!(
                    "{}: message lacks `{frag}`:\n{msg}",
                    path.display()
                ));
            }
        }
        // Every problem names the file, and every line is a sentence.
        for line in msg.lines().skip(1) {
            assert!(
                line.trim_start().starts_with(&path.display().to_string()),
                "{line}"
            );
            assert!(line.ends_with('.'), "not a full sentence: {line}");
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn check_refuses_each_broken_scenario_with_exit_code_2() {
    let mut failures = Vec::new();
    for path in bad_files() {
        let out = bin().arg("check").arg(&path).output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        if out.status.code() != Some(2) {
            failures.push(format!("{}: exit {:?}", path.display(), out.status.code()));
        }
        if stderr.contains("panicked") {
            failures.push(format!("{}: panicked:\n{stderr}", path.display()));
        }
        for frag in expectations(&path) {
            if !stderr.contains(&frag) {
                failures.push(format!("{}: stderr lacks `{frag}`", path.display()));
            }
        }
        assert!(out.stdout.is_empty(), "nothing on stdout for a bad file");
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn check_passes_the_shipped_scenarios() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    files.sort();
    let out = bin().arg("check").args(&files).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for f in &files {
        assert!(stdout.contains(&format!("ok: {}", f.display())), "{stdout}");
    }
}

#[test]
fn check_reports_good_and_bad_files_together() {
    let good = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/small-team.toml");
    let bad = bad_files();
    let out = bin()
        .arg("check")
        .arg(&good)
        .args(&bad[..3])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stdout.contains("ok: "), "{stdout}");
    for b in &bad[..3] {
        assert!(stderr.contains(&b.display().to_string()), "{stderr}");
    }
    assert!(
        stderr.contains("3 of 4 scenario files have problems."),
        "{stderr}"
    );
}

#[test]
fn run_gives_the_same_errors_as_check() {
    let path = bad_files()
        .into_iter()
        .find(|p| p.ends_with("skill-names-no-stage.toml"))
        .unwrap();
    let out = bin().arg("run").arg(&path).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    for frag in expectations(&path) {
        assert!(stderr.contains(&frag), "{stderr}");
    }
}

#[test]
fn unreadable_and_missing_files_are_refused_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let binary = dir.path().join("binary.toml");
    std::fs::write(&binary, [0xff, 0xfe, 0x00, 0x41]).unwrap();
    let missing = dir.path().join("missing.toml");
    let out = bin()
        .arg("check")
        .arg(&binary)
        .arg(&missing)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("cannot read the file"), "{stderr}");
    assert!(stderr.contains("UTF-8"), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}
