//! The API's tokens, roles and its `OpenAPI` document, over a real socket.

use lanes_server::token_digest;
use lanes_store::{ApiToken, Role, Store};

use crate::harness::{TestServer, request};

async fn add_token(server: &TestServer, name: &str, role: Role) -> String {
    let secret = format!("secret-of-{name}");
    let store = Store::open(server.ledger()).await.unwrap();
    store
        .api_tokens()
        .add(
            &ApiToken {
                name: name.to_owned(),
                role,
            },
            &token_digest(&secret),
            0,
        )
        .await
        .unwrap();
    secret
}

async fn get(server: &TestServer, path: &str, token: Option<&str>) -> crate::harness::Answer {
    let bearer = token.map(|token| format!("Bearer {token}"));
    let headers: Vec<(&str, &str)> = bearer
        .iter()
        .map(|value| ("Authorization", value.as_str()))
        .collect();
    request(server.address, "GET", path, &headers, b"").await
}

async fn post(server: &TestServer, path: &str, token: &str, body: &str) -> crate::harness::Answer {
    let bearer = format!("Bearer {token}");
    request(
        server.address,
        "POST",
        path,
        &[
            ("Authorization", &bearer),
            ("Content-Type", "application/json"),
        ],
        body.as_bytes(),
    )
    .await
}

#[tokio::test]
async fn tokens_name_their_holder_and_roles_bound_what_they_do() {
    let server = TestServer::start().await;
    let viewer = add_token(&server, "vic", Role::Viewer).await;
    let developer = add_token(&server, "dev", Role::Developer).await;
    assert_eq!(get(&server, "/api/v1/whoami", None).await.status, 401);
    assert_eq!(
        get(&server, "/api/v1/whoami", Some("unknown")).await.status,
        401
    );
    let whoami = get(&server, "/api/v1/whoami", Some(&viewer)).await;
    assert_eq!(
        whoami.json(),
        serde_json::json!({"name": "vic", "role": "viewer"})
    );
    let gate = r#"{"component": "api", "stage": "production"}"#;
    assert_eq!(
        post(&server, "/api/v1/approve", &viewer, gate).await.status,
        403
    );
    assert_eq!(
        post(&server, "/api/v1/approve", &developer, gate)
            .await
            .status,
        403
    );
    assert_eq!(
        post(
            &server,
            "/api/v1/rollback",
            &developer,
            r#"{"component": "api", "env": "prod", "reason": "x"}"#
        )
        .await
        .status,
        403
    );
    let store = Store::open(server.ledger()).await.unwrap();
    assert!(store.api_tokens().revoke("vic", 1).await.unwrap());
    assert_eq!(
        get(&server, "/api/v1/whoami", Some(&viewer)).await.status,
        401,
        "revoked"
    );
}

#[tokio::test]
async fn every_route_of_the_openapi_document_answers() {
    let server = TestServer::start().await;
    let admin = add_token(&server, "root", Role::Admin).await;
    let document = get(&server, "/api/v1/openapi.json", None).await;
    assert_eq!(document.status, 200);
    let document = document.json();
    assert_eq!(document["openapi"], "3.1.0");
    let paths = document["paths"].as_object().unwrap();
    assert!(paths.len() >= 20, "{paths:?}");
    for (path, methods) in paths {
        let concrete = path
            .replace("{commit}", "abcdef12")
            .replace("{lane}", "1")
            .replace("{stage}", "pr")
            .replace("{name}", "nobody");
        for method in methods.as_object().unwrap().keys() {
            let answer = match method.as_str() {
                "get" if concrete.ends_with("/stream") || concrete.ends_with("/events") => continue,
                "get" => get(&server, &concrete, Some(&admin)).await,
                "delete" => {
                    let bearer = format!("Bearer {admin}");
                    request(
                        server.address,
                        "DELETE",
                        &concrete,
                        &[("Authorization", &bearer)],
                        b"",
                    )
                    .await
                }
                _ => post(&server, &concrete, &admin, "{}").await,
            };
            // A route that exists answers something other than "no such route" or "method".
            assert!(
                answer.status != 405 && (answer.status != 404 || answer.body.contains("error")),
                "{method} {path}: {} {}",
                answer.status,
                answer.body
            );
        }
    }
    let unknown = get(&server, "/api/v1/commits/abcdef12", Some(&admin)).await;
    assert_eq!(unknown.status, 404);
    assert_eq!(
        get(&server, "/api/v1/commits/HEAD", Some(&admin))
            .await
            .status,
        400
    );
}

#[tokio::test]
async fn admins_make_and_revoke_tokens_through_the_api() {
    let server = TestServer::start().await;
    let admin = add_token(&server, "root", Role::Admin).await;
    let approver = add_token(&server, "alice", Role::Approver).await;
    let body = r#"{"name": "bob", "role": "approver"}"#;
    assert_eq!(
        post(&server, "/api/v1/tokens", &approver, body)
            .await
            .status,
        403
    );
    let made = post(&server, "/api/v1/tokens", &admin, body).await;
    assert_eq!(made.status, 200, "{}", made.body);
    let secret = made.json()["token"].as_str().unwrap().to_owned();
    let whoami = get(&server, "/api/v1/whoami", Some(&secret)).await;
    assert_eq!(
        whoami.json(),
        serde_json::json!({"name": "bob", "role": "approver"})
    );
    assert_eq!(
        post(&server, "/api/v1/tokens", &admin, body).await.status,
        409,
        "names are unique"
    );
    let bearer = format!("Bearer {admin}");
    let revoked = request(
        server.address,
        "DELETE",
        "/api/v1/tokens/bob",
        &[("Authorization", &bearer)],
        b"",
    )
    .await;
    assert_eq!(revoked.status, 200, "{}", revoked.body);
    assert_eq!(
        get(&server, "/api/v1/whoami", Some(&secret)).await.status,
        401
    );
}
