//! Working trees of exact commits, for steps to run in: never the user's own checkout.

use std::fs::File;
use std::path::Path;

use crate::{CommitId, GitError, Repo};

/// The file every process making working trees of a repository holds locked meanwhile, in its
/// git directory.
const LOCK_FILE: &str = "lanes-worktrees.lock";

impl Repo {
    /// Makes `path` a detached working tree of `commit`, unless it already is one. Through the
    /// `git` command line, so the repository's hooks and filters apply as for any checkout.
    ///
    /// One process at a time per repository, under a lock file: `git worktree add` writes a
    /// worktree's files under `.git/worktrees` one by one, and another `worktree add` reads
    /// every worktree's files (`failed to read .git/worktrees/<id>/commondir`) while a `worktree
    /// prune` deletes those it finds half written.
    pub fn ensure_worktree(&self, path: &Path, commit: CommitId) -> Result<(), GitError> {
        let _lock = self.lock_worktrees()?;
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
        // A worktree whose directory was deleted without git knowing stays registered: pruned,
        // the add is tried once more.
        if add(self).is_err() {
            self.git(&["worktree", "prune"])?;
            add(self)?;
        }
        Ok(())
    }

    /// Waits for, and takes, the lock of this repository's worktrees; released when the file
    /// is dropped, or by the operating system when the process dies.
    fn lock_worktrees(&self) -> Result<File, GitError> {
        let path = self.git_dir().join(LOCK_FILE);
        let io = |source| GitError::Io {
            path: path.clone(),
            source,
        };
        let file = File::options()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(io)?;
        file.lock().map_err(io)?;
        Ok(file)
    }
}
