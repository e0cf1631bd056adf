//! The branches and tags lanes moves, locally or on the remote `origin` when the repository
//! has one: the remote is then the truth, read by fetching and written by pushing (users'
//! credentials and hooks apply), and the local branches are left alone. Refs are always fully
//! qualified.

use lanes_git::{CommitId, GitError, Identity, PushOutcome, Repo};

use crate::failure::Failure;

/// Who lanes writes merge commits and cherry-picks as.
pub(crate) const LANES_IDENTITY: Identity<'static> = ("lanes", "lanes@localhost");

/// The remote lanes works against when the repository has it.
const REMOTE: &str = "origin";

#[derive(Debug, Clone)]
pub(crate) struct GitPath {
    pub(crate) repo: Repo,
    /// `origin`, when configured; else branches are moved in this repository.
    pub(crate) remote: Option<String>,
}

impl GitPath {
    pub(crate) fn new(repo: &Repo) -> Result<Self, Failure> {
        let remote = repo.has_remote(REMOTE)?.then(|| REMOTE.to_owned());
        Ok(Self {
            repo: repo.clone(),
            remote,
        })
    }

    /// The tip of `branch` now (fetched from the remote first), or `None` when it does not exist.
    pub(crate) fn tip(&self, branch: &str) -> Result<Option<CommitId>, Failure> {
        let Some(remote) = &self.remote else {
            return Ok(self.repo.ref_target(&format!("refs/heads/{branch}"))?);
        };
        let mirror = format!("refs/remotes/{remote}/{branch}");
        match self
            .repo
            .fetch(remote, &[&format!("+refs/heads/{branch}:{mirror}")])
        {
            Ok(()) => Ok(self.repo.ref_target(&mirror)?),
            Err(GitError::Command { stderr, .. })
                if stderr.contains("couldn't find remote ref") =>
            {
                self.repo.delete_ref(&mirror)?;
                Ok(None)
            }
            Err(error) => Err(error.into()),
        }
    }

    /// Moves `branch` from `from` to `to` if nobody moved it meanwhile (on the remote: a push
    /// that is only accepted as a fast-forward). `false` when it moved: fetch and decide again.
    pub(crate) fn advance(
        &self,
        branch: &str,
        from: Option<CommitId>,
        to: CommitId,
    ) -> Result<bool, Failure> {
        let local = format!("refs/heads/{branch}");
        let Some(remote) = &self.remote else {
            return Ok(self.repo.update_ref(&local, to, from)?);
        };
        match self.repo.push(remote, to, &local)? {
            PushOutcome::Pushed => {
                let mirror = format!("refs/remotes/{remote}/{branch}");
                self.repo
                    .git(&["update-ref", "--end-of-options", &mirror, &to.to_string()])?;
                Ok(true)
            }
            PushOutcome::Rejected { .. } => Ok(false),
        }
    }

    /// Points `branch`, a branch only lanes writes (`lanes/accept/...`), at `commit`, here
    /// and on the remote.
    pub(crate) fn publish(&self, branch: &str, commit: CommitId) -> Result<(), Failure> {
        let local = format!("refs/heads/{branch}");
        self.repo.git(&[
            "update-ref",
            "--end-of-options",
            &local,
            &commit.to_string(),
        ])?;
        if let Some(remote) = &self.remote
            && let PushOutcome::Rejected { reason } =
                self.repo.push_forced(remote, commit, &local)?
        {
            return Err(Failure::Refused {
                message: format!("{remote} refused {branch}: {reason}"),
                hint: None,
            });
        }
        Ok(())
    }

    /// Deletes a branch lanes wrote, here and on the remote.
    pub(crate) fn unpublish(&self, branch: &str) -> Result<(), Failure> {
        let local = format!("refs/heads/{branch}");
        self.repo.delete_ref(&local)?;
        if let Some(remote) = &self.remote {
            self.repo.push_delete(remote, &local)?;
        }
        Ok(())
    }

    /// Creates the tag `name` on `commit` (here and on the remote); `false` when a tag of that
    /// name exists already.
    pub(crate) fn tag(&self, name: &str, commit: CommitId) -> Result<bool, Failure> {
        let full = format!("refs/tags/{name}");
        if !self.repo.update_ref(&full, commit, None)? {
            return Ok(false);
        }
        if let Some(remote) = &self.remote
            && let PushOutcome::Rejected { reason } = self.repo.push(remote, commit, &full)?
        {
            return Err(Failure::Refused {
                message: format!("{remote} refused the tag {name}: {reason}"),
                hint: Some(
                    "a tag of that name exists on the remote; lanes never moves tags".to_owned(),
                ),
            });
        }
        Ok(true)
    }

    /// The commit a branch given by a person names: `refs/heads/<name>` here, else on the
    /// remote. Never a tag, whatever it is called.
    pub(crate) fn branch(&self, name: &str) -> Result<CommitId, Failure> {
        if !self.repo.is_valid_branch_name(name)? {
            return Err(Failure::Refused {
                message: format!("`{name}` is not a valid branch name"),
                hint: Some("see `git check-ref-format --branch`".to_owned()),
            });
        }
        if let Some(commit) = self.repo.ref_target(&format!("refs/heads/{name}"))? {
            return Ok(commit);
        }
        if self.remote.is_some()
            && let Some(commit) = self.tip(name)?
        {
            return Ok(commit);
        }
        Err(Failure::Refused {
            message: format!("no branch `{name}`"),
            hint: Some(format!(
                "`lanes submit` takes a branch{}; tags and commits are never submitted",
                if self.remote.is_some() {
                    " of this repository or of origin"
                } else {
                    ""
                }
            )),
        })
    }
}
