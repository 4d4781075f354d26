//! `manifest.json`: what was run, by which flowsim, with which seed, and whether it finished.
//!
//! Written once before the first replication (`finished: false`) and again at the end, so a
//! folder left by an interrupted run says so.

use std::path::Path;

use serde::Serialize;
use sha2::{Digest, Sha256};

use super::OutputError;
use crate::experiment::Aggregates;
use crate::metrics::MetricInfo;
use crate::stats::{SKETCH_ALPHA, SKETCH_EXACT};

/// One metric in the manifest's catalogue.
#[derive(Debug, Clone, Serialize)]
pub struct MetricEntry {
    /// Stable snake_case identifier (a column of `replications.csv`).
    pub name: String,
    /// Unit.
    pub unit: String,
    /// Meaning.
    pub description: String,
}

/// One weekly series in the manifest.
#[derive(Debug, Clone, Serialize)]
pub struct SeriesEntry {
    /// Identifier (the `series` column of `weekly.csv`).
    pub name: String,
    /// Unit.
    pub unit: String,
}

/// The manifest of one run (or one sweep point).
#[derive(Debug, Clone, Serialize)]
pub struct Manifest {
    /// flowsim's version (Cargo package version).
    pub flowsim_version: String,
    /// Scenario name.
    pub scenario: String,
    /// Where the scenario came from (a path or the built-in reference).
    pub origin: String,
    /// SHA-256 (hex) of the scenario text as read from the file.
    pub source_sha256: String,
    /// `--set` overrides applied to it, in order (`path=value`).
    pub overrides: Vec<String>,
    /// SHA-256 (hex) of the scenario text actually simulated (after overrides).
    pub scenario_sha256: String,
    /// The data files the scenario read (replayed history, empirical efforts), each with the
    /// SHA-256 of its bytes; absent when it read none.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub data_files: Vec<crate::scenario::DataFile>,
    /// Master seed.
    pub seed: u64,
    /// Replications per policy asked for.
    pub replications: u64,
    /// Replications per policy completed.
    pub replications_done: u64,
    /// Worker threads used.
    pub threads: usize,
    /// Policies in order; the first is the baseline of `differences.csv`.
    pub policies: Vec<String>,
    /// Wall-clock time of the simulation and aggregation (seconds).
    pub wall_time_s: f64,
    /// Whether every replication ran and every file was written.
    pub finished: bool,
    /// Whether the run was stopped early (Ctrl-C): the files hold only the first
    /// `replications_done` replications.
    pub partial: bool,
    /// Why the run is partial, in words (absent when it is not).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub interrupted: Option<String>,
    /// How percentiles across replications are computed.
    pub percentiles: String,
    /// The metric catalogue, in `replications.csv` column order.
    pub metrics: Vec<MetricEntry>,
    /// The weekly series, in `weekly.csv` order.
    pub weekly_series: Vec<SeriesEntry>,
    /// Little's law checked on this run's own output, per policy (empty until finished).
    pub littles_law: Vec<LittleCheck>,
    /// Only in a merged result: how many shards `flowsim merge` combined. Then `threads` is
    /// the most any shard used and `wall_time_s` the sum of the shards' simulation times.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub merged_shards: Option<u64>,
}

/// Little's law on one policy's output: time-average cards in the system (committed plus
/// backlog) against throughput x mean lead time, both means across replications.
#[derive(Debug, Clone, Serialize)]
pub struct LittleCheck {
    /// Policy name.
    pub policy: String,
    /// Time-average cards in the system, L (cards).
    pub cards_in_system: Option<f64>,
    /// Throughput x mean lead time, lambda x W (cards).
    pub throughput_x_lead_time: Option<f64>,
    /// |L - lambda W| / L.
    pub relative_difference: Option<f64>,
    /// `holds` (within 5%), `warning` (the horizon is probably too short, or much work is
    /// unfinished at the horizon) or `undefined` (nothing finished).
    pub status: String,
}

/// Tolerance of the Little's-law check.
pub const LITTLE_TOLERANCE: f64 = 0.05;

/// Checks Little's law from per-policy means (cards, cards per week, hours).
pub fn little_check(
    policy: &str,
    wip: Option<f64>,
    backlog: Option<f64>,
    throughput_per_week: Option<f64>,
    lead_time_h: Option<f64>,
) -> LittleCheck {
    let l = match (wip, backlog) {
        (Some(w), Some(b)) => Some(w + b),
        _ => None,
    };
    let lw = match (throughput_per_week, lead_time_h) {
        (Some(t), Some(w)) => Some(t / crate::model::HOURS_PER_WEEK * w),
        _ => None,
    };
    let rel = match (l, lw) {
        (Some(l), Some(lw)) if l > 0.0 => Some((l - lw).abs() / l),
        _ => None,
    };
    let status = match rel {
        Some(r) if r <= LITTLE_TOLERANCE => "holds",
        Some(_) => "warning",
        None => "undefined",
    };
    LittleCheck {
        policy: policy.to_string(),
        cards_in_system: l,
        throughput_x_lead_time: lw,
        relative_difference: rel,
        status: status.to_string(),
    }
}

/// Hex SHA-256 of a text.
pub fn sha256_hex(text: &str) -> String {
    let d = Sha256::digest(text.as_bytes());
    d.iter().map(|b| format!("{b:02x}")).collect()
}

/// The percentile method, in words, for the manifest.
pub fn percentile_method() -> String {
    format!(
        "exact (linear interpolation, type 7) up to {SKETCH_EXACT} replications; beyond, a logarithmic-bucket sketch with relative accuracy {SKETCH_ALPHA}"
    )
}

/// Catalogue entries for the manifest.
pub fn metric_entries(cat: &[MetricInfo]) -> Vec<MetricEntry> {
    cat.iter()
        .map(|m| MetricEntry {
            name: m.name.clone(),
            unit: m.unit.to_string(),
            description: m.description.clone(),
        })
        .collect()
}

/// Little's law on each policy's own output (means across replications), for the manifest and
/// the terminal's warning.
pub fn littles_law(agg: &Aggregates) -> Vec<LittleCheck> {
    let mean = |k: usize, name: &str| agg.metric_index(name).and_then(|m| agg.summary(k, m).mean);
    agg.policies
        .iter()
        .enumerate()
        .map(|(k, p)| {
            little_check(
                p,
                mean(k, "wip_mean"),
                mean(k, "backlog_mean"),
                mean(k, "throughput_per_week"),
                mean(k, "lead_time_mean_h"),
            )
        })
        .collect()
}

/// The top-level `manifest.json` of a folder holding several result folders (a sweep's points,
/// a batch run's scenarios): an index of the folders written.
#[derive(Debug, Clone, Serialize)]
pub struct Index {
    /// flowsim's version.
    pub flowsim_version: String,
    /// `sweep` or `batch`.
    pub kind: String,
    /// Sweep only: the varied parameters, in column order.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub params: Vec<String>,
    /// Sweep only: the reference point of `sweep_differences.csv` (1-based).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reference_point: Option<usize>,
    /// Sweep only: the files at the top of the folder.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub files: Vec<String>,
    /// One entry per result folder, in the order they were run.
    pub entries: Vec<IndexEntry>,
}

/// One result folder in an [`Index`].
#[derive(Debug, Clone, Serialize)]
pub struct IndexEntry {
    /// The folder, relative to the index (`points/03`, `small-team`); absent when the scenario
    /// failed before a folder was chosen.
    pub folder: Option<String>,
    /// The scenario's name, when it was read.
    pub scenario: Option<String>,
    /// Where the scenario came from (a path or the built-in reference).
    pub origin: String,
    /// Sweep only: the point (1-based) and its values, `PATH=VALUE` each.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub point: Option<usize>,
    /// Sweep only: the point's `PATH=VALUE` assignments.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub values: Vec<String>,
    /// Sweep only: the earlier point (1-based) whose results this point reused for the policies
    /// its varied paths do not touch (the same numbers as simulating them again).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reused_point: Option<usize>,
    /// Sweep only, with `reused_point`: the policies this point simulated itself.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub simulated_policies: Vec<String>,
    /// `finished`, `partial` (stopped by Ctrl-C; its own manifest says how far it got),
    /// `failed` (see `error`) or `not run` (stopped before it).
    pub status: String,
    /// Why it failed, in words.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl IndexEntry {
    /// An entry for a scenario from `origin` with `status`, nothing else known yet.
    pub fn new(origin: &str, status: &str) -> Self {
        IndexEntry {
            folder: None,
            scenario: None,
            origin: origin.to_string(),
            point: None,
            values: Vec::new(),
            reused_point: None,
            simulated_policies: Vec::new(),
            status: status.to_string(),
            error: None,
        }
    }
}

/// Writes a value as pretty JSON with a final newline (`manifest.json`, `shard.json`,
/// `part.json`).
///
/// # Errors
/// The file cannot be written.
pub fn write_json<T: Serialize>(path: &Path, value: &T) -> Result<(), OutputError> {
    let mut text = serde_json::to_string_pretty(value).map_err(|e| OutputError::io(path, e))?;
    text.push('\n');
    std::fs::write(path, text).map_err(|e| OutputError::io(path, e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn little_check_holds_warns_and_is_undefined() {
        // L = 4 + 1 = 5 cards; lambda = 16.8 cards/week = 0.1 /h; W = 50 h: lambda W = 5.
        let ok = little_check("p", Some(4.0), Some(1.0), Some(16.8), Some(50.0));
        assert_eq!(ok.status, "holds");
        assert!(ok.relative_difference.unwrap() < 1e-12);
        let off = little_check("p", Some(4.0), Some(1.0), Some(16.8), Some(40.0));
        assert_eq!(off.status, "warning");
        assert!((off.relative_difference.unwrap() - 0.2).abs() < 1e-12);
        let none = little_check("p", Some(4.0), Some(1.0), Some(0.0), None);
        assert_eq!(none.status, "undefined");
    }
}
