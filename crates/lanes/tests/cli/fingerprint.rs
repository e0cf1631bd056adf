//! `lanes fingerprint`: stable across clones, sensitive to every input.

use std::collections::BTreeMap;

use crate::harness::{TestRepo, fingerprints_of, git_in, lanes_in};

const MANIFEST: &str = r#"version: 1
shared: ["global.json"]
ignore: ["**/*.md"]
components:
  base: { path: base }
  app: { path: app, depends_on: [base] }
  tool: { path: tool }
"#;

fn repo() -> TestRepo {
    let repo = TestRepo::new();
    repo.write("lanes.yml", MANIFEST)
        .write("global.json", "{}")
        .write("base/lib.rs", "1")
        .write("app/main.rs", "2")
        .write("app/README.md", "3")
        .write("tool/run.sh", "4");
    repo.commit("start");
    repo
}

fn changed(before: &BTreeMap<String, String>, after: &BTreeMap<String, String>) -> Vec<String> {
    before
        .keys()
        .filter(|name| before[*name] != after[*name])
        .cloned()
        .collect()
}

#[test]
fn the_same_commit_has_the_same_fingerprints_in_another_clone() {
    let repo = repo();
    let clone = repo.sibling("clone");
    git_in(
        repo.git_home(),
        repo.git_home(),
        &[
            "clone",
            "-q",
            repo.path().to_str().unwrap(),
            clone.to_str().unwrap(),
        ],
    );
    let here = fingerprints_of(&repo.lanes(&["fingerprint", "--json"]).success());
    let there = fingerprints_of(&lanes_in(&clone, &["fingerprint", "--json"]).success());
    assert_eq!(here, there);
    assert_eq!(here.len(), 3);
    assert!(here.values().all(|fingerprint| fingerprint.len() == 64));
}

#[test]
fn a_file_change_changes_its_component_and_its_dependents() {
    let repo = repo();
    let before = fingerprints_of(&repo.lanes(&["fingerprint", "--json"]).success());
    repo.write("base/lib.rs", "changed");
    repo.commit("change base");
    let after = fingerprints_of(&repo.lanes(&["fingerprint", "--json"]).success());
    assert_eq!(changed(&before, &after), ["app", "base"]);
}

#[test]
fn a_mode_change_changes_the_fingerprint() {
    let repo = repo();
    let before = fingerprints_of(&repo.lanes(&["fingerprint", "HEAD", "--json"]).success());
    repo.git(&["update-index", "--chmod=+x", "tool/run.sh"]);
    repo.git(&["commit", "-q", "-m", "executable"]);
    let after = fingerprints_of(&repo.lanes(&["fingerprint", "--json"]).success());
    assert_eq!(changed(&before, &after), ["tool"]);
}

#[test]
fn ignored_files_and_comments_leave_fingerprints_alone() {
    let repo = repo();
    let before = fingerprints_of(&repo.lanes(&["fingerprint", "--json"]).success());
    repo.write("app/README.md", "more docs")
        .write("lanes.yml", &format!("# comment\n{MANIFEST}"));
    repo.commit("docs");
    assert_eq!(
        before,
        fingerprints_of(&repo.lanes(&["fingerprint", "--json"]).success())
    );
}

#[test]
fn shared_files_and_manifest_sections_are_inputs() {
    let repo = repo();
    let first = fingerprints_of(&repo.lanes(&["fingerprint", "--json"]).success());
    repo.write("global.json", "{\"sdk\": 8}");
    repo.commit("shared");
    let second = fingerprints_of(&repo.lanes(&["fingerprint", "--json"]).success());
    assert_eq!(changed(&first, &second), ["app", "base", "tool"]);
    repo.write(
        "lanes.yml",
        &MANIFEST.replace(
            "tool: { path: tool }",
            "tool: { path: tool, approvers: [ann] }",
        ),
    );
    repo.commit("approver");
    let third = fingerprints_of(&repo.lanes(&["fingerprint", "--json"]).success());
    assert_eq!(changed(&second, &third), ["tool"]);
}

#[test]
fn an_older_revision_can_be_fingerprinted() {
    let repo = repo();
    let first = repo.lanes(&["fingerprint"]).success().stdout();
    repo.write("tool/run.sh", "5");
    repo.commit("tool");
    assert_eq!(
        repo.lanes(&["fingerprint", "HEAD~1"]).success().stdout(),
        first
    );
    let line = first.lines().find(|line| line.ends_with("  tool")).unwrap();
    assert_eq!(line.len(), 64 + 2 + 4);
}
