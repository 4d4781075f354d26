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
//!
//! The same file carries the part's first replication's weekly values (`first` lines, for the
//! run chart of replication 1) and its per-card time counts (`hist` lines, integers that add up
//! exactly).

use std::io::{Read, Write};
use std::path::Path;

use flate2::Compression;
use flate2::read::GzDecoder;
use flate2::write::GzEncoder;

use super::merge::unreadable;
use crate::error::Error;
use crate::experiment::{Aggregates, WeeklyAgg};
use crate::metrics::HISTOGRAM_BUCKETS;
use crate::output::OutputError;
use crate::stats::{ExactSum, QuantileSketch, SKETCH_EXACT, f64_from_hex, f64_to_hex};

const WEEKLY_HEADER: &str = "flowsim weekly partial 2";

/// Writes the weekly partial aggregates (gzip-compressed): a header line,
/// `policies P cells C`, then one line per non-empty cell: `K I sum=HEX,.. n=N exact=HEX,..`
/// (or the bucketed sketch fields), then `first K HEX,..` per policy and
/// `hist K M BUCKET COUNT` per non-empty card-time bucket. `run_replications` is the whole
/// run's count (not this part's): above [`SKETCH_EXACT`], complete cells are written bucketed.
pub(super) fn write_weekly_partial(
    path: &Path,
    agg: &Aggregates,
    run_replications: u64,
) -> Result<(), OutputError> {
    let io = |e| OutputError::io(path, e);
    let file = std::fs::File::create(path).map_err(io)?;
    let mut gz = GzEncoder::new(std::io::BufWriter::new(file), Compression::default());
    let cells = agg.weeks * agg.weekly_series.len();
    let policies = agg.policies.len();
    writeln!(gz, "{WEEKLY_HEADER}\npolicies {policies} cells {cells}").map_err(io)?;
    let bucket_early = run_replications > SKETCH_EXACT as u64;
    let ns = agg.weekly_series.len();
    for k in 0..policies {
        agg.for_each_week(k, |w, row, _| {
            for (s, a) in row.iter().enumerate() {
                if a.sketch.n() > 0 {
                    let mut sketch = a.sketch.clone();
                    if bucket_early && sketch.n() == agg.reps {
                        sketch.into_buckets();
                    }
                    writeln!(
                        gz,
                        "{k} {} sum={} {}",
                        w * ns + s,
                        a.sum.encode(),
                        sketch.encode()
                    )
                    .map_err(io)?;
                }
            }
            Ok::<(), OutputError>(())
        })?;
    }
    for k in 0..policies {
        write!(gz, "first {k} ").map_err(io)?;
        let mut sep = "";
        agg.for_each_first(k, |values| {
            for &x in values {
                write!(gz, "{sep}{}", f64_to_hex(x)).map_err(io)?;
                sep = ",";
            }
            Ok::<(), OutputError>(())
        })?;
        writeln!(gz).map_err(io)?;
    }
    for (k, measures) in agg.card_times.iter().enumerate() {
        for (m, hist) in measures.iter().enumerate() {
            for (i, &n) in hist.iter().enumerate().filter(|(_, n)| **n > 0) {
                writeln!(gz, "hist {k} {m} {i} {n}").map_err(io)?;
            }
        }
    }
    gz.finish().map_err(io)?.flush().map_err(io)
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
