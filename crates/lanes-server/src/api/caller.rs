//! Who calls: the holder of the API token in `Authorization: Bearer`, or in the dashboard's
//! cookie. Tokens are looked up by their SHA-256 digest.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, header};
use lanes_store::{ApiToken, Role};
use sha2::{Digest as _, Sha256};

use crate::App;
use crate::api::ApiError;

/// The cookie the dashboard keeps the token in.
pub(crate) const COOKIE: &str = "lanes_token";

/// The authenticated caller of a request: the token's holder, and the token as presented (the
/// commands the server runs for the caller prove who decides with it).
#[derive(Debug, Clone)]
pub(crate) struct Caller(pub(crate) ApiToken, pub(crate) String);

impl Caller {
    /// Refuses callers whose role is below `needs`.
    pub(crate) fn require(&self, needs: Role) -> Result<&str, ApiError> {
        if self.0.role >= needs {
            Ok(&self.0.name)
        } else {
            Err(ApiError::Forbidden {
                has: self.0.role,
                needs,
            })
        }
    }
}

/// The digest a token is kept as.
#[must_use]
pub fn token_digest(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// The token a request carries, from its `Authorization` header or the dashboard cookie.
pub(crate) fn presented_token(headers: &HeaderMap) -> Option<String> {
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer "))
        .map(|token| token.trim().to_owned());
    bearer.or_else(|| {
        headers
            .get_all(header::COOKIE)
            .iter()
            .filter_map(|value| value.to_str().ok())
            .flat_map(|value| value.split(';'))
            .find_map(|pair| {
                pair.trim()
                    .strip_prefix(&format!("{COOKIE}="))
                    .map(str::to_owned)
            })
    })
}

impl FromRequestParts<App> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, app: &App) -> Result<Self, Self::Rejection> {
        caller_of(app, &parts.headers)
            .await?
            .ok_or(ApiError::Unauthenticated)
    }
}

/// The holder of the token the request carries, if it carries a known one.
pub(crate) async fn caller_of(app: &App, headers: &HeaderMap) -> Result<Option<Caller>, ApiError> {
    let Some(token) = presented_token(headers) else {
        return Ok(None);
    };
    Ok(app
        .tokens()
        .find(&token_digest(&token))
        .await?
        .map(|holder| Caller(holder, token)))
}
