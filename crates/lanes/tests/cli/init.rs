//! `lanes init`: components and dependencies from the layouts repositories already have.

use crate::harness::TestRepo;

fn csproj(references: &[&str]) -> String {
    let items: Vec<String> = references
        .iter()
        .map(|r| format!("<ProjectReference Include=\"..\\{r}\\{r}.csproj\" />"))
        .collect();
    let items = items.concat();
    format!("<Project Sdk=\"Microsoft.NET.Sdk\"><ItemGroup>{items}</ItemGroup></Project>")
}

#[test]
fn one_component_per_source_directory_with_project_references() {
    let repo = TestRepo::new();
    repo.write("src/Fhir/Fhir.csproj", &csproj(&["SqlManagement"]))
        .write("src/SqlManagement/SqlManagement.csproj", &csproj(&[]))
        .write("src/ResourceProvider/Api/Api.csproj", "<Project><ItemGroup><ProjectReference Include=\"..\\..\\Fhir\\Fhir.csproj\" /></ItemGroup></Project>")
        .write("src/.hidden/x", "");
    let run = repo.lanes(&["init"]).success();
    assert!(
        run.stderr()
            .contains("with 3 components and 2 dependencies"),
        "{}",
        run.stderr()
    );
    let written = std::fs::read_to_string(repo.path().join("lanes.yml")).unwrap();
    insta::assert_snapshot!(written);
    repo.lanes(&["validate"]).success();
}

#[test]
fn package_json_workspaces_become_components() {
    let repo = TestRepo::new();
    repo.write("package.json", r#"{ "private": true, "workspaces": ["packages/*", "apps/web"] }"#)
        .write("packages/ui/package.json", r#"{ "name": "@acme/ui" }"#)
        .write("packages/api-client/package.json", r#"{ "name": "@acme/api-client", "dependencies": { "left-pad": "1" } }"#)
        .write("apps/web/package.json", r#"{ "name": "web", "dependencies": { "@acme/ui": "workspace:*" }, "devDependencies": { "@acme/api-client": "*" } }"#)
        .write("packages/not-a-package/readme.txt", "");
    let text = repo.lanes(&["init", "--stdout"]).success().stdout();
    assert!(
        text.contains("  web:\n    path: \"apps/web\"\n    depends_on: [ui]\n    dev_depends_on: [api-client]\n"),
        "{text}"
    );
    assert!(
        text.contains("  ui:\n    path: \"packages/ui\"\n"),
        "{text}"
    );
    assert!(!text.contains("not-a-package"), "{text}");
}

#[test]
fn cargo_workspace_members_become_components() {
    let repo = TestRepo::new();
    repo.write("Cargo.toml", "[workspace]\nmembers = [\"crates/*\"]\n[workspace.dependencies]\ncore = { path = \"crates/core\" }\n")
        .write("crates/core/Cargo.toml", "[package]\nname = \"core\"\n")
        .write("crates/cli/Cargo.toml", "[package]\nname = \"cli\"\n[dependencies]\ncore.workspace = true\nserde = \"1\"\n")
        .write("crates/server/Cargo.toml", "[package]\nname = \"server\"\n[dev-dependencies]\ncli = { path = \"../cli\" }\n");
    let text = repo.lanes(&["init", "--stdout"]).success().stdout();
    assert!(
        text.contains("  cli:\n    path: \"crates/cli\"\n    depends_on: [core]\n"),
        "{text}"
    );
    assert!(
        text.contains("  server:\n    path: \"crates/server\"\n    dev_depends_on: [cli]\n"),
        "{text}"
    );
    assert!(
        text.contains("central:\n  - { path: \"Cargo.toml\", kind: cargo-workspace }\n"),
        "{text}"
    );
    assert!(!text.contains("shared: [\"Cargo.toml\""), "{text}");
}

#[test]
fn init_declares_a_cargo_workspace_root_central_and_a_package_root_shared() {
    let repo = TestRepo::new();
    repo.write(
        "Cargo.toml",
        "[workspace]\nmembers = [\"crates/*\"]\n[workspace.dependencies]\nlog = \"0.4.20\"\nserde = \"1\"\n",
    )
    .write("Cargo.lock", "version = 4\n")
    .write(
        "crates/a/Cargo.toml",
        "[package]\nname = \"a\"\n[dependencies]\nlog.workspace = true\n",
    )
    .write(
        "crates/b/Cargo.toml",
        "[package]\nname = \"b\"\n[dependencies]\nserde.workspace = true\n",
    );
    repo.lanes(&["init"]).success();
    let written = std::fs::read_to_string(repo.path().join("lanes.yml")).unwrap();
    assert!(
        written.contains("central:\n  - { path: \"Cargo.lock\", kind: cargo-lock }\n  - { path: \"Cargo.toml\", kind: cargo-workspace }\n"),
        "{written}"
    );
    repo.lanes(&["validate"]).success();
    repo.commit("start");
    repo.write(
        "Cargo.toml",
        "[workspace]\nmembers = [\"crates/*\"]\n[workspace.dependencies]\nlog = \"0.4.21\"\nserde = \"1\"\n",
    );
    repo.commit("bump log");
    let json = repo
        .lanes(&["affected", "--base", "HEAD~1", "--json"])
        .success()
        .json();
    assert_eq!(crate::harness::affected_names(&json), ["a"]);

    let single = TestRepo::new();
    single
        .write("Cargo.toml", "[workspace]\n\n[package]\nname = \"tool\"\n")
        .write("src/a/main.rs", "");
    let text = single.lanes(&["init", "--stdout"]).success().stdout();
    assert!(text.contains("shared: [\"Cargo.toml\"]"), "{text}");
    assert!(!text.contains("cargo-workspace"), "{text}");
}

#[test]
fn init_never_overwrites_a_manifest() {
    let repo = TestRepo::new();
    repo.write("src/A/a.txt", "")
        .write("lanes.yml", "version: 1\ncomponents: {}\n");
    let run = repo.lanes(&["init"]).failure(1);
    run.stderr_has("already exists");
    assert_eq!(
        std::fs::read_to_string(repo.path().join("lanes.yml")).unwrap(),
        "version: 1\ncomponents: {}\n"
    );
}

#[test]
fn init_without_components_says_where_it_looked() {
    let repo = TestRepo::new();
    repo.write("main.c", "");
    let run = repo.lanes(&["init"]).failure(1);
    assert!(
        run.stderr()
            .contains("hint: lanes looks for directories under src/"),
        "{}",
        run.stderr()
    );
    assert!(!repo.path().join("lanes.yml").exists());
}

#[test]
fn init_lists_committed_files_owned_by_no_component() {
    let repo = TestRepo::new();
    repo.write("src/Api/Api.csproj", &csproj(&[]))
        .write("deploy.sh", "")
        .write("tools/gen.py", "")
        .write("README.md", "");
    repo.commit("start");
    let run = repo.lanes(&["init"]).success();
    run.stderr_has("warning: 2 files at HEAD belong to no component and are neither shared nor ignored")
        .stderr_has("hint: the lane's own scripts: deploy.sh; other files: tools/gen.py; add them to a component");
}

#[test]
fn a_yarn_workspace_with_cycles_through_dev_dependencies_validates_and_detects_exactly() {
    let repo = TestRepo::new();
    let package = |name: &str, dependencies: &str, dev: &str| {
        format!(
            r#"{{ "name": "{name}", "dependencies": {{ {dependencies} }}, "devDependencies": {{ {dev} }} }}"#
        )
    };
    repo.write(
        "package.json",
        r#"{ "private": true, "workspaces": { "packages": ["packages/*"] } }"#,
    )
    .write(
        "packages/test-utils/package.json",
        &package("test-utils", r#""jest-globals": "*""#, ""),
    )
    .write(
        "packages/jest-globals/package.json",
        &package("jest-globals", r#""jest-expect": "*""#, ""),
    )
    .write(
        "packages/jest-expect/package.json",
        &package("jest-expect", r#""expect": "*""#, ""),
    )
    .write(
        "packages/expect/package.json",
        &package("expect", "", r#""test-utils": "*""#),
    )
    .write(
        "packages/app/package.json",
        &package("app", r#""expect": "*""#, ""),
    );
    repo.lanes(&["init"]).success();
    let written = std::fs::read_to_string(repo.path().join("lanes.yml")).unwrap();
    assert!(
        written.contains(
            "  expect:\n    path: \"packages/expect\"\n    dev_depends_on: [test-utils]\n"
        ),
        "{written}"
    );
    repo.lanes(&["validate"]).success();
    repo.commit("start");
    repo.write("packages/test-utils/index.js", "changed");
    repo.commit("change test-utils");
    let json = repo
        .lanes(&["affected", "--base", "HEAD~1", "--json"])
        .success()
        .json();
    // expect's tests use test-utils; app uses expect at run time, so its tests run too.
    assert_eq!(
        crate::harness::affected_names(&json),
        ["app", "expect", "jest-expect", "jest-globals", "test-utils"]
    );
    repo.write("packages/app/index.js", "changed");
    repo.commit("change app");
    let json = repo
        .lanes(&["affected", "--base", "HEAD~1", "--json"])
        .success()
        .json();
    assert_eq!(crate::harness::affected_names(&json), ["app"]);
}

#[test]
fn peer_dependency_cycles_become_dev_dependencies() {
    let repo = TestRepo::new();
    repo.write("package.json", r#"{ "workspaces": ["packages/*"] }"#)
        .write(
            "packages/a/package.json",
            r#"{ "name": "a", "peerDependencies": { "b": "*" } }"#,
        )
        .write(
            "packages/b/package.json",
            r#"{ "name": "b", "dependencies": { "a": "*" } }"#,
        );
    repo.lanes(&["init"]).success();
    repo.lanes(&["validate"]).success();
}

#[test]
fn cargo_target_specific_dependencies_are_edges() {
    let repo = TestRepo::new();
    repo.write("Cargo.toml", "[workspace]\nmembers = [\"crates/*\"]\n")
        .write("crates/sys/Cargo.toml", "[package]\nname = \"sys\"\n")
        .write("crates/testkit/Cargo.toml", "[package]\nname = \"testkit\"\n")
        .write("crates/tool/Cargo.toml", "[package]\nname = \"tool\"\n")
        .write("crates/app/Cargo.toml", "[package]\nname = \"app\"\n[target.'cfg(unix)'.dependencies]\nsys = { path = \"../sys\" }\n[target.'cfg(windows)'.build-dependencies]\ntool = { path = \"../tool\" }\n[target.'cfg(unix)'.dev-dependencies]\ntestkit = { path = \"../testkit\" }\n");
    let text = repo.lanes(&["init", "--stdout"]).success().stdout();
    assert!(
        text.contains("  app:\n    path: \"crates/app\"\n    depends_on: [sys, tool]\n    dev_depends_on: [testkit]\n"),
        "{text}"
    );
}

#[test]
fn dotnet_linked_files_belong_to_the_project_too() {
    let repo = TestRepo::new();
    repo.write(
        "src/Basket.API/Basket.API.csproj",
        r#"<Project Sdk="Microsoft.NET.Sdk"><ItemGroup><Compile Include="..\Shared\*.cs" Link="Shared\%(Filename)%(Extension)" /><Compile Include="Local.cs" /></ItemGroup></Project>"#,
    )
    .write("src/Shared/Clock.cs", "")
    .write("src/Ordering/Ordering.csproj", "<Project />");
    let text = repo.lanes(&["init", "--stdout"]).success().stdout();
    assert!(
        text.contains("  basket.api:\n    paths: [\"src/Basket.API/**\", \"src/Shared/*.cs\"]\n"),
        "{text}"
    );
    repo.lanes(&["init"]).success();
    repo.commit("start");
    repo.write("src/Shared/Clock.cs", "changed");
    repo.commit("change the linked file");
    let json = repo
        .lanes(&["affected", "--base", "HEAD~1", "--json"])
        .success()
        .json();
    assert_eq!(
        crate::harness::affected_names(&json),
        ["basket.api", "shared"]
    );
}

#[test]
fn init_declares_central_files_by_kind_and_root_build_files_as_shared() {
    let repo = TestRepo::new();
    repo.write(
        "Directory.Packages.props",
        r#"<Project><ItemGroup><PackageVersion Include="Serilog" Version="3.1.0" /><PackageVersion Include="Polly" Version="8.0.0" /></ItemGroup></Project>"#,
    )
    .write("Directory.Build.props", "<Project />")
    .write("global.json", "{}")
    .write("yarn.lock", "")
    .write(
        "src/Ordering/Ordering.csproj",
        r#"<Project><ItemGroup><PackageReference Include="Serilog" /></ItemGroup></Project>"#,
    )
    .write(
        "src/Basket/Basket.csproj",
        r#"<Project><ItemGroup><PackageReference Include="Polly" /></ItemGroup></Project>"#,
    );
    repo.lanes(&["init"]).success();
    let written = std::fs::read_to_string(repo.path().join("lanes.yml")).unwrap();
    assert!(
        written.contains("shared: [\"Directory.Build.props\", \"global.json\", \"yarn.lock\"]\n"),
        "{written}"
    );
    assert!(
        written.contains(
            "central:\n  - { path: \"Directory.Packages.props\", kind: nuget-central }\n"
        ),
        "{written}"
    );
    repo.lanes(&["validate"]).success();
    repo.commit("start");
    repo.write(
        "Directory.Packages.props",
        r#"<Project><ItemGroup><PackageVersion Include="Serilog" Version="3.1.1" /><PackageVersion Include="Polly" Version="8.0.0" /></ItemGroup></Project>"#,
    );
    repo.commit("bump Serilog");
    let json = repo
        .lanes(&["affected", "--base", "HEAD~1", "--json"])
        .success()
        .json();
    assert_eq!(crate::harness::affected_names(&json), ["ordering"]);
}
