//! `weekly_partial.txt`: a part's weekly aggregates, exactly, so that `merge` can combine them.
//!
//! The weekly series are not in `replications.csv`; a part writes their partial aggregates (exact
//! sums and quantile sketches with every `f64` as hexadecimal bits) and the merge combines them
//! with [`WeeklyAgg::merge`], which is exact. The same file carries the part's first
//! replication's weekly values (`first` lines, for the run chart of replication 1) and its
//! per-card time counts (`hist` lines, integers that add up exactly).

use std::path::Path;

use super::merge::unreadable;
use crate::error::Error;
use crate::experiment::{Aggregates, WeeklyAgg};
use crate::metrics::HISTOGRAM_BUCKETS;
use crate::output::OutputError;
use crate::stats::{ExactSum, QuantileSketch, f64_from_hex, f64_to_hex};

const WEEKLY_HEADER: &str = "flowsim weekly partial 2";

/// Writes the weekly partial aggregates: a header line, `policies P cells C`, then one line
/// per non-empty cell: `K I sum=HEX,.. n=N exact=HEX,..` (or the bucketed sketch fields), then
/// `first K HEX,..` per policy and `hist K M BUCKET COUNT` per non-empty card-time bucket.
pub(super) fn write_weekly_partial(path: &Path, agg: &Aggregates) -> Result<(), OutputError> {
    let cells = agg.weekly.first().map_or(0, Vec::len);
    let mut s = format!(
        "{WEEKLY_HEADER}\npolicies {} cells {cells}\n",
        agg.weekly.len()
    );
    for (k, row) in agg.weekly.iter().enumerate() {
        for (i, a) in row.iter().enumerate() {
            if a.sketch.n() > 0 {
                s.push_str(&format!(
                    "{k} {i} sum={} {}\n",
                    a.sum.encode(),
                    a.sketch.encode()
                ));
            }
        }
    }
    for (k, first) in agg.first.iter().enumerate() {
        let cells: Vec<String> = first.iter().map(|&x| f64_to_hex(x)).collect();
        s.push_str(&format!("first {k} {}\n", cells.join(",")));
    }
    for (k, measures) in agg.card_times.iter().enumerate() {
        for (m, hist) in measures.iter().enumerate() {
            for (i, &n) in hist.iter().enumerate().filter(|(_, n)| **n > 0) {
                s.push_str(&format!("hist {k} {m} {i} {n}\n"));
            }
        }
    }
    std::fs::write(path, s).map_err(|e| OutputError::io(path, e))
}

/// What a part's partial file holds.
pub(super) struct Partial {
    /// `[policy][cell]` weekly aggregates.
    pub(super) weekly: Vec<Vec<WeeklyAgg>>,
    /// `[policy][cell]` of the part's first replication.
    pub(super) first: Vec<Vec<f64>>,
    /// `[policy][measure][bucket]` card counts.
    pub(super) card_times: Vec<[Vec<u64>; 2]>,
}

/// Reads a weekly partial of the expected shape.
pub(super) fn read_weekly_partial(
    path: &Path,
    policies: usize,
    cells: usize,
) -> Result<Partial, Error> {
    let text = std::fs::read_to_string(path).map_err(|e| unreadable(path, e))?;
    let bad = |line: usize, why: String| {
        Error::bad_input(format!(
            "{}:{line}: {why}; the shard folder is damaged, run that shard again",
            path.display()
        ))
    };
    let mut lines = text.lines();
    if lines.next() != Some(WEEKLY_HEADER) {
        return Err(bad(1, format!("the first line is not `{WEEKLY_HEADER}`")));
    }
    let shape = format!("policies {policies} cells {cells}");
    if lines.next() != Some(shape.as_str()) {
        return Err(bad(2, format!("expected `{shape}` for this scenario")));
    }
    let mut out = vec![vec![WeeklyAgg::default(); cells]; policies];
    let mut first = vec![Vec::new(); policies];
    let mut card_times = vec![[vec![0; HISTOGRAM_BUCKETS], vec![0; HISTOGRAM_BUCKETS]]; policies];
    for (n, line) in lines.enumerate() {
        let ln = n + 3;
        if let Some(rest) = line.strip_prefix("first ") {
            let (k, cells_text) = rest.split_once(' ').unwrap_or((rest, ""));
            let k = k
                .parse::<usize>()
                .ok()
                .filter(|&k| k < policies)
                .ok_or_else(|| bad(ln, "a `first` line names no policy in range".into()))?;
            first[k] = if cells_text.is_empty() {
                Vec::new()
            } else {
                cells_text
                    .split(',')
                    .map(f64_from_hex)
                    .collect::<Result<_, _>>()
                    .map_err(|e| bad(ln, e))?
            };
            continue;
        }
        if let Some(rest) = line.strip_prefix("hist ") {
            let f: Vec<u64> = rest
                .split(' ')
                .map(|x| x.parse::<u64>())
                .collect::<Result<_, _>>()
                .map_err(|_| bad(ln, "a `hist` line is not four whole numbers".into()))?;
            match f[..] {
                [k, m, i, c]
                    if (k as usize) < policies && m < 2 && (i as usize) < HISTOGRAM_BUCKETS =>
                {
                    card_times[k as usize][m as usize][i as usize] = c;
                }
                _ => return Err(bad(ln, "a `hist` line is out of range".into())),
            }
            continue;
        }
        let mut parts = line.splitn(4, ' ');
        let k = parts.next().and_then(|x| x.parse::<usize>().ok());
        let i = parts.next().and_then(|x| x.parse::<usize>().ok());
        let (Some(k), Some(i)) = (k, i) else {
            return Err(bad(ln, "a line does not start with POLICY CELL".into()));
        };
        if k >= policies || i >= cells {
            return Err(bad(ln, format!("cell {k} {i} is out of range")));
        }
        let sum = parts
            .next()
            .and_then(|x| x.strip_prefix("sum="))
            .ok_or_else(|| bad(ln, "sum= is missing".into()))?;
        let sum = ExactSum::decode(sum).map_err(|e| bad(ln, e))?;
        let sketch = QuantileSketch::decode(parts.next().unwrap_or("")).map_err(|e| bad(ln, e))?;
        out[k][i] = WeeklyAgg { sum, sketch };
    }
    Ok(Partial {
        weekly: out,
        first,
        card_times,
    })
}
