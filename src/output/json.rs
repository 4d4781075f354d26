//! `manifest.json`: what was run, by which flowsim, with which seed, and whether it finished.
//!
//! Written once before the first replication (`finished: false`) and again at the end, so a
//! folder left by an interrupted run says so.

use std::path::Path;

use serde::Serialize;
use sha2::{Digest, Sha256};

use super::OutputError;
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
    /// How percentiles across replications are computed.
    pub percentiles: String,
    /// The metric catalogue, in `replications.csv` column order.
    pub metrics: Vec<MetricEntry>,
    /// The weekly series, in `weekly.csv` order.
    pub weekly_series: Vec<SeriesEntry>,
    /// Only in a merged result: how many shards `flowsim merge` combined. Then `threads` is
    /// the most any shard used and `wall_time_s` the sum of the shards' simulation times.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub merged_shards: Option<u64>,
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

/// Writes the manifest (pretty JSON with a final newline).
///
/// # Errors
/// The file cannot be written.
pub fn write_manifest(path: &Path, m: &Manifest) -> Result<(), OutputError> {
    let mut text = serde_json::to_string_pretty(m).map_err(|e| OutputError::io(path, e))?;
    text.push('\n');
    std::fs::write(path, text).map_err(|e| OutputError::io(path, e))
}
