//! The acceptance queue of `lanes submit`: how it is split and how accepted changes merge.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Queue {
    pub split: QueueSplit,
    pub merge: MergeStyle,
}

/// Which changes the queue orders against each other.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum QueueSplit {
    /// Only changes sharing an affected component: disjoint ones are accepted in parallel.
    #[default]
    Component,
    /// Every change waits for every change submitted before it.
    Shared,
}

/// How an accepted change enters the default branch.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum MergeStyle {
    /// The branch moves to the change itself when the change is based on its tip; a merge
    /// commit otherwise.
    #[default]
    FastForward,
    /// Always a merge commit, even when a fast-forward is possible.
    MergeCommit,
}
