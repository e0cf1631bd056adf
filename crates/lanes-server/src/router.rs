//! Every route of the server: webhooks, the API and the dashboard.

use axum::Router;
use axum::body::Body;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::routing::post;

use crate::webhook::{Host, receive};
use crate::{App, api, dashboard, health};

/// The server's routes over `app`.
pub fn router(app: App) -> Router {
    Router::new()
        .route(
            "/webhooks/github",
            post(|state: State<App>, headers: HeaderMap, body: Body| {
                receive(state, Host::GitHub, headers, body)
            }),
        )
        .route(
            "/webhooks/gitlab",
            post(|state: State<App>, headers: HeaderMap, body: Body| {
                receive(state, Host::GitLab, headers, body)
            }),
        )
        .route(
            "/webhooks/azure-devops",
            post(|state: State<App>, headers: HeaderMap, body: Body| {
                receive(state, Host::AzureDevOps, headers, body)
            }),
        )
        .nest("/api/v1", api::routes())
        .merge(dashboard::routes())
        .merge(health::routes())
        .with_state(app)
}
