//! A change in the acceptance queue (`lanes submit`), and the intermediate commit it is
//! accepted on.

use serde::{Deserialize, Serialize};

use crate::Millis;

/// Identifies a change. Ids grow: a lower id was submitted earlier and is ahead in the queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct ChangeId(pub u64);

impl std::fmt::Display for ChangeId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "#{}", self.0)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Change {
    pub id: ChangeId,
    /// The branch as submitted (untrusted text: argv and environment only).
    pub branch: String,
    /// The commit at the branch's tip when it was submitted.
    pub head: String,
    /// `Name <email>` of the head's author.
    pub author: String,
    /// Who submitted it: `Name <email>`, or a token's name; empty in older ledgers.
    pub submitted_by: String,
    /// The components the change affects against the default branch, sorted.
    pub components: Vec<String>,
    /// The first change of the batch it was submitted with (itself when alone).
    pub batch: ChangeId,
    pub submitted_at: Millis,
    pub state: ChangeState,
    /// The intermediate commit it is being accepted on, once built.
    pub candidate: Option<Candidate>,
    /// How its passed candidate was carried onto a `main` that had moved, when it was.
    #[serde(default)]
    pub carried: Option<Carried>,
}

/// A passed candidate carried onto the default branch after it moved: the merge of the new tip
/// with the change holds every tested component at the fingerprint that passed, so the change
/// merged as that commit without running its stages again.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Carried {
    /// The candidate whose lanes passed.
    pub from_candidate: String,
    /// The merge of the new tip with the change; the change merged as it.
    pub to_commit: String,
    /// The changes that moved the default branch since the candidate was built (none when it
    /// moved by a push from outside the queue).
    pub main_moved_by: Vec<ChangeId>,
}

impl Carried {
    /// `accepted on candidate 1a2b3c4; main moved by #12, #14, which touch none of its
    /// components`.
    #[must_use]
    pub fn provenance(&self) -> String {
        let moved = if self.main_moved_by.is_empty() {
            "main moved".to_owned()
        } else {
            let list: Vec<String> = self.main_moved_by.iter().map(ToString::to_string).collect();
            format!("main moved by {}", list.join(", "))
        };
        format!(
            "accepted on candidate {}; {moved}, which touch none of its components",
            crate::next_step::short(&self.from_candidate)
        )
    }
}

/// Where a change stands in the queue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum ChangeState {
    Queued,
    /// In the default branch as `commit` (the candidate it was accepted on).
    Merged {
        commit: String,
        at: Millis,
    },
    /// Out of the queue: a failed acceptance or a conflict; nobody else was evicted.
    Evicted {
        reason: String,
        at: Millis,
    },
}

/// The commit a change is accepted on: the default branch, the changes ahead of it that share
/// its components, and the change (with the others of its group when batched).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Candidate {
    pub commit: String,
    /// The intermediate branch pointing at it (`lanes/accept/<id>`).
    pub branch: String,
    /// The default branch's tip it was built on.
    pub base: String,
    /// Changes ahead in the queue it was built on top of, in queue order.
    pub includes: Vec<ChangeId>,
    /// The changes accepted together on it (one, or a batch under test).
    pub group: Vec<ChangeId>,
    pub at: Millis,
}

impl Change {
    #[must_use]
    pub fn is_queued(&self) -> bool {
        self.state == ChangeState::Queued
    }

    /// Whether it shares an affected component with `other`.
    #[must_use]
    pub fn overlaps(&self, other: &Change) -> bool {
        self.components
            .iter()
            .any(|component| other.components.contains(component))
    }
}
