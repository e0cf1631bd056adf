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
        let add = |repo: &Repo| {
            repo.git(&[
                "worktree",
                "add",
                "--detach",
                "--force",
                &path.to_string_lossy(),
                &commit.to_string(),
            ])
        };
        // Pruning only when adding failed: a prune while another process's `worktree add` is
        // still writing its administrative files deletes them under it.
        if add(self).is_err() {
            self.git(&["worktree", "prune"])?;
            add(self)?;
        }
        Ok(())
    }
}
