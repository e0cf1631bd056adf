//! The component graph and change detection: which components a change affects and why, and
//! the fingerprint of every component at a revision. Pure functions of the manifest and of
//! what git says changed; no I/O.

mod affected;
mod central;
mod changed_file;
mod component_graph;
mod fingerprint;
mod path_matcher;
mod unmatched;
mod unowned;

pub use affected::{
    Affected, AffectedComponent, BaseManifest, ManifestChange, Reason, affected, affected_with,
};
pub use central::{
    CentralInput, Entry, ProjectFile, central_inputs, central_reasons, reads_central,
};
pub use changed_file::{ChangeKind, ChangedFile, TrackedFile};
pub use component_graph::{ComponentGraph, GraphNode, GraphReport};
pub use fingerprint::{
    ComponentFingerprint, Fingerprint, fingerprints, fingerprints_with, input_directories,
};
pub use path_matcher::{PathMatcher, PathOwners};
pub use unmatched::unmatched_patterns;
pub use unowned::{UnownedFiles, unowned_files};
