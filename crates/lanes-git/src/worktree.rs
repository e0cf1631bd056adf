//! Working trees of exact commits, for steps to run in: never the user's own checkout.

use std::path::Path;

use crate::{CommitId, GitError, Repo};

/// How often `worktree add` is tried while another process is adding one.
const ADD_ATTEMPTS: u32 = 10;

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
        // Another process's `worktree add` half done (its directory under `.git/worktrees` made,
        // its `commondir` not yet written) fails ours for a moment: wait for it to finish.
        let mut result = add(self);
        for attempt in 1..ADD_ATTEMPTS {
            match &result {
                Err(error) if error.to_string().contains("commondir") => {
                    std::thread::sleep(std::time::Duration::from_millis(20 * u64::from(attempt)));
                    result = add(self);
                }
                _ => break,
            }
        }
        // Pruning only when adding failed otherwise: a prune while another process's `worktree
        // add` is still writing its administrative files deletes them under it.
        if result.is_err() {
            self.git(&["worktree", "prune"])?;
            add(self)?;
        }
        Ok(())
    }
}
