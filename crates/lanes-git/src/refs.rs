//! Branches, tags and ancestry, always by fully qualified ref name: a tag named like a branch
//! (or named `refs/heads/main`) is never taken for the branch.

use crate::{CommitId, GitError, Repo};

/// The id git writes for "no such ref" in compare-and-swap updates.
const ZERO: &str = "0000000000000000000000000000000000000000";

impl Repo {
    /// The commit a fully qualified ref (`refs/heads/main`, `refs/remotes/origin/main`) points
    /// at, or `None` when there is no such ref.
    pub fn ref_target(&self, full_name: &str) -> Result<Option<CommitId>, GitError> {
        debug_assert!(full_name.starts_with("refs/"), "a fully qualified ref name");
        let verify = self.git_unchecked(
            &[
                "rev-parse",
                "--verify",
                "--quiet",
                "--end-of-options",
                &format!("{full_name}^{{commit}}"),
            ],
            &[],
        )?;
        if !verify.success {
            return Ok(None);
        }
        self.resolve_commit(verify.stdout.trim()).map(Some)
    }

    /// Points `full_name` at `new` if it still points at `old` (`None`: if it does not exist):
    /// a compare-and-swap, so two writers never lose each other's update. `false` when the ref
    /// moved meanwhile.
    pub fn update_ref(
        &self,
        full_name: &str,
        new: CommitId,
        old: Option<CommitId>,
    ) -> Result<bool, GitError> {
        let old = old.map_or_else(|| ZERO.to_owned(), |old| old.to_string());
        let update = self.git_unchecked(
            &[
                "update-ref",
                "--no-deref",
                "--end-of-options",
                full_name,
                &new.to_string(),
                &old,
            ],
            &[],
        )?;
        if update.success {
            return Ok(true);
        }
        if update.stderr.contains("cannot lock ref") || update.stderr.contains("but expected") {
            return Ok(false);
        }
        Err(update.failure)
    }

    /// Deletes `full_name` if it exists.
    pub fn delete_ref(&self, full_name: &str) -> Result<(), GitError> {
        if self.ref_target(full_name)?.is_some() {
            self.git(&["update-ref", "-d", "--end-of-options", full_name])?;
        }
        Ok(())
    }

    /// Whether `ancestor` is `descendant` or one of its ancestors.
    pub fn is_ancestor(&self, ancestor: CommitId, descendant: CommitId) -> Result<bool, GitError> {
        if ancestor == descendant {
            return Ok(true);
        }
        let check = self.git_unchecked(
            &[
                "merge-base",
                "--is-ancestor",
                &ancestor.to_string(),
                &descendant.to_string(),
            ],
            &[],
        )?;
        match check.code {
            Some(0) => Ok(true),
            Some(1) => Ok(false),
            _ => Err(check.failure),
        }
    }

    /// Whether `commit` holds the change `fix` makes: `fix` is among its ancestors, or a commit
    /// with the same patch is (a cherry-pick, the same patch applied by hand), as `git cherry`
    /// tells by patch id.
    pub fn holds_change_of(&self, commit: CommitId, fix: CommitId) -> Result<bool, GitError> {
        if self.is_ancestor(fix, commit)? {
            return Ok(true);
        }
        let fix = fix.to_string();
        let parent = format!("{fix}^");
        let cherry = self.git_unchecked(&["cherry", &commit.to_string(), &fix, &parent], &[])?;
        if !cherry.success {
            // A root commit has no parent to compare against: only ancestry counts.
            return Ok(false);
        }
        Ok(cherry
            .stdout
            .lines()
            .any(|line| line.strip_prefix("- ") == Some(fix.as_str())))
    }

    /// Whether `name` is a valid branch name (`git check-ref-format --branch`).
    pub fn is_valid_branch_name(&self, name: &str) -> Result<bool, GitError> {
        if name.starts_with('-') {
            return Ok(false);
        }
        Ok(self
            .git_unchecked(&["check-ref-format", "--branch", name], &[])?
            .success)
    }

    /// Whether a remote of that name is configured.
    pub fn has_remote(&self, name: &str) -> Result<bool, GitError> {
        Ok(self
            .git(&["remote"])?
            .lines()
            .any(|remote| remote.trim() == name))
    }
}
