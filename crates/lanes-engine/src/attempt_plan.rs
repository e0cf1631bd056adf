//! What the engine asks the runner to do: one attempt at one stage of one lane.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::LaneId;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttemptPlan {
    pub lane: LaneId,
    pub stage: usize,
    pub stage_name: String,
    pub attempt: u32,
    /// Reported back with the outcome; a stale token is ignored.
    pub token: u64,
    pub component: String,
    pub commit: String,
    pub fingerprint: String,
    /// The environment and instance the stage works in, for stages that deploy.
    pub environment: Option<(String, String)>,
    /// The deploy that comes first; `None` also when this lane's version is already deployed
    /// there (an attempt after one abandoned past its deploy).
    pub deploy: Option<DeployPlan>,
    /// The stage's steps, in order.
    pub steps: Vec<String>,
    /// Whether this stage builds the version: its steps write the artifacts every later stage
    /// deploys.
    pub builds_version: bool,
    /// How long each step may run, in seconds.
    pub timeout_seconds: Option<u64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeployPlan {
    pub environment: String,
    /// `shared`, or the component's own instance in a `per-component` environment.
    pub instance: String,
    pub command: String,
    /// The version of every component the instance must hold after the deploy.
    pub vector: VersionVector,
}

/// The versions an environment instance holds, by component.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VersionVector {
    pub environment: String,
    pub instance: String,
    pub components: BTreeMap<String, VectorEntry>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VectorEntry {
    pub commit: String,
    pub fingerprint: String,
    /// Whether this is the version being deployed (the others stay as they are).
    pub candidate: bool,
}
