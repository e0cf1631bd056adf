//! Where a stage of a lane stands.

use serde::{Deserialize, Serialize};

/// The state of one stage of one lane (`lanes status --json` prints these words).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum StageState {
    /// Not started: an earlier stage has not finished yet.
    Pending,
    /// Its steps are running (or its deploy is).
    Running,
    /// The ledger says it runs, but the process that ran it is gone; the next `lanes run` of the
    /// commit recovers it. Only views say so, once their caller found the process gone
    /// ([`crate::CommitView::abandoned`]): the world holds such a stage as running.
    Abandoned,
    /// Ready but held by a gate: an approval, an environment lock.
    Waiting,
    /// Its steps passed (possibly on a retry: then it is marked flaky).
    Succeeded,
    /// A step failed, or the stage was rejected; the lane stops here.
    Failed,
    /// The same version already passed this stage: nothing was run, the stage carries the
    /// commit that passed it.
    Unchanged,
    /// The process running its deploy died; a person decides: retry or roll back.
    Interrupted,
    /// It will not run: an earlier stage failed, or a newer version superseded this one.
    Canceled,
    /// Not part of this lane: a hotfix walks only the stages the manifest requires for hotfixes.
    Skipped,
}

impl StageState {
    /// Whether the stage will not change again without a person's decision.
    #[must_use]
    pub fn is_final(self) -> bool {
        matches!(
            self,
            Self::Succeeded | Self::Failed | Self::Unchanged | Self::Canceled | Self::Skipped
        )
    }

    /// Whether the lane may go on past this stage.
    #[must_use]
    pub fn is_green(self) -> bool {
        matches!(self, Self::Succeeded | Self::Unchanged | Self::Skipped)
    }

    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Running => "running",
            Self::Abandoned => "abandoned",
            Self::Waiting => "waiting",
            Self::Succeeded => "succeeded",
            Self::Failed => "failed",
            Self::Unchanged => "unchanged",
            Self::Interrupted => "interrupted",
            Self::Canceled => "canceled",
            Self::Skipped => "skipped",
        }
    }
}
