//! A file entry of a commit's tree.

use crate::ObjectId;

/// A non-directory entry of a commit's tree: a blob, symlink or submodule commit.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TreeEntry {
    /// Repository-relative path with `/` separators.
    pub path: String,
    /// The object the entry points to: a blob id, or a commit id for a submodule.
    pub id: ObjectId,
    /// Git mode bits, e.g. `0o100644`, `0o100755`, `0o120000` (symlink), `0o160000` (submodule).
    pub mode: u32,
}
