//! `lanes validate`: check lanes.yml, reporting every problem with its place in the file, and
//! warning about globs that match no file at HEAD.

use std::fmt::Write as _;
use std::path::Path;

use lanes_git::Repo;
use lanes_graph::{UnownedFiles, unmatched_patterns, unowned_files};
use lanes_manifest::{Diagnostic, DiagnosticRecord, Manifest, ManifestError};
use serde::Serialize;

use crate::cli::ValidateArgs;
use crate::failure::Failure;
use crate::output::Output;
use crate::workspace::manifest_in_work_tree;

#[derive(Serialize)]
struct Report<'a> {
    valid: bool,
    components: usize,
    stages: usize,
    environments: usize,
    diagnostics: Vec<DiagnosticRecord<'a>>,
    /// Files at HEAD that belong to no component and are neither shared nor ignored, the
    /// lane's own scripts first.
    unowned_files: Vec<&'a str>,
}

pub(crate) fn validate(
    directory: &Path,
    args: &ValidateArgs,
    output: &Output,
) -> Result<(), Failure> {
    let (manifest, repo) = match manifest_in_work_tree(directory, args.manifest.manifest.as_deref())
    {
        Ok(loaded) => loaded,
        Err(Failure::Manifest(ManifestError::Invalid { diagnostics, name })) if args.json => {
            let report = Report {
                valid: false,
                components: 0,
                stages: 0,
                environments: 0,
                diagnostics: diagnostics.iter().map(DiagnosticRecord::from).collect(),
                unowned_files: Vec::new(),
            };
            output.json(&report);
            output.error(&format!("{name} is invalid"), None);
            return Err(Failure::Reported(3));
        }
        Err(other) => return Err(other),
    };
    let paths = match &repo {
        Some(repo) => paths_at_head(repo, output)?,
        None => Vec::new(),
    };
    let paths: Vec<&str> = paths.iter().map(String::as_str).collect();
    let mut warnings = glob_warnings(&manifest, &paths);
    warnings.extend(identity_warning(&manifest));
    let unowned = unowned_files(&manifest, &paths);
    if !unowned.is_empty() {
        warnings.push(
            Diagnostic::warning(manifest.source(), unowned_message(&unowned, "at HEAD"))
                .with_help(unowned_help(&unowned)),
        );
    }
    if args.json {
        let report = Report {
            valid: true,
            components: manifest.components().len(),
            stages: manifest.stages().len(),
            environments: manifest.environments().len(),
            diagnostics: warnings.iter().map(DiagnosticRecord::from).collect(),
            unowned_files: unowned.iter().collect(),
        };
        output.json(&report);
    } else {
        output.diagnostics(&warnings);
    }
    output.say(&format!(
        "{} is valid: {} components, {} stages, {} environments{}",
        manifest.source().name(),
        manifest.components().len(),
        manifest.stages().len(),
        manifest.environments().len(),
        match warnings.len() {
            0 => String::new(),
            1 => ", 1 warning".to_owned(),
            n => format!(", {n} warnings"),
        }
    ));
    Ok(())
}

/// The files committed at HEAD; none without a commit.
fn paths_at_head(repo: &Repo, output: &Output) -> Result<Vec<String>, Failure> {
    let Ok(head) = repo.resolve_commit("HEAD") else {
        output
            .say("note: the repository has no commit yet, so globs are not checked against files");
        return Ok(Vec::new());
    };
    Ok(repo.tracked_paths(head)?)
}

/// A warning for each glob that matches no file committed at HEAD: usually a typo.
fn glob_warnings(manifest: &Manifest, paths: &[&str]) -> Vec<Diagnostic> {
    if paths.is_empty() {
        return Vec::new();
    }
    let source = manifest.source();
    unmatched_patterns(manifest, paths)
        .into_iter()
        .map(|pattern| {
            Diagnostic::warning(
                source,
                format!("glob `{}` matches no file at HEAD", pattern.as_written()),
            )
            .at(source, pattern.span, "matches nothing")
            .with_help(
                "check the spelling; globs are relative to the repository root and case-sensitive",
            )
        })
        .collect()
}

/// A warning naming the approvers of gated stages without self-approval whom `identities`
/// does not name: lanes cannot tell whether they wrote a change, so it refuses their
/// approvals there.
fn identity_warning(manifest: &Manifest) -> Option<Diagnostic> {
    let gated_without_self_approval = manifest.stages().iter().any(|stage| {
        stage.gate == Some(lanes_manifest::Gate::Approval)
            && stage
                .environment
                .as_deref()
                .and_then(|name| manifest.environment(name))
                .is_none_or(|env| !env.approval.self_approval)
    });
    if !gated_without_self_approval {
        return None;
    }
    let mut unknown: Vec<&str> = manifest
        .components()
        .iter()
        .flat_map(|component| &component.approvers)
        .filter(|approver| manifest.emails_of(approver).is_none())
        .map(String::as_str)
        .collect();
    unknown.sort_unstable();
    unknown.dedup();
    if unknown.is_empty() {
        return None;
    }
    let names: Vec<String> = unknown.iter().map(|name| format!("`{name}`")).collect();
    Some(
        Diagnostic::warning(
            manifest.source(),
            format!(
                "{} approve{} but {} no entry under `identities`: lanes cannot tell whether they wrote a change, so it refuses their approvals",
                names.join(", "),
                if unknown.len() == 1 { "s" } else { "" },
                if unknown.len() == 1 { "has" } else { "have" },
            ),
        )
        .with_help("add `identities: { NAME: [their commit email addresses] }`"),
    )
}

/// How many files listed by name before "and N more".
const LISTED_FILES: usize = 10;

/// "3 files at HEAD belong to no component ...".
pub(crate) fn unowned_message(unowned: &UnownedFiles<'_>, place: &str) -> String {
    let files = match unowned.len() {
        1 => "1 file".to_owned(),
        n => format!("{n} files"),
    };
    format!(
        "{files} {place} belong to no component and are neither shared nor ignored: a change to them affects nothing"
    )
}

/// The files by name, the lane's own scripts first, and what to do.
pub(crate) fn unowned_help(unowned: &UnownedFiles<'_>) -> String {
    let mut help = String::new();
    let mut listed = 0;
    for (what, files) in [
        ("the lane's own scripts", &unowned.lane_scripts),
        ("other files", &unowned.others),
    ] {
        if files.is_empty() || listed == LISTED_FILES {
            continue;
        }
        let names: Vec<&str> = files.iter().take(LISTED_FILES - listed).copied().collect();
        listed += names.len();
        let more = match files.len() - names.len() {
            0 => String::new(),
            n => format!(" and {n} more"),
        };
        write!(help, "{what}: {}{more}; ", names.join(", ")).expect("writing to a string");
    }
    help.push_str(
        "add them to a component, to `shared` (inputs of every component) or to `ignore`",
    );
    help
}
