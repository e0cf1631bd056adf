//! Where a commit is decides what it walks: a commit on no shared branch (a pull request's
//! head, a feature branch) walks only the stages that deploy nothing, and walks on once it
//! reaches the default branch.

use crate::harness::TestRepo;
use crate::serving::{
    Serving, github_fixture, github_webhook, push_webhook, state_of, token, wait_for_view,
};

const MANIFEST: &str = r#"version: 1
identities: { alice: [alice@example.com], bob: [bob@example.com], carol: [carol@example.com], ops: [ops@example.com], test: [test@example.com] }
branches: { default: main, release: release }
components:
  api: { path: api, approvers: [alice] }
environments:
  accept: { instances: per-component }
  test: { lock: newest-wins, tag: true }
  prod: { approval: { required: 1 } }
stages:
  - { name: pr, run: ["echo built > $LANES_ARTIFACTS/built"] }
  - { name: acceptance, environment: accept, deploy: "sh ./deploy.sh", run: ["true"] }
  - { name: integration, environment: test, deploy: "sh ./deploy.sh", run: ["true"], on_success: merge-release }
  - { name: production, environment: prod, deploy: "sh ./deploy.sh", gate: approval }
"#;

/// Every deploy leaves a file named after the commit it deployed, beside the repository.
const DEPLOY: &str = r#"set -e
mkdir -p "$DEPLOYS"
touch "$DEPLOYS/$LANES_ENVIRONMENT-$LANES_COMMIT"
"#;

fn repo() -> TestRepo {
    let repo = TestRepo::new();
    let deploys = repo.sibling("deploys");
    repo.write("lanes.yml", MANIFEST)
        .write(
            "deploy.sh",
            &DEPLOY.replace("$DEPLOYS", deploys.to_str().unwrap()),
        )
        .write("api/main.c", "1");
    repo.commit("initial");
    repo
}

fn lane(status: &serde_json::Value) -> &serde_json::Value {
    &status["lanes"][0]
}

fn states(status: &serde_json::Value) -> Vec<&str> {
    lane(status)["stages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|stage| stage["state"].as_str().unwrap())
        .collect()
}

fn deploys(repo: &TestRepo) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(repo.sibling("deploys")) else {
        return Vec::new();
    };
    entries
        .map(|entry| entry.unwrap().file_name().into_string().unwrap())
        .collect()
}

#[test]
fn a_feature_branch_walks_only_its_builds_and_never_deploys_merges_or_is_tagged() {
    let repo = repo();
    repo.git(&["checkout", "-q", "-b", "feature/x"]);
    repo.write("api/main.c", "2");
    let feature = repo.commit("api: a change nobody reviewed");

    let run = repo.lanes(&["run", "feature/x"]).success();
    run.stderr_has("is proposed").stderr_has("it walks only pr");

    let status = repo
        .lanes(&["status", "feature/x", "--json"])
        .success()
        .json();
    assert_eq!(lane(&status)["role"], "proposed");
    assert_eq!(lane(&status)["summary"], "passed");
    assert_eq!(
        lane(&status)["done"],
        false,
        "a proposed lane is never done"
    );
    assert_eq!(
        states(&status),
        ["succeeded", "skipped", "skipped", "skipped"]
    );
    let reason = lane(&status)["stages"][1]["reason"].as_str().unwrap();
    assert!(
        reason.contains("a proposed commit walks only pr"),
        "{reason}"
    );
    assert!(deploys(&repo).is_empty(), "deployed: {:?}", deploys(&repo));

    let board = repo.lanes(&["board", "--json"]).success().stdout();
    assert!(
        !board.contains(&feature),
        "the proposed commit is on the board: {board}"
    );
    assert_eq!(
        repo.git(&["tag", "--list"]),
        "",
        "a proposed commit got a tag"
    );
    let release = repo.git(&["branch", "--list", "release"]);
    assert_eq!(release, "", "a proposed commit was merged into release");

    let human = repo.lanes(&["status", "feature/x"]).success().stdout();
    assert!(human.contains("passed (proposed"), "{human}");
}

#[test]
fn a_proposed_commit_walks_on_once_it_reaches_the_default_branch() {
    let repo = repo();
    repo.git(&["checkout", "-q", "-b", "feature/x"]);
    repo.write("api/main.c", "2");
    let feature = repo.commit("api: a change");
    repo.lanes(&["run", "feature/x"]).success();

    repo.git(&["checkout", "-q", "main"]);
    repo.git(&["merge", "-q", "--ff-only", "feature/x"]);
    let run = repo.lanes(&["run", "main"]).success();
    run.stderr_has("is on main");

    let status = repo.lanes(&["status", "main", "--json"]).success().json();
    assert_eq!(lane(&status)["role"], "default");
    assert_eq!(
        states(&status),
        ["succeeded", "succeeded", "succeeded", "waiting"],
        "the stages skipped as proposed are walked now; pr is not built again"
    );
    let mut deployed = deploys(&repo);
    deployed.sort();
    assert_eq!(
        deployed,
        [format!("accept-{feature}"), format!("test-{feature}")]
    );
    assert_eq!(
        repo.git(&["rev-parse", "release"]).trim(),
        feature,
        "on the default branch, integration's success merges into release"
    );
}

#[test]
fn a_commit_the_default_branch_holds_is_on_it_whatever_name_it_is_run_by() {
    let repo = repo();
    let initial = repo.git(&["rev-parse", "HEAD"]).trim().to_owned();
    repo.git(&["branch", "feature/merged"]);
    repo.lanes(&["run", "feature/merged"])
        .success()
        .stderr_has("is on main");
    let status = repo.lanes(&["status", &initial, "--json"]).success().json();
    assert_eq!(lane(&status)["role"], "default");
}

#[test]
fn proposed_stages_that_deploy_are_refused() {
    let manifest = MANIFEST.replace(
        "stages:\n  - { name: pr",
        "proposed: { stages: [pr, integration, prodution] }\nstages:\n  - { name: pr",
    );
    let repo = TestRepo::with_manifest(&manifest);
    let run = repo.lanes(&["validate"]).failure(3);
    run.stderr_has("proposed commits cannot walk `integration`: it deploys to `test`")
        .stderr_has("unknown stage `prodution`")
        .stderr_has("did you mean `production`");
}

#[test]
fn a_pull_request_webhook_builds_the_head_and_deploys_nothing_until_it_is_pushed_to_main() {
    let repo = repo();
    repo.git(&["checkout", "-q", "-b", "feature/x"]);
    repo.write("api/main.c", "2");
    let head = repo.commit("api: a pull request");
    repo.git(&["checkout", "-q", "main"]);
    let viewer = token(&repo, "vic", "viewer");
    let server = Serving::start(&repo);

    let mut payload = github_fixture("pull_request.opened.json");
    payload["pull_request"]["head"]["sha"] = serde_json::json!(head);
    payload["pull_request"]["head"]["ref"] = serde_json::json!("feature/x");
    payload["pull_request"]["base"]["ref"] = serde_json::json!("main");
    let (status, body) = github_webhook(&server, "pull_request", "pr-1", &payload);
    assert_eq!(status, 202, "{body}");
    let view = wait_for_view(
        &server,
        &viewer,
        &head,
        "the pull request's lane ends",
        |view| view["lanes"][0]["summary"] == "passed",
    );
    assert_eq!(view["lanes"][0]["role"], "proposed");
    assert_eq!(state_of(&view, "api", "acceptance"), "skipped");
    assert_eq!(state_of(&view, "api", "production"), "skipped");
    assert!(deploys(&repo).is_empty(), "deployed: {:?}", deploys(&repo));

    repo.git(&["merge", "-q", "--ff-only", "feature/x"]);
    let (status, body) = push_webhook(&server, &head, "push-1");
    assert_eq!(status, 202, "{body}");
    let view = wait_for_view(&server, &viewer, &head, "production waits", |view| {
        state_of(view, "api", "production") == "waiting"
    });
    assert_eq!(view["lanes"][0]["role"], "default");
    assert_eq!(state_of(&view, "api", "integration"), "succeeded");
}

#[test]
fn a_tag_named_like_the_default_branch_is_never_taken_for_it() {
    let repo = TestRepo::new();
    repo.write(
        "lanes.yml",
        "version: 1\ncomponents:\n  api: { path: api }\n  web: { path: web }\nstages:\n  - { name: pr, run: [\"true\"] }\n",
    )
    .write("api/main.c", "1")
    .write("web/app.js", "1");
    let old = repo.commit("initial");
    repo.git(&["tag", "main"]);
    repo.write("web/app.js", "2");
    repo.commit("web: on main, after the tag");
    repo.git(&["checkout", "-q", "-b", "feature/y"]);
    repo.write("api/main.c", "3");
    repo.commit("api: a change");

    let affected = repo
        .lanes(&[
            "affected",
            "--base",
            "main",
            "--head",
            "feature/y",
            "--json",
        ])
        .success()
        .json();
    let names: Vec<&str> = affected["components"]
        .as_array()
        .unwrap()
        .iter()
        .map(|component| component["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        ["api"],
        "compared with the tag {old} instead: {affected:#}"
    );
    repo.lanes(&["run", "main"])
        .success()
        .stderr_has("is on main");
}

#[test]
fn a_required_count_the_approvers_cannot_reach_is_refused() {
    let manifest = MANIFEST.replace("required: 1", "required: 2");
    let repo = TestRepo::with_manifest(&manifest);
    repo.lanes(&["validate"]).failure(3).stderr_has(
        "`api` can never pass `production`: `prod` requires 2 approvals and it has 1 approver",
    );
    let enough = manifest.replace("approvers: [alice]", "approvers: [alice, bob]");
    repo.write("lanes.yml", &enough);
    repo.lanes(&["validate"]).success();
}

#[test]
fn a_local_run_pushes_nothing_to_origin_unless_asked() {
    let repo = repo();
    let remote = repo.sibling("remote.git");
    let remote_path = remote.to_str().unwrap();
    repo.git(&["init", "-q", "--bare", "-b", "main", remote_path]);
    repo.git(&["remote", "add", "origin", remote_path]);
    repo.git(&["push", "-q", "origin", "main"]);
    let on_origin = |args: &[&str]| crate::harness::git_in(&remote, repo.git_home(), args);

    repo.lanes(&["run", "main"])
        .success()
        .stderr_has("origin is left alone");
    assert_eq!(
        on_origin(&["tag", "--list"]),
        "",
        "a local run pushed a tag"
    );
    assert_eq!(on_origin(&["branch", "--list", "release"]), "");

    repo.lanes(&["run", "--push", "main"]).success();
    assert!(
        on_origin(&["tag", "--list"]).contains("lanes/test/api/1"),
        "--push publishes the deploy tag"
    );
    assert!(on_origin(&["branch", "--list", "release"]).contains("release"));
}
