//! `/healthz`, `/readyz` and `/metrics` over a real socket, with the ledger written as lanes
//! writes it.

use lanes_engine::{AttemptOutcome, Event, LaneId, Role};
use lanes_store::Store;

use crate::harness::{GITHUB_SECRET, TestServer, github, request};

const COMMIT: &str = "0123456789abcdef0123456789abcdef01234567";

/// One lane of `api`: its build ran 90 s and passed, its deploy is held for an approval.
async fn record_a_lane(server: &TestServer) {
    let mut store = Store::open(server.ledger()).await.unwrap();
    let lane = LaneId(1);
    store
        .append(&[
            Event::LaneCreated {
                lane,
                commit: COMMIT.into(),
                component: "api".into(),
                fingerprint: "f1".into(),
                author: "Test <test@example.com>".into(),
                stages: vec!["build".into(), "deploy".into()],
                role: Role::Default,
                depth: 1,
                at: 1_000,
            },
            Event::AttemptStarted {
                lane,
                stage: 0,
                attempt: 1,
                token: 1,
                deploying: false,
                at: 1_000,
            },
            Event::AttemptFinished {
                lane,
                stage: 0,
                attempt: 1,
                outcome: AttemptOutcome::Passed,
                at: 91_000,
            },
            Event::StageWaiting {
                lane,
                stage: 1,
                reason: "waiting for approval (0 of 1) from alice".into(),
                at: 91_000,
            },
        ])
        .await
        .unwrap();
}

#[tokio::test]
async fn health_and_readiness_answer_without_a_token() {
    let server = TestServer::start().await;
    let health = request(server.address, "GET", "/healthz", &[], b"").await;
    assert_eq!((health.status, health.body.as_str()), (200, "ok\n"));
    let ready = request(server.address, "GET", "/readyz", &[], b"").await;
    assert_eq!((ready.status, ready.body.as_str()), (200, "ready\n"));
}

#[tokio::test]
async fn metrics_expose_stage_durations_holds_and_webhooks_with_bounded_labels() {
    let server = TestServer::start().await;
    record_a_lane(&server).await;
    let push = github(
        &server,
        "push",
        "push.new-branch.no-username-committer.json",
        "d-1",
        GITHUB_SECRET,
    )
    .await;
    assert_eq!(push.status, 202, "{}", push.body);

    let answer = request(server.address, "GET", "/metrics", &[], b"").await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    let text = answer.body;
    for line in [
        "# TYPE lanes_stage_duration_seconds histogram",
        r#"lanes_stage_duration_seconds_bucket{component="api",stage="build",result="passed",le="60"} 0"#,
        r#"lanes_stage_duration_seconds_bucket{component="api",stage="build",result="passed",le="120"} 1"#,
        r#"lanes_stage_duration_seconds_bucket{component="api",stage="build",result="passed",le="+Inf"} 1"#,
        r#"lanes_stage_duration_seconds_sum{component="api",stage="build",result="passed"} 90"#,
        r#"lanes_stage_duration_seconds_count{component="api",stage="build",result="passed"} 1"#,
        "# TYPE lanes_stage_wait_seconds histogram",
        r#"lanes_attempts_queued{component="api",stage="deploy"} 1"#,
        r#"lanes_webhook_deliveries_total{result="pending"} 1"#,
        "lanes_status_outbox_backlog 0",
    ] {
        assert!(
            text.lines().any(|have| have == line),
            "missing `{line}` in\n{text}"
        );
    }
    // Neither the lane's commit nor the delivery's reaches a label.
    let pushed = push.json()["commit"].as_str().unwrap().to_owned();
    assert!(!text.contains(COMMIT) && !text.contains(&pushed), "{text}");
    assert!(
        !text.contains(&COMMIT[..7]) && !text.contains(&pushed[..7]),
        "{text}"
    );
}
