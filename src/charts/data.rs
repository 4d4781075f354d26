//! The typed, in-memory form of an output folder, read back from its files.
//!
//! Charts are drawn from these files rather than from the experiment's live aggregates, so that
//! `flowsim chart DIR` redraws a finished run byte for byte without simulating, and so that a
//! folder written by an older or newer flowsim (with more or fewer series) still draws what it
//! holds. Every lookup is by name; a missing series or metric is `None`, never a panic.

use crate::output::files;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::ChartError;

/// Mean, interval and percentiles of one quantity across replications (a row of `summary.csv`,
/// `sweep.csv` or `differences.csv`). Undefined cells are `None`.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Stat {
    /// Mean across replications (in the metric's unit).
    pub mean: Option<f64>,
    /// Lower end of the 95% confidence interval of the mean.
    pub ci95_low: Option<f64>,
    /// Upper end of the 95% confidence interval of the mean.
    pub ci95_high: Option<f64>,
    /// 5th percentile across replications.
    pub p05: Option<f64>,
    /// Median across replications.
    pub p50: Option<f64>,
    /// 95th percentile across replications.
    pub p95: Option<f64>,
    /// Replications where the value is defined.
    pub reps: u64,
}

/// One row of `summary.csv`.
#[derive(Debug, Clone, PartialEq)]
pub struct SummaryRow {
    /// Policy name.
    pub policy: String,
    /// Metric identifier (e.g. `throughput_per_week`).
    pub metric: String,
    /// Unit of the metric.
    pub unit: String,
    /// Statistics across replications.
    pub stat: Stat,
}

/// One row of `differences.csv`: policy minus baseline, paired across replications.
#[derive(Debug, Clone, PartialEq)]
pub struct DiffRow {
    /// The baseline policy.
    pub baseline: String,
    /// The compared policy.
    pub policy: String,
    /// Metric identifier.
    pub metric: String,
    /// Unit of the metric (of the absolute difference).
    pub unit: String,
    /// The absolute difference `policy - baseline`.
    pub stat: Stat,
    /// Relative difference `mean(policy) / mean(baseline) - 1` and its 95% interval.
    pub rel: Option<(f64, f64, f64)>,
}

/// One week of one weekly series of one policy, across replications. Values are kept as
/// `f64` with NaN for an empty cell (48 bytes a point instead of 88 with `Option<f64>`s: a long
/// horizon holds weeks x series of them); read them through the methods.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct WeekPoint {
    /// Week number, from 1.
    pub week: u32,
    /// Mean, 5th percentile, median, 95th percentile across replications, and the value in
    /// replication 1 alone (`rep1`; absent in folders written before it); NaN where empty.
    values: [f64; 5],
}

impl WeekPoint {
    /// A point from its cells (`None` for an empty cell).
    pub fn new(week: u32, cells: [Option<f64>; 5]) -> Self {
        WeekPoint {
            week,
            values: cells.map(|c| c.filter(|x| x.is_finite()).unwrap_or(f64::NAN)),
        }
    }

    fn get(&self, i: usize) -> Option<f64> {
        Some(self.values[i]).filter(|x| !x.is_nan())
    }

    /// Mean across replications.
    pub fn mean(&self) -> Option<f64> {
        self.get(0)
    }

    /// 5th percentile across replications.
    pub fn p05(&self) -> Option<f64> {
        self.get(1)
    }

    /// Median across replications.
    pub fn p50(&self) -> Option<f64> {
        self.get(2)
    }

    /// 95th percentile across replications.
    pub fn p95(&self) -> Option<f64> {
        self.get(3)
    }

    /// The value in replication 1 alone.
    pub fn rep1(&self) -> Option<f64> {
        self.get(4)
    }
}

/// One row of `card_times.csv`: the cards of one policy whose lead or cycle time fell in one
/// histogram bucket, summed over replications.
#[derive(Debug, Clone, PartialEq)]
pub struct CardTimeRow {
    /// Policy name.
    pub policy: String,
    /// `lead_time` or `cycle_time`.
    pub measure: String,
    /// Lower edge of the bucket (hours).
    pub low_h: f64,
    /// Upper edge of the bucket (hours).
    pub high_h: f64,
    /// Cards (summed over replications).
    pub cards: f64,
}

/// `weekly.csv`: series in file order (catalogue order, so `cards_<stage>` are in board order).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Weekly {
    /// Series names in order of first appearance, with their units.
    pub series: Vec<(String, String)>,
    /// `(policy, series)` to its points, in week order.
    pub points: BTreeMap<(String, String), Vec<WeekPoint>>,
}

impl Weekly {
    /// The points of one series under one policy (empty when absent).
    pub fn get(&self, policy: &str, series: &str) -> &[WeekPoint] {
        self.points
            .get(&(policy.to_string(), series.to_string()))
            .map_or(&[], Vec::as_slice)
    }

    /// Whether the folder holds a series of this name.
    pub fn has(&self, series: &str) -> bool {
        self.series.iter().any(|(s, _)| s == series)
    }

    /// Stage names for the cumulative flow diagram, in board order (from `cards_<stage>`).
    pub fn stages(&self) -> Vec<String> {
        self.series
            .iter()
            .filter_map(|(s, _)| s.strip_prefix("cards_").map(str::to_string))
            .collect()
    }

    /// Number of weeks (the largest week number present).
    pub fn weeks(&self) -> u32 {
        self.points
            .values()
            .flat_map(|v| v.iter().map(|p| p.week))
            .max()
            .unwrap_or(0)
    }
}

/// One row of `sweep.csv`.
#[derive(Debug, Clone, PartialEq)]
pub struct SweepRow {
    /// Point number, from 1.
    pub point: u32,
    /// The varied parameters' values at this point, in column order.
    pub values: Vec<String>,
    /// Policy name.
    pub policy: String,
    /// Metric identifier.
    pub metric: String,
    /// Unit.
    pub unit: String,
    /// Statistics across replications.
    pub stat: Stat,
}

/// `sweep.csv`: the varied parameters and every row.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Sweep {
    /// The varied parameter paths (e.g. `stages.test.wip_limit`), in column order.
    pub params: Vec<String>,
    /// Rows in file order.
    pub rows: Vec<SweepRow>,
}

/// What the manifest says that charts use.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ManifestInfo {
    /// Scenario name.
    pub scenario: Option<String>,
    /// Policies in order (the first is the baseline).
    pub policies: Vec<String>,
    /// Replications per policy done.
    pub replications: Option<u64>,
    /// Master seed.
    pub seed: Option<u64>,
    /// flowsim version that wrote the folder.
    pub version: Option<String>,
    /// Wall-clock time of the simulation (seconds).
    pub wall_time_s: Option<f64>,
    /// `--set` overrides applied.
    pub overrides: Vec<String>,
}

/// A whole output folder: a single run, or a sweep.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RunData {
    /// The folder.
    pub dir: PathBuf,
    /// Scenario name (manifest, else summary/sweep rows, else the folder name).
    pub scenario: String,
    /// The scenario's `description`, when the scenario text is stored.
    pub description: Option<String>,
    /// Policies in order: the manifest's, else order of first appearance.
    pub policies: Vec<String>,
    /// `summary.csv` rows (empty for a sweep).
    pub summary: Vec<SummaryRow>,
    /// `differences.csv` rows (empty when absent).
    pub differences: Vec<DiffRow>,
    /// `weekly.csv` (empty when absent).
    pub weekly: Weekly,
    /// `sweep.csv`, for a sweep folder.
    pub sweep: Option<Sweep>,
    /// `manifest.json`, when present and readable.
    pub manifest: ManifestInfo,
    /// The scenario text as simulated (`scenario.toml`), when stored.
    pub scenario_text: Option<String>,
    /// `card_times.csv` rows (empty when absent).
    pub card_times: Vec<CardTimeRow>,
    /// Working days in one calendar hour under the scenario's calendar (5/168 for a five-day
    /// week, 7/168 round the clock), from `scenario.toml`; `None` when not stored.
    pub days_per_hour: Option<f64>,
    /// Whether the scenario works round the clock (its days are calendar days).
    pub round_the_clock: bool,
    /// A drawing option carried with the data: the weeks the cumulative flow diagram shows
    /// (the last ones; 0 or more than the horizon shows all of it).
    pub cfd_weeks: u32,
}

impl RunData {
    /// A metric's statistics under a policy.
    pub fn stat(&self, policy: &str, metric: &str) -> Option<&SummaryRow> {
        self.summary
            .iter()
            .find(|r| r.policy == policy && r.metric == metric)
    }

    /// Whether this folder is a sweep.
    pub fn is_sweep(&self) -> bool {
        self.sweep.is_some()
    }
}

fn read_err(path: &Path, e: impl std::fmt::Display) -> ChartError {
    ChartError::Read {
        path: path.to_path_buf(),
        message: e.to_string(),
    }
}

/// A parsed CSV: header and records, addressed by column name.
struct Table {
    path: PathBuf,
    header: Vec<String>,
    rows: Vec<csv::StringRecord>,
}

impl Table {
    fn read(path: &Path) -> Result<Option<Table>, ChartError> {
        let Some((mut t, mut r)) = Table::open(path)? else {
            return Ok(None);
        };
        t.rows = r
            .records()
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| read_err(path, e))?;
        Ok(Some(t))
    }

    /// The header alone (no rows), and the reader positioned at the first row: a long file
    /// (`weekly.csv` of a long horizon) is then read a row at a time, never held whole.
    fn open(path: &Path) -> Result<Option<(Table, csv::Reader<std::fs::File>)>, ChartError> {
        if !path.is_file() {
            return Ok(None);
        }
        let mut r = csv::Reader::from_path(path).map_err(|e| read_err(path, e))?;
        let header = r
            .headers()
            .map_err(|e| read_err(path, e))?
            .iter()
            .map(|h| crate::output::safe::csv_uncell(h).to_string())
            .collect();
        let t = Table {
            path: path.to_path_buf(),
            header,
            rows: Vec::new(),
        };
        Ok(Some((t, r)))
    }

    fn col(&self, name: &str) -> Result<usize, ChartError> {
        self.header.iter().position(|h| h == name).ok_or_else(|| {
            read_err(
                &self.path,
                format!("no column `{name}`; was this file written by flowsim?"),
            )
        })
    }

    fn opt_col(&self, name: &str) -> Option<usize> {
        self.header.iter().position(|h| h == name)
    }
}

fn text(r: &csv::StringRecord, c: usize) -> String {
    crate::output::safe::csv_uncell(r.get(c).unwrap_or("")).to_string()
}

/// A numeric cell; empty, unparsable or non-finite cells are `None`.
fn number(r: &csv::StringRecord, c: Option<usize>) -> Option<f64> {
    c.and_then(|c| r.get(c))
        .and_then(|s| s.trim().parse::<f64>().ok())
        .filter(|x| x.is_finite())
}

/// Column indices of the interval columns.
struct StatCols([Option<usize>; 7]);

impl StatCols {
    fn of(t: &Table) -> Self {
        let names = ["mean", "ci95_low", "ci95_high", "p05", "p50", "p95", "reps"];
        StatCols(names.map(|n| t.opt_col(n)))
    }

    fn read(&self, r: &csv::StringRecord) -> Stat {
        let c = &self.0;
        Stat {
            mean: number(r, c[0]),
            ci95_low: number(r, c[1]),
            ci95_high: number(r, c[2]),
            p05: number(r, c[3]),
            p50: number(r, c[4]),
            p95: number(r, c[5]),
            reps: number(r, c[6]).map_or(0, |x| x.max(0.0) as u64),
        }
    }
}

fn push_unique(v: &mut Vec<String>, s: &str) {
    if !v.iter().any(|x| x == s) {
        v.push(s.to_string());
    }
}

fn read_summary(t: &Table) -> Result<Vec<SummaryRow>, ChartError> {
    let (p, m, u) = (t.col("policy")?, t.col("metric")?, t.col("unit")?);
    let sc = StatCols::of(t);
    Ok(t.rows
        .iter()
        .map(|r| SummaryRow {
            policy: text(r, p),
            metric: text(r, m),
            unit: text(r, u),
            stat: sc.read(r),
        })
        .collect())
}

fn read_differences(t: &Table) -> Result<Vec<DiffRow>, ChartError> {
    let (b, p, m, u) = (
        t.col("baseline")?,
        t.col("policy")?,
        t.col("metric")?,
        t.col("unit")?,
    );
    let sc = StatCols::of(t);
    let rel = [
        t.opt_col("rel_mean"),
        t.opt_col("rel_ci95_low"),
        t.opt_col("rel_ci95_high"),
    ];
    Ok(t.rows
        .iter()
        .map(|r| DiffRow {
            baseline: text(r, b),
            policy: text(r, p),
            metric: text(r, m),
            unit: text(r, u),
            stat: sc.read(r),
            rel: match (number(r, rel[0]), number(r, rel[1]), number(r, rel[2])) {
                (Some(a), Some(l), Some(h)) => Some((a, l, h)),
                _ => None,
            },
        })
        .collect())
}

/// Reads `weekly.csv`'s rows one at a time from `rows` (see [`Table::open`]).
fn read_weekly(t: &Table, mut rows: csv::Reader<std::fs::File>) -> Result<Weekly, ChartError> {
    let (p, w, s) = (t.col("policy")?, t.col("week")?, t.col("series")?);
    let u = t.opt_col("unit");
    let cols = [
        t.opt_col("mean"),
        t.opt_col("p05"),
        t.opt_col("p50"),
        t.opt_col("p95"),
        t.opt_col("rep1"),
    ];
    let mut out = Weekly::default();
    let mut record = csv::StringRecord::new();
    while rows
        .read_record(&mut record)
        .map_err(|e| read_err(&t.path, e))?
    {
        let r = &record;
        let series = text(r, s);
        if !out.series.iter().any(|(n, _)| *n == series) {
            let unit = u.map(|u| text(r, u)).unwrap_or_default();
            out.series.push((series.clone(), unit));
        }
        let Some(week) = number(r, Some(w)).filter(|x| *x >= 1.0) else {
            continue;
        };
        out.points
            .entry((text(r, p), series))
            .or_default()
            .push(WeekPoint::new(week as u32, cols.map(|c| number(r, c))));
    }
    for v in out.points.values_mut() {
        v.sort_by_key(|p| p.week);
    }
    Ok(out)
}

fn read_sweep(t: &Table) -> Result<Sweep, ChartError> {
    let point = t.col("point")?;
    let p = t.col("policy")?;
    let (m, u) = (t.col("metric")?, t.col("unit")?);
    let params: Vec<String> = t.header[point + 1..p].to_vec();
    let sc = StatCols::of(t);
    let rows = t
        .rows
        .iter()
        .map(|r| SweepRow {
            point: number(r, Some(point)).map_or(0, |x| x.max(0.0) as u32),
            values: (point + 1..p).map(|c| text(r, c)).collect(),
            policy: text(r, p),
            metric: text(r, m),
            unit: text(r, u),
            stat: sc.read(r),
        })
        .collect();
    Ok(Sweep { params, rows })
}

fn read_manifest(path: &Path) -> ManifestInfo {
    let Ok(text) = std::fs::read_to_string(path) else {
        return ManifestInfo::default();
    };
    let Ok(v) = serde_json::from_str::<serde_json::Value>(&text) else {
        return ManifestInfo::default();
    };
    let strings = |key: &str| -> Vec<String> {
        v.get(key)
            .and_then(|x| x.as_array())
            .map(|a| {
                a.iter()
                    .filter_map(|s| s.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default()
    };
    ManifestInfo {
        scenario: v.get("scenario").and_then(|x| x.as_str()).map(String::from),
        policies: strings("policies"),
        replications: v.get("replications_done").and_then(|x| x.as_u64()),
        seed: v.get("seed").and_then(|x| x.as_u64()),
        version: v
            .get("flowsim_version")
            .and_then(|x| x.as_str())
            .map(String::from),
        wall_time_s: v.get("wall_time_s").and_then(|x| x.as_f64()),
        overrides: strings("overrides"),
    }
}

fn read_card_times(t: &Table) -> Result<Vec<CardTimeRow>, ChartError> {
    let (p, m) = (t.col("policy")?, t.col("measure")?);
    let (lo, hi, n) = (t.col("low_h")?, t.col("high_h")?, t.col("cards")?);
    Ok(t.rows
        .iter()
        .filter_map(|r| {
            Some(CardTimeRow {
                policy: text(r, p),
                measure: text(r, m),
                low_h: number(r, Some(lo))?,
                high_h: number(r, Some(hi))?,
                cards: number(r, Some(n))?,
            })
        })
        .collect())
}

/// `(working days per calendar hour, round the clock)` from the scenario's `[calendar]`.
fn calendar_of(text: &str) -> Option<(f64, bool)> {
    let v: toml::Table = text.parse().ok()?;
    let cal = v.get("calendar").and_then(|c| c.as_table());
    let always = cal
        .and_then(|c| c.get("mode"))
        .and_then(|m| m.as_str())
        .is_some_and(|m| m == "24/7");
    let days = if always {
        7
    } else {
        cal.and_then(|c| c.get("days_per_week"))
            .and_then(|d| d.as_integer())
            .unwrap_or(5)
    };
    // 168 calendar hours a week (the engine's clock; charts read files, not the model).
    Some((days as f64 / 168.0, always))
}

/// The scenario's `description` from its TOML text (`None` when absent or unparsable).
fn description_of(text: &str) -> Option<String> {
    let v: toml::Table = text.parse().ok()?;
    v.get("description")?.as_str().map(str::to_string)
}

/// Reads an output folder: `summary.csv` (a run) or `sweep.csv` (a sweep), with whatever of
/// `weekly.csv`, `differences.csv`, `manifest.json` and `scenario.toml` it holds. A sweep's
/// manifest and weekly series are taken from its first point.
///
/// # Errors
/// The folder holds neither `summary.csv` nor `sweep.csv`, or a file is not the CSV flowsim
/// writes.
pub fn load(dir: &Path) -> Result<RunData, ChartError> {
    let mut d = RunData {
        dir: dir.to_path_buf(),
        ..RunData::default()
    };
    if let Some(t) = Table::read(&dir.join(files::SWEEP))? {
        let sweep = read_sweep(&t)?;
        for r in &sweep.rows {
            push_unique(&mut d.policies, &r.policy);
        }
        if let (Some(c), Some(r)) = (t.opt_col("scenario"), t.rows.first()) {
            d.scenario = text(r, c);
        }
        d.sweep = Some(sweep);
        // Each point has its own manifest (points/1, or points/01 with ten or more points).
        if let Ok(entries) = std::fs::read_dir(dir.join(files::POINTS)) {
            let mut names: Vec<PathBuf> =
                entries.filter_map(Result::ok).map(|e| e.path()).collect();
            names.sort();
            if let Some(first) = names.first() {
                d.manifest = read_manifest(&first.join(files::MANIFEST));
                // A point's overrides hold its own values of the varied parameters: they are
                // not the whole sweep's.
                if let Some(s) = &d.sweep {
                    d.manifest.overrides.retain(|o| {
                        let key = o.split_once('=').map_or(o.as_str(), |(k, _)| k).trim();
                        !s.params.iter().any(|p| p == key)
                    });
                }
            }
        }
    } else if let Some(t) = Table::read(&dir.join(files::SUMMARY))? {
        d.summary = read_summary(&t)?;
        for r in &d.summary {
            push_unique(&mut d.policies, &r.policy);
        }
        if let (Some(c), Some(r)) = (t.opt_col("scenario"), t.rows.first()) {
            d.scenario = text(r, c);
        }
        if let Some((t, rows)) = Table::open(&dir.join(files::WEEKLY))? {
            d.weekly = read_weekly(&t, rows)?;
        }
        if let Some(t) = Table::read(&dir.join(files::DIFFERENCES))? {
            d.differences = read_differences(&t)?;
        }
        if let Some(t) = Table::read(&dir.join(files::CARD_TIMES))? {
            d.card_times = read_card_times(&t)?;
        }
        d.manifest = read_manifest(&dir.join(files::MANIFEST));
    } else {
        return Err(ChartError::NotAnOutput(dir.to_path_buf()));
    }
    if !d.manifest.policies.is_empty() {
        let mut order = d.manifest.policies.clone();
        for p in &d.policies {
            push_unique(&mut order, p);
        }
        d.policies = order;
    }
    if let Some(name) = &d.manifest.scenario
        && d.scenario.is_empty()
    {
        d.scenario = name.clone();
    }
    if d.scenario.is_empty() {
        d.scenario = dir.file_name().map_or_else(
            || "flowsim run".into(),
            |n| n.to_string_lossy().into_owned(),
        );
    }
    d.scenario_text = std::fs::read_to_string(dir.join(files::SCENARIO)).ok();
    d.description = d.scenario_text.as_deref().and_then(description_of);
    if let Some((per_h, always)) = d.scenario_text.as_deref().and_then(calendar_of) {
        d.days_per_hour = Some(per_h);
        d.round_the_clock = always;
    }
    Ok(d)
}
