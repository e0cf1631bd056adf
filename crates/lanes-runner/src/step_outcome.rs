//! How a step ended.

use std::fmt;

use nix::sys::signal::Signal;

/// How a step ended, as a CI verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StepOutcome {
    /// The step's process exited with status 0.
    Succeeded,
    /// The step's process exited with a non-zero status or was killed by a signal it did not
    /// get from the runner. A command that is not found is a failure with exit code 127.
    Failed {
        /// The exit status, if the process exited.
        exit_code: Option<i32>,
        /// The signal that killed the process, if one did.
        signal: Option<i32>,
    },
    /// The step ran past its timeout and was terminated.
    TimedOut,
    /// The step was canceled and terminated.
    Canceled,
}

impl StepOutcome {
    /// Whether the step succeeded.
    #[must_use]
    pub fn is_success(self) -> bool {
        self == StepOutcome::Succeeded
    }
}

/// A fragment such as `exit code 2` or `killed by signal 9 (SIGKILL)`.
impl fmt::Display for StepOutcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            StepOutcome::Succeeded => f.write_str("succeeded"),
            StepOutcome::Failed {
                exit_code: Some(code),
                ..
            } => write!(f, "failed with exit code {code}"),
            StepOutcome::Failed {
                signal: Some(number),
                ..
            } => match Signal::try_from(number) {
                Ok(signal) => write!(f, "killed by signal {number} ({signal})"),
                Err(_) => write!(f, "killed by signal {number}"),
            },
            StepOutcome::Failed { .. } => f.write_str("failed with an unknown status"),
            StepOutcome::TimedOut => f.write_str("timed out"),
            StepOutcome::Canceled => f.write_str("canceled"),
        }
    }
}
