//! Webhooks from git hosts: authenticated before their body is parsed, bounded in size and
//! time, recorded in the ledger once by their delivery id, then acknowledged.

mod azure_devops;
mod credential;
mod github;
mod gitlab;
mod host;
mod receive;
mod trigger;

pub use credential::github_signature_matches;
pub use host::Host;
pub(crate) use receive::receive;
pub use trigger::Trigger;
