//! Change detection and fingerprints as pure functions: every rule on small manifests, and the
//! property that a component is affected exactly when its fingerprint changes.

use std::collections::BTreeMap;

use lanes_graph::{
    BaseManifest, ChangeKind, ChangedFile, ComponentGraph, ManifestChange, Reason, TrackedFile,
    affected, fingerprints,
};
use lanes_manifest::Manifest;
use proptest::prelude::*;

const MANIFEST: &str = r#"
version: 1
shared: ["global.json", "build/**"]
ignore: ["**/*.md", "docs/**"]
components:
  infrastructure: { path: src/Infrastructure }
  fhir: { path: src/Fhir, depends_on: [infrastructure] }
  frontend:
    paths: ["src/Frontend/**", "!src/Frontend/legacy/**"]
    depends_on: [fhir]
  monitoring: { paths: ["src/Monitoring/**/*.json", "tools/monitor.sh"] }
"#;

fn manifest(text: &str) -> Manifest {
    Manifest::parse("lanes.yml", text).unwrap()
}

fn modified(paths: &[&str]) -> Vec<ChangedFile> {
    paths
        .iter()
        .map(|path| ChangedFile {
            path: (*path).to_owned(),
            kind: ChangeKind::Modified,
        })
        .collect()
}

fn names(
    manifest: &Manifest,
    base: BaseManifest<'_>,
    changes: &[ChangedFile],
) -> Vec<(String, bool)> {
    let graph = ComponentGraph::new(manifest);
    affected(&graph, base, changes)
        .components
        .into_iter()
        .map(|c| (c.name, c.direct))
        .collect()
}

fn owned(list: &[(&str, bool)]) -> Vec<(String, bool)> {
    list.iter()
        .map(|(name, direct)| ((*name).to_owned(), *direct))
        .collect()
}

#[test]
fn a_file_affects_its_component_and_dependents_transitively() {
    let m = manifest(MANIFEST);
    let result = names(
        &m,
        BaseManifest::Unchanged,
        &modified(&["src/Infrastructure/main.bicep"]),
    );
    assert_eq!(
        result,
        owned(&[
            ("fhir", false),
            ("frontend", false),
            ("infrastructure", true)
        ])
    );
}

#[test]
fn ignore_wins_over_component_globs() {
    let m = manifest(MANIFEST);
    let changes = modified(&["src/Fhir/README.md", "docs/guide.txt"]);
    let graph = ComponentGraph::new(&m);
    let result = affected(&graph, BaseManifest::Unchanged, &changes);
    assert!(result.components.is_empty());
    assert_eq!(
        result.ignored_files,
        ["src/Fhir/README.md", "docs/guide.txt"]
    );
}

/// Whichever pattern is met first on the way down the path, an ignored file is nobody's input,
/// shared or not: it affects nothing and changes no fingerprint.
#[test]
fn ignore_wins_over_shared() {
    let m = manifest(&MANIFEST.replace(
        r#"ignore: ["**/*.md", "docs/**"]"#,
        r#"ignore: ["**/*.md", "docs/**", "build/generated/**"]"#,
    ));
    // `**/*.md` is met before `build/**`; `build/**` before `build/generated/**`.
    let both = ["build/notes.md", "build/generated/props.xml"];
    let graph = ComponentGraph::new(&m);
    let result = affected(&graph, BaseManifest::Unchanged, &modified(&both));
    let names: Vec<&str> = result.components.iter().map(|c| c.name.as_str()).collect();
    assert!(names.is_empty(), "{names:?}");
    assert_eq!(result.ignored_files, both);

    let file = |byte: u8| ([byte; 20], 0o100_644);
    let mut tree: Tree = [("build/props.xml", 1), ("src/Fhir/a.cs", 2)]
        .into_iter()
        .map(|(path, byte)| (path.to_owned(), file(byte)))
        .collect();
    let before = fingerprint_map(&m, &tree);
    for (n, path) in (3..).zip(both) {
        tree.insert(path.to_owned(), file(n));
    }
    assert_eq!(fingerprint_map(&m, &tree), before);
}

#[test]
fn shared_files_affect_every_component() {
    let m = manifest(MANIFEST);
    let result = names(&m, BaseManifest::Unchanged, &modified(&["build/props.xml"]));
    assert_eq!(result.len(), 4);
    assert!(result.iter().all(|(_, direct)| *direct));
}

#[test]
fn excludes_remove_paths_from_a_component() {
    let m = manifest(MANIFEST);
    assert!(
        names(
            &m,
            BaseManifest::Unchanged,
            &modified(&["src/Frontend/legacy/old.js"])
        )
        .is_empty()
    );
    assert_eq!(
        names(
            &m,
            BaseManifest::Unchanged,
            &modified(&["src/Frontend/app.js"])
        ),
        owned(&[("frontend", true)])
    );
}

#[test]
fn globs_with_wildcards_and_literal_files_match() {
    let m = manifest(MANIFEST);
    let hits = names(
        &m,
        BaseManifest::Unchanged,
        &modified(&["src/Monitoring/a/b/alerts.json", "tools/monitor.sh"]),
    );
    assert_eq!(hits, owned(&[("monitoring", true)]));
    assert!(
        names(
            &m,
            BaseManifest::Unchanged,
            &modified(&["src/Monitoring/a/run.sh"])
        )
        .is_empty()
    );
}

#[test]
fn unowned_files_are_reported() {
    let m = manifest(MANIFEST);
    let graph = ComponentGraph::new(&m);
    let result = affected(&graph, BaseManifest::Unchanged, &modified(&["Makefile"]));
    assert_eq!(result.unowned_files, ["Makefile"]);
}

#[test]
fn reasons_name_the_path_and_the_pattern() {
    let m = manifest(MANIFEST);
    let graph = ComponentGraph::new(&m);
    let changes = vec![ChangedFile {
        path: "src/Fhir/Api.cs".into(),
        kind: ChangeKind::Deleted,
    }];
    let result = affected(&graph, BaseManifest::Unchanged, &changes);
    assert_eq!(
        result.components[0].reasons,
        [Reason::Path {
            path: "src/Fhir/Api.cs".into(),
            change: ChangeKind::Deleted,
            pattern: "src/Fhir/**".into()
        }]
    );
    assert_eq!(
        result.components[1].reasons,
        [Reason::Dependency {
            component: "fhir".into()
        }]
    );
}

#[test]
fn a_manifest_change_affects_exactly_the_changed_sections() {
    let old = manifest(MANIFEST);
    let new = manifest(&MANIFEST.replace(
        "monitoring: { paths: [",
        "monitoring: { approvers: [ann], paths: [",
    ));
    let graph = ComponentGraph::new(&new);
    let result = affected(
        &graph,
        BaseManifest::Changed(&old),
        &modified(&["lanes.yml"]),
    );
    assert_eq!(result.names(), ["monitoring"]);
    assert_eq!(
        result.components[0].reasons,
        [Reason::Manifest {
            cause: ManifestChange::SectionChanged
        }]
    );
}

#[test]
fn a_new_dependency_affects_the_dependent_only() {
    let old = manifest(MANIFEST);
    let new = manifest(&MANIFEST.replace(
        "monitoring: { paths: [",
        "monitoring: { depends_on: [fhir], paths: [",
    ));
    assert_eq!(
        names(&new, BaseManifest::Changed(&old), &modified(&["lanes.yml"])),
        owned(&[("monitoring", true)])
    );
}

#[test]
fn a_global_manifest_change_affects_everyone() {
    let old = manifest(MANIFEST);
    let new = manifest(&format!(
        "{MANIFEST}stages:\n  - {{ name: pr, run: [make] }}\n"
    ));
    let graph = ComponentGraph::new(&new);
    let result = affected(&graph, BaseManifest::Changed(&old), &[]);
    assert_eq!(result.components.len(), 4);
    assert!(result.components.iter().all(|c| c.direct
        && c.reasons[0]
            == Reason::Manifest {
                cause: ManifestChange::GlobalChanged
            }));
}

#[test]
fn a_component_new_in_the_manifest_is_affected() {
    let old = manifest(MANIFEST);
    let new = manifest(&format!("{MANIFEST}  sql: {{ path: src/Sql }}\n"));
    assert_eq!(
        names(&new, BaseManifest::Changed(&old), &[]),
        owned(&[("sql", true)])
    );
    assert_eq!(names(&new, BaseManifest::Missing, &[]).len(), 5);
    assert_eq!(names(&new, BaseManifest::Invalid, &[]).len(), 5);
}

#[test]
fn reformatting_the_manifest_affects_nothing() {
    let old = manifest(MANIFEST);
    let new = manifest(&format!("# a comment\n{MANIFEST}"));
    assert!(names(&new, BaseManifest::Changed(&old), &modified(&["lanes.yml"])).is_empty());
}

/// A tree: path -> (blob id, mode).
type Tree = BTreeMap<String, ([u8; 20], u32)>;

fn fingerprint_map(manifest: &Manifest, tree: &Tree) -> BTreeMap<String, String> {
    let files: Vec<TrackedFile<'_>> = tree
        .iter()
        .map(|(path, (id, mode))| TrackedFile {
            path,
            id,
            mode: *mode,
        })
        .collect();
    fingerprints(&ComponentGraph::new(manifest), &files)
        .into_iter()
        .map(|f| (f.name, f.fingerprint.to_string()))
        .collect()
}

fn diff(old: &Tree, new: &Tree) -> Vec<ChangedFile> {
    let mut changes = Vec::new();
    for (path, entry) in old {
        match new.get(path) {
            None => changes.push(ChangedFile {
                path: path.clone(),
                kind: ChangeKind::Deleted,
            }),
            Some(other) if other != entry => changes.push(ChangedFile {
                path: path.clone(),
                kind: ChangeKind::Modified,
            }),
            Some(_) => {}
        }
    }
    for path in new.keys().filter(|path| !old.contains_key(*path)) {
        changes.push(ChangedFile {
            path: path.clone(),
            kind: ChangeKind::Added,
        });
    }
    changes
}

fn arbitrary_path() -> impl Strategy<Value = String> {
    let dirs = prop::sample::select(vec![
        "src/Infrastructure",
        "src/Fhir",
        "src/Fhir/Api",
        "src/Frontend",
        "src/Frontend/legacy",
        "src/Monitoring/x",
        "tools",
        "build",
        "docs",
        "",
        "src/Other",
    ]);
    let files = prop::sample::select(vec![
        "a.cs",
        "b.json",
        "README.md",
        "monitor.sh",
        "global.json",
        "c d.txt",
    ]);
    (dirs, files).prop_map(|(dir, file)| {
        if dir.is_empty() {
            file.to_owned()
        } else {
            format!("{dir}/{file}")
        }
    })
}

fn arbitrary_tree() -> impl Strategy<Value = Tree> {
    prop::collection::btree_map(
        arbitrary_path(),
        (
            any::<[u8; 20]>(),
            prop::sample::select(vec![0o100_644, 0o100_755]),
        ),
        0..30,
    )
}

/// `MANIFEST` with dev-only dependencies that close a cycle (`infrastructure -> frontend ->
/// fhir -> infrastructure`), as yarn workspaces have.
const DEV_CYCLE_MANIFEST: &str = r#"
version: 1
shared: ["global.json", "build/**"]
ignore: ["**/*.md", "docs/**"]
components:
  infrastructure: { path: src/Infrastructure, dev_depends_on: [frontend] }
  fhir: { path: src/Fhir, depends_on: [infrastructure] }
  frontend:
    paths: ["src/Frontend/**", "!src/Frontend/legacy/**"]
    depends_on: [fhir]
  monitoring: { paths: ["src/Monitoring/**/*.json", "tools/monitor.sh"], dev_depends_on: [fhir] }
  other: { path: src/Other }
"#;

#[test]
fn dev_dependencies_affect_through_their_cycle_but_order_nothing() {
    let m = manifest(DEV_CYCLE_MANIFEST);
    let result = names(
        &m,
        BaseManifest::Unchanged,
        &modified(&["src/Frontend/app.js"]),
    );
    assert_eq!(
        result,
        owned(&[
            ("fhir", false),
            ("frontend", true),
            ("infrastructure", false),
            ("monitoring", false),
        ])
    );
    let graph = ComponentGraph::new(&m);
    let order: Vec<&str> = graph
        .dependencies_first()
        .iter()
        .map(|id| m.component(*id).name.as_str())
        .collect();
    let position = |name| order.iter().position(|n| *n == name).unwrap();
    assert!(position("infrastructure") < position("fhir"));
    assert!(position("fhir") < position("frontend"));
    let reasons = &affected(
        &graph,
        BaseManifest::Unchanged,
        &modified(&["src/Frontend/a"]),
    )
    .components[2]
        .reasons;
    assert_eq!(
        reasons,
        &[Reason::DevDependency {
            component: "frontend".to_owned()
        }]
    );
}

proptest! {
    #[test]
    fn affected_exactly_when_the_fingerprint_changes(old in arbitrary_tree(), edits in arbitrary_tree(), removals in prop::collection::vec(arbitrary_path(), 0..5), text in prop::sample::select(vec![MANIFEST, DEV_CYCLE_MANIFEST])) {
        let m = manifest(text);
        let mut new = old.clone();
        new.extend(edits);
        for path in removals {
            new.remove(&path);
        }
        let before = fingerprint_map(&m, &old);
        let after = fingerprint_map(&m, &new);
        let changed: Vec<&String> = before.keys().filter(|name| before[*name] != after[*name]).collect();
        let graph = ComponentGraph::new(&m);
        let result = affected(&graph, BaseManifest::Unchanged, &diff(&old, &new));
        let names: Vec<&String> = result.components.iter().map(|c| &c.name).collect();
        prop_assert_eq!(names, changed);
    }
}

#[test]
fn unowned_files_put_the_lanes_scripts_first() {
    let m = manifest(
        "version: 1\nshared: [global.json]\nignore: [\"**/*.md\"]\ncomponents:\n  api: { path: src/Api, stages: { pr: { deploy: \"sh tools/ship.sh\" } } }\nenvironments: { test: {} }\nstages:\n  - { name: pr, run: [\"./ci/test.sh --all && make\"], environment: test, deploy: ./deploy.sh }\n",
    );
    let unowned = lanes_graph::unowned_files(
        &m,
        &[
            "Makefile",
            "README.md",
            "ci/test.sh",
            "deploy.sh",
            "global.json",
            "lanes.yml",
            "src/Api/a.cs",
            "tools/ship.sh",
            "tools/other.sh",
        ],
    );
    assert_eq!(
        unowned.lane_scripts,
        ["ci/test.sh", "deploy.sh", "tools/ship.sh"]
    );
    assert_eq!(unowned.others, ["Makefile", "tools/other.sh"]);
}

/// A .NET repository as the central-file property sees it: package versions (or a file that
/// does not parse), a property, and the packages each project references.
#[derive(Debug, Clone)]
struct NugetState {
    versions: [u8; 3],
    property: bool,
    parses: bool,
    references: [[bool; 3]; 3],
}

const NUGET_MANIFEST: &str = r"
version: 1
central: [{ path: Directory.Packages.props, kind: nuget-central }]
components:
  a: { path: src/A }
  b: { path: src/B, depends_on: [a] }
  c: { path: src/C }
  d: { path: site }
";

impl NugetState {
    /// The repository's files with their texts.
    fn files(&self) -> BTreeMap<String, String> {
        let mut files = BTreeMap::new();
        let versions: Vec<String> = self
            .versions
            .iter()
            .enumerate()
            .map(|(i, v)| format!("<PackageVersion Include=\"P{i}\" Version=\"1.{v}\" />\n"))
            .collect();
        let versions = versions.concat();
        let property = if self.property {
            "<PropertyGroup><X>1</X></PropertyGroup>"
        } else {
            ""
        };
        let props = if self.parses {
            format!("<Project>{property}<ItemGroup>\n{versions}</ItemGroup></Project>")
        } else {
            format!("<Project>{versions}")
        };
        files.insert("Directory.Packages.props".to_owned(), props);
        for (project, references) in ["A", "B", "C"].iter().zip(&self.references) {
            let items: Vec<String> = references
                .iter()
                .enumerate()
                .filter(|(_, on)| **on)
                .map(|(i, _)| format!("<PackageReference Include=\"P{i}\" />"))
                .collect();
            let items = items.concat();
            files.insert(
                format!("src/{project}/{project}.csproj"),
                format!("<Project><ItemGroup>{items}</ItemGroup></Project>"),
            );
        }
        files.insert("site/index.html".to_owned(), String::new());
        files
    }
}

fn arbitrary_nuget() -> impl Strategy<Value = NugetState> {
    (
        any::<[u8; 3]>().prop_map(|v| v.map(|v| v % 3)),
        any::<bool>(),
        prop::bool::weighted(0.9),
        any::<[[bool; 3]; 3]>(),
    )
        .prop_map(|(versions, property, parses, references)| NugetState {
            versions,
            property,
            parses,
            references,
        })
}

fn object_id(text: &str) -> [u8; 20] {
    use sha2::Digest as _;
    let digest = sha2::Sha256::digest(text.as_bytes());
    digest[..20].try_into().unwrap()
}

fn nuget_inputs(
    m: &Manifest,
    files: &BTreeMap<String, String>,
    projects_from: &BTreeMap<String, String>,
) -> BTreeMap<lanes_manifest::ComponentId, lanes_graph::CentralInput> {
    let projects: Vec<lanes_graph::ProjectFile<'_>> = projects_from
        .iter()
        .map(|(path, text)| lanes_graph::ProjectFile {
            path,
            text: text.as_bytes(),
        })
        .collect();
    let central = &m.central()[0];
    lanes_graph::central_inputs(
        m,
        central,
        files.get(&central.path).map(String::as_bytes),
        &projects,
    )
}

proptest! {
    #[test]
    fn central_files_affect_exactly_when_the_fingerprint_changes(old in arbitrary_nuget(), new in arbitrary_nuget()) {
        let m = manifest(NUGET_MANIFEST);
        let graph = ComponentGraph::new(&m);
        let (old_files, new_files) = (old.files(), new.files());
        let tree = |files: &BTreeMap<String, String>| -> Tree {
            files.iter().map(|(path, text)| (path.clone(), (object_id(text), 0o100_644))).collect()
        };
        let (old_tree, new_tree) = (tree(&old_files), tree(&new_files));
        let fingerprint = |files: &BTreeMap<String, String>, tree: &Tree| -> BTreeMap<String, String> {
            let tracked: Vec<TrackedFile<'_>> = tree
                .iter()
                .map(|(path, (id, mode))| TrackedFile { path, id, mode: *mode })
                .collect();
            let inputs = nuget_inputs(&m, files, files);
            lanes_graph::fingerprints_with(&graph, &tracked, &[inputs])
                .into_iter()
                .map(|f| (f.name, f.fingerprint.to_string()))
                .collect()
        };
        let (before, after) = (fingerprint(&old_files, &old_tree), fingerprint(&new_files, &new_tree));
        let changed: Vec<&String> = before.keys().filter(|name| before[*name] != after[*name]).collect();
        // Change detection reads the projects at the newer revision only.
        let reasons = lanes_graph::central_reasons(
            &m.central()[0],
            &nuget_inputs(&m, &old_files, &new_files),
            &nuget_inputs(&m, &new_files, &new_files),
        );
        let result = lanes_graph::affected_with(&graph, BaseManifest::Unchanged, &diff(&old_tree, &new_tree), reasons);
        let names: Vec<&String> = result.components.iter().map(|c| &c.name).collect();
        prop_assert_eq!(names, changed);
        prop_assert!(result.unowned_files.is_empty());
    }
}

#[test]
fn a_package_with_a_version_per_condition_is_compared_in_every_condition() {
    let m = manifest(NUGET_MANIFEST);
    let props = |first: &str| {
        format!(
            "<Project><ItemGroup Condition=\"'$(TargetFramework)' == 'net8.0'\"><PackageVersion Include=\"P0\" Version=\"{first}\" /></ItemGroup><ItemGroup Condition=\"'$(TargetFramework)' == 'net9.0'\"><PackageVersion Include=\"P0\" Version=\"9.0.0\" /></ItemGroup></Project>"
        )
    };
    let project = "<Project><ItemGroup><PackageReference Include=\"P0\" /></ItemGroup></Project>";
    let projects = [lanes_graph::ProjectFile {
        path: "src/A/A.csproj",
        text: project.as_bytes(),
    }];
    let central = &m.central()[0];
    let inputs =
        |text: &str| lanes_graph::central_inputs(&m, central, Some(text.as_bytes()), &projects);
    let reasons =
        lanes_graph::central_reasons(central, &inputs(&props("8.0.0")), &inputs(&props("8.0.1")));
    assert_eq!(
        reasons
            .iter()
            .map(|(_, reason)| reason.clone())
            .collect::<Vec<_>>(),
        [Reason::CentralPackage {
            path: "Directory.Packages.props".to_owned(),
            package: "P0".to_owned(),
            from: Some("8.0.0, 9.0.0".to_owned()),
            to: Some("8.0.1, 9.0.0".to_owned()),
            read_by: "src/A".to_owned(),
        }]
    );
}
