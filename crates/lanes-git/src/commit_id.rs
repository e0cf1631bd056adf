//! The id of a commit.

use std::fmt;

/// The id of a commit known to exist in the repository it was resolved in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CommitId(pub(crate) gix::ObjectId);

impl CommitId {
    /// The abbreviated id, 7 hex digits, for messages.
    #[must_use]
    pub fn short(&self) -> String {
        self.0.to_hex_with_len(7).to_string()
    }
}

impl fmt::Display for CommitId {
    /// The full 40-digit hex id.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}
