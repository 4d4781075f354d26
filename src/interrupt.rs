//! Ctrl-C (SIGINT): a flag the experiment checks, instead of the process dying mid-write.
//!
//! Why this exists: a run may last hours. Killed by the default SIGINT action, it would leave a
//! half-written folder and lose every replication it had finished. Once [`install`] has run, the
//! first Ctrl-C only sets a flag: workers stop starting replications, the replications that
//! finished are written and marked partial, and the program exits with
//! [`crate::error::EXIT_INTERRUPTED`]. A second Ctrl-C calls the `stop_at_once` given to
//! [`install`] (the binary's exits at once; the unfinished output stays in its hidden
//! `.NAME.partial-PID` folder, never in place of a result). This module never exits itself:
//! only `main` does.

use std::sync::Once;
use std::sync::atomic::{AtomicBool, Ordering};

static REQUESTED: AtomicBool = AtomicBool::new(false);
static INSTALL: Once = Once::new();

/// Installs the Ctrl-C handler (once per process; later calls do nothing): the first Ctrl-C
/// sets the flag, a second calls `stop_at_once` (on the handler's thread). If the handler
/// cannot be installed, Ctrl-C keeps its default action and a note goes to stderr.
pub fn install(stop_at_once: fn() -> !) {
    INSTALL.call_once(|| {
        let r = ctrlc::set_handler(move || {
            if REQUESTED.swap(true, Ordering::SeqCst) {
                eprintln!("\nInterrupted again: stopping at once; nothing more is written.");
                stop_at_once();
            }
            eprintln!(
                "\nInterrupted: finishing the replications under way and writing them (Ctrl-C again to stop at once)..."
            );
        });
        if let Err(e) = r {
            eprintln!("note: cannot catch Ctrl-C ({e}); an interrupted run will leave no output");
        }
    });
}

/// The flag the handler sets; experiments stop when it is set.
pub fn flag() -> &'static AtomicBool {
    &REQUESTED
}

/// Whether Ctrl-C was pressed.
pub fn requested() -> bool {
    REQUESTED.load(Ordering::Relaxed)
}
