//! Talking to the remote through the `git` command line, so users' credentials, helpers and
//! hooks apply. Every ref is fully qualified on both sides of a refspec.

use std::sync::atomic::{AtomicU64, Ordering};

use crate::{CommitId, GitError, Repo};

/// How many times a fetch that lost a race for a ref lock is tried.
const FETCH_ATTEMPTS: u32 = 10;

/// How a push came out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PushOutcome {
    Pushed,
    /// The remote refused: someone else moved the branch first (or a hook said no).
    Rejected {
        reason: String,
    },
}

impl Repo {
    /// Fetches `refspecs` (`+refs/heads/main:refs/remotes/origin/main`, ...) from `remote`.
    /// Another process fetching the same ref at the same moment makes git fail to lock it;
    /// the fetch is tried again then, up to `FETCH_ATTEMPTS` times, and gets the newest.
    pub fn fetch(&self, remote: &str, refspecs: &[&str]) -> Result<(), GitError> {
        let mut args = vec!["fetch", "--quiet", "--no-tags", "--end-of-options", remote];
        args.extend_from_slice(refspecs);
        let mut attempt = 1;
        loop {
            let fetch = self.git_unchecked(&args, &[])?;
            if fetch.success {
                return Ok(());
            }
            // Both are races with another process of this repository, gone a moment later: a
            // fetch locking the same ref, and `git worktree add` having created a worktree's
            // directory but not its `commondir` yet (a fetch reads every worktree's HEAD).
            let raced = fetch.stderr.contains("cannot lock ref")
                || (fetch.stderr.contains(".git/worktrees/") && fetch.stderr.contains("commondir"));
            if attempt == FETCH_ATTEMPTS || !raced {
                return Err(fetch.failure);
            }
            attempt += 1;
            std::thread::sleep(std::time::Duration::from_millis(20 * u64::from(attempt)));
        }
    }

    /// Pushes `commit` to `full_ref` on `remote`, never forced: a branch only moves forward,
    /// a tag is only created.
    pub fn push(
        &self,
        remote: &str,
        commit: CommitId,
        full_ref: &str,
    ) -> Result<PushOutcome, GitError> {
        self.push_exactly(remote, commit, full_ref, false)
    }

    /// Pushes `commit` to `full_ref` on `remote` whatever it held: for refs only lanes writes.
    pub fn push_forced(
        &self,
        remote: &str,
        commit: CommitId,
        full_ref: &str,
    ) -> Result<PushOutcome, GitError> {
        self.push_exactly(remote, commit, full_ref, true)
    }

    /// git resolves a push destination like a revision: `refs/heads/main` also matches a tag
    /// named `refs/heads/main`, and the push fails as ambiguous. A pattern refspec is taken
    /// literally, so the commit goes out through a private ref of this push only, mapped onto
    /// `refs/*`.
    fn push_exactly(
        &self,
        remote: &str,
        commit: CommitId,
        full_ref: &str,
        force: bool,
    ) -> Result<PushOutcome, GitError> {
        static PUSHES: AtomicU64 = AtomicU64::new(0);
        let suffix = full_ref.strip_prefix("refs/").unwrap_or(full_ref);
        let prefix = format!(
            "refs/lanes-push/{}-{}",
            std::process::id(),
            PUSHES.fetch_add(1, Ordering::Relaxed)
        );
        let private = format!("{prefix}/{suffix}");
        self.git(&[
            "update-ref",
            "--end-of-options",
            &private,
            &commit.to_string(),
        ])?;
        let refspec = format!("{}{prefix}/*:refs/*", if force { "+" } else { "" });
        let outcome = self.push_refspec(remote, &refspec);
        self.git(&["update-ref", "-d", "--end-of-options", &private])?;
        outcome
    }

    /// Deletes `full_ref` on `remote` (nothing happens when it is not there).
    pub fn push_delete(&self, remote: &str, full_ref: &str) -> Result<PushOutcome, GitError> {
        self.push_refspec(remote, &format!(":{full_ref}"))
    }

    fn push_refspec(&self, remote: &str, refspec: &str) -> Result<PushOutcome, GitError> {
        let push = self.git_unchecked(
            &["push", "--porcelain", "--end-of-options", remote, refspec],
            &[],
        )?;
        if push.success {
            return Ok(PushOutcome::Pushed);
        }
        // `--porcelain` marks each refused ref with `!`; anything else (no such remote,
        // authentication) is an error to report as it is.
        let refused = push
            .stdout
            .lines()
            .find(|line| line.starts_with('!'))
            .map(|line| line.split('\t').nth(2).unwrap_or(line).trim().to_owned());
        match refused {
            Some(reason) if reason.contains("remote ref does not exist") => Ok(PushOutcome::Pushed),
            Some(reason) => Ok(PushOutcome::Rejected { reason }),
            None => Err(push.failure),
        }
    }
}
