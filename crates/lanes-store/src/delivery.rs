//! A webhook delivery as the ledger keeps it: which host sent it, what it asks for, and what
//! came of it.

use lanes_engine::Millis;

/// A delivery to record: what a webhook said, once authenticated and understood.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct NewDelivery {
    /// `github`, `gitlab` or `azure-devops`.
    pub host: String,
    /// The host's id for the delivery: a redelivery carries the same one.
    pub delivery: String,
    /// `push`, `pull_request.opened`, ...
    pub event: String,
    /// The commit whose lanes to run; `None` for events lanes does not act on.
    pub commit: Option<String>,
    /// The branch or tag.
    pub ref_name: Option<String>,
    /// Why lanes runs it, or why not.
    pub reason: String,
}

/// A recorded delivery: what it said, and what came of it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Delivery {
    pub id: i64,
    #[serde(flatten)]
    pub said: NewDelivery,
    pub received_at: Millis,
    pub handled_at: Option<Millis>,
    pub outcome: Option<String>,
}
