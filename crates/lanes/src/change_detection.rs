//! Change detection on a repository: what changed between two commits, under the manifest
//! committed at the newer one, and which components that affects.

use std::collections::BTreeMap;

use lanes_git::{CommitId, Repo, TreeEntry};
use lanes_graph::{
    Affected, BaseManifest, CentralInput, ChangeKind, ChangedFile, ComponentFingerprint,
    ComponentGraph, ProjectFile, Reason, TrackedFile, affected_with, central_inputs,
    central_reasons, fingerprints_with, input_directories, reads_central,
};
use lanes_manifest::{CentralFile, ComponentId, Manifest};

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
    let central = central_changes(repo, manifest, from, head, &changes)?;
    let graph = ComponentGraph::new(manifest);
    let result = affected_with(&graph, base_manifest, &changes, central);
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
    let central: Vec<&CentralFile> = manifest.central().iter().collect();
    let projects = project_files(repo, &entries, &central)?;
    let mut inputs = Vec::new();
    for file in manifest.central() {
        let text = repo.file_at(commit, &file.path)?;
        inputs.push(inputs_of(manifest, file, text.as_deref(), &projects));
    }
    let files: Vec<TrackedFile<'_>> = entries
        .iter()
        .map(|entry| TrackedFile {
            path: &entry.path,
            id: entry.id.as_bytes(),
            mode: entry.mode,
        })
        .collect();
    Ok(fingerprints_with(
        &ComponentGraph::new(manifest),
        &files,
        &inputs,
    ))
}

/// The reasons of the central files that changed between `from` and `head`. Only then are
/// the components' project files read (at `head`: a project file that changed affects its
/// component anyway).
fn central_changes(
    repo: &Repo,
    manifest: &Manifest,
    from: CommitId,
    head: CommitId,
    changes: &[ChangedFile],
) -> Result<Vec<(ComponentId, Reason)>, Failure> {
    let touched: Vec<&CentralFile> = manifest
        .central()
        .iter()
        .filter(|file| changes.iter().any(|change| change.path == file.path))
        .collect();
    if touched.is_empty() {
        return Ok(Vec::new());
    }
    let entries = repo.entries_under(head, &input_directories(manifest))?;
    let projects = project_files(repo, &entries, &touched)?;
    let mut reasons = Vec::new();
    for file in touched {
        let old = repo.file_at(from, &file.path)?;
        let new = repo.file_at(head, &file.path)?;
        reasons.extend(central_reasons(
            file,
            &inputs_of(manifest, file, old.as_deref(), &projects),
            &inputs_of(manifest, file, new.as_deref(), &projects),
        ));
    }
    Ok(reasons)
}

/// The texts of the files through which components read `central` files.
fn project_files(
    repo: &Repo,
    entries: &[TreeEntry],
    central: &[&CentralFile],
) -> Result<Vec<(String, Vec<u8>)>, Failure> {
    let mut projects = Vec::new();
    for entry in entries {
        if central.iter().any(|file| reads_central(file, &entry.path)) {
            projects.push((entry.path.clone(), repo.blob(entry.id)?));
        }
    }
    Ok(projects)
}

fn inputs_of(
    manifest: &Manifest,
    file: &CentralFile,
    text: Option<&[u8]>,
    projects: &[(String, Vec<u8>)],
) -> BTreeMap<ComponentId, CentralInput> {
    let projects: Vec<ProjectFile<'_>> = projects
        .iter()
        .map(|(path, text)| ProjectFile { path, text })
        .collect();
    central_inputs(manifest, file, text, &projects)
}
