//! The dashboard: HTML pages rendered on the server with askama, readable without JavaScript;
//! htmx refreshes the live parts and the run page streams its log over server-sent events.

mod assets;
mod board_page;
mod commit_page;
mod decide;
mod deliveries_page;
mod delivery_charts;
mod delivery_page;
mod lists;
mod page;
mod run_page;
mod session;

use axum::Router;
use axum::routing::{get, post};

use crate::App;

pub(crate) fn routes() -> Router<App> {
    Router::new()
        .route("/", get(lists::history))
        .route("/queue", get(lists::queue))
        .route("/board", get(board_page::board))
        .route("/deliveries", get(deliveries_page::deliveries))
        .route("/delivery", get(delivery_page::delivery))
        .route("/commits/{commit}", get(commit_page::commit))
        .route("/commits/{commit}/lanes", get(commit_page::lanes))
        .route("/lanes/{lane}/stages/{stage}", get(run_page::run))
        .route("/decide", post(decide::decide))
        .route("/login", get(session::form).post(session::sign_in))
        .route("/logout", get(session::sign_out))
        .route("/assets/{name}", get(assets::asset))
}
