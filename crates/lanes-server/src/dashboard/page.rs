//! What every page shares: who is signed in, a message after an action, rendering, and the
//! way to the sign-in page for those who are not.

use askama::Template;
use axum::extract::FromRequestParts;
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::{Html, IntoResponse, Redirect, Response};

use crate::App;
use crate::api::{ApiError, Caller, caller_of};

/// Who is signed in, as the header of every page shows.
#[derive(Debug, Default)]
pub(crate) struct Chrome {
    pub(crate) user: String,
    pub(crate) role: String,
}

impl Chrome {
    pub(crate) fn of(caller: &Caller) -> Self {
        Self {
            user: caller.0.name.clone(),
            role: caller.0.role.to_string(),
        }
    }
}

/// The signed-in caller of a page; anyone else is sent to the sign-in page.
pub(crate) struct SignedIn(pub(crate) Caller);

impl FromRequestParts<App> for SignedIn {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, app: &App) -> Result<Self, Self::Rejection> {
        match caller_of(app, &parts.headers).await {
            Ok(Some(caller)) => Ok(SignedIn(caller)),
            Ok(None) => Err(Redirect::to("/login").into_response()),
            Err(error) => Err(error.into_response()),
        }
    }
}

/// A rendered page.
pub(crate) fn render(template: &impl Template) -> Response {
    match template.render() {
        Ok(html) => Html(html).into_response(),
        Err(error) => {
            ApiError::Internal(format!("failed to render the page: {error}")).into_response()
        }
    }
}

/// A rendered page with a status other than 200.
pub(crate) fn render_with(status: StatusCode, template: &impl Template) -> Response {
    let mut response = render(template);
    *response.status_mut() = status;
    response
}
