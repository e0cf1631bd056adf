//! What operators probe and scrape: `/healthz` (the process answers), `/readyz` (the ledger
//! can be read) and `/metrics` (Prometheus). None needs a token: they carry no commit, run id
//! or person, only component, environment and stage names.

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use crate::App;
use crate::prometheus::{TableCounts, exposition};

pub(crate) fn routes() -> Router<App> {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
}

async fn healthz() -> &'static str {
    "ok\n"
}

async fn readyz(State(app): State<App>) -> Response {
    match app.ledger().await {
        Ok(_) => "ready\n".into_response(),
        Err(error) => (
            StatusCode::SERVICE_UNAVAILABLE,
            format!("not ready: failed to read the ledger: {error}\n"),
        )
            .into_response(),
    }
}

async fn metrics(State(app): State<App>) -> Response {
    let tables = async {
        let deliveries = app.deliveries().counts().await?;
        let (statuses, backlog) = app.host_statuses().counts().await?;
        Ok::<_, lanes_store::StoreError>(TableCounts {
            deliveries,
            statuses,
            backlog,
        })
    };
    let tables = match tables.await {
        Ok(tables) => tables,
        Err(error) => return unavailable(&error),
    };
    match app.ledger().await {
        Ok(store) => (
            [("content-type", "text/plain; version=0.0.4; charset=utf-8")],
            exposition(store.world(), &tables),
        )
            .into_response(),
        Err(error) => unavailable(&error),
    }
}

fn unavailable(error: &lanes_store::StoreError) -> Response {
    (
        StatusCode::SERVICE_UNAVAILABLE,
        format!("failed to read the ledger: {error}\n"),
    )
        .into_response()
}
