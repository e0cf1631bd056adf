//! A hotfix: a branch cut from the commit deployed in production, whose fix walks the stages
//! the manifest requires for hotfixes and is then forward-ported to the default branch.

use serde::{Deserialize, Serialize};

use crate::{ChangeId, Millis};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Hotfix {
    /// 1, 2, ... per component: the `<n>` of `hotfix/<component>/<n>`.
    pub number: u64,
    pub component: String,
    /// `hotfix/<component>/<n>`.
    pub branch: String,
    /// The production tag it was cut from, and that tag's commit.
    pub tag: String,
    pub base: String,
    pub cut_at: Millis,
    /// Commits of the branch whose lanes ran as this hotfix, oldest first.
    pub commits: Vec<String>,
    /// Environments a version of the hotfix runs in now: deployed there, not rolled back since.
    pub deployed_to: Vec<String>,
    /// Environments a rollback took the hotfix out of (absent in older ledgers).
    #[serde(default)]
    pub rolled_back_from: Vec<String>,
    pub forward_port: Option<ForwardPort>,
}

/// What became of carrying the fix to the default branch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum ForwardPort {
    /// Cherry-picked onto the default branch as `commit` and submitted as `change`.
    Submitted { commit: String, change: ChangeId },
    /// The cherry-pick conflicts: a person carries the fix over.
    Conflict { files: Vec<String> },
}

impl Hotfix {
    /// Commits whose presence in a version means it carries the fix.
    pub fn fix_commits(&self) -> impl Iterator<Item = &str> {
        let ported = match &self.forward_port {
            Some(ForwardPort::Submitted { commit, .. }) => Some(commit.as_str()),
            _ => None,
        };
        self.commits.iter().map(String::as_str).chain(ported)
    }
}
