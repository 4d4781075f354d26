//! `weekly_partial.txt`: a part's weekly aggregates, exactly, so that `merge` can combine them.
//!
//! The weekly series are not in `replications.csv`; a part writes their partial aggregates (exact
//! sums and quantile sketches with every `f64` as hexadecimal bits) and the merge combines them
//! with [`WeeklyAgg::merge`], which is exact.

use std::path::Path;

use super::merge::unreadable;
use crate::error::Error;
use crate::experiment::{Aggregates, WeeklyAgg};
use crate::output::OutputError;
use crate::stats::{ExactSum, QuantileSketch};

const WEEKLY_HEADER: &str = "flowsim weekly partial 1";

/// Writes the weekly partial aggregates: a header line, `policies P cells C`, then one line
/// per non-empty cell: `K I sum=HEX,.. n=N exact=HEX,..` (or the bucketed sketch fields).
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
    std::fs::write(path, s).map_err(|e| OutputError::io(path, e))
}

/// Reads a weekly partial into `[policy][cell]` aggregates of the expected shape.
pub(super) fn read_weekly_partial(
    path: &Path,
    policies: usize,
    cells: usize,
) -> Result<Vec<Vec<WeeklyAgg>>, Error> {
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
    for (n, line) in lines.enumerate() {
        let ln = n + 3;
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
    Ok(out)
}
