//! The outbox of statuses posted back to git hosts: where a commit's verdicts go (learned from
//! its deliveries), and the statuses queued for it, sent in order per commit and target and
//! kept until the host took them.

use std::path::PathBuf;

use lanes_engine::Millis;
use sqlx::sqlite::SqlitePool;

use crate::{Store, StoreError};

/// The host repository a commit's statuses go to.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct StatusTarget {
    pub commit: String,
    /// `github`, `gitlab` or `azure-devops`.
    pub host: String,
    /// GitHub `owner/repo`, GitLab the project id, Azure DevOps
    /// `organization/project/repository-id`.
    pub repository: String,
    /// The pull (merge) request the commit was delivered for.
    pub pull_request: Option<String>,
    /// The repository's web address, for links.
    pub web_url: Option<String>,
}

/// One status of a commit, as lanes means it (each host's words are chosen when posting).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct QueuedStatus {
    /// `lanes/<component>` or `lanes`.
    pub context: String,
    /// `pending`, `success`, `failure` or `error`.
    pub state: String,
    pub description: String,
    pub target_url: String,
}

/// A status in the outbox, not sent yet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxRow {
    pub id: i64,
    pub target: StatusTarget,
    pub status: QueuedStatus,
    pub attempts: i64,
    /// Not before this time (backoff).
    pub next_attempt_at: Millis,
}

/// The host statuses of a ledger. Cheap to clone: it shares the store's connections.
#[derive(Debug, Clone)]
pub struct HostStatuses {
    path: PathBuf,
    pool: SqlitePool,
}

type TargetRow = (String, String, String, Option<String>, Option<String>);

type OutboxSqlRow = (
    i64,
    String,
    String,
    String,
    Option<String>,
    String,
    String,
    String,
    String,
    i64,
    i64,
);

impl Store {
    /// The host statuses kept in this ledger.
    #[must_use]
    pub fn host_statuses(&self) -> HostStatuses {
        HostStatuses {
            path: self.path().to_path_buf(),
            pool: self.pool.clone(),
        }
    }
}

impl HostStatuses {
    /// Records where `target.commit`'s statuses go; a later delivery's pull request and web
    /// address replace missing ones, never known ones with nothing.
    pub async fn learn(&self, target: &StatusTarget, at: Millis) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO status_targets (commit_id, host, repository, pull_request, web_url, learned_at) \
             VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (commit_id, host, repository) DO UPDATE SET \
             pull_request = coalesce(excluded.pull_request, pull_request), \
             web_url = coalesce(excluded.web_url, web_url)",
        )
        .bind(&target.commit)
        .bind(&target.host)
        .bind(&target.repository)
        .bind(&target.pull_request)
        .bind(&target.web_url)
        .bind(at)
        .execute(&self.pool)
        .await
        .map_err(|source| self.error(source))?;
        Ok(())
    }

    /// Where the commit's statuses go, in the order they were learned.
    pub async fn targets(&self, commit: &str) -> Result<Vec<StatusTarget>, StoreError> {
        let rows: Vec<TargetRow> = sqlx::query_as(
            "SELECT commit_id, host, repository, pull_request, web_url FROM status_targets \
             WHERE commit_id = ? ORDER BY learned_at, host, repository",
        )
        .bind(commit)
        .fetch_all(&self.pool)
        .await
        .map_err(|source| self.error(source))?;
        Ok(rows
            .into_iter()
            .map(
                |(commit, host, repository, pull_request, web_url)| StatusTarget {
                    commit,
                    host,
                    repository,
                    pull_request,
                    web_url,
                },
            )
            .collect())
    }

    /// Queues the statuses that differ from the last one queued for the same commit, target
    /// and context, in one transaction; returns how many were queued.
    pub async fn queue_changes(
        &self,
        target: &StatusTarget,
        statuses: &[QueuedStatus],
        at: Millis,
    ) -> Result<usize, StoreError> {
        let mut tx = self
            .pool
            .begin_with("BEGIN IMMEDIATE")
            .await
            .map_err(|source| self.error(source))?;
        let mut queued = 0;
        for status in statuses {
            let last: Option<(String, String, String)> = sqlx::query_as(
                "SELECT state, description, target_url FROM status_outbox \
                 WHERE commit_id = ? AND host = ? AND repository = ? AND context = ? \
                 ORDER BY id DESC LIMIT 1",
            )
            .bind(&target.commit)
            .bind(&target.host)
            .bind(&target.repository)
            .bind(&status.context)
            .fetch_optional(&mut *tx)
            .await
            .map_err(|source| self.error(source))?;
            if last.is_some_and(|(state, description, url)| {
                state == status.state
                    && description == status.description
                    && url == status.target_url
            }) {
                continue;
            }
            sqlx::query(
                "INSERT INTO status_outbox (commit_id, host, repository, pull_request, context, \
                 state, description, target_url, queued_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            )
            .bind(&target.commit)
            .bind(&target.host)
            .bind(&target.repository)
            .bind(&target.pull_request)
            .bind(&status.context)
            .bind(&status.state)
            .bind(&status.description)
            .bind(&status.target_url)
            .bind(at)
            .execute(&mut *tx)
            .await
            .map_err(|source| self.error(source))?;
            queued += 1;
        }
        tx.commit().await.map_err(|source| self.error(source))?;
        Ok(queued)
    }

    /// Every status not sent yet, oldest first.
    pub async fn unsent(&self) -> Result<Vec<OutboxRow>, StoreError> {
        let rows: Vec<OutboxSqlRow> = sqlx::query_as(
            "SELECT id, commit_id, host, repository, pull_request, context, state, description, \
             target_url, attempts, next_attempt_at FROM status_outbox WHERE sent_at IS NULL ORDER BY id",
        )
        .fetch_all(&self.pool)
        .await
        .map_err(|source| self.error(source))?;
        Ok(rows
            .into_iter()
            .map(
                |(
                    id,
                    commit,
                    host,
                    repository,
                    pull_request,
                    context,
                    state,
                    description,
                    target_url,
                    attempts,
                    next_attempt_at,
                )| OutboxRow {
                    id,
                    target: StatusTarget {
                        commit,
                        host,
                        repository,
                        pull_request,
                        web_url: None,
                    },
                    status: QueuedStatus {
                        context,
                        state,
                        description,
                        target_url,
                    },
                    attempts,
                    next_attempt_at,
                },
            )
            .collect())
    }

    /// How many statuses left the outbox (posted, or refused by the host) by state
    /// (`pending`, `success`, `failure`, `error`), and how many wait in it.
    pub async fn counts(&self) -> Result<(Vec<(String, i64)>, i64), StoreError> {
        let sent = sqlx::query_as(
            "SELECT state, COUNT(*) FROM status_outbox WHERE sent_at IS NOT NULL \
             GROUP BY state ORDER BY state",
        )
        .fetch_all(&self.pool)
        .await
        .map_err(|source| self.error(source))?;
        let backlog =
            sqlx::query_scalar("SELECT COUNT(*) FROM status_outbox WHERE sent_at IS NULL")
                .fetch_one(&self.pool)
                .await
                .map_err(|source| self.error(source))?;
        Ok((sent, backlog))
    }

    /// Every unsent status may be tried at once: at a start, the host may well be back.
    pub async fn retry_now(&self) -> Result<(), StoreError> {
        sqlx::query("UPDATE status_outbox SET next_attempt_at = 0 WHERE sent_at IS NULL")
            .execute(&self.pool)
            .await
            .map_err(|source| self.error(source))?;
        Ok(())
    }

    /// The host took the status.
    pub async fn mark_sent(&self, id: i64, at: Millis) -> Result<(), StoreError> {
        sqlx::query("UPDATE status_outbox SET sent_at = ?, attempts = attempts + 1 WHERE id = ?")
            .bind(at)
            .bind(id)
            .execute(&self.pool)
            .await
            .map_err(|source| self.error(source))?;
        Ok(())
    }

    /// The host refused the status itself (it would refuse it again): it leaves the queue,
    /// with the host's answer kept, so that the statuses after it go on.
    pub async fn mark_refused(&self, id: i64, error: &str, at: Millis) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE status_outbox SET sent_at = ?, attempts = attempts + 1, last_error = ? WHERE id = ?",
        )
        .bind(at)
        .bind(error)
        .bind(id)
        .execute(&self.pool)
        .await
        .map_err(|source| self.error(source))?;
        Ok(())
    }

    /// A post failed: why, and not before `next_attempt_at`.
    pub async fn mark_failed(
        &self,
        id: i64,
        error: &str,
        next_attempt_at: Millis,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE status_outbox SET attempts = attempts + 1, last_error = ?, next_attempt_at = ? \
             WHERE id = ?",
        )
        .bind(error)
        .bind(next_attempt_at)
        .bind(id)
        .execute(&self.pool)
        .await
        .map_err(|source| self.error(source))?;
        Ok(())
    }

    fn error(&self, source: sqlx::Error) -> StoreError {
        StoreError::HostStatuses {
            path: self.path.clone(),
            source,
        }
    }
}
