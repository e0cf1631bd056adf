//! The domain of lanes: lanes, stages, gates, environments, version vectors, last known good
//! versions, locks and approvals. A pure core: [`next_step`] and the functions of `outcome`
//! and `approval` turn the [`World`] and a new fact into events; [`World::apply`] folds events
//! in. No clock, processes, git or database here.

mod approval;
mod attempt_plan;
mod change;
mod commit_view;
mod control_escape;
mod decision;
mod decision_error;
mod delivery_metrics;
mod event;
mod flow;
mod flow_gate;
mod hotfix;
mod lane;
mod lane_fold;
mod next_step;
mod outcome;
mod path_view;
mod queue;
mod retention;
mod role;
mod rollback;
mod serde_pairs;
mod stage_state;
mod stage_stats;
mod verdict;
mod world;

pub use approval::{GateTarget, approve, reject};
pub use attempt_plan::{AttemptPlan, DeployPlan, VectorEntry, VersionVector};
pub use change::{Candidate, Carried, Change, ChangeId, ChangeState};
pub use commit_view::{CommitView, LaneView, StageView, UnchangedView};
pub use control_escape::escape_controls;
pub use decision::{Decider, DecisionKind, DecisionRecord, is_party, may_decide};
pub use decision_error::DecisionError;
pub use delivery_metrics::{
    ChangeCommit, ComponentMetrics, DeliveryMetrics, DeployChanges, DeployMetrics, DeployToExplain,
    Failure, Level, MetricsQuery, Rated, TimeBreakdown, delivery_metrics, deploys_to_explain,
    duration_text, parse_window,
};
pub use event::Event;
pub use flow::{Flow, ReleaseMerge};
pub use flow_gate::missing_fix;
pub use hotfix::{ForwardPort, Hotfix};
pub use lane::{Attempt, AttemptOutcome, Lane, LaneId, Millis, StageRun, StepRecord, Wait};
pub use next_step::{Idle, Next, instance_for, next_step};
pub use outcome::{AttemptResult, attempt_finished, deploy_finished, recover, retry_interrupted};
pub use path_view::{ChangeView, PathView};
pub use queue::{QueuePlan, candidate_is_current, carry_gaps, moved_by, queue_plan, suspects};
pub use retention::{FoundItem, Judged, KeepReason, StateItem, retention};
pub use role::Role;
pub use rollback::{RollbackPlan, plan_rollback};
pub use stage_state::StageState;
pub use stage_stats::{Buckets, DURATION_BUCKETS, StageStats};
pub use verdict::{covering_lane, red_since, version_verdict};
pub use world::{
    ApprovalRecord, DeployRecord, Deployment, RecordedCommit, SNAPSHOT_FORMAT, TagRecord, World,
};
