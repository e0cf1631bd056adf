//! `lanes demo`: builds the sample monorepo in a fresh directory and shows, commit by commit,
//! which components each change affects and why.

use std::path::{Path, PathBuf};

use console::Style;
use lanes_git::Repo;
use lanes_graph::ComponentGraph;
use lanes_manifest::Manifest;

use crate::change_detection::affected_between;
use crate::cli::{
    BoardArgs, DecisionArgs, DemoArgs, HotfixArgs, RollbackArgs, RunArgs, StateArg, StatusArgs,
    SubmitArgs,
};
use crate::commands;
use crate::commands::affected::print_explained;
use crate::commands::graph::print_text;
use crate::demo::{Edit, Step, feature_and_hotfix, history, initial_files, red_and_fix};
use crate::failure::Failure;
use crate::output::Output;
use crate::workspace::required_manifest_at;

pub(crate) fn demo(args: &DemoArgs, output: &Output) -> Result<(), Failure> {
    let dir = demo_directory(args.dir.as_deref())?;
    output.say(&format!(
        "lanes demo: building a sample monorepo in {}",
        dir.display()
    ));
    let repo = Repo::init(&dir, "main")?;
    for (path, contents) in initial_files() {
        write(&dir, &path, &contents)?;
    }
    let mut previous = repo.commit_all(
        "Initial import of the health platform",
        Some(("Ines", "ines@example.com")),
    )?;
    let manifest = required_manifest_at(&repo, previous, "HEAD")?;

    let heading = Style::new().bold().underlined();
    output.data(&output.paint(&heading, "The components, dependencies first"));
    print_text(&ComponentGraph::new(&manifest), output);

    let steps = history();
    for (number, step) in steps.iter().enumerate() {
        for edit in &step.edits {
            apply(&dir, edit)?;
        }
        let commit = repo.commit_all(step.message, Some(step.author))?;
        let manifest = required_manifest_at(&repo, commit, "HEAD")?;
        let (result, _) = affected_between(&repo, &manifest, previous, previous, commit)?;
        output.data("");
        output.data(&output.paint(
            &heading,
            &format!(
                "Commit {}/{}  {}  {}  ({})",
                number + 1,
                steps.len(),
                commit.short(),
                step.message,
                step.author.0
            ),
        ));
        if result.components.is_empty() {
            let (ignored, unowned) = (result.ignored_files.len(), result.unowned_files.len());
            output.data(&format!(
                "  affects no component ({ignored} changed files match `ignore`, {unowned} belong to no component): nothing to build"
            ));
        } else {
            print_explained(&result, output);
            output.data(&output.paint(
                &Style::new().dim(),
                &format!(
                    "  {} of {} components get a lane",
                    result.components.len(),
                    manifest.components().len()
                ),
            ));
        }
        previous = commit;
    }
    run_the_lanes(&repo, &dir, output)?;
    output.data("");
    output.say(&format!(
        "the sample monorepo stays in {}; try there:",
        dir.display()
    ));
    output.say("  lanes graph --dot");
    output.say("  lanes affected --base HEAD~3 --explain");
    output.say("  lanes status HEAD~1      # the unified view of a commit");
    output.say("  lanes board              # what is deployed where");
    output.say("  lanes logs fhir pr --commit HEAD~1");
    if args.no_serve {
        return Ok(());
    }
    crate::service::serve_demo(&dir, &args.bind, output)
}

/// The lanes part: every component walks its lane for the first commit and reaches
/// production after approval; then a red test stops one component while the others ship, a fix
/// follows, and a rollback.
fn run_the_lanes(repo: &Repo, dir: &Path, output: &Output) -> Result<(), Failure> {
    let heading = Style::new().bold().underlined();
    let first = repo
        .git(&["rev-list", "--max-parents=0", "HEAD"])?
        .trim()
        .to_owned();
    section(
        output,
        &heading,
        "The lanes of the initial import: every component walks pr, acceptance, integration, staging, production",
    );
    lanes_run(dir, &first, output)?;
    approve_waiting(dir, &first, output)?;
    lanes_run(dir, &first, output)?;
    show_status(dir, &first, output)?;

    let (red, fix) = red_and_fix();
    let red_commit = commit_step(repo, dir, &red)?;
    section(
        output,
        &heading,
        &format!("{}: fhir's tests go red; the other lanes ship", red.message),
    );
    lanes_run(dir, &red_commit, output)?;
    approve_waiting(dir, &red_commit, output)?;
    lanes_run(dir, &red_commit, output)?;
    show_status(dir, &red_commit, output)?;

    let fix_commit = commit_step(repo, dir, &fix)?;
    section(
        output,
        &heading,
        &format!(
            "{}: the fix walks its lane, is approved and reaches production",
            fix.message
        ),
    );
    lanes_run(dir, &fix_commit, output)?;
    approve_waiting(dir, &fix_commit, output)?;
    lanes_run(dir, &fix_commit, output)?;
    show_status(dir, &fix_commit, output)?;

    section(
        output,
        &heading,
        "A rollback: fhir's new version misbehaves in prod; the previous one comes back",
    );
    let args = RollbackArgs {
        component: "fhir".to_owned(),
        env: "prod".to_owned(),
        user: "bob".to_owned(),
        reason: "patients report errors".to_owned(),
        state: StateArg { state_dir: None },
    };
    commands::rollback(dir, &args, output)?;
    walk_the_path(repo, dir, output)?;
    section(output, &heading, "The board: components by environments");
    commands::board(
        dir,
        &BoardArgs {
            json: false,
            state: StateArg { state_dir: None },
        },
        output,
    )
}

/// A change from a branch through the whole path: submit, acceptance on an intermediate branch,
/// merge, integration, the release merge, approval, production and its tag; then a hotfix cut
/// from that tag, shipped and forward-ported.
fn walk_the_path(repo: &Repo, dir: &Path, output: &Output) -> Result<(), Failure> {
    let heading = Style::new().bold().underlined();
    // A bare repository standing for the team's remote, inside the git directory so that it is
    // never part of the work tree.
    let remote = repo.git_dir().join("demo-origin.git");
    repo.git(&["init", "--quiet", "--bare", &remote.to_string_lossy()])?;
    repo.git(&["remote", "add", "origin", &remote.to_string_lossy()])?;
    repo.git(&[
        "push",
        "--quiet",
        "origin",
        "refs/heads/main:refs/heads/main",
    ])?;
    let (feature, hotfix) = feature_and_hotfix();
    repo.git(&["checkout", "--quiet", "-b", "feature/patient-search"])?;
    commit_step(repo, dir, &feature)?;
    repo.git(&["checkout", "--quiet", "main"])?;
    section(
        output,
        &heading,
        "The path through git: `lanes submit feature/patient-search` (acceptance on lanes/accept/<id>, merge into main, integration, merge into release)",
    );
    let submit = SubmitArgs {
        branches: vec!["feature/patient-search".to_owned()],
        until_merged: false,
        jobs: Some(4),
        json: false,
        state: StateArg { state_dir: None },
    };
    match commands::submit(dir, &submit, output) {
        Ok(()) | Err(Failure::Reported(5)) => {}
        Err(other) => return Err(other),
    }
    let merged = repo
        .git(&["rev-parse", "refs/remotes/origin/main"])?
        .trim()
        .to_owned();
    approve_waiting(dir, &merged, output)?;
    lanes_run(dir, &merged, output)?;
    show_status(dir, &merged, output)?;

    section(
        output,
        &heading,
        "A hotfix: `lanes hotfix frontend` cuts hotfix/frontend/1 from the production tag; the fix ships, then is forward-ported through the queue",
    );
    commands::hotfix(
        dir,
        &HotfixArgs {
            component: "frontend".to_owned(),
            json: false,
            state: StateArg { state_dir: None },
        },
        output,
    )?;
    repo.git(&["checkout", "--quiet", "hotfix/frontend/1"])?;
    let fix = commit_step(repo, dir, &hotfix)?;
    repo.git(&["checkout", "--quiet", "main"])?;
    lanes_run(dir, "hotfix/frontend/1", output)?;
    approve_waiting(dir, &fix, output)?;
    lanes_run(dir, "hotfix/frontend/1", output)?;
    show_status(dir, &fix, output)
}

fn section(output: &Output, heading: &Style, title: &str) {
    output.data("");
    output.data(&output.paint(heading, title));
}

fn commit_step(repo: &Repo, dir: &Path, step: &Step) -> Result<String, Failure> {
    for edit in &step.edits {
        apply(dir, edit)?;
    }
    Ok(repo
        .commit_all(step.message, Some(step.author))?
        .to_string())
}

/// `lanes run REV`: a red lane is part of the story, not a failure of the demo.
fn lanes_run(dir: &Path, rev: &str, output: &Output) -> Result<(), Failure> {
    let args = RunArgs {
        rev: rev.to_owned(),
        jobs: Some(4),
        json: false,
        state: StateArg { state_dir: None },
    };
    match commands::run(dir, &args, output) {
        Ok(()) | Err(Failure::Reported(5)) => Ok(()),
        Err(other) => Err(other),
    }
}

/// Approves every lane of `rev` waiting at production, as an approver who is not its author.
fn approve_waiting(dir: &Path, rev: &str, output: &Output) -> Result<(), Failure> {
    let manifest = Manifest::parse(Manifest::FILE_NAME, crate::demo::MANIFEST)?;
    for component in manifest.components() {
        let approver = component
            .approvers
            .iter()
            .find(|user| user.as_str() != "alice" && user.as_str() != "ines");
        let Some(approver) = approver else { continue };
        let args = DecisionArgs {
            component: component.name.clone(),
            stage: "production".to_owned(),
            user: approver.clone(),
            commit: Some(rev.to_owned()),
            state: StateArg { state_dir: None },
        };
        match commands::approve(dir, &args, output) {
            Ok(()) | Err(Failure::Decision(lanes_engine::DecisionError::NothingWaiting { .. })) => {
            }
            Err(other) => return Err(other),
        }
    }
    Ok(())
}

fn show_status(dir: &Path, rev: &str, output: &Output) -> Result<(), Failure> {
    commands::status(
        dir,
        &StatusArgs {
            rev: rev.to_owned(),
            json: false,
            state: StateArg { state_dir: None },
        },
        output,
    )
}

/// A new directory: the one asked for (absent or empty), else a fresh temporary one.
fn demo_directory(requested: Option<&Path>) -> Result<PathBuf, Failure> {
    let Some(dir) = requested else {
        let temporary = tempfile::Builder::new()
            .prefix("lanes-demo-")
            .tempdir()
            .map_err(|error| Failure::io("create a temporary directory", error))?;
        return Ok(temporary.keep());
    };
    let is_empty = match std::fs::read_dir(dir) {
        Ok(mut entries) => entries.next().is_none(),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => true,
        Err(error) => return Err(Failure::io(format!("read {}", dir.display()), error)),
    };
    if !is_empty {
        return Err(Failure::Refused {
            message: format!("{} is not empty", dir.display()),
            hint: Some(
                "give --dir a new or empty directory; the demo never writes over files".to_owned(),
            ),
        });
    }
    std::fs::create_dir_all(dir)
        .map_err(|error| Failure::io(format!("create {}", dir.display()), error))?;
    Ok(dir.to_path_buf())
}

fn write(root: &Path, path: &str, contents: &str) -> Result<(), Failure> {
    let target = root.join(path);
    if let Some(parent) = target.parent() {
        std::fs::create_dir_all(parent)
            .map_err(|error| Failure::io(format!("create {}", parent.display()), error))?;
    }
    std::fs::write(&target, contents)
        .map_err(|error| Failure::io(format!("write {}", target.display()), error))
}

fn read(root: &Path, path: &str) -> Result<String, Failure> {
    let source = root.join(path);
    std::fs::read_to_string(&source)
        .map_err(|error| Failure::io(format!("read {}", source.display()), error))
}

fn apply(root: &Path, edit: &Edit) -> Result<(), Failure> {
    match *edit {
        Edit::Write(path, contents) => write(root, path, contents),
        Edit::Append(path, text) => write(root, path, &(read(root, path)? + text)),
        Edit::Replace(path, from, to) => {
            write(root, path, &read(root, path)?.replacen(from, to, 1))
        }
        Edit::Rename(from, to) => {
            let contents = read(root, from)?;
            write(root, to, &contents)?;
            let source = root.join(from);
            std::fs::remove_file(&source)
                .map_err(|error| Failure::io(format!("remove {}", source.display()), error))
        }
        Edit::Delete(path) => {
            let target = root.join(path);
            std::fs::remove_file(&target)
                .map_err(|error| Failure::io(format!("remove {}", target.display()), error))
        }
    }
}
