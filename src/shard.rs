//! Shards and their merge: one experiment split over many processes or machines.
//!
//! Why it exists: researchers outgrow one machine, and flowsim must not grow a home-made
//! cluster. A scheduler they already have (a Slurm job array, a Kubernetes Indexed Job) starts
//! N copies of the same command, each told its index; `--shard K/N` (or `--shard auto`) makes
//! each copy run only its share and write a *shard folder*; `flowsim merge` checks that the
//! folders belong together and writes exactly what one machine would have written.
//!
//! How the result stays byte-identical whatever N is:
//!
//! - Replication `r` uses `Streams::new(seed, r)` whichever process runs it, so a shard's rows
//!   are the very rows of a single run.
//! - The work is a list of units (replications; for a sweep, point × replication, point-major)
//!   split into N contiguous blocks: shard K (1-based) takes units `[(K-1)T/N, KT/N)`.
//! - A shard writes its `replications.csv` rows (numbers in shortest round-trip form, so they
//!   read back as the same `f64`s). The merge feeds them back in replication order into the same
//!   online aggregates a single run uses, so `summary.csv` and `differences.csv` come out the
//!   same bytes (the aggregates are order-dependent, hence the order).
//! - The weekly series are not in `replications.csv`; a shard writes their partial aggregates
//!   (`weekly_partial.txt`: exact sums and quantile sketches with every `f64` as hexadecimal
//!   bits), and the merge combines them with [`WeeklyAgg::merge`], which is exact.
//!
//! Layout of a shard folder (`shard-K-of-N/`): `shard.json` (identity), and one *part* per
//! scenario run: for `run`, the folder itself; for `sweep`, `points/NN/` for each point the shard
//! touches. A part holds `part.json`, `scenario.toml` (the text simulated), `replications.csv`
//! (its rows) and `weekly_partial.txt`.

use std::collections::BTreeMap;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::time::Instant;

use serde::{Deserialize, Serialize};

use crate::cli::{self, ChartArgs, Failure, Source, bad_input};
use crate::experiment::{self, Aggregates, WeeklyAgg};
use crate::output::csv::{CsvFile, SweepWriter, write_differences, write_summary, write_weekly};
use crate::output::json::{sha256_hex, write_manifest};
use crate::output::{self, OutputError};
use crate::scenario::Scenario;
use crate::stats::{ExactSum, QuantileSketch};

/// Version of the shard folder format; `merge` refuses folders of another.
pub const FORMAT: u32 = 1;
/// The identity file at the top of a shard folder.
pub const SHARD_FILE: &str = "shard.json";
/// The file describing one part (one scenario run's share).
pub const PART_FILE: &str = "part.json";
/// The weekly partial aggregates of a part.
pub const WEEKLY_PARTIAL: &str = "weekly_partial.txt";
/// The environment variable giving the shard count where the scheduler does not
/// (a Kubernetes Indexed Job sets only `JOB_COMPLETION_INDEX`).
pub const COUNT_VAR: &str = "FLOWSIM_SHARDS";

/// Which share of the work this process runs: shard `index` of `count`, 1-based.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    /// 1-based index, `1..=count`.
    pub index: u64,
    /// Number of shards, at least 1.
    pub count: u64,
}

impl Shard {
    /// The units `[(K-1)T/N, KT/N)` of `total`: contiguous, in order, sizes differing by at
    /// most one. Shards beyond the total get an empty range.
    pub fn block(&self, total: u64) -> Range<u64> {
        let at = |k: u64| (total as u128 * k as u128 / self.count as u128) as u64;
        at(self.index - 1)..at(self.index)
    }

    /// The folder name of this shard inside the output folder, zero-padded so that a glob
    /// lists shards in order: `shard-03-of-16`.
    pub fn folder(&self) -> String {
        let w = self.count.to_string().len();
        format!("shard-{:0w$}-of-{}", self.index, self.count)
    }
}

impl std::fmt::Display for Shard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

/// Resolves `--shard` (`K/N`, 1-based, or `auto`) and `--shards N` into a shard. `env` reads an
/// environment variable (a parameter, so tests need not touch the process environment).
///
/// With `auto`: a Slurm job array gives `SLURM_ARRAY_TASK_ID`, `SLURM_ARRAY_TASK_COUNT`,
/// `SLURM_ARRAY_TASK_MIN` and `SLURM_ARRAY_TASK_STEP` (so `--array=0-15`, `--array=1-16` and
/// `--array=0-30:2` all work); a Kubernetes Indexed Job gives `JOB_COMPLETION_INDEX` (0-based)
/// and the count comes from `--shards N` or `FLOWSIM_SHARDS`.
///
/// # Errors
/// A malformed or out-of-range value, or `auto` without a scheduler's variables, in words.
pub fn resolve(
    spec: &str,
    shards: Option<u64>,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Shard, String> {
    let num = |name: &str, v: &str| {
        v.trim().parse::<u64>().map_err(|_| {
            format!("--shard auto: {name}=`{v}` is not a whole number; is this a job array?")
        })
    };
    let shard = if spec.trim() == "auto" {
        if let Some(id) = env("SLURM_ARRAY_TASK_ID") {
            let id = num("SLURM_ARRAY_TASK_ID", &id)?;
            let min = match env("SLURM_ARRAY_TASK_MIN") {
                Some(v) => num("SLURM_ARRAY_TASK_MIN", &v)?,
                None => 0,
            };
            let step = match env("SLURM_ARRAY_TASK_STEP") {
                Some(v) => num("SLURM_ARRAY_TASK_STEP", &v)?.max(1),
                None => 1,
            };
            let from_env = match env("SLURM_ARRAY_TASK_COUNT") {
                Some(v) => Some(num("SLURM_ARRAY_TASK_COUNT", &v)?),
                None => None,
            };
            let count = match (from_env, shards) {
                (Some(a), Some(b)) if a != b => {
                    return Err(format!(
                        "--shards {b} disagrees with SLURM_ARRAY_TASK_COUNT={a}; leave --shards out under Slurm"
                    ));
                }
                (Some(a), _) | (None, Some(a)) => a,
                (None, None) => {
                    return Err("--shard auto: SLURM_ARRAY_TASK_ID is set but SLURM_ARRAY_TASK_COUNT is not; give --shards N".into());
                }
            };
            if id < min || (id - min) % step != 0 {
                return Err(format!(
                    "--shard auto: SLURM_ARRAY_TASK_ID={id} is not on the array's grid (minimum {min}, step {step}); submit a regular array such as --array=0-{}",
                    count.saturating_sub(1)
                ));
            }
            Shard {
                index: (id - min) / step + 1,
                count,
            }
        } else if let Some(idx) = env("JOB_COMPLETION_INDEX") {
            let idx = num("JOB_COMPLETION_INDEX", &idx)?;
            let count = match (shards, env(COUNT_VAR)) {
                (Some(n), _) => n,
                (None, Some(v)) => num(COUNT_VAR, &v)?,
                (None, None) => {
                    return Err(format!(
                        "--shard auto: JOB_COMPLETION_INDEX is set but the shard count is unknown; give --shards N or set {COUNT_VAR} (the Job's `completions`)"
                    ));
                }
            };
            Shard {
                index: idx + 1,
                count,
            }
        } else {
            return Err("--shard auto: neither SLURM_ARRAY_TASK_ID (a Slurm job array) nor JOB_COMPLETION_INDEX (a Kubernetes Indexed Job) is set; outside a scheduler give --shard K/N, e.g. --shard 1/4".into());
        }
    } else {
        let bad = || {
            format!(
                "--shard `{spec}`: give K/N with 1 <= K <= N (shards are numbered from 1), e.g. --shard 1/4, or --shard auto inside a job array"
            )
        };
        let (k, n) = spec.split_once('/').ok_or_else(bad)?;
        let index: u64 = k.trim().parse().map_err(|_| bad())?;
        let count: u64 = n.trim().parse().map_err(|_| bad())?;
        if let Some(s) = shards
            && s != count
        {
            return Err(format!(
                "--shards {s} disagrees with --shard {spec}; give one of them"
            ));
        }
        Shard { index, count }
    };
    if shard.count == 0 || shard.index == 0 || shard.index > shard.count {
        return Err(format!(
            "shard {} of {}: the index must be from 1 to the count, and the count at least 1",
            shard.index, shard.count
        ));
    }
    Ok(shard)
}

/// The identity of a shard folder (`shard.json`): what must agree between shards of one run.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ShardManifest {
    /// Shard folder format ([`FORMAT`]).
    pub format: u32,
    /// `run` or `sweep`.
    pub kind: String,
    /// flowsim's version.
    pub flowsim_version: String,
    /// Scenario name.
    pub scenario: String,
    /// Where the scenario came from (a path or the built-in reference).
    pub origin: String,
    /// SHA-256 (hex) of the scenario text as read.
    pub source_sha256: String,
    /// SHA-256 (hex) of the scenario text after `--set` (for a sweep, before `--vary`).
    pub scenario_sha256: String,
    /// `--set` overrides, in order.
    pub overrides: Vec<String>,
    /// Master seed.
    pub seed: u64,
    /// Policies, in order.
    pub policies: Vec<String>,
    /// This shard, 1-based.
    pub shard: u64,
    /// Number of shards.
    pub shards: u64,
    /// Replications per policy: one entry for a run, one per point for a sweep.
    pub replications: Vec<u64>,
    /// The work units this shard ran, `[first, end)` (replications, or for a sweep
    /// point-major point × replication).
    pub units: [u64; 2],
    /// Sweep only: the varied parameters.
    pub params: Vec<String>,
    /// Sweep only: each point's values, in order.
    pub points: Vec<Vec<String>>,
    /// Worker threads used.
    pub threads: usize,
    /// Wall-clock time of this shard's simulation (seconds).
    pub wall_time_s: f64,
    /// Whether every unit ran and every file was written.
    pub finished: bool,
}

impl ShardManifest {
    /// The fields that must be equal between shards of one run, with their values in words.
    fn identity(&self) -> Vec<(&'static str, String)> {
        vec![
            ("format", self.format.to_string()),
            ("kind", self.kind.clone()),
            ("flowsim_version", self.flowsim_version.clone()),
            ("scenario_sha256", self.scenario_sha256.clone()),
            ("source_sha256", self.source_sha256.clone()),
            ("overrides (--set)", format!("{:?}", self.overrides)),
            ("seed", self.seed.to_string()),
            ("policies", self.policies.join(",")),
            ("shard count", self.shards.to_string()),
            ("replications", format!("{:?}", self.replications)),
            ("sweep parameters", format!("{:?}", self.params)),
            ("sweep points", format!("{:?}", self.points)),
        ]
    }
}

/// One part of a shard (`part.json`): one scenario run's share of replications.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct PartInfo {
    /// SHA-256 (hex) of `scenario.toml` beside it (the text simulated).
    pub scenario_sha256: String,
    /// Every override applied to the text (`--set`, then a sweep point's `--vary` values).
    pub overrides: Vec<String>,
    /// Replications per policy of the whole run (not of this part).
    pub replications: u64,
    /// The replications this part ran, `[first, end)`.
    pub reps: [u64; 2],
    /// Worker threads used.
    pub threads: usize,
    /// Wall-clock time of the simulation (seconds).
    pub wall_time_s: f64,
    /// Whether every replication ran and every file was written.
    pub finished: bool,
}

fn write_json<T: Serialize>(path: &Path, v: &T) -> Result<(), OutputError> {
    let mut text = serde_json::to_string_pretty(v).map_err(|e| OutputError::io(path, e))?;
    text.push('\n');
    std::fs::write(path, text).map_err(|e| OutputError::io(path, e))
}

/// Runs replications `reps` of a loaded scenario and writes a part folder.
///
/// # Errors
/// A file cannot be written, or the thread pool cannot be built.
pub fn run_part(
    sc: &Scenario,
    text: &str,
    set: &[String],
    dir: &Path,
    reps: Range<u64>,
    threads: Option<usize>,
    pb: &indicatif::ProgressBar,
) -> Result<PartInfo, Failure> {
    output::create_dir(dir)?;
    let mut info = PartInfo {
        scenario_sha256: sha256_hex(text),
        overrides: set.to_vec(),
        replications: sc.settings.replications as u64,
        reps: [reps.start, reps.end],
        threads: 0,
        wall_time_s: 0.0,
        finished: false,
    };
    let info_path = dir.join(PART_FILE);
    write_json(&info_path, &info)?;
    let scenario_path = dir.join(crate::charts::data::SCENARIO_FILE);
    std::fs::write(&scenario_path, text).map_err(|e| OutputError::io(&scenario_path, e))?;
    let mut agg = Aggregates::new(sc);
    let mut rows = crate::output::csv::ReplicationsWriter::create(
        &dir.join("replications.csv"),
        &sc.model.name,
        &agg,
    )?;
    let start = Instant::now();
    let on_done = || pb.inc(1);
    let (result, used) = experiment::with_threads(threads, || {
        let r = experiment::run_replications(sc, reps.clone(), &on_done, |rep, results| {
            rows.write(rep, &results)?;
            agg.add(&results);
            Ok::<(), OutputError>(())
        });
        (r, rayon::current_num_threads())
    })
    .map_err(|e| Failure {
        message: format!("cannot start {threads:?} worker threads: {e}; try a smaller --threads"),
        code: 1,
    })?;
    result?;
    rows.finish()?;
    write_weekly_partial(&dir.join(WEEKLY_PARTIAL), &agg)?;
    info.threads = used;
    info.wall_time_s = start.elapsed().as_secs_f64();
    info.finished = true;
    write_json(&info_path, &info)?;
    Ok(info)
}

const WEEKLY_HEADER: &str = "flowsim weekly partial 1";

/// Writes the weekly partial aggregates: a header line, `policies P cells C`, then one line
/// per non-empty cell: `K I sum=HEX,.. n=N exact=HEX,..` (or the bucketed sketch fields).
fn write_weekly_partial(path: &Path, agg: &Aggregates) -> Result<(), OutputError> {
    let cells = agg.weekly.first().map_or(0, Vec::len);
    let mut s = format!(
        "{WEEKLY_HEADER}\npolicies {} cells {cells}\n",
        agg.weekly.len()
    );
    for (k, row) in agg.weekly.iter().enumerate() {
        for (i, a) in row.iter().enumerate() {
            if a.sketch.n() > 0 {
                s.push_str(&format!(
                    "{k} {i} sum={} {}\n",
                    a.sum.encode(),
                    a.sketch.encode()
                ));
            }
        }
    }
    std::fs::write(path, s).map_err(|e| OutputError::io(path, e))
}

/// Reads a weekly partial into `[policy][cell]` aggregates of the expected shape.
fn read_weekly_partial(
    path: &Path,
    policies: usize,
    cells: usize,
) -> Result<Vec<Vec<WeeklyAgg>>, Failure> {
    let text = std::fs::read_to_string(path).map_err(|e| unreadable(path, e))?;
    let bad = |line: usize, why: String| {
        bad_input(format!(
            "{}:{line}: {why}; the shard folder is damaged, run that shard again",
            path.display()
        ))
    };
    let mut lines = text.lines();
    if lines.next() != Some(WEEKLY_HEADER) {
        return Err(bad(1, format!("the first line is not `{WEEKLY_HEADER}`")));
    }
    let shape = format!("policies {policies} cells {cells}");
    if lines.next() != Some(shape.as_str()) {
        return Err(bad(2, format!("expected `{shape}` for this scenario")));
    }
    let mut out = vec![vec![WeeklyAgg::default(); cells]; policies];
    for (n, line) in lines.enumerate() {
        let ln = n + 3;
        let mut parts = line.splitn(4, ' ');
        let k = parts.next().and_then(|x| x.parse::<usize>().ok());
        let i = parts.next().and_then(|x| x.parse::<usize>().ok());
        let (Some(k), Some(i)) = (k, i) else {
            return Err(bad(ln, "a line does not start with POLICY CELL".into()));
        };
        if k >= policies || i >= cells {
            return Err(bad(ln, format!("cell {k} {i} is out of range")));
        }
        let sum = parts
            .next()
            .and_then(|x| x.strip_prefix("sum="))
            .ok_or_else(|| bad(ln, "sum= is missing".into()))?;
        let sum = ExactSum::decode(sum).map_err(|e| bad(ln, e))?;
        let sketch = QuantileSketch::decode(parts.next().unwrap_or("")).map_err(|e| bad(ln, e))?;
        out[k][i] = WeeklyAgg { sum, sketch };
    }
    Ok(out)
}

fn unreadable(path: &Path, e: impl std::fmt::Display) -> Failure {
    bad_input(format!(
        "{}: cannot read: {e}; give folders written by `flowsim run --shard K/N` or `flowsim sweep --shard K/N`",
        path.display()
    ))
}

fn read_json<T: for<'de> Deserialize<'de>>(path: &Path) -> Result<T, Failure> {
    let text = std::fs::read_to_string(path).map_err(|e| unreadable(path, e))?;
    serde_json::from_str(&text).map_err(|e| {
        bad_input(format!(
            "{}: not a flowsim shard file ({e}); give folders written by `flowsim run --shard K/N`",
            path.display()
        ))
    })
}

/// What a merge of one run's parts produced.
pub struct Merged {
    /// The scenario, as loaded from the parts.
    pub scenario: Scenario,
    /// The scenario text simulated.
    pub text: String,
    /// The aggregates, as a single run would have them.
    pub finished: cli::Finished,
}

/// Merges the parts of one scenario run (in replication order) into `out`: the same
/// `replications.csv`, `summary.csv`, `differences.csv`, `weekly.csv` and `manifest.json` as a
/// single run (the manifest's `threads` and `wall_time_s` aside, plus `merged_shards`).
///
/// # Errors
/// The parts do not tile the replications, a file is damaged, or output cannot be written.
pub fn merge_parts(
    parts: &[PathBuf],
    id: &ShardManifest,
    shards: u64,
    out: &Path,
) -> Result<Merged, Failure> {
    let infos: Vec<PartInfo> = parts
        .iter()
        .map(|d| read_json(&d.join(PART_FILE)))
        .collect::<Result<_, _>>()?;
    let first = &infos[0];
    let mut next = 0;
    for (d, p) in parts.iter().zip(&infos) {
        if !p.finished {
            return Err(bad_input(format!(
                "{}: this part did not finish (part.json says finished: false); run that shard again",
                d.display()
            )));
        }
        if p.scenario_sha256 != first.scenario_sha256
            || p.overrides != first.overrides
            || p.replications != first.replications
        {
            return Err(bad_input(format!(
                "{} and {}: the parts ran different scenario texts; merge only shards of one run",
                parts[0].display(),
                d.display()
            )));
        }
        if p.reps[0] != next || p.reps[1] < p.reps[0] {
            return Err(bad_input(format!(
                "{}: holds replications {}..{} where {next} was expected next; a shard is missing or repeated",
                d.display(),
                p.reps[0],
                p.reps[1]
            )));
        }
        next = p.reps[1];
    }
    if next != first.replications {
        return Err(bad_input(format!(
            "the shards hold replications 0..{next} of {}; a shard is missing",
            first.replications
        )));
    }
    let mut text = String::new();
    for d in parts.iter().rev() {
        let scenario_path = d.join(crate::charts::data::SCENARIO_FILE);
        text =
            std::fs::read_to_string(&scenario_path).map_err(|e| unreadable(&scenario_path, e))?;
        if sha256_hex(&text) != first.scenario_sha256 {
            return Err(bad_input(format!(
                "{}: the text differs from the one simulated (its SHA-256 is not part.json's); the shard folder was edited, run that shard again",
                scenario_path.display()
            )));
        }
    }
    let src = Source {
        text: text.clone(),
        origin: id.origin.clone(),
    };
    let (mut sc, _) = cli::load_with_overrides(&src, &[])?;
    let reps = u32::try_from(first.replications)
        .map_err(|_| bad_input("the shards' replication count is out of range"))?;
    let args = cli::CommonArgs {
        reps: Some(reps),
        seed: Some(id.seed),
        policies: Some(id.policies.clone()),
        ..cli::CommonArgs::default()
    };
    cli::apply_overrides(&mut sc, &args)?;
    let mut agg = Aggregates::new(&sc);

    output::create_dir(out)?;
    let mut header = vec![
        "scenario".to_string(),
        "policy".to_string(),
        "replication".to_string(),
    ];
    header.extend(agg.metrics.iter().map(|m| m.name.clone()));
    let out_rows = out.join("replications.csv");
    let mut writer = CsvFile::create(&out_rows, &header)?;
    let np = agg.policies.len();
    let nm = agg.metrics.len();
    let mut rep = 0u64;
    let mut results: Vec<crate::metrics::RepResult> = Vec::with_capacity(np);
    for (d, p) in parts.iter().zip(&infos) {
        let path = d.join("replications.csv");
        let mut r = ::csv::Reader::from_path(&path).map_err(|e| unreadable(&path, e))?;
        let damaged = |line: u64, why: &str| {
            bad_input(format!(
                "{}:{line}: {why}; the shard folder is damaged, run that shard again",
                path.display()
            ))
        };
        let head: Vec<String> = r
            .headers()
            .map_err(|e| unreadable(&path, e))?
            .iter()
            .map(String::from)
            .collect();
        if head != header {
            return Err(damaged(1, "the columns are not this scenario's metrics"));
        }
        let mut record = ::csv::StringRecord::new();
        loop {
            match r.read_record(&mut record) {
                Ok(true) => {}
                Ok(false) => break,
                Err(e) => return Err(unreadable(&path, e)),
            }
            let line = record.position().map_or(0, |p| p.line());
            let k = results.len();
            if record.len() != 3 + nm
                || record.get(1) != Some(agg.policies[k].as_str())
                || record.get(2) != Some(rep.to_string().as_str())
            {
                return Err(damaged(
                    line,
                    &format!(
                        "expected replication {rep} of policy {} with {} cells",
                        agg.policies[k],
                        3 + nm
                    ),
                ));
            }
            let mut values = Vec::with_capacity(nm);
            for cell in record.iter().skip(3) {
                values.push(if cell.is_empty() {
                    None
                } else {
                    Some(
                        cell.parse::<f64>()
                            .map_err(|_| damaged(line, &format!("`{cell}` is not a number")))?,
                    )
                });
            }
            results.push(crate::metrics::RepResult {
                values,
                weekly: Vec::new(),
                events: 0,
            });
            let cells: Vec<String> = record.iter().map(String::from).collect();
            writer.row(&cells)?;
            if results.len() == np {
                agg.add(&results);
                results.clear();
                rep += 1;
            }
        }
        if rep != p.reps[1] || !results.is_empty() {
            return Err(damaged(
                0,
                &format!(
                    "holds rows up to replication {rep}, but part.json says {}..{}",
                    p.reps[0], p.reps[1]
                ),
            ));
        }
    }
    writer.finish()?;
    let cells = agg.weeks * agg.weekly_series.len();
    for d in parts {
        let partial = read_weekly_partial(&d.join(WEEKLY_PARTIAL), np, cells)?;
        for (mine, theirs) in agg.weekly.iter_mut().zip(&partial) {
            for (a, b) in mine.iter_mut().zip(theirs) {
                a.merge(b);
            }
        }
    }
    write_summary(&out.join("summary.csv"), &sc.model.name, &agg)?;
    write_differences(&out.join("differences.csv"), &sc.model.name, &agg)?;
    write_weekly(&out.join("weekly.csv"), &sc.model.name, &agg)?;
    let threads = infos.iter().map(|p| p.threads).max().unwrap_or(0);
    let wall_s: f64 = infos.iter().map(|p| p.wall_time_s).sum();
    let source = Source {
        text: String::new(),
        origin: id.origin.clone(),
    };
    let mut manifest = cli::manifest_for(&sc, &source, &text, &first.overrides, &agg);
    manifest.source_sha256 = id.source_sha256.clone();
    manifest.replications_done = agg.reps;
    manifest.threads = threads;
    manifest.wall_time_s = wall_s;
    manifest.littles_law = cli::littles_law(&agg);
    manifest.finished = true;
    manifest.merged_shards = Some(shards);
    write_manifest(&out.join("manifest.json"), &manifest)?;
    Ok(Merged {
        scenario: sc,
        text,
        finished: cli::Finished {
            aggregates: agg,
            threads,
            wall_s,
        },
    })
}

/// Reads and checks a set of shard folders: one identity, every index from 1 to N exactly
/// once. A folder without `shard.json` whose sub-folders are shard folders stands for them.
/// Returns the folders in shard order with their manifests.
///
/// # Errors
/// A refusal in words, naming the folders and the fix.
pub fn check_shards(dirs: &[PathBuf]) -> Result<Vec<(PathBuf, ShardManifest)>, Failure> {
    let mut expanded = Vec::new();
    for d in dirs {
        if !d.join(SHARD_FILE).is_file() && d.is_dir() {
            let mut subs: Vec<PathBuf> = std::fs::read_dir(d)
                .map_err(|e| unreadable(d, e))?
                .filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| p.join(SHARD_FILE).is_file())
                .collect();
            subs.sort();
            if subs.is_empty() {
                return Err(bad_input(format!(
                    "{}: holds no shard.json and no shard folders; give folders written by `flowsim run --shard K/N` (e.g. out/shard-1-of-4)",
                    d.display()
                )));
            }
            expanded.extend(subs);
        } else {
            expanded.push(d.clone());
        }
    }
    let mut shards = Vec::new();
    for d in expanded {
        let m: ShardManifest = read_json(&d.join(SHARD_FILE))?;
        if m.format != FORMAT {
            return Err(bad_input(format!(
                "{}: shard format {} but this flowsim reads format {FORMAT}; merge with the flowsim that wrote it",
                d.display(),
                m.format
            )));
        }
        shards.push((d, m));
    }
    let (d0, m0) = &shards[0];
    let id0 = m0.identity();
    for (d, m) in &shards[1..] {
        for ((name, a), (_, b)) in id0.iter().zip(m.identity()) {
            if *a != b {
                return Err(bad_input(format!(
                    "these shards do not belong together: {} has {name} {a}, but {} has {b}. Merge only the shards of one run (same scenario, --set, seed, --reps, --policies, shard count and flowsim version)",
                    d0.display(),
                    d.display()
                )));
            }
        }
    }
    let n = m0.shards;
    let mut seen: BTreeMap<u64, Vec<&PathBuf>> = BTreeMap::new();
    for (d, m) in &shards {
        if m.shard == 0 || m.shard > n {
            return Err(bad_input(format!(
                "{}: shard {} of {n} is out of range; the folder is damaged",
                d.display(),
                m.shard
            )));
        }
        seen.entry(m.shard).or_default().push(d);
    }
    if let Some((k, ds)) = seen.iter().find(|(_, ds)| ds.len() > 1) {
        let names: Vec<String> = ds.iter().map(|d| d.display().to_string()).collect();
        return Err(bad_input(format!(
            "shard {k}/{n} is given more than once: {}; give each shard folder once",
            names.join(", ")
        )));
    }
    let missing: Vec<String> = (1..=n)
        .filter(|k| !seen.contains_key(k))
        .map(|k| format!("{k}/{n}"))
        .collect();
    if !missing.is_empty() {
        return Err(bad_input(format!(
            "shard{} {} {} missing (have {} of {n}); run {} with --shard K/{n} and give every shard folder",
            if missing.len() == 1 { "" } else { "s" },
            missing.join(", "),
            if missing.len() == 1 { "is" } else { "are" },
            seen.len(),
            if missing.len() == 1 { "it" } else { "them" },
        )));
    }
    for (d, m) in &shards {
        if !m.finished {
            return Err(bad_input(format!(
                "{}: shard {}/{n} did not finish (shard.json says finished: false); run it again",
                d.display(),
                m.shard
            )));
        }
    }
    shards.sort_by_key(|(_, m)| m.shard);
    Ok(shards)
}

/// For a sweep: each point's replications within the units `units` (point-major).
pub fn sweep_ranges(point_reps: &[u64], units: Range<u64>) -> Vec<(usize, Range<u64>)> {
    let mut out = Vec::new();
    let mut offset = 0u64;
    for (i, &r) in point_reps.iter().enumerate() {
        let lo = units.start.max(offset);
        let hi = units.end.min(offset + r);
        if lo < hi {
            out.push((i, lo - offset..hi - offset));
        }
        offset += r;
    }
    out
}

/// The name of point `i` (0-based) of `n` in a sweep folder, as `flowsim sweep` writes it.
pub fn point_folder(i: usize, n: usize) -> String {
    let width = n.to_string().len();
    format!("{:0width$}", i + 1)
}

/// `flowsim merge SHARD_DIR... --out DIR`.
///
/// # Errors
/// Shards that do not belong together or are damaged (code 2), or output that cannot be
/// written (code 1).
pub fn merge(dirs: &[PathBuf], out: &Path, charts: &ChartArgs) -> Result<String, Failure> {
    let start = Instant::now();
    let shards = check_shards(dirs)?;
    let id = shards[0].1.clone();
    let n = id.shards;
    if let Some((d, _)) = shards
        .iter()
        .find(|(d, _)| out.canonicalize().ok() == d.canonicalize().ok())
    {
        return Err(bad_input(format!(
            "{}: --out is one of the shard folders; choose another folder",
            d.display()
        )));
    }
    if id.kind == "run" {
        let parts: Vec<PathBuf> = shards.iter().map(|(d, _)| d.clone()).collect();
        let m = merge_parts(&parts, &id, n, out)?;
        cli::draw_charts(out, &m.text, charts)?;
        let mut s = cli::render(&m.scenario, &m.finished, out);
        s.push_str(&format!(
            "Merged {n} shard{} in {:.2} s\n",
            if n == 1 { "" } else { "s" },
            start.elapsed().as_secs_f64()
        ));
        return Ok(s);
    }
    if id.kind != "sweep" {
        return Err(bad_input(format!(
            "{}: unknown shard kind `{}`",
            shards[0].0.display(),
            id.kind
        )));
    }
    let total: u64 = id.replications.iter().sum();
    let np = id.points.len();
    let mut per_point: Vec<Vec<PathBuf>> = vec![Vec::new(); np];
    for (d, m) in &shards {
        let units = Shard {
            index: m.shard,
            count: n,
        }
        .block(total);
        for (i, _) in sweep_ranges(&id.replications, units) {
            per_point[i].push(d.join("points").join(point_folder(i, np)));
        }
    }
    output::create_dir(out)?;
    let mut sweep_csv = SweepWriter::create(&out.join("sweep.csv"), &id.params)?;
    for (i, parts) in per_point.iter().enumerate() {
        if parts.is_empty() {
            return Err(bad_input(format!(
                "sweep point {} has no replications in any shard; the shard folders are damaged",
                i + 1
            )));
        }
        let point_dir = out.join("points").join(point_folder(i, np));
        let m = merge_parts(parts, &id, n, &point_dir)?;
        sweep_csv.write_point(&id.scenario, i + 1, &id.points[i], &m.finished.aggregates)?;
    }
    sweep_csv.finish()?;
    let src_path = shards[0].0.join(crate::charts::data::SCENARIO_FILE);
    let src_text = std::fs::read_to_string(&src_path).map_err(|e| unreadable(&src_path, e))?;
    cli::draw_charts(out, &src_text, charts)?;
    Ok(format!(
        "{} sweep — {np} points merged from {n} shard{} in {:.2} s\nWrote {}\n",
        id.scenario,
        if n == 1 { "" } else { "s" },
        start.elapsed().as_secs_f64(),
        out.display()
    ))
}

fn identity_of(
    kind: &str,
    sc: &Scenario,
    source: &Source,
    text_after_set: &str,
    c: &cli::CommonArgs,
    shard: Shard,
    replications: Vec<u64>,
) -> ShardManifest {
    ShardManifest {
        format: FORMAT,
        kind: kind.into(),
        flowsim_version: env!("CARGO_PKG_VERSION").to_string(),
        scenario: sc.model.name.clone(),
        origin: source.origin.clone(),
        source_sha256: sha256_hex(&source.text),
        scenario_sha256: sha256_hex(text_after_set),
        overrides: c.set.clone(),
        seed: sc.settings.seed,
        policies: sc.policies.iter().map(|p| p.name.clone()).collect(),
        shard: shard.index,
        shards: shard.count,
        replications,
        units: [0, 0],
        params: Vec::new(),
        points: Vec::new(),
        threads: 0,
        wall_time_s: 0.0,
        finished: false,
    }
}

fn done_message(m: &ShardManifest, dir: &Path) -> String {
    format!(
        "{}: shard {}/{} ran {} {}..{} of {} in {:.1} s; wrote {}\nWhen every shard has finished: flowsim merge {} --out DIR\n",
        m.scenario,
        m.shard,
        m.shards,
        if m.kind == "run" {
            "replications"
        } else {
            "point×replication units"
        },
        m.units[0],
        m.units[1],
        m.replications.iter().sum::<u64>(),
        m.wall_time_s,
        dir.display(),
        dir.parent().unwrap_or(Path::new(".")).display()
    )
}

/// `run --shard K/N`: runs this shard's block of replications into `parent/shard-K-of-N/`.
///
/// # Errors
/// A file cannot be written, or the thread pool cannot be built.
pub fn run_shard(
    sc: &Scenario,
    source: &Source,
    text: &str,
    c: &cli::CommonArgs,
    parent: &Path,
    shard: Shard,
) -> Result<String, Failure> {
    let total = sc.settings.replications as u64;
    let reps = shard.block(total);
    let dir = parent.join(shard.folder());
    output::create_dir(&dir)?;
    let mut m = identity_of("run", sc, source, text, c, shard, vec![total]);
    m.units = [reps.start, reps.end];
    let path = dir.join(SHARD_FILE);
    write_json(&path, &m)?;
    let pb = crate::report::progress_bar(reps.end - reps.start, c.quiet);
    pb.set_message(format!("{} shard {shard}", sc.model.name));
    let part = run_part(sc, text, &c.set, &dir, reps, c.threads, &pb);
    pb.finish_and_clear();
    let part = part?;
    m.threads = part.threads;
    m.wall_time_s = part.wall_time_s;
    m.finished = true;
    write_json(&path, &m)?;
    Ok(done_message(&m, &dir))
}

/// A sweep, loaded: what [`sweep_shard`] needs.
pub struct SweepPlan<'a> {
    /// The scenario text as read.
    pub source: &'a Source,
    /// The varied parameters.
    pub params: &'a [String],
    /// Each point's values.
    pub points: &'a [Vec<String>],
    /// Each point's scenario, simulated text and overrides.
    pub loaded: &'a [(Scenario, String, Vec<String>)],
}

/// `sweep --shard K/N`: runs this shard's block of the point × replication units into
/// `parent/shard-K-of-N/`, one part per point touched under `points/NN/`.
///
/// # Errors
/// Bad `--set` values, a file that cannot be written, or no thread pool.
pub fn sweep_shard(
    plan: &SweepPlan<'_>,
    c: &cli::CommonArgs,
    parent: &Path,
    shard: Shard,
) -> Result<String, Failure> {
    let point_reps: Vec<u64> = plan
        .loaded
        .iter()
        .map(|(sc, _, _)| sc.settings.replications as u64)
        .collect();
    let total: u64 = point_reps.iter().sum();
    let units = shard.block(total);
    let dir = parent.join(shard.folder());
    output::create_dir(&dir)?;
    let after_set = crate::overrides::apply_all(&plan.source.text, &c.set)
        .map_err(|e| bad_input(format!("{}: {e}", plan.source.origin)))?;
    let first = &plan.loaded[0].0;
    let mut m = identity_of(
        "sweep",
        first,
        plan.source,
        &after_set,
        c,
        shard,
        point_reps.clone(),
    );
    m.units = [units.start, units.end];
    m.params = plan.params.to_vec();
    m.points = plan.points.to_vec();
    let path = dir.join(SHARD_FILE);
    write_json(&path, &m)?;
    crate::charts::save_scenario_text(&dir, &plan.source.text)?;
    let pb = crate::report::progress_bar(units.end - units.start, c.quiet);
    pb.set_message(format!("{} sweep shard {shard}", first.model.name));
    let np = plan.points.len();
    let mut threads = 0;
    let mut wall = 0.0;
    for (i, reps) in sweep_ranges(&point_reps, units) {
        let (sc, text, set) = &plan.loaded[i];
        let part_dir = dir.join("points").join(point_folder(i, np));
        let p = run_part(sc, text, set, &part_dir, reps, c.threads, &pb)?;
        threads = threads.max(p.threads);
        wall += p.wall_time_s;
    }
    pb.finish_and_clear();
    m.threads = threads;
    m.wall_time_s = wall;
    m.finished = true;
    write_json(&path, &m)?;
    Ok(done_message(&m, &dir))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env_of(vars: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let m: BTreeMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |k| m.get(k).cloned()
    }

    #[test]
    fn blocks_tile_the_units_evenly() {
        for total in [0, 1, 5, 7, 100, 10_001] {
            for count in [1, 2, 3, 7, 16, 200] {
                let mut next = 0;
                for index in 1..=count {
                    let b = Shard { index, count }.block(total);
                    assert_eq!(b.start, next);
                    assert!(b.end - b.start <= total / count + 1);
                    assert!(b.end - b.start >= total / count);
                    next = b.end;
                }
                assert_eq!(next, total);
            }
        }
    }

    #[test]
    fn parses_fixed_shards_and_refuses_bad_ones() {
        let none = env_of(&[]);
        assert_eq!(
            resolve("2/7", None, &none),
            Ok(Shard { index: 2, count: 7 })
        );
        for bad in ["0/4", "5/4", "1/0", "x/4", "3", "", "-1/4"] {
            assert!(resolve(bad, None, &none).is_err(), "{bad}");
        }
        assert!(resolve("1/4", Some(5), &none).is_err());
        let e = resolve("auto", None, &none).unwrap_err();
        assert!(e.contains("SLURM_ARRAY_TASK_ID") && e.contains("JOB_COMPLETION_INDEX"));
    }

    #[test]
    fn auto_reads_slurm_and_kubernetes() {
        let slurm0 = env_of(&[
            ("SLURM_ARRAY_TASK_ID", "0"),
            ("SLURM_ARRAY_TASK_COUNT", "16"),
            ("SLURM_ARRAY_TASK_MIN", "0"),
        ]);
        assert_eq!(
            resolve("auto", None, &slurm0),
            Ok(Shard {
                index: 1,
                count: 16
            })
        );
        let slurm1 = env_of(&[
            ("SLURM_ARRAY_TASK_ID", "16"),
            ("SLURM_ARRAY_TASK_COUNT", "16"),
            ("SLURM_ARRAY_TASK_MIN", "1"),
        ]);
        assert_eq!(
            resolve("auto", None, &slurm1),
            Ok(Shard {
                index: 16,
                count: 16
            })
        );
        let stepped = env_of(&[
            ("SLURM_ARRAY_TASK_ID", "6"),
            ("SLURM_ARRAY_TASK_COUNT", "4"),
            ("SLURM_ARRAY_TASK_MIN", "0"),
            ("SLURM_ARRAY_TASK_STEP", "2"),
        ]);
        assert_eq!(
            resolve("auto", None, &stepped),
            Ok(Shard { index: 4, count: 4 })
        );
        let k8s = env_of(&[("JOB_COMPLETION_INDEX", "2")]);
        assert!(
            resolve("auto", None, &k8s)
                .unwrap_err()
                .contains("--shards")
        );
        assert_eq!(
            resolve("auto", Some(3), &k8s),
            Ok(Shard { index: 3, count: 3 })
        );
        let k8s_var = env_of(&[("JOB_COMPLETION_INDEX", "0"), (COUNT_VAR, "5")]);
        assert_eq!(
            resolve("auto", None, &k8s_var),
            Ok(Shard { index: 1, count: 5 })
        );
        let beyond = env_of(&[("JOB_COMPLETION_INDEX", "5"), (COUNT_VAR, "5")]);
        assert!(resolve("auto", None, &beyond).is_err());
    }

    #[test]
    fn sweep_ranges_split_points() {
        let r = sweep_ranges(&[10, 10, 5], 8..22);
        assert_eq!(r, vec![(0, 8..10), (1, 0..10), (2, 0..2)]);
        assert!(sweep_ranges(&[10], 3..3).is_empty());
    }
}
