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
    let since = params.since.as_deref().unwrap_or("30d");
    compute(&app, params.component, params.environment, since)
        .await
        .map(Json)
}

/// The delivery metrics over the window `since` (`30d`, ...) up to now, of one component or
/// all, as the backend computes them (it reads git). An empty name is no name.
pub(crate) async fn compute(
    app: &App,
    component: Option<String>,
    environment: Option<String>,
    since: &str,
) -> Result<serde_json::Value, ApiError> {
    let window = lanes_engine::parse_window(since)
        .map_err(|error| ApiError::BadRequest(format!("since: {error}")))?;
    let until = now();
    let request = MetricsRequest {
        component: component.filter(|component| !component.is_empty()),
        environment: environment.filter(|environment| !environment.is_empty()),
        since: until - window,
        until,
    };
    let mut store = app.ledger().await?;
    store.hold_deployed_lanes().await?;
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
    metrics.map_err(ApiError::Internal)
}
