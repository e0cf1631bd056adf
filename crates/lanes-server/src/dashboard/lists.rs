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

#[derive(Template)]
#[template(path = "queue.html")]
struct QueuePage {
    user: String,
    role: String,
    flash: Option<String>,
    flash_error: bool,
    rows: Vec<Row>,
    live: bool,
    refresh: String,
}

pub(crate) async fn history(
    State(app): State<App>,
    SignedIn(caller): SignedIn,
    Query(query): Query<HistoryQuery>,
) -> Result<Response, ApiError> {
    let rows = crate::api::history(app.ledger().await?.world(), &query);
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
            "running",
            "waiting",
            "failed",
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
    let rows = crate::api::queue(app.ledger().await?.world());
    let chrome = Chrome::of(&caller);
    Ok(render(&QueuePage {
        user: chrome.user,
        role: chrome.role,
        flash: None,
        flash_error: false,
        rows: rows.into_iter().map(row).collect(),
        live: true,
        refresh: "/queue".to_owned(),
    }))
}
