//! Working trees of exact commits, for steps to run in: never the user's own checkout.

use std::path::Path;

use crate::{CommitId, GitError, Repo};

impl Repo {
    /// Makes `path` a detached working tree of `commit`, unless it already is one. Through the
    /// `git` command line, so the repository's hooks and filters apply as for any checkout.
    pub fn ensure_worktree(&self, path: &Path, commit: CommitId) -> Result<(), GitError> {
        if path.join(".git").exists() {
            let head = Repo::open(path)?.resolve_commit("HEAD")?;
            if head == commit {
                return Ok(());
            }
            self.git(&["worktree", "remove", "--force", &path.to_string_lossy()])?;
        }
        self.git(&["worktree", "prune"])?;
        self.git(&[
            "worktree",
            "add",
            "--detach",
            "--force",
            &path.to_string_lossy(),
            &commit.to_string(),
        ])?;
        Ok(())
    }
}
