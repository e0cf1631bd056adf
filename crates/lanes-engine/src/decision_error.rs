//! Why a person's decision (approve, reject, retry, promote, rollback) cannot be taken.

use crate::StageState;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecisionError {
    #[error("no stage `{stage}` in lanes.yml")]
    UnknownStage { stage: String },
    #[error("no component `{component}` in lanes.yml")]
    UnknownComponent { component: String },
    #[error("stage `{stage}` has no approval gate")]
    NotGated { stage: String },
    #[error("`{user}` is not an approver of `{component}` (approvers: {approvers})")]
    NotAnApprover {
        user: String,
        component: String,
        approvers: String,
    },
    #[error("`{user}` is among the authors of {commit} ({party}) and may not approve it")]
    SelfApproval {
        user: String,
        commit: String,
        party: String,
    },
    #[error(
        "lanes.yml does not say who `{user}` is in git: add their email addresses under `identities`, so that lanes can tell whether they wrote the change"
    )]
    NoIdentity { user: String },
    #[error(
        "decisions about `{environment}` are taken through the server only: use the dashboard, the API or `lanes --server URL` with your token"
    )]
    ServerOnly { environment: String },
    #[error("`{user}` already approved {commit}")]
    AlreadyApproved { user: String, commit: String },
    #[error("no lane of `{component}` is waiting at `{stage}`")]
    NothingWaiting { component: String, stage: String },
    #[error("the stage `{stage}` of `{component}` is {}, not interrupted", state.as_str())]
    NotInterrupted {
        component: String,
        stage: String,
        state: StageState,
    },
    #[error("no such lane")]
    UnknownLane,
    #[error("no stage deploys to `{environment}`")]
    NoStageDeploysTo { environment: String },
    #[error("`{component}` has no version in `{environment}` to roll back")]
    NothingDeployed {
        component: String,
        environment: String,
    },
    #[error("`{component}` has no earlier good version in `{environment}` to roll back to")]
    NoEarlierVersion {
        component: String,
        environment: String,
    },
}
