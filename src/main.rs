//! The `flowsim` binary: parse arguments, run the command, turn its error into a message and
//! an exit code. The only place the process exits.

use std::process::ExitCode;

use clap::Parser;
use flowsim::cli::{Cli, Command};
use flowsim::error::EXIT_INTERRUPTED;

/// A second Ctrl-C during a run: end the process now.
fn stop_at_once() -> ! {
    std::process::exit(EXIT_INTERRUPTED)
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    if matches!(
        cli.command,
        Command::Run(_)
            | Command::Sweep(_)
            | Command::Forecast(_)
            | Command::Levers(_)
            | Command::Serve(_)
    ) {
        flowsim::interrupt::install(stop_at_once);
    }
    let Err(e) = flowsim::commands::execute(&cli.command) else {
        return ExitCode::SUCCESS;
    };
    let message = e.message();
    if !message.is_empty() {
        eprint!("{message}");
        if !message.ends_with('\n') {
            eprintln!();
        }
    }
    ExitCode::from(u8::try_from(e.exit_code()).unwrap_or(1))
}
