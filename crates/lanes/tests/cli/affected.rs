//! `lanes affected`: every rule of change detection on real repositories.

use crate::harness::{TestRepo, affected_names, git_in, lanes_in};

const MANIFEST: &str = r#"version: 1
shared: ["global.json", "build/**"]
ignore: ["**/*.md", "docs/**"]
components:
  infrastructure: { path: src/Infrastructure }
  sql-management: { path: src/SqlManagement, depends_on: [infrastructure] }
  fhir: { path: src/Fhir, depends_on: [sql-management] }
  frontend:
    paths: ["src/Frontend/**", "!src/Frontend/**/*.snap"]
    depends_on: [fhir]
  monitoring: { path: src/Monitoring }
"#;

/// A repository with one file per component on `main`, and a `feature` branch checked out.
fn repo() -> TestRepo {
    let repo = TestRepo::new();
    repo.write("lanes.yml", MANIFEST)
        .write("global.json", "{}")
        .write("src/Infrastructure/main.bicep", "a")
        .write("src/SqlManagement/schema.sql", "b")
        .write("src/Fhir/Api.cs", "c")
        .write("src/Fhir/README.md", "d")
        .write("src/Frontend/app.js", "e")
        .write("src/Monitoring/alerts.json", "f");
    repo.commit("base");
    repo.git(&["checkout", "-q", "-b", "feature"]);
    repo
}

fn affected(repo: &TestRepo) -> Vec<String> {
    affected_names(
        &repo
            .lanes(&["affected", "--base", "main", "--json"])
            .success()
            .json(),
    )
}

#[test]
fn a_modified_file_affects_its_component_and_its_dependents_transitively() {
    let repo = repo();
    repo.write("src/SqlManagement/schema.sql", "b2");
    repo.commit("change sql");
    let json = repo
        .lanes(&["affected", "--base", "main", "--json"])
        .success()
        .json();
    assert_eq!(
        affected_names(&json),
        ["fhir", "frontend", "sql-management"]
    );
    let direct: Vec<bool> = json["components"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["direct"].as_bool().unwrap())
        .collect();
    assert_eq!(direct, [false, false, true]);
}

#[test]
fn a_rename_counts_at_its_old_and_its_new_path() {
    let repo = repo();
    repo.rename(
        "src/Monitoring/alerts.json",
        "src/Infrastructure/alerts.json",
    );
    repo.commit("move alerts");
    assert_eq!(
        affected(&repo),
        [
            "fhir",
            "frontend",
            "infrastructure",
            "monitoring",
            "sql-management"
        ]
    );
}

#[test]
fn a_deleted_file_counts() {
    let repo = repo();
    repo.remove("src/Monitoring/alerts.json");
    repo.commit("delete alerts");
    let run = repo
        .lanes(&["affected", "--base", "main", "--explain"])
        .success();
    assert_eq!(
        run.lines(),
        [
            "monitoring (directly)",
            "  deleted  src/Monitoring/alerts.json (matches glob src/Monitoring/**)"
        ]
    );
}

#[test]
fn a_shared_file_affects_every_component() {
    let repo = repo();
    repo.write("build/props.xml", "<x/>");
    repo.commit("add build props");
    assert_eq!(affected(&repo).len(), 5);
}

#[test]
fn an_ignored_file_affects_nothing_even_inside_a_component() {
    let repo = repo();
    repo.write("src/Fhir/README.md", "new docs")
        .write("docs/guide.txt", "guide");
    repo.commit("docs");
    let run = repo
        .lanes(&["affected", "--base", "main", "--json"])
        .success();
    assert!(affected_names(&run.json()).is_empty());
    assert_eq!(run.json()["ignored_files"].as_array().unwrap().len(), 2);
}

#[test]
fn ignore_wins_over_shared() {
    let repo = repo();
    repo.write("build/notes.md", "shared and ignored");
    repo.commit("notes");
    let run = repo
        .lanes(&["affected", "--base", "main", "--json"])
        .success();
    assert!(affected_names(&run.json()).is_empty(), "{}", run.stdout());
    assert_eq!(
        run.json()["ignored_files"],
        serde_json::json!(["build/notes.md"])
    );
}

#[test]
fn an_excluded_file_does_not_affect_its_component() {
    let repo = repo();
    repo.write("src/Frontend/__snapshots__/app.snap", "snapshot");
    repo.commit("snapshots");
    assert!(affected(&repo).is_empty());
}

#[test]
fn a_manifest_change_affects_exactly_the_components_whose_definition_changed() {
    let repo = repo();
    repo.write(
        "lanes.yml",
        &MANIFEST.replace(
            "monitoring: { path: src/Monitoring }",
            "monitoring: { path: src/Monitoring, approvers: [mia] }",
        ),
    );
    repo.commit("approver for monitoring");
    let json = repo
        .lanes(&["affected", "--base", "main", "--json"])
        .success()
        .json();
    assert_eq!(affected_names(&json), ["monitoring"]);
    assert_eq!(
        json["components"][0]["reasons"][0],
        serde_json::json!({"kind": "manifest", "cause": "section-changed"})
    );
}

#[test]
fn a_comment_in_the_manifest_affects_nothing() {
    let repo = repo();
    repo.write("lanes.yml", &format!("# reviewed\n{MANIFEST}"));
    repo.commit("comment");
    assert!(affected(&repo).is_empty());
}

#[test]
fn a_shared_section_change_in_the_manifest_affects_every_component() {
    let repo = repo();
    repo.write(
        "lanes.yml",
        &MANIFEST.replace("\"docs/**\"", "\"docs/**\", \"*.txt\""),
    );
    repo.commit("ignore more");
    assert_eq!(affected(&repo).len(), 5);
}

#[test]
fn a_dependency_change_in_the_manifest_affects_the_dependent_and_its_dependents() {
    let repo = repo();
    repo.write(
        "lanes.yml",
        &MANIFEST.replace(
            "fhir: { path: src/Fhir, depends_on: [sql-management] }",
            "fhir: { path: src/Fhir, depends_on: [sql-management, monitoring] }",
        ),
    );
    repo.commit("fhir uses monitoring");
    assert_eq!(affected(&repo), ["fhir", "frontend"]);
}

#[test]
fn the_merge_base_is_the_default_and_two_dot_is_on_request() {
    let repo = repo();
    repo.write("src/Fhir/Api.cs", "feature change");
    repo.commit("feature");
    repo.git(&["checkout", "-q", "main"]);
    repo.write("src/Monitoring/alerts.json", "main moved on");
    repo.commit("main");
    repo.git(&["checkout", "-q", "feature"]);
    assert_eq!(affected(&repo), ["fhir", "frontend"]);
    let two_dot = repo
        .lanes(&["affected", "--base", "main", "--no-merge-base", "--json"])
        .success()
        .json();
    assert_eq!(affected_names(&two_dot), ["fhir", "frontend", "monitoring"]);
    assert_eq!(two_dot["merge_base"], serde_json::Value::Null);
}

#[test]
fn the_base_defaults_to_the_manifest_default_branch() {
    let repo = repo();
    repo.write("src/Monitoring/alerts.json", "x");
    repo.commit("alerts");
    assert_eq!(repo.lanes(&["affected"]).success().lines(), ["monitoring"]);
}

#[test]
fn odd_path_names_work() {
    let repo = TestRepo::with_manifest(
        "version: 1\ncomponents:\n  spaced: { path: \"src/with space\" }\n  unicode: { path: src/ünïcødé }\n  newline: { paths: [\"src/nl/**\"] }\n",
    );
    repo.git(&["checkout", "-q", "-b", "feature"]);
    repo.write("src/with space/a file.txt", "1")
        .write("src/ünïcødé/ß.txt", "2")
        .write("src/nl/line\nbreak.txt", "3");
    repo.commit("odd names");
    assert_eq!(affected(&repo), ["newline", "spaced", "unicode"]);
    let explained = repo
        .lanes(&["affected", "--base", "main", "--explain"])
        .success()
        .stdout();
    assert!(
        explained.contains("\"src/nl/line\\nbreak.txt\""),
        "{explained}"
    );
    assert!(
        explained.contains("src/with space/a file.txt"),
        "{explained}"
    );
}

#[test]
fn json_is_sorted_by_name_and_carries_reasons() {
    let repo = repo();
    repo.write("src/Monitoring/a.json", "1")
        .write("src/Infrastructure/b.bicep", "2");
    repo.commit("two");
    let json = repo
        .lanes(&["affected", "--base", "main", "--json"])
        .success()
        .json();
    let names = affected_names(&json);
    let mut sorted = names.clone();
    sorted.sort();
    assert_eq!(names, sorted);
    let monitoring = json["components"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "monitoring")
        .unwrap();
    assert_eq!(
        monitoring["reasons"][0],
        serde_json::json!({"kind": "path", "path": "src/Monitoring/a.json", "change": "added", "pattern": "src/Monitoring/**"})
    );
    assert_eq!(json["changed_files"], 2);
}

#[test]
fn an_unknown_revision_is_a_revision_error() {
    let repo = repo();
    let run = repo
        .lanes(&["affected", "--base", "no-such-branch"])
        .failure(4);
    run.stderr_has("no-such-branch");
}

#[test]
fn unrelated_histories_name_the_cause() {
    let repo = repo();
    repo.git(&["checkout", "-q", "--orphan", "other"]);
    repo.write("src/Fhir/x.cs", "x");
    repo.commit("unrelated");
    let run = repo.lanes(&["affected", "--base", "main"]).failure(4);
    run.stderr_has("share no history");
}

#[test]
fn a_base_missing_from_a_shallow_clone_says_how_to_fetch_it() {
    let repo = repo();
    repo.write("src/Fhir/Api.cs", "1");
    repo.commit("one");
    repo.write("src/Fhir/Api.cs", "2");
    repo.commit("two");
    let clone = repo.sibling("shallow");
    let url = format!("file://{}", repo.path().display());
    git_in(
        repo.git_home(),
        repo.git_home(),
        &[
            "clone",
            "-q",
            "--depth",
            "1",
            "--branch",
            "feature",
            "--no-single-branch",
            &url,
            clone.to_str().unwrap(),
        ],
    );
    let run = lanes_in(&clone, &["affected", "--base", "origin/main"]).failure(4);
    run.stderr_has("git fetch --unshallow");
    let not_fetched = repo.git(&["rev-parse", "feature~1"]);
    let unknown = lanes_in(&clone, &["affected", "--base", not_fetched.trim()]).failure(4);
    unknown.stderr_has("git fetch --unshallow");
}

#[test]
fn an_invalid_manifest_at_head_is_a_manifest_error() {
    let repo = repo();
    repo.write(
        "lanes.yml",
        "version: 1\ncomponents:\n  a: { path: a, depends_on: [b] }\n",
    );
    repo.commit("break it");
    let run = repo.lanes(&["affected", "--base", "main"]).failure(3);
    run.stderr_has("unknown component `b`");
    run.stderr_has("lanes.yml:3:");
}

#[test]
fn a_manifest_missing_at_the_base_affects_every_component() {
    let repo = TestRepo::new();
    repo.write("README.md", "hello");
    repo.commit("no manifest yet");
    repo.git(&["checkout", "-q", "-b", "feature"]);
    repo.write("lanes.yml", MANIFEST);
    repo.commit("adopt lanes");
    let json = repo
        .lanes(&["affected", "--base", "main", "--json"])
        .success()
        .json();
    assert_eq!(affected_names(&json).len(), 5);
    assert_eq!(json["components"][0]["reasons"][0]["cause"], "base-missing");
}

#[test]
fn no_manifest_at_head_gets_a_hint() {
    let repo = TestRepo::new();
    repo.write("README.md", "hello");
    repo.commit("no manifest");
    let run = repo.lanes(&["affected", "--base", "HEAD"]).failure(3);
    run.stderr_has("lanes init");
}

#[test]
fn exit_statuses_are_documented_in_the_help() {
    let run = TestRepo::new().lanes(&["affected", "--help"]).success();
    for line in [
        "Exit status:",
        "0  success",
        "3  lanes.yml is missing or invalid",
        "4  a revision",
    ] {
        assert!(
            run.stdout().contains(line),
            "{line} missing from:\n{}",
            run.stdout()
        );
    }
}

#[test]
fn the_manifest_cache_gives_the_same_answer_and_a_broken_entry_is_ignored() {
    let repo = repo();
    repo.write("src/Fhir/Api.cs", "changed");
    repo.commit("change fhir");
    let first = repo
        .lanes(&["affected", "--base", "main", "--json"])
        .success()
        .stdout();
    let cache = repo.path().join(".git/lanes/cache");
    let entries: Vec<_> = std::fs::read_dir(&cache)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .collect();
    assert!(!entries.is_empty(), "nothing cached in {}", cache.display());
    assert_eq!(
        repo.lanes(&["affected", "--base", "main", "--json"])
            .success()
            .stdout(),
        first
    );
    for entry in &entries {
        std::fs::write(entry, "{ not json").unwrap();
    }
    assert_eq!(
        repo.lanes(&["affected", "--base", "main", "--json"])
            .success()
            .stdout(),
        first
    );
}

#[test]
fn changed_files_owned_by_no_component_are_said_also_with_json() {
    let repo = repo();
    repo.write("Makefile", "all:").write("ci/deploy.sh", "x");
    repo.commit("unowned");
    let run = repo.lanes(&["affected", "--base", "main"]).success();
    run.stderr_has("warning: 2 changed files belong to no component: Makefile, ci/deploy.sh");
    let run = repo
        .lanes(&["affected", "--base", "main", "--json"])
        .success();
    run.stderr_has("2 changed files belong to no component");
    assert_eq!(
        run.json()["unowned_files"],
        serde_json::json!(["Makefile", "ci/deploy.sh"])
    );
    repo.write("src/Fhir/Api.cs", "changed");
    repo.commit("owned");
    let run = repo.lanes(&["affected", "--base", "HEAD~1"]).success();
    assert!(
        !run.stderr().contains("belong to no component"),
        "{}",
        run.stderr()
    );
}
