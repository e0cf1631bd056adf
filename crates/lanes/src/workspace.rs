//! Where lanes works: the repository around the current directory and its manifest, either in
//! the work tree (for editing commands) or at a commit (for change detection).

use std::path::{Path, PathBuf};

use lanes_git::{CommitId, GitError, Repo};
use lanes_manifest::{Manifest, ManifestError};

use crate::failure::Failure;
use crate::manifest_cache;

/// Reads the manifest from the work tree: `--manifest`, else `lanes.yml` at the repository
/// root, else in `directory` when it is not inside a repository.
pub(crate) fn manifest_in_work_tree(
    directory: &Path,
    explicit: Option<&Path>,
) -> Result<(Manifest, Option<Repo>), Failure> {
    let repo = Repo::discover(directory).ok();
    let path = match explicit {
        Some(path) => directory.join(path),
        None => manifest_path(directory, repo.as_ref()),
    };
    match Manifest::load_named(&path, &display_name(directory, &path)) {
        Err(ManifestError::Read { source, .. })
            if source.kind() == std::io::ErrorKind::NotFound =>
        {
            Err(Failure::NoManifest {
                file: Manifest::FILE_NAME.to_owned(),
                at: path.parent().unwrap_or(&path).display().to_string(),
                hint: "run `lanes init` to write one for this repository".to_owned(),
            })
        }
        result => Ok((result?, repo)),
    }
}

/// How diagnostics name the manifest: relative to where lanes runs, when it is below it.
fn display_name(directory: &Path, path: &Path) -> String {
    path.strip_prefix(directory)
        .unwrap_or(path)
        .display()
        .to_string()
}

pub(crate) fn manifest_path(directory: &Path, repo: Option<&Repo>) -> PathBuf {
    repo.and_then(Repo::workdir)
        .unwrap_or(directory)
        .join(Manifest::FILE_NAME)
}

/// The repository around `directory`.
pub(crate) fn repository(directory: &Path) -> Result<Repo, Failure> {
    Ok(Repo::discover(directory)?)
}

/// The manifest as committed at `commit`, or `None` when the commit has none.
pub(crate) fn manifest_at(repo: &Repo, commit: CommitId) -> Result<Option<Manifest>, Failure> {
    let Some(blob) = repo.blob_id_at(commit, Manifest::FILE_NAME)? else {
        return Ok(None);
    };
    let cached = manifest_cache::path(repo, blob);
    if let Some(manifest) = manifest_cache::read(&cached) {
        return Ok(Some(manifest));
    }
    let name = format!("{}:{}", commit.short(), Manifest::FILE_NAME);
    let manifest = Manifest::parse_bytes(&name, &repo.blob(blob)?)?;
    manifest_cache::write(&cached, &manifest);
    Ok(Some(manifest))
}

/// Like [`manifest_at`], failing with a hint when the commit has no manifest.
pub(crate) fn required_manifest_at(
    repo: &Repo,
    commit: CommitId,
    rev: &str,
) -> Result<Manifest, Failure> {
    manifest_at(repo, commit)?.ok_or_else(|| Failure::NoManifest {
        file: Manifest::FILE_NAME.to_owned(),
        at: format!("{rev} ({})", commit.short()),
        hint: "commit a lanes.yml at the repository root (`lanes init` writes one)".to_owned(),
    })
}

/// Whether a git failure is about the revisions asked for rather than the repository.
pub(crate) fn is_revision_problem(error: &GitError) -> bool {
    matches!(
        error,
        GitError::UnknownRevision { .. }
            | GitError::NotACommit { .. }
            | GitError::NoMergeBase { .. }
    )
}
