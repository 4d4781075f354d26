//! `flowsim serve`: the live workshop page (see [`crate::serve`]).

use super::input::read_source;
use super::print_out;
use crate::cli::ServeArgs;
use crate::error::Error;

/// `flowsim serve`: loads the scenario, binds the address, prints the page's address and serves
/// until Ctrl-C.
///
/// # Errors
/// A bad scenario or value, an address that cannot be bound, or a closed standard output.
pub fn serve(args: &ServeArgs) -> Result<(), Error> {
    if args.threads == Some(0) {
        return Err(Error::bad_input(
            "--threads must be at least 1 (leave it out to use all cores)",
        ));
    }
    let src = read_source(args.scenario.as_deref())?;
    let options = crate::serve::Options {
        listen: args.listen.clone(),
        full_reps: args.reps,
        threads: args.threads,
    };
    let server = crate::serve::Server::start(&src.text, &src.origin, &options)?;
    print_out(&format!(
        "flowsim serve: {} on {}\n(Ctrl-C stops it)\n",
        server.scenario_name(),
        server.url()
    ))?;
    server.run(crate::interrupt::flag())?;
    eprintln!("flowsim serve: stopped");
    Ok(())
}
