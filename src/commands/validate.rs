//! `flowsim validate`: the engine against queueing theory (the cases live in
//! [`crate::validate`]).

use std::path::Path;
use std::time::Instant;

use super::print_out;
use crate::cli::ValidateArgs;
use crate::error::Error;
use crate::output::files;
use crate::validate::{CASES, table, write_csv};

/// `flowsim validate`: runs every case, prints the table and writes `DIR/validation.csv`.
///
/// # Errors
/// A failure when a check fails or a case cannot run; bad input when the output folder cannot
/// be written (checked before the long run); a closed standard output.
pub fn validate(args: &ValidateArgs) -> Result<(), Error> {
    let default_dir = Path::new(files::DEFAULT_PARENT).join(files::VALIDATION_DIR);
    let dir = args.out.as_deref().unwrap_or(&default_dir);
    let path = dir.join(files::VALIDATION);
    let cannot_write = |e: &dyn std::fmt::Display| {
        Error::bad_input(format!("cannot write {}: {e}", path.display()))
    };
    std::fs::create_dir_all(dir).map_err(|e| cannot_write(&e))?;
    std::fs::File::create(&path).map_err(|e| cannot_write(&e))?;
    let mut checks = Vec::new();
    let mut errors = Vec::new();
    for case in CASES {
        let t = Instant::now();
        match case.checks() {
            Ok(c) => {
                eprintln!(
                    "{:<20} {} checks in {:.1} s ({})",
                    case.name,
                    c.len(),
                    t.elapsed().as_secs_f64(),
                    case.source
                );
                checks.extend(c);
            }
            Err(e) => errors.push(e),
        }
    }
    print_out(&table(&checks))?;
    write_csv(&checks, &path).map_err(|e| cannot_write(&e))?;
    let failed = checks.iter().filter(|c| !c.pass).count();
    print_out(&format!(
        "{} of {} checks passed; written to {}\n",
        checks.len() - failed,
        checks.len(),
        path.display()
    ))?;
    if failed > 0 || !errors.is_empty() {
        return Err(Error::failed(
            errors.join("\n") + &format!("{failed} validation checks failed"),
        ));
    }
    Ok(())
}
