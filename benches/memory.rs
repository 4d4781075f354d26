//! Peak memory against the simulated horizon (issue 18: memory flat in the horizon), and the
//! share of a long run's time spent writing its output.
//!
//! Runs the built binary on the M/M/1 validation scenario (`mm1-rho50`, 10 replications, one
//! thread, no charts) for 1 and 6,614 weeks, each in its own process, and reads each process's
//! peak resident memory from `wait4` (Linux and the BSDs report it in kilobytes). The target
//! is a ratio of at most 1.2. Then, in this process, times the 6,614-week run's simulation and
//! its output (summary, differences, `weekly.csv`, card times, manifest: `ResultWriter::finish`,
//! where the weekly series are aggregated and written) separately.
//!
//! Run with `cargo bench --bench memory`.

use std::path::Path;
use std::process::Command;
use std::sync::atomic::AtomicBool;
use std::time::Instant;

use flowsim::output::folder::{Completion, Provenance, ResultWriter, Source, Weekly};

const SCENARIO: &str = "scenarios/validation/mm1-rho50.toml";
const LONG_WEEKS: u32 = 6614;

/// Peak resident memory (KiB) of the binary running `SCENARIO` for `weeks` weeks.
fn peak_kib(weeks: u32, out: &Path) -> i64 {
    let child = Command::new(env!("CARGO_BIN_EXE_flowsim"))
        .args(["run", SCENARIO, "--set"])
        .arg(format!("run.horizon_weeks={weeks}"))
        .args([
            "--set",
            "run.warmup_weeks=0",
            "--threads",
            "1",
            "--no-charts",
        ])
        .args(["--quiet", "--force", "--out"])
        .arg(out)
        .stdout(std::process::Stdio::null())
        .spawn()
        .expect("the flowsim binary starts");
    let pid = child.id() as libc::pid_t;
    let mut status = 0;
    // SAFETY: `usage` is a plain C struct, zeroed and written by the kernel; `pid` is our own
    // child, reaped here exactly once (std's `Child` is dropped without waiting).
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let got = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    assert_eq!(got, pid, "wait4 failed");
    assert!(
        libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0,
        "flowsim failed ({status})"
    );
    drop(child);
    usage.ru_maxrss
}

/// Seconds simulating and seconds writing the output of `weeks` weeks, in this process.
fn timed(weeks: u32, out: &Path) -> (f64, f64) {
    let text = std::fs::read_to_string(SCENARIO).expect("the scenario reads");
    let set = vec![
        format!("run.horizon_weeks={weeks}"),
        "run.warmup_weeks=0".to_string(),
    ];
    let simulated = flowsim::overrides::apply_all(&text, &set).expect("overrides apply");
    let sc = flowsim::scenario::load_str(&simulated, SCENARIO).expect("the scenario loads");
    let source = Source {
        text,
        origin: SCENARIO.to_string(),
    };
    let _ = std::fs::remove_dir_all(out);
    let provenance = Provenance::of(&source, &simulated, &set);
    let start = Instant::now();
    let mut w = ResultWriter::create_with(out, &sc, provenance, Weekly::SpillWhenLarge)
        .expect("the folder is written");
    let reps = 0..u64::from(sc.settings.replications);
    let stop = AtomicBool::new(false);
    let bar = indicatif::ProgressBar::hidden();
    let done = w
        .tally()
        .simulate(&sc, reps, Some(1), &stop, &bar)
        .expect("the run completes");
    let sim_s = start.elapsed().as_secs_f64();
    let start = Instant::now();
    w.finish(Completion::Simulated {
        threads: done.threads,
        stopped: false,
    })
    .expect("the output is written");
    (sim_s, start.elapsed().as_secs_f64())
}

fn main() {
    // `cargo bench` runs benches from the package root; the scenario path is relative to it.
    std::env::set_current_dir(env!("CARGO_MANIFEST_DIR")).expect("the package root");
    let tmp = std::env::temp_dir().join(format!("flowsim-memory-bench-{}", std::process::id()));
    let one = peak_kib(1, &tmp.join("w1"));
    let long = peak_kib(LONG_WEEKS, &tmp.join("wlong"));
    println!("peak RSS, {SCENARIO}, 10 replications, 1 thread, no charts:");
    println!("  1 week:        {one:>8} KiB");
    println!("  {LONG_WEEKS} weeks:   {long:>8} KiB");
    println!(
        "  ratio:         {:>8.2}  (target <= 1.2)",
        long as f64 / one as f64
    );
    let mut shares: Vec<(f64, f64)> = (0..3).map(|_| timed(LONG_WEEKS, &tmp.join("t"))).collect();
    shares.sort_by(|a, b| (a.0 + a.1).total_cmp(&(b.0 + b.1)));
    let (sim, write) = shares[1];
    println!(
        "{LONG_WEEKS} weeks, median of 3: simulation {sim:.3} s, output {write:.3} s ({:.1}% of the run)",
        100.0 * write / (sim + write)
    );
    let _ = std::fs::remove_dir_all(&tmp);
}
