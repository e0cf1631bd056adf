//! The API tokens table: named tokens with a role, kept as SHA-256 digests only.

use std::path::PathBuf;

use lanes_engine::Millis;
use sqlx::sqlite::SqlitePool;

use crate::{Role, Store, StoreError};

/// A token's holder: the name every decision made with it is recorded under.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ApiToken {
    pub name: String,
    pub role: Role,
}

/// The API tokens of a ledger. Cheap to clone: it shares the store's connections.
#[derive(Debug, Clone)]
pub struct ApiTokens {
    path: PathBuf,
    pool: SqlitePool,
}

impl Store {
    /// The API tokens kept in this ledger.
    #[must_use]
    pub fn api_tokens(&self) -> ApiTokens {
        ApiTokens {
            path: self.path().to_path_buf(),
            pool: self.pool.clone(),
        }
    }
}

impl ApiTokens {
    /// Adds a token by the digest of its secret; refused when the name is taken.
    pub async fn add(&self, token: &ApiToken, digest: &str, at: Millis) -> Result<(), StoreError> {
        sqlx::query("INSERT INTO api_tokens (name, role, digest, created_at) VALUES (?, ?, ?, ?)")
            .bind(&token.name)
            .bind(token.role.as_str())
            .bind(digest)
            .bind(at)
            .execute(&self.pool)
            .await
            .map_err(|source| self.error(source))?;
        Ok(())
    }

    /// The holder of the token with this digest, unless it is unknown or revoked.
    pub async fn find(&self, digest: &str) -> Result<Option<ApiToken>, StoreError> {
        let row: Option<(String, String)> = sqlx::query_as(
            "SELECT name, role FROM api_tokens WHERE digest = ? AND revoked_at IS NULL",
        )
        .bind(digest)
        .fetch_optional(&self.pool)
        .await
        .map_err(|source| self.error(source))?;
        Ok(row.and_then(|(name, role)| role.parse().ok().map(|role| ApiToken { name, role })))
    }

    /// Revokes a token by name; whether there was one.
    pub async fn revoke(&self, name: &str, at: Millis) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE api_tokens SET revoked_at = ? WHERE name = ? AND revoked_at IS NULL",
        )
        .bind(at)
        .bind(name)
        .execute(&self.pool)
        .await
        .map_err(|source| self.error(source))?;
        Ok(done.rows_affected() > 0)
    }

    fn error(&self, source: sqlx::Error) -> StoreError {
        StoreError::ApiTokens {
            path: self.path.clone(),
            source,
        }
    }
}
