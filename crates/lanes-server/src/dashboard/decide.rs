//! The approve and reject buttons: a form post, carried out as the signed-in token's holder,
//! answered by going back to the commit page with what happened.

use axum::Form;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use crate::App;
use crate::api::{Action, Gate, Rejection, act};
use crate::dashboard::page::SignedIn;

#[derive(Debug, Deserialize)]
pub(crate) struct DecisionForm {
    action: String,
    component: String,
    stage: String,
    commit: String,
    #[serde(default)]
    reason: String,
}

pub(crate) async fn decide(
    State(app): State<App>,
    SignedIn(caller): SignedIn,
    Form(form): Form<DecisionForm>,
) -> Response {
    let action = match form.action.as_str() {
        "approve" => Action::Approve(Gate {
            component: form.component.clone(),
            stage: form.stage.clone(),
            commit: Some(form.commit.clone()),
        }),
        "reject" => Action::Reject(Rejection {
            component: form.component.clone(),
            stage: form.stage.clone(),
            commit: Some(form.commit.clone()),
            reason: if form.reason.trim().is_empty() {
                "rejected on the dashboard".to_owned()
            } else {
                form.reason.clone()
            },
        }),
        other => {
            return crate::api::ApiError::BadRequest(format!("unknown action `{other}`"))
                .into_response();
        }
    };
    let query = match act(&app, &caller, action).await {
        Ok(outcome) => format!(
            "said={}",
            encode(outcome.message.lines().next().unwrap_or_default())
        ),
        Err(error) => format!("failed={}", encode(&error.to_string())),
    };
    let commit: String = form
        .commit
        .chars()
        .filter(char::is_ascii_hexdigit)
        .collect();
    Redirect::to(&format!("/commits/{commit}?{query}")).into_response()
}

/// Percent-encodes a query value.
fn encode(text: &str) -> String {
    text.bytes()
        .map(|byte| match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                char::from(byte).to_string()
            }
            _ => format!("%{byte:02X}"),
        })
        .collect()
}
