//! No change is ever skipped: the ledger is every lane's baseline, so a version no lane walked
//! gets one whatever commit lanes is asked about, a red version stays red on later commits, and
//! every component has a verdict at every commit.

use crate::harness::TestRepo;
use crate::serving::{Serving, get, page, token};

const MANIFEST: &str = r#"version: 1
identities: { alice: [alice@example.com], bob: [bob@example.com], carol: [carol@example.com], ops: [ops@example.com], test: [test@example.com] }
ignore: ["docs/**"]
components:
  api: { path: api }
  web: { path: web }
stages:
  - { name: pr, run: ["sh ./build.sh"] }
"#;

const BUILD: &str = r#"if [ -f "$LANES_COMPONENT_PATH/broken" ]; then echo "tests are red"; exit 3; fi
echo "built $LANES_COMPONENT"
"#;

fn repo() -> (TestRepo, String) {
    let repo = TestRepo::new();
    repo.write("lanes.yml", MANIFEST)
        .write("build.sh", BUILD)
        .write("api/main.c", "1")
        .write("web/app.js", "1")
        .write("docs/guide.md", "1");
    let initial = repo.commit("initial");
    repo.lanes(&["run"]).success();
    (repo, initial)
}

fn status(repo: &TestRepo, commit: &str) -> serde_json::Value {
    repo.lanes(&["status", commit, "--json"]).success().json()
}

fn lane<'a>(status: &'a serde_json::Value, component: &str) -> Option<&'a serde_json::Value> {
    status["lanes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|lane| lane["component"] == component)
}

fn unchanged<'a>(status: &'a serde_json::Value, component: &str) -> Option<&'a serde_json::Value> {
    status["unchanged"]
        .as_array()
        .unwrap()
        .iter()
        .find(|entry| entry["component"] == component)
}

#[test]
fn a_change_followed_by_a_commit_that_touches_nothing_is_still_built() {
    let (repo, initial) = repo();
    repo.write("api/main.c", "2");
    repo.commit("api: a real change");
    repo.write("docs/guide.md", "2");
    let typo = repo.commit("docs: typo");

    repo.lanes(&["run", &typo]).success();

    let status = status(&repo, &typo);
    let api = lane(&status, "api").expect("api, changed by the commit before, has a lane");
    assert_eq!(api["summary"], "done");
    let web = unchanged(&status, "web").expect("web has a verdict without a lane");
    assert_eq!(web["verdict"], "passed");
    assert_eq!(web["since"], initial.as_str());
    assert!(lane(&status, "web").is_none(), "web was not built again");

    let human = repo.lanes(&["status", &typo]).success().stdout();
    let since = format!("unchanged since {}, which passed", &initial[..7]);
    assert!(human.contains(&since), "{human}");

    let viewer = token(&repo, "vic", "viewer");
    let server = Serving::start(&repo);
    let (status, body) = get(&format!("{}/api/v1/commits/{typo}", server.url), &viewer);
    assert_eq!(status, 200, "{body}");
    let view: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(unchanged(&view, "web").unwrap()["since"], initial.as_str());
    let (status, html) = page(&server, &viewer, &format!("/commits/{typo}"));
    assert_eq!(status, 200);
    assert!(
        html.contains(&since),
        "the commit page gives web its verdict: {html}"
    );
    let remote = crate::serve::lanes_remote(repo.path(), &server, &viewer, &["status", &typo]);
    let printed = String::from_utf8_lossy(&remote.stdout);
    assert!(
        printed.contains(&since),
        "--server status gives web its verdict: {printed}"
    );
}

#[test]
fn a_commit_whose_every_version_passed_says_so_instead_of_running_nothing_silently() {
    let (repo, _) = repo();
    repo.write("docs/guide.md", "2");
    let typo = repo.commit("docs: typo");
    let run = repo.lanes(&["run", &typo]).success();
    run.stderr_has("no component needs a lane");
    let status = status(&repo, &typo);
    assert!(status["lanes"].as_array().unwrap().is_empty());
    assert_eq!(
        status["unchanged"].as_array().unwrap().len(),
        2,
        "{status:#}"
    );
}

#[test]
fn a_red_component_stays_red_on_a_later_commit_that_does_not_touch_it() {
    let (repo, _) = repo();
    repo.write("api/broken", "1");
    let red = repo.commit("api: breaks its tests");
    repo.lanes(&["run", &red]).failure(5);
    repo.write("web/app.js", "2");
    let later = repo.commit("web: a change");

    repo.lanes(&["run", &later]).failure(5);

    let status = status(&repo, &later);
    let api = lane(&status, "api").expect("the red api is walked again at the later commit");
    assert_eq!(api["summary"], "failed");
    assert_eq!(api["red_since"], red.as_str());
    assert_eq!(lane(&status, "web").unwrap()["summary"], "done");
    let human = repo.lanes(&["status", &later]).success().stdout();
    assert!(
        human.contains(&format!("failed: red since {}", &red[..7])),
        "{human}"
    );

    repo.remove("api/broken");
    let fixed = repo.commit("api: fixed");
    repo.lanes(&["run", &fixed]).success();
    let status = self::status(&repo, &fixed);
    let api = lane(&status, "api").unwrap();
    assert_eq!(api["summary"], "done");
    assert!(api["red_since"].is_null());
}

#[test]
fn behind_counts_only_the_commits_that_touch_the_component() {
    let repo = TestRepo::new();
    repo.write(
        "lanes.yml",
        &MANIFEST.replace(
            "stages:\n",
            "environments: { test: {} }\nstages:\n  - { name: deploy, environment: test, deploy: \"true\" }\n",
        ),
    )
    .write("build.sh", BUILD)
    .write("api/main.c", "1")
    .write("web/app.js", "1")
    .write("docs/guide.md", "1");
    repo.commit("initial");
    repo.lanes(&["run"]).success();
    for (path, contents) in [
        ("web/app.js", "2"),
        ("web/app.js", "3"),
        ("docs/guide.md", "2"),
        ("api/main.c", "2"),
    ] {
        repo.write(path, contents);
        repo.commit(path);
    }
    let board = repo.lanes(&["board", "--json"]).success().json();
    let behind = |name: &str| {
        board["components"]
            .as_array()
            .unwrap()
            .iter()
            .find(|row| row["name"] == name)
            .unwrap()["environments"]["test"]["behind"]
            .clone()
    };
    assert_eq!(behind("api"), 1, "{board:#}");
    assert_eq!(behind("web"), 2, "{board:#}");
}

/// A lane to production (no gate; `ops` approves `api`): a first version of `api`, then a
/// second one, each deployed. Returns both commits.
fn in_production_twice() -> (TestRepo, String, String) {
    let repo = TestRepo::new();
    repo.write(
        "lanes.yml",
        &MANIFEST
            .replace(
                "stages:\n  - { name: pr, run: [\"sh ./build.sh\"] }\n",
                "environments: { prod: {} }\nstages:\n  - { name: pr, run: [\"sh ./build.sh\"] }\n  - { name: production, environment: prod, deploy: \"true\" }\n",
            )
            .replace("api: { path: api }", "api: { path: api, approvers: [ops] }"),
    )
    .write("build.sh", BUILD)
    .write("api/main.c", "1")
    .write("web/app.js", "1");
    let first = repo.commit("initial");
    repo.lanes(&["run"]).success();
    repo.write("api/main.c", "2");
    let second = repo.commit("api: misbehaves in production");
    repo.lanes(&["run"]).success();
    (repo, first, second)
}

#[test]
fn a_rolled_back_version_is_no_longer_done_in_production_and_only_an_approver_rolls_back() {
    let (repo, _, bad) = in_production_twice();
    assert_eq!(lane(&status(&repo, &bad), "api").unwrap()["done"], true);

    repo.lanes(&[
        "rollback", "api", "--env", "prod", "--as", "olga", "--reason", "errors",
    ])
    .failure(5)
    .stderr_has("`olga` is not an approver of `api`");
    repo.lanes(&[
        "rollback", "api", "--env", "prod", "--as", "ops", "--reason", "errors",
    ])
    .success();

    let status = status(&repo, &bad);
    let api = lane(&status, "api").unwrap();
    assert_eq!(api["done"], false, "{status:#}");
    assert_eq!(api["summary"], "rolled-back");
    assert_eq!(api["rolled_back"], "rolled back from prod by ops: errors");
    let human = repo.lanes(&["status", &bad]).success().stdout();
    assert!(
        human.contains("rolled back from prod by ops: errors"),
        "{human}"
    );
    assert!(!human.contains("done: in production"), "{human}");
}

#[test]
fn a_hotfix_after_a_rollback_starts_from_what_production_runs_now() {
    let (repo, good, _) = in_production_twice();
    repo.lanes(&[
        "rollback", "api", "--env", "prod", "--as", "ops", "--reason", "errors",
    ])
    .success();

    let cut = repo.lanes(&["hotfix", "api"]).success();
    cut.stderr_has("lanes/prod/api/1");
    assert_eq!(
        repo.git(&["rev-parse", "hotfix/api/1"]).trim(),
        good,
        "the hotfix starts from the version production runs again, not the bad newest tag"
    );
}
