//! The `flowsim` binary: parse arguments, call the library, turn failures into exit codes.

use clap::Parser;
use flowsim::cli::{self, Cli, Command};

fn main() {
    let cli = Cli::parse();
    let result = match &cli.command {
        Command::Run(args) => cli::run(args),
        Command::Validate(args) => flowsim::validate::command(args.out.as_deref()),
        Command::Check(args) => cli::check(args),
        Command::Sweep(args) => cli::sweep(args),
        Command::Chart(args) => cli::chart(args),
        Command::Merge(args) => cli::merge(args),
    };
    if let Err(f) = result {
        if !f.message.is_empty() {
            eprint!("{}", f.message);
            if !f.message.ends_with('\n') {
                eprintln!();
            }
        }
        std::process::exit(f.code);
    }
}
