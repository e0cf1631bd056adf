//! `lanes init`'s knowledge of repositories: finding components and their dependencies in the
//! layouts teams already have, and writing them down as a manifest.

mod component_name;
mod discovery;
mod references;
mod starter_manifest;

pub(crate) use discovery::{DiscoveredComponent, Layout, RootFiles, discover, root_files};
pub(crate) use starter_manifest::starter_manifest;
