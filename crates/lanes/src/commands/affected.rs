//! `lanes affected`: the components a change affects, and why.

use std::fmt::Write as _;
use std::path::Path;

use console::Style;
use lanes_graph::{Affected, ChangeKind, Reason};
use lanes_manifest::Manifest;
use serde::Serialize;

use crate::change_detection::{Comparison, affected_between};
use crate::cli::AffectedArgs;
use crate::exit::leave_to_exit;
use crate::failure::Failure;
use crate::output::{Output, escaped};
use crate::workspace::{repository, required_manifest_at};

/// How many files `--explain` lists per component before summarizing.
const EXPLAINED_FILES: usize = 10;

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
        output.json(&report);
    } else if args.explain {
        print_explained(&result, output);
    } else if !result.components.is_empty() {
        // One write: stdout is line-buffered, and a write per name was hundreds of system calls.
        let names: Vec<&str> = result
            .components
            .iter()
            .map(|component| component.name.as_str())
            .collect();
        output.data(&names.join("\n"));
    }
    output.say(&summary(&manifest, &result, &comparison));
    if let Some(warning) = unowned_warning(&result) {
        output.say(&warning);
        output.hint("a change to them affects nothing; add them to a component, to `shared` or to `ignore` in lanes.yml (`lanes validate` lists every such file)");
    }
    leave_to_exit((repo, manifest, result));
    Ok(())
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
    summary
}

/// "2 changed files belong to no component: ...": such a change affects nothing, which is
/// never meant to pass silently.
fn unowned_warning(result: &Affected) -> Option<String> {
    let files = &result.unowned_files;
    let count = match files.len() {
        0 => return None,
        1 => "1 changed file belongs".to_owned(),
        n => format!("{n} changed files belong"),
    };
    let names: Vec<String> = files
        .iter()
        .take(EXPLAINED_FILES)
        .map(|path| escaped(path))
        .collect();
    let more = match files.len().saturating_sub(EXPLAINED_FILES) {
        0 => String::new(),
        n => format!(" and {n} more"),
    };
    Some(format!(
        "warning: {count} to no component: {}{more}",
        names.join(", ")
    ))
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
                Reason::DevDependency { component } => {
                    output.data(&format!("  dev-depends on {component}, which is affected"));
                }
                Reason::CentralPackage {
                    path,
                    package,
                    from,
                    to,
                    read_by,
                } => {
                    let (from, to) = (
                        from.as_deref().unwrap_or("(none)"),
                        to.as_deref().unwrap_or("(none)"),
                    );
                    let change = if from == to {
                        format!("{package} {from} changed")
                    } else {
                        format!("{package} {from} -> {to}")
                    };
                    output.data(&format!("  `{path}`: {change}, referenced by `{read_by}`"));
                }
                Reason::CentralFile {
                    path,
                    cause,
                    read_by,
                } if read_by.is_empty() => output.data(&format!("  `{path}`: {cause}")),
                Reason::CentralFile {
                    path,
                    cause,
                    read_by,
                } => output.data(&format!(
                    "  `{path}`: {cause}, and `{read_by}` reads the file"
                )),
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
