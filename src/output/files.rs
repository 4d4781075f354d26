//! The name of every file and folder flowsim writes, defined once.
//!
//! Why it exists: a result folder is written by `run`, `sweep`, shards and `merge`, and read
//! back by `merge` and the charts; a name spelt twice is a name that can drift. Every writer and
//! reader takes its names from here.

/// The folder results go to when `--out` is not given: `output/<scenario-name>/`,
/// `output/<scenario-name>-sweep/`, `output/validation/`.
pub const DEFAULT_PARENT: &str = "output";
/// The folder under [`DEFAULT_PARENT`] for `flowsim validate`.
pub const VALIDATION_DIR: &str = "validation";

/// Per policy and metric: mean, 95% interval, percentiles.
pub const SUMMARY: &str = "summary.csv";
/// Paired differences of every pair of policies (each against the baseline first).
pub const DIFFERENCES: &str = "differences.csv";
/// One row per replication and policy (streamed as replications finish).
pub const REPLICATIONS: &str = "replications.csv";
/// `run --cards`: one row per card per replication and policy (streamed).
pub const CARDS: &str = "cards.csv";
/// A shard part's rows: [`REPLICATIONS`]' bytes, gzip-compressed.
pub const REPLICATIONS_GZ: &str = "replications.csv.gz";
/// Weekly series across replications.
pub const WEEKLY: &str = "weekly.csv";
/// Per-card lead and cycle times, summed over replications, as histogram buckets.
pub const CARD_TIMES: &str = "card_times.csv";
/// `flowsim forecast`: one row per policy (percentiles of the completion day, cards by a date).
pub const FORECAST: &str = "forecast.csv";
/// `flowsim forecast`: one row per replication and policy.
pub const FORECAST_RUNS: &str = "forecast_runs.csv";
/// `flowsim levers`: one row per lever and policy, ranked.
pub const LEVERS: &str = "levers.csv";
/// The suffix of `flowsim forecast`'s default folder: `output/<scenario>-forecast/`.
pub const FORECAST_SUFFIX: &str = "-forecast";
/// The suffix of `flowsim levers`' default folder: `output/<scenario>-levers/`.
pub const LEVERS_SUFFIX: &str = "-levers";
/// One row per sweep point and policy.
pub const SWEEP: &str = "sweep.csv";
/// Paired differences of each sweep point against the reference point.
pub const SWEEP_DIFFERENCES: &str = "sweep_differences.csv";
/// What was run, how, and whether it finished.
pub const MANIFEST: &str = "manifest.json";
/// The scenario text simulated, kept beside its results.
pub const SCENARIO: &str = "scenario.toml";
/// The self-contained HTML report.
pub const REPORT: &str = "report.html";
/// `flowsim forecast` and `flowsim levers`: the answer as the terminal gave it.
pub const ANSWER: &str = "answer.txt";
/// The folder of chart images.
pub const CHARTS: &str = "charts";
/// The folder holding one result folder per sweep point (see [`point_folder`]).
pub const POINTS: &str = "points";
/// The note left in a sweep folder stopped by Ctrl-C.
pub const INTERRUPTED: &str = "INTERRUPTED.txt";
/// The table of `flowsim validate`.
pub const VALIDATION: &str = "validation.csv";
/// The identity file at the top of a shard folder.
pub const SHARD: &str = "shard.json";
/// The file describing one part of a shard (one scenario run's share).
pub const PART: &str = "part.json";
/// The weekly partial aggregates of a part (gzip-compressed text).
pub const WEEKLY_PARTIAL: &str = "weekly_partial.txt.gz";
/// A long run's weekly series while it runs (raw `f64` rows, one per replication), inside the
/// folder being written; removed as soon as it is opened (Unix) or when the run's aggregates
/// are let go, so it never remains in a result.
pub const WEEKLY_SPILL: &str = ".weekly.spill";

/// The folder name of sweep point `i` (0-based) of `n` under [`POINTS`]: 1-based and
/// zero-padded to the width of `n`, so that a listing is in point order (`01` … `12`).
pub fn point_folder(i: usize, n: usize) -> String {
    let width = n.to_string().len();
    format!("{:0width$}", i + 1)
}

/// The folder name of shard `index` (1-based) of `count`, zero-padded so that a glob lists
/// shards in order: `shard-03-of-16`.
pub fn shard_folder(index: u64, count: u64) -> String {
    let width = count.to_string().len();
    format!("shard-{index:0width$}-of-{count}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folders_sort_in_order() {
        assert_eq!(point_folder(0, 9), "1");
        assert_eq!(point_folder(2, 12), "03");
        assert_eq!(shard_folder(3, 16), "shard-03-of-16");
    }
}
