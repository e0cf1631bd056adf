//! Affected components: which components a set of changed files touches, directly or through a
//! dependency, each with the reasons why.

use std::collections::BTreeMap;

use lanes_manifest::{ComponentId, Manifest};
use serde::Serialize;

use crate::{ChangeKind, ChangedFile, ComponentGraph, PathMatcher};

/// The manifest at the older revision, as far as change detection needs it.
#[derive(Debug, Clone, Copy)]
pub enum BaseManifest<'a> {
    /// `lanes.yml` is byte-for-byte the same at both revisions.
    Unchanged,
    /// `lanes.yml` changed; this is the older one.
    Changed(&'a Manifest),
    /// There was no `lanes.yml` at the older revision.
    Missing,
    /// The older `lanes.yml` did not validate.
    Invalid,
}

/// Why a component is affected.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Reason {
    /// A changed file matched one of the component's globs.
    Path {
        path: String,
        change: ChangeKind,
        pattern: String,
    },
    /// A changed file matched a `shared` glob.
    Shared {
        path: String,
        change: ChangeKind,
        pattern: String,
    },
    /// The manifest changed in a way that concerns the component.
    Manifest { cause: ManifestChange },
    /// A dependency is affected.
    Dependency { component: String },
    /// A dev-only dependency (`dev_depends_on`) is affected.
    DevDependency { component: String },
    /// Entries of a central file that the component reads changed: a package's version in
    /// `Directory.Packages.props`, a package of its resolved graph in a lockfile.
    CentralPackage {
        path: String,
        package: String,
        /// The version before (`None`: no entry), several joined by `, `.
        from: Option<String>,
        to: Option<String>,
        /// The directory of the component's project that reads the file.
        read_by: String,
    },
    /// A part of a central file that lanes cannot attribute to packages changed: every
    /// component reading the file is affected.
    CentralFile {
        path: String,
        cause: String,
        read_by: String,
    },
}

/// How a manifest change concerns a component.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ManifestChange {
    /// The component's own section changed.
    SectionChanged,
    /// A section every component shares (`shared`, `ignore`, `stages`, `environments` ...).
    GlobalChanged,
    /// The component is new in the manifest.
    Added,
    /// The older revision had no manifest.
    BaseMissing,
    /// The older revision's manifest was invalid.
    BaseInvalid,
}

impl ManifestChange {
    #[must_use]
    pub fn describe(self) -> &'static str {
        match self {
            Self::SectionChanged => "its section of lanes.yml changed",
            Self::GlobalChanged => "a section of lanes.yml that every component shares changed",
            Self::Added => "it is new in lanes.yml",
            Self::BaseMissing => "lanes.yml did not exist at the base",
            Self::BaseInvalid => "lanes.yml was invalid at the base",
        }
    }
}

/// One affected component.
#[derive(Debug, Clone, Serialize)]
pub struct AffectedComponent {
    pub name: String,
    /// Affected by its own files, shared files or the manifest; false when only through
    /// dependencies.
    pub direct: bool,
    pub reasons: Vec<Reason>,
}

/// The outcome of change detection.
#[derive(Debug, Clone, Serialize)]
pub struct Affected {
    /// Sorted by name.
    pub components: Vec<AffectedComponent>,
    /// Changed files that matched an `ignore` glob.
    pub ignored_files: Vec<String>,
    /// Changed files that no component, `shared` or `ignore` glob matched.
    pub unowned_files: Vec<String>,
}

impl Affected {
    #[must_use]
    pub fn names(&self) -> Vec<&str> {
        self.components
            .iter()
            .map(|component| component.name.as_str())
            .collect()
    }
}

/// Computes the affected components of `changes` under the newer manifest.
#[must_use]
pub fn affected(
    graph: &ComponentGraph<'_>,
    base: BaseManifest<'_>,
    changes: &[ChangedFile],
) -> Affected {
    affected_with(graph, base, changes, Vec::new())
}

/// [`affected`], with the reasons of changed central files (from [`crate::central_reasons`]).
#[must_use]
pub fn affected_with(
    graph: &ComponentGraph<'_>,
    base: BaseManifest<'_>,
    changes: &[ChangedFile],
    central: Vec<(ComponentId, Reason)>,
) -> Affected {
    let manifest = graph.manifest();
    let matcher = PathMatcher::new(manifest);
    let mut reasons: BTreeMap<ComponentId, Vec<Reason>> = BTreeMap::new();
    let mut ignored_files = Vec::new();
    let mut unowned_files = Vec::new();

    for cause in manifest_changes(manifest, base) {
        reasons
            .entry(cause.0)
            .or_default()
            .push(Reason::Manifest { cause: cause.1 });
    }
    for (id, reason) in central {
        reasons.entry(id).or_default().push(reason);
    }
    for change in changes {
        if change.path == Manifest::FILE_NAME || manifest.central_file(&change.path).is_some() {
            continue;
        }
        let owners = matcher.owners(&change.path);
        if owners.ignored.is_some() {
            ignored_files.push(change.path.clone());
            continue;
        }
        if let Some(pattern) = owners.shared {
            for id in manifest.component_ids() {
                reasons.entry(id).or_default().push(Reason::Shared {
                    path: change.path.clone(),
                    change: change.kind,
                    pattern: pattern.as_written(),
                });
            }
        } else if owners.components.is_empty() {
            unowned_files.push(change.path.clone());
        }
        for (id, pattern) in owners.components {
            reasons.entry(id).or_default().push(Reason::Path {
                path: change.path.clone(),
                change: change.kind,
                pattern: pattern.as_written(),
            });
        }
    }

    let direct: Vec<ComponentId> = reasons.keys().copied().collect();
    let reached = reached_from(manifest, &direct);
    for &id in graph.dependencies_first() {
        let component = manifest.component(id);
        let name = |dependency: &ComponentId| manifest.component(*dependency).name.clone();
        let through: Vec<Reason> = component
            .depends_on
            .iter()
            .filter(|dependency| reached[dependency.index()])
            .map(|dependency| Reason::Dependency {
                component: name(dependency),
            })
            .chain(
                component
                    .dev_depends_on
                    .iter()
                    .filter(|dependency| reached[dependency.index()])
                    .map(|dependency| Reason::DevDependency {
                        component: name(dependency),
                    }),
            )
            .collect();
        if !through.is_empty() {
            reasons.entry(id).or_default().extend(through);
        }
    }

    Affected {
        components: reasons
            .into_iter()
            .map(|(id, reasons)| AffectedComponent {
                name: manifest.component(id).name.clone(),
                direct: direct.binary_search(&id).is_ok(),
                reasons,
            })
            .collect(),
        ignored_files,
        unowned_files,
    }
}

/// Which components are affected when `direct` are: they and everything depending on them,
/// through `depends_on` and `dev_depends_on` (which may form cycles), by component index.
fn reached_from(manifest: &Manifest, direct: &[ComponentId]) -> Vec<bool> {
    let mut dependents: Vec<Vec<ComponentId>> = vec![Vec::new(); manifest.components().len()];
    for id in manifest.component_ids() {
        let component = manifest.component(id);
        for dependency in component.depends_on.iter().chain(&component.dev_depends_on) {
            dependents[dependency.index()].push(id);
        }
    }
    let mut reached = vec![false; dependents.len()];
    let mut work: Vec<ComponentId> = direct.to_vec();
    for id in direct {
        reached[id.index()] = true;
    }
    while let Some(id) = work.pop() {
        for &dependent in &dependents[id.index()] {
            if !reached[dependent.index()] {
                reached[dependent.index()] = true;
                work.push(dependent);
            }
        }
    }
    reached
}

/// Components whose definition differs between the two manifests, and how.
fn manifest_changes(
    manifest: &Manifest,
    base: BaseManifest<'_>,
) -> Vec<(ComponentId, ManifestChange)> {
    let everyone = |cause| manifest.component_ids().map(|id| (id, cause)).collect();
    match base {
        BaseManifest::Unchanged => Vec::new(),
        BaseManifest::Missing => everyone(ManifestChange::BaseMissing),
        BaseManifest::Invalid => everyone(ManifestChange::BaseInvalid),
        BaseManifest::Changed(old) if old.global_definition() != manifest.global_definition() => {
            everyone(ManifestChange::GlobalChanged)
        }
        BaseManifest::Changed(old) => manifest
            .component_ids()
            .filter_map(|id| {
                let name = &manifest.component(id).name;
                match old.find_component(name) {
                    None => Some((id, ManifestChange::Added)),
                    Some(old_id)
                        if old.component_definition(old_id)
                            != manifest.component_definition(id) =>
                    {
                        Some((id, ManifestChange::SectionChanged))
                    }
                    Some(_) => None,
                }
            })
            .collect(),
    }
}
