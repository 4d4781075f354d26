//! Running a shard: this process's block of replications (or sweep point × replication units)
//! into a shard folder, one part per scenario run.

use std::ops::Range;
use std::path::Path;
use std::sync::atomic::AtomicBool;
use std::time::Instant;

use super::partial::write_weekly_partial;
use super::{FORMAT, PartInfo, Shard, ShardManifest, sweep_ranges};
use crate::error::Error;
use crate::output::folder::{Source, Tally, Weekly, write_scenario_text};
use crate::output::json::{sha256_hex, write_json};
use crate::output::{create_dir, files};
use crate::scenario::Scenario;

/// The flags a shard run needs, apart from the scenario.
#[derive(Debug, Clone, Copy)]
pub struct ShardOptions<'a> {
    /// `--set` overrides, in order.
    pub set: &'a [String],
    /// Worker threads (all cores when `None`).
    pub threads: Option<usize>,
    /// No progress bar.
    pub quiet: bool,
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
    progress: &indicatif::ProgressBar,
) -> Result<PartInfo, Error> {
    create_dir(dir)?;
    let mut info = PartInfo {
        scenario_sha256: sha256_hex(text),
        overrides: set.to_vec(),
        replications: u64::from(sc.settings.replications),
        reps: [reps.start, reps.end],
        threads: 0,
        wall_time_s: 0.0,
        finished: false,
    };
    let info_path = dir.join(files::PART);
    write_json(&info_path, &info)?;
    write_scenario_text(dir, text)?;
    let mut tally = Tally::create_as(dir, sc, true, Weekly::SpillWhenLarge)?;
    let start = Instant::now();
    // A shard runs its whole block: Ctrl-C ends it with the default action.
    let never = AtomicBool::new(false);
    let simulated = tally.simulate(sc, reps, threads, &never, progress)?;
    let agg = tally.finish()?;
    write_weekly_partial(
        &dir.join(files::WEEKLY_PARTIAL),
        &agg,
        u64::from(sc.settings.replications),
    )?;
    info.threads = simulated.threads;
    info.wall_time_s = start.elapsed().as_secs_f64();
    info.finished = true;
    write_json(&info_path, &info)?;
    Ok(info)
}

fn identity_of(
    kind: &str,
    sc: &Scenario,
    source: &Source,
    text_after_set: &str,
    opts: ShardOptions<'_>,
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
        overrides: opts.set.to_vec(),
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
    opts: ShardOptions<'_>,
    parent: &Path,
    shard: Shard,
) -> Result<String, Error> {
    let total = u64::from(sc.settings.replications);
    let reps = shard.block(total);
    let dir = parent.join(shard.folder());
    create_dir(&dir)?;
    let mut m = identity_of("run", sc, source, text, opts, shard, vec![total]);
    m.units = [reps.start, reps.end];
    let path = dir.join(files::SHARD);
    write_json(&path, &m)?;
    let pb = crate::report::progress_bar(reps.end - reps.start, opts.quiet);
    pb.set_message(format!("{} shard {shard}", sc.model.name));
    let part = run_part(sc, text, opts.set, &dir, reps, opts.threads, &pb);
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
    /// The scenario text after `--set` (before each point's `--vary` values).
    pub text_after_set: &'a str,
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
/// A file that cannot be written, or no thread pool.
pub fn sweep_shard(
    plan: &SweepPlan<'_>,
    opts: ShardOptions<'_>,
    parent: &Path,
    shard: Shard,
) -> Result<String, Error> {
    let point_reps: Vec<u64> = plan
        .loaded
        .iter()
        .map(|(sc, _, _)| u64::from(sc.settings.replications))
        .collect();
    let total: u64 = point_reps.iter().sum();
    let units = shard.block(total);
    let dir = parent.join(shard.folder());
    create_dir(&dir)?;
    let first = &plan.loaded[0].0;
    let mut m = identity_of(
        "sweep",
        first,
        plan.source,
        plan.text_after_set,
        opts,
        shard,
        point_reps.clone(),
    );
    m.units = [units.start, units.end];
    m.params = plan.params.to_vec();
    m.points = plan.points.to_vec();
    let path = dir.join(files::SHARD);
    write_json(&path, &m)?;
    write_scenario_text(&dir, &plan.source.text)?;
    let pb = crate::report::progress_bar(units.end - units.start, opts.quiet);
    pb.set_message(format!("{} sweep shard {shard}", first.model.name));
    let np = plan.points.len();
    let mut threads = 0;
    let mut wall = 0.0;
    for (i, reps) in sweep_ranges(&point_reps, units) {
        let (sc, text, set) = &plan.loaded[i];
        let part_dir = dir.join(files::POINTS).join(files::point_folder(i, np));
        let p = run_part(sc, text, set, &part_dir, reps, opts.threads, &pb)?;
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
