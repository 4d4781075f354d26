//! Safe output and the run-time resource guard, through the real binary: results appear whole
//! in their folder or not at all, an existing result is never overwritten without --force, an
//! unwritable location is a clear error, CSV text cannot run as a spreadsheet formula, and a
//! run beyond the limits is refused before anything is simulated.

use std::path::Path;
use std::process::{Command, Output};

fn flowsim(args: &[&str], out: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_flowsim"))
        .args(args)
        .arg("--out")
        .arg(out)
        .output()
        .unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// Names in a folder, sorted (hidden ones included).
fn names(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

const QUICK: &[&str] = &["run", "-q", "--no-charts", "--reps", "3"];

#[test]
fn an_existing_result_gets_a_numbered_sibling_unless_forced() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("res");
    let first = flowsim(QUICK, &out);
    assert!(first.status.success(), "{}", text(&first.stderr));
    let seed_of = |dir: &Path| std::fs::read_to_string(dir.join("manifest.json")).unwrap();
    let before = seed_of(&out);

    let second = flowsim(&[QUICK, &["--seed", "7"]].concat(), &out);
    assert!(second.status.success(), "{}", text(&second.stderr));
    let (stdout, stderr) = (text(&second.stdout), text(&second.stderr));
    let numbered = tmp.path().join("res-2");
    assert!(stderr.contains("already holds a result"), "{stderr}");
    assert!(stderr.contains(&numbered.display().to_string()), "{stderr}");
    assert!(
        stdout.contains(&format!("Wrote {}", numbered.display())),
        "{stdout}"
    );
    assert_eq!(seed_of(&out), before, "the first result was touched");
    assert!(seed_of(&numbered).contains("\"seed\": 7"));

    let forced = flowsim(&[QUICK, &["--seed", "9", "--force"]].concat(), &out);
    assert!(forced.status.success(), "{}", text(&forced.stderr));
    assert!(seed_of(&out).contains("\"seed\": 9"));
    assert!(seed_of(&out).contains("\"finished\": true"));
    assert_eq!(names(tmp.path()), ["res", "res-2"]);
}

#[test]
fn an_unwritable_location_is_a_clear_error_leaving_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("a-file");
    std::fs::write(&file, "not a folder").unwrap();
    let out = file.join("res");
    let r = flowsim(QUICK, &out);
    let stderr = text(&r.stderr);
    assert_eq!(r.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains(&file.display().to_string()), "{stderr}");
    assert!(stderr.contains("--out"), "{stderr}");
    assert_eq!(names(tmp.path()), ["a-file"]);

    // A read-only folder: only meaningful when permissions apply (not as root).
    use std::os::unix::fs::PermissionsExt;
    let ro = tmp.path().join("ro");
    std::fs::create_dir(&ro).unwrap();
    std::fs::set_permissions(&ro, std::fs::Permissions::from_mode(0o555)).unwrap();
    if std::fs::write(ro.join("probe"), "").is_ok() {
        eprintln!("skipping the read-only folder check: permissions do not stop this user");
    } else {
        let r = flowsim(QUICK, &ro.join("res"));
        let stderr = text(&r.stderr);
        assert_eq!(r.status.code(), Some(1), "{stderr}");
        assert!(stderr.contains(&ro.display().to_string()), "{stderr}");
        assert!(names(&ro).is_empty());
    }
    std::fs::set_permissions(&ro, std::fs::Permissions::from_mode(0o755)).unwrap();
}

#[test]
fn csv_text_cannot_run_as_a_formula_and_numbers_stay_numbers() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("res");
    let r = flowsim(&[QUICK, &["--set", "name=-SUM"]].concat(), &out);
    assert!(r.status.success(), "{}", text(&r.stderr));
    let mut saw_negative = false;
    for f in [
        "replications.csv",
        "summary.csv",
        "differences.csv",
        "weekly.csv",
    ] {
        let mut rd = csv::Reader::from_path(out.join(f)).unwrap();
        for row in rd.records() {
            let row = row.unwrap();
            assert_eq!(&row[0], "'-SUM", "{f}");
            for cell in row.iter().skip(1) {
                if cell.starts_with('-') {
                    assert!(cell.parse::<f64>().is_ok(), "{f}: {cell:?}");
                    saw_negative = true;
                }
            }
        }
    }
    assert!(saw_negative, "no negative number to check");
    // flowsim's own reader gives the name back.
    let c = Command::new(env!("CARGO_BIN_EXE_flowsim"))
        .arg("chart")
        .arg(&out)
        .output()
        .unwrap();
    assert!(c.status.success(), "{}", text(&c.stderr));
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(html.contains("-SUM") && !html.contains("'-SUM"));
}

#[test]
fn a_run_beyond_the_limits_is_refused_before_it_starts() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("res");
    let r = flowsim(&["run", "-q", "--reps", "1000000"], &out);
    let stderr = text(&r.stderr);
    assert_eq!(r.status.code(), Some(2), "{stderr}");
    for part in [
        "simulation events",
        "--max-events",
        "--reps",
        "horizon_weeks",
        "--force",
    ] {
        assert!(stderr.contains(part), "{part}: {stderr}");
    }
    let r = flowsim(&[QUICK, &["--max-memory-mb", "0.01"]].concat(), &out);
    let stderr = text(&r.stderr);
    assert_eq!(r.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("MiB of memory"), "{stderr}");
    assert!(names(tmp.path()).is_empty(), "something was written");

    let sweep = flowsim(
        &[
            "sweep",
            "-q",
            "--vary",
            "run.horizon_weeks=10,20",
            "--max-events",
            "1000",
        ],
        &out,
    );
    assert_eq!(sweep.status.code(), Some(2), "{}", text(&sweep.stderr));
    assert!(text(&sweep.stderr).contains("2 sweep points"));

    let forced = flowsim(&[QUICK, &["--max-events", "1", "--force"]].concat(), &out);
    assert!(forced.status.success(), "{}", text(&forced.stderr));
}

#[test]
fn a_sweep_appears_whole_and_numbers_its_folder() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("sw");
    let args = [
        "sweep",
        "-q",
        "--no-charts",
        "--reps",
        "2",
        "--vary",
        "run.horizon_weeks=8,12",
    ];
    for _ in 0..2 {
        let r = flowsim(&args, &out);
        assert!(r.status.success(), "{}", text(&r.stderr));
    }
    assert_eq!(names(tmp.path()), ["sw", "sw-2"]);
    assert!(out.join("sweep.csv").is_file());
    assert_eq!(names(&out.join("points")), ["1", "2"]);
}
