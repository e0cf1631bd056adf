//! What the repository's own build files declare: workspace members, and which member uses
//! which (package.json dependencies on workspace packages, Cargo path dependencies, .NET
//! `ProjectReference`s).

use std::path::{Component, Path, PathBuf};

use crate::failure::Failure;
use crate::init::discovery::relative;

fn read(path: &Path) -> Result<Option<String>, Failure> {
    match std::fs::read_to_string(path) {
        Ok(text) => Ok(Some(text)),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(error) => Err(Failure::io(format!("read {}", path.display()), error)),
    }
}

fn unreadable(path: &Path, error: impl std::fmt::Display) -> Failure {
    Failure::Refused {
        message: format!("failed to parse {}: {error}", path.display()),
        hint: None,
    }
}

fn json(path: &Path) -> Result<Option<serde_json::Value>, Failure> {
    read(path)?
        .map(|text| serde_json::from_str(&text).map_err(|error| unreadable(path, error)))
        .transpose()
}

fn toml_file(path: &Path) -> Result<Option<toml::Table>, Failure> {
    read(path)?
        .map(|text| {
            text.parse::<toml::Table>()
                .map_err(|error| unreadable(path, error))
        })
        .transpose()
}

/// `workspaces` of the root package.json: a list, or `{ "packages": [...] }` (Yarn).
pub(crate) fn npm_workspace_globs(root: &Path) -> Result<Vec<String>, Failure> {
    let Some(package) = json(&root.join("package.json"))? else {
        return Ok(Vec::new());
    };
    let workspaces = &package["workspaces"];
    let list = workspaces
        .as_array()
        .or_else(|| workspaces["packages"].as_array());
    Ok(list
        .into_iter()
        .flatten()
        .filter_map(|glob| glob.as_str().map(str::to_owned))
        .collect())
}

/// `[workspace] members` of the root Cargo.toml.
pub(crate) fn cargo_workspace_members(root: &Path) -> Result<Vec<String>, Failure> {
    let Some(manifest) = toml_file(&root.join("Cargo.toml"))? else {
        return Ok(Vec::new());
    };
    let members = manifest
        .get("workspace")
        .and_then(|workspace| workspace.get("members"))
        .and_then(toml::Value::as_array);
    Ok(members
        .into_iter()
        .flatten()
        .filter_map(|member| member.as_str().map(str::to_owned))
        .collect())
}

/// What the build files inside one component's directory say about it.
#[derive(Debug, Default)]
pub(crate) struct References {
    /// Component directories it needs to build and run: they order deploys.
    pub(crate) runtime: Vec<String>,
    /// Component directories only its tests or tools need (`devDependencies`, Cargo
    /// `[dev-dependencies]`): they may close cycles.
    pub(crate) dev: Vec<String>,
    /// Repository-relative globs of files outside the directory that its projects compile in
    /// (.NET `<Compile Include="..\Shared\*.cs" Link="...">`).
    pub(crate) linked: Vec<String>,
}

/// The component directories (out of `components`) that the build files inside `dir` refer to.
pub(crate) fn dependencies_of(
    root: &Path,
    dir: &str,
    components: &[String],
) -> Result<References, Failure> {
    let owner = |path: &Path| -> Option<String> {
        let path = relative(root, &normalize(path));
        components
            .iter()
            .filter(|component| path == **component || path.starts_with(&format!("{component}/")))
            .max_by_key(|component| component.len())
            .cloned()
    };
    let absolute = root.join(dir);
    let mut references = References::default();
    let by_name = |package: &str| {
        components
            .iter()
            .find(|component| {
                package_name(root, component).ok().flatten().as_deref() == Some(package)
            })
            .cloned()
    };
    let (runtime, dev) = npm_dependencies(&absolute)?;
    references
        .runtime
        .extend(runtime.iter().filter_map(|p| by_name(p)));
    references.dev.extend(dev.iter().filter_map(|p| by_name(p)));
    let (runtime, dev) = cargo_path_dependencies(root, &absolute)?;
    references
        .runtime
        .extend(runtime.iter().filter_map(|p| owner(p)));
    references.dev.extend(dev.iter().filter_map(|p| owner(p)));
    let (projects, linked) = project_references(root, &absolute)?;
    references
        .runtime
        .extend(projects.iter().filter_map(|p| owner(p)));
    references.linked = linked;
    Ok(references)
}

fn package_name(root: &Path, dir: &str) -> Result<Option<String>, Failure> {
    Ok(json(&root.join(dir).join("package.json"))?
        .and_then(|package| package["name"].as_str().map(str::to_owned)))
}

/// Names in the dependency tables of `dir/package.json`: those needed at run time
/// (`dependencies`, `peerDependencies`, `optionalDependencies`), and `devDependencies`.
fn npm_dependencies(dir: &Path) -> Result<(Vec<String>, Vec<String>), Failure> {
    let Some(package) = json(&dir.join("package.json"))? else {
        return Ok((Vec::new(), Vec::new()));
    };
    let names = |tables: &[&str]| -> Vec<String> {
        tables
            .iter()
            .filter_map(|table| package[table].as_object())
            .flat_map(|table| table.keys().cloned())
            .collect()
    };
    Ok((
        names(&["dependencies", "peerDependencies", "optionalDependencies"]),
        names(&["devDependencies"]),
    ))
}

/// Directories of `path = ...` dependencies in `dir/Cargo.toml`, including those inherited
/// with `workspace = true` from the root's `[workspace.dependencies]` and those under
/// `[target.'cfg(...)'.*]`: normal and build dependencies, then dev-dependencies.
fn cargo_path_dependencies(
    root: &Path,
    dir: &Path,
) -> Result<(Vec<PathBuf>, Vec<PathBuf>), Failure> {
    let Some(manifest) = toml_file(&dir.join("Cargo.toml"))? else {
        return Ok((Vec::new(), Vec::new()));
    };
    let workspace = toml_file(&root.join("Cargo.toml"))?;
    let inherited = workspace
        .as_ref()
        .and_then(|workspace| workspace.get("workspace"))
        .and_then(|workspace| workspace.get("dependencies"))
        .and_then(toml::Value::as_table);
    let mut tables: Vec<&toml::Table> = vec![&manifest];
    tables.extend(
        manifest
            .get("target")
            .and_then(toml::Value::as_table)
            .into_iter()
            .flat_map(|targets| targets.values())
            .filter_map(toml::Value::as_table),
    );
    let (mut runtime, mut dev) = (Vec::new(), Vec::new());
    for table in tables {
        for (key, is_dev) in [
            ("dependencies", false),
            ("build-dependencies", false),
            ("dev-dependencies", true),
        ] {
            let into = if is_dev { &mut dev } else { &mut runtime };
            let Some(dependencies) = table.get(key).and_then(toml::Value::as_table) else {
                continue;
            };
            for (name, dependency) in dependencies {
                if let Some(path) = dependency.get("path").and_then(toml::Value::as_str) {
                    into.push(dir.join(path));
                } else if dependency.get("workspace").and_then(toml::Value::as_bool) == Some(true)
                    && let Some(path) = inherited
                        .and_then(|inherited| inherited.get(name))
                        .and_then(|d| d.get("path"))
                        .and_then(toml::Value::as_str)
                {
                    into.push(root.join(path));
                }
            }
        }
    }
    Ok((runtime, dev))
}

/// Items of .NET project files that name files rather than projects or packages.
const FILE_ITEMS: [&str; 5] = [
    "Compile",
    "Content",
    "None",
    "EmbeddedResource",
    "AdditionalFiles",
];

/// In every .NET project file under `dir`: the targets of `<ProjectReference Include="...">`,
/// and the repository-relative globs of files it includes from outside `dir` (linked files).
fn project_references(root: &Path, dir: &Path) -> Result<(Vec<PathBuf>, Vec<String>), Failure> {
    let mut references = Vec::new();
    let mut linked = Vec::new();
    let mut walker = ignore::WalkBuilder::new(dir);
    walker.require_git(false);
    for entry in walker.build().filter_map(Result::ok) {
        let path = entry.path();
        let is_project = path.extension().is_some_and(|extension| {
            ["csproj", "fsproj", "vbproj"]
                .iter()
                .any(|e| extension.eq_ignore_ascii_case(e))
        });
        if !is_project {
            continue;
        }
        let Some(text) = read(path)? else { continue };
        let document =
            roxmltree::Document::parse(&text).map_err(|error| unreadable(path, error))?;
        let project_dir = path.parent().unwrap_or(dir);
        for node in document.descendants().filter(roxmltree::Node::is_element) {
            let Some(include) = node.attribute("Include") else {
                continue;
            };
            let name = node.tag_name().name();
            if name == "ProjectReference" {
                references.push(project_dir.join(include.replace('\\', "/")));
            } else if FILE_ITEMS.contains(&name) {
                for glob in include.split(';').map(str::trim).filter(|g| !g.is_empty()) {
                    if glob.contains("$(") {
                        continue;
                    }
                    let target = normalize(&project_dir.join(glob.replace('\\', "/")));
                    if target.starts_with(root) && !target.starts_with(dir) {
                        linked.push(relative(root, &target));
                    }
                }
            }
        }
    }
    Ok((references, linked))
}

/// Resolves `.` and `..` without touching the file system (the target may not exist).
fn normalize(path: &Path) -> PathBuf {
    let mut normalized = PathBuf::new();
    for component in path.components() {
        match component {
            Component::ParentDir => {
                normalized.pop();
            }
            Component::CurDir => {}
            other => normalized.push(other),
        }
    }
    normalized
}
