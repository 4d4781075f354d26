//! Long runs spill their weekly series to disk (`experiment::Spill`) and aggregate them block
//! of weeks by block: the files must be the bytes the in-memory path writes, whatever the
//! thread count, for a run, a sweep that reuses a point's policies, and shards merged back.
//! `FLOWSIM_SPILL_ABOVE_BYTES` forces the spill (0) or keeps everything in memory.

mod common;

use std::path::Path;

use common::{files, flowsim, folder_with};

/// Forces the spill.
const SPILL: &str = "0";
/// Keeps every weekly aggregate in memory.
const MEMORY: &str = "1000000000000";

fn run(dir: &Path, spill: &str, args: &[&str]) {
    let quiet: &[&str] = if args[0] == "merge" { &[] } else { &["-q"] };
    flowsim(dir)
        .env("FLOWSIM_SPILL_ABOVE_BYTES", spill)
        .args(args)
        .args(quiet)
        .arg("--no-charts")
        .assert()
        .success();
}

/// Every file of two folders byte for byte, manifests (timings) and the index's wall times
/// aside; neither holds a spill file.
fn assert_same(a: &Path, b: &Path) {
    let (fa, fb) = (files(a), files(b));
    assert_eq!(fa, fb, "the folders hold different files");
    let mut compared = 0;
    for f in &fa {
        let name = f.file_name().unwrap().to_string_lossy();
        assert!(!name.contains("spill"), "{} left behind", f.display());
        if name == "manifest.json" {
            continue;
        }
        let (x, y) = (
            std::fs::read(a.join(f)).unwrap(),
            std::fs::read(b.join(f)).unwrap(),
        );
        assert!(x == y, "{} differs", f.display());
        compared += 1;
    }
    assert!(compared >= 5, "only {compared} files compared");
}

#[test]
fn a_spilled_run_writes_the_bytes_of_an_in_memory_run_on_one_or_two_threads() {
    let d = folder_with(&[("tiny.toml", &common::tiny_scenario(60, 12))]);
    let p = d.path();
    run(
        p,
        MEMORY,
        &["run", "tiny.toml", "--threads", "1", "--out", "memory"],
    );
    for threads in ["1", "2"] {
        let out = format!("spilled{threads}");
        run(
            p,
            SPILL,
            &["run", "tiny.toml", "--threads", threads, "--out", &out],
        );
        assert_same(&p.join("memory"), &p.join(&out));
    }
    let weekly = common::read(p.join("memory/weekly.csv"));
    // Two policies, 60 weeks, every series: the comparison covers every week.
    assert!(
        weekly.lines().count() > 2 * 60 * 10,
        "{}",
        weekly.lines().count()
    );
}

#[test]
fn a_spilled_sweep_reusing_a_point_writes_the_bytes_of_an_in_memory_one() {
    let d = folder_with(&[("tiny.toml", &common::tiny_scenario(30, 6))]);
    let p = d.path();
    // The flow policy's own limit: pull is simulated once and reused by the second point.
    let sweep = |spill, out| {
        run(
            p,
            spill,
            &[
                "sweep",
                "tiny.toml",
                "--vary",
                "policies.flow.system_wip_limit=3,5",
                "--threads",
                "2",
                "--out",
                out,
            ],
        );
    };
    sweep(MEMORY, "memory");
    sweep(SPILL, "spilled");
    let index = common::read(p.join("spilled/manifest.json"));
    assert!(
        index.contains("reused_point"),
        "no point was reused: {index}"
    );
    assert_same(&p.join("memory"), &p.join("spilled"));
}

#[test]
fn spilled_shards_merge_into_the_bytes_of_an_in_memory_run() {
    let d = folder_with(&[("tiny.toml", &common::tiny_scenario(40, 9))]);
    let p = d.path();
    run(p, MEMORY, &["run", "tiny.toml", "--out", "single"]);
    for k in 1..=2 {
        let shard = format!("{k}/2");
        run(
            p,
            SPILL,
            &["run", "tiny.toml", "--out", "shards", "--shard", &shard],
        );
    }
    run(
        p,
        SPILL,
        &[
            "merge",
            "shards/shard-1-of-2",
            "shards/shard-2-of-2",
            "--out",
            "merged",
        ],
    );
    assert_same(&p.join("single"), &p.join("merged"));
}

/// The engine hands a week's row to a workspace's sink as the week closes: the same rows, in
/// order, each once, as the result's whole series without a sink (which the sink's run leaves
/// empty), and the sink is told when the replication ends.
#[test]
fn the_engine_hands_each_weeks_row_to_the_sink_as_it_closes() {
    use flowsim::engine::{WeeklySink, Workspace, simulate};
    use flowsim::rng::Streams;
    use std::sync::{Arc, Mutex};

    #[derive(Default)]
    struct Seen {
        rows: Vec<(usize, Vec<f64>)>,
        ended: bool,
    }
    struct Collect(Arc<Mutex<Seen>>);
    impl WeeklySink for Collect {
        fn week(&mut self, week: usize, row: &[f64]) {
            self.0.lock().unwrap().rows.push((week, row.to_vec()));
        }
        fn end(&mut self) {
            self.0.lock().unwrap().ended = true;
        }
    }

    let sc = flowsim::scenario::load_str(
        flowsim::scenario::REFERENCE,
        flowsim::scenario::REFERENCE_NAME,
    )
    .unwrap();
    for p in &sc.policies {
        let mut ws = Workspace::default();
        let whole = simulate(&sc.model, p, Streams::new(4, 2), &mut ws);
        let seen = Arc::new(Mutex::new(Seen::default()));
        ws.weekly_sink = Some(Box::new(Collect(Arc::clone(&seen))));
        let streamed = simulate(&sc.model, p, Streams::new(4, 2), &mut ws);
        assert!(ws.weekly_sink.is_none(), "the replication takes its sink");
        assert!(streamed.weekly.is_empty());
        assert_eq!(streamed.values, whole.values, "{}", p.name);
        let seen = seen.lock().unwrap();
        assert!(seen.ended);
        let weeks = sc.model.weeks();
        assert_eq!(seen.rows.len(), weeks);
        let series = whole.weekly.len() / weeks;
        for (i, (week, row)) in seen.rows.iter().enumerate() {
            assert_eq!(*week, i);
            assert_eq!(
                row[..],
                whole.weekly[i * series..(i + 1) * series],
                "week {i}"
            );
        }
    }
}
