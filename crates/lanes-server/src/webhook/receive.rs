//! The webhook endpoint: size and time limits, the host's credential, the delivery recorded
//! in the ledger, and only then the acknowledgement.

use axum::Json;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use http_body_util::{BodyExt as _, Limited};
use lanes_store::{NewDelivery, StatusTarget};
use serde_json::json;
use sha2::{Digest as _, Sha256};

use crate::problem::problem;
use crate::webhook::credential::{
    basic_auth_matches, github_signature_matches, gitlab_token_matches,
};
use crate::webhook::{Host, Trigger, azure_devops, github, gitlab};
use crate::{App, Notice, now};

/// Receives one delivery from `host`.
pub(crate) async fn receive(
    State(app): State<App>,
    host: Host,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let secrets = &app.config().webhooks;
    let configured = match host {
        Host::GitHub => secrets.github.is_some(),
        Host::GitLab => secrets.gitlab.is_some(),
        Host::AzureDevOps => secrets.azure_devops.is_some(),
    };
    if !configured {
        return problem(
            StatusCode::NOT_FOUND,
            &format!(
                "{} webhooks are not configured on this server",
                host.as_str()
            ),
        );
    }
    // Credentials carried in headers are checked before a byte of the body is read.
    let header_ok = match host {
        Host::GitHub => true,
        Host::GitLab => {
            gitlab_token_matches(secrets.gitlab.as_deref().unwrap_or_default(), &headers)
        }
        Host::AzureDevOps => secrets
            .azure_devops
            .as_ref()
            .is_some_and(|(user, password)| basic_auth_matches(user, password, &headers)),
    };
    if !header_ok {
        return unauthorized();
    }
    let limit = app.config().body_limit;
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.parse::<usize>().ok());
    if declared.is_some_and(|length| length > limit) {
        return problem(
            StatusCode::PAYLOAD_TOO_LARGE,
            "the body is over the size limit",
        );
    }
    let read = tokio::time::timeout(
        app.config().body_timeout,
        Limited::new(body, limit).collect(),
    )
    .await;
    let bytes = match read {
        Err(_) => return problem(StatusCode::REQUEST_TIMEOUT, "the body came too slowly"),
        Ok(Err(error)) if error.is::<http_body_util::LengthLimitError>() => {
            return problem(
                StatusCode::PAYLOAD_TOO_LARGE,
                "the body is over the size limit",
            );
        }
        Ok(Err(_)) => return problem(StatusCode::BAD_REQUEST, "the body could not be read"),
        Ok(Ok(collected)) => collected.to_bytes(),
    };
    if host == Host::GitHub
        && !github_signature_matches(
            secrets.github.as_deref().unwrap_or_default(),
            &bytes,
            headers
                .get("x-hub-signature-256")
                .and_then(|value| value.to_str().ok()),
        )
    {
        return unauthorized();
    }
    let Some(body) = payload(&headers, &bytes) else {
        return problem(StatusCode::BAD_REQUEST, "the body is not JSON");
    };
    let trigger = match host {
        Host::GitHub => match header_text(&headers, "x-github-event") {
            Some(kind) => github::understand(kind, &body),
            None => return problem(StatusCode::BAD_REQUEST, "X-GitHub-Event is missing"),
        },
        Host::GitLab => gitlab::understand(&body),
        Host::AzureDevOps => azure_devops::understand(&body),
    };
    let delivery = delivery_id(host, &headers, &body, &bytes);
    if let Some(commit) = &trigger.commit
        && let Err(error) = learn_status_target(&app, host, commit, &body).await
    {
        return problem(
            StatusCode::SERVICE_UNAVAILABLE,
            &format!("failed to {error}"),
        );
    }
    record(&app, host, delivery, trigger).await
}

/// Records where the commit's statuses go, before the delivery is recorded: once the
/// dispatcher hears of the commit, its statuses know where to go.
async fn learn_status_target(
    app: &App,
    host: Host,
    commit: &str,
    body: &serde_json::Value,
) -> Result<(), lanes_store::StoreError> {
    let place = match host {
        Host::GitHub => github::status_place(body),
        Host::GitLab => gitlab::status_place(body),
        Host::AzureDevOps => azure_devops::status_place(body),
    };
    let Some(place) = place else {
        return Ok(());
    };
    let target = StatusTarget {
        commit: commit.to_owned(),
        host: host.as_str().to_owned(),
        repository: place.repository,
        pull_request: place.pull_request,
        web_url: place.web_url,
    };
    app.host_statuses().learn(&target, now()).await
}

/// Records the delivery, then answers: 202 when lanes will run, 200 otherwise (and for a
/// redelivery, which starts nothing new).
async fn record(app: &App, host: Host, delivery: String, trigger: Trigger) -> Response {
    let new = NewDelivery {
        host: host.as_str().to_owned(),
        delivery: delivery.clone(),
        event: trigger.event.clone(),
        commit: trigger.commit.clone(),
        ref_name: trigger.ref_name.clone(),
        reason: trigger.reason.clone(),
    };
    match app.deliveries().record(&new, now()).await {
        Err(error) => problem(
            StatusCode::SERVICE_UNAVAILABLE,
            &format!("failed to {error}"),
        ),
        Ok(None) => (
            StatusCode::OK,
            Json(json!({"delivery": delivery, "duplicate": true, "event": trigger.event})),
        )
            .into_response(),
        Ok(Some(id)) => {
            let status = if let Some(commit) = &trigger.commit {
                app.notify(Notice::Delivery {
                    id,
                    commit: commit.clone(),
                });
                StatusCode::ACCEPTED
            } else {
                StatusCode::OK
            };
            (
                status,
                Json(json!({
                    "delivery": delivery,
                    "duplicate": false,
                    "event": trigger.event,
                    "commit": trigger.commit,
                    "reason": trigger.reason,
                })),
            )
                .into_response()
        }
    }
}

/// The JSON payload: the body, or its `payload` field when GitHub sends the form encoding
/// (`application/x-www-form-urlencoded`, a choice in the hook's settings).
fn payload(headers: &HeaderMap, bytes: &[u8]) -> Option<serde_json::Value> {
    let form = header_text(headers, "content-type")
        .is_some_and(|kind| kind.starts_with("application/x-www-form-urlencoded"));
    if form {
        let fields: Vec<(String, String)> = serde_urlencoded::from_bytes(bytes).ok()?;
        let (_, json) = fields.into_iter().find(|(name, _)| name == "payload")?;
        serde_json::from_str(&json).ok()
    } else {
        serde_json::from_slice(bytes).ok()
    }
}

/// The host's id for the delivery, else a digest of the body (a redelivery repeats it).
fn delivery_id(host: Host, headers: &HeaderMap, body: &serde_json::Value, bytes: &[u8]) -> String {
    let given = match host {
        Host::GitHub => header_text(headers, "x-github-delivery"),
        Host::GitLab => header_text(headers, "x-gitlab-event-uuid")
            .or_else(|| header_text(headers, "idempotency-key")),
        Host::AzureDevOps => body.get("id").and_then(serde_json::Value::as_str),
    };
    match given {
        Some(id) if !id.is_empty() => id.to_owned(),
        _ => format!("sha256:{}", hex::encode(Sha256::digest(bytes))),
    }
}

fn header_text<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|value| value.to_str().ok())
}

fn unauthorized() -> Response {
    problem(
        StatusCode::UNAUTHORIZED,
        "the credential is missing or wrong",
    )
}
