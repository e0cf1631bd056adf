//! The id of a blob, tree or other git object.

use std::fmt;

/// The id of a git object, such as the blob of a file; its bytes feed fingerprints.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ObjectId(pub(crate) gix::ObjectId);

impl ObjectId {
    /// The raw id bytes (20 for SHA-1).
    #[must_use]
    pub fn as_bytes(&self) -> &[u8] {
        self.0.as_bytes()
    }
}

impl fmt::Display for ObjectId {
    /// The full hex id.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}
