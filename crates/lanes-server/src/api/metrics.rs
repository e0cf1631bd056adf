//! `GET /api/v1/metrics`: delivery metrics per component, what `lanes metrics --json` prints.

use axum::Json;
use axum::extract::{Query, State};
use lanes_store::Role;
use serde::Deserialize;

use crate::api::{ApiError, Caller};
use crate::{App, MetricsRequest, now};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct MetricsParams {
    component: Option<String>,
    environment: Option<String>,
    /// `30d`, `12h`, ... (default `30d`).
    since: Option<String>,
}

pub(crate) async fn delivery(
    State(app): State<App>,
    caller: Caller,
    Query(params): Query<MetricsParams>,
) -> Result<Json<serde_json::Value>, ApiError> {
    caller.require(Role::Viewer)?;
    let window = lanes_engine::parse_window(params.since.as_deref().unwrap_or("30d"))
        .map_err(|error| ApiError::BadRequest(format!("since: {error}")))?;
    let until = now();
    let request = MetricsRequest {
        component: params.component,
        environment: params.environment,
        since: until - window,
        until,
    };
    let store = app.ledger().await?;
    if let Some(component) = &request.component
        && store.world().lanes_of_component(component).next().is_none()
    {
        return Err(ApiError::NotFound(format!(
            "no lane of `{component}` recorded"
        )));
    }
    let compute = || app.backend().metrics(store.world(), &request);
    let metrics = match tokio::runtime::Handle::current().runtime_flavor() {
        // It runs git: other tasks move to other workers meanwhile.
        tokio::runtime::RuntimeFlavor::MultiThread => tokio::task::block_in_place(compute),
        _ => compute(),
    };
    metrics.map(Json).map_err(ApiError::Internal)
}
