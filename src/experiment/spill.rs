//! Weekly series of a long run kept on disk instead of in memory.
//!
//! Why it exists: a weekly aggregate (an exact sum and a quantile sketch per policy, week and
//! series) costs a few hundred bytes, so a run of thousands of weeks held them in tens of
//! megabytes, growing with the horizon. A [`Spill`] instead takes each replication's weekly
//! values as one fixed-size row of a binary file (raw `f64` bits, so nothing is rounded), at
//! the row of its replication index, and the aggregates are computed later, a block of weeks at
//! a time, by pushing the same values into the same [`WeeklyAgg`]s in the same replication
//! order. Every number is therefore the one the in-memory path gives; only the peak memory
//! changes (one block of aggregates instead of the whole horizon).
//!
//! Rows sit at fixed offsets, so worker threads write their replication's row while it is
//! simulated, a week at a time as the engine closes each week ([`Spill::row_writer`], in any
//! order across replications): no replication holds its whole series. Only rows `0..reps` of
//! the replications handed on in order are ever read.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use rayon::prelude::*;

use super::WeeklyAgg;
use crate::engine::WeeklySink;
use crate::metrics::RepResult;

/// A failure to write or read back the spill file.
#[derive(Debug)]
pub struct SpillError {
    /// The spill file.
    pub path: PathBuf,
    /// What went wrong.
    pub source: std::io::Error,
}

impl std::fmt::Display for SpillError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.path.display(), self.source)
    }
}

impl std::error::Error for SpillError {}

/// Weekly values of every replication, one row each (see the module documentation).
#[derive(Debug)]
pub struct Spill {
    file: Mutex<File>,
    path: PathBuf,
    _remove: Remove,
    /// Policies in a row.
    policies: usize,
    /// Values per policy in a row: weeks × series.
    cells: usize,
    /// Series per week.
    series: usize,
    /// The first write error of a worker thread, reported when the row is handed on.
    failed: Mutex<Option<std::io::Error>>,
}

/// Bytes of one `f64`.
const F64: usize = std::mem::size_of::<f64>();

impl Spill {
    /// Creates the spill file `path` (which must not exist) for `policies` policies of
    /// `weeks` weeks of `series` series. The file is removed when the spill is dropped (at once
    /// on Unix, where the open handle keeps it readable).
    ///
    /// # Errors
    /// The file cannot be created.
    pub fn create(
        path: &Path,
        policies: usize,
        weeks: usize,
        series: usize,
    ) -> Result<Self, SpillError> {
        let file = File::options()
            .read(true)
            .write(true)
            .create_new(true)
            .open(path)
            .map_err(|source| SpillError {
                path: path.to_path_buf(),
                source,
            })?;
        #[cfg(unix)]
        let _ = std::fs::remove_file(path);
        Ok(Spill {
            file: Mutex::new(file),
            path: path.to_path_buf(),
            _remove: Remove(path.to_path_buf()),
            policies,
            cells: weeks * series,
            series,
            failed: Mutex::new(None),
        })
    }

    /// The spill file's path (for messages).
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn err(&self, source: std::io::Error) -> SpillError {
        SpillError {
            path: self.path.clone(),
            source,
        }
    }

    fn row_bytes(&self) -> u64 {
        (self.policies * self.cells * F64) as u64
    }

    /// Writes replication row `row` (0-based within this spill) from `results` (one per policy,
    /// in policy order). Missing values (a shorter series) are written as NaN, which the
    /// aggregates skip as they skip any non-finite value.
    ///
    /// # Errors
    /// The file cannot be written.
    pub fn write_row(&self, row: u64, results: &[RepResult]) -> Result<(), SpillError> {
        // Through a small buffer: a row can be megabytes, and a copy of it would cost as much
        // memory again.
        let mut buf = Vec::with_capacity(WRITE_BUFFER);
        let mut f = self.file.lock().unwrap_or_else(|p| p.into_inner());
        f.seek(SeekFrom::Start(row * self.row_bytes()))
            .map_err(|e| self.err(e))?;
        for k in 0..self.policies {
            let weekly = results.get(k).map_or(&[][..], |r| r.weekly.as_slice());
            for i in 0..self.cells {
                let v = weekly.get(i).copied().unwrap_or(f64::NAN);
                buf.extend_from_slice(&v.to_le_bytes());
                if buf.len() >= WRITE_BUFFER {
                    f.write_all(&buf).map_err(|e| self.err(e))?;
                    buf.clear();
                }
            }
        }
        f.write_all(&buf).map_err(|e| self.err(e))
    }

    /// Writes the row; a failure is kept and reported by [`Spill::check`].
    pub fn put_row(&self, row: u64, results: &[RepResult]) {
        if let Err(e) = self.write_row(row, results) {
            self.keep_failure(e.source);
        }
    }

    /// Keeps a worker thread's write failure (the first one) for [`Spill::check`].
    fn keep_failure(&self, e: std::io::Error) {
        let mut failed = self.failed.lock().unwrap_or_else(|p| p.into_inner());
        failed.get_or_insert(e);
    }

    /// A writer of replication row `row`'s values of policy `k`, fed by the engine week by
    /// week as the replication runs ([`WeeklySink`]), so the replication never holds its whole
    /// series: the bytes [`Spill::write_row`] would write for the same results.
    pub fn row_writer(self: &Arc<Self>, row: u64, k: usize) -> RowWriter {
        RowWriter {
            at: row * self.row_bytes() + (k * self.cells * F64) as u64,
            spill: Arc::clone(self),
            flushed: 0,
            buf: Vec::new(),
        }
    }

    /// The first error a worker thread met writing a row.
    ///
    /// # Errors
    /// That error.
    pub fn check(&self) -> Result<(), SpillError> {
        let mut failed = self.failed.lock().unwrap_or_else(|p| p.into_inner());
        match failed.take() {
            Some(e) => Err(self.err(e)),
            None => Ok(()),
        }
    }

    /// Reads the values of policy `k`, cells `lo..hi`, of row `row` into `buf`.
    fn read(
        &self,
        row: u64,
        k: usize,
        lo: usize,
        hi: usize,
        buf: &mut Vec<u8>,
        out: &mut Vec<f64>,
    ) -> Result<(), SpillError> {
        buf.resize((hi - lo) * F64, 0);
        let at = row * self.row_bytes() + ((k * self.cells + lo) * F64) as u64;
        let mut f = self.file.lock().unwrap_or_else(|p| p.into_inner());
        f.seek(SeekFrom::Start(at))
            .and_then(|_| f.read_exact(buf))
            .map_err(|e| self.err(e))?;
        out.clear();
        out.extend(
            buf.chunks_exact(F64)
                .map(|c| f64::from_le_bytes(c.try_into().expect("8 bytes"))),
        );
        Ok(())
    }

    /// Row `row`'s values of policy `k` (weeks × series, as the engine gave them, NaN where
    /// it gave none).
    ///
    /// # Errors
    /// The file cannot be read back.
    pub fn read_policy_row(&self, row: u64, k: usize) -> Result<Vec<f64>, SpillError> {
        let (mut buf, mut out) = (Vec::new(), Vec::new());
        self.read(row, k, 0, self.cells, &mut buf, &mut out)?;
        Ok(out)
    }

    /// Weeks per block when aggregating `reps` replications: the block's aggregates stay
    /// within [`block_bytes`] (at least one week).
    fn block_weeks(&self, reps: u64) -> usize {
        let per_week = self.series.max(1) * cell_bytes(reps);
        (block_bytes(reps) / per_week).max(1)
    }

    /// Aggregates policy `k` block of weeks by block from rows `0..reps`, calling
    /// `f(week, cells, first)` for every week in order: `cells` holds the week's aggregate per
    /// series, `first` row 0's values of that week (empty when `reps` is 0).
    ///
    /// # Errors
    /// The file cannot be read back, or `f`'s error.
    pub fn for_each_week<E: From<SpillError>>(
        &self,
        k: usize,
        reps: u64,
        mut f: impl FnMut(usize, &[WeeklyAgg], &[f64]) -> Result<(), E>,
    ) -> Result<(), E> {
        let ns = self.series;
        if ns == 0 {
            return Ok(());
        }
        let weeks = self.cells / ns;
        let step = self.block_weeks(reps);
        let (mut buf, mut vals, mut first) = (Vec::new(), Vec::new(), Vec::new());
        let mut all: Vec<f64> = Vec::new();
        let mut w0 = 0;
        while w0 < weeks {
            let w1 = (w0 + step).min(weeks);
            let (lo, hi) = (w0 * ns, w1 * ns);
            let width = hi - lo;
            // The block's values of every row (half the memory its aggregates may take), then
            // each cell aggregated in replication order, the cells on the current thread
            // pool's workers: the same values into the same aggregates in the same order.
            all.clear();
            first.clear();
            for row in 0..reps {
                self.read(row, k, lo, hi, &mut buf, &mut vals)?;
                all.extend_from_slice(&vals);
                if row == 0 {
                    first.clone_from(&vals);
                }
            }
            let block: Vec<WeeklyAgg> = (0..width)
                .into_par_iter()
                .map(|c| {
                    let mut a = WeeklyAgg::default();
                    for v in all.iter().skip(c).step_by(width) {
                        a.push(*v);
                    }
                    a
                })
                .collect();
            for w in w0..w1 {
                let at = (w - w0) * ns;
                let one = first.get(at..at + ns).unwrap_or(&[]);
                f(w, &block[at..at + ns], one)?;
            }
            w0 = w1;
        }
        Ok(())
    }

    /// Row 0's values of policy `k` (replication 1's weekly series), in blocks, in order.
    ///
    /// # Errors
    /// The file cannot be read back, or `f`'s error.
    pub fn for_each_first<E: From<SpillError>>(
        &self,
        k: usize,
        mut f: impl FnMut(&[f64]) -> Result<(), E>,
    ) -> Result<(), E> {
        let step = (BLOCK_BYTES / F64).max(1);
        let (mut buf, mut vals) = (Vec::new(), Vec::new());
        let mut lo = 0;
        while lo < self.cells {
            let hi = (lo + step).min(self.cells);
            self.read(0, k, lo, hi, &mut buf, &mut vals)?;
            f(&vals)?;
            lo = hi;
        }
        Ok(())
    }
}

/// Removes the spill file once the handle (declared before it in [`Spill`], so dropped first)
/// is closed; on Unix the file was removed as soon as it was opened.
#[derive(Debug)]
struct Remove(PathBuf);

impl Drop for Remove {
    fn drop(&mut self) {
        // On Unix it is gone already; the error that gives is of no interest.
        let _ = std::fs::remove_file(&self.0);
    }
}

/// One policy's part of one replication's row, written as the engine closes each week
/// (see [`Spill::row_writer`]); a write failure is kept for [`Spill::check`].
#[derive(Debug)]
pub struct RowWriter {
    spill: Arc<Spill>,
    /// Byte offset of the policy's part of the row in the file.
    at: u64,
    /// Values already written.
    flushed: usize,
    /// Values not yet written, as bytes.
    buf: Vec<u8>,
}

impl RowWriter {
    fn pending(&self) -> usize {
        self.flushed + self.buf.len() / F64
    }

    fn push(&mut self, v: f64) {
        if self.pending() < self.spill.cells {
            self.buf.extend_from_slice(&v.to_le_bytes());
        }
    }

    fn flush(&mut self) {
        if self.buf.is_empty() {
            return;
        }
        let at = self.at + (self.flushed * F64) as u64;
        let written = {
            let mut f = self.spill.file.lock().unwrap_or_else(|p| p.into_inner());
            f.seek(SeekFrom::Start(at))
                .and_then(|_| f.write_all(&self.buf))
        };
        if let Err(e) = written {
            self.spill.keep_failure(e);
        }
        self.flushed += self.buf.len() / F64;
        self.buf.clear();
    }
}

impl WeeklySink for RowWriter {
    fn week(&mut self, week: usize, row: &[f64]) {
        // A week never closed stays zero, as in the engine's own series.
        while self.pending() < week * self.spill.series {
            self.push(0.0);
        }
        for &v in row {
            self.push(v);
        }
        if self.buf.len() >= WRITE_BUFFER {
            self.flush();
        }
    }

    fn end(&mut self) {
        while self.pending() < self.spill.cells {
            self.push(0.0);
        }
        self.flush();
    }
}

/// Bytes a row is written in at a time.
const WRITE_BUFFER: usize = 64 * 1024;

/// Memory a block of weekly aggregates may take while a spilled run is written (bytes), per
/// 64 replications: see [`block_bytes`].
pub const BLOCK_BYTES: usize = 256 * 1024;

/// Memory a block of weekly aggregates of `reps` replications may take while a spilled run is
/// written: [`BLOCK_BYTES`] per 64 replications, at most 32 MiB. Each row is read once per
/// block, so a block sized by the replications keeps the reads few (a 2,000-replication run of
/// a year read back a week at a time took 312,000 reads) while a long run of few replications
/// keeps a small block (its memory stays flat in the horizon).
pub fn block_bytes(reps: u64) -> usize {
    BLOCK_BYTES * reps.div_ceil(64).clamp(1, 128) as usize
}

/// Heap and inline bytes of one weekly aggregate after `reps` replications, as an estimate:
/// the sketch keeps up to [`crate::stats::SKETCH_EXACT`] values exactly (with the vector's
/// spare capacity), then bucket counts.
pub fn cell_bytes(reps: u64) -> usize {
    let exact = reps.min(crate::stats::SKETCH_EXACT as u64 + 1) as usize;
    std::mem::size_of::<WeeklyAgg>() + 64 + 16 * exact
}
