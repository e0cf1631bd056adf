//! Tokens through the API, for admins: make one (its secret is in the answer, only then) and
//! revoke one. The ledger keeps digests only.

use axum::Json;
use axum::extract::{Path, State};
use lanes_store::{ApiToken, Role};
use serde::{Deserialize, Serialize};
use tokio::io::AsyncReadExt as _;

use crate::api::{ApiError, Caller, token_digest};
use crate::{App, now};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewToken {
    name: String,
    role: String,
}

#[derive(Debug, Serialize)]
pub(crate) struct MadeToken {
    name: String,
    role: Role,
    /// The token itself: shown this once.
    token: String,
}

/// A new secret: 32 bytes from the kernel, as hex, after `lanes_`.
async fn secret() -> Result<String, ApiError> {
    let mut bytes = [0_u8; 32];
    let mut random = tokio::fs::File::open("/dev/urandom")
        .await
        .map_err(|error| ApiError::Internal(format!("failed to open /dev/urandom: {error}")))?;
    random
        .read_exact(&mut bytes)
        .await
        .map_err(|error| ApiError::Internal(format!("failed to read /dev/urandom: {error}")))?;
    Ok(format!("lanes_{}", hex::encode(bytes)))
}

pub(crate) async fn add(
    State(app): State<App>,
    caller: Caller,
    Json(request): Json<NewToken>,
) -> Result<Json<MadeToken>, ApiError> {
    caller.require(Role::Admin)?;
    let role: Role = request.role.parse().map_err(ApiError::BadRequest)?;
    if request.name.trim().is_empty() {
        return Err(ApiError::BadRequest("a token needs a name".to_owned()));
    }
    let token = secret().await?;
    let holder = ApiToken {
        name: request.name.clone(),
        role,
    };
    app.tokens()
        .add(&holder, &token_digest(&token), now())
        .await
        .map_err(|_| ApiError::Refused(format!("a token named `{}` exists", request.name)))?;
    Ok(Json(MadeToken {
        name: request.name,
        role,
        token,
    }))
}

pub(crate) async fn revoke(
    State(app): State<App>,
    caller: Caller,
    Path(name): Path<String>,
) -> Result<Json<serde_json::Value>, ApiError> {
    caller.require(Role::Admin)?;
    if app.tokens().revoke(&name, now()).await? {
        Ok(Json(serde_json::json!({ "revoked": name })))
    } else {
        Err(ApiError::NotFound(format!("no token named `{name}`")))
    }
}
