//! `lanes init`: write a lanes.yml for an existing repository, never over an existing one.

use std::io::Write as _;
use std::path::Path;

use lanes_git::Repo;
use lanes_manifest::Manifest;

use lanes_graph::unowned_files;

use crate::cli::InitArgs;
use crate::commands::validate::{unowned_help, unowned_message};
use crate::failure::Failure;
use crate::init::{discover, root_files, starter_manifest};
use crate::output::Output;

pub(crate) fn init(directory: &Path, args: &InitArgs, output: &Output) -> Result<(), Failure> {
    let repo = Repo::discover(directory).ok();
    let root = repo
        .as_ref()
        .and_then(Repo::workdir)
        .unwrap_or(directory)
        .to_path_buf();
    let target = root.join(Manifest::FILE_NAME);
    if !args.stdout && target.exists() {
        return Err(Failure::Refused {
            message: format!("{} already exists", target.display()),
            hint: Some("lanes init never overwrites a manifest; edit it, and check it with `lanes validate`".to_owned()),
        });
    }
    let (layout, components) = discover(&root)?;
    let text = starter_manifest(layout, &components, &root_files(&root), args.phase);
    // What init writes must load: a cycle in the repository's own references shows here.
    let manifest = Manifest::parse(Manifest::FILE_NAME, &text)?;
    if args.stdout {
        print!("{text}");
        report_unowned(repo.as_ref(), &manifest, output)?;
        return Ok(());
    }
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&target)
        .map_err(|error| Failure::io(format!("create {}", target.display()), error))?;
    file.write_all(text.as_bytes())
        .map_err(|error| Failure::io(format!("write {}", target.display()), error))?;
    let edges: usize = components
        .iter()
        .map(|component| component.depends_on.len())
        .sum();
    output.say(&format!(
        "wrote {} with {} components and {edges} dependencies",
        target.display(),
        components.len()
    ));
    report_unowned(repo.as_ref(), &manifest, output)?;
    output.hint("add the lane's stages, then `lanes validate` and `lanes graph`");
    Ok(())
}

/// Files committed at HEAD that the written manifest gives to no component.
fn report_unowned(
    repo: Option<&Repo>,
    manifest: &Manifest,
    output: &Output,
) -> Result<(), Failure> {
    let Some(head) = repo.and_then(|repo| repo.resolve_commit("HEAD").ok()) else {
        return Ok(());
    };
    let paths = repo
        .expect("a commit has a repository")
        .tracked_paths(head)?;
    let paths: Vec<&str> = paths.iter().map(String::as_str).collect();
    let unowned = unowned_files(manifest, &paths);
    if !unowned.is_empty() {
        output.say(&format!(
            "warning: {}",
            unowned_message(&unowned, "at HEAD")
        ));
        output.hint(&unowned_help(&unowned));
    }
    Ok(())
}
