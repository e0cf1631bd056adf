//! `lanes affected`: the components a change affects, and why.

use std::fmt::Write as _;
use std::path::Path;

use console::Style;
use lanes_git::{CommitId, Repo};
use lanes_graph::{
    Affected, BaseManifest, ChangeKind, ChangedFile, ComponentGraph, Reason, affected as detect,
};
use lanes_manifest::Manifest;
use serde::Serialize;

use crate::cli::AffectedArgs;
use crate::failure::Failure;
use crate::output::Output;
use crate::workspace::{manifest_at, repository, required_manifest_at};

/// How many files `--explain` lists per component before summarizing.
const EXPLAINED_FILES: usize = 10;

/// What was compared: the two revisions asked for and the commit actually diffed against.
pub(crate) struct Comparison {
    pub(crate) base: CommitId,
    pub(crate) head: CommitId,
    /// The merge base of `base` and `head`, or `base` itself with `--no-merge-base`.
    pub(crate) from: CommitId,
    pub(crate) changed_files: usize,
}

#[derive(Serialize)]
struct JsonReport<'a> {
    base: String,
    head: String,
    merge_base: Option<String>,
    changed_files: usize,
    #[serde(flatten)]
    affected: &'a Affected,
}

pub(crate) fn affected(
    directory: &Path,
    args: &AffectedArgs,
    output: &Output,
) -> Result<(), Failure> {
    let repo = repository(directory)?;
    let head = repo.resolve_commit(&args.head)?;
    let manifest = required_manifest_at(&repo, head, &args.head)?;
    let base_rev = args
        .base
        .clone()
        .unwrap_or_else(|| manifest.branches().default.clone());
    let base = repo.resolve_commit(&base_rev)?;
    let from = if args.no_merge_base {
        base
    } else {
        repo.merge_base(base, head)?
    };
    let (result, comparison) = affected_between(&repo, &manifest, base, from, head)?;

    if args.json {
        let report = JsonReport {
            base: base.to_string(),
            head: head.to_string(),
            merge_base: (!args.no_merge_base).then(|| from.to_string()),
            changed_files: comparison.changed_files,
            affected: &result,
        };
        output.data(&serde_json::to_string_pretty(&report).expect("serializable"));
    } else if args.explain {
        print_explained(&result, output);
    } else {
        for component in &result.components {
            output.data(&component.name);
        }
    }
    output.say(&summary(&manifest, &result, &comparison));
    Ok(())
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

fn summary(manifest: &Manifest, result: &Affected, comparison: &Comparison) -> String {
    let against = if comparison.from == comparison.base {
        comparison.base.short()
    } else {
        format!(
            "{} (merge base with {})",
            comparison.from.short(),
            comparison.base.short()
        )
    };
    let mut summary = format!(
        "{} of {} components affected by {} changed files between {} and {}",
        result.components.len(),
        manifest.components().len(),
        comparison.changed_files,
        against,
        comparison.head.short(),
    );
    if !result.ignored_files.is_empty() {
        write!(summary, "; {} ignored", result.ignored_files.len()).expect("writing to a string");
    }
    if !result.unowned_files.is_empty() {
        write!(
            summary,
            "; {} owned by no component",
            result.unowned_files.len()
        )
        .expect("writing to a string");
    }
    summary
}

/// Each component with its reasons: files and the globs they matched, dependencies, manifest.
pub(crate) fn print_explained(result: &Affected, output: &Output) {
    let bold = Style::new().bold();
    let dim = Style::new().dim();
    for component in &result.components {
        let how = if component.direct {
            "directly"
        } else {
            "through a dependency"
        };
        output.data(&format!(
            "{} {}",
            output.paint(&bold, &component.name),
            output.paint(&dim, &format!("({how})"))
        ));
        let files = component
            .reasons
            .iter()
            .filter(|reason| matches!(reason, Reason::Path { .. } | Reason::Shared { .. }));
        let file_count = files.clone().count();
        for reason in files.take(EXPLAINED_FILES) {
            if let Reason::Path {
                path,
                change,
                pattern,
            }
            | Reason::Shared {
                path,
                change,
                pattern,
            } = reason
            {
                let shared = if matches!(reason, Reason::Shared { .. }) {
                    "shared "
                } else {
                    ""
                };
                output.data(&format!(
                    "  {} {} {}",
                    change_word(*change),
                    escaped(path),
                    output.paint(&dim, &format!("(matches {shared}glob {pattern})"))
                ));
            }
        }
        if file_count > EXPLAINED_FILES {
            output.data(&format!(
                "  ... and {} more files",
                file_count - EXPLAINED_FILES
            ));
        }
        for reason in &component.reasons {
            match reason {
                Reason::Manifest { cause } => output.data(&format!("  {}", cause.describe())),
                Reason::Dependency { component } => {
                    output.data(&format!("  depends on {component}, which is affected"));
                }
                Reason::Path { .. } | Reason::Shared { .. } => {}
            }
        }
    }
}

fn change_word(kind: ChangeKind) -> &'static str {
    match kind {
        ChangeKind::Added => "added   ",
        ChangeKind::Deleted => "deleted ",
        ChangeKind::Modified => "modified",
    }
}

/// A path as one line: control characters (a newline in a file name) are escaped.
fn escaped(path: &str) -> String {
    if path.chars().any(char::is_control) {
        format!("{path:?}")
    } else {
        path.to_owned()
    }
}
