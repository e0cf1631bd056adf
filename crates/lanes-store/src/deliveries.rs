//! The deliveries table: webhook deliveries recorded once by their id, and the ones whose
//! lanes have not run yet.

use std::path::PathBuf;

use lanes_engine::Millis;
use sqlx::sqlite::SqlitePool;

use crate::{Delivery, NewDelivery, Store, StoreError};

/// The webhook deliveries of a ledger. Cheap to clone: it shares the store's connections.
#[derive(Debug, Clone)]
pub struct Deliveries {
    path: PathBuf,
    pool: SqlitePool,
}

type DeliveryRow = (
    i64,
    String,
    String,
    String,
    Option<String>,
    Option<String>,
    String,
    i64,
    Option<i64>,
    Option<String>,
);

impl Store {
    /// The webhook deliveries kept in this ledger.
    #[must_use]
    pub fn deliveries(&self) -> Deliveries {
        Deliveries {
            path: self.path().to_path_buf(),
            pool: self.pool.clone(),
        }
    }
}

impl Deliveries {
    /// Records a delivery durably; `None` when one with the same host and id is already
    /// recorded (a redelivery: nothing new to do).
    pub async fn record(&self, new: &NewDelivery, at: Millis) -> Result<Option<i64>, StoreError> {
        sqlx::query_scalar(
            "INSERT INTO deliveries (host, delivery, event, commit_id, ref_name, reason, received_at) \
             VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (host, delivery) DO NOTHING RETURNING id",
        )
        .bind(&new.host)
        .bind(&new.delivery)
        .bind(&new.event)
        .bind(&new.commit)
        .bind(&new.ref_name)
        .bind(&new.reason)
        .bind(at)
        .fetch_optional(&self.pool)
        .await
        .map_err(|source| self.error(source))
    }

    /// Deliveries asking for lanes that have not run yet, oldest first.
    pub async fn pending(&self) -> Result<Vec<Delivery>, StoreError> {
        let rows: Vec<DeliveryRow> = sqlx::query_as(
            "SELECT id, host, delivery, event, commit_id, ref_name, reason, received_at, \
             handled_at, outcome FROM deliveries \
             WHERE commit_id IS NOT NULL AND handled_at IS NULL ORDER BY id",
        )
        .fetch_all(&self.pool)
        .await
        .map_err(|source| self.error(source))?;
        Ok(rows.into_iter().map(delivery).collect())
    }

    /// The newest `limit` deliveries, newest first.
    pub async fn recent(&self, limit: i64) -> Result<Vec<Delivery>, StoreError> {
        let rows: Vec<DeliveryRow> = sqlx::query_as(
            "SELECT id, host, delivery, event, commit_id, ref_name, reason, received_at, \
             handled_at, outcome FROM deliveries ORDER BY id DESC LIMIT ?",
        )
        .bind(limit)
        .fetch_all(&self.pool)
        .await
        .map_err(|source| self.error(source))?;
        Ok(rows.into_iter().map(delivery).collect())
    }

    /// How many deliveries there are by what came of them: `ignored` (nothing for lanes to
    /// run), `pending`, `ran` or `failed`.
    pub async fn counts(&self) -> Result<Vec<(String, i64)>, StoreError> {
        sqlx::query_as(
            "SELECT CASE WHEN commit_id IS NULL THEN 'ignored' \
             WHEN handled_at IS NULL THEN 'pending' \
             WHEN outcome = 'ran' THEN 'ran' ELSE 'failed' END AS result, COUNT(*) \
             FROM deliveries GROUP BY result ORDER BY result",
        )
        .fetch_all(&self.pool)
        .await
        .map_err(|source| self.error(source))
    }

    /// Records what came of deliveries, in one transaction.
    pub async fn finish(&self, ids: &[i64], outcome: &str, at: Millis) -> Result<(), StoreError> {
        if ids.is_empty() {
            return Ok(());
        }
        let mut tx = self
            .pool
            .begin()
            .await
            .map_err(|source| self.error(source))?;
        for id in ids {
            sqlx::query("UPDATE deliveries SET handled_at = ?, outcome = ? WHERE id = ?")
                .bind(at)
                .bind(outcome)
                .bind(id)
                .execute(&mut *tx)
                .await
                .map_err(|source| self.error(source))?;
        }
        tx.commit().await.map_err(|source| self.error(source))
    }

    fn error(&self, source: sqlx::Error) -> StoreError {
        StoreError::Deliveries {
            path: self.path.clone(),
            source,
        }
    }
}

fn delivery(
    (id, host, delivery, event, commit, ref_name, reason, received_at, handled_at, outcome): DeliveryRow,
) -> Delivery {
    Delivery {
        id,
        said: NewDelivery {
            host,
            delivery,
            event,
            commit,
            ref_name,
            reason,
        },
        received_at,
        handled_at,
        outcome,
    }
}
