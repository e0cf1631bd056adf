//! Opening the ledger at the cost of what is active: the snapshot of the world's working set,
//! the events after it, and the retired lanes and commits read back when someone needs them.

use std::time::{Duration, Instant};

use lanes_engine::{Event, LaneId, SNAPSHOT_FORMAT, World};

use crate::projection::lane_key;
use crate::store::now;
use crate::{Store, StoreError};

/// How often a long-lived reader lets go of what it read (see `refresh_and_forget`).
const FORGET_EVERY: Duration = Duration::from_mins(1);

/// A page of the lanes a list reads, newest first.
#[derive(Debug, Clone, Default)]
pub struct LaneFilter {
    /// Only this component's lanes.
    pub component: Option<String>,
    /// Only lanes of commits starting with this.
    pub commit_prefix: Option<String>,
    /// Only lanes older than this one.
    pub before: Option<LaneId>,
}

impl Store {
    /// Reads the newest snapshot, then the events after it, and the commits focused on before;
    /// returns how many events came after the snapshot.
    pub(crate) async fn load(&mut self) -> Result<usize, StoreError> {
        let snapshot: Option<(i64, String)> =
            sqlx::query_as("SELECT last_event, body FROM snapshots WHERE format = ?")
                .bind(SNAPSHOT_FORMAT)
                .fetch_optional(&self.pool)
                .await
                .map_err(|source| self.read_error(source))?;
        // A snapshot that does not read is only a cache gone bad: the events are replayed.
        let read =
            snapshot.and_then(|(last, body)| Some((last, World::from_snapshot(&body).ok()?)));
        (self.last_event, self.world) = read.unwrap_or_default();
        let folded = self.fold_tail().await?;
        for commit in std::mem::take(&mut self.focused) {
            self.focus(&commit).await?;
        }
        Ok(folded)
    }

    /// The event the newest snapshot folds up to; 0 when there is none.
    pub(crate) async fn snapshot_id(&self) -> Result<i64, StoreError> {
        sqlx::query_scalar("SELECT COALESCE(MAX(last_event), 0) FROM snapshots WHERE format = ?")
            .bind(SNAPSHOT_FORMAT)
            .fetch_one(&self.pool)
            .await
            .map_err(|source| self.read_error(source))
    }

    /// Lets go of every lane outside the working set and keeps a snapshot of what is left, so
    /// that opening the ledger next reads only that and the events after it; then reads the
    /// commits focused on back. (Whoever holds a world replayed whole keeps it whole.)
    pub async fn compact(&mut self) -> Result<(), StoreError> {
        if self.whole || self.stale {
            return Ok(());
        }
        self.compacted_at = Instant::now();
        self.world.retire();
        let body = self.world.to_snapshot();
        sqlx::query(
            "INSERT INTO snapshots (format, last_event, body, written_at) VALUES (?, ?, ?, ?) \
             ON CONFLICT (format) DO UPDATE SET last_event = excluded.last_event, \
             body = excluded.body, written_at = excluded.written_at \
             WHERE excluded.last_event > snapshots.last_event",
        )
        .bind(SNAPSHOT_FORMAT)
        .bind(self.last_event)
        .bind(body)
        .bind(now())
        .execute(&self.pool)
        .await
        .map_err(|source| StoreError::Snapshot {
            path: self.path().to_path_buf(),
            source,
        })?;
        for commit in std::mem::take(&mut self.focused) {
            self.focus(&commit).await?;
        }
        Ok(())
    }

    /// Reads the events appended since, and once a minute at most also lets go of everything
    /// outside the working set, the commits focused on included: for a long-lived reader that
    /// focuses on what it reads each time (a server's pages), so that it holds what is active,
    /// not all it was ever asked.
    pub async fn refresh_and_forget(&mut self) -> Result<(), StoreError> {
        self.refresh().await?;
        if self.compacted_at.elapsed() >= FORGET_EVERY {
            self.focused.clear();
            self.compact().await?;
        }
        Ok(())
    }

    /// Reads back what the world needs to decide about `commit` and to show it: what was
    /// recorded at it, its lanes, and every lane of the versions it holds (whether one passed
    /// a stage before, since when one is red). Until the next [`compact`](Self::compact), the
    /// world holds them and follows them.
    pub async fn focus(&mut self, commit: &str) -> Result<(), StoreError> {
        if self.whole {
            return Ok(());
        }
        self.focused.insert(commit.to_owned());
        if self.world.recorded_commit(commit).is_none() {
            let body: Option<(i64, i64, String)> = sqlx::query_as(
                "SELECT id, recorded_at, body FROM events \
                 WHERE kind = 'commit_recorded' AND json_extract(body, '$.commit') = ? \
                 AND id <= ? ORDER BY id DESC LIMIT 1",
            )
            .bind(commit)
            .bind(self.last_event)
            .fetch_optional(&self.pool)
            .await
            .map_err(|source| self.read_error(source))?;
            if let Some(row) = body {
                let stored = self.decode(row)?;
                self.world.restore_commit(&stored.event);
            }
        }
        let ids: Vec<i64> = sqlx::query_scalar("SELECT id FROM lanes WHERE commit_id = ?")
            .bind(commit)
            .fetch_all(&self.pool)
            .await
            .map_err(|source| self.read_error(source))?;
        self.restore_lanes(ids).await?;
        let mut versions: Vec<(String, String)> = self
            .world
            .lanes_of_commit(commit)
            .map(|lane| (lane.component.clone(), lane.fingerprint.clone()))
            .collect();
        if let Some(recorded) = self.world.recorded_commit(commit) {
            versions.extend(
                recorded
                    .fingerprints
                    .iter()
                    .map(|(component, fingerprint)| (component.clone(), fingerprint.clone())),
            );
        }
        versions.sort_unstable();
        versions.dedup();
        for (component, fingerprint) in versions {
            let ids: Vec<i64> =
                sqlx::query_scalar("SELECT id FROM lanes WHERE component = ? AND fingerprint = ?")
                    .bind(&component)
                    .bind(&fingerprint)
                    .fetch_all(&self.pool)
                    .await
                    .map_err(|source| self.read_error(source))?;
            self.restore_lanes(ids).await?;
        }
        Ok(())
    }

    /// The commits whose lanes start with `prefix`, at most `limit` of them.
    pub async fn commits_starting_with(
        &self,
        prefix: &str,
        limit: i64,
    ) -> Result<Vec<String>, StoreError> {
        sqlx::query_scalar(
            "SELECT DISTINCT commit_id FROM lanes WHERE commit_id >= ?1 AND commit_id < ?1 || '~' \
             ORDER BY commit_id LIMIT ?2",
        )
        .bind(prefix)
        .bind(limit)
        .fetch_all(&self.pool)
        .await
        .map_err(|source| self.read_error(source))
    }

    /// The ids of up to `limit` lanes, newest first, that `filter` lets through.
    pub async fn lane_ids(
        &self,
        filter: &LaneFilter,
        limit: i64,
    ) -> Result<Vec<LaneId>, StoreError> {
        let prefix = filter.commit_prefix.as_deref().unwrap_or("");
        let ids: Vec<i64> = sqlx::query_scalar(
            "SELECT id FROM lanes WHERE (?1 IS NULL OR component = ?1) \
             AND commit_id >= ?2 AND commit_id < ?2 || '~' AND id < ?3 \
             ORDER BY id DESC LIMIT ?4",
        )
        .bind(filter.component.as_deref())
        .bind(prefix)
        .bind(filter.before.map_or(i64::MAX, lane_key))
        .bind(limit)
        .fetch_all(&self.pool)
        .await
        .map_err(|source| self.read_error(source))?;
        Ok(ids.into_iter().map(lane_id).collect())
    }

    /// Holds the given lanes, reading back those retired, and the commits they are of.
    pub async fn hold_lanes(&mut self, ids: &[LaneId]) -> Result<(), StoreError> {
        self.restore_lanes(ids.iter().map(|id| lane_key(*id)).collect())
            .await
    }

    /// Holds every lane that deployed somewhere or was rolled back to: what delivery metrics
    /// read (how long each deployed version walked).
    pub async fn hold_deployed_lanes(&mut self) -> Result<(), StoreError> {
        let ids: Vec<LaneId> = self
            .world
            .deploy_histories()
            .flat_map(|(_, _, history)| history.iter().map(|record| record.lane))
            .collect();
        self.hold_lanes(&ids).await
    }

    /// Reads back the lane an event is about when the world retired it, from its events up to
    /// `upto` (the event itself not among them).
    pub(crate) async fn restore_referenced(
        &mut self,
        event: &Event,
        upto: i64,
    ) -> Result<(), StoreError> {
        if let Some(id) = event.lane()
            && self.world.is_retired(id)
        {
            self.restore_lane(id, upto).await?;
        }
        Ok(())
    }

    async fn restore_lanes(&mut self, ids: Vec<i64>) -> Result<(), StoreError> {
        for id in ids.into_iter().map(lane_id) {
            if self.world.is_retired(id) {
                self.restore_lane(id, self.last_event).await?;
            }
        }
        Ok(())
    }

    async fn restore_lane(&mut self, id: LaneId, upto: i64) -> Result<(), StoreError> {
        let rows: Vec<(i64, i64, String)> = sqlx::query_as(
            "SELECT id, recorded_at, body FROM events WHERE lane = ? AND id <= ? ORDER BY id",
        )
        .bind(lane_key(id))
        .bind(upto)
        .fetch_all(&self.pool)
        .await
        .map_err(|source| self.read_error(source))?;
        let events = rows
            .into_iter()
            .map(|row| self.decode(row).map(|stored| stored.event))
            .collect::<Result<Vec<_>, _>>()?;
        self.world.restore_lane(&events);
        Ok(())
    }
}

fn lane_id(key: i64) -> LaneId {
    LaneId(key.cast_unsigned())
}
