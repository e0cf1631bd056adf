//! What the server tells the dispatcher loop of `lanes serve`, once it is in the ledger.

/// Something recorded that may let lanes move.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Notice {
    /// A webhook delivery asks for the lanes of a commit.
    Delivery { id: i64, commit: String },
    /// A person decided (approved, rejected, retried, promoted, asked for a run) about a commit.
    Decision { commit: String },
}
