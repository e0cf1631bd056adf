//! A lane: one component's walk through the stages, for one commit.

use serde::{Deserialize, Serialize};

use crate::{Role, StageState};

/// Milliseconds since the Unix epoch: the engine never reads the clock, events carry time.
pub type Millis = i64;

/// Identifies a lane. Ids grow: a higher id is a newer lane.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct LaneId(pub u64);

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Lane {
    pub id: LaneId,
    pub commit: String,
    pub component: String,
    /// The component's fingerprint at `commit`: the version this lane carries.
    pub fingerprint: String,
    /// Who wrote the change (`Name <email>`), for the self-approval rule.
    pub author: String,
    /// Where the commit was when the lane was created: it decides which stages the lane walks.
    pub role: Role,
    /// How many commits the commit's history holds: ancestors have fewer.
    pub depth: u64,
    pub created_at: Millis,
    /// One per manifest stage, in order.
    pub stages: Vec<StageRun>,
}

impl Lane {
    /// The first stage that is not green, if any: where the lane stands.
    #[must_use]
    pub fn current_stage(&self) -> Option<usize> {
        self.stages.iter().position(|stage| !stage.state.is_green())
    }

    /// Whether this lane carries a newer version than `other`. Between two commits of the shared
    /// branches (roles `default` and `release`), newer is later in history: the longer history,
    /// which a descendant always has. Otherwise (queue candidates, built in the order the queue
    /// decides; lanes of one commit; lanes recorded before depths were), the one created later.
    #[must_use]
    pub fn is_newer_than(&self, other: &Lane) -> bool {
        self.age_order(other) == std::cmp::Ordering::Greater
    }

    /// How this lane's version orders against `other`'s, older first (see `is_newer_than`).
    #[must_use]
    pub fn age_order(&self, other: &Lane) -> std::cmp::Ordering {
        let shared = |lane: &Lane| matches!(lane.role, Role::Default | Role::Release);
        if shared(self) && shared(other) {
            (self.depth, self.id).cmp(&(other.depth, other.id))
        } else {
            self.id.cmp(&other.id)
        }
    }

    /// Whether every stage is green: the version reached the end of the lane.
    #[must_use]
    pub fn is_done(&self) -> bool {
        self.current_stage().is_none()
    }
}

/// One stage of one lane.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StageRun {
    pub name: String,
    pub state: StageState,
    /// Why it waits, failed, was canceled, or is unchanged.
    pub reason: Option<String>,
    /// For `unchanged`: the commit whose lane passed this stage with the same version.
    pub provenance: Option<String>,
    pub attempts: Vec<Attempt>,
    /// Passed, but only on a retry.
    pub flaky: bool,
    pub started_at: Option<Millis>,
    pub finished_at: Option<Millis>,
    /// Every time the stage was held before it ran, with why (absent in older ledgers).
    #[serde(default)]
    pub waits: Vec<Wait>,
}

/// One hold of a stage: from its first `stage_waiting` with `reason` until it ran, finished or
/// waited for something else.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Wait {
    pub reason: String,
    pub from: Millis,
    /// `None` while it still waits.
    pub until: Option<Millis>,
}

impl StageRun {
    /// Ends the hold the stage is in, if any.
    pub(crate) fn stop_waiting(&mut self, at: Millis) {
        if let Some(wait) = self.waits.last_mut()
            && wait.until.is_none()
        {
            wait.until = Some(at);
        }
    }

    /// The stage is held for `reason` from `at` on (a hold for the same reason goes on).
    pub(crate) fn wait(&mut self, reason: &str, at: Millis) {
        if let Some(wait) = self.waits.last()
            && wait.until.is_none()
            && wait.reason == reason
        {
            return;
        }
        self.stop_waiting(at);
        self.waits.push(Wait {
            reason: reason.to_owned(),
            from: at,
            until: None,
        });
    }

    pub(crate) fn new(name: String) -> Self {
        Self {
            name,
            state: StageState::Pending,
            reason: None,
            provenance: None,
            attempts: Vec::new(),
            flaky: false,
            started_at: None,
            finished_at: None,
            waits: Vec::new(),
        }
    }
}

/// One try at running a stage's steps.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attempt {
    /// 1, 2, ...
    pub number: u32,
    /// Fencing token: a result reported with another token is stale and ignored.
    pub token: u64,
    /// Whether the attempt is still deploying (a death now is an interrupted deploy).
    pub deploying: bool,
    pub outcome: Option<AttemptOutcome>,
    pub started_at: Millis,
    pub finished_at: Option<Millis>,
    pub steps: Vec<StepRecord>,
}

/// One step of an attempt: a deploy or a command of the stage.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StepRecord {
    pub command: String,
    /// Process (and process group) id while it runs.
    pub pid: Option<u32>,
    pub started_at: Millis,
    pub finished_at: Option<Millis>,
    /// `exit 0`, `exit 2`, `signal 9`, `timed out`, `canceled`, once finished.
    pub result: Option<String>,
    pub passed: Option<bool>,
}

/// How an attempt ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum AttemptOutcome {
    Passed,
    /// Step `step` (0-based, the deploy counting as a step) failed.
    Failed {
        step: usize,
        deploy: bool,
        detail: String,
    },
    /// The process running it died; found when lanes started again.
    Abandoned {
        during_deploy: bool,
    },
}
