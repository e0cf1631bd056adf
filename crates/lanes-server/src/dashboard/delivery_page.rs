//! The delivery page: each component's delivery metrics in an environment over a window, with
//! DORA's levels, a bar of where the lead time went and the deploys on a time line.

use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;
use lanes_engine::{ComponentMetrics, DeliveryMetrics, Rated};
use serde::Deserialize;

use crate::api::ApiError;
use crate::dashboard::delivery_charts::{deploy_timeline, duration, lead_time_bar};
use crate::dashboard::page::{Chrome, SignedIn, render};
use crate::{App, MetricsRequest, now};

#[derive(Debug, Deserialize)]
pub(crate) struct DeliveryParams {
    component: Option<String>,
    environment: Option<String>,
    since: Option<String>,
}

/// One metric as the table shows it.
struct Cell {
    name: &'static str,
    value: String,
    level: String,
}

struct ComponentCard {
    name: String,
    cells: Vec<Cell>,
    lead_time_svg: String,
    deploys_svg: String,
    parts: Vec<(&'static str, String)>,
}

#[derive(Template)]
#[template(path = "delivery.html")]
struct DeliveryPage {
    user: String,
    role: String,
    flash: Option<String>,
    flash_error: bool,
    environment: String,
    since: String,
    components: Vec<ComponentCard>,
}

fn rated<T>(rated: Option<&Rated<T>>, show: impl Fn(&T) -> String, none: &str) -> (String, String) {
    rated.map_or_else(
        || (none.to_owned(), String::new()),
        |rated| (show(&rated.value), rated.level.as_str().to_owned()),
    )
}

fn card(metrics: &ComponentMetrics, since: i64, until: i64) -> ComponentCard {
    let frequency = &metrics.deployment_frequency;
    let (lead, lead_level) = rated(
        metrics.lead_time.as_ref(),
        |value| {
            format!(
                "{} median over {} changes",
                duration(*value),
                metrics.changes
            )
        },
        "no changes deployed",
    );
    let (fail, fail_level) = rated(
        metrics.change_fail_rate.as_ref(),
        |value| {
            format!(
                "{:.0}% ({} of {} deploys)",
                value * 100.0,
                metrics.failed_deploys,
                metrics.deploys
            )
        },
        "no deploys",
    );
    let (recovery, recovery_level) = rated(
        metrics.recovery_time.as_ref(),
        |value| {
            format!(
                "{} median, {} unrecovered",
                duration(*value),
                metrics.unrecovered
            )
        },
        "no recovery",
    );
    let breakdown = &metrics.lead_time_breakdown;
    ComponentCard {
        name: metrics.component.clone(),
        cells: vec![
            Cell {
                name: "deployment frequency",
                value: format!(
                    "{:.2}/day ({} deploys, {} rollbacks)",
                    frequency.value, metrics.deploys, metrics.rollbacks
                ),
                level: frequency.level.as_str().to_owned(),
            },
            Cell {
                name: "lead time",
                value: lead,
                level: lead_level,
            },
            Cell {
                name: "change fail rate",
                value: fail,
                level: fail_level,
            },
            Cell {
                name: "recovery time",
                value: recovery,
                level: recovery_level,
            },
            Cell {
                name: "rework rate",
                value: metrics.rework_rate.map_or_else(
                    || "no deploys".to_owned(),
                    |rate| format!("{:.0}%", rate * 100.0),
                ),
                level: String::new(),
            },
        ],
        lead_time_svg: lead_time_bar(breakdown),
        deploys_svg: deploy_timeline(&metrics.deployments, since, until),
        parts: vec![
            ("before the lane", duration(breakdown.before_lane)),
            ("working", duration(breakdown.working)),
            ("waiting for the queue", duration(breakdown.waiting_queue)),
            ("waiting for a lock", duration(breakdown.waiting_lock)),
            (
                "waiting for an approval",
                duration(breakdown.waiting_approval),
            ),
            ("waiting for a gate", duration(breakdown.waiting_gate)),
            ("between stages", duration(breakdown.between)),
        ],
    }
}

pub(crate) async fn delivery(
    State(app): State<App>,
    SignedIn(caller): SignedIn,
    Query(params): Query<DeliveryParams>,
) -> Result<Response, ApiError> {
    let since = params.since.unwrap_or_else(|| "30d".to_owned());
    let window = lanes_engine::parse_window(&since)
        .map_err(|error| ApiError::BadRequest(format!("since: {error}")))?;
    let until = now();
    let request = MetricsRequest {
        component: params.component.filter(|component| !component.is_empty()),
        environment: params
            .environment
            .filter(|environment| !environment.is_empty()),
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
    }
    .map_err(ApiError::Internal)?;
    drop(store);
    let metrics: DeliveryMetrics = serde_json::from_value(metrics)
        .map_err(|error| ApiError::Internal(format!("failed to read the metrics: {error}")))?;
    let chrome = Chrome::of(&caller);
    Ok(render(&DeliveryPage {
        user: chrome.user,
        role: chrome.role,
        flash: None,
        flash_error: false,
        environment: metrics.environment.clone(),
        since,
        components: metrics
            .components
            .iter()
            .map(|component| card(component, metrics.since, metrics.until))
            .collect(),
    }))
}
