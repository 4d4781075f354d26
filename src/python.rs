//! The Python extension module `flowsim._native`, compiled only with `--features python`
//! (maturin builds it from `pyproject.toml`; the package around it is `python/flowsim/`).
//!
//! Why it exists: researchers work in Python notebooks. The module is one function, `cli`,
//! which runs a command line (`["flowsim", "run", "s.toml", "--out", DIR, ...]`) through the
//! same [`crate::cli`] parser and [`crate::commands::execute`] as the binary, in-process, and
//! returns the text the command would have printed (a failure raises `FlowsimError` with
//! what it would have printed to standard error). The Python layer reads the result folder's
//! CSV files back, so its numbers are the command line's by construction: nothing is computed
//! twice.

use clap::Parser;
use pyo3::create_exception;
use pyo3::exceptions::{PyException, PyValueError};
use pyo3::prelude::*;

use crate::cli::Cli;
use crate::error::Error;

create_exception!(
    _native,
    FlowsimError,
    PyException,
    "A flowsim command failed: bad input (the message names the file, the place and the fix), a file that cannot be written, or a run over its guard."
);

/// Runs one command line in this process and returns what it printed to standard output.
/// The simulation runs without the interpreter lock, on flowsim's own threads.
#[pyfunction]
fn cli(py: Python<'_>, argv: Vec<String>) -> PyResult<String> {
    let parsed = Cli::try_parse_from(&argv).map_err(|e| PyValueError::new_err(e.to_string()))?;
    let (result, out, err) =
        py.detach(|| crate::commands::capture_out(|| crate::commands::execute(&parsed.command)));
    result.map_err(|e: Error| {
        // `run` reports each failing scenario as it goes (captured in `err`) and returns a
        // count; say both.
        let said = [err.trim_end(), e.message().trim_end()]
            .into_iter()
            .filter(|s| !s.is_empty())
            .collect::<Vec<_>>()
            .join("\n");
        FlowsimError::new_err(format!("{said} (exit code {})", e.exit_code()))
    })?;
    Ok(out)
}

/// The module `flowsim._native`.
#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(cli, m)?)?;
    m.add("FlowsimError", m.py().get_type::<FlowsimError>())?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
