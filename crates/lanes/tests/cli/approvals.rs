//! Approvals that hold: every author, committer and submitter of a change is one of its
//! parties, matched by email through `identities` alone; decisions of environments with
//! `decisions: server` need the decider's API token; lanes' own variables never reach a step.

use std::ffi::OsStr;

use crate::harness::{TestRepo, lanes_in_with};
use crate::serving::token;

const MANIFEST: &str = r#"version: 1
identities:
  alice: [alice@example.com]
  bob: [bob@example.com]
  carol: [carol@example.com]
components:
  api: { path: api, approvers: [alice, bob, carol] }
  web: { path: web, approvers: [alice, bob, carol] }
environments:
  accept: { instances: per-component }
  prod: { approval: { required: 1 } }
stages:
  - { name: pr, run: ["true"] }
  - { name: acceptance, environment: accept, deploy: "true", on_success: merge-default }
  - { name: production, environment: prod, deploy: "true", gate: approval }
"#;

/// `api` and `web` in production at a first commit, approved by carol.
fn in_production(manifest: &str) -> TestRepo {
    let repo = TestRepo::with_manifest(manifest);
    repo.write("api/main.c", "1").write("web/index.html", "1");
    repo.commit("start");
    repo.lanes(&["run"]).success();
    for component in ["api", "web"] {
        repo.lanes(&["approve", component, "production", "--as", "carol"])
            .success();
    }
    repo.lanes(&["run"]).success();
    repo
}

fn approve(repo: &TestRepo, component: &str, user: &str) -> crate::harness::Run {
    repo.lanes(&["approve", component, "production", "--as", user])
}

/// Regression: only the head commit's author was checked, so alice approved her own change
/// once someone else committed on top of it; and a committer was never a party.
#[test]
fn every_author_and_committer_of_a_change_may_not_approve_it_not_only_the_heads() {
    let repo = in_production(MANIFEST);
    repo.write("api/main.c", "2");
    repo.commit_as(
        "api: one",
        "Alice <alice@example.com>",
        "Test <test@example.com>",
    );
    repo.write("api/main.c", "3");
    repo.commit_as("api: two", "Dan <dan@example.com>", "Bob <bob@example.com>");
    repo.write("web/index.html", "2");
    repo.commit("web: the head, by someone else");
    repo.lanes(&["run"]).success();

    let alice = approve(&repo, "api", "alice").failure(5);
    alice.stderr_has("`alice` is among the authors of");
    alice.stderr_has("Alice <alice@example.com>");
    approve(&repo, "api", "bob")
        .failure(5)
        .stderr_has("Bob <bob@example.com>");
    // alice brought nothing to web: she may approve it.
    approve(&repo, "web", "alice").success();
    approve(&repo, "api", "carol").success();
    repo.lanes(&["run"]).success();
}

/// Regression: an author `alice <bob@example.com>` locked out alice (by name) and bob (by the
/// part before `@`); it is bob's commit, and only bob's.
#[test]
fn an_identity_is_matched_by_its_email_never_by_a_name_or_a_local_part() {
    let repo = in_production(MANIFEST);
    repo.write("api/main.c", "2");
    repo.commit_as(
        "api: by bob, who calls himself alice",
        "alice <bob@example.com>",
        "alice <bob@example.com>",
    );
    repo.write("web/index.html", "2");
    repo.commit_as(
        "web: by someone named carol",
        "carol <dan@example.com>",
        "carol <dan@example.com>",
    );
    repo.lanes(&["run"]).success();
    approve(&repo, "api", "bob").failure(5);
    approve(&repo, "web", "carol").success();
    approve(&repo, "api", "alice").success();
}

#[test]
fn an_approver_without_an_identity_is_refused_and_validate_says_so() {
    let manifest = MANIFEST.replace("  carol: [carol@example.com]\n", "");
    let repo = TestRepo::with_manifest(&manifest);
    repo.write("api/main.c", "1").write("web/index.html", "1");
    repo.commit("start");
    repo.lanes(&["validate"])
        .success()
        .stderr_has("`carol` approves but has no entry under `identities`");
    repo.lanes(&["run"]).success();
    approve(&repo, "api", "carol")
        .failure(5)
        .stderr_has("does not say who `carol` is in git");
}

/// Regression: a change submitted through the queue is merged by a commit lanes makes, so its
/// submitter appeared nowhere: carol submitted, then approved her own change.
#[test]
fn the_submitter_of_a_change_may_not_approve_it() {
    let repo = in_production(MANIFEST);
    repo.git(&["checkout", "-q", "-b", "topic"]);
    repo.write("api/main.c", "2");
    repo.commit("api: from a branch");
    repo.git(&["checkout", "-q", "main"]);
    repo.lanes(&["submit", "topic", "--as", "carol"]).success();
    approve(&repo, "api", "carol")
        .failure(5)
        .stderr_has("(carol)");
    approve(&repo, "api", "alice").success();
}

#[test]
fn an_environment_deciding_through_the_server_needs_the_deciders_own_token() {
    let manifest = MANIFEST
        .replace(
            "prod: { approval: { required: 1 } }",
            "prod: { approval: { required: 1 }, decisions: server }",
        )
        // A step that sees lanes' own token fails the lane.
        .replace(
            r#"- { name: pr, run: ["true"] }"#,
            r#"- { name: pr, run: ["test -z \"$LANES_API_TOKEN\""] }"#,
        );
    let repo = TestRepo::with_manifest(&manifest);
    repo.write("api/main.c", "1").write("web/index.html", "1");
    repo.commit("start");
    let carol = token(&repo, "carol", "approver");
    let bob = token(&repo, "bob", "approver");
    let alice = token(&repo, "alice", "developer");
    let with = |token: &str, args: &[&str]| {
        lanes_in_with(repo.path(), args, &[("LANES_API_TOKEN", OsStr::new(token))])
    };
    with(&carol, &["run"]).success();
    let states = repo.lanes(&["status", "--json"]).success().json();
    assert_eq!(
        states["lanes"][0]["stages"][0]["state"], "succeeded",
        "the step did not see LANES_API_TOKEN: {states:#}"
    );

    approve(&repo, "api", "carol")
        .failure(5)
        .stderr_has("through the server only");
    with(&bob, &["approve", "api", "production", "--as", "carol"])
        .failure(1)
        .stderr_has("is `bob`'s, not `carol`'s");
    with(
        "not-a-token",
        &["approve", "api", "production", "--as", "carol"],
    )
    .failure(1)
    .stderr_has("unknown or revoked");
    with(&alice, &["approve", "api", "production", "--as", "alice"])
        .failure(1)
        .stderr_has("decisions need approver");
    with(&carol, &["approve", "api", "production", "--as", "carol"]).success();

    let audit = repo.lanes(&["audit", "--json"]).success().json();
    let decisions = audit.as_array().expect("an array");
    assert_eq!(decisions.len(), 1, "{audit:#}");
    assert_eq!(
        (
            &decisions[0]["kind"],
            &decisions[0]["user"],
            &decisions[0]["token"],
            &decisions[0]["stage"]
        ),
        (
            &serde_json::json!("approve"),
            &serde_json::json!("carol"),
            &serde_json::json!("carol"),
            &serde_json::json!("production")
        )
    );
    // Rolling back is a decision about the environment too.
    repo.lanes(&["run"]).success();
    repo.lanes(&[
        "rollback", "api", "--env", "prod", "--as", "carol", "--reason", "r",
    ])
    .failure(5)
    .stderr_has("through the server only");
}
