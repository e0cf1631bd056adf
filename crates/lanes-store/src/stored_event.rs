//! An event as the ledger holds it: with its id and the time it was recorded.

use lanes_engine::{Event, Millis};

/// One row of the ledger.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredEvent {
    /// The event's position in the ledger: ids grow in the order events were appended.
    pub id: i64,
    /// When the store wrote it (the event's own `at` is when it happened).
    pub recorded_at: Millis,
    pub event: Event,
}
