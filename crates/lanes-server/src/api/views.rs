//! Reads: the unified view of a commit, the lanes with filters (the history), the queue, the
//! deliveries.

use axum::Json;
use axum::extract::{Path, Query, State};
use lanes_engine::{CommitView, Lane, LaneView, Millis, World};
use lanes_store::{Delivery, Role, Store};
use serde::{Deserialize, Serialize};

use crate::api::{ApiError, Caller};
use crate::{App, now};

/// The commit whose lanes `given` names: a full id, or a prefix of at least 4 hex digits.
pub(crate) fn find_commit(world: &World, given: &str) -> Result<String, ApiError> {
    if given.len() < 4 || !given.bytes().all(|byte| byte.is_ascii_hexdigit()) {
        return Err(ApiError::BadRequest(format!(
            "`{given}` is not a commit id (at least 4 hex digits)"
        )));
    }
    if world.lanes_of_commit(given).next().is_some() {
        return Ok(given.to_owned());
    }
    let mut found: Option<&str> = None;
    for lane in world.lanes().rev() {
        if lane.commit.starts_with(given) {
            match found {
                Some(other) if other != lane.commit => {
                    return Err(ApiError::BadRequest(format!(
                        "`{given}` names more than one commit"
                    )));
                }
                _ => found = Some(&lane.commit),
            }
        }
    }
    found
        .map(str::to_owned)
        .ok_or_else(|| ApiError::NotFound(format!("no lanes for commit `{given}`")))
}

pub(crate) async fn commit(
    State(app): State<App>,
    caller: Caller,
    Path(given): Path<String>,
) -> Result<Json<CommitView>, ApiError> {
    caller.require(Role::Viewer)?;
    let mut store = app.ledger().await?;
    let commit = find_commit(store.world(), &given)?;
    Ok(Json(commit_view(&app, &mut store, &commit, now()).await?))
}

/// The unified view of `commit` at `at`, the stages a dead run left running shown abandoned.
/// The runs are read before the ledger is again: a run that ended meanwhile has the ends of
/// its attempts in the world read after.
pub(crate) async fn commit_view(
    app: &App,
    store: &mut Store,
    commit: &str,
    at: Millis,
) -> Result<CommitView, ApiError> {
    let runs = store.unfinished_runs().await?;
    store.refresh().await?;
    let driven = runs
        .iter()
        .any(|run| run.commit == commit && app.backend().run_is_alive(run));
    let view = store.world().commit_view(commit, at);
    Ok(if driven {
        view
    } else {
        view.abandoned(store.world())
    })
}

/// Filters of the history.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct HistoryQuery {
    pub(crate) component: Option<String>,
    /// A lane summary: done, running, waiting, failed, interrupted, pending.
    pub(crate) state: Option<String>,
    pub(crate) commit: Option<String>,
    pub(crate) limit: Option<usize>,
}

/// One lane in a list.
#[derive(Debug, Serialize)]
pub(crate) struct LaneSummary {
    pub(crate) lane: u64,
    pub(crate) commit: String,
    pub(crate) created_at: Millis,
    #[serde(flatten)]
    pub(crate) view: LaneView,
}

fn summarize(lane: &Lane, world: &World, at: Millis) -> Option<LaneSummary> {
    let view = world
        .commit_view(&lane.commit, at)
        .lanes
        .into_iter()
        .find(|view| view.component == lane.component)?;
    Some(LaneSummary {
        lane: lane.id.0,
        commit: lane.commit.clone(),
        created_at: lane.created_at,
        view,
    })
}

/// Lanes newest first, filtered.
pub(crate) fn history(world: &World, query: &HistoryQuery) -> Vec<LaneSummary> {
    let at = now();
    world
        .lanes()
        .rev()
        .filter(|lane| {
            query
                .component
                .as_deref()
                .is_none_or(|component| component.is_empty() || lane.component == component)
        })
        .filter(|lane| {
            query
                .commit
                .as_deref()
                .is_none_or(|commit| lane.commit.starts_with(commit))
        })
        .filter_map(|lane| summarize(lane, world, at))
        .filter(|summary| {
            query
                .state
                .as_deref()
                .is_none_or(|state| state.is_empty() || summary.view.summary == state)
        })
        .take(query.limit.unwrap_or(50).min(1000))
        .collect()
}

/// Lanes that are not finished: running, waiting at a gate or in a queue, or interrupted.
pub(crate) fn queue(world: &World) -> Vec<LaneSummary> {
    let at = now();
    world
        .lanes()
        .filter(|lane| !lane.is_done())
        .filter_map(|lane| summarize(lane, world, at))
        .filter(|summary| matches!(summary.view.summary, "running" | "waiting" | "interrupted"))
        .collect()
}

pub(crate) async fn lanes(
    State(app): State<App>,
    caller: Caller,
    Query(query): Query<HistoryQuery>,
) -> Result<Json<Vec<LaneSummary>>, ApiError> {
    caller.require(Role::Viewer)?;
    let store = app.ledger().await?;
    Ok(Json(history(store.world(), &query)))
}

pub(crate) async fn queue_json(
    State(app): State<App>,
    caller: Caller,
) -> Result<Json<Vec<LaneSummary>>, ApiError> {
    caller.require(Role::Viewer)?;
    let store = app.ledger().await?;
    Ok(Json(queue(store.world())))
}

pub(crate) async fn deliveries(
    State(app): State<App>,
    caller: Caller,
) -> Result<Json<Vec<Delivery>>, ApiError> {
    caller.require(Role::Viewer)?;
    Ok(Json(app.deliveries().recent(100).await?))
}

/// Every decision people took, oldest first (what `lanes audit --json` prints).
pub(crate) async fn audit(
    State(app): State<App>,
    caller: Caller,
) -> Result<Json<Vec<lanes_engine::DecisionRecord>>, ApiError> {
    caller.require(Role::Viewer)?;
    let store = app.ledger().await?;
    Ok(Json(store.world().decisions().to_vec()))
}

pub(crate) async fn whoami(caller: Caller) -> Json<lanes_store::ApiToken> {
    Json(caller.0)
}

pub(crate) async fn hotfixes(
    State(app): State<App>,
    caller: Caller,
) -> Result<Json<Vec<lanes_engine::Hotfix>>, ApiError> {
    caller.require(Role::Viewer)?;
    let store = app.ledger().await?;
    Ok(Json(store.world().flow().hotfixes().cloned().collect()))
}
