//! `lanes validate`, `lanes schema`, `lanes graph` and `lanes demo`.

use crate::harness::{TestRepo, lanes_in};

const MANIFEST: &str = "version: 1\ncomponents:\n  api: { path: src/Api, depends_on: [db] }\n  db: { path: src/Db }\n  web: { paths: [\"src/Web/**\", \"src/Wbe/**\"], depends_on: [api] }\n";

fn repo() -> TestRepo {
    let repo = TestRepo::new();
    repo.write("lanes.yml", MANIFEST)
        .write("src/Api/a.cs", "")
        .write("src/Db/d.sql", "")
        .write("src/Web/w.js", "");
    repo.commit("start");
    repo
}

/// Replaces the temporary directory in output with a fixed word.
fn redacted(text: &str, repo: &TestRepo) -> String {
    text.replace(&repo.path().display().to_string(), "[REPO]")
}

#[test]
fn validate_warns_about_globs_matching_nothing() {
    let repo = repo();
    let run = repo.lanes(&["validate"]).success();
    insta::assert_snapshot!(redacted(&run.stderr(), &repo));
}

#[test]
fn validate_reports_errors_with_their_place() {
    let repo = repo();
    repo.write(
        "lanes.yml",
        "version: 1\ncomponents:\n  api: { path: src/Api, depend_on: [db] }\n",
    );
    let run = repo.lanes(&["validate"]).failure(3);
    insta::assert_snapshot!(redacted(&run.stderr(), &repo));
}

#[test]
fn validate_json_lists_diagnostics() {
    let repo = repo();
    let json = repo.lanes(&["validate", "--json"]).success().json();
    assert_eq!(json["valid"], true);
    assert_eq!(json["components"], 3);
    assert_eq!(json["diagnostics"][0]["severity"], "warning");
    assert_eq!(json["diagnostics"][0]["line"], 5);
    repo.write("lanes.yml", "version: 1\ncomponents:\n  api: { path: src/Api, depends_on: [dbb] }\n  db: { path: src/Db }\n");
    let json = repo.lanes(&["validate", "--json"]).failure(3).json();
    assert_eq!(json["valid"], false);
    assert_eq!(json["diagnostics"][0]["help"], "did you mean `db`?");
    assert_eq!(json["diagnostics"][0]["column"], 38);
}

#[test]
fn validate_reads_the_manifest_of_the_repository_root_from_a_subdirectory() {
    let repo = repo();
    let run = lanes_in(&repo.path().join("src/Api"), &["validate"]).success();
    run.stderr_has("is valid: 3 components");
}

#[test]
fn validate_without_a_manifest_suggests_init() {
    let repo = TestRepo::new();
    let run = repo.lanes(&["validate"]).failure(3);
    run.stderr_has("hint: run `lanes init`");
}

#[test]
fn schema_is_json_schema() {
    let json = TestRepo::new().lanes(&["schema"]).success().json();
    assert_eq!(json["title"], "lanes.yml");
    assert!(json["properties"]["components"].is_object());
}

#[test]
fn graph_as_text_lists_dependencies_first() {
    let run = repo().lanes(&["graph"]).success();
    insta::assert_snapshot!(run.stdout());
}

#[test]
fn graph_as_dot_and_json() {
    let repo = repo();
    let dot = repo.lanes(&["graph", "--dot"]).success().stdout();
    assert!(dot.starts_with("digraph components {"), "{dot}");
    assert!(dot.contains("\"api\" -> \"db\";"), "{dot}");
    let json = repo.lanes(&["graph", "--json"]).success().json();
    assert_eq!(json["components"][1]["name"], "db");
    assert_eq!(
        json["components"][1]["dependents"],
        serde_json::json!(["api"])
    );
    assert_eq!(
        json["components"][2]["depends_on"],
        serde_json::json!(["api"])
    );
}

#[test]
fn demo_builds_a_repository_and_explains_each_commit() {
    let home = tempfile::TempDir::new().unwrap();
    let target = home.path().join("demo");
    let run = lanes_in(
        home.path(),
        &["demo", "--no-serve", "--dir", target.to_str().unwrap()],
    )
    .success();
    let stdout = run.stdout();
    for expected in [
        "Commit 1/7",
        "fhir (directly)",
        "iot-connector (through a dependency)",
        "affects no component",
        "its section of lanes.yml changed",
        "8 of 8 components get a lane",
    ] {
        assert!(
            stdout.contains(expected),
            "{expected} missing from:\n{stdout}"
        );
    }
    // The lanes: fhir's red test stops fhir alone, the fix reaches production, a rollback.
    let stderr = run.stderr();
    for expected in [
        "fhir's tests go red; the other lanes ship",
        "done: in production",
        "rolled back fhir in prod",
        "BAD",
        // The path through git, then a hotfix.
        "change #1 from feature/patient-search: merged, accepted on lanes/accept/1",
        "merged into release",
        "tagged lanes/prod/frontend/",
        "hotfix hotfix/frontend/1 of frontend, cut from lanes/prod/frontend/",
        "hotfix/frontend/1 walks only the hotfix stages",
        "forward-ported to main",
    ] {
        assert!(
            stdout.contains(expected) || stderr.contains(expected),
            "{expected} missing from:\n{stdout}\n{stderr}"
        );
    }
    let red = lanes_in(&target, &["status", "HEAD~1", "--json"])
        .success()
        .json();
    let lanes = red["lanes"].as_array().unwrap();
    let fhir = lanes
        .iter()
        .find(|lane| lane["component"] == "fhir")
        .unwrap();
    assert_eq!(fhir["stages"][0]["state"], "failed");
    assert_eq!(
        lanes.iter().filter(|lane| lane["done"] == true).count(),
        3,
        "{red}"
    );
    let board = lanes_in(&target, &["board", "--json"]).success().json();
    let fhir_row = board["components"]
        .as_array()
        .unwrap()
        .iter()
        .find(|row| row["name"] == "fhir")
        .unwrap()
        .clone();
    assert!(
        fhir_row["environments"]["prod"]["deployed"]["bad"].is_null(),
        "{board}"
    );
    assert!(
        fhir_row["environments"]["test"]["deployed"]["bad"].is_string(),
        "{board}"
    );
    assert_eq!(board["hotfixes_not_forward_ported"], serde_json::json!([]));
    let origin = target.join(".git/demo-origin.git");
    let tags = crate::harness::git_in(
        &origin,
        home.path(),
        &["tag", "--list", "lanes/prod/frontend/*"],
    );
    assert!(tags.lines().count() >= 2, "{tags}");
    // The repository it leaves behind is a real one that lanes works in.
    let affected = lanes_in(&target, &["affected", "--base", "HEAD~2", "--json"])
        .success()
        .json();
    assert_eq!(
        crate::harness::affected_names(&affected),
        ["fhir", "frontend", "iot-connector", "monitoring"]
    );
    let init = lanes_in(&target, &["init", "--stdout"]).success().stdout();
    assert!(
        init.contains(
            "  fhir:\n    path: \"src/Fhir\"\n    depends_on: [infrastructure, sql-management]"
        ),
        "{init}"
    );
    let refused = lanes_in(
        home.path(),
        &["demo", "--no-serve", "--dir", target.to_str().unwrap()],
    )
    .failure(1);
    refused.stderr_has("is not empty");
}

#[test]
fn validate_lists_files_owned_by_no_component_the_lane_scripts_first() {
    let repo = TestRepo::new();
    repo.write(
        "lanes.yml",
        "version: 1\nignore: [\"**/*.md\"]\ncomponents:\n  api: { path: src/Api }\nstages:\n  - { name: pr, run: [\"./tools/check.sh --fast\"] }\n",
    )
    .write("src/Api/a.cs", "")
    .write("README.md", "")
    .write("Makefile", "")
    .write("tools/check.sh", "")
    .write("ci/build.sh", "")
    .write("deploy.sh", "");
    repo.commit("start");
    let run = repo.lanes(&["validate"]).success();
    insta::assert_snapshot!(redacted(&run.stderr(), &repo));
    let json = repo.lanes(&["validate", "--json"]).success().json();
    assert_eq!(
        json["unowned_files"],
        serde_json::json!(["ci/build.sh", "deploy.sh", "tools/check.sh", "Makefile"])
    );
}
