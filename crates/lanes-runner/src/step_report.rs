//! What the runner reports about a finished step.

use std::time::Duration;

use jiff::Timestamp;

use crate::StepOutcome;

/// A finished step: how it ended and when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StepReport {
    /// How the step ended.
    pub outcome: StepOutcome,
    /// When the step's process was started.
    pub started_at: Timestamp,
    /// When the step's process group was gone and its output read.
    pub finished_at: Timestamp,
    /// How long the step took, measured with a monotonic clock.
    pub duration: Duration,
    /// The step's process id, which is also its process group id.
    pub pid: u32,
}
