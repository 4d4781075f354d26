//! Command-line definitions (clap derive), and nothing else.
//!
//! Arguments are parsed here into raw values as given; [`crate::commands`] turns them into
//! loaded, overridden and validated scenarios and runs them. Keeping the definitions apart
//! keeps `--help` reviewable in one place.

use std::path::PathBuf;

use clap::{Parser, Subcommand};

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
    /// Print the JSON Schema of the scenario format, for editors that complete and check TOML
    /// (Even Better TOML / Taplo, JetBrains): `flowsim schema > flowsim.schema.json`.
    Schema,
    /// Run a scenario at every point of a parameter grid (`--vary`, up to two) and write
    /// sweep.csv plus each point's own output under points/.
    Sweep(SweepArgs),
    /// Redraw the charts (charts/*.png, charts/*.svg) and report.html of a finished run or
    /// sweep (or the chart of a forecast or levers folder) from its CSV files, without
    /// simulating.
    Chart(ChartCmdArgs),
    /// Merge the shard folders of a run or sweep split with --shard K/N into the output one
    /// machine would have written (byte for byte, the manifest's timing aside).
    Merge(MergeArgs),
    /// When will a backlog of N cards be done? The spread over replications of the day the last
    /// of them is done, per policy (50th, 85th, 95th percentiles in working days and weeks, and
    /// dates with --start); with --by or --by-weeks, how many cards are done by then. Writes
    /// forecast.csv, forecast_runs.csv and a chart.
    #[command(long_about = FORECAST_ABOUT)]
    Forecast(ForecastArgs),
    /// Which lever moves lead time and throughput most? Runs one-step variants of the scenario
    /// (a person more or fewer per role, effort +-20% per stage, WIP limits +-1, arrivals
    /// +-10%, sickness +-50%, unbiased estimates) on common random numbers against the
    /// unchanged scenario, and ranks them. Writes levers.csv and a tornado chart.
    #[command(long_about = LEVERS_ABOUT)]
    Levers(LeversArgs),
    /// A live page for a workshop: controls for the levers, push, pull and flow side by side,
    /// re-run on every change. Local only unless --listen says otherwise; Ctrl-C stops it.
    Serve(ServeArgs),
}

const FORECAST_ABOUT: &str = "\
When will a backlog of N cards be done?

Steps:
  1. The backlog is the scenario's arrivals.initial_backlog, or --cards N. Further arrivals go
     on as the scenario says, unless --no-arrivals removes them (regular and expedite).
  2. Every replication of every policy runs until the last of the N backlog cards is done. A
     replication that has not finished them by the horizon runs again with the horizon doubled
     (up to 4 times); one still unfinished is reported as such (\"k of R runs had not
     finished\"), never dropped.
  3. The day the last card is done is counted in working days of the scenario's calendar (the
     working day it falls in, from 1), and in weeks of working days. Percentiles are over
     replications: \"85% of runs finish within 23 working days\" means 85% of the runs had
     finished by the end of working day 23.
  4. With --start DATE, working days become dates: Monday to Friday in a 5-day week (no
     holidays); every day in 24/7 mode.
  5. With --by DATE (needs --start) or --by-weeks W: the cards done (all cards, arrivals
     included) by the end of that day or week; \"85% of runs have done at least 52 cards\":
     52 is the number that 85% of runs reach or exceed.

Writes forecast.csv (one row per policy; columns name their unit), forecast_runs.csv (one row
per replication and policy), scenario.toml and charts/forecast.{svg,png} into the output folder
(default output/<scenario>-forecast/).";

const LEVERS_ABOUT: &str = "\
Which lever moves lead time and throughput most?

Steps:
  1. The unchanged scenario runs its replications under each policy (--policies to choose).
  2. Each lever is a variant of the scenario written as --set assignments (shown in
     levers.csv): one more person in each role, one fewer where a role has more than one;
     each stage's effort scaled by 0.8 and 1.2 (every time parameter of its distribution);
     each stage's wip_limit, where set, one lower (if above 1) and one higher; the arrival rate
     10% lower and higher; every sick_chance_per_day halved and raised by half (if any);
     estimates.bias set to 1 (if the scenario sets another bias).
  3. Each variant runs the same replications with the same seed: common random numbers, so
     card i has the same efforts and arrival in both, and the effect of the lever is the paired
     difference per replication (variant minus unchanged), with a Student-t 95% interval;
     relative changes use the delta method for a ratio of means.
  4. Levers are ranked by the size of their relative effect on mean lead time, per policy; the
     lever that shortens lead time most, and the best role for one more person, are named.

Writes levers.csv (one row per lever and policy, ranked), scenario.toml and
charts/levers.{svg,png} into the output folder (default output/<scenario>-levers/).";

/// Chart options shared by `run` and `sweep`.
#[derive(Debug, Clone, clap::Args)]
pub struct ChartArgs {
    /// Do not draw charts or write report.html.
    #[arg(long)]
    pub no_charts: bool,
    /// Size of each chart in pixels, WIDTHxHEIGHT.
    #[arg(long, value_name = "WxH", default_value = "1600x900")]
    pub chart_size: crate::charts::ChartSize,
    /// Weeks the cumulative flow diagram shows: the last N weeks of the horizon (all of it
    /// when shorter).
    #[arg(long, value_name = "N", default_value_t = crate::charts::DEFAULT_CFD_WEEKS,
          value_parser = clap::value_parser!(u32).range(1..=5200))]
    pub cfd_weeks: u32,
}

/// Arguments of `flowsim chart`.
#[derive(Debug, clap::Args)]
pub struct ChartCmdArgs {
    /// An output folder written by `flowsim run`, `sweep`, `forecast` or `levers`.
    pub dir: PathBuf,
    /// Size of each chart in pixels, WIDTHxHEIGHT.
    #[arg(long, value_name = "WxH", default_value = "1600x900")]
    pub chart_size: crate::charts::ChartSize,
    /// Weeks the cumulative flow diagram shows: the last N weeks of the horizon (all of it
    /// when shorter).
    #[arg(long, value_name = "N", default_value_t = crate::charts::DEFAULT_CFD_WEEKS,
          value_parser = clap::value_parser!(u32).range(1..=5200))]
    pub cfd_weeks: u32,
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
    /// Scenario files (TOML) to check, or folders of them (every `*.toml` inside).
    #[arg(required = true)]
    pub scenarios: Vec<PathBuf>,
}

/// Options shared by `run`, `sweep`, `forecast` and `levers`.
#[derive(Debug, Clone, clap::Args)]
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

/// Splitting a run or sweep over machines: only `run` and `sweep` take these.
#[derive(Debug, Clone, clap::Args)]
pub struct ShardArgs {
    /// Run only shard K of N (numbered from 1) and write a shard folder,
    /// `<out>/shard-K-of-N/`, for `flowsim merge`; `auto` reads the index from a Slurm job
    /// array (SLURM_ARRAY_TASK_ID) or a Kubernetes Indexed Job (JOB_COMPLETION_INDEX).
    #[arg(long, value_name = "K/N|auto")]
    pub shard: Option<String>,
    /// The number of shards, for `--shard auto` where the scheduler does not say it
    /// (Kubernetes; or set FLOWSIM_SHARDS).
    #[arg(long, value_name = "N")]
    pub shards: Option<u64>,
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
    /// Sweeps only: the reference point of `sweep_differences.csv`, as `sweep --reference`
    /// (default the first point).
    #[arg(long, value_name = "POINT")]
    pub reference: Vec<String>,
    /// Print every metric in the terminal table (see `run --all-metrics`).
    #[arg(long)]
    pub all_metrics: bool,
    /// Chart options.
    #[command(flatten)]
    pub charts: ChartArgs,
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
    /// Sharding options.
    #[command(flatten)]
    pub sharding: ShardArgs,
    /// Print every metric in the terminal table, in the files' units (hours), not only the
    /// headline metrics that apply to this scenario (summary.csv always has them all).
    #[arg(long)]
    pub all_metrics: bool,
    /// Also write cards.csv: one row per card per replication and policy (arrival,
    /// commitment, start and done hours, lead and cycle time, class, due date, blocked hours,
    /// rework count, censored), streamed as replications finish.
    #[arg(long)]
    pub cards: bool,
    /// Chart options.
    #[command(flatten)]
    pub charts: ChartArgs,
}

/// Arguments of `flowsim forecast`.
#[derive(Debug, clap::Args)]
pub struct ForecastArgs {
    /// Scenario file (TOML). Without one, forecasts the built-in reference scenario.
    pub scenario: Option<PathBuf>,
    /// Cards in the backlog to forecast (cards; default: the scenario's
    /// `arrivals.initial_backlog`).
    #[arg(long, value_name = "N")]
    pub cards: Option<u32>,
    /// No arrivals beyond the backlog (regular and expedite): "when will these N be done?".
    #[arg(long)]
    pub no_arrivals: bool,
    /// The first working day, YYYY-MM-DD: turns working days into dates (weekends skipped in
    /// a 5-day week; no holidays).
    #[arg(long, value_name = "YYYY-MM-DD")]
    pub start: Option<String>,
    /// Also count the cards done by the end of this day, YYYY-MM-DD (needs --start).
    #[arg(long, value_name = "YYYY-MM-DD", conflicts_with = "by_weeks")]
    pub by: Option<String>,
    /// Also count the cards done by the end of week W (weeks from the start).
    #[arg(long, value_name = "W")]
    pub by_weeks: Option<f64>,
    /// Shared options.
    #[command(flatten)]
    pub common: CommonArgs,
    /// Chart options.
    #[command(flatten)]
    pub charts: ChartArgs,
}

/// Arguments of `flowsim levers`.
#[derive(Debug, clap::Args)]
pub struct LeversArgs {
    /// Scenario file (TOML). Without one, uses the built-in reference scenario.
    pub scenario: Option<PathBuf>,
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
    /// The point `sweep_differences.csv` compares every other point with: its number (1 is
    /// the first point, the default) or its values as `PATH=VALUE` (give it once per varied
    /// parameter needed to pick one point, e.g. `--reference stages.dev.wip_limit=4`).
    #[arg(long, value_name = "POINT")]
    pub reference: Vec<String>,
    /// Shared options.
    #[command(flatten)]
    pub common: CommonArgs,
    /// Sharding options.
    #[command(flatten)]
    pub sharding: ShardArgs,
    /// Chart options.
    #[command(flatten)]
    pub charts: ChartArgs,
}

/// Arguments of `flowsim serve`.
#[derive(Debug, clap::Args)]
pub struct ServeArgs {
    /// Scenario file (TOML). Without one, the built-in reference scenario.
    pub scenario: Option<PathBuf>,
    /// Address to listen on; the default is this machine only. `0.0.0.0:8080` opens the page to
    /// the room's network; port 0 picks a free port.
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8080")]
    pub listen: String,
    /// Replications of a full run, when a control is released (default: the scenario's
    /// `run.replications`, at most the page's limit).
    #[arg(long)]
    pub reps: Option<u32>,
    /// Worker threads for the simulations (default: all cores).
    #[arg(long)]
    pub threads: Option<usize>,
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::*;

    #[test]
    fn the_definitions_are_consistent() {
        Cli::command().debug_assert();
    }
}
