//! The ledger of lanes in `SQLite`: every engine [`Event`](lanes_engine::Event), appended in the
//! same transaction as the projection tables it changes, and the engine's
//! [`World`](lanes_engine::World) replayed from it. Several processes share one ledger file;
//! an append made on an outdated world is refused, never merged.

mod api_tokens;
mod deliveries;
mod delivery;
mod event_check;
mod flow_projection;
mod host_statuses;
mod projection;
mod role;
mod run_record;
mod store;
mod store_error;
mod stored_event;
mod working_set;

pub use api_tokens::{ApiToken, ApiTokens};
pub use deliveries::Deliveries;
pub use delivery::{Delivery, NewDelivery};
pub use host_statuses::{HostStatuses, OutboxRow, QueuedStatus, StatusTarget};
pub use role::Role;
pub use run_record::{RunId, RunRecord};
pub use store::Store;
pub use store_error::StoreError;
pub use stored_event::StoredEvent;
pub use working_set::LaneFilter;
