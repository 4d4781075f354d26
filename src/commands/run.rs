//! `flowsim run`: each scenario under each of its policies, into its own result folder.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use super::input::{apply_overrides, expand, load_with_overrides, read_source};
use super::{announce_target, draw_charts, print_out, wrote_note};
use crate::cli::RunArgs;
use crate::error::{Error, Kind};
use crate::output::files;
use crate::output::folder::{Completion, Finished, Provenance, ResultWriter, Source, Weekly};
use crate::output::json::{Index, IndexEntry, write_json};
use crate::output::safe::{Staged, component};
use crate::scenario::Scenario;
use crate::shard::Shard;

/// `flowsim run`: every scenario is run and written; a failing one is reported and the others
/// still run. The exit code is non-zero if any failed.
///
/// # Errors
/// The worst failure, after all scenarios were tried (its message lists how many failed); a
/// closed standard output stops at once.
pub fn run(args: &RunArgs) -> Result<(), Error> {
    let shard = args.sharding.shard()?;
    let items: Vec<Result<Option<PathBuf>, Error>> = if args.scenarios.is_empty() {
        vec![Ok(None)]
    } else {
        expand(&args.scenarios)
            .into_iter()
            .map(|r| r.map(Some))
            .collect()
    };
    let several = items.len() > 1;
    let mut used_dirs = BTreeSet::new();
    let mut failures: Vec<Error> = Vec::new();
    let total = items.len();
    let mut entries: Vec<IndexEntry> = Vec::new();
    let origins: Vec<String> = items
        .iter()
        .map(|item| match item {
            Ok(Some(p)) => p.display().to_string(),
            Ok(None) => "reference".to_string(),
            Err(e) => e.message().lines().next().unwrap_or_default().to_string(),
        })
        .collect();
    for (item, origin) in items.into_iter().zip(&origins) {
        let mut entry = IndexEntry::new(origin, "finished");
        let result = item.and_then(|path| {
            run_one(
                path.as_deref(),
                args,
                shard,
                several,
                &mut used_dirs,
                &mut entry,
            )
        });
        match result {
            Err(e) if e.kind() == Kind::ClosedPipe => return Err(e),
            Err(e) => {
                let mut m = e.message().to_string();
                entry.status = if e.kind() == Kind::Interrupted && entry.folder.is_some() {
                    "partial".into()
                } else {
                    "failed".into()
                };
                entry.error = Some(m.trim_end().to_string());
                if !m.ends_with('\n') {
                    m.push('\n');
                }
                super::print_err(&m);
                failures.push(e);
            }
            Ok(()) => {}
        }
        entries.push(entry);
        if several {
            print_out("\n")?;
        }
        if crate::interrupt::requested() {
            break;
        }
    }
    if several && shard.is_none() {
        for origin in origins.iter().skip(entries.len()) {
            entries.push(IndexEntry::new(origin, "not run"));
        }
        write_batch_index(args, entries)?;
    }
    let Some(worst) = failures.iter().map(Error::kind).max() else {
        return Ok(());
    };
    let message = if total > 1 {
        format!("{} of {total} scenarios failed (see above)", failures.len())
    } else {
        String::new()
    };
    Err(Error::new(worst, message))
}

/// The folder a batch run's scenario folders go in.
fn batch_parent(args: &RunArgs) -> PathBuf {
    args.common
        .out
        .clone()
        .unwrap_or_else(|| PathBuf::from(files::DEFAULT_PARENT))
}

/// Writes a batch run's `manifest.json` beside its scenario folders: each scenario's folder
/// (relative), name, origin and status.
fn write_batch_index(args: &RunArgs, entries: Vec<IndexEntry>) -> Result<(), Error> {
    let parent = batch_parent(args);
    crate::output::create_dir(&parent)?;
    let index = Index {
        flowsim_version: env!("CARGO_PKG_VERSION").to_string(),
        kind: "batch".into(),
        params: Vec::new(),
        reference_point: None,
        files: Vec::new(),
        entries,
    };
    write_json(&parent.join(files::MANIFEST), &index)?;
    Ok(())
}

/// Loads, checks and runs one scenario (or this process's shard of it), then prints its table.
/// Fills in `entry`'s folder and scenario name once they are known.
fn run_one(
    path: Option<&Path>,
    args: &RunArgs,
    shard: Option<Shard>,
    several: bool,
    used_dirs: &mut BTreeSet<PathBuf>,
    entry: &mut IndexEntry,
) -> Result<(), Error> {
    let common = &args.common;
    let src = read_source(path)?;
    let (mut sc, text) = load_with_overrides(&src, &common.set)?;
    entry.scenario = Some(sc.model.name.clone());
    apply_overrides(&mut sc, common)?;
    common.guard(&src.origin, shard, &[&sc])?;
    let dir = match (&common.out, several) {
        (Some(o), false) => o.clone(),
        (Some(o), true) => o.join(component(&sc.model.name)?),
        (None, _) => Path::new(files::DEFAULT_PARENT).join(component(&sc.model.name)?),
    };
    if !used_dirs.insert(dir.clone()) {
        return Err(Error::bad_input(format!(
            "{}: another scenario in this run is also named `{}` and would be overwritten in {}; give the scenarios different `name`s",
            src.origin,
            sc.model.name,
            dir.display()
        )));
    }
    entry.folder = Some(
        dir.strip_prefix(batch_parent(args))
            .unwrap_or(&dir)
            .display()
            .to_string(),
    );
    if let Some(shard) = shard {
        if args.cards {
            return Err(Error::bad_input(
                "--cards cannot be combined with --shard yet (merge does not join cards.csv): run without --shard, or shard without --cards",
            ));
        }
        let msg = crate::shard::run_shard(&sc, &src, &text, common.shard_options(), &dir, shard)?;
        return print_out(&msg);
    }
    run_to_folder(&sc, &src, &text, &dir, args)
}

/// Runs a loaded scenario into a staged folder, renames it into place and prints its table.
fn run_to_folder(
    sc: &Scenario,
    src: &Source,
    text: &str,
    dir: &Path,
    args: &RunArgs,
) -> Result<(), Error> {
    let (common, charts) = (&args.common, &args.charts);
    let stage = Staged::begin(dir, common.force)?;
    announce_target(dir, stage.target());
    let pb = crate::report::progress_bar(u64::from(sc.settings.replications), common.quiet);
    pb.set_message(sc.model.name.clone());
    let finished = simulate_into(
        sc,
        src,
        text,
        &common.set,
        stage.path(),
        Workers {
            threads: common.threads,
            cards: args.cards,
        },
        &pb,
    );
    pb.finish_and_clear();
    let finished = finished?;
    if finished.interrupted(sc) {
        let done = stage.commit()?;
        return Err(Error::interrupted(format!(
            "Interrupted after {} of {} replications: the partial result is in {} (manifest.json says \"finished\": false, \"partial\": true; no charts). Run again to get the whole result.",
            finished.aggregates.reps,
            sc.settings.replications,
            done.display()
        )));
    }
    if crate::interrupt::requested() {
        // Every replication finished: keep the complete result, skip the charts.
        let done = stage.commit()?;
        return Err(Error::interrupted(format!(
            "Interrupted while finishing: every replication ran and {} is complete, but has no charts; draw them with `flowsim chart {}`.",
            done.display(),
            done.display()
        )));
    }
    draw_charts(stage.path(), text, charts)?;
    let done = stage.commit()?;
    print_out(&wrote_note(
        crate::report::render(sc, &finished, &done, args.all_metrics),
        dir,
        &done,
    ))
}

/// How [`simulate_into`] runs: on how many worker threads (all cores when `None`), and
/// whether it also writes `cards.csv`.
#[derive(Debug, Clone, Copy)]
pub(super) struct Workers {
    /// Worker threads.
    pub(super) threads: Option<usize>,
    /// Write `cards.csv` too.
    pub(super) cards: bool,
}

/// Runs a loaded scenario's experiment and writes every file of a result folder into `dir`
/// (with `cards`, `cards.csv` too):
/// the folder and the streaming files are created first, so a bad path fails before the first
/// replication.
///
/// Ctrl-C (once [`crate::interrupt::install`] has run) stops it early: the files then hold the
/// replications that finished, `manifest.json` says `partial`, and the returned aggregates have
/// fewer replications than asked for (see [`Finished::interrupted`]).
///
/// # Errors
/// A file cannot be written, or the thread pool cannot be built.
pub(super) fn simulate_into(
    sc: &Scenario,
    source: &Source,
    text: &str,
    set: &[String],
    dir: &Path,
    workers: Workers,
    progress: &indicatif::ProgressBar,
) -> Result<Finished, Error> {
    let Workers { threads, cards } = workers;
    let mut writer = ResultWriter::create_with(
        dir,
        sc,
        Provenance::of(source, text, set),
        Weekly::SpillWhenLarge,
    )?;
    if cards {
        writer.write_cards(sc)?;
    }
    let reps = 0..u64::from(sc.settings.replications);
    let stop = crate::interrupt::flag();
    let simulated = writer.tally().simulate(sc, reps, threads, stop, progress)?;
    Ok(writer.finish(Completion::Simulated {
        threads: simulated.threads,
        stopped: simulated.progress.stopped,
    })?)
}
