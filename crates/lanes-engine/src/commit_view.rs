//! The unified view of one commit: for every component it touches, where its lane stands, stage
//! by stage. `lanes status` prints it; its JSON form is a contract for tools.

use serde::Serialize;

use crate::{Lane, Millis, Role, StageState, World};

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CommitView {
    pub commit: String,
    /// Lanes by component name.
    pub lanes: Vec<LaneView>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LaneView {
    pub component: String,
    pub fingerprint: String,
    /// Where the commit was when the lane was created; a `proposed` one walks only the
    /// manifest's `proposed.stages`.
    pub role: Role,
    /// The version walked its whole lane to production (a proposed lane never is).
    pub done: bool,
    /// One word for the lane: `done`, `passed` (a proposed lane whose stages all passed),
    /// `running`, `waiting`, `failed`, `interrupted` or `pending`.
    pub summary: &'static str,
    pub stages: Vec<StageView>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StageView {
    pub name: String,
    pub state: StageState,
    pub reason: Option<String>,
    /// For `unchanged`: the commit that passed the stage with the same version.
    pub provenance: Option<String>,
    pub attempts: usize,
    pub flaky: bool,
    pub started_at: Option<Millis>,
    pub finished_at: Option<Millis>,
    /// Wall time from the first attempt's start to the end (or to `now` while it runs).
    pub duration_ms: Option<Millis>,
}

impl World {
    /// The unified view of `commit` at time `now`.
    #[must_use]
    pub fn commit_view(&self, commit: &str, now: Millis) -> CommitView {
        CommitView {
            commit: commit.to_owned(),
            lanes: self
                .lanes_of_commit(commit)
                .map(|lane| lane_view(lane, now))
                .collect(),
        }
    }
}

fn lane_view(lane: &Lane, now: Millis) -> LaneView {
    let states: Vec<StageState> = lane.stages.iter().map(|stage| stage.state).collect();
    let done = lane.is_done() && lane.role != Role::Proposed;
    let summary = if done {
        "done"
    } else if lane.is_done() {
        "passed"
    } else if states.contains(&StageState::Failed) || states.contains(&StageState::Canceled) {
        "failed"
    } else if states.contains(&StageState::Interrupted) {
        "interrupted"
    } else if states.contains(&StageState::Running) {
        "running"
    } else if states.contains(&StageState::Waiting) {
        "waiting"
    } else {
        "pending"
    };
    LaneView {
        component: lane.component.clone(),
        fingerprint: lane.fingerprint.clone(),
        role: lane.role,
        done,
        summary,
        stages: lane
            .stages
            .iter()
            .map(|stage| StageView {
                name: stage.name.clone(),
                state: stage.state,
                reason: stage.reason.clone(),
                provenance: stage.provenance.clone(),
                attempts: stage.attempts.len(),
                flaky: stage.flaky,
                started_at: stage.started_at,
                finished_at: stage.finished_at,
                duration_ms: stage
                    .started_at
                    .map(|start| stage.finished_at.unwrap_or(now).max(start) - start),
            })
            .collect(),
    }
}
