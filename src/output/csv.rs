//! Tidy CSV files: `summary.csv`, `differences.csv`, `replications.csv`, `weekly.csv` and
//! `sweep.csv`. One row per observation unit, one column per variable, a header row, `,` as the
//! separator, `.` as the decimal point, empty cells where a value is undefined, and text that a
//! spreadsheet would run as a formula prefixed with `'` (see [`super::safe::csv_cell`]).

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use flate2::Compression;
use flate2::write::GzEncoder;

use super::safe::csv_cell;
use super::{OutputError, num};
use crate::experiment::Aggregates;
use crate::metrics::{CardRecord, RepResult};
use crate::stats::Summary;

/// Columns shared by every interval table, after the identifying ones.
pub const INTERVAL_COLUMNS: [&str; 7] =
    ["mean", "ci95_low", "ci95_high", "p05", "p50", "p95", "reps"];

/// Where a CSV file's bytes go: the file itself, or the file through gzip (shard parts).
enum Sink {
    Plain(BufWriter<File>),
    Gzip(BufWriter<GzEncoder<File>>),
}

impl Write for Sink {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match self {
            Sink::Plain(w) => w.write(buf),
            Sink::Gzip(w) => w.write(buf),
        }
    }
    fn flush(&mut self) -> std::io::Result<()> {
        match self {
            Sink::Plain(w) => w.flush(),
            Sink::Gzip(w) => w.flush(),
        }
    }
}

impl Sink {
    /// Flushes everything, the gzip trailer included.
    fn close(self) -> std::io::Result<()> {
        match self {
            Sink::Plain(mut w) => w.flush(),
            Sink::Gzip(w) => w
                .into_inner()
                .map_err(|e| e.into_error())?
                .finish()
                .map(drop),
        }
    }
}

/// A CSV file being written, with its path for messages.
pub struct CsvFile {
    path: PathBuf,
    w: ::csv::Writer<Sink>,
}

impl CsvFile {
    /// Creates (truncates) `path` and writes the header.
    ///
    /// # Errors
    /// The file cannot be created or written.
    pub fn create(path: &Path, header: &[String]) -> Result<Self, OutputError> {
        Self::open(path, header, false)
    }

    /// Like [`CsvFile::create`], but gzip-compressed (`path` should end in `.gz`): the
    /// decompressed bytes are those [`CsvFile::create`] would write.
    ///
    /// # Errors
    /// The file cannot be created or written.
    pub fn create_gzip(path: &Path, header: &[String]) -> Result<Self, OutputError> {
        Self::open(path, header, true)
    }

    fn open(path: &Path, header: &[String], gzip: bool) -> Result<Self, OutputError> {
        let f = File::create(path).map_err(|e| OutputError::io(path, e))?;
        let sink = if gzip {
            Sink::Gzip(BufWriter::new(GzEncoder::new(f, Compression::default())))
        } else {
            Sink::Plain(BufWriter::new(f))
        };
        let mut w = ::csv::Writer::from_writer(sink);
        w.write_record(header.iter().map(|c| csv_cell(c).into_owned()))
            .map_err(|e| OutputError::io(path, e))?;
        Ok(CsvFile {
            path: path.to_path_buf(),
            w,
        })
    }

    /// Writes one row; text cells a spreadsheet would run as formulas are neutralised
    /// ([`csv_cell`]).
    ///
    /// # Errors
    /// The file cannot be written.
    pub fn row(&mut self, cells: &[String]) -> Result<(), OutputError> {
        self.cells(cells)
    }

    /// Like [`CsvFile::row`], for borrowed cells.
    ///
    /// # Errors
    /// The file cannot be written.
    pub fn row_str(&mut self, cells: &[&str]) -> Result<(), OutputError> {
        self.cells(cells)
    }

    fn cells<S: AsRef<str>>(&mut self, cells: &[S]) -> Result<(), OutputError> {
        for c in cells {
            self.w
                .write_field(csv_cell(c.as_ref()).as_bytes())
                .map_err(|e| OutputError::io(&self.path, e))?;
        }
        self.w
            .write_record(None::<&[u8]>)
            .map_err(|e| OutputError::io(&self.path, e))
    }

    /// Flushes and closes the file.
    ///
    /// # Errors
    /// The file cannot be written.
    pub fn finish(self) -> Result<(), OutputError> {
        let CsvFile { path, w } = self;
        let sink = w
            .into_inner()
            .map_err(|e| OutputError::io(&path, e.into_error()))?;
        sink.close().map_err(|e| OutputError::io(&path, e))
    }
}

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| s.to_string()).collect()
}

/// The interval cells of a summary, in [`INTERVAL_COLUMNS`] order.
pub fn interval_cells(s: &Summary) -> Vec<String> {
    vec![
        num(s.mean),
        num(s.ci95.map(|c| c.0)),
        num(s.ci95.map(|c| c.1)),
        num(s.p05),
        num(s.p50),
        num(s.p95),
        s.n.to_string(),
    ]
}

/// A plain note for a metric that is undefined in some replications or lacks an interval.
pub fn note(s: &Summary, undefined: u64) -> String {
    let mut parts = Vec::new();
    if undefined > 0 {
        parts.push(format!(
            "undefined in {undefined} of {} replications (e.g. no card finished); statistics use the others",
            undefined + s.n
        ));
    }
    if s.n == 1 {
        parts.push("an interval needs at least 2 replications".to_string());
    }
    parts.join("; ")
}

/// The header of `replications.csv`: scenario, policy, replication, then one column per metric.
pub fn replications_header(agg: &Aggregates) -> Vec<String> {
    let mut header = strings(&["scenario", "policy", "replication"]);
    header.extend(agg.metrics.iter().map(|m| m.name.clone()));
    header
}

/// Streams `replications.csv`: one row per replication and policy, one column per metric.
pub struct ReplicationsWriter {
    file: CsvFile,
    scenario: String,
    policies: Vec<String>,
}

impl ReplicationsWriter {
    /// Creates the file and writes its header.
    ///
    /// # Errors
    /// The file cannot be created.
    pub fn create(path: &Path, scenario: &str, agg: &Aggregates) -> Result<Self, OutputError> {
        Self::create_as(path, scenario, agg, false)
    }

    /// Creates the file, gzip-compressed when `gzip` (a shard part's `replications.csv.gz`),
    /// and writes its header.
    ///
    /// # Errors
    /// The file cannot be created.
    pub fn create_as(
        path: &Path,
        scenario: &str,
        agg: &Aggregates,
        gzip: bool,
    ) -> Result<Self, OutputError> {
        let header = replications_header(agg);
        Ok(ReplicationsWriter {
            file: if gzip {
                CsvFile::create_gzip(path, &header)?
            } else {
                CsvFile::create(path, &header)?
            },
            scenario: scenario.to_string(),
            policies: agg.policies.clone(),
        })
    }

    /// Writes replication `rep`'s rows (replications are numbered from 0, as the seeds are).
    ///
    /// # Errors
    /// The file cannot be written.
    pub fn write(&mut self, rep: u64, results: &[RepResult]) -> Result<(), OutputError> {
        for (p, r) in self.policies.iter().zip(results) {
            let mut row = vec![self.scenario.clone(), p.clone(), rep.to_string()];
            row.extend(r.values.iter().map(|&v| num(v)));
            self.file.row(&row)?;
        }
        Ok(())
    }

    /// Flushes and closes the file.
    ///
    /// # Errors
    /// The file cannot be written.
    pub fn finish(self) -> Result<(), OutputError> {
        self.file.finish()
    }
}

/// The columns of `cards.csv` (times in hours from the start of the run).
pub const CARDS_HEADER: [&str; 18] = [
    "scenario",
    "policy",
    "replication",
    "card",
    "class",
    "arrived_h",
    "committed_h",
    "started_h",
    "done_h",
    "lead_time_h",
    "cycle_time_h",
    "start_to_done_h",
    "due_h",
    "due_met",
    "blocked_h",
    "touch_h",
    "reworks",
    "censored",
];

/// Streams `cards.csv`: one row per card per replication and policy, in replication order,
/// so the file is the same bytes whatever the number of threads. A censored card (unfinished
/// at the horizon) has no `done_h`, and its lead, cycle and start-to-done times run to the
/// horizon; `due_met` is empty unless the card has a due date, and for an unfinished card
/// unless that date has passed.
pub struct CardsWriter {
    file: CsvFile,
    scenario: String,
    policies: Vec<String>,
    horizon_h: f64,
}

impl CardsWriter {
    /// Creates the file and writes its header; `horizon_h` is where censored cards' times end.
    ///
    /// # Errors
    /// The file cannot be created.
    pub fn create(
        path: &Path,
        scenario: &str,
        policies: &[String],
        horizon_h: f64,
    ) -> Result<Self, OutputError> {
        Ok(CardsWriter {
            file: CsvFile::create(path, &strings(&CARDS_HEADER))?,
            scenario: scenario.to_string(),
            policies: policies.to_vec(),
            horizon_h,
        })
    }

    /// Writes replication `rep`'s cards, policy by policy.
    ///
    /// # Errors
    /// The file cannot be written.
    pub fn write(&mut self, rep: u64, results: &[RepResult]) -> Result<(), OutputError> {
        for (p, r) in self.policies.iter().zip(results) {
            for c in &r.cards {
                let row = card_row(&self.scenario, p, rep, c, self.horizon_h);
                self.file.row(&row)?;
            }
        }
        Ok(())
    }

    /// Flushes and closes the file.
    ///
    /// # Errors
    /// The file cannot be written.
    pub fn finish(self) -> Result<(), OutputError> {
        self.file.finish()
    }
}

/// One row of `cards.csv` (see [`CARDS_HEADER`]).
fn card_row(scenario: &str, policy: &str, rep: u64, c: &CardRecord, horizon_h: f64) -> Vec<String> {
    let end = if c.censored { horizon_h } else { c.done_h };
    let since = |t: f64| num((!t.is_nan()).then_some(end - t));
    let flag = |b: bool| if b { "true" } else { "false" }.to_string();
    let due_met = if c.due_h.is_nan() {
        String::new()
    } else if !c.censored {
        flag(c.done_h <= c.due_h)
    } else if c.due_h < horizon_h {
        flag(false)
    } else {
        String::new()
    };
    let time = |t: f64| num((!t.is_nan()).then_some(t));
    vec![
        scenario.to_string(),
        policy.to_string(),
        rep.to_string(),
        c.id.to_string(),
        c.class.name().to_string(),
        time(c.arrived_h),
        time(c.committed_h),
        time(c.started_h),
        time(c.done_h),
        since(c.arrived_h),
        since(c.committed_h),
        since(c.started_h),
        time(c.due_h),
        due_met,
        num(Some(c.blocked_h)),
        num(Some(c.touch_h)),
        c.reworks.to_string(),
        flag(c.censored),
    ]
}

/// Writes `summary.csv`: one row per policy and metric.
///
/// # Errors
/// The file cannot be written.
pub fn write_summary(path: &Path, scenario: &str, agg: &Aggregates) -> Result<(), OutputError> {
    let mut header = strings(&["scenario", "policy", "metric", "unit"]);
    header.extend(strings(&INTERVAL_COLUMNS));
    header.push("note".into());
    let mut f = CsvFile::create(path, &header)?;
    for (k, p) in agg.policies.iter().enumerate() {
        for (m, info) in agg.metrics.iter().enumerate() {
            let s = agg.summary(k, m);
            let mut row = vec![
                scenario.to_string(),
                p.clone(),
                info.name.clone(),
                info.unit.to_string(),
            ];
            row.extend(interval_cells(&s));
            row.push(note(&s, agg.per_metric[k][m].undefined));
            f.row(&row)?;
        }
    }
    f.finish()
}

/// Writes `differences.csv`: for every pair of policies and each metric, the paired
/// difference `policy - baseline` across replications, and the relative difference
/// `mean(policy) / mean(baseline) - 1` with its interval. Each policy against the first
/// (the baseline) comes first; then each later pair, so every two policies can be compared.
///
/// # Errors
/// The file cannot be written.
pub fn write_differences(path: &Path, scenario: &str, agg: &Aggregates) -> Result<(), OutputError> {
    let mut header = strings(&["scenario", "baseline", "policy", "metric", "unit"]);
    header.extend(strings(&INTERVAL_COLUMNS));
    header.extend(strings(&[
        "rel_mean",
        "rel_ci95_low",
        "rel_ci95_high",
        "note",
    ]));
    let mut f = CsvFile::create(path, &header)?;
    for (&(k, against), paired) in agg.pairs.iter().zip(&agg.paired) {
        for (m, info) in agg.metrics.iter().enumerate() {
            let pd = &paired[m];
            let s = pd.summary();
            let mut row = vec![
                scenario.to_string(),
                agg.policies[against].clone(),
                agg.policies[k].clone(),
                info.name.clone(),
                info.unit.to_string(),
            ];
            row.extend(interval_cells(&s));
            let rel = pd.relative(0.95);
            row.push(num(rel.map(|r| r.0)));
            row.push(num(rel.map(|r| r.1)));
            row.push(num(rel.map(|r| r.2)));
            row.push(note(&s, agg.reps - s.n));
            f.row(&row)?;
        }
    }
    f.finish()
}

/// Writes `weekly.csv`: per policy, week (1 = the first week of the horizon) and series, the
/// mean and percentiles across replications, and `rep1`, the value in replication 1 alone (what
/// one real board would show).
///
/// # Errors
/// The file cannot be written.
pub fn write_weekly(path: &Path, scenario: &str, agg: &Aggregates) -> Result<(), OutputError> {
    let header = strings(&[
        "scenario", "policy", "week", "series", "unit", "mean", "p05", "p50", "p95", "reps", "rep1",
    ]);
    let mut f = CsvFile::create(path, &header)?;
    for (k, p) in agg.policies.iter().enumerate() {
        agg.for_each_week(k, |w, cells, first| {
            let week = (w + 1).to_string();
            for (s, (a, (name, unit))) in cells.iter().zip(&agg.weekly_series).enumerate() {
                let [p05, p50, p95] = a.sketch.quantiles([0.05, 0.50, 0.95]);
                f.row_str(&[
                    scenario,
                    p,
                    &week,
                    name,
                    unit,
                    &num(a.mean()),
                    &num(p05),
                    &num(p50),
                    &num(p95),
                    &a.sketch.n().to_string(),
                    &num(first.get(s).copied()),
                ])?;
            }
            Ok::<(), OutputError>(())
        })?;
    }
    f.finish()
}

/// Histogram buckets merged into one row of `card_times.csv`: five 1%-wide buckets, so a row
/// is about 5% wide (fine for a chart; the exact percentiles are in `summary.csv`).
pub const CARD_TIME_GROUP: usize = 5;

/// Writes `card_times.csv`: per policy and measure (`lead_time`, `cycle_time`), the cards
/// finished after warm-up whose time falls in `[low_h, high_h)` hours, summed over
/// replications (only bins that hold cards; each bin is about 5% wide, [`CARD_TIME_GROUP`]).
///
/// # Errors
/// The file cannot be written.
pub fn write_card_times(path: &Path, scenario: &str, agg: &Aggregates) -> Result<(), OutputError> {
    let header = strings(&["scenario", "policy", "measure", "low_h", "high_h", "cards"]);
    let mut f = CsvFile::create(path, &header)?;
    for (k, p) in agg.policies.iter().enumerate() {
        for (measure, hist) in ["lead_time", "cycle_time"].iter().zip(&agg.card_times[k]) {
            for (g, counts) in hist.chunks(CARD_TIME_GROUP).enumerate() {
                let n: u64 = counts.iter().sum();
                if n == 0 {
                    continue;
                }
                let first = g * CARD_TIME_GROUP;
                let lo = crate::metrics::bucket_edges(first).0;
                let hi = crate::metrics::bucket_edges(first + counts.len() - 1).1;
                f.row(&[
                    scenario.to_string(),
                    p.clone(),
                    measure.to_string(),
                    num(Some(lo)),
                    num(Some(hi)),
                    n.to_string(),
                ])?;
            }
        }
    }
    f.finish()
}

/// Streams `sweep.csv`: one row per sweep point, policy and metric.
pub struct SweepWriter {
    file: CsvFile,
}

impl SweepWriter {
    /// Creates the file; `params` are the varied paths, one column each.
    ///
    /// # Errors
    /// The file cannot be created.
    pub fn create(path: &Path, params: &[String]) -> Result<Self, OutputError> {
        let mut header = strings(&["scenario", "point"]);
        header.extend(params.iter().cloned());
        header.extend(strings(&["policy", "metric", "unit"]));
        header.extend(strings(&INTERVAL_COLUMNS));
        header.push("note".into());
        Ok(SweepWriter {
            file: CsvFile::create(path, &header)?,
        })
    }

    /// Writes one point's rows; `values` are the point's parameter values in column order.
    ///
    /// # Errors
    /// The file cannot be written.
    pub fn write_point(
        &mut self,
        scenario: &str,
        point: usize,
        values: &[String],
        agg: &Aggregates,
    ) -> Result<(), OutputError> {
        for (k, p) in agg.policies.iter().enumerate() {
            for (m, info) in agg.metrics.iter().enumerate() {
                let s = agg.summary(k, m);
                let mut row = vec![scenario.to_string(), point.to_string()];
                row.extend(values.iter().cloned());
                row.extend([p.clone(), info.name.clone(), info.unit.to_string()]);
                row.extend(interval_cells(&s));
                row.push(note(&s, agg.per_metric[k][m].undefined));
                self.file.row(&row)?;
            }
        }
        Ok(())
    }

    /// Flushes and closes the file.
    ///
    /// # Errors
    /// The file cannot be written.
    pub fn finish(self) -> Result<(), OutputError> {
        self.file.finish()
    }
}
