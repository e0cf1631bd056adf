//! The deliveries page: the newest webhook deliveries, what each asked for and what came of
//! it, including the events lanes does not act on.

use askama::Template;
use axum::extract::State;
use axum::response::Response;

use crate::App;
use crate::api::ApiError;
use crate::dashboard::page::{Chrome, SignedIn, render};

struct DeliveryRow {
    received: String,
    host: String,
    event: String,
    ref_name: String,
    commit: String,
    short: String,
    reason: String,
    outcome: String,
}

#[derive(Template)]
#[template(path = "deliveries.html")]
struct DeliveriesPage {
    user: String,
    role: String,
    flash: Option<String>,
    flash_error: bool,
    deliveries: Vec<DeliveryRow>,
}

/// Milliseconds since the epoch as `HH:MM:SS` of their UTC day (the page shows the newest).
fn clock(at: i64) -> String {
    let seconds = at.div_euclid(1000).rem_euclid(86_400);
    format!(
        "{:02}:{:02}:{:02}",
        seconds / 3600,
        seconds % 3600 / 60,
        seconds % 60
    )
}

pub(crate) async fn deliveries(
    State(app): State<App>,
    SignedIn(caller): SignedIn,
) -> Result<Response, ApiError> {
    let deliveries = app
        .deliveries()
        .recent(200)
        .await?
        .into_iter()
        .map(|delivery| {
            let said = delivery.said;
            let commit = said.commit.unwrap_or_default();
            DeliveryRow {
                received: clock(delivery.received_at),
                host: said.host,
                event: said.event,
                ref_name: said.ref_name.unwrap_or_default(),
                short: commit[..7.min(commit.len())].to_owned(),
                commit,
                reason: said.reason,
                outcome: delivery.outcome.unwrap_or_else(|| "pending".to_owned()),
            }
        })
        .collect();
    let chrome = Chrome::of(&caller);
    Ok(render(&DeliveriesPage {
        user: chrome.user,
        role: chrome.role,
        flash: None,
        flash_error: false,
        deliveries,
    }))
}
