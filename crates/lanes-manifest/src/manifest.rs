//! The validated manifest: components, environments and the lane, with every reference
//! resolved and every rule checked.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::{
    CentralFile, Component, ComponentId, Environment, ManifestSource, Pattern, Queue, Retention,
    Stage,
};

/// A `lanes.yml` that passed validation: names are unique, references resolve, globs parse and
/// the dependency graph has no cycle.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Manifest {
    pub(crate) version: u32,
    pub(crate) branches: Branches,
    pub(crate) shared: Vec<Pattern>,
    pub(crate) ignore: Vec<Pattern>,
    /// Sorted by path.
    #[serde(default)]
    pub(crate) central: Vec<CentralFile>,
    /// Names of environment variables whose values are secrets.
    pub(crate) secrets: Vec<String>,
    /// Approver name -> the email addresses of their commits, lowercased.
    #[serde(default)]
    pub(crate) identities: BTreeMap<String, Vec<String>>,
    /// Sorted by name; a `ComponentId` is an index here.
    pub(crate) components: Vec<Component>,
    pub(crate) environments: Vec<Environment>,
    pub(crate) stages: Vec<Stage>,
    pub(crate) queue: Queue,
    /// Names of the stages a hotfix lane walks, in lane order.
    pub(crate) hotfix_stages: Vec<String>,
    /// Names of the stages a proposed commit's lane walks, in lane order: none deploys, gates or
    /// merges. Not part of any definition: it changes nothing a component is built from.
    pub(crate) proposed_stages: Vec<String>,
    /// What the state directory keeps. Not part of any definition either.
    #[serde(default)]
    pub(crate) retention: Retention,
    pub(crate) source: ManifestSource,
}

/// The branches lanes merges into.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Branches {
    pub default: String,
    pub release: Option<String>,
}

impl Manifest {
    /// Where the manifest lives in a repository.
    pub const FILE_NAME: &'static str = "lanes.yml";

    #[must_use]
    pub fn version(&self) -> u32 {
        self.version
    }

    #[must_use]
    pub fn branches(&self) -> &Branches {
        &self.branches
    }

    /// Globs of files that are inputs of every component.
    #[must_use]
    pub fn shared(&self) -> &[Pattern] {
        &self.shared
    }

    /// Globs of files that are inputs of no component.
    #[must_use]
    pub fn ignore(&self) -> &[Pattern] {
        &self.ignore
    }

    /// Central files, sorted by path.
    #[must_use]
    pub fn central(&self) -> &[CentralFile] {
        &self.central
    }

    /// The central file at `path`: such a file is never matched as an ordinary file.
    #[must_use]
    pub fn central_file(&self, path: &str) -> Option<&CentralFile> {
        self.central
            .binary_search_by(|file| file.path.as_str().cmp(path))
            .ok()
            .map(|index| &self.central[index])
    }

    /// Names of environment variables whose values steps get and logs mask.
    #[must_use]
    pub fn secrets(&self) -> &[String] {
        &self.secrets
    }

    /// The email addresses `user`'s commits carry, from `identities`; `None` when the manifest
    /// does not say who `user` is.
    #[must_use]
    pub fn emails_of(&self, user: &str) -> Option<&[String]> {
        self.identities.get(user).map(Vec::as_slice)
    }

    /// The environment named `name`.
    #[must_use]
    pub fn environment(&self, name: &str) -> Option<&Environment> {
        self.environments.iter().find(|env| env.name == name)
    }

    /// Components sorted by name.
    #[must_use]
    pub fn components(&self) -> &[Component] {
        &self.components
    }

    #[must_use]
    pub fn component(&self, id: ComponentId) -> &Component {
        &self.components[id.index()]
    }

    #[must_use]
    pub fn component_ids(&self) -> impl ExactSizeIterator<Item = ComponentId> + use<> {
        (0..self.components.len()).map(ComponentId::new)
    }

    #[must_use]
    pub fn find_component(&self, name: &str) -> Option<ComponentId> {
        self.components
            .binary_search_by(|component| component.name.as_str().cmp(name))
            .ok()
            .map(ComponentId::new)
    }

    #[must_use]
    pub fn environments(&self) -> &[Environment] {
        &self.environments
    }

    /// The lane's stages, in order.
    #[must_use]
    pub fn stages(&self) -> &[Stage] {
        &self.stages
    }

    /// How `lanes submit` orders and merges changes.
    #[must_use]
    pub fn queue(&self) -> Queue {
        self.queue
    }

    /// Whether a hotfix lane walks this stage.
    #[must_use]
    pub fn hotfix_walks(&self, stage: &str) -> bool {
        self.hotfix_stages.iter().any(|name| name == stage)
    }

    /// Whether a proposed commit's lane walks this stage.
    #[must_use]
    pub fn proposed_walks(&self, stage: &str) -> bool {
        self.proposed_stages.iter().any(|name| name == stage)
    }

    /// Names of the stages a proposed commit's lane walks, in lane order.
    #[must_use]
    pub fn proposed_stages(&self) -> &[String] {
        &self.proposed_stages
    }

    /// How long `lanes gc` keeps what nothing else holds.
    #[must_use]
    pub fn retention(&self) -> Retention {
        self.retention
    }

    /// Production: the environment of the last stage that deploys.
    #[must_use]
    pub fn production(&self) -> Option<&str> {
        self.stages
            .iter()
            .rev()
            .find_map(|stage| stage.environment.as_deref())
    }

    /// Whether deploys to `environment` are tagged in git: production's always are.
    #[must_use]
    pub fn tags_deploys_to(&self, environment: &str) -> bool {
        self.production() == Some(environment)
            || self
                .environments
                .iter()
                .any(|env| env.name == environment && env.tag)
    }

    /// The index of the first stage with this on-success action.
    #[must_use]
    pub fn stage_with(&self, action: crate::OnSuccess) -> Option<usize> {
        self.stages
            .iter()
            .position(|stage| stage.on_success == Some(action))
    }

    /// The text the manifest was read from, for diagnostics about it.
    #[must_use]
    pub fn source(&self) -> &ManifestSource {
        &self.source
    }

    /// Everything in the manifest that concerns every component alike, in a canonical form:
    /// when it changes, every component's definition changes.
    #[must_use]
    pub fn global_definition(&self) -> String {
        #[derive(Serialize)]
        struct Global<'a> {
            version: u32,
            branches: &'a Branches,
            shared: Vec<String>,
            ignore: Vec<String>,
            #[serde(skip_serializing_if = "<[_]>::is_empty")]
            central: &'a [CentralFile],
            secrets: &'a [String],
            environments: &'a [Environment],
            stages: &'a [Stage],
            hotfix_stages: &'a [String],
        }
        serde_json::to_string(&Global {
            version: self.version,
            branches: &self.branches,
            shared: self.shared.iter().map(Pattern::as_written).collect(),
            ignore: self.ignore.iter().map(Pattern::as_written).collect(),
            central: &self.central,
            secrets: &self.secrets,
            environments: &self.environments,
            stages: &self.stages,
            hotfix_stages: &self.hotfix_stages,
        })
        .expect("manifest data serializes")
    }

    /// The component's own section in a canonical form, independent of formatting, comments
    /// and key order: equal strings mean the same definition.
    #[must_use]
    pub fn component_definition(&self, id: ComponentId) -> String {
        #[derive(Serialize)]
        struct Section<'a> {
            name: &'a str,
            paths: Vec<String>,
            depends_on: Vec<&'a str>,
            #[serde(skip_serializing_if = "Vec::is_empty")]
            dev_depends_on: Vec<&'a str>,
            approvers: &'a [String],
            stages: &'a BTreeMap<String, crate::StageOverride>,
        }
        let component = self.component(id);
        serde_json::to_string(&Section {
            name: &component.name,
            paths: component.paths.iter().map(Pattern::as_written).collect(),
            depends_on: component
                .depends_on
                .iter()
                .map(|&dependency| self.component(dependency).name.as_str())
                .collect(),
            dev_depends_on: component
                .dev_depends_on
                .iter()
                .map(|&dependency| self.component(dependency).name.as_str())
                .collect(),
            approvers: &component.approvers,
            stages: &component.stage_overrides,
        })
        .expect("manifest data serializes")
    }
}
