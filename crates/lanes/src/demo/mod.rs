//! The sample monorepo of `lanes demo`: its files and its history, as data.

mod sample_repo;

pub(crate) use sample_repo::{
    Edit, MANIFEST, Step, feature_and_hotfix, history, initial_files, red_and_fix,
};
