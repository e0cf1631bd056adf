//! Talking to the remote through the `git` command line, so users' credentials, helpers and
//! hooks apply. Every ref is fully qualified on both sides of a refspec.

use crate::{CommitId, GitError, Repo};

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
    pub fn fetch(&self, remote: &str, refspecs: &[&str]) -> Result<(), GitError> {
        let mut args = vec!["fetch", "--quiet", "--no-tags", "--end-of-options", remote];
        args.extend_from_slice(refspecs);
        self.git(&args)?;
        Ok(())
    }

    /// Pushes `commit` to `full_ref` on `remote`, never forced: a branch only moves forward,
    /// a tag is only created.
    pub fn push(
        &self,
        remote: &str,
        commit: CommitId,
        full_ref: &str,
    ) -> Result<PushOutcome, GitError> {
        self.push_refspec(remote, &format!("{commit}:{full_ref}"))
    }

    /// Pushes `commit` to `full_ref` on `remote` whatever it held: for refs only lanes writes.
    pub fn push_forced(
        &self,
        remote: &str,
        commit: CommitId,
        full_ref: &str,
    ) -> Result<PushOutcome, GitError> {
        self.push_refspec(remote, &format!("+{commit}:{full_ref}"))
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
