//! A file that differs between two revisions, as change detection sees it.

use serde::Serialize;

/// How a file differs. A rename is a deletion at the old path and an addition at the new one:
/// both paths count.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ChangeKind {
    Added,
    Deleted,
    Modified,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChangedFile {
    /// Repository-relative, `/`-separated.
    pub path: String,
    pub kind: ChangeKind,
}

/// A file of a tree at one revision, as fingerprints see it: no content, only its object id.
#[derive(Debug, Clone, Copy)]
pub struct TrackedFile<'a> {
    pub path: &'a str,
    /// The raw bytes of the git object id.
    pub id: &'a [u8],
    /// The git file mode (`0o100644`, `0o100755`, `0o120000` ...).
    pub mode: u32,
}
