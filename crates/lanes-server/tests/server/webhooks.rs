//! Webhooks of every host over a real socket, with the published payloads: good and bad
//! credentials, redeliveries, bodies too large or too slow, and events lanes ignores.

use std::time::Duration;

use base64::Engine as _;
use lanes_server::{Notice, WebhookSecrets, github_signature_matches};
use tokio::io::AsyncWriteExt as _;
use tokio::net::TcpStream;

use crate::harness::{
    AZURE_PASSWORD, AZURE_USER, GITHUB_SECRET, GITLAB_TOKEN, TestServer, fixture, github,
    github_signature, read_answer, request,
};

#[test]
fn github_documented_test_vector_matches() {
    // From GitHub's "Validating webhook deliveries".
    let signature = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17";
    assert!(github_signature_matches(
        "It's a Secret to Everybody",
        b"Hello, World!",
        Some(signature)
    ));
    assert!(!github_signature_matches(
        "It's a Secret to Everybody",
        b"Hello, World?",
        Some(signature)
    ));
    assert!(!github_signature_matches(
        "another secret",
        b"Hello, World!",
        Some(signature)
    ));
    assert!(!github_signature_matches(
        "It's a Secret to Everybody",
        b"Hello, World!",
        Some(signature.trim_start_matches("sha256="))
    ));
    assert!(!github_signature_matches(
        "It's a Secret to Everybody",
        b"Hello, World!",
        None
    ));
}

#[tokio::test]
async fn github_deliveries_that_run_lanes_are_recorded_then_accepted() {
    let mut server = TestServer::start().await;
    let cases = [
        (
            "push",
            "push.branch-update.go-playground.json",
            "fd489864e7642b48eaad6e3f155c10e46810ec72",
        ),
        (
            "push",
            "push.new-branch.json",
            "6113728f27ae82c7b1a177c8d03f9e96e0adf246",
        ),
        (
            "push",
            "push.new-branch.no-username-committer.json",
            "6113728f27ae82c7b1a177c8d03f9e96e0adf246",
        ),
        (
            "pull_request",
            "pull_request.opened.json",
            "ec26c3e57ca3a959ca5aad62de7213c562f8c821",
        ),
        (
            "pull_request",
            "pull_request.opened.with-null-body.json",
            "ec26c3e57ca3a959ca5aad62de7213c562f8c821",
        ),
        (
            "pull_request",
            "pull_request.opened.go-playground.json",
            "0d1a26e67d8f5eaf1f6ba5c57fc3c7d91ac0fd1c",
        ),
        (
            "pull_request",
            "pull_request.synchronize.json",
            "ec26c3e57ca3a959ca5aad62de7213c562f8c821",
        ),
        (
            "pull_request",
            "pull_request.reopened.json",
            "ec26c3e57ca3a959ca5aad62de7213c562f8c821",
        ),
        (
            "merge_group",
            "merge_group.checks_requested.json",
            "2ffea6db159f6b6c47a24e778fb9ef40cf6b1c7d",
        ),
    ];
    for (number, (event, file, commit)) in cases.iter().enumerate() {
        let delivery = format!("delivery-{number}");
        let answer = github(&server, event, file, &delivery, GITHUB_SECRET).await;
        assert_eq!(answer.status, 202, "{file}: {}", answer.body);
        assert_eq!(answer.json()["commit"], *commit, "{file}");
        let notices = server.drain_notices();
        assert!(
            matches!(notices.as_slice(), [Notice::Delivery { commit: c, .. }] if c == commit),
            "{file}: {notices:?}"
        );
    }
    let recorded = server.deliveries().await;
    assert_eq!(recorded.len(), cases.len());
    assert_eq!(recorded[0].2, "push");
    assert_eq!(recorded[3].2, "pull_request.opened");
    assert_eq!(recorded[8].2, "merge_group.checks_requested");
}

#[tokio::test]
async fn github_events_lanes_does_not_act_on_are_recorded_and_answered_200() {
    let mut server = TestServer::start().await;
    let cases = [
        ("ping", "ping.json"),
        ("push", "push.tag-deleted.json"),
        ("push", "push.tag-deleted.with-organization.json"),
        ("pull_request", "pull_request.closed.not-merged.json"),
        ("pull_request", "pull_request.labeled.json"),
        ("pull_request", "pull_request.converted_to_draft.json"),
        ("pull_request", "pull_request.ready_for_review.json"),
        ("create", "create.tag.json"),
        ("delete", "delete.tag.json"),
        ("release", "release.published.json"),
        (
            "workflow_run",
            "workflow_run.completed.with-pull-requests.json",
        ),
        ("check_suite", "check_suite.requested.json"),
    ];
    for (number, (event, file)) in cases.iter().enumerate() {
        let answer = github(
            &server,
            event,
            file,
            &format!("ignored-{number}"),
            GITHUB_SECRET,
        )
        .await;
        assert_eq!(answer.status, 200, "{file}: {}", answer.body);
        assert_eq!(answer.json()["commit"], serde_json::Value::Null, "{file}");
    }
    assert!(server.drain_notices().is_empty());
    let recorded = server.deliveries().await;
    assert_eq!(
        recorded.len(),
        cases.len(),
        "ignored events are recorded too"
    );
    assert!(recorded.iter().all(|(_, _, _, commit)| commit.is_none()));
}

#[tokio::test]
async fn github_bad_or_missing_signatures_get_401_and_record_nothing() {
    let mut server = TestServer::start().await;
    let wrong = github(
        &server,
        "push",
        "push.new-branch.json",
        "d1",
        "not the secret",
    )
    .await;
    assert_eq!(wrong.status, 401, "{}", wrong.body);
    let body = fixture("github/push.new-branch.json");
    let mut tampered = body.clone();
    tampered.extend_from_slice(b" ");
    let signature = github_signature(GITHUB_SECRET, &body);
    let altered = request(
        server.address,
        "POST",
        "/webhooks/github",
        &[
            ("X-GitHub-Event", "push"),
            ("X-GitHub-Delivery", "d2"),
            ("X-Hub-Signature-256", &signature),
        ],
        &tampered,
    )
    .await;
    assert_eq!(altered.status, 401, "a body changed after signing");
    let unsigned = request(
        server.address,
        "POST",
        "/webhooks/github",
        &[("X-GitHub-Event", "push"), ("X-GitHub-Delivery", "d3")],
        &body,
    )
    .await;
    assert_eq!(unsigned.status, 401);
    let not_json = request(
        server.address,
        "POST",
        "/webhooks/github",
        &[
            ("X-GitHub-Event", "push"),
            ("X-Hub-Signature-256", "sha256=zz"),
        ],
        b"{not json",
    )
    .await;
    assert_eq!(
        not_json.status, 401,
        "the signature is checked before the body is parsed"
    );
    assert!(server.deliveries().await.is_empty());
    assert!(server.drain_notices().is_empty());
}

#[tokio::test]
async fn a_redelivered_id_is_answered_200_and_starts_nothing_new() {
    let mut server = TestServer::start().await;
    let first = github(
        &server,
        "push",
        "push.new-branch.json",
        "same-id",
        GITHUB_SECRET,
    )
    .await;
    assert_eq!(first.status, 202);
    let again = github(
        &server,
        "push",
        "push.new-branch.json",
        "same-id",
        GITHUB_SECRET,
    )
    .await;
    assert_eq!(again.status, 200, "{}", again.body);
    assert_eq!(again.json()["duplicate"], true);
    assert_eq!(server.drain_notices().len(), 1);
    assert_eq!(server.deliveries().await.len(), 1);
    // The same id from another host is another delivery.
    let gitlab = gitlab(&server, "push.json", Some(GITLAB_TOKEN), Some("same-id")).await;
    assert_eq!(gitlab.status, 202);
    let gitlab_again = gitlab_delivery_again(&server).await;
    assert_eq!(gitlab_again.status, 200);
    assert_eq!(server.deliveries().await.len(), 2);
}

async fn gitlab_delivery_again(server: &TestServer) -> crate::harness::Answer {
    gitlab(server, "push.json", Some(GITLAB_TOKEN), Some("same-id")).await
}

async fn gitlab(
    server: &TestServer,
    file: &str,
    token: Option<&str>,
    uuid: Option<&str>,
) -> crate::harness::Answer {
    let body = fixture(&format!("gitlab/{file}"));
    let mut headers = vec![("Content-Type", "application/json")];
    if let Some(token) = token {
        headers.push(("X-Gitlab-Token", token));
    }
    if let Some(uuid) = uuid {
        headers.push(("X-Gitlab-Event-UUID", uuid));
    }
    request(server.address, "POST", "/webhooks/gitlab", &headers, &body).await
}

#[tokio::test]
async fn gitlab_hooks_need_the_token() {
    let mut server = TestServer::start().await;
    let push = gitlab(&server, "push.json", Some(GITLAB_TOKEN), Some("g1")).await;
    assert_eq!(push.status, 202, "{}", push.body);
    assert_eq!(
        push.json()["commit"],
        "da1560886d4f094c3e6c9ef40349f7d38b5d27d7"
    );
    let merge_request = gitlab(
        &server,
        "merge_request.open.json",
        Some(GITLAB_TOKEN),
        Some("g2"),
    )
    .await;
    assert_eq!(merge_request.status, 202, "{}", merge_request.body);
    assert_eq!(merge_request.json()["event"], "merge_request.open");
    assert_eq!(
        merge_request.json()["commit"],
        "da1560886d4f094c3e6c9ef40349f7d38b5d27d7"
    );
    let tag = gitlab(&server, "tag_push.json", Some(GITLAB_TOKEN), Some("g3")).await;
    assert_eq!(tag.status, 200, "a tag push runs nothing: {}", tag.body);
    let pipeline = gitlab(
        &server,
        "go-playground/pipeline-event.json",
        Some(GITLAB_TOKEN),
        Some("g4"),
    )
    .await;
    assert_eq!(pipeline.status, 200, "{}", pipeline.body);
    assert_eq!(server.drain_notices().len(), 2);
    let wrong = gitlab(
        &server,
        "push.json",
        Some("gitlab-token-of-the-tesT"),
        Some("g5"),
    )
    .await;
    assert_eq!(wrong.status, 401);
    let missing = gitlab(&server, "push.json", None, Some("g6")).await;
    assert_eq!(missing.status, 401);
    assert_eq!(server.deliveries().await.len(), 4);
}

async fn azure(server: &TestServer, file: &str, password: Option<&str>) -> crate::harness::Answer {
    let body = fixture(&format!("azure-devops/{file}"));
    let mut headers = vec![("Content-Type", "application/json".to_owned())];
    if let Some(password) = password {
        let credential =
            base64::engine::general_purpose::STANDARD.encode(format!("{AZURE_USER}:{password}"));
        headers.push(("Authorization", format!("Basic {credential}")));
    }
    let headers: Vec<(&str, &str)> = headers.iter().map(|(n, v)| (*n, v.as_str())).collect();
    request(
        server.address,
        "POST",
        "/webhooks/azure-devops",
        &headers,
        &body,
    )
    .await
}

#[tokio::test]
async fn azure_devops_hooks_need_basic_authentication() {
    let mut server = TestServer::start().await;
    let cases = [
        (
            "git.push.json",
            Some("33b55f7cb7e7e245323987634f960cf4a6e6bc74"),
        ),
        (
            "git.pullrequest.created.json",
            Some("53d54ac915144006c2c9e90d2c7d3880920db49c"),
        ),
        (
            "git.pullrequest.updated.json",
            Some("eef717f69257a6333f221566c1c987dc94cc0d72"),
        ),
        (
            "git.pullrequest.merged.json",
            Some("eef717f69257a6333f221566c1c987dc94cc0d72"),
        ),
        ("build.complete.json", None),
    ];
    for (file, commit) in cases {
        let answer = azure(&server, file, Some(AZURE_PASSWORD)).await;
        let expected = if commit.is_some() { 202 } else { 200 };
        assert_eq!(answer.status, expected, "{file}: {}", answer.body);
        assert_eq!(answer.json()["commit"], serde_json::json!(commit), "{file}");
    }
    // The notification id makes a redelivery recognisable.
    let again = azure(&server, "git.push.json", Some(AZURE_PASSWORD)).await;
    assert_eq!(again.json()["duplicate"], true);
    assert_eq!(server.drain_notices().len(), 4);
    assert_eq!(
        azure(&server, "git.push.json", Some("wrong")).await.status,
        401
    );
    assert_eq!(azure(&server, "git.push.json", None).await.status, 401);
    assert_eq!(server.deliveries().await.len(), 5);
}

#[tokio::test]
async fn an_oversized_body_gets_413_before_it_is_read() {
    let server = TestServer::start().await;
    // Declared too large: refused on the header, before any byte of the body.
    let mut stream = TcpStream::connect(server.address).await.unwrap();
    let head = format!(
        "POST /webhooks/gitlab HTTP/1.1\r\nHost: x\r\nConnection: close\r\nX-Gitlab-Token: {GITLAB_TOKEN}\r\nContent-Length: 100000000\r\n\r\n"
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    assert_eq!(read_answer(stream).await.status, 413);
    // Chunked, with no length: refused once the limit is passed.
    let mut stream = TcpStream::connect(server.address).await.unwrap();
    let head = format!(
        "POST /webhooks/gitlab HTTP/1.1\r\nHost: x\r\nConnection: close\r\nX-Gitlab-Token: {GITLAB_TOKEN}\r\nTransfer-Encoding: chunked\r\n\r\n"
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    let chunk = vec![b' '; 16 * 1024];
    for _ in 0..8 {
        let framed = [format!("{:x}\r\n", chunk.len()).as_bytes(), &chunk, b"\r\n"].concat();
        if stream.write_all(&framed).await.is_err() {
            break;
        }
    }
    let _ = stream.write_all(b"0\r\n\r\n").await;
    assert_eq!(read_answer(stream).await.status, 413);
    assert!(server.deliveries().await.is_empty());
}

#[tokio::test]
async fn a_slow_sender_gets_408_and_holds_up_no_one() {
    let server = TestServer::start_with(|config| {
        config.body_timeout = Duration::from_millis(500);
    })
    .await;
    let body = fixture("gitlab/push.json");
    let mut slow = TcpStream::connect(server.address).await.unwrap();
    let head = format!(
        "POST /webhooks/gitlab HTTP/1.1\r\nHost: x\r\nConnection: close\r\nX-Gitlab-Token: {GITLAB_TOKEN}\r\nX-Gitlab-Event-UUID: slow\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    slow.write_all(head.as_bytes()).await.unwrap();
    slow.write_all(&body[..10]).await.unwrap();
    // Meanwhile another delivery goes through.
    let quick = gitlab_quick(&server).await;
    assert_eq!(quick, 202);
    let answer = read_answer(slow).await;
    assert_eq!(answer.status, 408, "{}", answer.body);
    let recorded = server.deliveries().await;
    assert_eq!(recorded.len(), 1, "only the quick one: {recorded:?}");
    assert_eq!(recorded[0].1, "quick");
}

async fn gitlab_quick(server: &TestServer) -> u16 {
    gitlab(server, "push.json", Some(GITLAB_TOKEN), Some("quick"))
        .await
        .status
}

#[tokio::test]
async fn a_host_without_a_secret_has_no_endpoint() {
    let server = TestServer::start_with(|config| config.webhooks.gitlab = None).await;
    let answer = gitlab(&server, "push.json", Some(GITLAB_TOKEN), None).await;
    assert_eq!(answer.status, 404, "{}", answer.body);
}

#[test]
fn an_empty_secret_is_refused() {
    for secrets in [
        WebhookSecrets {
            github: Some(String::new()),
            ..WebhookSecrets::default()
        },
        WebhookSecrets {
            gitlab: Some(String::new()),
            ..WebhookSecrets::default()
        },
        WebhookSecrets {
            azure_devops: Some(("lanes".to_owned(), String::new())),
            ..WebhookSecrets::default()
        },
    ] {
        let error = secrets.check().unwrap_err().to_string();
        assert!(error.contains("secret is empty"), "{error}");
    }
    assert!(WebhookSecrets::default().check().is_ok());
}

/// Sends `body` as a GitHub delivery of `event`, signed with the server's secret.
async fn signed_github(
    server: &TestServer,
    event: &str,
    delivery: &str,
    body: &[u8],
) -> crate::harness::Answer {
    let signature = github_signature(GITHUB_SECRET, body);
    request(
        server.address,
        "POST",
        "/webhooks/github",
        &[
            ("X-GitHub-Event", event),
            ("X-GitHub-Delivery", delivery),
            ("X-Hub-Signature-256", &signature),
        ],
        body,
    )
    .await
}

/// Sends `body` as a GitLab hook with the server's token.
async fn gitlab_body(server: &TestServer, uuid: &str, body: &[u8]) -> crate::harness::Answer {
    request(
        server.address,
        "POST",
        "/webhooks/gitlab",
        &[
            ("X-Gitlab-Token", GITLAB_TOKEN),
            ("X-Gitlab-Event-UUID", uuid),
        ],
        body,
    )
    .await
}

/// A published payload with some fields set otherwise: for the cases no host published.
fn altered(path: &str, pointer_values: &[(&str, serde_json::Value)]) -> Vec<u8> {
    let mut payload: serde_json::Value = serde_json::from_slice(&fixture(path)).unwrap();
    for (pointer, value) in pointer_values {
        let (parent, key) = pointer.rsplit_once('/').unwrap();
        payload
            .pointer_mut(parent)
            .and_then(serde_json::Value::as_object_mut)
            .unwrap()
            .insert(key.to_owned(), value.clone());
    }
    serde_json::to_vec(&payload).unwrap()
}

#[tokio::test]
async fn merges_run_the_merge_commit() {
    let mut server = TestServer::start().await;
    // GitHub published no `closed` with `merged: true`; the closed payload, merged.
    let body = altered(
        "github/pull_request.closed.not-merged.json",
        &[("/pull_request/merged", serde_json::json!(true))],
    );
    let answer = signed_github(&server, "pull_request", "merged-1", &body).await;
    assert_eq!(answer.status, 202, "{}", answer.body);
    assert_eq!(
        answer.json()["commit"],
        "c4295bd74fb0f4fda03689c3df3f2803b658fd85"
    );
    // GitLab documents the `merge` action without a full example; the open one, merged.
    let body = altered(
        "gitlab/merge_request.open.json",
        &[
            ("/object_attributes/action", serde_json::json!("merge")),
            (
                "/object_attributes/merge_commit_sha",
                serde_json::json!("0123456789abcdef0123456789abcdef01234567"),
            ),
        ],
    );
    let answer = gitlab_body(&server, "merged-2", &body).await;
    assert_eq!(answer.status, 202, "{}", answer.body);
    assert_eq!(answer.json()["event"], "merge_request.merge");
    assert_eq!(
        answer.json()["commit"],
        "0123456789abcdef0123456789abcdef01234567"
    );
    // An update that only relabels (no `oldrev`) runs nothing.
    let body = altered(
        "gitlab/merge_request.open.json",
        &[("/object_attributes/action", serde_json::json!("update"))],
    );
    let answer = gitlab_body(&server, "relabel", &body).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_eq!(server.drain_notices().len(), 2);
}

#[tokio::test]
async fn pushes_of_the_branches_lanes_pushes_itself_run_nothing() {
    let mut server = TestServer::start().await;
    let body = altered(
        "github/push.branch-update.go-playground.json",
        &[("/ref", serde_json::json!("refs/heads/lanes/accept/7"))],
    );
    let answer = signed_github(&server, "push", "own-1", &body).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    let body = altered(
        "gitlab/push.json",
        &[("/ref", serde_json::json!("refs/heads/lanes/accept/7"))],
    );
    let answer = gitlab_body(&server, "own-2", &body).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert!(server.drain_notices().is_empty());
}

#[tokio::test]
async fn github_deliveries_in_the_form_encoding_are_understood_and_signed_over_the_form() {
    let mut server = TestServer::start().await;
    let json = String::from_utf8(fixture("github/push.new-branch.json")).unwrap();
    let body = serde_urlencoded::to_string([("payload", json.as_str())]).unwrap();
    let signature = github_signature(GITHUB_SECRET, body.as_bytes());
    let answer = request(
        server.address,
        "POST",
        "/webhooks/github",
        &[
            ("Content-Type", "application/x-www-form-urlencoded"),
            ("X-GitHub-Event", "push"),
            ("X-GitHub-Delivery", "form-1"),
            ("X-Hub-Signature-256", &signature),
        ],
        body.as_bytes(),
    )
    .await;
    assert_eq!(answer.status, 202, "{}", answer.body);
    assert_eq!(
        answer.json()["commit"],
        "6113728f27ae82c7b1a177c8d03f9e96e0adf246"
    );
    assert_eq!(server.drain_notices().len(), 1);
}

#[tokio::test]
async fn a_delivery_the_ledger_cannot_record_is_not_acknowledged() {
    let mut server = TestServer::start().await;
    // Break the ledger behind the server's back: the deliveries table is gone.
    let options = sqlx::sqlite::SqliteConnectOptions::new().filename(server.ledger());
    let pool = sqlx::SqlitePool::connect_with(options).await.unwrap();
    sqlx::query("DROP TABLE deliveries")
        .execute(&pool)
        .await
        .unwrap();
    pool.close().await;
    let answer = gitlab(&server, "push.json", Some(GITLAB_TOKEN), Some("lost")).await;
    assert_eq!(answer.status, 503, "{}", answer.body);
    assert!(
        server.drain_notices().is_empty(),
        "nothing runs what is not recorded"
    );
}
