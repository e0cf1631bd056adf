//! `lanes demo`: builds the sample monorepo in a fresh directory and shows, act by act, what
//! each commit affects and what its lanes did, with the details behind `--verbose`; leaves a
//! decision waiting, serves the dashboard, and removes the directory unless kept.

use std::path::Path;

use console::Style;
use lanes_engine::{Event, StageState, instance_for};
use lanes_git::Repo;
use lanes_graph::{Affected, ComponentGraph};
use lanes_manifest::Manifest;

use crate::change_detection::affected_between;
use crate::cli::{
    BoardArgs, DecisionArgs, DemoArgs, HotfixArgs, RollbackArgs, RunArgs, StateArg, StatusArgs,
    SubmitArgs,
};
use crate::commands;
use crate::commands::affected::print_explained;
use crate::commands::graph::print_text;
use crate::demo::{
    DemoDirectory, Edit, Step, awaiting_approval, feature_and_hotfix, history, initial_files,
    lanes_in, lanes_invocation, red_and_fix,
};
use crate::dispatch::now;
use crate::failure::Failure;
use crate::ledger::{block_on, open_whole};
use crate::output::{Output, escaped};
use crate::workspace::{repository, required_manifest_at};

/// The demo's two voices: `output` tells the story; `commands` is what the lanes commands it
/// runs print (nothing unless `--verbose`), their hints naming lanes as the user can run it.
struct Voices<'a> {
    output: &'a Output,
    commands: Output,
    /// `lanes -C DIR` as the user can type it.
    lanes: String,
    /// Whether the directory is there after the demo's lanes, for the `look:` hints.
    stays: bool,
    /// Whether the dashboard is served at the end.
    serving: bool,
}

pub(crate) fn demo(args: &DemoArgs, output: &Output) -> Result<(), Failure> {
    let place = DemoDirectory::create(args.dir.as_deref(), args.keep)?;
    let dir = place.path();
    output.say(&format!(
        "lanes demo: building a sample monorepo in {}{}",
        escaped(&dir.display().to_string()),
        if args.verbose {
            ""
        } else {
            " (--verbose shows every step)"
        }
    ));
    let invocation = lanes_invocation();
    let lanes = lanes_in(&invocation, dir);
    let voices = Voices {
        output,
        commands: output.with(!args.verbose, &lanes),
        lanes,
        stays: place.stays() || !args.no_serve,
        serving: !args.no_serve,
    };
    let repo = Repo::init(dir, "main")?;
    for (path, contents) in initial_files() {
        write(dir, &path, &contents)?;
    }
    let first = repo.commit_all(
        "Initial import of the health platform",
        Some(("Ines", "ines@example.com")),
    )?;
    let manifest = required_manifest_at(&repo, first, "HEAD")?;
    let heading = Style::new().bold().underlined();
    output.data(&output.paint(&heading, "The components, dependencies first"));
    print_text(&ComponentGraph::new(&manifest), output);
    show_history(&repo, dir, first, args.verbose, output)?;
    let red = run_the_lanes(&repo, dir, &voices)?;

    let tries = try_lines(&voices.lanes, &red);
    let shown = escaped(&dir.display().to_string());
    output.data("");
    if args.no_serve {
        if place.stays() {
            output.say(&format!("the sample monorepo stays in {shown}; try:"));
            for line in &tries {
                output.say(&format!("  {line}"));
            }
        } else {
            place.finish()?;
            output.say(&format!("removed the sample monorepo ({shown})"));
            output.hint(&format!(
                "`{invocation} demo --no-serve --keep` keeps it to try lanes in"
            ));
        }
        return Ok(());
    }
    output.say("while the dashboard is served, try in another terminal:");
    for line in &tries {
        output.say(&format!("  {line}"));
    }
    output.say(&if place.stays() {
        format!("Ctrl-C ends the demo; the sample monorepo stays in {shown}")
    } else {
        format!("Ctrl-C ends the demo and removes {shown} (`{invocation} demo --keep` keeps it)")
    });
    crate::service::serve_demo(dir, &args.bind, output)?;
    if !place.stays() {
        place.finish()?;
        output.say(&format!("removed the sample monorepo ({shown})"));
    }
    Ok(())
}

/// Commands to try in the sample monorepo, each with what it shows.
fn try_lines(lanes: &str, red: &str) -> Vec<String> {
    let commands = [
        ("board".to_owned(), "what is deployed where"),
        (format!("status {red}"), "the unified view of a commit"),
        (
            format!("logs fhir pr --commit {red}"),
            "why fhir's tests went red",
        ),
        (
            "affected --base HEAD~3 --explain".to_owned(),
            "what the last commits affect",
        ),
        ("graph --dot".to_owned(), "the component graph for Graphviz"),
        (
            "approve monitoring production --as olga".to_owned(),
            "the decision waiting",
        ),
    ];
    let width = commands
        .iter()
        .map(|(args, _)| args.len())
        .max()
        .unwrap_or(0);
    commands
        .iter()
        .map(|(args, what)| format!("{lanes} {args:<width$}  # {what}"))
        .collect()
}

/// What each commit of the history affects: a line per commit, or with `--verbose` each
/// component with its reasons.
fn show_history(
    repo: &Repo,
    dir: &Path,
    first: lanes_git::CommitId,
    verbose: bool,
    output: &Output,
) -> Result<(), Failure> {
    let heading = Style::new().bold().underlined();
    let steps = history();
    if !verbose {
        section(output, &heading, "What each commit affects");
    }
    let mut previous = first;
    for (number, step) in steps.iter().enumerate() {
        for edit in &step.edits {
            apply(dir, edit)?;
        }
        let commit = repo.commit_all(step.message, Some(step.author))?;
        let manifest = required_manifest_at(repo, commit, "HEAD")?;
        let (result, _) = affected_between(repo, &manifest, previous, previous, commit)?;
        let title = format!(
            "{}/{}  {}  {}  ({})",
            number + 1,
            steps.len(),
            commit.short(),
            step.message,
            step.author.0
        );
        let total = manifest.components().len();
        if verbose {
            section(output, &heading, &format!("Commit {title}"));
            if result.components.is_empty() {
                output.data(&format!(
                    "  {}: nothing to build",
                    nothing_affected(&result)
                ));
            } else {
                print_explained(&result, output);
                output.data(&output.paint(
                    &Style::new().dim(),
                    &format!(
                        "  {} of {total} components get a lane",
                        result.components.len()
                    ),
                ));
            }
        } else {
            output.data(&title);
            output.data(&format!("    {}", affected_in_short(&result, total)));
        }
        previous = commit;
    }
    Ok(())
}

fn nothing_affected(result: &Affected) -> String {
    let (ignored, unowned) = (result.ignored_files.len(), result.unowned_files.len());
    format!(
        "affects no component ({ignored} changed files match `ignore`, {unowned} belong to no component)"
    )
}

/// `fhir; through a dependency: frontend, iot-connector (3 of 8 get a lane)`.
fn affected_in_short(result: &Affected, total: usize) -> String {
    if result.components.is_empty() {
        return nothing_affected(result);
    }
    let names = |direct: bool| {
        few(&result
            .components
            .iter()
            .filter(|component| component.direct == direct)
            .map(|component| component.name.as_str())
            .collect::<Vec<_>>())
    };
    let (direct, through) = (names(true), names(false));
    let names = if through.is_empty() {
        direct
    } else {
        format!("{direct}; through a dependency: {through}")
    };
    let manifest = result.components.iter().any(|component| {
        component
            .reasons
            .iter()
            .any(|reason| matches!(reason, lanes_graph::Reason::Manifest { .. }))
    });
    let shared = result.components.iter().any(|component| {
        component
            .reasons
            .iter()
            .any(|reason| matches!(reason, lanes_graph::Reason::Shared { .. }))
    });
    let why = match (shared, manifest) {
        (true, _) => ", a shared file changed",
        (false, true) => ", its section of lanes.yml changed",
        (false, false) => "",
    };
    format!(
        "{names}  ({} of {total} get a lane{why})",
        result.components.len()
    )
}

/// The lanes part: every component walks its lane for the first commit and reaches
/// production after approval; then a red test stops one component while the others ship, a fix
/// follows, a rollback, the path through git and a hotfix; last, a change waits for a person.
/// Returns the red commit, short.
fn run_the_lanes(repo: &Repo, dir: &Path, voices: &Voices) -> Result<String, Failure> {
    let first = repo
        .git(&["rev-list", "--max-parents=0", "HEAD"])?
        .trim()
        .to_owned();
    act(
        voices,
        "The lanes of the initial import: every component walks pr, acceptance, integration, staging, production",
    );
    walk_to_production(dir, &first, voices)?;

    let (red, fix) = red_and_fix();
    let red_commit = commit_step(repo, dir, &red)?;
    act(
        voices,
        &format!("{}: fhir's tests go red; the other lanes ship", red.message),
    );
    walk_to_production(dir, &red_commit, voices)?;

    let fix_commit = commit_step(repo, dir, &fix)?;
    act(
        voices,
        &format!(
            "{}: the fix walks its lane, is approved and reaches production",
            fix.message
        ),
    );
    walk_to_production(dir, &fix_commit, voices)?;

    act(
        voices,
        "A rollback: fhir's new version misbehaves in prod; the previous one comes back",
    );
    roll_back(dir, "fhir", "prod", voices)?;
    walk_the_path(repo, dir, voices)?;
    leave_waiting(repo, dir, voices)?;
    act(voices, "The board: components by environments");
    commands::board(
        dir,
        &BoardArgs {
            json: false,
            state: StateArg { state_dir: None },
        },
        voices.output,
    )?;
    Ok(red_commit[..7].to_owned())
}

/// `lanes rollback` of `component` in `env`, then what it did, from the ledger: the version
/// marked bad and the one deployed again.
fn roll_back(dir: &Path, component: &str, env: &str, voices: &Voices) -> Result<(), Failure> {
    let args = RollbackArgs {
        component: component.to_owned(),
        env: env.to_owned(),
        user: "bob".to_owned(),
        reason: "patients report errors".to_owned(),
        state: StateArg { state_dir: None },
    };
    let repo = repository(dir)?;
    let head = repo.resolve_commit("HEAD")?;
    let instance = instance_for(&required_manifest_at(&repo, head, "HEAD")?, env, component);
    let deployed = || {
        block_on(async {
            let (_, store) = open_whole(&repo, &args.state).await?;
            Ok(store.world().deployment(env, &instance, component).cloned())
        })
    };
    let Some(before) = deployed()? else {
        return Err(Failure::Refused {
            message: format!("the demo has no {component} in {env} to roll back"),
            hint: None,
        });
    };
    commands::rollback(dir, &args, &voices.commands)?;
    let (marked, restored) = block_on(async {
        let (_, store) = open_whole(&repo, &args.state).await?;
        let marked = store
            .events_of_lane(before.lane)
            .await
            .map_err(Failure::store)?
            .into_iter()
            .find_map(|stored| match stored.event {
                Event::MarkedBad { reason, .. } => Some(reason),
                _ => None,
            });
        let after = store.world().deployment(env, &instance, component).cloned();
        Ok((marked, after))
    })?;
    let (Some(reason), Some(after)) = (marked, restored) else {
        return Err(Failure::Refused {
            message: format!("the rollback of {component} in {env} left no trace in the ledger"),
            hint: None,
        });
    };
    let version = |fingerprint: &str, commit: &str| {
        format!(
            "{} (from {})",
            &fingerprint[..12.min(fingerprint.len())],
            &commit[..7]
        )
    };
    let output = voices.output;
    output.data(&format!(
        "  marked bad: {component} {}, {}",
        version(&before.fingerprint, &before.commit),
        escaped(&reason)
    ));
    output.data(&format!(
        "  deployed again to {env}: {component} {}, the last known good before it",
        version(&after.fingerprint, &after.commit)
    ));
    look(voices, "board");
    Ok(())
}

/// The last act: main catches up with the remote, and Mia's change walks to production, where
/// it waits for olga's approval (on the dashboard, or `lanes approve`).
fn leave_waiting(repo: &Repo, dir: &Path, voices: &Voices) -> Result<(), Failure> {
    repo.git(&["merge", "--quiet", "--ff-only", "refs/remotes/origin/main"])?;
    let step = awaiting_approval();
    let commit = commit_step(repo, dir, &step)?;
    repo.git(&[
        "push",
        "--quiet",
        "origin",
        "refs/heads/main:refs/heads/main",
    ])?;
    act(
        voices,
        &format!(
            "Waiting for you: \"{}\" ({}) walks to production and waits for approval",
            step.message, step.author.0
        ),
    );
    lanes_run(dir, &commit, voices)?;
    summarize(dir, &commit, voices)?;
    let how = if voices.serving {
        ": sign in on the dashboard with olga's token (below) and click approve".to_owned()
    } else if voices.stays {
        format!(
            ": {}",
            voices
                .commands
                .command("approve monitoring production --as olga")
        )
    } else {
        String::new()
    };
    voices
        .output
        .data(&format!("  mia wrote it, so olga approves{how}"));
    Ok(())
}

/// A change from a branch through the whole path: submit, acceptance on an intermediate branch,
/// merge, integration, the release merge, approval, production and its tag; then a hotfix cut
/// from that tag, shipped and forward-ported.
fn walk_the_path(repo: &Repo, dir: &Path, voices: &Voices) -> Result<(), Failure> {
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
    act(
        voices,
        "The path through git: feature/patient-search is submitted, accepted on lanes/accept/<id>, merged into main, integrated, merged into release",
    );
    let submit = SubmitArgs {
        branches: vec!["feature/patient-search".to_owned()],
        until_merged: false,
        user: Some(format!("{} <{}>", feature.author.0, feature.author.1)),
        jobs: Some(4),
        json: false,
        state: StateArg { state_dir: None },
    };
    match commands::submit(dir, &submit, &voices.commands) {
        Ok(()) | Err(Failure::Reported(5)) => {}
        Err(other) => return Err(other),
    }
    let merged = repo
        .git(&["rev-parse", "refs/remotes/origin/main"])?
        .trim()
        .to_owned();
    approve_waiting(dir, &merged, voices)?;
    lanes_run(dir, &merged, voices)?;
    summarize(dir, &merged, voices)?;

    act(
        voices,
        "A hotfix of frontend, cut as hotfix/frontend/1 from its production tag: the fix ships, then is forward-ported through the queue",
    );
    commands::hotfix(
        dir,
        &HotfixArgs {
            component: "frontend".to_owned(),
            json: false,
            state: StateArg { state_dir: None },
        },
        &voices.commands,
    )?;
    repo.git(&["checkout", "--quiet", "hotfix/frontend/1"])?;
    let fix = commit_step(repo, dir, &hotfix)?;
    repo.git(&["checkout", "--quiet", "main"])?;
    lanes_run(dir, "hotfix/frontend/1", voices)?;
    approve_waiting(dir, &fix, voices)?;
    lanes_run(dir, "hotfix/frontend/1", voices)?;
    summarize(dir, &fix, voices)
}

fn section(output: &Output, heading: &Style, title: &str) {
    output.data("");
    output.data(&output.paint(heading, title));
}

fn act(voices: &Voices, title: &str) {
    section(voices.output, &Style::new().bold().underlined(), title);
}

/// What became of `commit`'s lanes and its path through git, from the ledger: a few lines,
/// and the command that shows everything.
fn summarize(dir: &Path, commit: &str, voices: &Voices) -> Result<(), Failure> {
    let repo = repository(dir)?;
    let commit = repo.resolve_commit(commit)?;
    let split = required_manifest_at(&repo, commit, "HEAD")?.queue().split;
    let (view, path) = block_on(async {
        let (_, store) = open_whole(&repo, &StateArg { state_dir: None }).await?;
        let commit = commit.to_string();
        Ok((
            store.world().commit_view(&commit, now()),
            store.world().path_view(&commit, split),
        ))
    })?;
    // The whole unified view, with --verbose.
    commands::status(
        dir,
        &StatusArgs {
            rev: commit.to_string(),
            json: false,
            state: StateArg { state_dir: None },
        },
        &voices.commands,
    )?;
    let output = voices.output;
    let short = |commit: &str| commit.chars().take(7).collect::<String>();
    for change in &path.changes {
        let accepted = change
            .intermediate_branch
            .as_ref()
            .map(|branch| format!(", accepted on {branch}"))
            .unwrap_or_default();
        output.data(&format!(
            "  change #{} from {}: {}{accepted}",
            change.id,
            escaped(&change.branch),
            change.state
        ));
    }
    if let Some(hotfix) = &path.hotfix {
        output.data(&format!(
            "  {} of {}, cut from {}",
            hotfix.branch, hotfix.component, hotfix.tag
        ));
    }
    let done: Vec<&str> = view
        .lanes
        .iter()
        .filter(|lane| lane.done)
        .map(|lane| lane.component.as_str())
        .collect();
    if !done.is_empty() {
        let tags = path.tags.len();
        let tagged = match tags {
            0 => String::new(),
            1 => format!(", tagged {}", path.tags[0].tag),
            _ => format!(", {tags} tags like {}", path.tags[0].tag),
        };
        output.data(&format!("  in production: {}{tagged}", few(&done)));
    }
    for line in unfinished(&view) {
        output.data(&line);
    }
    if let Some(port) = path
        .hotfix
        .as_ref()
        .and_then(|hotfix| hotfix.forward_port.as_ref())
    {
        let port = match port {
            lanes_engine::ForwardPort::Submitted { commit, change } => {
                format!(
                    "forward-ported to main as {} (change {change})",
                    short(commit)
                )
            }
            lanes_engine::ForwardPort::Conflict { files } => {
                format!("its forward-port conflicts in {}", files.join(", "))
            }
        };
        output.data(&format!("  {port}"));
    }
    look(voices, &format!("status {}", commit.short()));
    Ok(())
}

/// A line per lane that is not done: where it stopped or waits, and why.
fn unfinished(view: &lanes_engine::CommitView) -> Vec<String> {
    let mut lines = Vec::new();
    for lane in view.lanes.iter().filter(|lane| !lane.done) {
        let Some(stage) = lane.stages.iter().find(|stage| !stage.state.is_green()) else {
            continue;
        };
        let reason = stage
            .reason
            .as_deref()
            .map(|reason| format!(": {}", escaped(reason)))
            .unwrap_or_default();
        let line = match stage.state {
            StageState::Failed => {
                format!(
                    "  failed: {} at {}{reason}; its later stages do not run",
                    lane.component, stage.name
                )
            }
            StageState::Waiting => {
                format!("  waiting: {} at {}{reason}", lane.component, stage.name)
            }
            other => format!(
                "  {}: {} at {}{reason}",
                other.as_str(),
                lane.component,
                stage.name
            ),
        };
        lines.push(line);
    }
    lines
}

/// The command that shows an act in full, while the directory is there.
fn look(voices: &Voices, args: &str) {
    if voices.stays {
        voices
            .output
            .data(&format!("  look: {}", voices.commands.command(args)));
    }
}

/// Names, or how many when there are too many to read in a line.
fn few(names: &[&str]) -> String {
    if names.len() > 4 {
        format!("{} components", names.len())
    } else {
        names.join(", ")
    }
}

fn commit_step(repo: &Repo, dir: &Path, step: &Step) -> Result<String, Failure> {
    for edit in &step.edits {
        apply(dir, edit)?;
    }
    Ok(repo
        .commit_all(step.message, Some(step.author))?
        .to_string())
}

/// The lanes of `commit` to production: run them, approve what waits at a gate, run them on,
/// and tell what came of it.
fn walk_to_production(dir: &Path, commit: &str, voices: &Voices) -> Result<(), Failure> {
    lanes_run(dir, commit, voices)?;
    approve_waiting(dir, commit, voices)?;
    lanes_run(dir, commit, voices)?;
    summarize(dir, commit, voices)
}

/// `lanes run REV`: a red lane is part of the story, not a failure of the demo.
fn lanes_run(dir: &Path, rev: &str, voices: &Voices) -> Result<(), Failure> {
    let args = RunArgs {
        rev: rev.to_owned(),
        jobs: Some(4),
        json: false,
        // The demo's origin is its own bare repository inside the demo directory.
        push: true,
        state: StateArg { state_dir: None },
    };
    match commands::run(dir, &args, &voices.commands) {
        Ok(()) | Err(Failure::Reported(5)) => Ok(()),
        Err(other) => Err(other),
    }
}

/// Approves every lane of `rev` waiting at production, as the first of its approvers who
/// brought nothing of the change, and says who approved what.
fn approve_waiting(dir: &Path, rev: &str, voices: &Voices) -> Result<(), Failure> {
    let manifest = Manifest::parse(Manifest::FILE_NAME, crate::demo::MANIFEST)?;
    let mut decisions: Vec<(String, Vec<String>)> = Vec::new();
    for component in manifest.components() {
        for approver in &component.approvers {
            let args = DecisionArgs {
                component: component.name.clone(),
                stage: "production".to_owned(),
                user: approver.clone(),
                commit: Some(rev.to_owned()),
                state: StateArg { state_dir: None },
            };
            match commands::approve(dir, &args, &voices.commands) {
                Ok(()) => {
                    match decisions.iter_mut().find(|(user, _)| user == approver) {
                        Some((_, components)) => components.push(component.name.clone()),
                        None => decisions.push((approver.clone(), vec![component.name.clone()])),
                    }
                    break;
                }
                // An author of the change: the next approver decides.
                Err(Failure::Decision(lanes_engine::DecisionError::SelfApproval { .. })) => {}
                Err(Failure::Decision(lanes_engine::DecisionError::NothingWaiting { .. })) => {
                    break;
                }
                Err(other) => return Err(other),
            }
        }
    }
    if !decisions.is_empty() {
        let who: Vec<String> = decisions
            .iter()
            .map(|(user, components)| {
                let names: Vec<&str> = components.iter().map(String::as_str).collect();
                format!("{user} ({})", few(&names))
            })
            .collect();
        voices
            .output
            .data(&format!("  approved for production by {}", who.join("; ")));
    }
    Ok(())
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
