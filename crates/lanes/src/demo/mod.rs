//! The sample monorepo of `lanes demo`: its files and its history, as data.

mod sample_repo;

pub(crate) use sample_repo::{Edit, history, initial_files};
