//! The store: one ledger file, the world replayed from it, and appends that keep the two in
//! step with each other and with the other processes sharing the file.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use lanes_engine::{Event, LaneId, Millis, World};
use sqlx::SqliteConnection;
use sqlx::error::DatabaseError;
use sqlx::migrate::{MigrateError, Migrator};
use sqlx::sqlite::{SqliteConnectOptions, SqlitePool, SqlitePoolOptions, SqliteSynchronous};

use crate::event_check::EventCheck;
use crate::projection::{Projection, lane_key};
use crate::{RunId, RunRecord, StoreError, StoredEvent};

static MIGRATOR: Migrator = sqlx::migrate!("./migrations");

/// How long a writer waits for another process's write transaction before giving up.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// Connections a store keeps to its ledger.
const MAX_CONNECTIONS: u32 = 4;

/// Events read per query when replaying.
const PAGE: i64 = 4096;

/// Events folded after the newest snapshot beyond which opening the ledger writes a new one.
const SNAPSHOT_AFTER: usize = 1000;

/// The ledger and the world it holds.
///
/// Every event is appended in one transaction with the projection tables it changes, and the
/// in-memory [`World`] follows only once that transaction is durable. Several `Store`s (in
/// several processes) may share one file: each appends only on top of the ledger it last read,
/// so a decision is never recorded on an outdated world.
#[derive(Debug)]
pub struct Store {
    path: PathBuf,
    pub(crate) pool: SqlitePool,
    pub(crate) world: World,
    /// The id of the newest event `world` holds; 0 for none.
    pub(crate) last_event: i64,
    /// Set while `world` may hold events the ledger does not: an append applied them and was
    /// then cancelled. The next `append` or `refresh` reads the world again.
    pub(crate) stale: bool,
    /// Whether `world` holds every lane ever run (replayed from the first event) rather than
    /// the working set and the commits focused on.
    pub(crate) whole: bool,
    /// The commits focused on since the working set was last read: read again with it.
    pub(crate) focused: BTreeSet<String>,
    /// When the working set was last kept alone (see `compact`).
    pub(crate) compacted_at: Instant,
}

impl Store {
    /// Opens the ledger at `path`, creating it if needed, brings its schema up to date and
    /// loads the world's working set (see [`World`]): the newest snapshot and the events after
    /// it. When those events are many, it writes a new snapshot. What a command reads about a
    /// commit outside the working set it asks for with [`focus`](Self::focus).
    ///
    /// The file is in WAL mode with `synchronous=FULL`: an acknowledged append survives the
    /// process being killed and the machine losing power. Writers wait up to 10 s for each other.
    pub async fn open(path: &Path) -> Result<Self, StoreError> {
        let mut store = Self::connect(path, false).await?;
        let folded = store.load().await?;
        if folded >= SNAPSHOT_AFTER || (folded > 0 && store.snapshot_id().await? == 0) {
            store.compact().await?;
        }
        Ok(store)
    }

    /// Opens the ledger like [`open`](Self::open), but replays every event from the first:
    /// the world holds every lane ever run. It costs all of history; for what reads all of it.
    pub async fn open_whole(path: &Path) -> Result<Self, StoreError> {
        let mut store = Self::connect(path, true).await?;
        store.refresh().await?;
        Ok(store)
    }

    async fn connect(path: &Path, whole: bool) -> Result<Self, StoreError> {
        // The journal mode is left out here: see `use_wal`.
        let options = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(true)
            .synchronous(SqliteSynchronous::Full)
            .busy_timeout(BUSY_TIMEOUT)
            .foreign_keys(true);
        let pool = SqlitePoolOptions::new()
            .max_connections(MAX_CONNECTIONS)
            .connect_with(options)
            .await
            .map_err(|source| open_error(path, source))?;
        let mode = use_wal(&pool)
            .await
            .map_err(|source| open_error(path, source))?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(StoreError::JournalMode {
                path: path.to_path_buf(),
                mode,
            });
        }
        migrate(&pool).await.map_err(|source| StoreError::Migrate {
            path: path.to_path_buf(),
            source,
        })?;
        Ok(Self {
            path: path.to_path_buf(),
            pool,
            world: World::new(),
            last_event: 0,
            stale: false,
            whole,
            focused: BTreeSet::new(),
            compacted_at: Instant::now(),
        })
    }

    /// The world as of the newest event this store has read (until the next `append` or
    /// `refresh`, it may also hold the events of an append that was cancelled).
    #[must_use]
    pub fn world(&self) -> &World {
        &self.world
    }

    /// The id of the newest event this store has read (0 for none): followers ask for the
    /// events after it.
    #[must_use]
    pub fn last_event_id(&self) -> i64 {
        self.last_event
    }

    /// The ledger file.
    #[must_use]
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Appends `events` atomically: the event rows and the projection rows they change are
    /// written in one transaction, and the world follows once it is committed.
    ///
    /// Refused, with nothing written, when an event contradicts the world
    /// ([`StoreError::InvalidEvent`]) or when another process appended since this store last
    /// read the ledger ([`StoreError::Conflict`]): then [`refresh`](Self::refresh) and decide
    /// again. When writing fails, the world is read again from the ledger.
    ///
    /// Dropping the future midway is safe: its events may still reach the ledger (a commit in
    /// flight completes), and the next `append` or `refresh` reads the world again.
    pub async fn append(&mut self, events: &[Event]) -> Result<(), StoreError> {
        if events.is_empty() {
            return Ok(());
        }
        if self.stale {
            // The caller decided on events the ledger may not hold: the conflict check below
            // makes it read the ledger and decide again.
            self.reload().await?;
        }
        for event in events {
            self.restore_referenced(event, self.last_event).await?;
        }
        let mut check = EventCheck::new(&self.world);
        for (index, event) in events.iter().enumerate() {
            check
                .check(event)
                .map_err(|problem| StoreError::InvalidEvent {
                    path: self.path.clone(),
                    index,
                    kind: event.kind(),
                    problem,
                })?;
        }
        // IMMEDIATE takes the write lock now, so the newest id cannot change before we commit.
        let mut tx = self
            .pool
            .begin_with("BEGIN IMMEDIATE")
            .await
            .map_err(|source| append_error(&self.path, events, source))?;
        let found: i64 = sqlx::query_scalar("SELECT COALESCE(MAX(id), 0) FROM events")
            .fetch_one(&mut *tx)
            .await
            .map_err(|source| append_error(&self.path, events, source))?;
        if found != self.last_event {
            tx.rollback()
                .await
                .map_err(|source| append_error(&self.path, events, source))?;
            return Err(StoreError::Conflict {
                path: self.path.clone(),
                known: self.last_event,
                found,
            });
        }
        // Applied in place rather than to a copy: copying a large world for every append
        // costs more than reading it again on the rare failed write.
        let mut projection = Projection::default();
        self.stale = true;
        for (index, event) in events.iter().enumerate() {
            self.world.apply(event);
            projection.record(&self.world, index, event);
        }
        let written = match write(&mut tx, &self.world, events, &projection).await {
            Ok(last) => tx.commit().await.map(|()| last),
            Err(error) => {
                let _ = tx.rollback().await;
                Err(error)
            }
        };
        match written {
            Ok(last) => {
                self.last_event = last;
                self.stale = false;
                Ok(())
            }
            Err(source) => {
                let error = append_error(&self.path, events, source);
                // A failure here leaves the world behind the ledger but consistent: the next
                // `refresh` goes on.
                let _ = self.reload().await;
                Err(error)
            }
        }
    }

    /// Reads the events appended (by other processes) since this store last read the ledger.
    pub async fn refresh(&mut self) -> Result<(), StoreError> {
        if self.stale {
            self.reload().await?;
        }
        self.fold_tail().await.map(|_| ())
    }

    /// Folds in the events after the newest one read; returns how many.
    pub(crate) async fn fold_tail(&mut self) -> Result<usize, StoreError> {
        let mut folded = 0;
        loop {
            let page = self.events_after(self.last_event, PAGE).await?;
            folded += page.len();
            for stored in &page {
                self.restore_referenced(&stored.event, stored.id - 1)
                    .await?;
                EventCheck::new(&self.world)
                    .check(&stored.event)
                    .map_err(|problem| StoreError::Inconsistent {
                        path: self.path.clone(),
                        id: stored.id,
                        problem,
                    })?;
                self.world.apply(&stored.event);
                self.last_event = stored.id;
            }
            if page.len() < usize::try_from(PAGE).expect("the page size is positive") {
                return Ok(folded);
            }
        }
    }

    /// Up to `limit` events with ids above `after`, oldest first: followers page through the
    /// ledger with it.
    pub async fn events_after(
        &self,
        after: i64,
        limit: i64,
    ) -> Result<Vec<StoredEvent>, StoreError> {
        let rows: Vec<(i64, i64, String)> = sqlx::query_as(
            "SELECT id, recorded_at, body FROM events WHERE id > ? ORDER BY id LIMIT ?",
        )
        .bind(after)
        .bind(limit)
        .fetch_all(&self.pool)
        .await
        .map_err(|source| self.read_error(source))?;
        rows.into_iter().map(|row| self.decode(row)).collect()
    }

    /// Every event about one lane, oldest first: its history.
    pub async fn events_of_lane(&self, lane: LaneId) -> Result<Vec<StoredEvent>, StoreError> {
        let rows: Vec<(i64, i64, String)> =
            sqlx::query_as("SELECT id, recorded_at, body FROM events WHERE lane = ? ORDER BY id")
                .bind(lane_key(lane))
                .fetch_all(&self.pool)
                .await
                .map_err(|source| self.read_error(source))?;
        rows.into_iter().map(|row| self.decode(row)).collect()
    }

    /// Records that a `lanes run` of `commit` started in process `pid`.
    pub async fn begin_run(&self, commit: &str, pid: u32, at: Millis) -> Result<RunId, StoreError> {
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO runs (commit_id, pid, started_at) VALUES (?, ?, ?) RETURNING id",
        )
        .bind(commit)
        .bind(pid)
        .bind(at)
        .fetch_one(&self.pool)
        .await
        .map_err(|source| self.run_error(source))?;
        Ok(RunId(id))
    }

    /// Records that a run ended (whatever became of its lanes).
    pub async fn finish_run(&self, run: RunId, at: Millis) -> Result<(), StoreError> {
        let done = sqlx::query("UPDATE runs SET finished_at = ? WHERE id = ?")
            .bind(at)
            .bind(run.0)
            .execute(&self.pool)
            .await
            .map_err(|source| self.run_error(source))?;
        if done.rows_affected() == 0 {
            return Err(StoreError::UnknownRun {
                path: self.path.clone(),
                run,
            });
        }
        Ok(())
    }

    /// Runs that started and never finished, oldest first: running now, or crashed (their
    /// process is gone) and to be recovered.
    pub async fn unfinished_runs(&self) -> Result<Vec<RunRecord>, StoreError> {
        let rows: Vec<(i64, String, u32, i64)> = sqlx::query_as(
            "SELECT id, commit_id, pid, started_at FROM runs \
             WHERE finished_at IS NULL ORDER BY id",
        )
        .fetch_all(&self.pool)
        .await
        .map_err(|source| self.read_error(source))?;
        Ok(rows
            .into_iter()
            .map(|(id, commit, pid, started_at)| RunRecord {
                id: RunId(id),
                commit,
                pid,
                started_at,
                finished_at: None,
            })
            .collect())
    }

    /// Closes the connections and waits for them to close (the last connection to the file
    /// checkpoints the write-ahead log into it).
    pub async fn close(self) {
        self.pool.close().await;
    }

    /// Reads the world again (the whole ledger, or the snapshot, the events after it and the
    /// commits focused on), after an append left it ahead of the ledger.
    async fn reload(&mut self) -> Result<(), StoreError> {
        self.stale = false;
        if self.whole {
            self.world = World::new();
            self.last_event = 0;
            self.fold_tail().await?;
        } else {
            self.load().await?;
        }
        Ok(())
    }

    pub(crate) fn decode(
        &self,
        (id, recorded_at, body): (i64, i64, String),
    ) -> Result<StoredEvent, StoreError> {
        let event = serde_json::from_str(&body).map_err(|source| StoreError::Decode {
            path: self.path.clone(),
            id,
            source,
        })?;
        Ok(StoredEvent {
            id,
            recorded_at,
            event,
        })
    }

    pub(crate) fn read_error(&self, source: sqlx::Error) -> StoreError {
        StoreError::Read {
            path: self.path.clone(),
            source,
        }
    }

    fn run_error(&self, source: sqlx::Error) -> StoreError {
        StoreError::RecordRun {
            path: self.path.clone(),
            source,
        }
    }
}

fn open_error(path: &Path, source: sqlx::Error) -> StoreError {
    StoreError::Open {
        path: path.to_path_buf(),
        source,
    }
}

fn append_error(path: &Path, events: &[Event], source: sqlx::Error) -> StoreError {
    StoreError::Append {
        path: path.to_path_buf(),
        count: events.len(),
        source,
    }
}

/// Puts the file in WAL mode (it stays so) and returns the mode it is in.
///
/// Switching a file into WAL mode takes an exclusive lock that the busy timeout does not wait
/// for, so processes opening a new ledger at once may find it busy: they try again.
async fn use_wal(pool: &SqlitePool) -> Result<String, sqlx::Error> {
    let deadline = Instant::now() + BUSY_TIMEOUT;
    loop {
        match sqlx::query_scalar("PRAGMA journal_mode = WAL")
            .fetch_one(pool)
            .await
        {
            Err(error) if is_busy(&error) && Instant::now() < deadline => {
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            result => return result,
        }
    }
}

/// Whether the database reported `SQLITE_BUSY` or `SQLITE_LOCKED` (with any extended code).
fn is_busy(error: &sqlx::Error) -> bool {
    const SQLITE_BUSY: i32 = 5;
    const SQLITE_LOCKED: i32 = 6;
    error
        .as_database_error()
        .and_then(DatabaseError::code)
        .and_then(|code| code.parse::<i32>().ok())
        .is_some_and(|code| matches!(code & 0xff, SQLITE_BUSY | SQLITE_LOCKED))
}

/// Applies the embedded migrations under the write lock, so that processes opening a new
/// ledger at once do not both create it.
async fn migrate(pool: &SqlitePool) -> Result<(), MigrateError> {
    let mut tx = pool.begin_with("BEGIN IMMEDIATE").await?;
    // `run_direct` is what `run` calls; sqlx exposes it (hidden) because `run`'s `Acquire`
    // bound makes the future's `Send` unprovable, and callers need to spawn `Store::open`.
    MIGRATOR.run_direct(None, &mut *tx, false).await?;
    tx.commit().await?;
    Ok(())
}

/// Writes the events and their projection rows; returns the id of the last event.
async fn write(
    conn: &mut SqliteConnection,
    world: &World,
    events: &[Event],
    projection: &Projection,
) -> Result<i64, sqlx::Error> {
    let recorded_at = now();
    projection.write_lanes(conn, world).await?;
    let mut ids = Vec::with_capacity(events.len());
    for event in events {
        let body = serde_json::to_string(event).expect("an event serializes to JSON");
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO events (lane, kind, body, recorded_at) VALUES (?, ?, ?, ?) RETURNING id",
        )
        .bind(event.lane().map(lane_key))
        .bind(event.kind())
        .bind(body)
        .bind(recorded_at)
        .fetch_one(&mut *conn)
        .await?;
        ids.push(id);
    }
    projection.write_rest(conn, world, &ids).await?;
    Ok(*ids.last().expect("the batch is not empty"))
}

/// Milliseconds since the Unix epoch: when the store records an event.
pub(crate) fn now() -> Millis {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |since| {
            Millis::try_from(since.as_millis()).unwrap_or(Millis::MAX)
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An acknowledged append survives a crash only if the connection that wrote it syncs the
    /// WAL on every commit: `synchronous` is a setting of each connection, not of the file.
    #[tokio::test]
    async fn every_connection_of_the_ledger_is_wal_and_synchronous_full() {
        const FULL: i64 = 2;
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("ledger.db")).await.unwrap();
        let mut connections = Vec::new();
        for _ in 0..MAX_CONNECTIONS {
            connections.push(store.pool.acquire().await.unwrap());
        }
        for connection in &mut connections {
            let synchronous: i64 = sqlx::query_scalar("PRAGMA synchronous")
                .fetch_one(&mut **connection)
                .await
                .unwrap();
            assert_eq!(
                synchronous, FULL,
                "PRAGMA synchronous of a ledger connection"
            );
            let mode: String = sqlx::query_scalar("PRAGMA journal_mode")
                .fetch_one(&mut **connection)
                .await
                .unwrap();
            assert_eq!(mode, "wal");
        }
    }
}
