//! The `OpenAPI` document of the API, served as written in `openapi.json`.

use axum::response::IntoResponse;

/// The document; a test checks that every route it lists answers.
pub(crate) const OPENAPI: &str = include_str!("openapi.json");

pub(crate) async fn document() -> impl IntoResponse {
    ([("content-type", "application/json")], OPENAPI)
}
