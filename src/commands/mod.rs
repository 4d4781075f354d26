//! The commands behind the command line: `run`, `sweep`, `merge`, `chart`, `check`,
//! `validate`, `forecast`, `levers` and `serve`, one file each (`schema` is one line here).
//!
//! Why it exists: [`crate::cli`] only describes arguments; this module turns them into loaded,
//! overridden and validated scenarios, runs the library and prints what happened. Every
//! command returns [`Error`], and only `main` turns it into an exit code. Terminal output goes
//! through [`print_out`], which turns a closed pipe (`flowsim check ... | head -1`) into
//! [`Error::closed_pipe`]: stop, and exit quietly with success.
//!
//! Dependencies run one way: commands → [`crate::shard`] → [`crate::output`].

mod chart;
mod check;
mod forecast;
mod input;
mod levers;
mod merge;
mod run;
mod serve;
mod sweep;
mod validate;

use std::cell::RefCell;
use std::io::Write;
use std::path::Path;

use crate::cli::{ChartArgs, Command};
use crate::error::Error;

pub use chart::chart;
pub use check::check;
pub use forecast::forecast;
pub use input::{apply_overrides, load_with_overrides, read_source};
pub use levers::levers;
pub use merge::merge;
pub use run::run;
pub use serve::serve;
pub use sweep::sweep;
pub use validate::validate;

/// Runs one command.
///
/// `run` and `sweep` stop early on Ctrl-C only once [`crate::interrupt::install`] has run
/// (the binary installs it for them).
///
/// # Errors
/// The command's failure, with its kind (hence its exit code) and message.
pub fn execute(command: &Command) -> Result<(), Error> {
    match command {
        Command::Run(args) => run(args),
        Command::Validate(args) => validate(args),
        Command::Check(args) => check(args),
        Command::Schema => print_out(&format!("{:#}\n", crate::scenario::json_schema())),
        Command::Sweep(args) => sweep(args),
        Command::Chart(args) => chart(args),
        Command::Merge(args) => merge(args),
        Command::Forecast(args) => forecast(args),
        Command::Levers(args) => levers(args),
        Command::Serve(args) => serve(args),
    }
}

thread_local! {
    /// Text [`print_out`] and [`print_err`] collect instead of printing (standard output,
    /// standard error), while [`capture_out`] runs.
    static CAPTURED: RefCell<Option<(String, String)>> = const { RefCell::new(None) };
}

/// Runs `f` with this thread's [`print_out`] and [`print_err`] text collected instead of
/// written to standard output and error, and returns both beside `f`'s result (the Python
/// module gives a command's terminal text back as strings).
pub fn capture_out<T>(f: impl FnOnce() -> T) -> (T, String, String) {
    /// Stops the capture even if `f` panics.
    struct Stop;
    impl Drop for Stop {
        fn drop(&mut self) {
            CAPTURED.with(|c| c.borrow_mut().take());
        }
    }
    CAPTURED.with(|c| *c.borrow_mut() = Some((String::new(), String::new())));
    let stop = Stop;
    let value = f();
    let (out, err) = CAPTURED.with(|c| c.borrow_mut().take()).unwrap_or_default();
    drop(stop);
    (value, out, err)
}

/// Writes a message to standard error (or to the text [`capture_out`] collects).
pub fn print_err(text: &str) {
    let captured = CAPTURED.with(|c| match c.borrow_mut().as_mut() {
        Some((_, buffer)) => {
            buffer.push_str(text);
            true
        }
        None => false,
    });
    if !captured {
        eprint!("{text}");
    }
}

/// Writes text to standard output (or to the text [`capture_out`] collects).
///
/// # Errors
/// [`Error::closed_pipe`] when the reader has gone (`flowsim run | head`): the caller stops
/// and the program exits quietly with success; any other write failure is a failure.
pub fn print_out(text: &str) -> Result<(), Error> {
    let captured = CAPTURED.with(|c| match c.borrow_mut().as_mut() {
        Some((buffer, _)) => {
            buffer.push_str(text);
            true
        }
        None => false,
    });
    if captured {
        return Ok(());
    }
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Err(Error::closed_pipe()),
        Err(e) => Err(Error::failed(format!(
            "cannot write to standard output: {e}"
        ))),
    }
}

/// After a result folder is written: stores the scenario text and, unless `--no-charts`, draws
/// the charts and the report from the folder's files.
///
/// # Errors
/// A chart or the report cannot be drawn or written.
pub fn draw_charts(dir: &Path, scenario_text: &str, args: &ChartArgs) -> Result<(), Error> {
    crate::output::folder::write_scenario_text(dir, scenario_text)?;
    if !args.no_charts {
        let opts = crate::charts::ChartOptions {
            size: args.chart_size,
            cfd_weeks: args.cfd_weeks,
        };
        crate::charts::draw_dir(dir, &opts)?;
    }
    Ok(())
}

/// Tells stderr when an existing result made the run choose a new numbered folder.
fn announce_target(wanted: &Path, target: &Path) {
    if wanted != target {
        eprintln!(
            "note: {} already holds a result; writing to {} instead (--force replaces it once the new result is complete)",
            wanted.display(),
            target.display()
        );
    }
}

/// Adds to the final "Wrote DIR" line why DIR is not the folder asked for.
fn wrote_note(mut text: String, wanted: &Path, done: &Path) -> String {
    if wanted != done {
        if text.ends_with('\n') {
            text.pop();
        }
        text.push_str(&format!(
            " ({} already held a result; --force replaces it)\n",
            wanted.display()
        ));
    }
    text
}
