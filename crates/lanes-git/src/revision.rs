//! Turning revision specs into commits, and finding where two lines of history meet.

use gix::object::Kind;

use crate::git_error::gix_message;
use crate::{CommitId, GitError, Repo};

impl Repo {
    /// Resolves any revision naming a commit: a branch, a tag (annotated tags are peeled), a
    /// full or abbreviated id, `HEAD~2`, `main^{commit}`.
    pub fn resolve_commit(&self, rev: &str) -> Result<CommitId, GitError> {
        let unknown = |error: &gix::Error| GitError::UnknownRevision {
            rev: rev.to_owned(),
            // gix reports every way it tried to read the name; the gist is that none matched.
            message: if error.is_not_found() {
                "no branch, tag or commit has that name".to_owned()
            } else {
                gix_message(error)
            },
            shallow: self.is_shallow(),
        };
        // A branch wins over a tag of the same name (git would take the tag): a tag named
        // `main` never makes `main` mean anything but the branch.
        let branch = format!("refs/heads/{rev}");
        let spec = match self.repo.try_find_reference(branch.as_str()) {
            Ok(Some(_)) if !rev.starts_with("refs/") => branch.as_str(),
            _ => rev,
        };
        let object = self
            .repo
            .rev_parse_single(spec)
            .and_then(|id| id.object())
            .and_then(gix::Object::peel_tags_to_end)
            .map_err(|error| unknown(&error))?;
        match object.kind {
            Kind::Commit => Ok(CommitId(object.id)),
            kind => Err(GitError::NotACommit {
                rev: rev.to_owned(),
                kind: kind.to_string(),
            }),
        }
    }

    /// The best common ancestor of `a` and `b`, as `git merge-base a b` picks it.
    pub fn merge_base(&self, a: CommitId, b: CommitId) -> Result<CommitId, GitError> {
        match self.repo.merge_base(a.0, b.0) {
            Ok(Some(base)) => Ok(CommitId(base.detach())),
            Ok(None) => Err(GitError::NoMergeBase {
                a,
                b,
                shallow: self.is_shallow(),
            }),
            Err(error) => Err(GitError::read(
                format!("find a merge base of {} and {}", a.short(), b.short()),
                &error,
            )),
        }
    }
}
