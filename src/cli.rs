//! Command-line definitions (clap derive) and the commands behind them.

use std::path::PathBuf;

use clap::{Parser, Subcommand};

use crate::metrics::catalogue;
use crate::scenario::{self, Scenario};
use crate::stats::Summary;

/// flowsim: compare push, pull and flow ways of working by Monte Carlo simulation.
#[derive(Debug, Parser)]
#[command(name = "flowsim", version, about)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run a scenario under each of its policies and print a side-by-side table.
    Run(RunArgs),
    /// Check the engine against queueing theory; exit code 1 if any check fails.
    Validate(ValidateArgs),
    /// Check scenario files without running them: prints `ok: FILE` for each valid one and
    /// every problem of the others; exits with 2 when any has a problem.
    Check(CheckArgs),
}

/// Arguments of `flowsim validate`.
#[derive(Debug, clap::Args)]
pub struct ValidateArgs {
    /// Folder for `validation.csv` (default: output/validation).
    #[arg(long)]
    pub out: Option<PathBuf>,
}

/// Arguments of `flowsim check`.
#[derive(Debug, clap::Args)]
pub struct CheckArgs {
    /// Scenario files (TOML) to check.
    #[arg(required = true)]
    pub scenarios: Vec<PathBuf>,
}

/// `flowsim check`: validates every file and reports all of their problems.
///
/// # Errors
/// A bad-input failure naming how many files have problems (their problems are already on
/// stderr).
pub fn check(args: &CheckArgs) -> Result<(), Failure> {
    let mut bad = 0;
    for path in &args.scenarios {
        match scenario::load_file(path) {
            Ok(_) => println!("ok: {}", path.display()),
            Err(e) => {
                bad += 1;
                eprint!("{e}");
            }
        }
    }
    if bad == 0 {
        Ok(())
    } else {
        Err(bad_input(format!(
            "{bad} of {} scenario file{} {} problems.",
            args.scenarios.len(),
            if args.scenarios.len() == 1 { "" } else { "s" },
            if bad == 1 { "has" } else { "have" }
        )))
    }
}

/// Arguments of `flowsim run`.
#[derive(Debug, clap::Args)]
pub struct RunArgs {
    /// Scenario file (TOML). Without one, runs the built-in reference scenario.
    pub scenario: Option<PathBuf>,
    /// Replications per policy (default: the scenario's `run.replications`).
    #[arg(long)]
    pub reps: Option<u32>,
    /// Master seed (default: the scenario's `run.seed`).
    #[arg(long)]
    pub seed: Option<u64>,
    /// Policies to run, comma-separated (default: the scenario's `run.policies`).
    #[arg(long, value_delimiter = ',')]
    pub policies: Option<Vec<String>>,
}

/// A failure that ends the program, with its exit code.
#[derive(Debug)]
pub struct Failure {
    /// Message for stderr.
    pub message: String,
    /// Exit code: 2 for bad input, 1 otherwise.
    pub code: i32,
}

fn bad_input(message: impl Into<String>) -> Failure {
    Failure {
        message: message.into(),
        code: 2,
    }
}

/// Loads the scenario named on the command line, or the reference one.
///
/// # Errors
/// The scenario's problems, as a bad-input failure.
pub fn load(path: Option<&PathBuf>) -> Result<Scenario, Failure> {
    let sc = match path {
        Some(p) => scenario::load_file(p),
        None => scenario::load_str(scenario::REFERENCE, scenario::REFERENCE_NAME),
    };
    sc.map_err(|e| bad_input(e.to_string()))
}

/// Applies `--reps`, `--seed` and `--policies` to a loaded scenario.
///
/// # Errors
/// A policy name the scenario does not define.
pub fn apply_overrides(sc: &mut Scenario, args: &RunArgs) -> Result<(), Failure> {
    if let Some(r) = args.reps {
        if r == 0 {
            return Err(bad_input("--reps must be at least 1."));
        }
        if r > scenario::MAX_REPLICATIONS {
            return Err(bad_input(format!(
                "--reps {r} is beyond the limit of {}; a few hundred replications give tight \
                 confidence intervals.",
                scenario::MAX_REPLICATIONS
            )));
        }
        sc.settings.replications = r;
    }
    if let Some(s) = args.seed {
        sc.settings.seed = s;
    }
    if let Some(names) = &args.policies {
        let mut chosen = Vec::new();
        for n in names {
            match sc.policies.iter().find(|p| &p.name == n) {
                Some(p) => chosen.push(p.clone()),
                None => {
                    let team = sc.model.people.len();
                    match crate::policy::Policy::preset(n, sc.model.stages.len(), team) {
                        Some(p) => chosen.push(p),
                        None => {
                            let known: Vec<&str> =
                                sc.policies.iter().map(|p| p.name.as_str()).collect();
                            return Err(bad_input(format!(
                                "--policies: `{n}` is neither a preset nor a policy of {}; known: {}",
                                sc.origin,
                                known.join(", ")
                            )));
                        }
                    }
                }
            }
        }
        sc.policies = chosen;
    }
    Ok(())
}

/// `flowsim run`.
///
/// # Errors
/// Bad input.
pub fn run(args: &RunArgs) -> Result<(), Failure> {
    let mut sc = load(args.scenario.as_ref())?;
    apply_overrides(&mut sc, args)?;
    let cat = catalogue(&sc.model);
    let np = sc.policies.len();
    let reps = sc.settings.replications as u64;
    let mut values: Vec<Vec<Vec<f64>>> = vec![vec![Vec::new(); cat.len()]; np];
    crate::experiment::run_replications(&sc, 0..reps, |_, k, r| {
        for (m, v) in r.values.iter().enumerate() {
            if let Some(v) = v {
                values[k][m].push(*v);
            }
        }
    });
    let summaries: Vec<Vec<Summary>> = values
        .iter()
        .map(|per| per.iter().map(|v| Summary::of(v)).collect())
        .collect();
    println!(
        "{} — {} replications per policy, seed {}",
        sc.model.name, reps, sc.settings.seed
    );
    let names: Vec<&str> = sc.policies.iter().map(|p| p.name.as_str()).collect();
    print!("{}", crate::report::table(&cat, &names, &summaries));
    Ok(())
}
