//! A git host for tests: a real HTTP server that implements only the status endpoints lanes
//! posts to, read from the hosts' published API descriptions (`tests/fixtures/host_api`), and
//! refuses any request they do not describe: the method and path, the credential, the
//! required query parameters, the content type and the JSON body against its schema. It keeps
//! what it accepted; it can answer 5xx or 429 for a while, and be stopped and started again
//! on the same port.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use serde_json::Value;

pub(crate) const GITHUB_TOKEN: &str = "ghp-test-token";
pub(crate) const GITLAB_TOKEN: &str = "glpat-test-token";
pub(crate) const AZURE_TOKEN: &str = "azure-test-pat";

/// A status a host accepted.
#[derive(Debug, Clone)]
pub(crate) struct Accepted {
    /// `github`, `gitlab` or `azure-devops`.
    pub(crate) host: &'static str,
    /// The path under the host's API, with the query.
    pub(crate) path: String,
    pub(crate) body: Value,
}

impl Accepted {
    /// The status's context, whatever the host calls it (`context`, `name`, `context.genre/name`).
    pub(crate) fn context(&self) -> String {
        match self.host {
            "gitlab" => self.body["name"].as_str().unwrap_or_default().to_owned(),
            "azure-devops" => match self.body["context"]["genre"].as_str() {
                Some(genre) => format!(
                    "{genre}/{}",
                    self.body["context"]["name"].as_str().unwrap_or_default()
                ),
                None => self.body["context"]["name"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned(),
            },
            _ => self.body["context"].as_str().unwrap_or_default().to_owned(),
        }
    }

    pub(crate) fn state(&self) -> String {
        self.body["state"].as_str().unwrap_or_default().to_owned()
    }

    pub(crate) fn description(&self) -> String {
        self.body["description"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }
}

struct Api {
    host: &'static str,
    /// The path prefix the host is served under here (its API base URL's path).
    prefix: &'static str,
    description: Value,
}

#[derive(Default)]
struct Record {
    accepted: Vec<Accepted>,
    refused: Vec<String>,
    /// Answers to give valid requests before accepting any: status and `Retry-After`.
    faults: VecDeque<(u16, Option<u64>)>,
    faulted: usize,
}

struct Shared {
    apis: Vec<Api>,
    record: Mutex<Record>,
}

/// The running fake host.
pub(crate) struct FakeHost {
    shared: Arc<Shared>,
    address: SocketAddr,
    runtime: tokio::runtime::Runtime,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
}

impl FakeHost {
    pub(crate) fn start() -> Self {
        let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/host_api");
        let load = |name: &str| -> Value {
            let text = std::fs::read_to_string(fixtures.join(name))
                .unwrap_or_else(|error| panic!("the API description {name} is missing ({error})"));
            serde_json::from_str(text.trim_start_matches('\u{feff}')).unwrap()
        };
        let shared = Arc::new(Shared {
            apis: vec![
                Api {
                    host: "github",
                    prefix: "/github",
                    description: load("github-statuses.json"),
                },
                Api {
                    host: "gitlab",
                    prefix: "/gitlab/api/v4",
                    description: load("gitlab-statuses.json"),
                },
                Api {
                    host: "azure-devops",
                    prefix: "/azure",
                    description: load("azure-devops-git-7.1.json"),
                },
            ],
            record: Mutex::new(Record::default()),
        });
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        let listener = runtime
            .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
            .unwrap();
        let address = listener.local_addr().unwrap();
        let mut host = Self {
            shared,
            address,
            runtime,
            stop: None,
        };
        host.serve(listener);
        host
    }

    fn serve(&mut self, listener: tokio::net::TcpListener) {
        let shared = self.shared.clone();
        let app = axum::Router::new().fallback(
            move |method: Method, uri: Uri, headers: HeaderMap, body: Bytes| {
                let shared = shared.clone();
                async move { handle(&shared, &method, &uri, &headers, &body) }
            },
        );
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        self.runtime.spawn(async move {
            axum::serve(listener, app)
                .with_graceful_shutdown(async {
                    let _ = stopped.await;
                })
                .await
                .unwrap();
        });
        self.stop = Some(stop);
    }

    pub(crate) fn github_url(&self) -> String {
        format!("http://{}/github", self.address)
    }

    pub(crate) fn gitlab_url(&self) -> String {
        format!("http://{}/gitlab/api/v4", self.address)
    }

    pub(crate) fn azure_url(&self) -> String {
        format!("http://{}/azure", self.address)
    }

    /// The flags and environment that point `lanes serve` here with the right tokens.
    pub(crate) fn serve_args(&self) -> Vec<String> {
        vec![
            "--github-api-url".to_owned(),
            self.github_url(),
            "--gitlab-api-url".to_owned(),
            self.gitlab_url(),
            "--azure-devops-url".to_owned(),
            self.azure_url(),
        ]
    }

    pub(crate) fn tokens() -> Vec<(&'static str, &'static str)> {
        vec![
            ("LANES_GITHUB_API_TOKEN", GITHUB_TOKEN),
            ("LANES_GITLAB_API_TOKEN", GITLAB_TOKEN),
            ("LANES_AZURE_DEVOPS_API_TOKEN", AZURE_TOKEN),
        ]
    }

    /// Answers the next `count` valid requests with `status` (and `Retry-After` seconds).
    pub(crate) fn fail_next(&self, count: usize, status: u16, retry_after: Option<u64>) {
        let mut record = self.shared.record.lock().unwrap();
        for _ in 0..count {
            record.faults.push_back((status, retry_after));
        }
    }

    /// How many valid requests got a fault.
    pub(crate) fn faulted(&self) -> usize {
        self.shared.record.lock().unwrap().faulted
    }

    /// Stops listening: the host is down.
    pub(crate) fn go_down(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        // Until the listener is closed, a connection would still be accepted.
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(self.address).is_ok() {
            assert!(Instant::now() < deadline, "the fake host did not stop");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Listens again on the same port.
    pub(crate) fn come_up(&mut self) {
        let address = self.address;
        let listener = self
            .runtime
            .block_on(tokio::net::TcpListener::bind(address))
            .unwrap();
        self.serve(listener);
    }

    pub(crate) fn accepted(&self) -> Vec<Accepted> {
        self.shared.record.lock().unwrap().accepted.clone()
    }

    /// The accepted statuses of one commit, in the order they came.
    pub(crate) fn statuses_of(&self, commit: &str) -> Vec<Accepted> {
        self.accepted()
            .into_iter()
            .filter(|accepted| {
                accepted.path.contains(commit)
                    || accepted.host == "azure-devops"
                        && accepted.body["targetUrl"]
                            .as_str()
                            .is_some_and(|url| url.ends_with(commit))
            })
            .collect()
    }

    pub(crate) fn refused(&self) -> Vec<String> {
        self.shared.record.lock().unwrap().refused.clone()
    }

    /// Waits until the commit's last accepted status of `context` is in `state`.
    pub(crate) fn wait_for(&self, commit: &str, context: &str, state: &str) -> Vec<Accepted> {
        let deadline = Instant::now() + Duration::from_mins(1);
        loop {
            let statuses = self.statuses_of(commit);
            if statuses
                .iter()
                .rev()
                .find(|status| status.context() == context)
                .is_some_and(|status| status.state() == state)
            {
                return statuses;
            }
            assert!(
                Instant::now() < deadline,
                "timed out waiting for {context} to be {state} at {commit}; the host has {:#?}; it refused {:#?}",
                statuses,
                self.refused()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for FakeHost {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

fn handle(
    shared: &Shared,
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    body: &[u8],
) -> Response {
    match check(shared, method, uri, headers, body) {
        Err((status, why)) => {
            shared
                .record
                .lock()
                .unwrap()
                .refused
                .push(format!("{method} {uri}: {why}"));
            (status, axum::Json(serde_json::json!({"message": why}))).into_response()
        }
        Ok((host, prefix, created)) => {
            let mut record = shared.record.lock().unwrap();
            if let Some((status, retry_after)) = record.faults.pop_front() {
                record.faulted += 1;
                let mut response = (
                    StatusCode::from_u16(status).unwrap(),
                    axum::Json(serde_json::json!({"message": "not now"})),
                )
                    .into_response();
                if let Some(seconds) = retry_after {
                    response
                        .headers_mut()
                        .insert("retry-after", seconds.to_string().parse().unwrap());
                }
                return response;
            }
            record.accepted.push(Accepted {
                host,
                path: uri
                    .path_and_query()
                    .map_or_else(String::new, ToString::to_string)
                    .strip_prefix(prefix)
                    .unwrap_or_default()
                    .to_owned(),
                body: serde_json::from_slice(body).unwrap(),
            });
            (
                StatusCode::from_u16(created).unwrap(),
                axum::Json(serde_json::json!({})),
            )
                .into_response()
        }
    }
}

type Refusal = (StatusCode, String);

/// The host and success status of a request the descriptions describe, or why not.
fn check(
    shared: &Shared,
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<(&'static str, &'static str, u16), Refusal> {
    let not_found = || {
        (
            StatusCode::NOT_FOUND,
            format!("no such endpoint: {}", uri.path()),
        )
    };
    let api = shared
        .apis
        .iter()
        .find(|api| uri.path().starts_with(&format!("{}/", api.prefix)))
        .ok_or_else(not_found)?;
    let path = &uri.path()[api.prefix.len()..];
    let description = &api.description;
    let (template, item) = description["paths"]
        .as_object()
        .unwrap()
        .iter()
        .find(|(template, _)| path_matches(template, path))
        .ok_or_else(not_found)?;
    let operation = &item[method.as_str().to_ascii_lowercase()];
    if operation.is_null() {
        return Err((
            StatusCode::METHOD_NOT_ALLOWED,
            format!("{method} is not described for {template}"),
        ));
    }
    let bad = |why: String| (StatusCode::BAD_REQUEST, why);
    authenticate(api.host, description, operation, headers)
        .map_err(|why| (StatusCode::UNAUTHORIZED, why))?;
    let query: Vec<(String, String)> = serde_urlencoded::from_str(uri.query().unwrap_or_default())
        .map_err(|e| bad(e.to_string()))?;
    let parameters = operation["parameters"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let mut body_schema = None;
    for parameter in &parameters {
        let parameter = resolve(description, parameter);
        let name = parameter["name"].as_str().unwrap_or_default();
        match parameter["in"].as_str() {
            Some("query") if parameter["required"] == true => {
                let value = query
                    .iter()
                    .find(|(key, _)| key == name)
                    .map(|(_, value)| value.as_str())
                    .ok_or_else(|| bad(format!("the query parameter {name} is required")))?;
                // Azure DevOps: "This should be set to '7.1' to use this version of the api."
                if name == "api-version" && value != "7.1" {
                    return Err(bad(format!("api-version {value} is not the described 7.1")));
                }
            }
            Some("body") => body_schema = Some(parameter["schema"].clone()),
            _ => {}
        }
    }
    if let Some(content) = operation["requestBody"]["content"].as_object() {
        body_schema = content
            .get("application/json")
            .map(|media| media["schema"].clone());
    }
    let content_type = headers
        .get("content-type")
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default();
    if !content_type.starts_with("application/json") {
        return Err((
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            format!("the body is {content_type:?}, not application/json"),
        ));
    }
    let schema = body_schema.ok_or_else(|| bad("no body is described".to_owned()))?;
    let json: Value =
        serde_json::from_slice(body).map_err(|e| bad(format!("the body is not JSON: {e}")))?;
    validate(description, &schema, &json, "body")
        .map_err(|why| (StatusCode::UNPROCESSABLE_ENTITY, why))?;
    let created = operation["responses"]
        .as_object()
        .unwrap()
        .keys()
        .find_map(|code| {
            code.parse::<u16>()
                .ok()
                .filter(|code| (200..300).contains(code))
        })
        .unwrap_or(200);
    Ok((api.host, api.prefix, created))
}

/// Whether `path` fills `template`'s `{parameters}`, one non-empty segment each.
fn path_matches(template: &str, path: &str) -> bool {
    let wanted: Vec<&str> = template.split('/').collect();
    let given: Vec<&str> = path.split('/').collect();
    wanted.len() == given.len()
        && wanted.iter().zip(&given).all(|(want, got)| {
            if want.starts_with('{') && want.ends_with('}') {
                !got.is_empty()
            } else {
                want == got
            }
        })
}

/// The credential each description asks for: GitHub's descriptions name no security scheme,
/// its documentation a bearer token; GitLab's transcription `PRIVATE-TOKEN` or a bearer token;
/// Azure DevOps' `accessToken`, basic authentication with the token as the password.
fn authenticate(
    host: &str,
    description: &Value,
    operation: &Value,
    headers: &HeaderMap,
) -> Result<(), String> {
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|value| value.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    };
    let ok = match host {
        "github" => header("authorization") == format!("Bearer {GITHUB_TOKEN}"),
        "gitlab" => {
            assert_eq!(
                description["components"]["securitySchemes"]["private_token"]["name"],
                "PRIVATE-TOKEN"
            );
            assert!(operation["security"].is_array());
            header("private-token") == GITLAB_TOKEN
                || header("authorization") == format!("Bearer {GITLAB_TOKEN}")
        }
        _ => {
            assert_eq!(
                description["securityDefinitions"]["accessToken"]["type"],
                "basic"
            );
            header("authorization")
                .strip_prefix("Basic ")
                .and_then(|encoded| {
                    base64::engine::general_purpose::STANDARD
                        .decode(encoded)
                        .ok()
                })
                .and_then(|decoded| String::from_utf8(decoded).ok())
                .and_then(|pair| {
                    pair.split_once(':')
                        .map(|(_, password)| password.to_owned())
                })
                .is_some_and(|password| password == AZURE_TOKEN)
        }
    };
    if ok {
        Ok(())
    } else {
        Err("the credential is missing or wrong".to_owned())
    }
}

fn resolve<'a>(description: &'a Value, value: &'a Value) -> &'a Value {
    match value["$ref"].as_str() {
        Some(reference) => {
            let pointer = reference.strip_prefix('#').expect("a local $ref");
            resolve(
                description,
                description.pointer(pointer).expect("the $ref resolves"),
            )
        }
        None => value,
    }
}

/// The properties a schema names, its `allOf` parts' included.
fn described_properties(description: &Value, schema: &Value) -> serde_json::Map<String, Value> {
    let mut properties = schema["properties"]
        .as_object()
        .cloned()
        .unwrap_or_default();
    for part in schema["allOf"].as_array().into_iter().flatten() {
        properties.extend(described_properties(
            description,
            resolve(description, part),
        ));
    }
    properties
}

/// Checks `value` against the subset of JSON Schema the descriptions use: `$ref`, `allOf`,
/// `type`, `nullable`, `enum`, `required`, `properties` and `items`. Properties a schema does not
/// name are refused too (stricter than the hosts, so that a misspelt field fails).
fn validate(description: &Value, schema: &Value, value: &Value, at: &str) -> Result<(), String> {
    let schema = resolve(description, schema);
    if value.is_null() {
        return if schema["nullable"] == true {
            Ok(())
        } else {
            Err(format!("{at} is null"))
        };
    }
    if let Some(kind) = schema["type"].as_str() {
        let fits = match kind {
            "object" => value.is_object(),
            "array" => value.is_array(),
            "string" => value.is_string(),
            "integer" => value.is_i64() || value.is_u64(),
            "number" => value.is_number(),
            "boolean" => value.is_boolean(),
            _ => true,
        };
        if !fits {
            return Err(format!("{at} is not of type {kind}: {value}"));
        }
    }
    if let Some(allowed) = schema["enum"].as_array()
        && !allowed.contains(value)
    {
        return Err(format!("{at} is {value}, not one of {allowed:?}"));
    }
    if let Some(object) = value.as_object() {
        for required in schema["required"].as_array().into_iter().flatten() {
            let name = required.as_str().unwrap();
            if !object.contains_key(name) {
                return Err(format!("{at}.{name} is required"));
            }
        }
        let properties = described_properties(description, schema);
        if !properties.is_empty() {
            for (name, field) in object {
                let Some(property) = properties.get(name) else {
                    return Err(format!("{at}.{name} is not described"));
                };
                validate(description, property, field, &format!("{at}.{name}"))?;
            }
        }
    }
    for part in schema["allOf"].as_array().into_iter().flatten() {
        let part = resolve(description, part);
        for required in part["required"].as_array().into_iter().flatten() {
            let name = required.as_str().unwrap();
            if value.get(name).is_none() {
                return Err(format!("{at}.{name} is required"));
            }
        }
    }
    if let Some(items) = value.as_array() {
        for (index, item) in items.iter().enumerate() {
            validate(
                description,
                &schema["items"],
                item,
                &format!("{at}[{index}]"),
            )?;
        }
    }
    Ok(())
}
