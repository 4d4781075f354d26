//! The engine against queueing theory: every case of `flowsim::validate`, one test each.
//!
//! Each case runs its scenario under `scenarios/validation/` and asserts that every analytic
//! value (computed in `src/validate.rs` from its formula) lies inside the simulated 99%
//! interval, and that the interval's half-width is under 3% of the value. Seeds are fixed.

use flowsim::validate::{CASES, Check, MAX_HALF_WIDTH, table};

fn case(name: &str) {
    let case = CASES
        .iter()
        .find(|c| c.name == name)
        .unwrap_or_else(|| panic!("no validation case {name}"));
    let checks: Vec<Check> = case.checks().unwrap_or_else(|e| panic!("{e}"));
    assert!(!checks.is_empty(), "{name} made no checks");
    let failed: Vec<&Check> = checks.iter().filter(|c| !c.pass).collect();
    assert!(
        failed.is_empty(),
        "{name} ({}): {} of {} checks failed:\n{}",
        case.source,
        failed.len(),
        checks.len(),
        table(&checks)
    );
    for c in &checks {
        // `pass` already includes both conditions; restate them so the test reads as the issue.
        assert!(c.ci99_low <= c.analytic && c.analytic <= c.ci99_high);
        assert!(c.half_width_pct < 100.0 * MAX_HALF_WIDTH);
    }
}

#[test]
fn every_case_has_a_test() {
    let here = include_str!("validation.rs");
    for c in CASES {
        let f = c.name.replace('-', "_");
        assert!(
            here.contains(&format!("fn {f}()")),
            "no test for {}",
            c.name
        );
    }
}

#[test]
fn mm1_rho50() {
    case("mm1-rho50");
}

#[test]
fn mm1_rho90() {
    case("mm1-rho90");
}

#[test]
fn mmc_c2() {
    case("mmc-c2");
}

#[test]
fn mmc_c4() {
    case("mmc-c4");
}

#[test]
fn md1() {
    case("md1");
}

#[test]
fn mm1k() {
    case("mm1k");
}

#[test]
fn tandem() {
    case("tandem");
}

#[test]
fn penny_fab() {
    case("penny-fab");
}

#[test]
fn closed_unbalanced() {
    case("closed-unbalanced");
}

#[test]
fn two_stage_blocking() {
    case("two-stage-blocking");
}

#[test]
fn csv_has_one_row_per_check() {
    let case = CASES.iter().find(|c| c.name == "mm1k").unwrap();
    let checks = case.checks().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("validation.csv");
    flowsim::validate::write_csv(&checks, &path).unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    let mut lines = text.lines();
    assert_eq!(
        lines.next().unwrap(),
        "case,metric,analytic,simulated_mean,ci99_low,ci99_high,half_width_pct,replications,pass"
    );
    assert_eq!(lines.count(), checks.len());
    assert!(table(&checks).contains("mm1k"));
}
