//! `lanes metrics` on a real repository whose lanes were run to production: deploys, the
//! commits each brought, a rollback, and DORA's levels.

use crate::harness::{TestRepo, lanes_in_with};
use crate::serving::{Serving, get};

const MANIFEST: &str = r#"version: 1
identities: { alice: [alice@example.com] }
components:
  api: { path: api, approvers: [alice] }
  web: { path: web, approvers: [alice] }
environments:
  prod: { approval: { required: 1 } }
stages:
  - { name: pr, run: ["true"] }
  - { name: production, environment: prod, deploy: "true", gate: approval }
"#;

/// Runs the lanes of `HEAD`, approves `components` for production and runs them there.
fn to_production(repo: &TestRepo, components: &[&str]) {
    repo.lanes(&["run"]).success();
    for component in components {
        repo.lanes(&["approve", component, "production", "--as", "alice"])
            .success();
    }
    repo.lanes(&["run"]).success();
}

fn component<'a>(json: &'a serde_json::Value, name: &str) -> &'a serde_json::Value {
    json["components"]
        .as_array()
        .unwrap()
        .iter()
        .find(|component| component["component"] == name)
        .unwrap_or_else(|| panic!("no {name} in {json:#}"))
}

/// `api` and `web` deployed to production twice; `api`'s second deploy (which brought two
/// commits touching api and one touching only web) rolled back. Returns the repository and the
/// commits of `api`'s deploys and changes: first, second, third.
fn deployed_twice_and_rolled_back() -> (TestRepo, String, String, String) {
    let repo = TestRepo::new();
    repo.write("lanes.yml", MANIFEST)
        .write("api/main.c", "1")
        .write("web/app.js", "1");
    let first = repo.commit("start");
    to_production(&repo, &["api", "web"]);

    repo.write("api/main.c", "2");
    let second = repo.commit("api: two");
    repo.write("web/app.js", "2");
    repo.commit("web only");
    repo.write("api/main.c", "3");
    let third = repo.commit("api: three");
    to_production(&repo, &["api", "web"]);
    repo.lanes(&[
        "rollback", "api", "--env", "prod", "--as", "alice", "--reason", "broken",
    ])
    .success();

    (repo, first, second, third)
}

#[test]
fn metrics_count_the_deploys_their_changes_and_a_rollback_as_a_failed_deploy() {
    let (repo, first, second, third) = deployed_twice_and_rolled_back();
    let json = repo.lanes(&["metrics", "--json"]).success().json();
    assert_eq!(json["environment"], "prod");
    let api = component(&json, "api");
    assert_eq!(api["deploys"], 2, "{api:#}");
    assert_eq!(api["rollbacks"], 1);
    let deployments = api["deployments"].as_array().unwrap();
    assert_eq!(deployments[0]["commit"], first);
    // The first deploy brought its own commit; the second the two commits touching api since,
    // not the one touching only web.
    assert_eq!(deployments[0]["changes"], 1);
    assert_eq!(deployments[1]["commit"], third);
    assert_eq!(deployments[1]["changes"], 2, "{second} and {third}");
    // A rollback marks the version it replaces bad as well.
    assert_eq!(
        deployments[1]["failures"],
        serde_json::json!(["rolled_back", "marked_bad"])
    );
    assert_eq!(deployments[2]["rollback"], true);
    assert_eq!(api["failed_deploys"], 1);
    assert_eq!(api["changes"], 3);
    assert_eq!(api["change_fail_rate"]["value"], 0.5);
    assert_eq!(api["change_fail_rate"]["level"], "low");
    assert_eq!(api["unrecovered"], 0);
    assert!(api["recovery_time"]["value"].is_i64(), "{api:#}");
    assert_eq!(api["lead_time"]["level"], "elite");
    // Each lane waited for alice's approval before production.
    assert!(
        api["lead_time_breakdown"]["waiting_approval"]
            .as_i64()
            .unwrap()
            > 0,
        "{api:#}"
    );
    let web = component(&json, "web");
    assert_eq!(web["deploys"], 2);
    assert_eq!(web["failed_deploys"], 0);
    assert_eq!(web["change_fail_rate"]["level"], "elite");

    let only_web = repo
        .lanes(&["metrics", "--component", "web", "--since", "12h", "--json"])
        .success()
        .json();
    assert_eq!(only_web["components"].as_array().unwrap().len(), 1);
    assert_eq!(
        only_web["until"].as_i64().unwrap() - only_web["since"].as_i64().unwrap(),
        12 * 3_600_000
    );

    repo.lanes(&["metrics", "--component", "nope"])
        .failure(1)
        .stderr_has("no lane of `nope` recorded");

    let text = repo.lanes(&["metrics"]).success().stdout();
    assert!(text.starts_with("prod, "), "{text}");
    assert!(
        text.contains("deployment frequency") && text.contains("2 deploys, 1 rollbacks"),
        "{text}"
    );
    assert!(text.contains("50% (1 of 2 deploys)"), "{text}");
    assert!(
        text.contains("levels: DORA, 2023 Accelerate State of DevOps Report"),
        "{text}"
    );
}

#[test]
fn metrics_refuse_a_window_without_a_unit() {
    let repo = TestRepo::with_manifest(MANIFEST);
    repo.lanes(&["metrics", "--since", "30"])
        .failure(2)
        .stderr_has("expected a number and a unit");
}

#[test]
fn the_server_answers_the_same_metrics_and_exposes_them_to_prometheus() {
    let (repo, first, second, third) = deployed_twice_and_rolled_back();
    let viewer = repo
        .lanes(&["token", "add", "vic", "--role", "viewer"])
        .success()
        .stdout()
        .trim()
        .to_owned();
    let local = repo.lanes(&["metrics", "--json"]).success().json();
    let server = Serving::start(&repo);

    let (status, body) = get(&format!("{}/api/v1/metrics?since=30d", server.url), &viewer);
    assert_eq!(status, 200, "{body}");
    let answered: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(answered["environment"], local["environment"]);
    assert_eq!(answered["components"], local["components"]);
    let (status, body) = get(
        &format!("{}/api/v1/metrics?since=soon", server.url),
        &viewer,
    );
    assert_eq!(status, 400, "{body}");

    let (status, text) = get(&format!("{}/metrics", server.url), "");
    assert_eq!(status, 200, "{text}");
    for line in [
        r#"lanes_deploys_total{component="api",environment="prod"} 2"#,
        r#"lanes_rollbacks_total{component="api",environment="prod"} 1"#,
        r#"lanes_deploys_total{component="web",environment="prod"} 2"#,
        r#"lanes_stage_duration_seconds_count{component="api",stage="production",result="passed"} 2"#,
    ] {
        assert!(
            text.lines().any(|have| have == line),
            "missing `{line}` in\n{text}"
        );
    }
    for commit in [&first, &second, &third] {
        assert!(!text.contains(&commit[..7]), "{commit} in\n{text}");
    }
    assert_eq!(get(&format!("{}/healthz", server.url), "").0, 200);
    assert_eq!(get(&format!("{}/readyz", server.url), "").0, 200);

    // The command line reads the same through the server.
    let remote = lanes_in_with(
        repo.path(),
        &[
            "--server",
            &server.url,
            "metrics",
            "--component",
            "api",
            "--json",
        ],
        &[("LANES_API_TOKEN", std::ffi::OsStr::new(&viewer))],
    )
    .success()
    .json();
    assert_eq!(remote["components"][0], component(&local, "api").clone());

    // The dashboard page is HTML with its charts drawn on the server: no script needed.
    let (status, page) = get(&format!("{}/delivery", server.url), &viewer);
    assert_eq!(status, 200, "{page}");
    for part in [
        r#"<section class="lane delivery" data-component="api">"#,
        r#"<svg class="chart lead-time""#,
        r#"<circle data-kind="failed""#,
        r#"<circle data-kind="rollback""#,
        r#"<td class="level low">low</td>"#,
        "50% (1 of 2 deploys)",
        "2023 Accelerate State of DevOps Report",
    ] {
        assert!(page.contains(part), "missing `{part}` in\n{page}");
    }
    let (status, _) = get(&format!("{}/delivery?since=soon", server.url), &viewer);
    assert_eq!(status, 400);
}

/// `lanes` and `web` deployed twice, `api` rolled back, and `lanes serve` over them: what the
/// browser test reads.
pub(crate) fn served_metrics() -> (TestRepo, Serving) {
    let (repo, ..) = deployed_twice_and_rolled_back();
    let server = Serving::start(&repo);
    (repo, server)
}
