//! `flowsim chart DIR`: redraw a finished run's or sweep's charts from its files.

use super::print_out;
use crate::cli::ChartCmdArgs;
use crate::error::Error;

/// `flowsim chart DIR`: redraws a finished run's or sweep's charts and report from its files.
///
/// # Errors
/// The folder is not an output folder, a file cannot be read or written, or standard output
/// is closed.
pub fn chart(args: &ChartCmdArgs) -> Result<(), Error> {
    let opts = crate::charts::ChartOptions {
        size: args.chart_size,
    };
    let written = crate::charts::draw_dir(&args.dir, &opts)?;
    print_out(&format!(
        "Wrote {} chart files and {}\n",
        written.files.len(),
        written.report.display()
    ))
}
