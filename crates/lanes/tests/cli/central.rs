//! Central files by entry: a package version in `Directory.Packages.props`, a lockfile's
//! resolved graph; affected exactly where the fingerprint changes.

use std::collections::BTreeMap;

use crate::harness::{TestRepo, affected_names, fingerprints_of};

const MANIFEST: &str = r"version: 1
central:
  - { path: Directory.Packages.props, kind: nuget-central }
components:
  basket: { path: src/Basket.API }
  ordering: { path: src/Ordering.API }
  web: { path: src/Web, depends_on: [basket] }
  docs-site: { path: site }
";

fn props(http: &str, serilog: &str, extra: &str) -> String {
    format!(
        r#"<Project>
  <PropertyGroup><ManagePackageVersionsCentrally>true</ManagePackageVersionsCentrally>{extra}</PropertyGroup>
  <ItemGroup>
    <PackageVersion Include="Microsoft.Extensions.Http" Version="{http}" />
    <PackageVersion Include="Serilog" Version="{serilog}" />
  </ItemGroup>
</Project>
"#
    )
}

fn project(packages: &[&str], references: &[&str]) -> String {
    let items: Vec<String> = packages
        .iter()
        .map(|p| format!("<PackageReference Include=\"{p}\" />"))
        .chain(
            references
                .iter()
                .map(|r| format!("<ProjectReference Include=\"{r}\" />")),
        )
        .collect();
    let items = items.concat();
    format!("<Project Sdk=\"Microsoft.NET.Sdk\"><ItemGroup>{items}</ItemGroup></Project>")
}

fn repo() -> TestRepo {
    let repo = TestRepo::new();
    repo.write("lanes.yml", MANIFEST)
        .write("Directory.Packages.props", &props("9.0.1", "3.1.0", ""))
        .write(
            "src/Basket.API/Basket.API.csproj",
            &project(&["Microsoft.Extensions.Http"], &[]),
        )
        .write(
            "src/Ordering.API/Ordering.API.csproj",
            &project(&["Serilog"], &[]),
        )
        .write(
            "src/Web/Web.csproj",
            &project(&[], &["..\\Basket.API\\Basket.API.csproj"]),
        )
        .write("site/index.html", "");
    repo.commit("start");
    repo
}

fn fingerprints(repo: &TestRepo, rev: &str) -> BTreeMap<String, String> {
    fingerprints_of(&repo.lanes(&["fingerprint", rev, "--json"]).success())
}

/// Why the last commit affects what it affects (`lanes affected --explain`).
fn explain_last_commit(repo: &TestRepo) -> String {
    repo.lanes(&["affected", "--base", "HEAD~1", "--explain"])
        .success()
        .stdout()
}

/// The components affected by the last commit, checked against the fingerprints' change.
fn affected_by_last_commit(repo: &TestRepo) -> Vec<String> {
    let json = repo
        .lanes(&["affected", "--base", "HEAD~1", "--json"])
        .success()
        .json();
    let names = affected_names(&json);
    let (before, after) = (fingerprints(repo, "HEAD~1"), fingerprints(repo, "HEAD"));
    let changed: Vec<String> = before
        .keys()
        .filter(|name| before[*name] != after[*name])
        .cloned()
        .collect();
    assert_eq!(names, changed, "affected and fingerprints disagree");
    names
}

#[test]
fn a_package_bump_affects_the_projects_referencing_it_and_their_dependents() {
    let repo = repo();
    repo.write("Directory.Packages.props", &props("9.0.2", "3.1.0", ""));
    repo.commit("bump Microsoft.Extensions.Http");
    assert_eq!(affected_by_last_commit(&repo), ["basket", "web"]);
    let explained = explain_last_commit(&repo);
    assert!(
        explained.contains("`Directory.Packages.props`: Microsoft.Extensions.Http 9.0.1 -> 9.0.2, referenced by `src/Basket.API`"),
        "{explained}"
    );
    let json = repo
        .lanes(&["affected", "--base", "HEAD~1", "--json"])
        .success()
        .json();
    assert_eq!(
        json["components"][0]["reasons"][0],
        serde_json::json!({
            "kind": "central_package",
            "path": "Directory.Packages.props",
            "package": "Microsoft.Extensions.Http",
            "from": "9.0.1",
            "to": "9.0.2",
            "read_by": "src/Basket.API"
        })
    );
}

#[test]
fn a_new_unreferenced_package_affects_nothing_and_the_file_is_owned() {
    let repo = repo();
    repo.write(
        "Directory.Packages.props",
        &props("9.0.1", "3.1.0", "").replace(
            "</ItemGroup>",
            "  <PackageVersion Include=\"Polly\" Version=\"8.0.0\" />\n  </ItemGroup>",
        ),
    );
    repo.commit("add Polly");
    assert!(affected_by_last_commit(&repo).is_empty());
    let run = repo.lanes(&["affected", "--base", "HEAD~1"]).success();
    assert!(!run.stderr().contains("no component"), "{}", run.stderr());
}

#[test]
fn what_lanes_cannot_attribute_affects_every_reader_with_the_reason() {
    let repo = repo();
    repo.write(
        "Directory.Packages.props",
        &props(
            "9.0.1",
            "3.1.0",
            "<CentralPackageFloatingVersionsEnabled>true</CentralPackageFloatingVersionsEnabled>",
        ),
    );
    repo.commit("a property");
    assert_eq!(
        affected_by_last_commit(&repo),
        ["basket", "ordering", "web"]
    );
    let explained = explain_last_commit(&repo);
    assert!(
        explained.contains("`Directory.Packages.props`: a property, an import or another part that names no package changed, and `src/Ordering.API` reads the file"),
        "{explained}"
    );
    repo.write("Directory.Packages.props", "<Project><broken");
    repo.commit("broken XML");
    assert_eq!(
        affected_by_last_commit(&repo),
        ["basket", "ordering", "web"]
    );
    let explained = explain_last_commit(&repo);
    assert!(
        explained.contains("it does not parse as XML"),
        "{explained}"
    );
}

#[test]
fn adding_a_reference_affects_the_project_by_its_own_file() {
    let repo = repo();
    repo.write(
        "src/Ordering.API/Ordering.API.csproj",
        &project(&["Serilog", "Microsoft.Extensions.Http"], &[]),
    );
    repo.commit("reference Http");
    assert_eq!(affected_by_last_commit(&repo), ["ordering"]);
    repo.write("Directory.Packages.props", &props("9.0.2", "3.1.0", ""));
    repo.commit("bump Http");
    assert_eq!(
        affected_by_last_commit(&repo),
        ["basket", "ordering", "web"]
    );
}

const CARGO_MANIFEST: &str = r"version: 1
central:
  - { path: Cargo.lock, kind: cargo-lock }
components:
  app: { path: crates/app }
  cli: { path: crates/cli }
";

fn cargo_lock(serde: &str, log: &str) -> String {
    format!(
        r#"version = 4

[[package]]
name = "app"
version = "0.1.0"
dependencies = [
 "serde",
]

[[package]]
name = "cli"
version = "0.1.0"
dependencies = [
 "log",
]

[[package]]
name = "log"
version = "{log}"
source = "registry+https://github.com/rust-lang/crates.io-index"

[[package]]
name = "serde"
version = "{serde}"
source = "registry+https://github.com/rust-lang/crates.io-index"
dependencies = [
 "serde_derive",
]

[[package]]
name = "serde_derive"
version = "1.0.0"
source = "registry+https://github.com/rust-lang/crates.io-index"
"#
    )
}

#[test]
fn a_cargo_lock_change_affects_the_members_whose_graph_holds_the_crate() {
    let repo = TestRepo::new();
    repo.write("lanes.yml", CARGO_MANIFEST)
        .write("Cargo.lock", &cargo_lock("1.0.1", "0.4.0"))
        .write("crates/app/Cargo.toml", "[package]\nname = \"app\"\n")
        .write("crates/cli/Cargo.toml", "[package]\nname = \"cli\"\n");
    repo.commit("start");
    repo.write("Cargo.lock", &cargo_lock("1.0.1", "0.4.1"));
    repo.commit("bump log");
    assert_eq!(affected_by_last_commit(&repo), ["cli"]);
    repo.write(
        "Cargo.lock",
        &cargo_lock("1.0.1", "0.4.1").replace(
            "name = \"serde_derive\"\nversion = \"1.0.0\"",
            "name = \"serde_derive\"\nversion = \"1.0.9\"",
        ),
    );
    repo.commit("bump serde_derive, a transitive dependency of app");
    assert_eq!(affected_by_last_commit(&repo), ["app"]);
    let explained = explain_last_commit(&repo);
    assert!(
        explained.contains("`Cargo.lock`: serde_derive 1.0.0 -> 1.0.9, referenced by `crates/app`"),
        "{explained}"
    );
}

const CARGO_WORKSPACE_MANIFEST: &str = r"version: 1
central:
  - { path: Cargo.toml, kind: cargo-workspace }
  - { path: Cargo.lock, kind: cargo-lock }
components:
  app: { path: crates/app, depends_on: [core] }
  cli: { path: crates/cli }
  core: { path: crates/core }
  docs: { path: docs }
";

fn cargo_workspace(log: &str, tokio_features: &str, extra: &str) -> String {
    format!(
        r#"[workspace]
members = ["crates/*"]
resolver = "3"

[workspace.package]
edition = "2024"
{extra}
[workspace.dependencies]
core = {{ path = "crates/core" }}
log = "{log}"
serde = {{ version = "1.0.200", features = ["derive"] }}
tokio = {{ version = "1.40", features = [{tokio_features}] }}
"#
    )
}

fn cargo_workspace_repo() -> TestRepo {
    let repo = TestRepo::new();
    repo.write("lanes.yml", CARGO_WORKSPACE_MANIFEST)
        .write("Cargo.toml", &cargo_workspace("0.4.20", "\"rt\"", ""))
        .write("Cargo.lock", "version = 4\n")
        .write(
            "crates/app/Cargo.toml",
            "[package]\nname = \"app\"\nedition.workspace = true\n[dependencies]\ncore.workspace = true\nserde = { workspace = true, features = [\"rc\"] }\n",
        )
        .write(
            "crates/cli/Cargo.toml",
            "[package]\nname = \"cli\"\n[dependencies]\nlog = { workspace = true }\n[target.'cfg(unix)'.dev-dependencies]\ntokio.workspace = true\n",
        )
        .write(
            "crates/core/Cargo.toml",
            "[package]\nname = \"core\"\n[dependencies]\nlog = \"0.3\"\n",
        )
        .write("docs/index.md", "");
    repo.commit("start");
    repo
}

#[test]
fn a_workspace_dependency_change_affects_the_members_inheriting_it() {
    let repo = cargo_workspace_repo();
    repo.write("Cargo.toml", &cargo_workspace("0.4.21", "\"rt\"", ""));
    repo.commit("bump log");
    // core names its own `log`, not the workspace's.
    assert_eq!(affected_by_last_commit(&repo), ["cli"]);
    let explained = explain_last_commit(&repo);
    assert!(
        explained.contains("`Cargo.toml`: log 0.4.20 -> 0.4.21, referenced by `crates/cli`"),
        "{explained}"
    );
    repo.write(
        "Cargo.toml",
        &cargo_workspace("0.4.21", "\"rt\", \"macros\"", ""),
    );
    repo.commit("tokio features, inherited by a target-specific dev-dependency");
    assert_eq!(affected_by_last_commit(&repo), ["cli"]);
    repo.write(
        "Cargo.toml",
        &cargo_workspace("0.4.21", "\"rt\", \"macros\"", "").replace(
            "path = \"crates/core\" }",
            "path = \"crates/core\", version = \"0.2\" }",
        ),
    );
    repo.commit("core's workspace entry");
    assert_eq!(affected_by_last_commit(&repo), ["app"]);
}

#[test]
fn a_workspace_dependency_nobody_inherits_or_a_comment_affects_nothing() {
    let repo = cargo_workspace_repo();
    repo.write(
        "Cargo.toml",
        &format!(
            "# the workspace\n{}anyhow = \"1\"\n",
            cargo_workspace("0.4.20", "\"rt\"", "")
        ),
    );
    repo.commit("add anyhow, comment");
    assert_eq!(affected_by_last_commit(&repo), Vec::<String>::new());
}

#[test]
fn the_rest_of_the_workspace_manifest_affects_every_member() {
    let repo = cargo_workspace_repo();
    repo.write(
        "Cargo.toml",
        &cargo_workspace("0.4.20", "\"rt\"", "\n[profile.release]\nlto = true\n"),
    );
    repo.commit("a release profile");
    assert_eq!(affected_by_last_commit(&repo), ["app", "cli", "core"]);
    let explained = explain_last_commit(&repo);
    assert!(
        explained.contains("`Cargo.toml`: a part other than `[workspace.dependencies]`"),
        "{explained}"
    );
}

#[test]
fn inheriting_a_workspace_dependency_affects_the_member_by_its_own_file() {
    let repo = cargo_workspace_repo();
    repo.write(
        "crates/core/Cargo.toml",
        "[package]\nname = \"core\"\n[dependencies]\nlog.workspace = true\n",
    );
    repo.commit("core inherits log");
    assert_eq!(affected_by_last_commit(&repo), ["app", "core"]);
    repo.write("Cargo.toml", &cargo_workspace("0.4.22", "\"rt\"", ""));
    repo.commit("bump log");
    assert_eq!(affected_by_last_commit(&repo), ["app", "cli", "core"]);
}

#[test]
fn a_workspace_root_that_is_also_a_package_affects_every_component_like_a_shared_file() {
    let repo = TestRepo::new();
    repo.write(
        "lanes.yml",
        "version: 1\ncentral:\n  - { path: Cargo.toml, kind: cargo-workspace }\ncomponents:\n  root: { path: src }\n  a: { path: crates/a }\n  docs: { path: docs }\n",
    )
    .write(
        "Cargo.toml",
        "[workspace]\nmembers = [\"crates/*\"]\n[workspace.dependencies]\nlog = \"0.4.20\"\n[package]\nname = \"root\"\n[dependencies]\nserde = \"1\"\n",
    )
    .write("src/main.rs", "")
    .write(
        "crates/a/Cargo.toml",
        "[package]\nname = \"a\"\n[dependencies]\nlog.workspace = true\n",
    )
    .write("docs/index.md", "");
    repo.commit("start");
    repo.write(
        "Cargo.toml",
        "[workspace]\nmembers = [\"crates/*\"]\n[workspace.dependencies]\nlog = \"0.4.20\"\n[package]\nname = \"root\"\n[dependencies]\nserde = \"1.1\"\n",
    );
    repo.commit("the root package's own dependency");
    // The root package's component owns no file of the root `Cargo.toml`: only reading it
    // whole for everyone keeps `root` from being skipped.
    assert_eq!(affected_by_last_commit(&repo), ["a", "docs", "root"]);
    let explained = explain_last_commit(&repo);
    assert!(
        explained.contains("`Cargo.toml`: the root `Cargo.toml` is also a package"),
        "{explained}"
    );
}

const PNPM_MANIFEST: &str = r"version: 1
central:
  - { path: pnpm-lock.yaml, kind: pnpm-lock }
components:
  ui: { path: packages/ui }
  web: { path: apps/web }
";

fn pnpm_lock(lodash: &str, react: &str) -> String {
    format!(
        r"lockfileVersion: '9.0'

settings:
  autoInstallPeers: true

importers:
  .: {{}}
  apps/web:
    dependencies:
      '@acme/ui':
        specifier: workspace:*
        version: link:../../packages/ui
      lodash:
        specifier: ^4.17.0
        version: {lodash}
  packages/ui:
    dependencies:
      react:
        specifier: ^18.0.0
        version: {react}

packages:
  lodash@{lodash}:
    resolution: {{integrity: sha512-a}}
  react@{react}:
    resolution: {{integrity: sha512-b}}
  loose-envify@1.4.0:
    resolution: {{integrity: sha512-c}}

snapshots:
  lodash@{lodash}: {{}}
  react@{react}:
    dependencies:
      loose-envify: 1.4.0
  loose-envify@1.4.0: {{}}
"
    )
}

#[test]
fn a_pnpm_lock_change_affects_the_packages_whose_tree_changed() {
    let repo = TestRepo::new();
    repo.write("lanes.yml", PNPM_MANIFEST)
        .write("pnpm-lock.yaml", &pnpm_lock("4.17.20", "18.2.0"))
        .write("packages/ui/package.json", r#"{ "name": "@acme/ui" }"#)
        .write("apps/web/package.json", r#"{ "name": "web" }"#);
    repo.commit("start");
    repo.write("pnpm-lock.yaml", &pnpm_lock("4.17.21", "18.2.0"));
    repo.commit("bump lodash");
    assert_eq!(affected_by_last_commit(&repo), ["web"]);
    repo.write("pnpm-lock.yaml", &pnpm_lock("4.17.21", "18.3.0"));
    repo.commit("bump react");
    // web links ui: its resolved tree holds react too.
    assert_eq!(affected_by_last_commit(&repo), ["ui", "web"]);
    repo.write(
        "pnpm-lock.yaml",
        &pnpm_lock("4.17.21", "18.3.0")
            .replace("autoInstallPeers: true", "autoInstallPeers: false"),
    );
    repo.commit("a setting");
    assert_eq!(affected_by_last_commit(&repo), ["ui", "web"]);
}

const NPM_MANIFEST: &str = r"version: 1
central:
  - { path: package-lock.json, kind: npm-lock }
components:
  ui: { path: packages/ui }
  web: { path: apps/web }
";

fn npm_lock(lodash: &str, react: &str, root_version: &str) -> String {
    serde_json::to_string_pretty(&serde_json::json!({
        "name": "root",
        "version": root_version,
        "lockfileVersion": 3,
        "requires": true,
        "packages": {
            "": { "name": "root", "workspaces": ["apps/*", "packages/*"] },
            "apps/web": { "name": "web", "dependencies": { "@acme/ui": "*", "lodash": "^4" } },
            "packages/ui": { "name": "@acme/ui", "dependencies": { "react": "^18" } },
            "node_modules/@acme/ui": { "resolved": "packages/ui", "link": true },
            "node_modules/web": { "resolved": "apps/web", "link": true },
            "node_modules/lodash": { "version": "4.17.0" },
            "apps/web/node_modules/lodash": { "version": lodash },
            "node_modules/react": { "version": react, "dependencies": { "loose-envify": "^1" } },
            "node_modules/loose-envify": { "version": "1.4.0" }
        }
    }))
    .unwrap()
}

#[test]
fn a_package_lock_change_affects_the_packages_whose_tree_changed() {
    let repo = TestRepo::new();
    repo.write("lanes.yml", NPM_MANIFEST)
        .write("package-lock.json", &npm_lock("4.17.20", "18.2.0", "1.0.0"))
        .write("packages/ui/package.json", r#"{ "name": "@acme/ui" }"#)
        .write("apps/web/package.json", r#"{ "name": "web" }"#);
    repo.commit("start");
    repo.write("package-lock.json", &npm_lock("4.17.21", "18.2.0", "1.0.0"));
    repo.commit("bump the lodash nested under web");
    assert_eq!(affected_by_last_commit(&repo), ["web"]);
    repo.write("package-lock.json", &npm_lock("4.17.21", "18.3.0", "1.0.0"));
    repo.commit("bump react");
    assert_eq!(affected_by_last_commit(&repo), ["ui", "web"]);
    let explained = explain_last_commit(&repo);
    assert!(
        explained
            .contains("`package-lock.json`: react 18.2.0 -> 18.3.0, referenced by `packages/ui`"),
        "{explained}"
    );
    repo.write("package-lock.json", &npm_lock("4.17.21", "18.3.0", "1.1.0"));
    repo.commit("the root's version");
    assert_eq!(affected_by_last_commit(&repo), ["ui", "web"]);
}

fn yarn_lock(lodash: &str, metadata: &str) -> String {
    format!(
        r#"# This file is generated by running "yarn install" inside your project.

__metadata:
  version: {metadata}
  cacheKey: 10

"@acme/ui@workspace:*, @acme/ui@workspace:packages/ui":
  version: 0.0.0-use.local
  resolution: "@acme/ui@workspace:packages/ui"
  dependencies:
    lodash: "npm:^4.17.0"
  languageName: unknown
  linkType: soft

"lodash@npm:^4.17.0":
  version: {lodash}
  resolution: "lodash@npm:{lodash}"
  checksum: 10/abc{lodash}
  languageName: node
  linkType: hard

"root@workspace:.":
  version: 0.0.0-use.local
  resolution: "root@workspace:."
  languageName: unknown
  linkType: soft

"web@workspace:apps/web":
  version: 0.0.0-use.local
  resolution: "web@workspace:apps/web"
  languageName: unknown
  linkType: soft
"#
    )
}

#[test]
fn a_yarn_lock_change_affects_the_packages_whose_tree_changed_and_init_declares_it() {
    let repo = TestRepo::new();
    repo.write(
        "package.json",
        r#"{ "private": true, "workspaces": ["apps/*", "packages/*"] }"#,
    )
    .write("yarn.lock", &yarn_lock("4.17.20", "8"))
    .write("packages/ui/package.json", r#"{ "name": "@acme/ui" }"#)
    .write("apps/web/package.json", r#"{ "name": "web" }"#);
    repo.lanes(&["init"]).success();
    let written = std::fs::read_to_string(repo.path().join("lanes.yml")).unwrap();
    assert!(
        written.contains("  - { path: \"yarn.lock\", kind: yarn-lock }\n"),
        "{written}"
    );
    repo.commit("start");
    repo.write("yarn.lock", &yarn_lock("4.17.21", "8"));
    repo.commit("bump lodash");
    assert_eq!(affected_by_last_commit(&repo), ["ui"]);
    let explained = explain_last_commit(&repo);
    assert!(
        explained.contains("`yarn.lock`: lodash 4.17.20 -> 4.17.21, referenced by `packages/ui`"),
        "{explained}"
    );
    repo.write("yarn.lock", &yarn_lock("4.17.21", "9"));
    repo.commit("the lockfile's format");
    assert_eq!(affected_by_last_commit(&repo), ["ui", "web"]);
}
