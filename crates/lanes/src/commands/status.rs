//! `lanes status`: the unified view of a commit.

use std::path::Path;

use console::Style;
use lanes_engine::{CommitView, StageState};
use serde::Serialize;

use crate::cli::StatusArgs;
use crate::dispatch::now;
use crate::failure::Failure;
use crate::ledger::{block_on, open};
use crate::output::Output;
use crate::workspace::repository;

#[derive(Serialize)]
struct JsonStatus<'a> {
    #[serde(flatten)]
    view: &'a CommitView,
    subject: &'a str,
    author: &'a str,
}

pub(crate) fn status(directory: &Path, args: &StatusArgs, output: &Output) -> Result<(), Failure> {
    let repo = repository(directory)?;
    let commit = repo.resolve_commit(&args.rev)?;
    let info = repo.commit_info(commit)?;
    let view = block_on(async {
        let (_, store) = open(&repo, &args.state).await?;
        Ok(store.world().commit_view(&commit.to_string(), now()))
    })?;
    if args.json {
        let json = JsonStatus {
            view: &view,
            subject: &info.subject,
            author: &info.author,
        };
        output.data(&serde_json::to_string_pretty(&json).expect("serializable"));
        return Ok(());
    }
    output.data(&format!(
        "{} {}  ({})",
        output.paint(&Style::new().yellow(), &commit.short()),
        info.subject,
        info.author
    ));
    if view.lanes.is_empty() {
        output.say("no lanes for this commit yet");
        output.hint(&format!("`lanes run {}` runs them", commit.short()));
        return Ok(());
    }
    print_view(&view, output);
    Ok(())
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

fn state_style(state: StageState) -> Style {
    match state {
        StageState::Succeeded | StageState::Unchanged => Style::new().green(),
        StageState::Failed | StageState::Interrupted => Style::new().red(),
        StageState::Running | StageState::Waiting => Style::new().yellow(),
        StageState::Pending | StageState::Canceled | StageState::Skipped => Style::new().dim(),
    }
}

fn summary_style(summary: &str) -> Style {
    match summary {
        "done" => Style::new().green().bold(),
        "failed" | "interrupted" => Style::new().red().bold(),
        _ => Style::new().yellow(),
    }
}
