//! The sample monorepo of `lanes demo` (its files and its history, as data), the directory it
//! is built in, and how the demo's hints name lanes.

mod demo_directory;
mod invocation;
mod sample_repo;

pub(crate) use demo_directory::DemoDirectory;
pub(crate) use invocation::{lanes_in, lanes_invocation};
pub(crate) use sample_repo::{
    Edit, MANIFEST, Step, awaiting_approval, feature_and_hotfix, history, initial_files,
    red_and_fix,
};
