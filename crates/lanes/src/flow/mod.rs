//! The path of a change through git: the acceptance queue of `lanes submit`, merges into the
//! default and release branches, deploy tags and hotfixes. The engine decides from the ledger;
//! this module does the git work and drives the lanes.

mod acceptance;
mod commit_role;
pub(crate) mod driving;
mod follow_up;
mod git_path;
mod hotfix;
mod submission;
mod walk;

pub(crate) use git_path::GitPath;
pub(crate) use hotfix::cut_hotfix;
pub(crate) use walk::{Walk, WalkReport, Work};
