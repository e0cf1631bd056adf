//! The JSON API: reads served from the ledger, actions carried out by the `lanes` commands
//! on behalf of the token's holder, live logs and events over server-sent events.

mod actions;
mod api_error;
mod caller;
mod events;
mod logs;
pub(crate) mod metrics;
mod openapi;
mod tokens;
mod views;

pub(crate) use actions::{Action, Gate, Rejection, act, board_json};
pub(crate) use api_error::ApiError;
pub use caller::token_digest;
pub(crate) use caller::{COOKIE, Caller, caller_of};
pub(crate) use logs::log_text;
pub(crate) use views::{HistoryQuery, LaneSummary, history, queue};
pub(crate) use views::{commit_view, find_commit};

use axum::Router;
use axum::routing::{delete, get, post};

use crate::App;

/// The routes under `/api/v1`.
pub(crate) fn routes() -> Router<App> {
    Router::new()
        .route("/openapi.json", get(openapi::document))
        .route("/commits/{commit}", get(views::commit))
        .route("/lanes", get(views::lanes))
        .route("/queue", get(views::queue_json))
        .route("/deliveries", get(views::deliveries))
        .route("/audit", get(views::audit))
        .route("/metrics", get(metrics::delivery))
        .route("/hotfixes", get(views::hotfixes))
        .route("/board", get(actions::board))
        .route("/lanes/{lane}/stages/{stage}/log", get(logs::log))
        .route(
            "/lanes/{lane}/stages/{stage}/log/stream",
            get(logs::log_stream),
        )
        .route("/events", get(events::events))
        .route("/whoami", get(views::whoami))
        .route("/tokens", post(tokens::add))
        .route("/tokens/{name}", delete(tokens::revoke))
        .route("/run", post(actions::run))
        .route("/approve", post(actions::approve))
        .route("/reject", post(actions::reject))
        .route("/retry", post(actions::retry))
        .route("/promote", post(actions::promote))
        .route("/rollback", post(actions::rollback))
        .route("/submit", post(actions::submit))
        .route("/hotfix", post(actions::hotfix))
}
