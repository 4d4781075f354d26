//! `flowsim merge`: check that shard folders belong together and rebuild, through the same
//! result-folder writer a single run uses, exactly what one machine would have written.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::partial::{check_merged, read_weekly_partial};
use super::{FORMAT, PartInfo, Shard, ShardManifest, sweep_ranges};
use crate::error::Error;
use crate::experiment::RunOverrides;
use crate::metrics::RepResult;
use crate::output::csv::{SweepWriter, replications_header};
use crate::output::folder::{Completion, Finished, Provenance, ResultWriter, Tally};
use crate::output::json::sha256_hex;
use crate::output::{create_dir, files};
use crate::scenario::Scenario;

pub(super) fn unreadable(path: &Path, e: impl std::fmt::Display) -> Error {
    Error::bad_input(format!(
        "{}: cannot read: {e}; give folders written by `flowsim run --shard K/N` or `flowsim sweep --shard K/N`",
        path.display()
    ))
}

fn read_json<T: for<'de> Deserialize<'de>>(path: &Path) -> Result<T, Error> {
    let text = std::fs::read_to_string(path).map_err(|e| unreadable(path, e))?;
    serde_json::from_str(&text).map_err(|e| {
        Error::bad_input(format!(
            "{}: not a flowsim shard file ({e}); give folders written by `flowsim run --shard K/N`",
            path.display()
        ))
    })
}

/// What a merge of one run's parts produced.
pub struct MergedRun {
    /// The scenario, as loaded from the parts.
    pub scenario: Scenario,
    /// The scenario text simulated.
    pub text: String,
    /// The aggregates, as a single run would have them.
    pub finished: Finished,
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
) -> Result<MergedRun, Error> {
    let infos: Vec<PartInfo> = parts
        .iter()
        .map(|d| read_json(&d.join(files::PART)))
        .collect::<Result<_, _>>()?;
    let first = &infos[0];
    let mut next = 0;
    for (d, p) in parts.iter().zip(&infos) {
        if !p.finished {
            return Err(Error::bad_input(format!(
                "{}: this part did not finish (part.json says finished: false); run that shard again",
                d.display()
            )));
        }
        if p.scenario_sha256 != first.scenario_sha256
            || p.overrides != first.overrides
            || p.replications != first.replications
        {
            return Err(Error::bad_input(format!(
                "{} and {}: the parts ran different scenario texts; merge only shards of one run",
                parts[0].display(),
                d.display()
            )));
        }
        if p.reps[0] != next || p.reps[1] < p.reps[0] {
            return Err(Error::bad_input(format!(
                "{}: holds replications {}..{} where {next} was expected next; a shard is missing or repeated",
                d.display(),
                p.reps[0],
                p.reps[1]
            )));
        }
        next = p.reps[1];
    }
    if next != first.replications {
        return Err(Error::bad_input(format!(
            "the shards hold replications 0..{next} of {}; a shard is missing",
            first.replications
        )));
    }
    let mut text = String::new();
    for d in parts.iter().rev() {
        let scenario_path = d.join(files::SCENARIO);
        text =
            std::fs::read_to_string(&scenario_path).map_err(|e| unreadable(&scenario_path, e))?;
        if sha256_hex(&text) != first.scenario_sha256 {
            return Err(Error::bad_input(format!(
                "{}: the text differs from the one simulated (its SHA-256 is not part.json's); the shard folder was edited, run that shard again",
                scenario_path.display()
            )));
        }
    }
    let mut sc = crate::scenario::load_str(&text, &id.origin)
        .map_err(|e| Error::bad_input(e.to_string()))?;
    let reps = u32::try_from(first.replications)
        .map_err(|_| Error::bad_input("the shards' replication count is out of range"))?;
    let settings = RunOverrides {
        replications: Some(reps),
        seed: Some(id.seed),
        policies: Some(id.policies.clone()),
    };
    settings.apply(&mut sc).map_err(Error::bad_input)?;
    let provenance = Provenance {
        origin: id.origin.clone(),
        source_sha256: id.source_sha256.clone(),
        scenario_sha256: sha256_hex(&text),
        overrides: first.overrides.clone(),
    };
    let mut writer = ResultWriter::create(out, &sc, provenance)?;
    for (d, p) in parts.iter().zip(&infos) {
        feed_rows(&d.join(files::REPLICATIONS_GZ), p, writer.tally())?;
    }
    let agg = writer.tally().aggregates_mut();
    let (policies, cells) = (agg.policies.len(), agg.weeks * agg.weekly_series.len());
    for d in parts {
        let partial = read_weekly_partial(&d.join(files::WEEKLY_PARTIAL), policies, cells)?;
        for (mine, theirs) in agg.weekly.iter_mut().zip(&partial.weekly) {
            for (a, b) in mine.iter_mut().zip(theirs) {
                a.merge(b);
            }
        }
        for (mine, theirs) in agg.card_times.iter_mut().zip(&partial.card_times) {
            for (a, b) in mine.iter_mut().zip(theirs) {
                for (x, y) in a.iter_mut().zip(b) {
                    *x += y;
                }
            }
        }
        // Parts are in replication order: the first that ran any holds replication 1.
        if agg.first.iter().all(Vec::is_empty) {
            agg.first = partial.first;
        }
    }
    check_merged(&agg.weekly)?;
    let finished = writer.finish(Completion::Merged {
        threads: infos.iter().map(|p| p.threads).max().unwrap_or(0),
        wall_s: infos.iter().map(|p| p.wall_time_s).sum(),
        shards,
    })?;
    Ok(MergedRun {
        scenario: sc,
        text,
        finished,
    })
}

/// Feeds one part's `replications.csv` into the tally, checking that it holds the rows
/// `part.json` promises, in replication and policy order, under this scenario's columns.
///
/// # Errors
/// The file is unreadable or damaged, or the output cannot be written.
fn feed_rows(path: &Path, part: &PartInfo, tally: &mut Tally) -> Result<(), Error> {
    let header = replications_header(tally.aggregates());
    let policies = tally.aggregates().policies.clone();
    let columns = header.len();
    let mut rep = part.reps[0];
    let file = std::fs::File::open(path).map_err(|e| unreadable(path, e))?;
    let mut r =
        ::csv::Reader::from_reader(flate2::read::GzDecoder::new(std::io::BufReader::new(file)));
    let damaged = |line: u64, why: &str| {
        Error::bad_input(format!(
            "{}:{line}: {why}; the shard folder is damaged, run that shard again",
            path.display()
        ))
    };
    let head: Vec<String> = r
        .headers()
        .map_err(|e| unreadable(path, e))?
        .iter()
        .map(String::from)
        .collect();
    if head != header {
        return Err(damaged(1, "the columns are not this scenario's metrics"));
    }
    let mut results: Vec<RepResult> = Vec::with_capacity(policies.len());
    let mut record = ::csv::StringRecord::new();
    loop {
        match r.read_record(&mut record) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => return Err(unreadable(path, e)),
        }
        let line = record.position().map_or(0, |p| p.line());
        let k = results.len();
        if record.len() != columns
            || record.get(1) != Some(policies[k].as_str())
            || record.get(2) != Some(rep.to_string().as_str())
        {
            return Err(damaged(
                line,
                &format!(
                    "expected replication {rep} of policy {} with {columns} cells",
                    policies[k]
                ),
            ));
        }
        let mut values = Vec::with_capacity(columns - 3);
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
        results.push(RepResult {
            values,
            weekly: Vec::new(),
            events: 0,
            card_times: Default::default(),
            cards: Vec::new(),
        });
        if results.len() == policies.len() {
            tally.add(rep, &results)?;
            results.clear();
            rep += 1;
        }
    }
    if rep != part.reps[1] || !results.is_empty() {
        return Err(damaged(
            0,
            &format!(
                "holds rows up to replication {rep}, but part.json says {}..{}",
                part.reps[0], part.reps[1]
            ),
        ));
    }
    Ok(())
}

/// The shard folders given: each folder holding `shard.json`, or for a folder without one, its
/// sub-folders that hold one (sorted by name).
///
/// # Errors
/// A folder that is neither a shard folder nor holds any.
fn shard_folders(dirs: &[PathBuf]) -> Result<Vec<PathBuf>, Error> {
    let mut folders = Vec::new();
    for dir in dirs {
        if dir.join(files::SHARD).is_file() || !dir.is_dir() {
            folders.push(dir.clone());
            continue;
        }
        let mut inside: Vec<PathBuf> = std::fs::read_dir(dir)
            .map_err(|e| unreadable(dir, e))?
            .filter_map(Result::ok)
            .map(|entry| entry.path())
            .filter(|sub| sub.join(files::SHARD).is_file())
            .collect();
        inside.sort();
        if inside.is_empty() {
            return Err(Error::bad_input(format!(
                "{}: holds no shard.json and no shard folders; give folders written by `flowsim run --shard K/N` (e.g. out/shard-1-of-4)",
                dir.display()
            )));
        }
        folders.extend(inside);
    }
    Ok(folders)
}

/// Reads and checks a set of shard folders: one identity, every index from 1 to N exactly
/// once. A folder without `shard.json` whose sub-folders are shard folders stands for them.
/// Returns the folders in shard order with their manifests.
///
/// # Errors
/// A refusal in words, naming the folders and the fix.
pub fn check_shards(dirs: &[PathBuf]) -> Result<Vec<(PathBuf, ShardManifest)>, Error> {
    let mut shards = Vec::new();
    for dir in shard_folders(dirs)? {
        let manifest: ShardManifest = read_json(&dir.join(files::SHARD))?;
        if manifest.format != FORMAT {
            return Err(Error::bad_input(format!(
                "{}: shard format {} but this flowsim reads format {FORMAT}; merge with the flowsim that wrote it",
                dir.display(),
                manifest.format
            )));
        }
        shards.push((dir, manifest));
    }
    let (first_dir, first) = &shards[0];
    let identity = first.identity();
    for (dir, manifest) in &shards[1..] {
        for ((name, a), (_, b)) in identity.iter().zip(manifest.identity()) {
            if *a != b {
                return Err(Error::bad_input(format!(
                    "these shards do not belong together: {} has {name} {a}, but {} has {b}. Merge only the shards of one run (same scenario, --set, seed, --reps, --policies, shard count and flowsim version)",
                    first_dir.display(),
                    dir.display()
                )));
            }
        }
    }
    let count = first.shards;
    let mut seen: BTreeMap<u64, Vec<&PathBuf>> = BTreeMap::new();
    for (dir, manifest) in &shards {
        if manifest.shard == 0 || manifest.shard > count {
            return Err(Error::bad_input(format!(
                "{}: shard {} of {count} is out of range; the folder is damaged",
                dir.display(),
                manifest.shard
            )));
        }
        seen.entry(manifest.shard).or_default().push(dir);
    }
    if let Some((k, dirs_of)) = seen.iter().find(|(_, dirs_of)| dirs_of.len() > 1) {
        let names: Vec<String> = dirs_of.iter().map(|d| d.display().to_string()).collect();
        return Err(Error::bad_input(format!(
            "shard {k}/{count} is given more than once: {}; give each shard folder once",
            names.join(", ")
        )));
    }
    let missing: Vec<String> = (1..=count)
        .filter(|k| !seen.contains_key(k))
        .map(|k| format!("{k}/{count}"))
        .collect();
    if !missing.is_empty() {
        return Err(Error::bad_input(format!(
            "shard{} {} {} missing (have {} of {count}); run {} with --shard K/{count} and give every shard folder",
            if missing.len() == 1 { "" } else { "s" },
            missing.join(", "),
            if missing.len() == 1 { "is" } else { "are" },
            seen.len(),
            if missing.len() == 1 { "it" } else { "them" },
        )));
    }
    for (dir, manifest) in &shards {
        if !manifest.finished {
            return Err(Error::bad_input(format!(
                "{}: shard {}/{count} did not finish (shard.json says finished: false); run it again",
                dir.display(),
                manifest.shard
            )));
        }
    }
    shards.sort_by_key(|(_, manifest)| manifest.shard);
    Ok(shards)
}

/// What `merge` wrote: a run's result folder or a sweep's.
pub enum Merged {
    /// The shards of `run --shard`.
    Run {
        /// The merged run.
        run: Box<MergedRun>,
        /// Number of shards merged.
        shards: u64,
    },
    /// The shards of `sweep --shard`.
    Sweep {
        /// Scenario name.
        scenario: String,
        /// Where the scenario came from (a path or the built-in reference).
        origin: String,
        /// The varied parameters.
        params: Vec<String>,
        /// Each point's values.
        points: Vec<Vec<String>>,
        /// Every metric's name and unit, over all points.
        units: Vec<(String, String)>,
        /// The scenario text as read (before `--set` and `--vary`).
        text: String,
        /// Number of shards merged.
        shards: u64,
    },
}

/// `flowsim merge SHARD_DIR... --out DIR`: checks the shards and writes the merged result
/// folder (charts aside, which the command draws).
///
/// # Errors
/// Shards that do not belong together or are damaged (bad input), or output that cannot be
/// written.
pub fn merge(dirs: &[PathBuf], out: &Path) -> Result<Merged, Error> {
    let shards = check_shards(dirs)?;
    let id = shards[0].1.clone();
    let n = id.shards;
    if let Some((d, _)) = shards
        .iter()
        .find(|(d, _)| out.canonicalize().ok() == d.canonicalize().ok())
    {
        return Err(Error::bad_input(format!(
            "{}: --out is one of the shard folders; choose another folder",
            d.display()
        )));
    }
    if id.kind == "run" {
        let parts: Vec<PathBuf> = shards.iter().map(|(d, _)| d.clone()).collect();
        let run = merge_parts(&parts, &id, n, out)?;
        return Ok(Merged::Run {
            run: Box::new(run),
            shards: n,
        });
    }
    if id.kind != "sweep" {
        return Err(Error::bad_input(format!(
            "{}: unknown shard kind `{}`",
            shards[0].0.display(),
            id.kind
        )));
    }
    let total: u64 = id.replications.iter().sum();
    let np = id.points.len();
    let point_dir = |dir: &Path, i: usize| dir.join(files::POINTS).join(files::point_folder(i, np));
    let mut per_point: Vec<Vec<PathBuf>> = vec![Vec::new(); np];
    for (d, m) in &shards {
        let units = Shard {
            index: m.shard,
            count: n,
        }
        .block(total);
        for (i, _) in sweep_ranges(&id.replications, units) {
            per_point[i].push(point_dir(d, i));
        }
    }
    create_dir(out)?;
    let mut sweep_csv = SweepWriter::create(&out.join(files::SWEEP), &id.params)?;
    let mut units = Vec::new();
    for (i, parts) in per_point.iter().enumerate() {
        if parts.is_empty() {
            return Err(Error::bad_input(format!(
                "sweep point {} has no replications in any shard; the shard folders are damaged",
                i + 1
            )));
        }
        let m = merge_parts(parts, &id, n, &point_dir(out, i))?;
        sweep_csv.write_point(&id.scenario, i + 1, &id.points[i], &m.finished.aggregates)?;
        units.extend(
            m.finished
                .aggregates
                .metrics
                .iter()
                .map(|x| (x.name.clone(), x.unit.to_string())),
        );
    }
    sweep_csv.finish()?;
    let src_path = shards[0].0.join(files::SCENARIO);
    let text = std::fs::read_to_string(&src_path).map_err(|e| unreadable(&src_path, e))?;
    Ok(Merged::Sweep {
        scenario: id.scenario,
        origin: id.origin,
        params: id.params,
        points: id.points,
        units,
        text,
        shards: n,
    })
}
