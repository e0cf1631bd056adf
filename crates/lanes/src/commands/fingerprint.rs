//! `lanes fingerprint`: a content hash of every component's inputs at a revision.

use std::path::Path;

use serde::Serialize;

use crate::change_detection::fingerprints_at;
use crate::cli::FingerprintArgs;
use crate::exit::leave_to_exit;
use crate::failure::Failure;
use crate::output::Output;
use crate::workspace::{repository, required_manifest_at};

#[derive(Serialize)]
struct JsonReport<'a> {
    commit: String,
    components: &'a [lanes_graph::ComponentFingerprint],
}

pub(crate) fn fingerprint(
    directory: &Path,
    args: &FingerprintArgs,
    output: &Output,
) -> Result<(), Failure> {
    let repo = repository(directory)?;
    let commit = repo.resolve_commit(&args.rev)?;
    let manifest = required_manifest_at(&repo, commit, &args.rev)?;
    let result = fingerprints_at(&repo, &manifest, commit)?;
    if args.json {
        let report = JsonReport {
            commit: commit.to_string(),
            components: &result,
        };
        output.json(&report);
    } else if !result.is_empty() {
        // One write, not one per line (stdout is line-buffered).
        let lines: Vec<String> = result
            .iter()
            .map(|component| format!("{}  {}", component.fingerprint, component.name))
            .collect();
        output.data(&lines.join("\n"));
    }
    leave_to_exit((repo, manifest, result));
    Ok(())
}
