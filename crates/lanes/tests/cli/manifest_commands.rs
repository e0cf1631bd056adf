//! `lanes validate`, `lanes schema`, `lanes graph` and `lanes demo`.

use std::path::Path;

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

/// The demo's summary line naming `what` (`marked bad: fhir`): its version and commit.
fn version_in(stdout: &str, what: &str) -> (String, String) {
    let line = stdout
        .lines()
        .find(|line| line.trim_start().starts_with(what))
        .unwrap_or_else(|| panic!("no line starts with {what:?} in:\n{stdout}"));
    let rest = line.trim_start()[what.len()..].trim_start();
    let (version, rest) = rest.split_once(" (from ").unwrap();
    (version.to_owned(), rest[..7].to_owned())
}

fn commit_with_subject(dir: &Path, home: &Path, subject: &str) -> String {
    crate::harness::git_in(dir, home, &["rev-parse", &format!(":/{subject}")])
        .trim()
        .to_owned()
}

fn row(board: &serde_json::Value, name: &str) -> serde_json::Value {
    board["components"]
        .as_array()
        .unwrap()
        .iter()
        .find(|row| row["name"] == name)
        .unwrap()
        .clone()
}

/// The rollback says what the ledger holds: the version marked bad, the one deployed again.
fn rollback_is_told_from_the_ledger(board: &serde_json::Value, stdout: &str) {
    let fhir_row = row(board, "fhir");
    let (bad, bad_commit) = version_in(stdout, "marked bad: fhir");
    let (again, again_commit) = version_in(stdout, "deployed again to prod: fhir");
    let test = &fhir_row["environments"]["test"]["deployed"];
    assert!(test["bad"].is_string(), "{fhir_row}");
    assert!(
        test["fingerprint"].as_str().unwrap().starts_with(&bad)
            && test["commit"].as_str().unwrap().starts_with(&bad_commit),
        "{bad} {bad_commit}: {fhir_row}"
    );
    let prod = &fhir_row["environments"]["prod"]["deployed"];
    assert!(prod["bad"].is_null(), "{fhir_row}");
    assert!(
        prod["fingerprint"].as_str().unwrap().starts_with(&again)
            && prod["commit"].as_str().unwrap().starts_with(&again_commit),
        "{again} {again_commit}: {fhir_row}"
    );
    assert_ne!(bad, again);
}

/// Waiting for a decision: Mia's change passed staging (deployed there, not in prod) and waits
/// at production's approval, which olga may give and Mia, its author, may not.
fn a_decision_waits(target: &Path, home: &Path, board: &serde_json::Value) {
    let head = crate::harness::git_in(target, home, &["rev-parse", "HEAD"])
        .trim()
        .to_owned();
    let status = lanes_in(target, &["status", "HEAD", "--json"])
        .success()
        .json();
    assert_eq!(
        crate::serving::state_of(&status, "monitoring", "staging"),
        "succeeded"
    );
    assert_eq!(
        crate::serving::state_of(&status, "monitoring", "production"),
        "waiting"
    );
    let monitoring = row(board, "monitoring");
    assert_eq!(
        monitoring["environments"]["staging"]["deployed"]["commit"],
        head.as_str()
    );
    assert_ne!(
        monitoring["environments"]["prod"]["deployed"]["commit"],
        head.as_str()
    );
    lanes_in(
        target,
        &["approve", "monitoring", "production", "--as", "mia"],
    )
    .failure(5);
    lanes_in(
        target,
        &["approve", "monitoring", "production", "--as", "olga"],
    )
    .success();
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
    let (stdout, stderr) = (run.stdout(), run.stderr());
    // A summary per act: short enough to read, no progress lines.
    let length = stdout.lines().count() + stderr.lines().count();
    assert!(length <= 100, "{length} lines:\n{stdout}\n{stderr}");
    assert!(!stderr.contains(" running"), "{stderr}");
    for expected in [
        "1/7",
        "fhir; through a dependency: frontend, iot-connector",
        "affects no component",
        "its section of lanes.yml changed",
        "8 of 8 get a lane",
        // The lanes: fhir's red test stops fhir alone, the fix reaches production, a rollback.
        "fhir's tests go red; the other lanes ship",
        "failed: fhir at pr: step `sh ci/test.sh` failed",
        // The history before was never run: every version it changed ships beside fhir.
        "in production: 7 components",
        "BAD",
        // The path through git, then a hotfix.
        "change #1 from feature/patient-search: merged, accepted on lanes/accept/1",
        "tagged lanes/prod/frontend/",
        "hotfix/frontend/1 of frontend, cut from lanes/prod/frontend/",
        "forward-ported to main",
        "waiting: monitoring at production: waiting for approval (0 of 1) from olga, mia",
    ] {
        assert!(
            stdout.contains(expected),
            "{expected} missing from:\n{stdout}"
        );
    }
    // A --dir is the user's: it stays.
    run.stderr_has(&format!("stays in {}", target.display()));
    let red = commit_with_subject(&target, home.path(), "Fhir: stricter");
    let red = lanes_in(&target, &["status", &red, "--json"])
        .success()
        .json();
    let lanes = red["lanes"].as_array().unwrap();
    let fhir = lanes
        .iter()
        .find(|lane| lane["component"] == "fhir")
        .unwrap();
    assert_eq!(fhir["stages"][0]["state"], "failed");
    // The history before the red commit was never run: every version it changed walks here.
    assert_eq!(
        lanes.iter().filter(|lane| lane["done"] == true).count(),
        7,
        "{red}"
    );
    let board = lanes_in(&target, &["board", "--json"]).success().json();
    assert_eq!(board["hotfixes_not_forward_ported"], serde_json::json!([]));
    rollback_is_told_from_the_ledger(&board, &stdout);
    a_decision_waits(&target, home.path(), &board);
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
        ["frontend", "monitoring"]
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

/// The test's `PATH` without the directories that hold a `lanes`.
pub(crate) fn path_without_lanes() -> std::ffi::OsString {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::join_paths(std::env::split_paths(&path).filter(|dir| !dir.join("lanes").exists()))
        .unwrap()
}

/// What `lanes demo` left in a temporary folder.
pub(crate) fn entries(dir: &Path) -> Vec<std::path::PathBuf> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .collect()
}

#[test]
fn demo_hints_name_the_binary_when_lanes_is_not_on_the_path() {
    let home = tempfile::TempDir::new().unwrap();
    // A space in the path: the hints must quote it for the shell.
    let temp = home.path().join("temp dir");
    std::fs::create_dir(&temp).unwrap();
    let path = path_without_lanes();
    let env = [("PATH", path.as_os_str()), ("TMPDIR", temp.as_os_str())];
    let run = crate::harness::lanes_in_with(
        home.path(),
        &["demo", "--no-serve", "--keep", "--verbose"],
        &env,
    )
    .success();
    let (stdout, stderr) = (run.stdout(), run.stderr());
    // --verbose shows the details: why each commit affects what, every step, every lane.
    for expected in [
        "fhir (directly)",
        "depends on fhir, which is affected",
        "  pr           failed",
    ] {
        assert!(stdout.contains(expected), "{expected} missing:\n{stdout}");
    }
    run.stderr_has("fhir               pr running");
    // --keep keeps the demo's one directory in the temporary folder, and says where.
    let kept = entries(&temp);
    assert_eq!(kept.len(), 1, "{kept:?}");
    let dir = kept[0].display().to_string();
    run.stderr_has(&format!("stays in {dir}"));
    let lanes = format!("{} -C '{dir}'", env!("CARGO_BIN_EXE_lanes"));
    let all = format!("{stdout}{stderr}");
    assert!(
        !all.contains("`lanes "),
        "a hint names lanes, not on PATH:\n{all}"
    );
    let hints: Vec<&str> = all
        .lines()
        .filter(|line| line.starts_with("hint:") || line.trim_start().starts_with("look:"))
        .collect();
    assert!(hints.len() > 10, "{all}");
    for hint in hints {
        assert!(hint.contains(&format!("`{lanes} ")), "{hint}");
    }
    // Each command it suggests works as printed, from where the user is.
    let tries: Vec<&str> = stderr
        .lines()
        .filter(|line| line.starts_with("  ") && line.contains(" -C "))
        .collect();
    assert!(tries.len() >= 5, "{stderr}");
    for line in tries {
        assert!(line.trim_start().starts_with(&lanes), "{line}");
        let ran = std::process::Command::new("sh")
            .args(["-c", line])
            .current_dir(home.path())
            .env("PATH", &path)
            .env("HOME", home.path())
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .output()
            .unwrap();
        assert!(
            ran.status.success(),
            "{line}: {}",
            String::from_utf8_lossy(&ran.stderr)
        );
    }
}

#[test]
fn demo_leaves_nothing_in_the_temporary_folder() {
    let home = tempfile::TempDir::new().unwrap();
    let temp = home.path().join("tmp");
    std::fs::create_dir(&temp).unwrap();
    let run = crate::harness::lanes_in_with(
        home.path(),
        &["demo", "--no-serve"],
        &[("TMPDIR", temp.as_os_str())],
    )
    .success();
    assert_eq!(entries(&temp), Vec::<std::path::PathBuf>::new());
    run.stderr_has("removed the sample monorepo");
    run.stderr_has("demo --no-serve --keep` keeps it");
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
