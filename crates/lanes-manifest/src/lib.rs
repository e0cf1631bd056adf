//! The manifest, `lanes.yml`: loaded, parsed and validated into a typed [`Manifest`], with
//! diagnostics that point into the file and a generated JSON Schema.

mod central;
mod component;
mod diagnostic;
mod environment;
mod load;
mod manifest;
mod manifest_error;
mod pattern;
mod queue;
mod raw;
mod retention;
mod schema;
mod stage;
mod suggest;
mod validate;

pub use central::{CentralFile, CentralKind};
pub use component::{Component, ComponentId, StageOverride};
pub use diagnostic::{Diagnostic, DiagnosticRecord, ManifestSource, Severity};
pub use environment::{Approval, Decisions, Environment, Instances, LockPolicy};
pub use manifest::{Branches, Manifest};
pub use manifest_error::ManifestError;
pub use miette::SourceSpan;
pub use pattern::Pattern;
pub use queue::{MergeStyle, Queue, QueueSplit};
pub use retention::Retention;
pub use schema::json_schema;
pub use stage::{Gate, OnSuccess, Stage};
pub use validate::MAX_MANIFEST_BYTES;
