//! Actions: approve, reject, retry, promote, rollback and run, carried out by the `lanes`
//! commands as the token's holder (`--as` is always the token's name, never taken from the
//! request), and the board, which the `lanes board` command computes.

use axum::Json;
use axum::extract::State;
use lanes_store::Role;
use serde::{Deserialize, Serialize};

use crate::api::{ApiError, Caller};
use crate::{App, Notice};

/// An action asked for, with its arguments.
#[derive(Debug, Clone)]
pub(crate) enum Action {
    Approve(Gate),
    Reject(Rejection),
    Retry(Gate),
    Promote(Promotion),
    Rollback(Rollback),
    Run(RunRequest),
    Submit(Submission),
    Hotfix(HotfixRequest),
}

/// A lane waiting at a gate. Unknown fields are refused: who decides is never taken from the
/// request.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Gate {
    pub(crate) component: String,
    pub(crate) stage: String,
    /// The commit whose lane is meant (default: the newest lane waiting there).
    pub(crate) commit: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Rejection {
    pub(crate) component: String,
    pub(crate) stage: String,
    pub(crate) commit: Option<String>,
    pub(crate) reason: String,
}

impl Rejection {
    fn gate(&self) -> Gate {
        Gate {
            component: self.component.clone(),
            stage: self.stage.clone(),
            commit: self.commit.clone(),
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Promotion {
    pub(crate) component: String,
    pub(crate) to: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Rollback {
    pub(crate) component: String,
    pub(crate) env: String,
    pub(crate) reason: String,
}

/// Branches to put into the acceptance queue (`lanes submit`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Submission {
    pub(crate) branches: Vec<String>,
    #[serde(default)]
    pub(crate) until_merged: bool,
}

/// A component to cut a hotfix branch for, from what production runs (`lanes hotfix`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct HotfixRequest {
    pub(crate) component: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RunRequest {
    pub(crate) commit: String,
}

/// What an action did.
#[derive(Debug, Serialize)]
pub(crate) struct ActionOutcome {
    /// Who it was done as.
    pub(crate) by: String,
    /// What the command said.
    pub(crate) message: String,
    /// What the command printed as JSON, for those that print any (`hotfix`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) result: Option<serde_json::Value>,
}

impl Action {
    /// The role it needs.
    fn needs(&self) -> Role {
        match self {
            Action::Run(_) | Action::Submit(_) | Action::Hotfix(_) => Role::Developer,
            Action::Approve(_)
            | Action::Reject(_)
            | Action::Retry(_)
            | Action::Promote(_)
            | Action::Rollback(_) => Role::Approver,
        }
    }

    /// The `lanes` arguments, acting as `user`; `None` for a run, which the dispatcher does.
    fn args(&self, user: &str) -> Option<Vec<String>> {
        let gate = |verb: &str, gate: &Gate| {
            let mut args = vec![
                verb.to_owned(),
                "--as".to_owned(),
                user.to_owned(),
                "--".to_owned(),
                gate.component.clone(),
                gate.stage.clone(),
            ];
            if let Some(commit) = &gate.commit {
                args.splice(1..1, ["--commit".to_owned(), commit.clone()]);
            }
            args
        };
        Some(match self {
            Action::Approve(target) => gate("approve", target),
            Action::Retry(target) => gate("retry", target),
            Action::Reject(rejection) => {
                let mut args = gate("reject", &rejection.gate());
                args.splice(1..1, ["--reason".to_owned(), rejection.reason.clone()]);
                args
            }
            Action::Promote(promotion) => vec![
                "promote".to_owned(),
                "--to".to_owned(),
                promotion.to.clone(),
                "--as".to_owned(),
                user.to_owned(),
                "--".to_owned(),
                promotion.component.clone(),
            ],
            Action::Rollback(rollback) => vec![
                "rollback".to_owned(),
                "--env".to_owned(),
                rollback.env.clone(),
                "--as".to_owned(),
                user.to_owned(),
                "--reason".to_owned(),
                rollback.reason.clone(),
                "--".to_owned(),
                rollback.component.clone(),
            ],
            Action::Submit(submission) => {
                let mut args = vec!["submit".to_owned(), "--as".to_owned(), user.to_owned()];
                if submission.until_merged {
                    args.push("--until-merged".to_owned());
                }
                args.push("--".to_owned());
                args.extend(submission.branches.iter().cloned());
                args
            }
            Action::Hotfix(hotfix) => vec![
                "hotfix".to_owned(),
                "--json".to_owned(),
                "--".to_owned(),
                hotfix.component.clone(),
            ],
            Action::Run(_) => return None,
        })
    }
}

/// Carries out `action` for `caller`: checks the role, runs the command, tells the
/// dispatcher loop so that lanes move on.
pub(crate) async fn act(
    app: &App,
    caller: &Caller,
    action: Action,
) -> Result<ActionOutcome, ApiError> {
    let user = caller.require(action.needs())?.to_owned();
    let Some(args) = action.args(&user) else {
        let Action::Run(request) = action else {
            unreachable!("only a run has no command")
        };
        let commit = {
            let mut store = app.ledger().await?;
            crate::api::find_commit(&mut store, &request.commit)
                .await
                .unwrap_or(request.commit.clone())
        };
        app.notify(Notice::Decision {
            commit: commit.clone(),
        });
        return Ok(ActionOutcome {
            by: user,
            message: format!("the lanes of {commit} will run"),
            result: None,
        });
    };
    if let Action::Submit(submission) = &action {
        if submission.branches.is_empty() {
            return Err(ApiError::BadRequest("name at least one branch".to_owned()));
        }
        // A submission walks the acceptance queue for minutes: it runs on, and its lanes show
        // on the queue and commit pages.
        let command = app.backend().command(args, Some(caller.1.clone()));
        tokio::spawn(async move {
            let output = command.await;
            if output.status != 0 {
                eprintln!(
                    "lanes serve: a submission ended with {}: {}",
                    output.status,
                    output.stderr.trim()
                );
            }
        });
        return Ok(ActionOutcome {
            by: user,
            message: format!("submitting {}", submission.branches.join(", ")),
            result: None,
        });
    }
    let output = app.backend().command(args, Some(caller.1.clone())).await;
    let message = output
        .stderr
        .trim()
        .trim_start_matches("error: ")
        .to_owned();
    match output.status {
        0 => {
            if let Some(commit) = decided_commit(app, &action).await {
                app.notify(Notice::Decision { commit });
            }
            let result = serde_json::from_str(output.stdout.trim()).ok();
            Ok(ActionOutcome {
                by: user,
                message,
                result,
            })
        }
        2 => Err(ApiError::BadRequest(message)),
        // 1 is any failure the command explains itself (mostly a refusal: nothing in
        // production to fix, a branch that does not exist); 3 to 5 are refusals by the rules.
        1 | 3..=5 => Err(ApiError::Refused(message)),
        _ => Err(ApiError::Internal(message)),
    }
}

/// The commit whose lanes may move after a decision: the one named, else every commit with
/// a lane of the component waiting (the dispatcher loop sorts out which moves).
async fn decided_commit(app: &App, action: &Action) -> Option<String> {
    let (component, commit) = match action {
        Action::Approve(gate) | Action::Retry(gate) => (&gate.component, gate.commit.as_ref()),
        Action::Reject(rejection) => (&rejection.component, rejection.commit.as_ref()),
        Action::Promote(Promotion { component, .. })
        | Action::Rollback(Rollback { component, .. }) => (component, None),
        Action::Run(_) | Action::Submit(_) | Action::Hotfix(_) => return None,
    };
    let mut store = app.ledger().await.ok()?;
    match commit {
        Some(given) => crate::api::find_commit(&mut store, given).await.ok(),
        None => store
            .world()
            .lanes()
            .rev()
            .find(|lane| &lane.component == component)
            .map(|lane| lane.commit.clone()),
    }
}

async fn perform(
    app: App,
    caller: Caller,
    action: Action,
) -> Result<Json<ActionOutcome>, ApiError> {
    act(&app, &caller, action).await.map(Json)
}

pub(crate) async fn approve(
    State(app): State<App>,
    caller: Caller,
    Json(gate): Json<Gate>,
) -> Result<Json<ActionOutcome>, ApiError> {
    perform(app, caller, Action::Approve(gate)).await
}

pub(crate) async fn reject(
    State(app): State<App>,
    caller: Caller,
    Json(rejection): Json<Rejection>,
) -> Result<Json<ActionOutcome>, ApiError> {
    perform(app, caller, Action::Reject(rejection)).await
}

pub(crate) async fn retry(
    State(app): State<App>,
    caller: Caller,
    Json(gate): Json<Gate>,
) -> Result<Json<ActionOutcome>, ApiError> {
    perform(app, caller, Action::Retry(gate)).await
}

pub(crate) async fn promote(
    State(app): State<App>,
    caller: Caller,
    Json(promotion): Json<Promotion>,
) -> Result<Json<ActionOutcome>, ApiError> {
    perform(app, caller, Action::Promote(promotion)).await
}

pub(crate) async fn rollback(
    State(app): State<App>,
    caller: Caller,
    Json(rollback): Json<Rollback>,
) -> Result<Json<ActionOutcome>, ApiError> {
    perform(app, caller, Action::Rollback(rollback)).await
}

pub(crate) async fn submit(
    State(app): State<App>,
    caller: Caller,
    Json(submission): Json<Submission>,
) -> Result<Json<ActionOutcome>, ApiError> {
    perform(app, caller, Action::Submit(submission)).await
}

pub(crate) async fn hotfix(
    State(app): State<App>,
    caller: Caller,
    Json(request): Json<HotfixRequest>,
) -> Result<Json<ActionOutcome>, ApiError> {
    perform(app, caller, Action::Hotfix(request)).await
}

pub(crate) async fn run(
    State(app): State<App>,
    caller: Caller,
    Json(request): Json<RunRequest>,
) -> Result<Json<ActionOutcome>, ApiError> {
    perform(app, caller, Action::Run(request)).await
}

/// The board, computed by the backend from the server's reader of the ledger.
pub(crate) async fn board_json(app: &App) -> Result<serde_json::Value, ApiError> {
    let store = app.ledger().await?;
    let compute = || app.backend().board(store.world());
    let board = match tokio::runtime::Handle::current().runtime_flavor() {
        // It runs git: other tasks move to other workers meanwhile.
        tokio::runtime::RuntimeFlavor::MultiThread => tokio::task::block_in_place(compute),
        _ => compute(),
    };
    board.map_err(ApiError::Internal)
}

pub(crate) async fn board(
    State(app): State<App>,
    caller: Caller,
) -> Result<Json<serde_json::Value>, ApiError> {
    caller.require(Role::Viewer)?;
    board_json(&app).await.map(Json)
}
