//! The one error type of the commands, and the one place that decides exit codes.
//!
//! Why it exists: every command ends in one of a few ways (bad input, a failure while working,
//! Ctrl-C, a reader that closed our standard output), and the binary must turn each into the
//! same exit code whichever command met it. Commands and the modules they call return
//! [`Error`]; only `main` exits, with [`Error::exit_code`].

use std::fmt;

/// Exit code of a run stopped by Ctrl-C (128 + SIGINT, as shells report it).
pub const EXIT_INTERRUPTED: i32 = 130;

/// How a command failed; decides the exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Kind {
    /// The reader of standard output went away (`flowsim check ... | head -1`): stop quietly,
    /// exit code 0, as ripgrep and hyperfine do.
    ClosedPipe,
    /// Something failed while working: a file that cannot be written, a failed validation
    /// check, no thread pool. Exit code 1.
    Failed,
    /// The input is wrong: a scenario, a flag, a shard folder. Exit code 2.
    BadInput,
    /// Ctrl-C stopped a run; what finished was written. Exit code [`EXIT_INTERRUPTED`].
    Interrupted,
}

/// A failure that ends a command: its kind (hence its exit code) and a message for stderr.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    kind: Kind,
    message: String,
}

impl Error {
    /// An error of `kind` with `message` (which may be empty when the details are already on
    /// stderr).
    pub fn new(kind: Kind, message: impl Into<String>) -> Self {
        Error {
            kind,
            message: message.into(),
        }
    }

    /// Bad input (exit code 2).
    pub fn bad_input(message: impl Into<String>) -> Self {
        Error::new(Kind::BadInput, message)
    }

    /// A failure while working (exit code 1).
    pub fn failed(message: impl Into<String>) -> Self {
        Error::new(Kind::Failed, message)
    }

    /// A run stopped by Ctrl-C (exit code [`EXIT_INTERRUPTED`]).
    pub fn interrupted(message: impl Into<String>) -> Self {
        Error::new(Kind::Interrupted, message)
    }

    /// Standard output was closed by its reader: stop, with no message and exit code 0.
    pub fn closed_pipe() -> Self {
        Error::new(Kind::ClosedPipe, String::new())
    }

    /// How the command failed.
    pub fn kind(&self) -> Kind {
        self.kind
    }

    /// The message for stderr; empty when there is nothing more to say.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The same error with its message rewritten by `f`.
    pub fn map_message(self, f: impl FnOnce(String) -> String) -> Self {
        Error {
            kind: self.kind,
            message: f(self.message),
        }
    }

    /// The process exit code: the only mapping from failures to codes.
    pub fn exit_code(&self) -> i32 {
        match self.kind {
            Kind::ClosedPipe => 0,
            Kind::Failed => 1,
            Kind::BadInput => 2,
            Kind::Interrupted => EXIT_INTERRUPTED,
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Error {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exit_codes_are_decided_here() {
        assert_eq!(Error::closed_pipe().exit_code(), 0);
        assert_eq!(Error::failed("x").exit_code(), 1);
        assert_eq!(Error::bad_input("x").exit_code(), 2);
        assert_eq!(Error::interrupted("x").exit_code(), 130);
    }

    #[test]
    fn kinds_order_by_severity() {
        assert!(Kind::Interrupted > Kind::BadInput && Kind::BadInput > Kind::Failed);
    }
}
