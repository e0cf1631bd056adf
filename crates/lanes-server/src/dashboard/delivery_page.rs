//! The delivery page: each component's delivery metrics in an environment over a window, with
//! DORA's levels, a bar of where the lead time went and the deploys on a time line.

use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;
use lanes_engine::{ComponentMetrics, DeliveryMetrics, Rated, duration_text};
use serde::Deserialize;

use crate::App;
use crate::api::ApiError;
use crate::dashboard::delivery_charts::{deploy_timeline, lead_time_bar};
use crate::dashboard::page::{Chrome, SignedIn, render};

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
                duration_text(*value),
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
                duration_text(*value),
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
            ("before the lane", duration_text(breakdown.before_lane)),
            ("working", duration_text(breakdown.working)),
            (
                "waiting for the queue",
                duration_text(breakdown.waiting_queue),
            ),
            ("waiting for a lock", duration_text(breakdown.waiting_lock)),
            (
                "waiting for an approval",
                duration_text(breakdown.waiting_approval),
            ),
            ("waiting for a gate", duration_text(breakdown.waiting_gate)),
            ("between stages", duration_text(breakdown.between)),
        ],
    }
}

pub(crate) async fn delivery(
    State(app): State<App>,
    SignedIn(caller): SignedIn,
    Query(params): Query<DeliveryParams>,
) -> Result<Response, ApiError> {
    let since = params.since.unwrap_or_else(|| "30d".to_owned());
    let metrics =
        crate::api::metrics::compute(&app, params.component, params.environment, &since).await?;
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
