//! Central files by entry: what each component takes from a central package file or a
//! lockfile, so that a change affects exactly the components whose entries changed.
//!
//! A component reads a central file when one of its files of the kind's project type (a .NET
//! project, a `Cargo.toml`, a `package.json`) lies below the file's directory. What it takes is
//! a [`CentralInput`]: the entries it resolves to (the versions of the packages its projects
//! reference; every package of its resolved dependency graph) and the rest of the file, which
//! lanes cannot attribute (properties, imports, settings, or the whole text when it does not
//! parse) and which every reader takes. Change detection compares inputs; fingerprints hash
//! them, so the two agree.

use std::collections::{BTreeMap, BTreeSet};

use lanes_manifest::{CentralFile, CentralKind, ComponentId, Manifest};
use serde_json::Value;

use crate::{PathMatcher, Reason};

/// One resolved entry of a central file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub package: String,
    pub version: String,
    /// A digest of everything the entry says, canonical: what is compared.
    pub canonical: String,
}

/// What one component takes from one central file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CentralInput {
    /// What lanes cannot attribute to entries; every reader takes it.
    pub rest: String,
    /// Why `rest` is what it is, for people: "a property or import", "it does not parse".
    pub rest_cause: &'static str,
    /// By entry key (a package name, `name version source`, `name@version`).
    pub entries: BTreeMap<String, Entry>,
    /// The directory of the project that reads the file (for reasons).
    pub via: String,
}

/// A file of a component that says what it takes from a central file, with its text.
#[derive(Debug, Clone, Copy)]
pub struct ProjectFile<'a> {
    pub path: &'a str,
    pub text: &'a [u8],
}

/// Whether `path` is a project file through which some component reads `central`.
#[must_use]
pub fn reads_central(central: &CentralFile, path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path);
    central.governs(path) && central.kind.reads_through(name)
}

/// What every reading component takes from `central` whose text is `text` (`None`: the file
/// does not exist), given the project files of the components (more do no harm).
#[must_use]
pub fn central_inputs(
    manifest: &Manifest,
    central: &CentralFile,
    text: Option<&[u8]>,
    projects: &[ProjectFile<'_>],
) -> BTreeMap<ComponentId, CentralInput> {
    let matcher = PathMatcher::new(manifest);
    let mut by_component: BTreeMap<ComponentId, Vec<ProjectFile<'_>>> = BTreeMap::new();
    for project in projects {
        if !reads_central(central, project.path) {
            continue;
        }
        let owners = matcher.owners(project.path);
        if owners.ignored.is_some() {
            continue;
        }
        for (id, _) in owners.components {
            by_component.entry(id).or_default().push(*project);
        }
    }
    let parsed = text.map(|text| String::from_utf8_lossy(text).into_owned());
    let mut file = match central.kind {
        CentralKind::NugetCentral => parse_nuget(parsed.as_deref()),
        CentralKind::CargoLock => parse_cargo_lock(parsed.as_deref()),
        CentralKind::CargoWorkspace => parse_cargo_workspace(parsed.as_deref()),
        CentralKind::PnpmLock => parse_pnpm_lock(parsed.as_deref()),
        CentralKind::NpmLock => parse_npm_lock(parsed.as_deref()),
        CentralKind::YarnLock => parse_yarn_lock(parsed.as_deref()),
    };
    if file.rest_cause == ROOT_PACKAGE {
        for id in manifest.component_ids() {
            by_component.entry(id).or_default();
        }
    }
    // Every reader of a lockfile takes hundreds of its entries: compare and hash digests.
    for entry in file.entries.values_mut() {
        entry.canonical = digest(&entry.canonical);
    }
    by_component
        .into_iter()
        .map(|(id, projects)| (id, file.input_for(central, &projects)))
        .collect()
}

/// The reasons, per component, that `old` and `new` inputs differ: the entries that changed,
/// or the rest of the file.
#[must_use]
pub fn central_reasons(
    central: &CentralFile,
    old: &BTreeMap<ComponentId, CentralInput>,
    new: &BTreeMap<ComponentId, CentralInput>,
) -> Vec<(ComponentId, Reason)> {
    let empty = CentralInput::default();
    let ids: BTreeSet<ComponentId> = old.keys().chain(new.keys()).copied().collect();
    let mut reasons = Vec::new();
    for id in ids {
        let (before, after) = (
            old.get(&id).unwrap_or(&empty),
            new.get(&id).unwrap_or(&empty),
        );
        if before == after {
            continue;
        }
        let via = if after.via.is_empty() {
            &before.via
        } else {
            &after.via
        };
        if before.rest != after.rest {
            let cause = if after.rest_cause.is_empty() {
                before.rest_cause
            } else {
                after.rest_cause
            };
            reasons.push((
                id,
                Reason::CentralFile {
                    path: central.path.clone(),
                    cause: cause.to_owned(),
                    read_by: via.clone(),
                },
            ));
            continue;
        }
        for (package, from, to) in changed_packages(&before.entries, &after.entries) {
            reasons.push((
                id,
                Reason::CentralPackage {
                    path: central.path.clone(),
                    package,
                    from,
                    to,
                    read_by: via.clone(),
                },
            ));
        }
    }
    reasons
}

/// Packages whose entries differ, with their versions before and after (joined when several).
fn changed_packages(
    old: &BTreeMap<String, Entry>,
    new: &BTreeMap<String, Entry>,
) -> Vec<(String, Option<String>, Option<String>)> {
    let (old, new) = (by_package(old), by_package(new));
    let packages: BTreeSet<&String> = old.keys().chain(new.keys()).collect();
    let joined = |list: Option<&Vec<(String, String)>>| {
        list.map(|list| {
            let mut versions: Vec<&str> =
                list.iter().map(|(version, _)| version.as_str()).collect();
            versions.dedup();
            versions.join(", ")
        })
    };
    packages
        .into_iter()
        .filter(|package| old.get(*package) != new.get(*package))
        .map(|package| {
            (
                package.clone(),
                joined(old.get(package)),
                joined(new.get(package)),
            )
        })
        .collect()
}

/// Versions and canonical entries by package name, sorted.
fn by_package(entries: &BTreeMap<String, Entry>) -> BTreeMap<String, Vec<(String, String)>> {
    let mut by_package: BTreeMap<String, Vec<(String, String)>> = BTreeMap::new();
    for entry in entries.values() {
        by_package
            .entry(entry.package.clone())
            .or_default()
            .push((entry.version.clone(), entry.canonical.clone()));
    }
    for list in by_package.values_mut() {
        list.sort();
    }
    by_package
}

/// A central file parsed: entries by key, and what a component's projects select from them.
struct Parsed {
    rest: String,
    rest_cause: &'static str,
    entries: BTreeMap<String, Entry>,
    select: Selector,
}

enum Selector {
    /// Every reader takes every entry (pinning transitive packages; a file that did not parse).
    All,
    /// Entries named by the projects' `<PackageReference Include>`.
    PackageReferences,
    /// `[workspace.dependencies]` entries named by the members' `dep = { workspace = true }`.
    WorkspaceDependencies,
    /// Cargo.lock: the packages reachable from the members named by `[package] name`;
    /// `dependencies` of each package by key.
    CargoGraph(BTreeMap<String, Vec<String>>),
    /// pnpm: the importers at the projects' directories (`importer:<path>`); dependencies of
    /// each entry and importer by key.
    PnpmGraph {
        importers: BTreeSet<String>,
        dependencies: BTreeMap<String, Vec<String>>,
    },
}

impl Parsed {
    fn unparsed(text: Option<&str>, cause: &'static str) -> Self {
        Self {
            rest: text.map_or_else(|| "\0missing".to_owned(), str::to_owned),
            rest_cause: if text.is_some() {
                cause
            } else {
                "the file was added or removed"
            },
            entries: BTreeMap::new(),
            select: Selector::All,
        }
    }

    fn input_for(&self, central: &CentralFile, projects: &[ProjectFile<'_>]) -> CentralInput {
        let via = projects
            .iter()
            .map(|project| project.path.rsplit_once('/').map_or("", |(dir, _)| dir))
            .min()
            .unwrap_or("")
            .to_owned();
        let mut input = CentralInput {
            rest: self.rest.clone(),
            rest_cause: self.rest_cause,
            entries: BTreeMap::new(),
            via,
        };
        let keys: BTreeSet<String> = match &self.select {
            Selector::All => self.entries.keys().cloned().collect(),
            Selector::PackageReferences | Selector::WorkspaceDependencies => {
                let mut keys = BTreeSet::new();
                for project in projects {
                    let references = if matches!(self.select, Selector::PackageReferences) {
                        package_references(project.text)
                    } else {
                        workspace_references(project.text)
                    };
                    match references {
                        Some(names) => keys.extend(names),
                        // A project lanes cannot read may reference any package.
                        None => keys.extend(self.entries.keys().cloned()),
                    }
                }
                // A referenced package without a central version is an entry too: adding one
                // changes what the project builds with.
                for key in &keys {
                    input.entries.insert(
                        key.clone(),
                        self.entries.get(key).cloned().unwrap_or_else(|| Entry {
                            package: key.clone(),
                            version: "(none)".to_owned(),
                            canonical: String::new(),
                        }),
                    );
                }
                return input;
            }
            Selector::CargoGraph(dependencies) => {
                let roots: Vec<String> = projects
                    .iter()
                    .filter_map(|project| cargo_package_name(project.text))
                    .flat_map(|name| {
                        self.entries
                            .iter()
                            .filter(move |(_, entry)| entry.package == name)
                            .map(|(key, _)| key.clone())
                    })
                    .collect();
                reachable(roots, dependencies)
            }
            Selector::PnpmGraph {
                importers,
                dependencies,
            } => {
                let roots: Vec<String> = projects
                    .iter()
                    .filter_map(|project| {
                        let dir = project.path.rsplit_once('/').map_or("", |(dir, _)| dir);
                        let relative = relative_to(central.dir(), dir)?;
                        Some(format!("importer:{relative}"))
                    })
                    .filter(|key| importers.contains(key))
                    .collect();
                reachable(roots, dependencies)
            }
        };
        for key in keys {
            if let Some(entry) = self.entries.get(&key) {
                input.entries.insert(key, entry.clone());
            }
        }
        input
    }
}

fn reachable(roots: Vec<String>, graph: &BTreeMap<String, Vec<String>>) -> BTreeSet<String> {
    let mut seen = BTreeSet::new();
    let mut work = roots;
    while let Some(key) = work.pop() {
        if seen.insert(key.clone())
            && let Some(next) = graph.get(&key)
        {
            work.extend(next.iter().cloned());
        }
    }
    seen
}

/// SHA-256 of `text`, in hex.
fn digest(text: &str) -> String {
    use sha2::Digest as _;
    sha2::Sha256::digest(text.as_bytes())
        .iter()
        .fold(String::with_capacity(64), |mut hex, byte| {
            use std::fmt::Write as _;
            write!(hex, "{byte:02x}").expect("writing to a string");
            hex
        })
}

/// `dir` relative to `base` (both repository-relative directories): `.` when equal.
fn relative_to(base: &str, dir: &str) -> Option<String> {
    if base.is_empty() {
        return Some(if dir.is_empty() {
            ".".to_owned()
        } else {
            dir.to_owned()
        });
    }
    if dir == base {
        return Some(".".to_owned());
    }
    dir.strip_prefix(base)?.strip_prefix('/').map(str::to_owned)
}

/// `Directory.Packages.props`: `PackageVersion` items are entries; everything else (properties,
/// imports, `GlobalPackageReference`s, conditions around the items) is the rest.
fn parse_nuget(text: Option<&str>) -> Parsed {
    let Some(text) = text else {
        return Parsed::unparsed(None, "");
    };
    let Ok(document) = roxmltree::Document::parse(text) else {
        return Parsed::unparsed(Some(text), "it does not parse as XML");
    };
    let mut entries = BTreeMap::new();
    let mut removed: Vec<std::ops::Range<usize>> = Vec::new();
    for node in document.descendants() {
        if node.is_comment() {
            removed.push(node.range());
            continue;
        }
        if !node.has_tag_name("PackageVersion") {
            continue;
        }
        let Some(include) = node
            .attribute("Include")
            .or_else(|| node.attribute("Update"))
        else {
            continue;
        };
        let version = node
            .attribute("Version")
            .map(str::to_owned)
            .or_else(|| {
                node.children()
                    .find(|child| child.has_tag_name("Version"))
                    .and_then(|child| child.text())
                    .map(str::to_owned)
            })
            .unwrap_or_default();
        let mut attributes: Vec<String> = node
            .attributes()
            .map(|attribute| format!("{}={}", attribute.name(), attribute.value()))
            .collect();
        attributes.sort();
        let children: String = node
            .descendants()
            .skip(1)
            .filter_map(|child| child.text())
            .collect();
        let canonical = format!("{}\0{}", attributes.join("\0"), children.trim());
        // One package may have a version per condition: each is part of the entry.
        entries
            .entry(include.to_owned())
            .and_modify(|entry: &mut Entry| {
                entry.version = format!("{}, {version}", entry.version);
                entry.canonical = format!("{}\0\0{canonical}", entry.canonical);
            })
            .or_insert_with(|| Entry {
                package: include.to_owned(),
                version: version.clone(),
                canonical: canonical.clone(),
            });
        removed.push(node.range());
    }
    removed.sort_by_key(|range| range.start);
    let mut rest = String::new();
    let mut at = 0;
    for range in removed {
        if range.start < at {
            continue;
        }
        rest.push_str(&text[at..range.start]);
        at = range.end;
    }
    rest.push_str(&text[at..]);
    let rest: String = rest.split_whitespace().collect();
    let pinned = document.descendants().any(|node| {
        node.has_tag_name("CentralPackageTransitivePinningEnabled")
            && node
                .text()
                .is_some_and(|text| text.trim().eq_ignore_ascii_case("true"))
    });
    Parsed {
        rest,
        rest_cause: "a property, an import or another part that names no package changed",
        entries,
        select: if pinned {
            Selector::All
        } else {
            Selector::PackageReferences
        },
    }
}

/// The packages a .NET project references (`<PackageReference Include>`); `None` when it does
/// not parse.
fn package_references(text: &[u8]) -> Option<Vec<String>> {
    let text = std::str::from_utf8(text).ok()?;
    let document = roxmltree::Document::parse(text).ok()?;
    Some(
        document
            .descendants()
            .filter(|node| node.has_tag_name("PackageReference"))
            .filter_map(|node| {
                node.attribute("Include")
                    .or_else(|| node.attribute("Update"))
            })
            .map(str::to_owned)
            .collect(),
    )
}

/// `Cargo.lock`: each `[[package]]` is an entry keyed `name version source`; the rest is
/// everything else (the format version, metadata).
fn parse_cargo_lock(text: Option<&str>) -> Parsed {
    let Some(text) = text else {
        return Parsed::unparsed(None, "");
    };
    let Ok(mut table) = text.parse::<toml::Table>() else {
        return Parsed::unparsed(Some(text), "it does not parse as TOML");
    };
    let packages = match table.remove("package") {
        Some(toml::Value::Array(packages)) => packages,
        None => Vec::new(),
        Some(_) => return Parsed::unparsed(Some(text), "its `package` is not a list"),
    };
    let field = |package: &toml::Value, key: &str| {
        package
            .get(key)
            .and_then(toml::Value::as_str)
            .unwrap_or("")
            .to_owned()
    };
    let mut entries = BTreeMap::new();
    let mut by_name: BTreeMap<String, Vec<(String, String, String)>> = BTreeMap::new();
    for package in &packages {
        let (name, version, source) = (
            field(package, "name"),
            field(package, "version"),
            field(package, "source"),
        );
        let key = format!("{name} {version} {source}");
        by_name
            .entry(name.clone())
            .or_default()
            .push((version.clone(), source, key.clone()));
        entries.insert(
            key,
            Entry {
                package: name,
                version,
                canonical: package.to_string(),
            },
        );
    }
    let mut dependencies = BTreeMap::new();
    for package in &packages {
        let key = format!(
            "{} {} {}",
            field(package, "name"),
            field(package, "version"),
            field(package, "source")
        );
        let targets = package
            .get("dependencies")
            .and_then(toml::Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(toml::Value::as_str)
            .flat_map(|written| {
                // `name`, `name version` or `name version (source)`.
                let mut parts = written.splitn(3, ' ');
                let name = parts.next().unwrap_or("");
                let version = parts.next();
                let source = parts
                    .next()
                    .map(|source| source.trim_start_matches('(').trim_end_matches(')'));
                by_name
                    .get(name)
                    .into_iter()
                    .flatten()
                    .filter(move |(v, s, _)| {
                        version.is_none_or(|version| v == version)
                            && source.is_none_or(|source| s == source)
                    })
                    .map(|(_, _, key)| key.clone())
            })
            .collect();
        dependencies.insert(key, targets);
    }
    Parsed {
        rest: table.to_string(),
        rest_cause: "a part that names no package (the format version, metadata) changed",
        entries,
        select: Selector::CargoGraph(dependencies),
    }
}

/// Why a root `Cargo.toml` that is also a package is read whole, by every component: the root
/// package's own component cannot be told from the file's ownership (a central file is never
/// owned), so the safe answer is what `shared` gives.
const ROOT_PACKAGE: &str =
    "the root `Cargo.toml` is also a package, which lanes reads whole for every component";

/// The root `Cargo.toml`: each `[workspace.dependencies]` entry is an entry keyed by its name;
/// the rest is everything else (members, `[workspace.package]`, profiles, patches), canonical,
/// so comments and layout never matter.
fn parse_cargo_workspace(text: Option<&str>) -> Parsed {
    let Some(text) = text else {
        return Parsed::unparsed(None, "");
    };
    let Ok(mut table) = text.parse::<toml::Table>() else {
        return Parsed::unparsed(Some(text), "it does not parse as TOML");
    };
    if table.contains_key("package") {
        return Parsed::unparsed(Some(text), ROOT_PACKAGE);
    }
    let dependencies = match table
        .get_mut("workspace")
        .and_then(toml::Value::as_table_mut)
        .map(|workspace| workspace.remove("dependencies"))
    {
        Some(Some(toml::Value::Table(dependencies))) => dependencies,
        None | Some(None) => toml::Table::new(),
        Some(Some(_)) => {
            return Parsed::unparsed(Some(text), "its `workspace.dependencies` is not a table");
        }
    };
    let entries = dependencies
        .into_iter()
        .map(|(name, value)| {
            let version = match &value {
                toml::Value::String(version) => version.clone(),
                other => ["version", "path", "git"]
                    .iter()
                    .find_map(|key| other.get(key).and_then(toml::Value::as_str))
                    .unwrap_or("")
                    .to_owned(),
            };
            let canonical = value.to_string();
            (
                name.clone(),
                Entry {
                    package: name,
                    version,
                    canonical,
                },
            )
        })
        .collect();
    Parsed {
        rest: table.to_string(),
        rest_cause: "a part other than `[workspace.dependencies]` (members, `[workspace.package]`, profiles, patches) changed",
        entries,
        select: Selector::WorkspaceDependencies,
    }
}

/// The `[workspace.dependencies]` a member's `Cargo.toml` inherits (`dep = { workspace = true }`,
/// `dep.workspace = true`), in any dependency table, target-specific ones included; `None`
/// when it does not parse.
fn workspace_references(text: &[u8]) -> Option<Vec<String>> {
    const KINDS: [&str; 5] = [
        "dependencies",
        "dev-dependencies",
        "build-dependencies",
        "dev_dependencies",
        "build_dependencies",
    ];
    let table = std::str::from_utf8(text)
        .ok()?
        .parse::<toml::Table>()
        .ok()?;
    let targets = table
        .get("target")
        .and_then(toml::Value::as_table)
        .into_iter()
        .flat_map(toml::Table::values)
        .filter_map(toml::Value::as_table);
    let mut names = Vec::new();
    for scope in std::iter::once(&table).chain(targets) {
        for kind in KINDS {
            let Some(dependencies) = scope.get(kind).and_then(toml::Value::as_table) else {
                continue;
            };
            for (name, value) in dependencies {
                if value.get("workspace").and_then(toml::Value::as_bool) == Some(true) {
                    names.push(name.clone());
                }
            }
        }
    }
    Some(names)
}

/// `[package] name` of a `Cargo.toml`.
fn cargo_package_name(text: &[u8]) -> Option<String> {
    let table = std::str::from_utf8(text)
        .ok()?
        .parse::<toml::Table>()
        .ok()?;
    table
        .get("package")?
        .get("name")?
        .as_str()
        .map(str::to_owned)
}

/// A YAML lockfile's top-level mapping, under a budget sized for lockfiles of large monorepos
/// (a hostile file still cannot exhaust memory); `None` when it is not YAML or not a mapping.
fn yaml_lockfile(text: &str) -> Option<serde_json::Map<String, Value>> {
    let options = serde_saphyr::options! {
        budget: serde_saphyr::budget! {
            max_nodes: 50_000_000,
            max_events: 100_000_000,
            max_total_scalar_bytes: 1 << 30,
        },
    };
    match serde_saphyr::from_str_with_options::<Value>(text, options) {
        Ok(Value::Object(lock)) => Some(lock),
        _ => None,
    }
}

/// `pnpm-lock.yaml` (lockfile format 6 and 9): `importers` are the workspace packages,
/// `packages` and `snapshots` the resolved ones; the rest is everything else (settings,
/// overrides, the format version).
fn parse_pnpm_lock(text: Option<&str>) -> Parsed {
    let Some(text) = text else {
        return Parsed::unparsed(None, "");
    };
    let Some(mut lock) = yaml_lockfile(text) else {
        return Parsed::unparsed(Some(text), "it does not parse as YAML");
    };
    let importers = lock.remove("importers").unwrap_or(Value::Null);
    let packages = lock.remove("packages").unwrap_or(Value::Null);
    let snapshots = lock.remove("snapshots").unwrap_or(Value::Null);
    let mut entries = BTreeMap::new();
    let mut dependencies: BTreeMap<String, Vec<String>> = BTreeMap::new();
    // Keys of resolved packages are `name@version(peers)`; format 6 writes them `/name@...`.
    let key_of = |name: &str, version: &str| format!("{name}@{version}");
    let resolved = |dependencies: &Value| -> Vec<String> {
        ["dependencies", "optionalDependencies"]
            .iter()
            .filter_map(|table| dependencies[table].as_object())
            .flatten()
            .filter_map(|(name, version)| version.as_str().map(|version| key_of(name, version)))
            .collect()
    };
    let all: Vec<(&String, &Value)> = packages
        .as_object()
        .into_iter()
        .flatten()
        .chain(snapshots.as_object().into_iter().flatten())
        .collect();
    for (written, value) in all {
        let key = written.trim_start_matches('/').to_owned();
        let bare = key.split('(').next().unwrap_or(&key).to_owned();
        let (package, version) = match bare.rfind('@') {
            Some(at) if at > 0 => (&bare[..at], &bare[at + 1..]),
            _ => (bare.as_str(), ""),
        };
        let entry = entries.entry(key.clone()).or_insert_with(|| Entry {
            package: package.to_owned(),
            version: version.to_owned(),
            canonical: String::new(),
        });
        entry.canonical.push_str(&value.to_string());
        dependencies
            .entry(key.clone())
            .or_default()
            .extend(resolved(value));
        // A snapshot `a@1(b@2)` resolves the package `a@1`.
        if bare != key {
            dependencies.entry(key).or_default().push(bare);
        }
    }
    let mut importer_keys = BTreeSet::new();
    for (path, importer) in importers.as_object().into_iter().flatten() {
        let importer_key = format!("importer:{path}");
        let mut targets = Vec::new();
        for table in ["dependencies", "devDependencies", "optionalDependencies"] {
            for (name, spec) in importer[table].as_object().into_iter().flatten() {
                let version = spec["version"]
                    .as_str()
                    .or_else(|| spec.as_str())
                    .unwrap_or("");
                if let Some(link) = version.strip_prefix("link:") {
                    targets.push(format!("importer:{}", join_relative(path, link)));
                } else {
                    targets.push(key_of(name, version));
                }
            }
        }
        entries.insert(
            importer_key.clone(),
            Entry {
                package: path.clone(),
                version: String::new(),
                canonical: importer.to_string(),
            },
        );
        importer_keys.insert(importer_key.clone());
        dependencies.insert(importer_key, targets);
    }
    Parsed {
        rest: Value::Object(lock).to_string(),
        rest_cause: "a part that names no package (settings, overrides, the format version) changed",
        entries,
        select: Selector::PnpmGraph {
            importers: importer_keys,
            dependencies,
        },
    }
}

/// `package-lock.json` (lockfile format 2 and 3): `packages` by location (`""` the root,
/// `packages/web` a workspace package, `node_modules/lodash` an installed one); a dependency
/// resolves as Node does, from the nearest `node_modules` up, and `link`s lead to workspace
/// packages. The rest (name, version, format) is everything else; format 1, without
/// `packages`, is not read by entry.
fn parse_npm_lock(text: Option<&str>) -> Parsed {
    let Some(text) = text else {
        return Parsed::unparsed(None, "");
    };
    let Ok(Value::Object(mut lock)) = serde_json::from_str::<Value>(text) else {
        return Parsed::unparsed(Some(text), "it does not parse as JSON");
    };
    let Some(Value::Object(packages)) = lock.remove("packages") else {
        return Parsed::unparsed(Some(text), "it has no `packages` (lockfile format 1)");
    };
    let mut entries = BTreeMap::new();
    let mut dependencies: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut importers = BTreeSet::new();
    for (location, entry) in &packages {
        let package = location
            .rsplit_once("node_modules/")
            .map_or(location.as_str(), |(_, name)| name);
        entries.insert(
            location.clone(),
            Entry {
                package: package.to_owned(),
                version: entry["version"].as_str().unwrap_or("").to_owned(),
                canonical: entry.to_string(),
            },
        );
        let mut targets = Vec::new();
        if entry["link"].as_bool() == Some(true) {
            targets.extend(entry["resolved"].as_str().map(str::to_owned));
        }
        for table in [
            "dependencies",
            "devDependencies",
            "optionalDependencies",
            "peerDependencies",
        ] {
            for name in entry[table].as_object().into_iter().flat_map(|t| t.keys()) {
                targets.extend(resolve_node(&packages, location, name));
            }
        }
        dependencies.insert(location.clone(), targets);
        if !location.contains("node_modules/") {
            let importer = format!(
                "importer:{}",
                if location.is_empty() { "." } else { location }
            );
            dependencies.insert(importer.clone(), vec![location.clone()]);
            importers.insert(importer);
        }
    }
    Parsed {
        rest: Value::Object(lock).to_string(),
        rest_cause: "a part that names no package (the root's name or version, the format) changed",
        entries,
        select: Selector::PnpmGraph {
            importers,
            dependencies,
        },
    }
}

/// `yarn.lock` of Yarn 2 and later (YAML): each entry is keyed by the descriptors it resolves
/// (`lodash@npm:^4.17.0, lodash@npm:^4.17.21`); a dependency `name: range` leads to the entry
/// listing `name@range`, and workspace packages are the entries resolved
/// `name@workspace:<path>`. The rest is `__metadata`. Yarn 1's format is not YAML: it is read as
/// one unattributable whole.
fn parse_yarn_lock(text: Option<&str>) -> Parsed {
    let Some(text) = text else {
        return Parsed::unparsed(None, "");
    };
    let Some(mut lock) = yaml_lockfile(text) else {
        return Parsed::unparsed(
            Some(text),
            "it does not parse as the YAML of Yarn 2 and later",
        );
    };
    let Some(metadata) = lock.remove("__metadata") else {
        return Parsed::unparsed(Some(text), "it has no `__metadata` (Yarn 1)");
    };
    let mut by_descriptor: BTreeMap<&str, &str> = BTreeMap::new();
    for key in lock.keys() {
        for descriptor in key.split(',').map(str::trim) {
            by_descriptor.insert(descriptor, key);
        }
    }
    let mut entries = BTreeMap::new();
    let mut dependencies: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut importers = BTreeSet::new();
    for (key, entry) in &lock {
        let resolution = entry["resolution"].as_str().unwrap_or(key);
        let package = match resolution.get(1..).and_then(|rest| rest.find('@')) {
            Some(at) => &resolution[..=at],
            None => resolution,
        };
        entries.insert(
            key.clone(),
            Entry {
                package: package.to_owned(),
                version: entry["version"].as_str().unwrap_or("").to_owned(),
                canonical: entry.to_string(),
            },
        );
        let targets = ["dependencies", "peerDependencies", "optionalDependencies"]
            .iter()
            .filter_map(|table| entry[table].as_object())
            .flatten()
            .filter_map(|(name, range)| {
                let descriptor = format!("{name}@{}", range.as_str()?);
                by_descriptor
                    .get(descriptor.as_str())
                    .map(|key| (*key).to_owned())
            })
            .collect();
        dependencies.insert(key.clone(), targets);
        if let Some((_, path)) = resolution.split_once("@workspace:") {
            let importer = format!("importer:{path}");
            dependencies.insert(importer.clone(), vec![key.clone()]);
            importers.insert(importer);
        }
    }
    Parsed {
        rest: metadata.to_string(),
        rest_cause: "a part that names no package (`__metadata`) changed",
        entries,
        select: Selector::PnpmGraph {
            importers,
            dependencies,
        },
    }
}

/// Where `name`, required from the package at `location`, is installed: the nearest
/// `node_modules/name` from `location` up to the root.
fn resolve_node(
    packages: &serde_json::Map<String, Value>,
    location: &str,
    name: &str,
) -> Option<String> {
    let mut at = location;
    loop {
        let candidate = if at.is_empty() {
            format!("node_modules/{name}")
        } else {
            format!("{at}/node_modules/{name}")
        };
        if packages.contains_key(&candidate) {
            return Some(candidate);
        }
        if at.is_empty() {
            return None;
        }
        at = at.rsplit_once('/').map_or("", |(parent, _)| parent);
        at = at.strip_suffix("/node_modules").unwrap_or(at);
        if at == "node_modules" {
            at = "";
        }
    }
}

/// `base/link` with `.` and `..` resolved: where a `link:` of importer `base` points.
fn join_relative(base: &str, link: &str) -> String {
    let mut parts: Vec<&str> = if base == "." {
        Vec::new()
    } else {
        base.split('/').collect()
    };
    for part in link.split('/') {
        match part {
            "." | "" => {}
            ".." => {
                parts.pop();
            }
            other => parts.push(other),
        }
    }
    if parts.is_empty() {
        ".".to_owned()
    } else {
        parts.join("/")
    }
}
