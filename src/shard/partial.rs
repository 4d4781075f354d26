//! `weekly_partial.txt.gz`: a part's weekly aggregates, exactly, so that `merge` can combine them.
//!
//! The weekly series are not in `replications.csv`; a part writes their partial aggregates (exact
//! sums and quantile sketches with every `f64` as hexadecimal bits), gzip-compressed, and the
//! merge combines them with [`WeeklyAgg::merge`], which is exact.
//!
//! Why it is small: a sketch keeps its observations exactly only while the whole run has at most
//! [`SKETCH_EXACT`] of them; past that the merged sketch holds bucket counts, whatever order
//! the parts arrive in. So when the run has more than [`SKETCH_EXACT`] replications and every
//! replication of this part gave the cell a value, the part writes the cell already bucketed (a
//! few hundred counts instead of hundreds of 16-digit values). The merge refuses the one case
//! where that would differ from a single run: a cell that ends with at most [`SKETCH_EXACT`]
//! observations although a part handed it over bucketed.

use std::io::{Read, Write};
use std::path::Path;

use flate2::Compression;
use flate2::read::GzDecoder;
use flate2::write::GzEncoder;

use super::merge::unreadable;
use crate::error::Error;
use crate::experiment::{Aggregates, WeeklyAgg};
use crate::output::OutputError;
use crate::stats::{ExactSum, QuantileSketch, SKETCH_EXACT};

const WEEKLY_HEADER: &str = "flowsim weekly partial 2";

/// Writes the weekly partial aggregates (gzip-compressed): a header line,
/// `policies P cells C`, then one line per non-empty cell: `K I sum=HEX,.. n=N exact=HEX,..`
/// (or the bucketed sketch fields). `run_replications` is the whole run's count (not this
/// part's): above [`SKETCH_EXACT`], complete cells are written bucketed.
pub(super) fn write_weekly_partial(
    path: &Path,
    agg: &Aggregates,
    run_replications: u64,
) -> Result<(), OutputError> {
    let cells = agg.weekly.first().map_or(0, Vec::len);
    let mut s = format!(
        "{WEEKLY_HEADER}\npolicies {} cells {cells}\n",
        agg.weekly.len()
    );
    let bucket_early = run_replications > SKETCH_EXACT as u64;
    for (k, row) in agg.weekly.iter().enumerate() {
        for (i, a) in row.iter().enumerate() {
            if a.sketch.n() > 0 {
                let mut sketch = a.sketch.clone();
                if bucket_early && sketch.n() == agg.reps {
                    sketch.into_buckets();
                }
                s.push_str(&format!(
                    "{k} {i} sum={} {}\n",
                    a.sum.encode(),
                    sketch.encode()
                ));
            }
        }
    }
    let io = |e| OutputError::io(path, e);
    let file = std::fs::File::create(path).map_err(io)?;
    let mut gz = GzEncoder::new(std::io::BufWriter::new(file), Compression::default());
    gz.write_all(s.as_bytes()).map_err(io)?;
    gz.finish().map_err(io)?.flush().map_err(io)
}

/// Reads a weekly partial into `[policy][cell]` aggregates of the expected shape.
pub(super) fn read_weekly_partial(
    path: &Path,
    policies: usize,
    cells: usize,
) -> Result<Vec<Vec<WeeklyAgg>>, Error> {
    let file = std::fs::File::open(path).map_err(|e| unreadable(path, e))?;
    let mut text = String::new();
    GzDecoder::new(std::io::BufReader::new(file))
        .read_to_string(&mut text)
        .map_err(|e| unreadable(path, e))?;
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

/// Checks merged weekly aggregates: a sketch that is bucketed with at most [`SKETCH_EXACT`]
/// observations came from a part handed over bucketed (a single run would hold it exactly).
pub(super) fn check_merged(weekly: &[Vec<WeeklyAgg>]) -> Result<(), Error> {
    if weekly
        .iter()
        .flatten()
        .any(|a| !a.sketch.is_exact() && a.sketch.n() <= SKETCH_EXACT as u64)
    {
        return Err(Error::bad_input(format!(
            "a weekly series has at most {SKETCH_EXACT} values in all although a shard handed it over bucketed (some replications gave it no value); the merge cannot be exact: run without --shard"
        )));
    }
    Ok(())
}
