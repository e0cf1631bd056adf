//! Failures of API requests and the HTTP answers they become.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use lanes_store::Role;

use crate::problem::problem;

/// Why an API request failed.
#[derive(Debug, thiserror::Error)]
pub(crate) enum ApiError {
    #[error("an API token is required (Authorization: Bearer <token>)")]
    Unauthenticated,
    #[error("the token's role is {has}; this needs {needs}")]
    Forbidden { has: Role, needs: Role },
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    BadRequest(String),
    #[error("{0}")]
    Refused(String),
    #[error("failed to {0}")]
    Store(#[from] lanes_store::StoreError),
    #[error("{0}")]
    Internal(String),
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = match &self {
            ApiError::Unauthenticated => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden { .. } => StatusCode::FORBIDDEN,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ApiError::Refused(_) => StatusCode::CONFLICT,
            ApiError::Store(_) => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        };
        problem(status, &self.to_string())
    }
}
