//! A component: a named part of the repository with its globs and dependencies.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::{Pattern, SourceSpan};

/// The index of a component in its manifest. It exists only for components that exist.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct ComponentId(u32);

impl ComponentId {
    pub(crate) fn new(index: usize) -> Self {
        Self(u32::try_from(index).expect("fewer than 2^32 components"))
    }

    /// The position of the component in `Manifest::components()`.
    #[must_use]
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

/// A named part of the repository.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Component {
    pub name: String,
    /// Globs in the order written; `negated` ones exclude.
    pub paths: Vec<Pattern>,
    /// Direct dependencies, sorted and without duplicates.
    pub depends_on: Vec<ComponentId>,
    /// Dev-only dependencies: inputs for change detection that do not order deploys, sorted,
    /// without duplicates and without those already in `depends_on`. Cycles through them are
    /// allowed.
    #[serde(default)]
    pub dev_depends_on: Vec<ComponentId>,
    pub approvers: Vec<String>,
    /// Commands this component runs instead of the lane's, by stage name.
    pub stage_overrides: BTreeMap<String, StageOverride>,
    /// Where the component's name is written.
    pub span: SourceSpan,
}

/// What a component changes in one stage.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StageOverride {
    pub run: Option<Vec<String>>,
    pub deploy: Option<String>,
}
