//! Command-line definitions (clap derive) and the commands behind them.
//!
//! Arguments are parsed into raw values by clap, then turned into a loaded, overridden and
//! validated [`Scenario`] per file; the commands then run experiments and write their output.

use std::collections::BTreeSet;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

use clap::{Parser, Subcommand};

use crate::experiment::{self, Aggregates};
use crate::output::csv::{
    ReplicationsWriter, SweepWriter, write_differences, write_summary, write_weekly,
};
use crate::output::json::{
    Manifest, SeriesEntry, metric_entries, percentile_method, sha256_hex, write_manifest,
};
use crate::output::{self, OutputError};
use crate::overrides;
use crate::scenario::{self, Scenario};
use crate::stats::Summary;

/// flowsim: compare push, pull and flow ways of working by Monte Carlo simulation.
#[derive(Debug, Parser)]
#[command(name = "flowsim", version, about)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run scenarios under each of their policies; print a side-by-side table and write
    /// summary.csv, differences.csv, replications.csv, weekly.csv and manifest.json.
    Run(RunArgs),
    /// Check the engine against queueing theory; exit code 1 if any check fails.
    Validate(ValidateArgs),
    /// Check scenario files without running them: prints `ok: FILE` for each valid one and
    /// every problem of the others; exits with 2 when any has a problem.
    Check(CheckArgs),
    /// Run a scenario at every point of a parameter grid (`--vary`, up to two) and write
    /// sweep.csv plus each point's own output under points/.
    Sweep(SweepArgs),
    /// Redraw the charts (charts/*.png, charts/*.svg) and report.html of a finished run or
    /// sweep from its CSV files, without simulating.
    Chart(ChartCmdArgs),
    /// Merge the shard folders of a run or sweep split with --shard K/N into the output one
    /// machine would have written (byte for byte, the manifest's timing aside).
    Merge(MergeArgs),
}

/// Chart options shared by `run` and `sweep`.
#[derive(Debug, Clone, clap::Args)]
pub struct ChartArgs {
    /// Do not draw charts or write report.html.
    #[arg(long)]
    pub no_charts: bool,
    /// Size of each chart in pixels, WIDTHxHEIGHT.
    #[arg(long, value_name = "WxH", default_value = "1600x900")]
    pub chart_size: crate::charts::ChartSize,
}

/// Arguments of `flowsim chart`.
#[derive(Debug, clap::Args)]
pub struct ChartCmdArgs {
    /// An output folder written by `flowsim run` or `flowsim sweep`.
    pub dir: PathBuf,
    /// Size of each chart in pixels, WIDTHxHEIGHT.
    #[arg(long, value_name = "WxH", default_value = "1600x900")]
    pub chart_size: crate::charts::ChartSize,
}

/// Arguments of `flowsim validate`.
#[derive(Debug, clap::Args)]
pub struct ValidateArgs {
    /// Folder for `validation.csv` (default: output/validation).
    #[arg(long)]
    pub out: Option<PathBuf>,
}

/// Arguments of `flowsim check`.
#[derive(Debug, clap::Args)]
pub struct CheckArgs {
    /// Scenario files (TOML) to check.
    #[arg(required = true)]
    pub scenarios: Vec<PathBuf>,
}

/// `flowsim check`: validates every file and reports all of their problems.
///
/// # Errors
/// A bad-input failure naming how many files have problems (their problems are already on
/// stderr).
pub fn check(args: &CheckArgs) -> Result<(), Failure> {
    let mut bad = 0;
    for path in &args.scenarios {
        match scenario::load_file(path) {
            Ok(_) => println!("ok: {}", path.display()),
            Err(e) => {
                bad += 1;
                eprint!("{e}");
            }
        }
    }
    if bad == 0 {
        Ok(())
    } else {
        Err(bad_input(format!(
            "{bad} of {} scenario file{} {} problems.",
            args.scenarios.len(),
            if args.scenarios.len() == 1 { "" } else { "s" },
            if bad == 1 { "has" } else { "have" }
        )))
    }
}

/// Options shared by `run` and `sweep`.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct CommonArgs {
    /// Replications per policy (default: the scenario's `run.replications`).
    #[arg(long)]
    pub reps: Option<u32>,
    /// Master seed (default: the scenario's `run.seed`).
    #[arg(long)]
    pub seed: Option<u64>,
    /// Policies to run, comma-separated; the first is the baseline of the paired differences
    /// (default: the scenario's `run.policies`).
    #[arg(long, value_delimiter = ',')]
    pub policies: Option<Vec<String>>,
    /// Worker threads (default: all cores). Results are identical whatever the count.
    #[arg(long)]
    pub threads: Option<usize>,
    /// Output folder (default: output/<scenario-name>/; with several scenarios, one
    /// sub-folder per scenario inside it).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Override a scenario field, e.g. `--set team.tester.count=3`,
    /// `--set stages.test.wip_limit=2`, `--set run.horizon_weeks=26`. Repeatable. The value is
    /// read as TOML (number, boolean, string, array), else as a plain string.
    #[arg(long = "set", value_name = "PATH=VALUE")]
    pub set: Vec<String>,
    /// No progress bar.
    #[arg(long, short)]
    pub quiet: bool,
    /// Run only shard K of N (numbered from 1) and write a shard folder,
    /// `<out>/shard-K-of-N/`, for `flowsim merge`; `auto` reads the index from a Slurm job
    /// array (SLURM_ARRAY_TASK_ID) or a Kubernetes Indexed Job (JOB_COMPLETION_INDEX).
    #[arg(long, value_name = "K/N|auto")]
    pub shard: Option<String>,
    /// The number of shards, for `--shard auto` where the scheduler does not say it
    /// (Kubernetes; or set FLOWSIM_SHARDS).
    #[arg(long, value_name = "N")]
    pub shards: Option<u64>,
    /// Replace an existing result folder (only once the new result is complete) instead of
    /// writing to a new numbered one, and run even beyond --max-events or --max-memory-mb.
    #[arg(long)]
    pub force: bool,
    /// Refuse a run predicted to need more simulation events than this (the whole run: every
    /// replication, policy and sweep point); --force runs it anyway.
    #[arg(long, value_name = "EVENTS", default_value_t = crate::guard::DEFAULT_MAX_EVENTS)]
    pub max_events: f64,
    /// Refuse a run predicted to need more memory than this many MiB; --force runs it anyway.
    #[arg(long, value_name = "MIB", default_value_t = crate::guard::DEFAULT_MAX_MEMORY_MB)]
    pub max_memory_mb: f64,
}

impl CommonArgs {
    /// The shard this process runs, if `--shard` was given.
    ///
    /// # Errors
    /// A bad `--shard`/`--shards`, or `auto` outside a job array.
    pub fn shard(&self) -> Result<Option<crate::shard::Shard>, Failure> {
        match &self.shard {
            None if self.shards.is_some() => Err(bad_input(
                "--shards needs --shard auto (or give --shard K/N alone)",
            )),
            None => Ok(None),
            Some(spec) => crate::shard::resolve(spec, self.shards, &|k| std::env::var(k).ok())
                .map(Some)
                .map_err(bad_input),
        }
    }

    /// Refuses a run whose predicted work or memory is beyond the limits, unless `--force`.
    ///
    /// # Errors
    /// A bad limit, or the estimate and how to proceed (exit code 2).
    fn guard(&self, what: &str, need: crate::guard::Need) -> Result<(), Failure> {
        for (flag, v) in [
            ("--max-events", self.max_events),
            ("--max-memory-mb", self.max_memory_mb),
        ] {
            if !(v.is_finite() && v > 0.0) {
                return Err(bad_input(format!(
                    "{flag} must be a positive number (got {v})"
                )));
            }
        }
        if self.force {
            return Ok(());
        }
        let limits = crate::guard::Limits {
            max_events: self.max_events,
            max_memory_mb: self.max_memory_mb,
        };
        crate::guard::check(what, need, limits).map_err(bad_input)
    }

    /// Worker threads a run will use.
    fn workers(&self) -> usize {
        self.threads
            .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, usize::from))
    }
}

/// Arguments of `flowsim merge`.
#[derive(Debug, clap::Args)]
pub struct MergeArgs {
    /// Shard folders written by `run --shard` or `sweep --shard` (or a folder holding them).
    #[arg(required = true, value_name = "SHARD_DIR")]
    pub shards: Vec<PathBuf>,
    /// Output folder for the merged result.
    #[arg(long, required = true)]
    pub out: PathBuf,
    /// Chart options.
    #[command(flatten)]
    pub charts: ChartArgs,
}

/// `flowsim merge`: checks that the shard folders belong together and writes what one
/// machine would have written.
///
/// # Errors
/// Shards that do not belong together (code 2) or output that cannot be written (code 1).
pub fn merge(args: &MergeArgs) -> Result<(), Failure> {
    let text = crate::shard::merge(&args.shards, &args.out, &args.charts)?;
    print_out(&text);
    Ok(())
}

/// Arguments of `flowsim run`.
#[derive(Debug, clap::Args)]
pub struct RunArgs {
    /// Scenario files (TOML) or folders of them. Without any, runs the built-in reference
    /// scenario.
    pub scenarios: Vec<PathBuf>,
    /// Shared options.
    #[command(flatten)]
    pub common: CommonArgs,
    /// Chart options.
    #[command(flatten)]
    pub charts: ChartArgs,
}

/// Arguments of `flowsim sweep`.
#[derive(Debug, clap::Args)]
pub struct SweepArgs {
    /// Scenario file (TOML). Without one, sweeps the built-in reference scenario.
    pub scenario: Option<PathBuf>,
    /// A parameter and its values: `PATH=1,2,4`, `PATH=1..10` or `PATH=1..10:2` (ranges include
    /// both ends). Give it twice for a grid.
    #[arg(long, value_name = "PATH=VALUES", required = true)]
    pub vary: Vec<String>,
    /// Shared options.
    #[command(flatten)]
    pub common: CommonArgs,
    /// Chart options.
    #[command(flatten)]
    pub charts: ChartArgs,
}

/// A failure that ends the program, with its exit code.
#[derive(Debug)]
pub struct Failure {
    /// Message for stderr.
    pub message: String,
    /// Exit code: 2 for bad input, 1 otherwise.
    pub code: i32,
}

pub(crate) fn bad_input(message: impl Into<String>) -> Failure {
    Failure {
        message: message.into(),
        code: 2,
    }
}

impl From<OutputError> for Failure {
    fn from(e: OutputError) -> Self {
        Failure {
            message: e.to_string(),
            code: 1,
        }
    }
}

/// Scenario text and where it came from.
#[derive(Debug, Clone)]
pub struct Source {
    /// The text as read.
    pub text: String,
    /// A path, or the reference scenario's name.
    pub origin: String,
}

/// Reads a scenario file, or the built-in reference when `path` is `None`.
///
/// # Errors
/// The file cannot be read.
pub fn read_source(path: Option<&Path>) -> Result<Source, Failure> {
    match path {
        None => Ok(Source {
            text: scenario::REFERENCE.to_string(),
            origin: scenario::REFERENCE_NAME.to_string(),
        }),
        Some(p) => std::fs::read_to_string(p)
            .map(|text| Source {
                text,
                origin: p.display().to_string(),
            })
            .map_err(|e| {
                bad_input(format!(
                    "{}: cannot read the scenario file: {e}; check the path",
                    p.display()
                ))
            }),
    }
}

/// Applies `--set` overrides to the text, then loads and validates it.
///
/// # Errors
/// A bad override or an invalid scenario.
pub fn load_with_overrides(src: &Source, set: &[String]) -> Result<(Scenario, String), Failure> {
    let text = overrides::apply_all(&src.text, set)
        .map_err(|e| bad_input(format!("{}: {e}", src.origin)))?;
    let sc = scenario::load_str(&text, &src.origin).map_err(|e| {
        let mut m = e.to_string();
        if !set.is_empty() {
            m.push_str(&format!(
                "  (after --set {}; line and column refer to the text as rewritten by them)\n",
                set.join(", --set ")
            ));
        }
        bad_input(m)
    })?;
    Ok((sc, text))
}

/// Loads the scenario named on the command line, or the reference one.
///
/// # Errors
/// The scenario's problems, as a bad-input failure.
pub fn load(path: Option<&PathBuf>) -> Result<Scenario, Failure> {
    let src = read_source(path.map(PathBuf::as_path))?;
    load_with_overrides(&src, &[]).map(|(sc, _)| sc)
}

/// Applies `--reps`, `--seed` and `--policies` to a loaded scenario.
///
/// # Errors
/// A policy name the scenario does not define.
pub fn apply_overrides(sc: &mut Scenario, args: &CommonArgs) -> Result<(), Failure> {
    if let Some(r) = args.reps {
        if r == 0 {
            return Err(bad_input("--reps must be at least 1."));
        }
        if r > crate::limits::MAX_REPLICATIONS {
            return Err(bad_input(format!(
                "--reps {r} is beyond the limit of {}; a few hundred replications give tight \
                 confidence intervals.",
                crate::limits::MAX_REPLICATIONS
            )));
        }
        sc.settings.replications = r;
    }
    if let Some(s) = args.seed {
        sc.settings.seed = s;
    }
    if let Some(names) = &args.policies {
        let mut chosen = Vec::new();
        for n in names {
            match sc.policies.iter().find(|p| &p.name == n) {
                Some(p) => chosen.push(p.clone()),
                None => {
                    let team = sc.model.people.len();
                    match crate::policy::Policy::preset(n, sc.model.stages.len(), team) {
                        Some(p) => chosen.push(p),
                        None => {
                            let known: Vec<&str> =
                                sc.policies.iter().map(|p| p.name.as_str()).collect();
                            return Err(bad_input(format!(
                                "--policies: `{n}` is neither a preset nor a policy of {}; known: {}",
                                sc.origin,
                                known.join(", ")
                            )));
                        }
                    }
                }
            }
        }
        sc.policies = chosen;
    }
    if sc.policies.is_empty() {
        return Err(bad_input(format!(
            "{}: no policy to run; list at least one in run.policies or with --policies",
            sc.origin
        )));
    }
    if args.threads == Some(0) {
        return Err(bad_input(
            "--threads must be at least 1 (leave it out to use all cores)",
        ));
    }
    Ok(())
}

/// Writes text to stdout; a closed pipe (`flowsim run | head`) is not an error.
pub(crate) fn print_out(text: &str) {
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(text.as_bytes()).and_then(|_| out.flush());
}

/// What one experiment produced.
#[derive(Debug)]
pub struct Finished {
    /// The aggregates.
    pub aggregates: Aggregates,
    /// Worker threads used.
    pub threads: usize,
    /// Wall time (seconds).
    pub wall_s: f64,
}

impl Finished {
    /// Whether Ctrl-C stopped the experiment before every replication ran.
    pub fn interrupted(&self, sc: &Scenario) -> bool {
        self.aggregates.reps < u64::from(sc.settings.replications)
    }
}

/// Runs a loaded scenario's experiment and writes every file into `dir`: the folder and the
/// streaming files are created first, so a bad path fails before the first replication.
///
/// Ctrl-C (once [`crate::interrupt::install`] has run) stops it early: the files then hold the
/// replications that finished, `manifest.json` says `partial`, and the returned aggregates have
/// fewer replications than asked for (see [`Finished::interrupted`]).
///
/// # Errors
/// A file cannot be written, or the thread pool cannot be built.
pub fn run_to_dir(
    sc: &Scenario,
    source: &Source,
    text: &str,
    set: &[String],
    dir: &Path,
    threads: Option<usize>,
    pb: &indicatif::ProgressBar,
) -> Result<Finished, Failure> {
    output::create_dir(dir)?;
    let name = sc.model.name.clone();
    let mut agg = Aggregates::new(sc);
    let reps = sc.settings.replications as u64;
    let mut manifest = manifest_for(sc, source, text, set, &agg);
    let manifest_path = dir.join("manifest.json");
    write_manifest(&manifest_path, &manifest)?;
    let mut rows = ReplicationsWriter::create(&dir.join("replications.csv"), &name, &agg)?;
    let start = Instant::now();
    let on_done = || pb.inc(1);
    let (result, used) = experiment::with_threads(threads, || {
        let stop = crate::interrupt::flag();
        let r = experiment::run_replications_until(sc, 0..reps, stop, &on_done, |rep, results| {
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
    let progress = result?;
    rows.finish()?;
    write_summary(&dir.join("summary.csv"), &name, &agg)?;
    write_differences(&dir.join("differences.csv"), &name, &agg)?;
    write_weekly(&dir.join("weekly.csv"), &name, &agg)?;
    let wall_s = start.elapsed().as_secs_f64();
    manifest.replications_done = agg.reps;
    manifest.threads = used;
    manifest.wall_time_s = wall_s;
    manifest.littles_law = littles_law(&agg);
    manifest.finished = !progress.stopped;
    manifest.partial = progress.stopped;
    if progress.stopped {
        manifest.interrupted = Some(format!(
            "interrupted (Ctrl-C) after {} of {reps} replications; every file holds only those",
            agg.reps
        ));
    }
    write_manifest(&manifest_path, &manifest)?;
    Ok(Finished {
        aggregates: agg,
        threads: used,
        wall_s,
    })
}

/// Little's law on each policy's own output (means across replications), for the manifest.
pub fn littles_law(agg: &crate::experiment::Aggregates) -> Vec<crate::output::json::LittleCheck> {
    let mean = |k: usize, name: &str| agg.metric_index(name).and_then(|m| agg.summary(k, m).mean);
    agg.policies
        .iter()
        .enumerate()
        .map(|(k, p)| {
            crate::output::json::little_check(
                p,
                mean(k, "wip_mean"),
                mean(k, "backlog_mean"),
                mean(k, "throughput_per_week"),
                mean(k, "lead_time_mean_h"),
            )
        })
        .collect()
}

/// The manifest of a run that has not started: `finished: false`, no replications done.
pub fn manifest_for(
    sc: &Scenario,
    source: &Source,
    text: &str,
    set: &[String],
    agg: &Aggregates,
) -> Manifest {
    Manifest {
        flowsim_version: env!("CARGO_PKG_VERSION").to_string(),
        scenario: sc.model.name.clone(),
        origin: source.origin.clone(),
        source_sha256: sha256_hex(&source.text),
        overrides: set.to_vec(),
        scenario_sha256: sha256_hex(text),
        seed: sc.settings.seed,
        replications: sc.settings.replications as u64,
        replications_done: 0,
        threads: 0,
        policies: agg.policies.clone(),
        wall_time_s: 0.0,
        finished: false,
        percentiles: percentile_method(),
        metrics: metric_entries(&agg.metrics),
        weekly_series: agg
            .weekly_series
            .iter()
            .map(|(n, u)| SeriesEntry {
                name: n.clone(),
                unit: u.to_string(),
            })
            .collect(),
        partial: false,
        interrupted: None,
        littles_law: Vec::new(),
        merged_shards: None,
    }
}

/// The side-by-side table and the headline sentences of one finished experiment.
pub fn render(sc: &Scenario, f: &Finished, dir: &Path) -> String {
    let agg = &f.aggregates;
    let summaries: Vec<Vec<Summary>> = (0..agg.policies.len())
        .map(|k| (0..agg.metrics.len()).map(|m| agg.summary(k, m)).collect())
        .collect();
    let names: Vec<&str> = agg.policies.iter().map(String::as_str).collect();
    let mut s = format!(
        "{} — {} replications per policy, seed {}, {} threads, {:.1} s\n",
        sc.model.name, agg.reps, sc.settings.seed, f.threads, f.wall_s
    );
    s.push_str("mean ±half-width of the 95% interval; - = undefined in every replication\n\n");
    s.push_str(&crate::report::table(&agg.metrics, &names, &summaries));
    let undefined: Vec<String> = agg
        .metrics
        .iter()
        .enumerate()
        .flat_map(|(m, info)| {
            agg.policies.iter().enumerate().filter_map(move |(k, p)| {
                let u = agg.per_metric[k][m].undefined;
                (u > 0).then(|| {
                    format!(
                        "  {} under {p}: undefined in {u} of {} replications",
                        info.name, agg.reps
                    )
                })
            })
        })
        .collect();
    if !undefined.is_empty() {
        s.push_str("\nNote: statistics use only the replications where a metric is defined:\n");
        s.push_str(&undefined.join("\n"));
        s.push('\n');
    }
    let lines = crate::report::headlines(agg);
    if !lines.is_empty() {
        s.push_str(&format!(
            "\nCompared with {} (same random numbers in every replication):\n",
            agg.policies[0]
        ));
        for l in lines {
            s.push_str(&format!("  {l}\n"));
        }
    }
    for c in littles_law(agg) {
        if c.status == "warning" {
            s.push_str(&format!(
                "\nWarning: Little's law is off by {:.1}% for {} (cards in system {:.2} against throughput x lead time {:.2}): the horizon is probably too short, or much work is unfinished at its end; lengthen run.horizon_weeks before trusting time averages.\n",
                c.relative_difference.unwrap_or(0.0) * 100.0,
                c.policy,
                c.cards_in_system.unwrap_or(0.0),
                c.throughput_x_lead_time.unwrap_or(0.0)
            ));
        }
    }
    s.push_str(&format!("\nWrote {}\n", dir.display()));
    s
}

/// Tells stderr when an existing result made the run choose a new numbered folder.
fn announce_target(wanted: &Path, target: &Path) {
    if wanted != target {
        eprintln!(
            "note: {} already holds a result; writing to {} instead (--force replaces it once the new result is complete)",
            wanted.display(),
            target.display()
        );
    }
}

/// Adds to the final "Wrote DIR" line why DIR is not the folder asked for.
fn wrote_note(mut text: String, wanted: &Path, done: &Path) -> String {
    if wanted != done {
        if text.ends_with('\n') {
            text.pop();
        }
        text.push_str(&format!(
            " ({} already held a result; --force replaces it)\n",
            wanted.display()
        ));
    }
    text
}

/// The failure of a run stopped by Ctrl-C whose partial result is in `dir`.
fn interrupted(done: u64, of: u64, dir: &Path) -> Failure {
    Failure {
        message: format!(
            "Interrupted after {done} of {of} replications: the partial result is in {} (manifest.json says \"finished\": false, \"partial\": true; no charts). Run again to get the whole result.",
            dir.display()
        ),
        code: crate::interrupt::EXIT_CODE,
    }
}

/// Expands folders into their `*.toml` files (sorted by name); files pass through.
fn expand(paths: &[PathBuf]) -> Vec<Result<PathBuf, Failure>> {
    let mut out = Vec::new();
    for p in paths {
        if p.is_dir() {
            let entries = match std::fs::read_dir(p) {
                Ok(e) => e,
                Err(e) => {
                    out.push(Err(bad_input(format!(
                        "{}: cannot list the folder: {e}",
                        p.display()
                    ))));
                    continue;
                }
            };
            let mut files: Vec<PathBuf> = entries
                .filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|f| f.is_file() && f.extension().is_some_and(|x| x == "toml"))
                .collect();
            files.sort();
            if files.is_empty() {
                out.push(Err(bad_input(format!(
                    "{}: the folder holds no .toml scenario files",
                    p.display()
                ))));
            }
            out.extend(files.into_iter().map(Ok));
        } else {
            out.push(Ok(p.clone()));
        }
    }
    out
}

/// `flowsim run`: every scenario is run and written; a failing one is reported and the others
/// still run. The exit code is non-zero if any failed.
///
/// # Errors
/// The worst failure, after all scenarios were tried (its message lists how many failed).
pub fn run(args: &RunArgs) -> Result<(), Failure> {
    let c = &args.common;
    let shard = c.shard()?;
    crate::interrupt::install();
    let items: Vec<Result<Option<PathBuf>, Failure>> = if args.scenarios.is_empty() {
        vec![Ok(None)]
    } else {
        expand(&args.scenarios)
            .into_iter()
            .map(|r| r.map(Some))
            .collect()
    };
    let several = items.len() > 1;
    let mut used_dirs = BTreeSet::new();
    let mut failures: Vec<Failure> = Vec::new();
    let total = items.len();
    for item in items {
        let result = item.and_then(|path| {
            let src = read_source(path.as_deref())?;
            let (mut sc, text) = load_with_overrides(&src, &c.set)?;
            apply_overrides(&mut sc, c)?;
                        // A shard is judged on its own share of the replications.
            let share = shard.map_or(1, |sh| sh.count);
            let reps = u64::from(sc.settings.replications).div_ceil(share);
            c.guard(&src.origin, crate::guard::need(&sc, reps, c.workers()))?;
            let dir = match (&c.out, several) {
                (Some(o), false) => o.clone(),
                (Some(o), true) => o.join(output::safe::component(&sc.model.name)?),
                (None, _) => Path::new("output").join(output::safe::component(&sc.model.name)?),
            };
            if !used_dirs.insert(dir.clone()) {
                return Err(bad_input(format!(
                    "{}: another scenario in this run is also named `{}` and would be overwritten in {}; give the scenarios different `name`s",
                    src.origin,
                    sc.model.name,
                    dir.display()
                )));
            }
            if let Some(shard) = shard {
                let msg = crate::shard::run_shard(&sc, &src, &text, c, &dir, shard)?;
                print_out(&msg);
                return Ok(());
            }
            let stage = output::safe::Staged::begin(&dir, c.force)?;
            announce_target(&dir, stage.target());
            let pb = crate::report::progress_bar(sc.settings.replications as u64, c.quiet);
            pb.set_message(sc.model.name.clone());
            let f = run_to_dir(&sc, &src, &text, &c.set, stage.path(), c.threads, &pb);
            pb.finish_and_clear();
            let f = f?;
            if f.interrupted(&sc) {
                let done = stage.commit()?;
                return Err(interrupted(
                    f.aggregates.reps,
                    u64::from(sc.settings.replications),
                    &done,
                ));
            }
            if crate::interrupt::requested() {
                // Every replication finished: keep the complete result, skip the charts.
                let done = stage.commit()?;
                return Err(Failure {
                    message: format!(
                        "Interrupted while finishing: every replication ran and {} is complete, but has no charts; draw them with `flowsim chart {}`.",
                        done.display(),
                        done.display()
                    ),
                    code: crate::interrupt::EXIT_CODE,
                });
            }
            draw_charts(stage.path(), &text, &args.charts)?;
            let done = stage.commit()?;
            print_out(&wrote_note(render(&sc, &f, &done), &dir, &done));
            Ok(())
        });
        if let Err(f) = result {
            let mut m = f.message.clone();
            if !m.ends_with('\n') {
                m.push('\n');
            }
            eprint!("{m}");
            failures.push(f);
        }
        if several {
            print_out("\n");
        }
        if crate::interrupt::requested() {
            break;
        }
    }
    if failures.is_empty() {
        return Ok(());
    }
    let code = failures.iter().map(|f| f.code).max().unwrap_or(1);
    Err(Failure {
        message: if total > 1 {
            format!("{} of {total} scenarios failed (see above)", failures.len())
        } else {
            String::new()
        },
        code,
    })
}

/// `flowsim sweep`: the scenario at every point of the grid, each with the same seed (common
/// random numbers across points as well as across policies).
///
/// # Errors
/// Bad input, or a file that cannot be written.
pub fn sweep(args: &SweepArgs) -> Result<(), Failure> {
    let c = &args.common;
    let shard = c.shard()?;
    crate::interrupt::install();
    if args.vary.len() > 2 {
        return Err(bad_input(
            "--vary may be given at most twice (a grid of two parameters)",
        ));
    }
    let mut params = Vec::new();
    let mut values = Vec::new();
    for v in &args.vary {
        let (p, vals) = overrides::parse_vary(v).map_err(|e| bad_input(e.0))?;
        params.push(p);
        values.push(vals);
    }
    // The grid: the first parameter varies slowest.
    let mut points: Vec<Vec<String>> = vec![Vec::new()];
    for vals in &values {
        points = points
            .into_iter()
            .flat_map(|pt| {
                vals.iter().map(move |v| {
                    let mut p = pt.clone();
                    p.push(v.clone());
                    p
                })
            })
            .collect();
    }
    if points.len() > overrides::MAX_VALUES {
        return Err(bad_input(format!(
            "the --vary grid has {} points; at most {} are allowed, use fewer values",
            points.len(),
            overrides::MAX_VALUES
        )));
    }
    let src = read_source(args.scenario.as_deref())?;
    // Load every point before running any, so a bad value fails at once.
    let mut loaded = Vec::new();
    for pt in &points {
        let mut set = c.set.clone();
        set.extend(params.iter().zip(pt).map(|(p, v)| format!("{p}={v}")));
        let (mut sc, text) = load_with_overrides(&src, &set).map_err(|f| Failure {
            message: format!(
                "sweep point {}:\n{}",
                params
                    .iter()
                    .zip(pt)
                    .map(|(p, v)| format!("{p}={v}"))
                    .collect::<Vec<_>>()
                    .join(", "),
                f.message
            ),
            code: f.code,
        })?;
        apply_overrides(&mut sc, c)?;
        loaded.push((sc, text, set));
    }
    let name = loaded[0].0.model.name.clone();
    let mut need = crate::guard::Need::default();
    for (sc, _, _) in &loaded {
        let share = shard.map_or(1, |sh| sh.count);
        let reps = u64::from(sc.settings.replications).div_ceil(share);
        let n = crate::guard::need(sc, reps, c.workers());
        need.events += n.events;
        need.bytes = need.bytes.max(n.bytes);
    }
    c.guard(
        &format!("{} ({} sweep points)", src.origin, points.len()),
        need,
    )?;
    let dir = match &c.out {
        Some(o) => o.clone(),
        None => Path::new("output").join(format!("{}-sweep", output::safe::component(&name)?)),
    };
    if let Some(shard) = shard {
        let plan = crate::shard::SweepPlan {
            source: &src,
            params: &params,
            points: &points,
            loaded: &loaded,
        };
        let msg = crate::shard::sweep_shard(&plan, c, &dir, shard)?;
        print_out(&msg);
        return Ok(());
    }
    let stage = output::safe::Staged::begin(&dir, c.force)?;
    announce_target(&dir, stage.target());
    let mut sweep_csv = SweepWriter::create(&stage.path().join("sweep.csv"), &params)?;
    let total: u64 = loaded
        .iter()
        .map(|(sc, _, _)| sc.settings.replications as u64)
        .sum();
    let pb = crate::report::progress_bar(total, c.quiet);
    pb.set_message(format!("{name} sweep"));
    let width = points.len().to_string().len();
    let mut lines = Vec::new();
    let mut stopped = None;
    for (i, ((sc, text, set), pt)) in loaded.iter().zip(&points).enumerate() {
        let point_dir = stage
            .path()
            .join("points")
            .join(format!("{:0width$}", i + 1));
        let f = run_to_dir(sc, &src, text, set, &point_dir, c.threads, &pb)?;
        if f.interrupted(sc) {
            stopped = Some((i, f.aggregates.reps, u64::from(sc.settings.replications)));
            break;
        }
        sweep_csv.write_point(&name, i + 1, pt, &f.aggregates)?;
        lines.push(sweep_line(i + 1, &params, pt, &f.aggregates));
        if crate::interrupt::requested() && i + 1 < points.len() {
            stopped = Some((i + 1, 0, u64::from(sc.settings.replications)));
            break;
        }
    }
    pb.finish_and_clear();
    sweep_csv.finish()?;
    if let Some((i, done, of)) = stopped {
        let note = format!(
            "Interrupted (Ctrl-C) at sweep point {} of {} after {done} of {of} of its replications: sweep.csv holds the {i} complete points only; points/ holds their folders and the partial point's, whose manifest.json says \"partial\": true. No charts were drawn.\n",
            i + 1,
            points.len()
        );
        let path = stage.path().join("INTERRUPTED.txt");
        std::fs::write(&path, &note).map_err(|e| OutputError::io(&path, e))?;
        let done_dir = stage.commit()?;
        return Err(Failure {
            message: format!("{}The partial sweep is in {}.", note, done_dir.display()),
            code: crate::interrupt::EXIT_CODE,
        });
    }
    draw_charts(stage.path(), &src.text, &args.charts)?;
    let done = stage.commit()?;
    let mut s = format!(
        "{name} sweep — {} points, seed {} at every point\nthroughput_per_week and lead_time_mean_h per policy (mean ±half-width of the 95% interval)\n",
        points.len(),
        loaded[0].0.settings.seed
    );
    for l in lines {
        s.push_str(&l);
        s.push('\n');
    }
    s.push_str(&format!("\nWrote {}\n", done.display()));
    print_out(&wrote_note(s, &dir, &done));
    Ok(())
}

impl From<crate::charts::ChartError> for Failure {
    fn from(e: crate::charts::ChartError) -> Self {
        let code = match e {
            crate::charts::ChartError::NotAnOutput(_) | crate::charts::ChartError::BadSize(_) => 2,
            _ => 1,
        };
        Failure {
            message: e.to_string(),
            code,
        }
    }
}

/// After a run's files are written: stores the scenario text and, unless `--no-charts`, draws
/// the charts and the report from the folder's files.
///
/// # Errors
/// A chart or the report cannot be drawn or written.
pub fn draw_charts(dir: &Path, scenario_text: &str, args: &ChartArgs) -> Result<(), Failure> {
    crate::charts::save_scenario_text(dir, scenario_text)?;
    if !args.no_charts {
        let opts = crate::charts::ChartOptions {
            size: args.chart_size,
        };
        crate::charts::draw_dir(dir, &opts)?;
    }
    Ok(())
}

/// `flowsim chart DIR`: redraws a finished run's or sweep's charts and report from its files.
///
/// # Errors
/// The folder is not an output folder, or a file cannot be read or written.
pub fn chart(args: &ChartCmdArgs) -> Result<(), Failure> {
    let opts = crate::charts::ChartOptions {
        size: args.chart_size,
    };
    let w = crate::charts::draw_dir(&args.dir, &opts)?;
    print_out(&format!(
        "Wrote {} chart files and {}\n",
        w.files.len(),
        w.report.display()
    ));
    Ok(())
}

fn sweep_line(i: usize, params: &[String], pt: &[String], agg: &Aggregates) -> String {
    let label: Vec<String> = params
        .iter()
        .zip(pt)
        .map(|(p, v)| format!("{p}={v}"))
        .collect();
    let mut s = format!("  {i:>3}  {}", label.join(" "));
    for (k, p) in agg.policies.iter().enumerate() {
        let cellof = |name: &str| {
            agg.metric_index(name).map_or("-".to_string(), |m| {
                let x = agg.summary(k, m);
                match (x.mean, x.ci95) {
                    (Some(mu), Some((lo, hi))) => format!(
                        "{} ±{}",
                        crate::report::cell(Some(mu)),
                        crate::report::cell(Some((hi - lo) / 2.0))
                    ),
                    (mu, _) => crate::report::cell(mu),
                }
            })
        };
        s.push_str(&format!(
            "  | {p}: {} cards/week, {} h",
            cellof("throughput_per_week"),
            cellof("lead_time_mean_h")
        ));
    }
    s
}
