//! Where a commit is when its lanes are created: the role of the ref that brought it decides
//! what it walks.

use serde::{Deserialize, Serialize};

/// The role of a lane's commit. Only commits that reached a shared branch (or the queue, or a
/// hotfix branch) walk stages that deploy, gate or merge; everything else is `proposed`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// On the default branch: walks every stage. Lanes recorded before roles existed read as
    /// this, which is what they walked.
    #[default]
    Default,
    /// On the release branch and not on the default branch: walks every stage.
    Release,
    /// An intermediate commit of the acceptance queue (`lanes/accept/<id>`): walks up to the
    /// stage that merges, and on only once it merged as that very commit.
    Candidate,
    /// The tip of a hotfix branch: walks the hotfix stages.
    Hotfix,
    /// On no shared branch (a pull request's head, a feature branch): walks only the
    /// manifest's `proposed.stages`, which deploy nothing, gate nothing and merge nothing.
    Proposed,
}

impl Role {
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Default => "default",
            Self::Release => "release",
            Self::Candidate => "candidate",
            Self::Hotfix => "hotfix",
            Self::Proposed => "proposed",
        }
    }
}
