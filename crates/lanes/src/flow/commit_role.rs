//! Where a commit is, read from the shared branches (on `origin` when the repository has it):
//! on the default branch, on the release branch, or on neither — proposed.

use lanes_engine::Role;
use lanes_git::CommitId;
use lanes_manifest::Manifest;

use crate::failure::Failure;
use crate::flow::GitPath;

impl GitPath {
    /// The role of `commit` by the shared branches alone: `default` when the default branch
    /// holds it, `release` when only the release branch does, else `proposed`. The queue's
    /// candidates and hotfixes are known from the ledger, not from here.
    pub(crate) fn role_of(&self, manifest: &Manifest, commit: CommitId) -> Result<Role, Failure> {
        let branches = manifest.branches();
        if self.holds(&branches.default, commit)? {
            return Ok(Role::Default);
        }
        if let Some(release) = &branches.release
            && self.holds(release, commit)?
        {
            return Ok(Role::Release);
        }
        Ok(Role::Proposed)
    }

    /// Whether `branch` exists and `commit` is its tip or one of the tip's ancestors.
    fn holds(&self, branch: &str, commit: CommitId) -> Result<bool, Failure> {
        match self.tip(branch)? {
            Some(tip) => Ok(self.repo.is_ancestor(commit, tip)?),
            None => Ok(false),
        }
    }
}
