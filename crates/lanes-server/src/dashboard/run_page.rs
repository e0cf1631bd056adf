//! The run page: one attempt of one stage, its log so far, followed live over server-sent
//! events while the attempt runs.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use lanes_engine::LaneId;
use serde::Deserialize;

use crate::App;
use crate::api::{ApiError, log_text};
use crate::dashboard::page::{Chrome, render, signed_in};

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
    headers: HeaderMap,
    Path((lane, stage)): Path<(u64, String)>,
    Query(query): Query<AttemptQuery>,
) -> Response {
    let caller = match signed_in(&app, &headers).await {
        Ok(caller) => caller,
        Err(response) => return response,
    };
    let (component, commit, stage_state) = match app.ledger().await {
        Ok(store) => match store.world().lane(LaneId(lane)) {
            Some(found) => (
                found.component.clone(),
                found.commit.clone(),
                found
                    .stages
                    .iter()
                    .find(|run| run.name == stage)
                    .map_or("pending", |run| run.state.as_str()),
            ),
            None => return ApiError::NotFound(format!("no lane {lane}")).into_response(),
        },
        Err(error) => return ApiError::from(error).into_response(),
    };
    let (attempt, log) = match log_text(&app, lane, &stage, query.attempt).await {
        Ok(found) => found,
        Err(error) => return error.into_response(),
    };
    let chrome = Chrome::of(&caller);
    render(&RunPage {
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
    })
}
