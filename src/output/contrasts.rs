//! `sweep_differences.csv`: each sweep point against a reference point, paired by replication.
//!
//! Why it exists: the question a sweep answers is usually "does WIP 4 beat WIP 6?", and every
//! point runs replication `r` on the same random numbers (`Streams::new(seed, r)`), so the
//! difference of a metric between two points, replication by replication, has a much tighter
//! interval than the two points' own intervals suggest. The rows are read back from the points'
//! `replications.csv` files (numbers in shortest round-trip form, so the same `f64`s), two at a
//! time in lockstep: memory stays flat and a merged sweep gets the same bytes as a single one.

use std::path::Path;

use super::csv::{CsvFile, INTERVAL_COLUMNS, interval_cells, note};
use super::{OutputError, files, num};
use crate::stats::Paired;

/// One sweep point, as the contrasts need it.
#[derive(Debug, Clone)]
pub struct Point<'a> {
    /// The point's values, one per varied parameter.
    pub values: &'a [String],
    /// The point's result folder (holding `replications.csv`).
    pub dir: &'a Path,
}

/// A `replications.csv` being read row by row.
struct Rows {
    path: std::path::PathBuf,
    reader: ::csv::Reader<std::fs::File>,
    header: Vec<String>,
    record: ::csv::StringRecord,
}

impl Rows {
    fn open(dir: &Path) -> Result<Self, OutputError> {
        let path = dir.join(files::REPLICATIONS);
        let io = |e: ::csv::Error| OutputError {
            path: path.clone(),
            message: format!("cannot read: {e}"),
        };
        let mut reader = ::csv::Reader::from_path(&path).map_err(io)?;
        let header = reader
            .headers()
            .map_err(io)?
            .iter()
            .map(String::from)
            .collect();
        Ok(Rows {
            path,
            reader,
            header,
            record: ::csv::StringRecord::new(),
        })
    }

    fn next(&mut self) -> Result<bool, OutputError> {
        self.reader
            .read_record(&mut self.record)
            .map_err(|e| OutputError {
                path: self.path.clone(),
                message: format!("cannot read: {e}"),
            })
    }

    fn value(&self, column: usize) -> Option<f64> {
        self.record
            .get(column)
            .and_then(|c| c.parse::<f64>().ok())
            .filter(|x| x.is_finite())
    }
}

/// The header of `sweep_differences.csv`.
fn header(params: &[String]) -> Vec<String> {
    let mut h: Vec<String> = ["scenario", "point"].map(String::from).to_vec();
    h.extend(params.iter().cloned());
    h.push("reference_point".into());
    h.extend(params.iter().map(|p| format!("reference_{p}")));
    h.extend(["policy", "metric", "unit"].map(String::from));
    h.extend(INTERVAL_COLUMNS.map(String::from));
    h.extend(["rel_mean", "rel_ci95_low", "rel_ci95_high", "note"].map(String::from));
    h
}

/// Writes `sweep_differences.csv`: for every point but the reference, every policy and every
/// metric both points report, the paired difference `point - reference` across replications
/// (mean, 95% interval, percentiles, pairs) and the relative difference
/// `mean(point) / mean(reference) - 1` with its 95% interval (delta method). Replication `r`
/// of a point pairs with replication `r` of the reference under the same policy; `units` maps
/// a metric name to its unit.
///
/// # Errors
/// A file cannot be read or written, or two points' rows do not line up (different policies
/// or replications).
pub fn write_sweep_differences(
    path: &Path,
    scenario: &str,
    params: &[String],
    points: &[Point<'_>],
    reference: usize,
    units: &dyn Fn(&str) -> String,
) -> Result<(), OutputError> {
    let mut f = CsvFile::create(path, &header(params))?;
    let refp = &points[reference];
    for (i, pt) in points.iter().enumerate() {
        if i == reference {
            continue;
        }
        let mut base = Rows::open(refp.dir)?;
        let mut rows = Rows::open(pt.dir)?;
        // Metric columns (from the fourth) present in both, by name.
        let cols: Vec<(usize, usize)> = rows
            .header
            .iter()
            .enumerate()
            .skip(3)
            .filter_map(|(j, name)| {
                base.header
                    .iter()
                    .skip(3)
                    .position(|b| b == name)
                    .map(|k| (j, k + 3))
            })
            .collect();
        let mut policies: Vec<String> = Vec::new();
        // [policy][metric]
        let mut paired: Vec<Vec<Paired>> = Vec::new();
        let mut reps: Vec<u64> = Vec::new();
        loop {
            let (a, b) = (base.next()?, rows.next()?);
            if !a || !b {
                break;
            }
            let (pa, pb) = (base.record.get(1), rows.record.get(1));
            let (ra, rb) = (base.record.get(2), rows.record.get(2));
            if pa != pb || ra != rb {
                return Err(OutputError {
                    path: rows.path.clone(),
                    message: format!(
                        "the row for policy {pb:?} replication {rb:?} does not line up with the reference point's ({pa:?} {ra:?}); points compared must run the same policies and replications"
                    ),
                });
            }
            let policy = pb.unwrap_or_default();
            let k = match policies.iter().position(|p| p == policy) {
                Some(k) => k,
                None => {
                    policies.push(policy.to_string());
                    paired.push(vec![Paired::default(); cols.len()]);
                    reps.push(0);
                    policies.len() - 1
                }
            };
            reps[k] += 1;
            for (m, &(j, jb)) in cols.iter().enumerate() {
                if let (Some(x), Some(y)) = (base.value(jb), rows.value(j)) {
                    paired[k][m].push(x, y);
                }
            }
        }
        for (k, policy) in policies.iter().enumerate() {
            for (m, &(j, _)) in cols.iter().enumerate() {
                let pd = &paired[k][m];
                let s = pd.summary();
                let metric = &rows.header[j];
                let mut row = vec![scenario.to_string(), (i + 1).to_string()];
                row.extend(pt.values.iter().cloned());
                row.push((reference + 1).to_string());
                row.extend(refp.values.iter().cloned());
                row.extend([policy.clone(), metric.clone(), units(metric)]);
                row.extend(interval_cells(&s));
                let rel = pd.relative(0.95);
                row.push(num(rel.map(|r| r.0)));
                row.push(num(rel.map(|r| r.1)));
                row.push(num(rel.map(|r| r.2)));
                row.push(note(&s, reps[k] - s.n));
                f.row(&row)?;
            }
        }
    }
    f.finish()
}
