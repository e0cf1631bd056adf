//! Where a commit is, read from the shared branches (on `origin` when the repository has it):
//! on the default branch, on the release branch, the tip of a host's merge queue branch (a
//! candidate), or on neither — proposed.

use lanes_engine::Role;
use lanes_git::CommitId;
use lanes_manifest::Manifest;

use crate::failure::Failure;
use crate::flow::GitPath;

/// Where GitHub's merge queue puts the commits it tests: `gh-readonly-queue/<base>/pr-...`.
const MERGE_QUEUE_PREFIX: &str = "gh-readonly-queue/";

impl GitPath {
    /// The role of `commit` by the shared branches alone: `default` when the default branch
    /// holds it, `release` when only the release branch does, `candidate` when it is the tip
    /// of a branch of GitHub's merge queue for the default branch
    /// (`gh-readonly-queue/<default>/...`), else `proposed`. The candidates of lanes' own queue
    /// and hotfixes are known from the ledger, not from here.
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
        if self.is_merge_queue_tip(&branches.default, commit)? {
            return Ok(Role::Candidate);
        }
        Ok(Role::Proposed)
    }

    /// Whether `commit` is the tip of a branch GitHub's merge queue made for `default`: the
    /// merge group's commit, which the queue merges as it is once its checks pass.
    fn is_merge_queue_tip(&self, default: &str, commit: CommitId) -> Result<bool, Failure> {
        let prefix = format!("{MERGE_QUEUE_PREFIX}{default}/");
        let refs = match &self.remote {
            Some(remote) => {
                let mirror = format!("refs/remotes/{remote}/{prefix}");
                self.repo.git(&[
                    "fetch",
                    "--quiet",
                    "--prune",
                    remote,
                    &format!("+refs/heads/{prefix}*:{mirror}*"),
                ])?;
                mirror
            }
            None => format!("refs/heads/{prefix}"),
        };
        let tips = self.repo.git(&[
            "for-each-ref",
            "--format=%(refname)",
            "--points-at",
            &commit.to_string(),
            &refs,
        ])?;
        Ok(!tips.trim().is_empty())
    }

    /// Whether `branch` exists and `commit` is its tip or one of the tip's ancestors.
    fn holds(&self, branch: &str, commit: CommitId) -> Result<bool, Failure> {
        match self.tip(branch)? {
            Some(tip) => Ok(self.repo.is_ancestor(commit, tip)?),
            None => Ok(false),
        }
    }
}
