//! Git access for lanes: one [`Repo`] that reads in-process with `gix` and writes through the
//! `git` command line.

mod change;
mod commit_id;
mod commit_info;
mod git_command;
mod git_error;
mod merge;
mod object_id;
mod refs;
mod remote;
mod repo;
mod revision;
mod tree_diff;
mod tree_entry;
mod tree_walk;
mod worktree;
mod worktree_removal;

pub use change::{Change, ChangeKind};
pub use commit_id::CommitId;
pub use commit_info::CommitInfo;
pub use git_error::GitError;
pub use merge::{Identity, MergeOutcome};
pub use object_id::ObjectId;
pub use remote::PushOutcome;
pub use repo::Repo;
pub use tree_entry::TreeEntry;
