//! Shards and merge through the real binary: a run split into N shards, each in its own
//! process, merges into the very bytes of a single run; shards that do not belong together are
//! refused with exit code 2 and a message that names the folders.

mod common;

use std::io::{Read, Write};
use std::path::Path;

use common::{files, flowsim, folder_with, tiny_scenario};
use predicates::prelude::*;
use tempfile::TempDir;

const CHART_SIZE: &str = "400x400";

/// A folder holding `tiny.toml`: the tiny scenario (see [`common::tiny_scenario`]) over six
/// weeks, 23 replications (not a multiple of 3 or 7).
fn setup() -> TempDir {
    folder_with(&[("tiny.toml", &tiny_scenario(6, 23))])
}

fn run(dir: &Path, args: &[&str]) {
    flowsim(dir).args(args).assert().success();
}

/// Compares every file of two output folders byte for byte, except the manifests (whose
/// timing differs) and PNGs (drawn from the same data as the SVGs compared here).
fn assert_same_output(single: &Path, merged: &Path) {
    let a = files(single);
    assert_eq!(a, files(merged), "the folders hold different files");
    let mut compared = 0;
    for f in &a {
        let name = f.file_name().unwrap().to_string_lossy();
        if name == "manifest.json" || name.ends_with(".png") {
            continue;
        }
        let x = std::fs::read(single.join(f)).unwrap();
        let y = std::fs::read(merged.join(f)).unwrap();
        assert!(x == y, "{} differs after merging", f.display());
        compared += 1;
    }
    assert!(compared >= 6, "only {compared} files compared");
    for f in a.iter().filter(|f| f.ends_with("manifest.json")) {
        let m: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(merged.join(f)).unwrap()).unwrap();
        let s: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(single.join(f)).unwrap()).unwrap();
        if s["kind"] == "sweep" {
            // A sweep's top-level index: no timing, so the same.
            assert_eq!(m, s, "{}", f.display());
            continue;
        }
        for key in [
            "scenario_sha256",
            "source_sha256",
            "seed",
            "replications_done",
            "policies",
        ] {
            assert_eq!(m[key], s[key], "{key} in {}", f.display());
        }
        assert!(m["merged_shards"].as_u64().is_some());
        assert!(s.get("merged_shards").is_none());
    }
}

#[test]
fn merged_shards_equal_a_single_run_byte_for_byte() {
    let d = setup();
    let p = d.path();
    run(
        p,
        &[
            "run",
            "tiny.toml",
            "-q",
            "--out",
            "single",
            "--chart-size",
            CHART_SIZE,
        ],
    );
    for n in [1, 3, 7] {
        let shards = format!("shards{n}");
        for k in 1..=n {
            run(
                p,
                &[
                    "run",
                    "tiny.toml",
                    "-q",
                    "--out",
                    &shards,
                    "--shard",
                    &format!("{k}/{n}"),
                ],
            );
        }
        let out = format!("merged{n}");
        // Shards given in reverse order: the merge sorts them.
        let mut args = vec!["merge".to_string()];
        let mut dirs: Vec<String> = (1..=n)
            .map(|k| {
                let w = n.to_string().len();
                format!("{shards}/shard-{k:0w$}-of-{n}")
            })
            .collect();
        dirs.reverse();
        args.extend(dirs);
        args.extend(["--out", &out, "--chart-size", CHART_SIZE].map(String::from));
        flowsim(p)
            .args(&args)
            .assert()
            .success()
            .stdout(predicate::str::contains(format!("Merged {n} shard")));
        assert_same_output(&p.join("single"), &p.join(&out));
    }
}

#[test]
fn a_sweep_merges_into_the_same_bytes() {
    let d = setup();
    let p = d.path();
    let common = [
        "sweep",
        "tiny.toml",
        "--vary",
        "team.dev.count=1,2,3",
        "--reps",
        "5",
        "-q",
    ];
    let mut a: Vec<&str> = common.to_vec();
    a.extend(["--out", "single", "--chart-size", CHART_SIZE]);
    a.extend(["--reference", "team.dev.count=2"]);
    run(p, &a);
    for k in 1..=4 {
        let shard = format!("{k}/4");
        let mut a: Vec<&str> = common.to_vec();
        a.extend(["--out", "shards", "--shard", &shard]);
        run(p, &a);
    }
    run(
        p,
        &[
            "merge",
            "shards",
            "--out",
            "merged",
            "--reference",
            "2",
            "--chart-size",
            CHART_SIZE,
        ],
    );
    assert_same_output(&p.join("single"), &p.join("merged"));
}

#[test]
fn shard_auto_reads_a_slurm_array_and_a_kubernetes_index() {
    let d = setup();
    let p = d.path();
    run(
        p,
        &["run", "tiny.toml", "-q", "--out", "single", "--no-charts"],
    );
    // A Slurm array numbered from 1 (--array=1-2) and a Kubernetes Indexed Job (0-based).
    flowsim(p)
        .args(["run", "tiny.toml", "-q", "--out", "auto", "--shard", "auto"])
        .env("SLURM_ARRAY_TASK_ID", "1")
        .env("SLURM_ARRAY_TASK_MIN", "1")
        .env("SLURM_ARRAY_TASK_COUNT", "3")
        .assert()
        .success()
        .stdout(predicate::str::contains("shard 1/3"));
    flowsim(p)
        .args(["run", "tiny.toml", "-q", "--out", "auto", "--shard", "auto"])
        .env("SLURM_ARRAY_TASK_ID", "2")
        .env("SLURM_ARRAY_TASK_MIN", "1")
        .env("SLURM_ARRAY_TASK_COUNT", "3")
        .assert()
        .success();
    flowsim(p)
        .args(["run", "tiny.toml", "-q", "--out", "auto", "--shard", "auto"])
        .env("JOB_COMPLETION_INDEX", "2")
        .env("FLOWSIM_SHARDS", "3")
        .assert()
        .success()
        .stdout(predicate::str::contains("shard 3/3"));
    run(p, &["merge", "auto", "--out", "merged", "--no-charts"]);
    for f in [
        "summary.csv",
        "differences.csv",
        "replications.csv",
        "weekly.csv",
    ] {
        assert_eq!(
            std::fs::read(p.join("single").join(f)).unwrap(),
            std::fs::read(p.join("merged").join(f)).unwrap(),
            "{f}"
        );
    }
    flowsim(p)
        .args(["run", "tiny.toml", "-q", "--shard", "auto"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("SLURM_ARRAY_TASK_ID"))
        .stderr(predicate::str::contains("--shard K/N"));
}

#[test]
fn bad_shard_values_are_refused() {
    let d = setup();
    for bad in ["0/3", "4/3", "1/0", "two/3", "1-3"] {
        flowsim(d.path())
            .args(["run", "tiny.toml", "-q", "--shard", bad])
            .assert()
            .code(2)
            .stderr(
                predicate::str::contains("1 <= K <= N").or(predicate::str::contains(
                    "the index must be from 1 to the count",
                )),
            );
    }
}

/// Writes shards `ks` of `n` of `tiny.toml` with extra arguments into `out`.
fn shards(p: &Path, out: &str, n: u64, ks: &[u64], extra: &[&str]) {
    for k in ks {
        let s = format!("{k}/{n}");
        let mut a = vec!["run", "tiny.toml", "-q", "--out", out, "--shard", &s];
        a.extend(extra);
        run(p, &a);
    }
}

fn refuse(p: &Path, dirs: &[&str], says: &[&str]) {
    let mut a = vec!["merge"];
    a.extend(dirs);
    a.extend(["--out", "merged", "--no-charts"]);
    let mut assert = flowsim(p).args(&a).assert().code(2);
    for s in says {
        assert = assert.stderr(predicate::str::contains(*s));
    }
    assert!(!p.join("merged/summary.csv").exists());
}

#[test]
fn merge_refuses_shards_that_do_not_belong_together() {
    let d = setup();
    let p = d.path();
    shards(p, "a", 3, &[1, 2, 3], &[]);
    shards(p, "b", 3, &[2], &["--seed", "8"]);
    shards(p, "c", 3, &[3], &["--set", "team.dev.count=3"]);
    shards(p, "e", 4, &[4], &[]);
    // Mixed seeds.
    refuse(
        p,
        &["a/shard-1-of-3", "b/shard-2-of-3", "a/shard-3-of-3"],
        &["do not belong together", "seed 7", "8", "b/shard-2-of-3"],
    );
    // A different scenario text (--set).
    refuse(
        p,
        &["a/shard-1-of-3", "a/shard-2-of-3", "c/shard-3-of-3"],
        &["do not belong together", "scenario_sha256"],
    );
    // A different shard count.
    refuse(
        p,
        &["a/shard-1-of-3", "a/shard-2-of-3", "e/shard-4-of-4"],
        &["shard count"],
    );
    // A missing shard.
    refuse(
        p,
        &["a/shard-1-of-3", "a/shard-3-of-3"],
        &["shard 2/3 is missing", "--shard K/3"],
    );
    // A repeated shard.
    refuse(
        p,
        &[
            "a/shard-1-of-3",
            "a/shard-2-of-3",
            "a/shard-2-of-3",
            "a/shard-3-of-3",
        ],
        &["shard 2/3 is given more than once"],
    );
    // Not a shard folder at all.
    std::fs::create_dir(p.join("empty")).unwrap();
    refuse(p, &["empty"], &["empty", "no shard.json"]);
}

#[test]
fn damaged_shard_folders_are_refused_without_panicking() {
    let d = setup();
    let p = d.path();
    let damage: [(&str, Vec<u8>, &str); 6] = [
        (
            "shard.json",
            b"{ not json".to_vec(),
            "not a flowsim shard file",
        ),
        (
            "replications.csv.gz",
            gzip("scenario,policy\nx,y\n"),
            "replications.csv.gz:1",
        ),
        (
            "weekly_partial.txt.gz",
            gzip("flowsim weekly partial 2\n"),
            "weekly_partial.txt.gz:2",
        ),
        (
            "weekly_partial.txt.gz",
            b"flowsim weekly partial 2\n".to_vec(),
            "cannot read",
        ),
        (
            "scenario.toml",
            b"name = \"edited\"\n".to_vec(),
            "was edited",
        ),
        ("part.json", b"{}".to_vec(), "not a flowsim shard file"),
    ];
    for (i, (file, bytes, says)) in damage.iter().enumerate() {
        let out = format!("d{i}");
        shards(p, &out, 2, &[1, 2], &[]);
        std::fs::write(p.join(&out).join("shard-2-of-2").join(file), bytes).unwrap();
        refuse(p, &[&out], &[says, "shard-2-of-2"]);
    }
    // Truncated rows: the part says more replications than the file holds.
    shards(p, "t", 2, &[1, 2], &[]);
    let rows = p.join("t/shard-1-of-2/replications.csv.gz");
    let mut text = String::new();
    flate2::read::GzDecoder::new(std::fs::File::open(&rows).unwrap())
        .read_to_string(&mut text)
        .unwrap();
    let kept: Vec<&str> = text.lines().take(5).collect();
    std::fs::write(&rows, gzip(&(kept.join("\n") + "\n"))).unwrap();
    refuse(p, &["t"], &["shard-1-of-2", "run that shard again"]);
}

/// `text`, gzip-compressed, as a shard part's files are.
fn gzip(text: &str) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(text.as_bytes()).unwrap();
    e.finish().unwrap()
}

/// A run of more replications than a sketch keeps exactly (1,024): the shards hand their weekly
/// sketches over already bucketed (far smaller files), and the merge is still the single run's
/// bytes.
#[test]
fn shards_of_a_large_run_hand_over_bucketed_sketches_and_merge_exactly() {
    let d = folder_with(&[("tiny.toml", &tiny_scenario(3, 1100))]);
    let p = d.path();
    let same = [
        "summary.csv",
        "differences.csv",
        "replications.csv",
        "weekly.csv",
    ];
    run(
        p,
        &["run", "tiny.toml", "-q", "--out", "single", "--no-charts"],
    );
    for k in 1..=3 {
        run(
            p,
            &[
                "run",
                "tiny.toml",
                "-q",
                "--out",
                "s",
                "--shard",
                &format!("{k}/3"),
            ],
        );
    }
    let mut partial = String::new();
    flate2::read::GzDecoder::new(
        std::fs::File::open(p.join("s/shard-1-of-3/weekly_partial.txt.gz")).unwrap(),
    )
    .read_to_string(&mut partial)
    .unwrap();
    assert!(
        partial.contains(" zeros=") && !partial.contains(" exact="),
        "{partial:.300}"
    );
    run(p, &["merge", "s", "--out", "merged", "--no-charts"]);
    for f in same {
        assert!(
            std::fs::read(p.join("single").join(f)).unwrap()
                == std::fs::read(p.join("merged").join(f)).unwrap(),
            "{f} differs after merging"
        );
    }
}
