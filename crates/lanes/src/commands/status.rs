//! `lanes status`: the unified view of a commit.

use std::path::Path;

use console::Style;
use std::fmt::Write as _;

use lanes_engine::{CommitView, ForwardPort, PathView, Role, StageState};
use lanes_manifest::QueueSplit;
use serde::Serialize;

use crate::cli::StatusArgs;
use crate::dispatch::now;
use crate::failure::Failure;
use crate::ledger::{block_on, open};
use crate::output::Output;
use crate::run_liveness::is_alive;
use crate::workspace::{manifest_at, repository};

#[derive(Serialize)]
struct JsonStatus<'a> {
    #[serde(flatten)]
    view: &'a CommitView,
    subject: &'a str,
    author: &'a str,
    path: &'a PathView,
}

pub(crate) fn status(directory: &Path, args: &StatusArgs, output: &Output) -> Result<(), Failure> {
    let repo = repository(directory)?;
    let commit = repo.resolve_commit(&args.rev)?;
    let info = repo.commit_info(commit)?;
    let split = manifest_at(&repo, commit)?
        .map_or(QueueSplit::Component, |manifest| manifest.queue().split);
    let (view, path) = block_on(async {
        let (_, mut store) = open(&repo, &args.state).await?;
        let commit = commit.to_string();
        store.focus(&commit).await.map_err(Failure::store)?;
        // The runs first, then the ledger again: a run that ended meanwhile has its attempts'
        // ends in the world read after it.
        let runs = store.unfinished_runs().await.map_err(Failure::store)?;
        store.refresh().await.map_err(Failure::store)?;
        let driven = runs.iter().any(|run| run.commit == commit && is_alive(run));
        let view = store.world().commit_view(&commit, now());
        Ok((
            if driven {
                view
            } else {
                view.abandoned(store.world())
            },
            store.world().path_view(&commit, split),
        ))
    })?;
    if args.json {
        let json = JsonStatus {
            view: &view,
            subject: &info.subject,
            author: &info.author,
            path: &path,
        };
        output.json(&json);
        return Ok(());
    }
    output.data(&format!(
        "{} {}  ({})",
        output.paint(&Style::new().yellow(), &commit.short()),
        info.subject,
        info.author
    ));
    print_path(&path, output);
    if view.lanes.is_empty() && view.unchanged.is_empty() {
        output.say("no lanes for this commit yet");
        output.hint(&format!(
            "{} runs them",
            output.command(&format!("run {}", commit.short()))
        ));
        return Ok(());
    }
    print_view(&view, output);
    print_unchanged(&view, output);
    Ok(())
}

/// The commit's path through git: changes, release merge, tags, hotfix.
fn print_path(path: &PathView, output: &Output) {
    let short = |commit: &str| commit.chars().take(7).collect::<String>();
    for change in &path.changes {
        let mut line = format!(
            "change #{} from {}: {}",
            change.id, change.branch, change.state
        );
        if let Some(position) = change.queue_position {
            write!(line, ", position {position} in the queue").expect("writing to a string");
            if !change.ahead.is_empty() {
                let ahead: Vec<String> = change.ahead.iter().map(|id| format!("#{id}")).collect();
                write!(line, " behind {}", ahead.join(", ")).expect("writing to a string");
            }
        }
        if let (Some(branch), Some(candidate)) = (&change.intermediate_branch, &change.candidate) {
            write!(line, ", accepted on {branch} ({})", short(candidate))
                .expect("writing to a string");
        }
        if let Some(merged) = &change.merge_commit {
            write!(line, ", merged as {}", short(merged)).expect("writing to a string");
        }
        if let Some(carried) = &change.carried {
            write!(line, " ({carried})").expect("writing to a string");
        }
        if let Some(reason) = &change.reason {
            write!(line, ": {reason}").expect("writing to a string");
        }
        output.data(&line);
    }
    if let Some(release) = &path.release {
        output.data(&format!(
            "merged into {} ({})",
            release.branch,
            short(&release.release_commit)
        ));
    }
    for tag in &path.tags {
        output.data(&format!(
            "deployed {} to {}: tagged {}",
            tag.component, tag.environment, tag.tag
        ));
    }
    if let Some(hotfix) = &path.hotfix {
        let port = match &hotfix.forward_port {
            None => "not forward-ported yet".to_owned(),
            Some(ForwardPort::Submitted { commit, change }) => {
                format!("forward-ported as {} (change {change})", short(commit))
            }
            Some(ForwardPort::Conflict { files }) => {
                format!("forward-port conflicts in {}", files.join(", "))
            }
        };
        output.data(&format!(
            "hotfix {} of {}, cut from {}: {port}",
            hotfix.branch, hotfix.component, hotfix.tag
        ));
    }
}

/// Each lane: its summary, then each stage's state, duration and reason.
pub(crate) fn print_view(view: &CommitView, output: &Output) {
    let width = view
        .lanes
        .iter()
        .flat_map(|lane| lane.stages.iter().map(|stage| stage.name.len()))
        .max()
        .unwrap_or(0);
    for lane in &view.lanes {
        let summary = if lane.done {
            "done: in production".to_owned()
        } else if let Some(reason) = &lane.rolled_back {
            reason.clone()
        } else if let Some(since) = &lane.red_since {
            format!(
                "{}: red since {}",
                lane.summary,
                &since[..7.min(since.len())]
            )
        } else if lane.role == Role::Proposed {
            format!(
                "{} (proposed: walks no further until it reaches the default branch)",
                lane.summary
            )
        } else {
            lane.summary.to_owned()
        };
        output.data(&format!(
            "\n{}  {}  {}",
            output.paint(&Style::new().bold(), &lane.component),
            output.paint(
                &Style::new().dim(),
                &format!(
                    "version {}",
                    &lane.fingerprint[..12.min(lane.fingerprint.len())]
                )
            ),
            output.paint(&summary_style(lane.summary), &summary),
        ));
        for stage in &lane.stages {
            let duration = stage
                .duration_ms
                .map(crate::output::seconds)
                .unwrap_or_default();
            let mut detail = stage.reason.clone().unwrap_or_default();
            if stage.attempts > 1 && !detail.contains("attempt") {
                detail = format!("{} attempts {detail}", stage.attempts);
            }
            output.data(&format!(
                "  {:width$}  {} {:>7}  {}",
                stage.name,
                output.paint(
                    &state_style(stage.state),
                    &format!("{:<11}", stage.state.as_str())
                ),
                duration,
                detail
            ));
        }
    }
}

/// The components without a lane at the commit: the verdict their version has elsewhere.
fn print_unchanged(view: &CommitView, output: &Output) {
    for unchanged in &view.unchanged {
        let style = match unchanged.verdict {
            "passed" => Style::new().green(),
            "walking" => Style::new().yellow(),
            "red" => Style::new().red().bold(),
            _ => Style::new().dim(),
        };
        output.data(&format!(
            "\n{}  {}  {}",
            output.paint(&Style::new().bold(), &unchanged.component),
            output.paint(
                &Style::new().dim(),
                &format!(
                    "version {}",
                    &unchanged.fingerprint[..12.min(unchanged.fingerprint.len())]
                )
            ),
            output.paint(&style, &unchanged.text),
        ));
    }
}

fn state_style(state: StageState) -> Style {
    match state {
        StageState::Succeeded | StageState::Unchanged => Style::new().green(),
        StageState::Failed | StageState::Interrupted | StageState::Abandoned => Style::new().red(),
        StageState::Running | StageState::Waiting => Style::new().yellow(),
        StageState::Pending | StageState::Canceled | StageState::Skipped => Style::new().dim(),
    }
}

fn summary_style(summary: &str) -> Style {
    match summary {
        "done" | "passed" => Style::new().green().bold(),
        "failed" | "interrupted" | "abandoned" | "rolled-back" => Style::new().red().bold(),
        _ => Style::new().yellow(),
    }
}
