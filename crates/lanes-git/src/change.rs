//! A path that differs between two commits, and how it differs.

/// How a path differs between two commits.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ChangeKind {
    /// The path exists only in the newer commit.
    Added,
    /// The path exists only in the older commit.
    Deleted,
    /// The path exists in both with different content or mode (`chmod +x`, file to symlink).
    Modified,
}

/// One changed file (blob, symlink or submodule commit), never a directory.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Change {
    /// Repository-relative path with `/` separators.
    pub path: String,
    /// How the path changed.
    pub kind: ChangeKind,
}
