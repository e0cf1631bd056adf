//! Verdicts back to the git hosts: the statuses a commit should show (one per component,
//! `lanes/<component>`, and the aggregate `lanes`), queued in the ledger's outbox when they
//! change and posted in order per commit, retried with backoff until the host takes them.

mod desired;
mod host_api;
mod links;
mod reporter;

pub use desired::desired_statuses;
pub use host_api::{HostApi, HostApis};
pub(crate) use links::{HostLink, host_links};
pub use reporter::StatusReporter;
