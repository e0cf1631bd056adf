//! The history (every lane, newest first, with filters) and the queue (lanes running, waiting
//! or interrupted).

use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;

use crate::App;
use crate::api::{ApiError, HistoryQuery, LaneSummary};
use crate::dashboard::page::{Chrome, SignedIn, render};

/// One lane in a table.
pub(crate) struct Row {
    commit: String,
    short: String,
    component: String,
    summary: &'static str,
    /// The stage it stands at and why.
    position: String,
}

fn row(summary: LaneSummary) -> Row {
    let position = summary
        .view
        .stages
        .iter()
        .find(|stage| !stage.state.is_green())
        .map_or_else(
            || "in production".to_owned(),
            |stage| match &stage.reason {
                Some(reason) => format!("{}: {reason}", stage.name),
                None => format!("{}: {}", stage.name, stage.state.as_str()),
            },
        );
    Row {
        short: summary.commit[..7.min(summary.commit.len())].to_owned(),
        commit: summary.commit,
        component: summary.view.component,
        summary: summary.view.summary,
        position,
    }
}

/// A choice of the state filter.
struct StateOption {
    value: &'static str,
    selected: bool,
}

#[derive(Template)]
#[template(path = "history.html")]
struct HistoryPage {
    user: String,
    role: String,
    flash: Option<String>,
    flash_error: bool,
    component: String,
    commit: String,
    states: Vec<StateOption>,
    rows: Vec<Row>,
    live: bool,
    refresh: String,
}

/// A change in the acceptance queue (`lanes submit`).
struct ChangeRow {
    id: String,
    branch: String,
    components: String,
    /// The commit it is accepted on, once built.
    candidate: String,
    candidate_short: String,
    state: String,
}

/// The changes still in the acceptance queue, first in line first, then the 20 newest that left.
fn change_rows(world: &lanes_engine::World) -> Vec<ChangeRow> {
    let row = |change: &lanes_engine::Change| ChangeRow {
        id: change.id.to_string(),
        branch: change.branch.clone(),
        components: change.components.join(", "),
        candidate: change
            .candidate
            .as_ref()
            .map(|candidate| candidate.commit.clone())
            .unwrap_or_default(),
        candidate_short: change
            .candidate
            .as_ref()
            .map(|candidate| candidate.commit[..7.min(candidate.commit.len())].to_owned())
            .unwrap_or_default(),
        state: match &change.state {
            lanes_engine::ChangeState::Queued => "queued".to_owned(),
            lanes_engine::ChangeState::Merged { commit, .. } => {
                format!("merged as {}", &commit[..7.min(commit.len())])
            }
            lanes_engine::ChangeState::Evicted { reason, .. } => format!("left: {reason}"),
        },
    };
    let queued = world
        .flow()
        .changes()
        .filter(|change| change.state == lanes_engine::ChangeState::Queued);
    let left = world
        .flow()
        .changes()
        .rev()
        .filter(|change| change.state != lanes_engine::ChangeState::Queued)
        .take(20);
    queued.chain(left).map(row).collect()
}

#[derive(Template)]
#[template(path = "queue.html")]
struct QueuePage {
    user: String,
    role: String,
    flash: Option<String>,
    flash_error: bool,
    changes: Vec<ChangeRow>,
    rows: Vec<Row>,
    live: bool,
    refresh: String,
}

pub(crate) async fn history(
    State(app): State<App>,
    SignedIn(caller): SignedIn,
    Query(query): Query<HistoryQuery>,
) -> Result<Response, ApiError> {
    let rows = crate::api::history(&mut *app.ledger().await?, &query).await?;
    let chrome = Chrome::of(&caller);
    Ok(render(&HistoryPage {
        user: chrome.user,
        role: chrome.role,
        flash: None,
        flash_error: false,
        component: query.component.clone().unwrap_or_default(),
        commit: query.commit.clone().unwrap_or_default(),
        states: [
            "",
            "done",
            "passed",
            "running",
            "waiting",
            "failed",
            "superseded",
            "canceled",
            "rolled-back",
            "interrupted",
            "pending",
        ]
        .into_iter()
        .map(|value| StateOption {
            value,
            selected: query.state.as_deref().unwrap_or_default() == value,
        })
        .collect(),
        rows: rows.into_iter().map(row).collect(),
        live: false,
        refresh: String::new(),
    }))
}

pub(crate) async fn queue(
    State(app): State<App>,
    SignedIn(caller): SignedIn,
) -> Result<Response, ApiError> {
    let (rows, changes) = {
        let store = app.ledger().await?;
        (crate::api::queue(store.world()), change_rows(store.world()))
    };
    let chrome = Chrome::of(&caller);
    Ok(render(&QueuePage {
        changes,
        user: chrome.user,
        role: chrome.role,
        flash: None,
        flash_error: false,
        rows: rows.into_iter().map(row).collect(),
        live: true,
        refresh: "/queue".to_owned(),
    }))
}
