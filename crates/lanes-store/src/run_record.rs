//! Runs: one row per `lanes run` invocation, so that a run whose process died is found and
//! recovered from.

use std::fmt;

use lanes_engine::Millis;

/// Identifies a run in the ledger. Ids grow: a higher id is a newer run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RunId(pub i64);

impl fmt::Display for RunId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// One `lanes run` invocation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunRecord {
    pub id: RunId,
    /// The commit whose lanes it ran.
    pub commit: String,
    /// The process that ran them.
    pub pid: u32,
    pub started_at: Millis,
    /// `None` while it runs, or when its process died before finishing.
    pub finished_at: Option<Millis>,
}
