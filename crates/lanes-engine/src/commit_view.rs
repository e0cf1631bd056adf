//! The unified view of one commit: for every component it touches, where its lane stands, stage
//! by stage. `lanes status` prints it; its JSON form is a contract for tools.

use serde::Serialize;

use crate::next_step::short;
use crate::{DecisionRecord, Lane, Millis, Role, StageState, World, red_since, version_verdict};

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CommitView {
    pub commit: String,
    /// Lanes by component name.
    pub lanes: Vec<LaneView>,
    /// The components the commit has no lane of, by name, each with the lane that stands for
    /// its version: every component lanes knows at the commit gets a verdict.
    pub unchanged: Vec<UnchangedView>,
    /// Every decision people took about the commit's lanes (approvals, rejections, retries,
    /// promotions, rollbacks), in the order taken: who, when, under which token.
    pub decisions: Vec<DecisionRecord>,
}

/// A component without a lane at the commit: its version there is the version of a lane at
/// another commit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UnchangedView {
    pub component: String,
    pub fingerprint: String,
    /// The commit whose lane carries the same version.
    pub since: String,
    /// `passed`: that lane walked its whole lane; `walking`: it is still on its way; `red`: it
    /// failed (`since` is the first commit it failed at); `canceled`: a newer version
    /// superseded it.
    pub verdict: &'static str,
    /// The verdict as people read it: "unchanged since 1a2b3c4, which passed".
    pub text: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LaneView {
    pub component: String,
    pub fingerprint: String,
    /// Where the commit was when the lane was created; a `proposed` one walks only the
    /// manifest's `proposed.stages`.
    pub role: Role,
    /// The version walked its whole lane to production (a proposed lane never is) and was not
    /// rolled back since.
    pub done: bool,
    /// One word for the lane: `done`, `passed` (a proposed lane whose stages all passed),
    /// `rolled-back` (marked bad), `running`, `abandoned` (it ran in a process that is gone),
    /// `waiting`, `failed`, `superseded` (a newer version took its place), `canceled`,
    /// `interrupted` or `pending`.
    pub summary: &'static str,
    /// For a red lane: the earlier commit whose lane of the same version failed first.
    pub red_since: Option<String>,
    /// The version was marked bad (rolled back): why.
    pub rolled_back: Option<String>,
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
        let unchanged = self
            .recorded_commit(commit)
            .into_iter()
            .flat_map(|recorded| {
                recorded
                    .fingerprints
                    .iter()
                    .filter(|(component, _)| self.lane_of(commit, component).is_none())
                    .filter_map(move |(component, fingerprint)| {
                        let (since, verdict) =
                            version_verdict(self, component, fingerprint, recorded.role)?;
                        let short = short(since);
                        let text = match verdict {
                            "passed" => format!("unchanged since {short}, which passed"),
                            "walking" => {
                                format!("unchanged since {short}, whose lane is on its way")
                            }
                            "red" => format!("red since {short}"),
                            _ => format!("unchanged since {short}, which was superseded"),
                        };
                        Some(UnchangedView {
                            component: component.clone(),
                            fingerprint: fingerprint.clone(),
                            since: since.to_owned(),
                            verdict,
                            text,
                        })
                    })
            })
            .collect();
        CommitView {
            commit: commit.to_owned(),
            lanes: self
                .lanes_of_commit(commit)
                .map(|lane| lane_view(self, lane, now))
                .collect(),
            unchanged,
            decisions: self
                .decisions()
                .iter()
                .filter(|decision| decision.commit == commit)
                .cloned()
                .collect(),
        }
    }
}

impl CommitView {
    /// This view, for a caller who found no live process running the commit's lanes: the
    /// stages the ledger says run were abandoned when their process died, and say what the
    /// next `lanes run` of the commit does about them (recover: a build is attempted again, a
    /// deploy waits for a person).
    #[must_use]
    pub fn abandoned(mut self, world: &World) -> Self {
        let run = format!("`lanes run {}`", short(&self.commit));
        for view in &mut self.lanes {
            let Some(lane) = world.lane_of(&self.commit, &view.component) else {
                continue;
            };
            for (index, stage) in view.stages.iter_mut().enumerate() {
                if stage.state != StageState::Running {
                    continue;
                }
                let deploying = world
                    .running_attempt(lane.id, index)
                    .is_some_and(|attempt| attempt.deploying);
                stage.state = StageState::Abandoned;
                stage.reason = Some(if deploying {
                    format!(
                        "the process that ran its deploy is gone; {run} records it interrupted, to retry or roll back"
                    )
                } else {
                    format!("the process that ran it is gone; {run} attempts it again")
                });
            }
            if view.summary == "running" {
                view.summary = "abandoned";
            }
        }
        self
    }
}

fn lane_view(world: &World, lane: &Lane, now: Millis) -> LaneView {
    let states: Vec<StageState> = lane.stages.iter().map(|stage| stage.state).collect();
    let rolled_back = world.bad_reason(&lane.component, &lane.fingerprint);
    let done = lane.is_done() && lane.role != Role::Proposed && rolled_back.is_none();
    let superseded = lane.stages.iter().any(|stage| {
        stage.state == StageState::Canceled
            && stage
                .reason
                .as_deref()
                .is_some_and(|reason| reason.starts_with("superseded"))
    });
    let summary = if rolled_back.is_some() {
        "rolled-back"
    } else if done {
        "done"
    } else if lane.is_done() {
        "passed"
    } else if states.contains(&StageState::Failed) {
        "failed"
    } else if superseded {
        "superseded"
    } else if states.contains(&StageState::Canceled) {
        "canceled"
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
        red_since: red_since(world, lane).map(str::to_owned),
        rolled_back: rolled_back.map(str::to_owned),
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
