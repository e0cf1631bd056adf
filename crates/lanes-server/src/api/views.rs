//! Reads: the unified view of a commit, the lanes with filters (the history), the queue, the
//! deliveries.

use axum::Json;
use axum::extract::{Path, Query, State};
use lanes_engine::{CommitView, Lane, LaneView, Millis, World};
use std::collections::BTreeSet;

use lanes_store::{Delivery, LaneFilter, Role, Store, StoreError};
use serde::{Deserialize, Serialize};

use crate::api::{ApiError, Caller};
use crate::{App, now};

/// The commit whose lanes `given` names: a full id, or a prefix of at least 4 hex digits. The
/// store holds what it needs to show it afterwards (see `Store::focus`).
pub(crate) async fn find_commit(store: &mut Store, given: &str) -> Result<String, ApiError> {
    if given.len() < 4 || !given.bytes().all(|byte| byte.is_ascii_hexdigit()) {
        return Err(ApiError::BadRequest(format!(
            "`{given}` is not a commit id (at least 4 hex digits)"
        )));
    }
    let found = store.commits_starting_with(given, 2).await?;
    let commit = match found.as_slice() {
        [one] => one.clone(),
        [] => return Err(ApiError::NotFound(format!("no lanes for commit `{given}`"))),
        _ if found.iter().any(|commit| commit == given) => given.to_owned(),
        _ => {
            return Err(ApiError::BadRequest(format!(
                "`{given}` names more than one commit"
            )));
        }
    };
    store.focus(&commit).await?;
    Ok(commit)
}

pub(crate) async fn commit(
    State(app): State<App>,
    caller: Caller,
    Path(given): Path<String>,
) -> Result<Json<CommitView>, ApiError> {
    caller.require(Role::Viewer)?;
    let mut store = app.ledger().await?;
    let commit = find_commit(&mut store, &given).await?;
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

/// Lanes newest first, filtered: read from the ledger's `lanes` table a page at a time, each
/// lane with what its commit's view needs.
pub(crate) async fn history(
    store: &mut Store,
    query: &HistoryQuery,
) -> Result<Vec<LaneSummary>, StoreError> {
    const PAGE: i64 = 100;
    let at = now();
    let limit = query.limit.unwrap_or(50).min(1000);
    let mut filter = LaneFilter {
        component: query
            .component
            .clone()
            .filter(|component| !component.is_empty()),
        commit_prefix: query.commit.clone(),
        before: None,
    };
    let mut summaries = Vec::new();
    while summaries.len() < limit {
        let ids = store.lane_ids(&filter, PAGE).await?;
        let Some(last) = ids.last() else { break };
        filter.before = Some(*last);
        store.hold_lanes(&ids).await?;
        let commits: BTreeSet<String> = ids
            .iter()
            .filter_map(|id| store.world().lane(*id))
            .map(|lane| lane.commit.clone())
            .collect();
        for commit in &commits {
            store.focus(commit).await?;
        }
        let world = store.world();
        summaries.extend(
            ids.iter()
                .filter_map(|id| world.lane(*id))
                .filter_map(|lane| summarize(lane, world, at))
                .filter(|summary| {
                    query
                        .state
                        .as_deref()
                        .is_none_or(|state| state.is_empty() || summary.view.summary == state)
                }),
        );
    }
    summaries.truncate(limit);
    Ok(summaries)
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
    let mut store = app.ledger().await?;
    Ok(Json(history(&mut store, &query).await?))
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
