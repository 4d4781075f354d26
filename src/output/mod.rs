//! Files an experiment writes: tidy CSV for pandas and R, and a JSON manifest.
//!
//! One file per format ([`csv`], [`json`]). The folder is created, and every file opened, before
//! the first replication runs, so a bad path fails in a second rather than after a long run.
//! Rows are written in a fixed order (policy order, catalogue order, replication order), never
//! in hash-map order, and numbers use Rust's shortest round-trip formatting, so the same
//! aggregates always give the same bytes. An undefined value is an empty cell, never `NaN`.

pub mod contrasts;
pub mod csv;
pub mod files;
pub mod folder;
pub mod json;
pub mod safe;

use std::path::{Path, PathBuf};

/// A failure to write output, naming the file.
#[derive(Debug, thiserror::Error)]
#[error("{path}: {message}")]
pub struct OutputError {
    /// The file or folder.
    pub path: PathBuf,
    /// What went wrong and what to do.
    pub message: String,
}

impl OutputError {
    /// Wraps an I/O error for `path`.
    pub fn io(path: &Path, e: impl std::fmt::Display) -> Self {
        OutputError {
            path: path.to_path_buf(),
            message: format!(
                "cannot write: {e}; check that the folder is writable and the disk is not full, or choose another with --out"
            ),
        }
    }
}

/// Creates `dir` (and its parents).
///
/// # Errors
/// The folder cannot be created, or the path is a file.
pub fn create_dir(dir: &Path) -> Result<(), OutputError> {
    if dir.is_file() {
        return Err(OutputError {
            path: dir.to_path_buf(),
            message: "is a file, not a folder; choose a folder with --out".into(),
        });
    }
    std::fs::create_dir_all(dir).map_err(|e| OutputError::io(dir, e))
}

/// A number for a CSV cell: shortest round-trip decimal, empty when undefined or not finite.
pub fn num(v: Option<f64>) -> String {
    match v {
        Some(x) if x.is_finite() => {
            // Avoid "-0" in files: it reads as a different value to some tools.
            if x == 0.0 { "0".into() } else { format!("{x}") }
        }
        _ => String::new(),
    }
}

impl From<crate::experiment::SpillError> for OutputError {
    fn from(e: crate::experiment::SpillError) -> Self {
        OutputError::io(&e.path, e.source)
    }
}

impl From<OutputError> for crate::error::Error {
    fn from(e: OutputError) -> Self {
        crate::error::Error::failed(e.to_string())
    }
}
