//! Removing working trees lanes made, together with git's administrative data of them.

use std::path::Path;

use crate::{GitError, Repo};

impl Repo {
    /// Removes the working tree at `path` with `git worktree remove --force`, so that its entry
    /// under `.git/worktrees` goes with it. Never `git worktree prune`: a prune while another
    /// process's `worktree add` is still writing its administrative files deletes them under
    /// it. Fails for a directory git does not know as a working tree.
    pub fn remove_worktree(&self, path: &Path) -> Result<(), GitError> {
        self.git(&["worktree", "remove", "--force", &path.to_string_lossy()])?;
        Ok(())
    }
}
