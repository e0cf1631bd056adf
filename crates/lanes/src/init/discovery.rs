//! Finding components: workspace members (`package.json` workspaces, Cargo workspace members)
//! where the repository declares them, otherwise one per directory under `src/`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::failure::Failure;
use crate::init::component_name::component_name;
use crate::init::references::{cargo_workspace_members, dependencies_of, npm_workspace_globs};

/// How the components were found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Layout {
    Workspaces,
    SourceDirectories,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct DiscoveredComponent {
    pub(crate) name: String,
    /// Repository-relative directory, `/`-separated.
    pub(crate) dir: String,
    /// Names of other discovered components, sorted.
    pub(crate) depends_on: Vec<String>,
    /// Names of components only its tests or tools need, sorted; not in `depends_on`.
    pub(crate) dev_depends_on: Vec<String>,
    /// Globs of files outside `dir` that it compiles in, sorted.
    pub(crate) linked: Vec<String>,
}

/// Build files at the repository root that every component reads.
#[derive(Debug, Default)]
pub(crate) struct RootFiles {
    /// Inputs of every component: root build settings, and lockfiles lanes cannot read by entry.
    pub(crate) shared: Vec<String>,
    /// Central files lanes reads by entry, with their kind.
    pub(crate) central: Vec<(String, &'static str)>,
}

/// Root files that configure every build: a change there may change any component.
const ROOT_BUILD_FILES: [&str; 16] = [
    ".cargo/config.toml",
    ".node-version",
    ".npmrc",
    ".nvmrc",
    ".yarnrc.yml",
    "Cargo.toml",
    "Directory.Build.props",
    "Directory.Build.rsp",
    "Directory.Build.targets",
    "NuGet.config",
    "global.json",
    "nuget.config",
    "package.json",
    "rust-toolchain",
    "rust-toolchain.toml",
    "tsconfig.base.json",
];

/// Lockfiles lanes does not read by entry (Yarn 1's): shared, the safe answer.
const OPAQUE_LOCKFILES: [&str; 1] = ["yarn.lock"];

/// The root build files and central files of the repository at `root`.
pub(crate) fn root_files(root: &Path) -> RootFiles {
    let exists = |name: &str| root.join(name).is_file();
    let mut files = RootFiles::default();
    for (name, kind) in [
        ("Cargo.lock", "cargo-lock"),
        ("Directory.Packages.props", "nuget-central"),
        ("package-lock.json", "npm-lock"),
        ("pnpm-lock.yaml", "pnpm-lock"),
    ] {
        if exists(name) {
            files.central.push((name.to_owned(), kind));
        }
    }
    // A virtual workspace root's `[workspace.dependencies]` are read by entry; a root that is
    // also a package (which lanes would read whole) stays an ordinary build file.
    let cargo_workspace = std::fs::read_to_string(root.join("Cargo.toml"))
        .ok()
        .and_then(|text| text.parse::<toml::Table>().ok())
        .is_some_and(|table| table.contains_key("workspace") && !table.contains_key("package"));
    if cargo_workspace {
        files
            .central
            .push(("Cargo.toml".to_owned(), "cargo-workspace"));
    }
    // Yarn 2 and later write YAML with `__metadata`; Yarn 1's own format is not read by entry.
    let yarn_berry = std::fs::read_to_string(root.join("yarn.lock"))
        .is_ok_and(|text| text.contains("\n__metadata:") || text.starts_with("__metadata:"));
    if yarn_berry {
        files.central.push(("yarn.lock".to_owned(), "yarn-lock"));
    }
    files.central.sort();
    files.shared = ROOT_BUILD_FILES
        .iter()
        .chain(if yarn_berry {
            &[][..]
        } else {
            &OPAQUE_LOCKFILES[..]
        })
        .filter(|name| exists(name) && !(cargo_workspace && **name == "Cargo.toml"))
        .map(|name| (*name).to_owned())
        .collect();
    files.shared.sort();
    files
}

/// Finds the components of the repository at `root`, with their dependencies.
pub(crate) fn discover(root: &Path) -> Result<(Layout, Vec<DiscoveredComponent>), Failure> {
    let mut dirs = workspace_members(root)?;
    let layout = if dirs.is_empty() {
        dirs = subdirectories(root, "src");
        Layout::SourceDirectories
    } else {
        Layout::Workspaces
    };
    if dirs.is_empty() {
        return Err(Failure::Refused {
            message: format!("found no components in {}", root.display()),
            hint: Some("lanes looks for directories under src/, package.json workspaces and Cargo workspace members; write lanes.yml by hand otherwise".to_owned()),
        });
    }
    dirs.sort();
    dirs.dedup();
    let names = unique_names(&dirs);
    let mut components = Vec::new();
    for dir in &dirs {
        let references = dependencies_of(root, dir, &dirs)?;
        let names_of = |dependencies: Vec<String>| -> Vec<String> {
            let mut names: Vec<String> = dependencies
                .into_iter()
                .filter(|dependency| dependency != dir)
                .map(|dependency| names[&dependency].clone())
                .collect();
            names.sort();
            names.dedup();
            names
        };
        let depends_on = names_of(references.runtime);
        let dev_depends_on = names_of(references.dev)
            .into_iter()
            .filter(|name| !depends_on.contains(name))
            .collect();
        let mut linked = references.linked;
        linked.sort();
        linked.dedup();
        components.push(DiscoveredComponent {
            name: names[dir].clone(),
            dir: dir.clone(),
            depends_on,
            dev_depends_on,
            linked,
        });
    }
    components.sort_by(|a, b| a.name.cmp(&b.name));
    demote_cycles(&mut components);
    Ok((layout, components))
}

/// Runtime references that close a cycle (peer dependencies can) become dev-only ones: package
/// managers accept such cycles, and `depends_on` orders deploys, so it cannot hold them.
/// `components` is sorted by name.
fn demote_cycles(components: &mut [DiscoveredComponent]) {
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        New,
        Open,
        Done,
    }
    let index = |name: &str| {
        components
            .binary_search_by(|component| component.name.as_str().cmp(name))
            .ok()
    };
    let edges: Vec<Vec<usize>> = components
        .iter()
        .map(|component| {
            component
                .depends_on
                .iter()
                .filter_map(|d| index(d))
                .collect()
        })
        .collect();
    let mut marks = vec![Mark::New; components.len()];
    let mut closing: Vec<(usize, usize)> = Vec::new();
    for start in 0..components.len() {
        if marks[start] != Mark::New {
            continue;
        }
        marks[start] = Mark::Open;
        let mut path = vec![(start, 0)];
        while let Some(&mut (node, ref mut next)) = path.last_mut() {
            if let Some(&target) = edges[node].get(*next) {
                *next += 1;
                match marks[target] {
                    Mark::New => {
                        marks[target] = Mark::Open;
                        path.push((target, 0));
                    }
                    Mark::Open => closing.push((node, target)),
                    Mark::Done => {}
                }
            } else {
                marks[node] = Mark::Done;
                path.pop();
            }
        }
    }
    for (from, to) in closing {
        let name = components[to].name.clone();
        let component = &mut components[from];
        component
            .depends_on
            .retain(|dependency| *dependency != name);
        component.dev_depends_on.push(name);
        component.dev_depends_on.sort();
        component.dev_depends_on.dedup();
    }
}

/// Directory name to component name; on a clash, the whole path names the component.
fn unique_names(dirs: &[String]) -> BTreeMap<String, String> {
    let short = |dir: &str| component_name(dir.rsplit('/').next().unwrap_or(dir));
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    for dir in dirs {
        *counts.entry(short(dir)).or_default() += 1;
    }
    dirs.iter()
        .map(|dir| {
            let name = short(dir);
            let name = if counts[&name] > 1 {
                component_name(dir)
            } else {
                name
            };
            (dir.clone(), name)
        })
        .collect()
}

/// Members declared by the root `package.json` and `Cargo.toml`.
fn workspace_members(root: &Path) -> Result<Vec<String>, Failure> {
    let mut globs = npm_workspace_globs(root)?;
    globs.extend(cargo_workspace_members(root)?);
    let mut members = Vec::new();
    for glob in globs {
        let glob = glob
            .trim_start_matches("./")
            .trim_end_matches('/')
            .to_owned();
        let matcher = globset::GlobBuilder::new(&glob)
            .literal_separator(true)
            .build()
            .map_err(|error| Failure::Refused {
                message: format!("workspace member glob `{glob}` is invalid: {error}"),
                hint: None,
            })?
            .compile_matcher();
        let literal: Vec<&str> = glob
            .split('/')
            .take_while(|part| !part.contains(['*', '?', '[', '{']))
            .collect();
        let start = literal.join("/");
        let depth = glob.split('/').count() - literal.len();
        let walk_root = root.join(&start);
        if !walk_root.is_dir() {
            continue;
        }
        let mut walker = ignore::WalkBuilder::new(&walk_root);
        walker.require_git(false);
        if !glob.contains("**") {
            walker.max_depth(Some(depth));
        }
        for entry in walker.build().filter_map(Result::ok) {
            if !entry.file_type().is_some_and(|kind| kind.is_dir()) {
                continue;
            }
            let relative = relative(root, entry.path());
            let is_package = entry.path().join("package.json").is_file()
                || entry.path().join("Cargo.toml").is_file();
            if matcher.is_match(&relative) && is_package && !relative.is_empty() {
                members.push(relative);
            }
        }
    }
    Ok(members)
}

/// The directories directly under `root/name`, skipping hidden and ignored ones.
fn subdirectories(root: &Path, name: &str) -> Vec<String> {
    let dir = root.join(name);
    if !dir.is_dir() {
        return Vec::new();
    }
    let mut walker = ignore::WalkBuilder::new(&dir);
    walker.require_git(false).max_depth(Some(1));
    walker
        .build()
        .filter_map(Result::ok)
        .filter(|entry| entry.depth() == 1 && entry.file_type().is_some_and(|kind| kind.is_dir()))
        .map(|entry| relative(root, entry.path()))
        .collect()
}

/// `path` relative to `root`, `/`-separated.
pub(crate) fn relative(root: &Path, path: &Path) -> String {
    let relative: PathBuf = path.strip_prefix(root).unwrap_or(path).to_path_buf();
    relative
        .components()
        .map(|part| part.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/")
}
