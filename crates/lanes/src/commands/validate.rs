//! `lanes validate`: check lanes.yml, reporting every problem with its place in the file, and
//! warning about globs that match no file at HEAD.

use std::path::Path;

use lanes_git::Repo;
use lanes_graph::unmatched_patterns;
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
            };
            output.data(&serde_json::to_string_pretty(&report).expect("serializable"));
            output.error(&format!("{name} is invalid"), None);
            return Err(Failure::Reported(3));
        }
        Err(other) => return Err(other),
    };
    let warnings = match &repo {
        Some(repo) => glob_warnings(&manifest, repo, output)?,
        None => Vec::new(),
    };
    if args.json {
        let report = Report {
            valid: true,
            components: manifest.components().len(),
            stages: manifest.stages().len(),
            environments: manifest.environments().len(),
            diagnostics: warnings.iter().map(DiagnosticRecord::from).collect(),
        };
        output.data(&serde_json::to_string_pretty(&report).expect("serializable"));
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

/// A warning for each glob that matches no file committed at HEAD: usually a typo.
fn glob_warnings(
    manifest: &Manifest,
    repo: &Repo,
    output: &Output,
) -> Result<Vec<Diagnostic>, Failure> {
    let Ok(head) = repo.resolve_commit("HEAD") else {
        output
            .say("note: the repository has no commit yet, so globs are not checked against files");
        return Ok(Vec::new());
    };
    let paths = repo.tracked_paths(head)?;
    let paths: Vec<&str> = paths.iter().map(String::as_str).collect();
    let source = manifest.source();
    Ok(unmatched_patterns(manifest, &paths)
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
        .collect())
}
