//! An environment: a place stages deploy to, holding one version of each component.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Environment {
    pub name: String,
    pub instances: Instances,
    pub lock: LockPolicy,
    pub approval: Approval,
    /// Deploys here are tagged in git (production's always are).
    pub tag: bool,
    /// Left out of the canonical form when it is the default, so that fingerprints of
    /// manifests written before it existed stay the same.
    #[serde(default, skip_serializing_if = "Decisions::is_anywhere")]
    pub decisions: Decisions,
}

/// Where decisions about an environment may be taken.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Decisions {
    /// From the local command line (`--as`) as from the server.
    #[default]
    Anywhere,
    /// Only by the holder of an API token, whose name is the deciding user.
    Server,
}

impl Decisions {
    #[must_use]
    pub fn is_anywhere(&self) -> bool {
        *self == Self::Anywhere
    }
}

/// How many copies of an environment there are.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Instances {
    /// One instance that every lane deploys into.
    Shared,
    /// Each lane gets its own instance: its candidate next to the last known good versions of
    /// every other component.
    PerComponent,
}

/// How concurrent deploys of one component to this environment are ordered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum LockPolicy {
    /// In the order they were requested.
    Fifo,
    /// Only the newest waiting version deploys; superseded ones are dropped.
    NewestWins,
}

/// Who must approve a gated stage that deploys here.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Approval {
    pub required: u32,
    pub self_approval: bool,
}

impl Default for Approval {
    fn default() -> Self {
        Self {
            required: 1,
            self_approval: false,
        }
    }
}
