//! Events: every state change of the engine. The ledger stores them; `World::apply` folds them
//! into the current state.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::{AttemptOutcome, ChangeId, ForwardPort, LaneId, Millis, Role, StageState};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum Event {
    LaneCreated {
        lane: LaneId,
        commit: String,
        component: String,
        fingerprint: String,
        author: String,
        stages: Vec<String>,
        /// Where the commit was when the lane was created (absent in older ledgers: `default`).
        #[serde(default)]
        role: Role,
        /// How many commits the commit's history holds, itself included: an ancestor always has
        /// fewer (absent in older ledgers: 0, and then lanes are ordered by when they came).
        #[serde(default)]
        depth: u64,
        at: Millis,
    },
    /// The fingerprint of every component at a commit, and where the commit was, when lanes
    /// first set up its lanes: the components without a lane there are unchanged versions of
    /// lanes elsewhere, and the view says which.
    CommitRecorded {
        commit: String,
        role: Role,
        fingerprints: BTreeMap<String, String>,
        at: Millis,
    },
    /// The lane's commit reached a shared branch (or the queue) after its lane was created as
    /// proposed: the stages it skipped as proposed are pending again, the others stand.
    LaneRoleChanged {
        lane: LaneId,
        role: Role,
        at: Millis,
    },
    StageUnchanged {
        lane: LaneId,
        stage: usize,
        provenance: String,
        reason: String,
        at: Millis,
    },
    StageWaiting {
        lane: LaneId,
        stage: usize,
        reason: String,
        at: Millis,
    },
    AttemptStarted {
        lane: LaneId,
        stage: usize,
        attempt: u32,
        token: u64,
        deploying: bool,
        at: Millis,
    },
    /// One step of an attempt started (the deploy is step 0 of a stage that deploys).
    StepStarted {
        lane: LaneId,
        stage: usize,
        attempt: u32,
        step: usize,
        command: String,
        /// The step's process (and process group) id, to end it should its runner die.
        pid: Option<u32>,
        at: Millis,
    },
    StepFinished {
        lane: LaneId,
        stage: usize,
        attempt: u32,
        step: usize,
        /// `exit 0`, `exit 2`, `signal 9`, `timed out`, `canceled`.
        result: String,
        passed: bool,
        at: Millis,
    },
    /// The attempt's deploy finished; its steps run now.
    Deployed {
        lane: LaneId,
        stage: usize,
        attempt: u32,
        environment: String,
        instance: String,
        at: Millis,
    },
    AttemptFinished {
        lane: LaneId,
        stage: usize,
        attempt: u32,
        outcome: AttemptOutcome,
        at: Millis,
    },
    /// The stage goes back to pending for another attempt: by itself (a build or test that
    /// failed, `user` absent) or by a person's decision (an interrupted deploy).
    StageRetrying {
        lane: LaneId,
        stage: usize,
        reason: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        user: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        environment: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        token: Option<String>,
        at: Millis,
    },
    StageFinished {
        lane: LaneId,
        stage: usize,
        state: StageState,
        reason: Option<String>,
        flaky: bool,
        at: Millis,
    },
    /// The deploy died mid-way; a person decides what happens next.
    StageInterrupted {
        lane: LaneId,
        stage: usize,
        reason: String,
        at: Millis,
    },
    /// The lane's version passed the stage that owns `environment`: it is the environment's
    /// last known good version of the component.
    BecameLastKnownGood {
        lane: LaneId,
        environment: String,
        component: String,
        fingerprint: String,
        at: Millis,
    },
    LockAcquired {
        lane: LaneId,
        environment: String,
        component: String,
        at: Millis,
    },
    LockReleased {
        lane: LaneId,
        environment: String,
        component: String,
        at: Millis,
    },
    /// `user` approved the version at the gated stage. `environment` is the stage's, and
    /// `token` the name of the API token the decision came with (absent: the command line, or
    /// an older ledger).
    Approved {
        lane: LaneId,
        stage: usize,
        fingerprint: String,
        user: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        environment: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        token: Option<String>,
        at: Millis,
    },
    Rejected {
        lane: LaneId,
        stage: usize,
        user: String,
        reason: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        environment: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        token: Option<String>,
        at: Millis,
    },
    /// `user` promoted the lane's version to `environment`: the lane runs the stage that owns
    /// it now.
    Promoted {
        lane: LaneId,
        stage: usize,
        environment: String,
        user: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        token: Option<String>,
        at: Millis,
    },
    /// The version `lane` carries is bad: it is never promoted again.
    MarkedBad {
        lane: LaneId,
        user: String,
        reason: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        token: Option<String>,
        at: Millis,
    },
    /// `lane`'s version, an earlier last known good, was deployed again to the environment
    /// instance by a rollback, and is its last known good again.
    RolledBack {
        lane: LaneId,
        environment: String,
        instance: String,
        user: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        token: Option<String>,
        at: Millis,
    },
    /// The lane's version was tagged in git as deployed to `environment`.
    Tagged {
        lane: LaneId,
        environment: String,
        tag: String,
        at: Millis,
    },
    /// A change entered the acceptance queue (`lanes submit`).
    ChangeSubmitted {
        change: ChangeId,
        branch: String,
        head: String,
        author: String,
        /// Who submitted it: `Name <email>` from git, or the name of the token it came with
        /// (absent in older ledgers).
        #[serde(default, skip_serializing_if = "String::is_empty")]
        submitted_by: String,
        components: Vec<String>,
        batch: ChangeId,
        at: Millis,
    },
    /// The intermediate commit `group` is accepted on was built and its branch created.
    CandidateBuilt {
        group: Vec<ChangeId>,
        commit: String,
        branch: String,
        base: String,
        includes: Vec<ChangeId>,
        at: Millis,
    },
    /// The default branch moved while `group`'s candidate was accepted, by changes touching
    /// none of its components: `to_commit`, the merge of the new tip with the group, holds
    /// every component the candidate tested at the fingerprint that passed there, so the
    /// group merges as it without running its stages again.
    CandidateCarried {
        group: Vec<ChangeId>,
        from_candidate: String,
        to_commit: String,
        /// The changes that moved the default branch since the candidate was built.
        #[serde(default)]
        main_moved_by: Vec<ChangeId>,
        /// The components whose fingerprints were compared, with the fingerprint both hold.
        #[serde(default)]
        fingerprints: BTreeMap<String, String>,
        at: Millis,
    },
    /// The default branch moved to `commit`, which holds the change.
    ChangeMerged {
        change: ChangeId,
        commit: String,
        at: Millis,
    },
    /// The change left the queue without being merged.
    ChangeEvicted {
        change: ChangeId,
        reason: String,
        at: Millis,
    },
    /// `commit` passed the stage whose success merges into the release branch, and was merged
    /// there: the release branch is at `release_commit`.
    ReleaseMerged {
        commit: String,
        branch: String,
        release_commit: String,
        at: Millis,
    },
    /// `hotfix/<component>/<number>` was cut from the production tag `tag` at `base`.
    HotfixCut {
        component: String,
        number: u64,
        branch: String,
        tag: String,
        base: String,
        at: Millis,
    },
    /// The lanes of `commit` are the hotfix's: they walk the hotfix stages only.
    HotfixStarted {
        component: String,
        number: u64,
        commit: String,
        at: Millis,
    },
    /// The hotfix was carried to the default branch, or could not be.
    HotfixForwardPorted {
        component: String,
        number: u64,
        port: ForwardPort,
        at: Millis,
    },
}

impl Event {
    /// The lane the event is about; `None` for events about changes, branches and hotfixes.
    #[must_use]
    pub fn lane(&self) -> Option<LaneId> {
        match self {
            Self::LaneCreated { lane, .. }
            | Self::LaneRoleChanged { lane, .. }
            | Self::StageUnchanged { lane, .. }
            | Self::StageWaiting { lane, .. }
            | Self::AttemptStarted { lane, .. }
            | Self::StepStarted { lane, .. }
            | Self::StepFinished { lane, .. }
            | Self::Deployed { lane, .. }
            | Self::AttemptFinished { lane, .. }
            | Self::Promoted { lane, .. }
            | Self::StageRetrying { lane, .. }
            | Self::StageFinished { lane, .. }
            | Self::StageInterrupted { lane, .. }
            | Self::BecameLastKnownGood { lane, .. }
            | Self::LockAcquired { lane, .. }
            | Self::LockReleased { lane, .. }
            | Self::Approved { lane, .. }
            | Self::Rejected { lane, .. }
            | Self::MarkedBad { lane, .. }
            | Self::RolledBack { lane, .. }
            | Self::Tagged { lane, .. } => Some(*lane),
            Self::CommitRecorded { .. }
            | Self::ChangeSubmitted { .. }
            | Self::CandidateBuilt { .. }
            | Self::CandidateCarried { .. }
            | Self::ChangeMerged { .. }
            | Self::ChangeEvicted { .. }
            | Self::ReleaseMerged { .. }
            | Self::HotfixCut { .. }
            | Self::HotfixStarted { .. }
            | Self::HotfixForwardPorted { .. } => None,
        }
    }

    /// A short name of the kind of event, as stored in the ledger.
    #[must_use]
    pub fn kind(&self) -> &'static str {
        match self {
            Self::LaneCreated { .. } => "lane_created",
            Self::LaneRoleChanged { .. } => "lane_role_changed",
            Self::CommitRecorded { .. } => "commit_recorded",
            Self::StageUnchanged { .. } => "stage_unchanged",
            Self::StageWaiting { .. } => "stage_waiting",
            Self::AttemptStarted { .. } => "attempt_started",
            Self::StepStarted { .. } => "step_started",
            Self::StepFinished { .. } => "step_finished",
            Self::Deployed { .. } => "deployed",
            Self::AttemptFinished { .. } => "attempt_finished",
            Self::StageRetrying { .. } => "stage_retrying",
            Self::StageFinished { .. } => "stage_finished",
            Self::StageInterrupted { .. } => "stage_interrupted",
            Self::BecameLastKnownGood { .. } => "became_last_known_good",
            Self::LockAcquired { .. } => "lock_acquired",
            Self::LockReleased { .. } => "lock_released",
            Self::Approved { .. } => "approved",
            Self::Rejected { .. } => "rejected",
            Self::Promoted { .. } => "promoted",
            Self::MarkedBad { .. } => "marked_bad",
            Self::RolledBack { .. } => "rolled_back",
            Self::Tagged { .. } => "tagged",
            Self::ChangeSubmitted { .. } => "change_submitted",
            Self::CandidateBuilt { .. } => "candidate_built",
            Self::CandidateCarried { .. } => "candidate_carried",
            Self::ChangeMerged { .. } => "change_merged",
            Self::ChangeEvicted { .. } => "change_evicted",
            Self::ReleaseMerged { .. } => "release_merged",
            Self::HotfixCut { .. } => "hotfix_cut",
            Self::HotfixStarted { .. } => "hotfix_started",
            Self::HotfixForwardPorted { .. } => "hotfix_forward_ported",
        }
    }
}
