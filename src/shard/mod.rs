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
//!   (`weekly_partial.txt.gz`: exact sums and quantile sketches with every `f64` as hexadecimal
//!   bits, gzip-compressed; sketches already bucketed where the whole run has more
//!   replications than a sketch keeps exactly, see `partial.rs`), and the merge combines them
//!   with [`crate::experiment::WeeklyAgg::merge`], which is exact.
//!
//! Layout of a shard folder (`shard-K-of-N/`): `shard.json` (identity), and one *part* per
//! scenario run: for `run`, the folder itself; for `sweep`, `points/NN/` for each point the shard
//! touches. A part holds `part.json`, `scenario.toml` (the text simulated), `replications.csv.gz`
//! (its rows, gzip-compressed: `zcat` reads them) and `weekly_partial.txt.gz`.
//!
//! Dependencies run one way: the commands call this module, and this module writes through
//! [`crate::output`]; it knows nothing of command-line flags.

mod merge;
mod partial;
mod run;

use std::ops::Range;

use serde::{Deserialize, Serialize};

use crate::output::files;

pub use merge::{Merged, MergedRun, check_shards, merge};
pub use run::{ShardOptions, SweepPlan, run_part, run_shard, sweep_shard};

/// Version of the shard folder format; `merge` refuses folders of another.
pub const FORMAT: u32 = 2;
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
        files::shard_folder(self.index, self.count)
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

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

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
