//! `flowsim chart DIR`: redraw a finished run's, sweep's, forecast's or levers' charts from
//! its files.

use super::print_out;
use crate::cli::ChartCmdArgs;
use crate::error::Error;

/// `flowsim chart DIR`: redraws a finished run's or sweep's charts and report from its files.
///
/// # Errors
/// The folder is not an output folder, a file cannot be read or written, or standard output
/// is closed.
pub fn chart(args: &ChartCmdArgs) -> Result<(), Error> {
    use crate::output::files;
    // A forecast or levers folder has one chart and its own short report.
    let name = args
        .dir
        .file_name()
        .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
    for (csv, stem) in [(files::FORECAST, "forecast"), (files::LEVERS, "levers")] {
        if args.dir.join(csv).is_file() {
            if stem == "forecast" {
                crate::charts::forecast::draw_dir(&args.dir, args.chart_size)?;
            } else {
                crate::charts::tornado::draw_dir(&args.dir, args.chart_size)?;
            }
            crate::charts::write_standalone_report(&args.dir, &name, csv, stem)?;
            return print_out(&format!(
                "Wrote 2 chart files in {} and {}\n",
                args.dir.join(files::CHARTS).display(),
                args.dir.join(files::REPORT).display()
            ));
        }
    }
    let opts = crate::charts::ChartOptions {
        size: args.chart_size,
        cfd_weeks: args.cfd_weeks,
    };
    let written = crate::charts::draw_dir(&args.dir, &opts)?;
    print_out(&format!(
        "Wrote {} chart files and {}\n",
        written.files.len(),
        written.report.display()
    ))
}
