//! The repository handle: finding and opening a repository, and what all reads share.

use std::fmt;
use std::path::{Path, PathBuf};

use gix::objs::FindExt as _;

use crate::git_error::gix_message;
use crate::{CommitId, GitError};

/// A git repository: reads go through gix in-process, writes through the `git` command line.
///
/// Cloning is cheap (shared object store); a `Repo` is `Send` but not `Sync`, so clone it per
/// thread.
#[derive(Clone)]
pub struct Repo {
    pub(crate) repo: gix::Repository,
}

impl Repo {
    /// Opens the repository containing `dir`, searching upwards like
    /// `git rev-parse --show-toplevel`.
    pub fn discover(dir: &Path) -> Result<Repo, GitError> {
        let repo = gix::discover_opts(
            dir,
            gix::discover::upwards::Options::default(),
            open_options(),
        )
        .map_err(|error| open_error(dir, &error))?;
        Ok(Repo::from_gix(repo))
    }

    /// Opens exactly the repository at `dir` (its work tree or its git directory).
    pub fn open(dir: &Path) -> Result<Repo, GitError> {
        let repo = gix::open_opts(dir, open_options()).map_err(|error| open_error(dir, &error))?;
        Ok(Repo::from_gix(repo))
    }

    /// The work tree's root, or `None` for a bare repository.
    #[must_use]
    pub fn workdir(&self) -> Option<&Path> {
        self.repo.workdir()
    }

    /// The git directory (`.git` of a work tree, or the bare repository itself); for a linked
    /// worktree, the main repository's common directory.
    #[must_use]
    pub fn git_dir(&self) -> &Path {
        self.repo.common_dir()
    }

    /// Whether this is a shallow clone, whose history stops at some commits.
    #[must_use]
    pub fn is_shallow(&self) -> bool {
        self.repo.is_shallow().unwrap_or(false)
    }

    /// No object cache: each read decodes a tree once, and measured on a 100k-file repository
    /// a cache only slowed full-tree walks. gix's default delta-base cache stays on.
    fn from_gix(repo: gix::Repository) -> Repo {
        Repo { repo }
    }

    /// Where `git` commands run: the work tree, or the git directory of a bare repository.
    pub(crate) fn command_dir(&self) -> &Path {
        self.workdir().unwrap_or_else(|| self.repo.git_dir())
    }

    /// The root tree of `commit`.
    pub(crate) fn tree_of(&self, commit: CommitId) -> Result<gix::ObjectId, GitError> {
        let mut buf = Vec::new();
        self.repo
            .objects
            .find_commit_iter(&commit.0, &mut buf)
            .and_then(|mut commit| commit.tree_id().map_err(gix::Error::from_error))
            .map_err(|error| GitError::read(format!("read commit {}", commit.short()), &error))
    }
}

impl fmt::Debug for Repo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Repo")
            .field("git_dir", &self.repo.git_dir())
            .field("workdir", &self.workdir())
            .finish()
    }
}

/// Reads need only the repository's own configuration: skipping the user's and system's
/// files and the environment makes opening cheaper and keeps reads reproducible.
fn open_options() -> gix::open::Options {
    gix::open::Options::isolated()
}

fn open_error(dir: &Path, error: &gix::Error) -> GitError {
    let not_a_repository = error
        .downcast_any_ref::<gix::discover::upwards::Error>()
        .is_some()
        || error.is_not_found();
    if not_a_repository {
        GitError::NotARepository {
            path: dir.to_path_buf(),
        }
    } else {
        GitError::Open {
            path: PathBuf::from(dir),
            message: gix_message(error),
        }
    }
}
