//! Change detection on a repository: what changed between two commits, under the manifest
//! committed at the newer one, and which components that affects.

use lanes_git::{CommitId, Repo};
use lanes_graph::{
    Affected, BaseManifest, ChangeKind, ChangedFile, ComponentFingerprint, ComponentGraph,
    TrackedFile, affected as detect, fingerprints, input_directories,
};
use lanes_manifest::Manifest;

use crate::failure::Failure;
use crate::workspace::manifest_at;

/// What was compared: the two revisions asked for and the commit actually diffed against.
pub(crate) struct Comparison {
    pub(crate) base: CommitId,
    pub(crate) head: CommitId,
    /// The merge base of `base` and `head`, or `base` itself with `--no-merge-base`.
    pub(crate) from: CommitId,
    pub(crate) changed_files: usize,
}

/// Change detection between `from` and `head` under the manifest committed at `head`.
pub(crate) fn affected_between(
    repo: &Repo,
    manifest: &Manifest,
    base: CommitId,
    from: CommitId,
    head: CommitId,
) -> Result<(Affected, Comparison), Failure> {
    let changes: Vec<ChangedFile> = repo
        .changes(from, head)?
        .into_iter()
        .map(|change| ChangedFile {
            path: change.path,
            kind: match change.kind {
                lanes_git::ChangeKind::Added => ChangeKind::Added,
                lanes_git::ChangeKind::Deleted => ChangeKind::Deleted,
                lanes_git::ChangeKind::Modified => ChangeKind::Modified,
            },
        })
        .collect();
    let old_manifest;
    let base_manifest = if changes
        .iter()
        .any(|change| change.path == Manifest::FILE_NAME)
    {
        match manifest_at(repo, from) {
            Ok(Some(old)) => {
                old_manifest = old;
                BaseManifest::Changed(&old_manifest)
            }
            Ok(None) => BaseManifest::Missing,
            Err(Failure::Manifest(_)) => BaseManifest::Invalid,
            Err(other) => return Err(other),
        }
    } else {
        BaseManifest::Unchanged
    };
    let graph = ComponentGraph::new(manifest);
    let result = detect(&graph, base_manifest, &changes);
    Ok((
        result,
        Comparison {
            base,
            head,
            from,
            changed_files: changes.len(),
        },
    ))
}

/// The fingerprint of every component at `commit`: its tree's input directories only, from
/// object ids (no file is read).
pub(crate) fn fingerprints_at(
    repo: &Repo,
    manifest: &Manifest,
    commit: CommitId,
) -> Result<Vec<ComponentFingerprint>, Failure> {
    let entries = repo.entries_under(commit, &input_directories(manifest))?;
    let files: Vec<TrackedFile<'_>> = entries
        .iter()
        .map(|entry| TrackedFile {
            path: &entry.path,
            id: entry.id.as_bytes(),
            mode: entry.mode,
        })
        .collect();
    Ok(fingerprints(&ComponentGraph::new(manifest), &files))
}
