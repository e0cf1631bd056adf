//! Everything that can go wrong opening, reading or appending to the ledger.

use std::path::PathBuf;

use crate::RunId;

/// A failed ledger operation; messages read after "failed to ...".
///
/// Variants with a `source` leave it out of their message: report the whole chain (miette,
/// anyhow's `{:#}`) to show it.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database could not be opened or created.
    #[error("open the ledger {}", path.display())]
    Open {
        /// The database file.
        path: PathBuf,
        /// What the database reported.
        source: sqlx::Error,
    },
    /// The file cannot use a write-ahead log (it is not on a local file system, say).
    #[error("open the ledger {}: it stays in {mode} journal mode, and lanes needs a write-ahead log (WAL)", path.display())]
    JournalMode {
        /// The database file.
        path: PathBuf,
        /// The journal mode the database kept.
        mode: String,
    },
    /// The schema could not be brought up to date (or the ledger was written by a newer lanes).
    #[error("migrate the ledger {} to this version of lanes", path.display())]
    Migrate {
        /// The database file.
        path: PathBuf,
        /// What the migrator reported.
        source: sqlx::migrate::MigrateError,
    },
    /// Keeping a snapshot of the world failed.
    #[error("write a snapshot of the world into the ledger {}", path.display())]
    Snapshot {
        /// The database file.
        path: PathBuf,
        /// What the database reported.
        source: sqlx::Error,
    },
    /// Reading events or runs failed.
    #[error("read the ledger {}", path.display())]
    Read {
        /// The database file.
        path: PathBuf,
        /// What the database reported.
        source: sqlx::Error,
    },
    /// A stored event is not one this version of lanes understands.
    #[error("read event {id} of the ledger {}: it is not an event this version of lanes knows", path.display())]
    Decode {
        /// The database file.
        path: PathBuf,
        /// The event's id.
        id: i64,
        /// What JSON decoding reported.
        source: serde_json::Error,
    },
    /// A stored event contradicts the ones before it: the ledger was changed by hand.
    #[error("replay event {id} of the ledger {}: {problem}", path.display())]
    Inconsistent {
        /// The database file.
        path: PathBuf,
        /// The event's id.
        id: i64,
        /// What is wrong with it.
        problem: String,
    },
    /// An event to append contradicts the world it would be appended to; nothing was written.
    #[error("append to the ledger {}: event {index} ({kind}) {problem}", path.display())]
    InvalidEvent {
        /// The database file.
        path: PathBuf,
        /// The event's position in the appended batch, from 0.
        index: usize,
        /// The kind of event (`stage_finished`, ...).
        kind: &'static str,
        /// What is wrong with it.
        problem: String,
    },
    /// Another process appended since this store last read the ledger: the decision was made on
    /// an old world. Nothing was written; `refresh` and decide again.
    #[error(
        "append to the ledger {}: another process appended since this store read it (it knew events up to {known}, the ledger holds {found}); refresh and decide again",
        path.display()
    )]
    Conflict {
        /// The database file.
        path: PathBuf,
        /// The newest event id this store had read.
        known: i64,
        /// The newest event id in the ledger.
        found: i64,
    },
    /// Writing the events or their projections failed; nothing was written.
    #[error("append {count} events to the ledger {}", path.display())]
    Append {
        /// The database file.
        path: PathBuf,
        /// How many events the batch held.
        count: usize,
        /// What the database reported.
        source: sqlx::Error,
    },
    /// Recording the start or end of a run failed.
    #[error("record a run in the ledger {}", path.display())]
    RecordRun {
        /// The database file.
        path: PathBuf,
        /// What the database reported.
        source: sqlx::Error,
    },
    /// `finish_run` named a run the ledger does not hold.
    #[error("finish run {run} in the ledger {}: no such run", path.display())]
    UnknownRun {
        /// The database file.
        path: PathBuf,
        /// The run asked for.
        run: RunId,
    },
    /// Reading or writing webhook deliveries failed.
    #[error("record webhook deliveries in the ledger {}", path.display())]
    Deliveries {
        /// The database file.
        path: PathBuf,
        /// What the database reported.
        source: sqlx::Error,
    },
    /// Reading or writing the outbox of host statuses failed.
    #[error("record host statuses in the ledger {}", path.display())]
    HostStatuses {
        /// The database file.
        path: PathBuf,
        /// What the database reported.
        source: sqlx::Error,
    },
    /// Reading or writing API tokens failed.
    #[error("use the API tokens of the ledger {}", path.display())]
    ApiTokens {
        /// The database file.
        path: PathBuf,
        /// What the database reported.
        source: sqlx::Error,
    },
}
