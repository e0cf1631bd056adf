//! The run page: one attempt of one stage, its log so far, followed live over server-sent
//! events while the attempt runs.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use lanes_engine::LaneId;
use serde::Deserialize;

use crate::App;
use crate::api::{ApiError, log_text};
use crate::dashboard::page::{Chrome, SignedIn, render};

#[derive(Template)]
#[template(path = "run.html")]
struct RunPage {
    user: String,
    role: String,
    flash: Option<String>,
    flash_error: bool,
    lane: u64,
    component: String,
    commit: String,
    stage: String,
    attempt: u32,
    state: &'static str,
    log: String,
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct AttemptQuery {
    attempt: Option<u32>,
}

pub(crate) async fn run(
    State(app): State<App>,
    SignedIn(caller): SignedIn,
    Path((lane, stage)): Path<(u64, String)>,
    Query(query): Query<AttemptQuery>,
) -> Result<Response, ApiError> {
    let (component, commit, stage_state) = {
        let store = app.ledger_with_lane(LaneId(lane)).await?;
        let found = store
            .world()
            .lane(LaneId(lane))
            .ok_or_else(|| ApiError::NotFound(format!("no lane {lane}")))?;
        (
            found.component.clone(),
            found.commit.clone(),
            found
                .stages
                .iter()
                .find(|run| run.name == stage)
                .map_or("pending", |run| run.state.as_str()),
        )
    };
    let (attempt, log) = log_text(&app, lane, &stage, query.attempt).await?;
    let chrome = Chrome::of(&caller);
    Ok(render(&RunPage {
        user: chrome.user,
        role: chrome.role,
        flash: None,
        flash_error: false,
        lane,
        component,
        commit,
        stage,
        attempt,
        state: stage_state,
        log,
    }))
}
