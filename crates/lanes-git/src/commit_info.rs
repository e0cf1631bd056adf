//! What a commit says about itself: who wrote it, its subject, its parents.

use gix::bstr::ByteSlice as _;

use crate::{CommitId, GitError, Repo};

/// A commit's metadata.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CommitInfo {
    pub id: CommitId,
    /// The author as `Name <email>`.
    pub author: String,
    /// The first line of the message.
    pub subject: String,
    /// Parents in order; the first is the branch the commit was made on.
    pub parents: Vec<CommitId>,
}

impl Repo {
    /// Reads a commit's author, subject and parents.
    pub fn commit_info(&self, commit: CommitId) -> Result<CommitInfo, GitError> {
        let context = || format!("read commit {}", commit.short());
        let object = self
            .repo
            .find_commit(commit.0)
            .map_err(|error| GitError::read(context(), &error))?;
        let author = object
            .author()
            .map_err(|error| GitError::read(context(), &error))?;
        let subject = object
            .message()
            .map_err(|error| GitError::read(context(), &error))?
            .summary()
            .to_str_lossy()
            .into_owned();
        Ok(CommitInfo {
            id: commit,
            author: format!(
                "{} <{}>",
                author.name.to_str_lossy(),
                author.email.to_str_lossy()
            ),
            subject,
            parents: object
                .parent_ids()
                .map(|id| CommitId(id.detach()))
                .collect(),
        })
    }
}
