//! `flowsim check`: validate scenario files without running them.

use super::print_out;
use crate::cli::CheckArgs;
use crate::error::Error;

/// `flowsim check`: validates every file (a folder's `*.toml` files, like `run`); prints `ok: FILE` for each valid one and every
/// problem of the others (on stderr).
///
/// # Errors
/// Bad input naming how many files have problems (their problems are already on stderr), or a
/// closed standard output (which stops at once).
pub fn check(args: &CheckArgs) -> Result<(), Error> {
    let mut bad = 0;
    let mut files = 0;
    for item in super::input::expand(&args.scenarios) {
        files += 1;
        let path = match item {
            Ok(p) => p,
            Err(e) => {
                bad += 1;
                super::print_err(&format!("{e}\n"));
                continue;
            }
        };
        match crate::scenario::load_file(&path) {
            Ok(_) => print_out(&format!("ok: {}\n", path.display()))?,
            Err(e) => {
                bad += 1;
                super::print_err(&e.to_string());
            }
        }
    }
    if bad == 0 {
        return Ok(());
    }
    Err(Error::bad_input(format!(
        "{bad} of {files} scenario file{} {} problems.",
        if files == 1 { "" } else { "s" },
        if bad == 1 { "has" } else { "have" }
    )))
}
