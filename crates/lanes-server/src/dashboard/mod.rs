//! The dashboard: HTML pages rendered by the server.

use axum::Router;

use crate::App;

pub(crate) fn routes() -> Router<App> {
    Router::new()
}
