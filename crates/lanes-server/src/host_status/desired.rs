//! The statuses a commit should show, from its unified view: pure.

use lanes_engine::{CommitView, LaneView, StageState};
use lanes_store::QueuedStatus;

/// The context of the aggregate status, the one to make a required check.
pub(crate) const AGGREGATE: &str = "lanes";

/// GitHub keeps at most 140 characters of a description; the others as much or more.
const DESCRIPTION_LIMIT: usize = 140;

/// What one component's verdict means for the host.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Verdict {
    Pending,
    Success,
    Failure,
    Error,
}

impl Verdict {
    fn as_str(self) -> &'static str {
        match self {
            Verdict::Pending => "pending",
            Verdict::Success => "success",
            Verdict::Failure => "failure",
            Verdict::Error => "error",
        }
    }
}

/// The statuses of `view`'s commit: one per component lanes recorded at the commit
/// (`recorded`, by name; a component with neither a lane nor a verdict there is pending: "not
/// looked at" never passes), then the aggregate. `commit_url` is the commit's page on this
/// server. Before lanes looked at the commit at all, only the aggregate, pending.
#[must_use]
pub fn desired_statuses(
    view: &CommitView,
    recorded: &[String],
    commit_url: &str,
) -> Vec<QueuedStatus> {
    let mut verdicts: Vec<(String, Verdict, String)> = Vec::new();
    for component in recorded {
        let (verdict, text) = if let Some(lane) =
            view.lanes.iter().find(|l| &l.component == component)
        {
            lane_verdict(lane)
        } else if let Some(unchanged) = view.unchanged.iter().find(|u| &u.component == component) {
            let verdict = match unchanged.verdict {
                "passed" => Verdict::Success,
                "walking" => Verdict::Pending,
                "red" => Verdict::Failure,
                _ => Verdict::Error,
            };
            (verdict, unchanged.text.clone())
        } else {
            (Verdict::Pending, "not looked at yet".to_owned())
        };
        verdicts.push((component.clone(), verdict, text));
    }
    for lane in &view.lanes {
        if !recorded.contains(&lane.component) {
            let (verdict, text) = lane_verdict(lane);
            verdicts.push((lane.component.clone(), verdict, text));
        }
    }
    let mut statuses: Vec<QueuedStatus> = verdicts
        .iter()
        .map(|(component, verdict, text)| {
            status(&format!("lanes/{component}"), *verdict, text, commit_url)
        })
        .collect();
    let named = |wanted: &[Verdict]| -> Vec<&str> {
        verdicts
            .iter()
            .filter(|(_, verdict, _)| wanted.contains(verdict))
            .map(|(component, _, _)| component.as_str())
            .collect()
    };
    let total = verdicts.len();
    let failed = named(&[Verdict::Failure, Verdict::Error]);
    let waiting = named(&[Verdict::Pending]);
    let (verdict, text) = if total == 0 {
        (
            Verdict::Pending,
            "lanes is looking at this commit".to_owned(),
        )
    } else if !failed.is_empty() {
        (
            Verdict::Failure,
            format!("{} of {total} failed: {}", failed.len(), failed.join(", ")),
        )
    } else if !waiting.is_empty() {
        (
            Verdict::Pending,
            format!(
                "{} of {total} passed; waiting for {}",
                total - waiting.len(),
                waiting.join(", ")
            ),
        )
    } else {
        (Verdict::Success, format!("{total} of {total} passed"))
    };
    statuses.push(status(AGGREGATE, verdict, &text, commit_url));
    statuses
}

fn status(context: &str, verdict: Verdict, text: &str, commit_url: &str) -> QueuedStatus {
    QueuedStatus {
        context: context.to_owned(),
        state: verdict.as_str().to_owned(),
        description: truncate(text),
        target_url: commit_url.to_owned(),
    }
}

/// A lane's verdict: passed once it walked what it walks, or stands only at a person's
/// decision (an approval) or a merge that waits for this very status; pending while it runs
/// or waits for an environment; failed when a stage failed.
fn lane_verdict(lane: &LaneView) -> (Verdict, String) {
    let walked: Vec<&str> = lane
        .stages
        .iter()
        .filter(|stage| matches!(stage.state, StageState::Succeeded | StageState::Unchanged))
        .map(|stage| stage.name.as_str())
        .collect();
    let unchanged: Vec<String> = lane
        .stages
        .iter()
        .filter(|stage| stage.state == StageState::Unchanged)
        .filter_map(|stage| {
            stage
                .provenance
                .as_deref()
                .map(|commit| format!("{} unchanged since {}", stage.name, short(commit)))
        })
        .collect();
    let provenance = if unchanged.is_empty() {
        String::new()
    } else {
        format!(" ({})", unchanged.join(", "))
    };
    let first_open = lane.stages.iter().find(|stage| !stage.state.is_green());
    match lane.summary {
        "done" | "passed" => (
            Verdict::Success,
            format!("passed {}{provenance}", walked.join(", ")),
        ),
        "rolled-back" => (
            Verdict::Failure,
            format!(
                "rolled back: {}",
                lane.rolled_back.as_deref().unwrap_or("marked bad")
            ),
        ),
        "failed" => {
            let stage = lane
                .stages
                .iter()
                .find(|stage| stage.state == StageState::Failed)
                .map_or("a stage", |stage| stage.name.as_str());
            let since = lane
                .red_since
                .as_deref()
                .map(|commit| format!(" (red since {})", short(commit)))
                .unwrap_or_default();
            (Verdict::Failure, format!("failed at {stage}{since}"))
        }
        "superseded" | "canceled" => {
            let reason = first_open
                .and_then(|stage| stage.reason.as_deref())
                .unwrap_or("canceled");
            (Verdict::Error, reason.to_owned())
        }
        _ => match first_open {
            Some(stage)
                if stage.state == StageState::Waiting
                    && stage
                        .reason
                        .as_deref()
                        .is_some_and(awaits_a_person_or_a_merge) =>
            {
                let passed = if walked.is_empty() {
                    String::new()
                } else {
                    format!("passed {}{provenance}; ", walked.join(", "))
                };
                (
                    Verdict::Success,
                    format!(
                        "{passed}{} is {}",
                        stage.name,
                        stage.reason.as_deref().unwrap_or("waiting")
                    ),
                )
            }
            Some(stage) => (
                Verdict::Pending,
                match stage.state {
                    StageState::Running => format!("running {}", stage.name),
                    StageState::Interrupted => {
                        format!("{} was interrupted: retry or roll back", stage.name)
                    }
                    _ => format!(
                        "{}: {}",
                        stage.name,
                        stage.reason.as_deref().unwrap_or("not started yet")
                    ),
                },
            ),
            None => (Verdict::Pending, "not started yet".to_owned()),
        },
    }
}

/// Waits no machine verdict ends: an approval, or a merge (which itself waits for the checks).
fn awaits_a_person_or_a_merge(reason: &str) -> bool {
    reason.starts_with("waiting for approval")
        || reason.contains(" to merge into ")
        || reason.starts_with("waiting for the merge into ")
        || reason.starts_with("waiting for the host's merge queue")
}

fn short(commit: &str) -> &str {
    commit.get(..7).unwrap_or(commit)
}

fn truncate(text: &str) -> String {
    if text.chars().count() <= DESCRIPTION_LIMIT {
        return text.to_owned();
    }
    let mut cut: String = text.chars().take(DESCRIPTION_LIMIT - 1).collect();
    cut.push('…');
    cut
}
