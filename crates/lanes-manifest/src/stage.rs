//! A stage of the lane and the rules around it.

use serde::{Deserialize, Serialize};

/// One step of the lane: commands to run, optionally after deploying into an environment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stage {
    pub name: String,
    pub run: Vec<String>,
    /// The environment this stage deploys to, by name (it exists in the manifest).
    pub environment: Option<String>,
    pub deploy: Option<String>,
    pub gate: Option<Gate>,
    pub on_success: Option<OnSuccess>,
    pub retries: u32,
    /// How long each step may run, in seconds.
    pub timeout_seconds: Option<u64>,
}

/// What must hold before a stage starts, besides the previous stage being green.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Gate {
    Approval,
}

/// What lanes does with the commit once the stage passed for every affected component.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum OnSuccess {
    MergeDefault,
    MergeRelease,
}
