//! A server on a loopback socket over a fresh ledger file, and a plain HTTP/1.1 client that
//! can also send slowly or too much.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use lanes_engine::LaneId;
use lanes_server::{App, Backend, CommandFuture, CommandOutput, Notice, ServerConfig};
use lanes_store::Store;
use tempfile::TempDir;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;
use tokio::sync::mpsc;

pub(crate) const GITHUB_SECRET: &str = "It's a Secret to Everybody";
pub(crate) const GITLAB_TOKEN: &str = "gitlab-token-of-the-test";
pub(crate) const AZURE_USER: &str = "lanes";
pub(crate) const AZURE_PASSWORD: &str = "azure-password-of-the-test";

/// The published webhook payloads, kept in the project's `tests/fixtures/webhooks`.
pub(crate) fn fixture(path: &str) -> Vec<u8> {
    let file = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures/webhooks")
        .join(path);
    std::fs::read(&file).unwrap_or_else(|error| {
        panic!(
            "the webhook fixture {} is missing ({error})",
            file.display()
        )
    })
}

/// The webhook tests never act through the program around the server.
struct NoBackend;

impl Backend for NoBackend {
    fn command(&self, args: Vec<String>, _api_token: Option<String>) -> CommandFuture {
        Box::pin(async move {
            CommandOutput {
                status: 1,
                stdout: String::new(),
                stderr: format!("no commands in these tests: {args:?}"),
            }
        })
    }

    fn log_path(&self, lane: LaneId, stage: &str, attempt: u32) -> PathBuf {
        PathBuf::from(format!("/nonexistent/{}/{stage}-{attempt}.log", lane.0))
    }

    fn board(&self, _: &lanes_engine::World) -> Result<serde_json::Value, String> {
        Err("no board in these tests".to_owned())
    }

    fn metrics(
        &self,
        _: &lanes_engine::World,
        _: &lanes_server::MetricsRequest,
    ) -> Result<serde_json::Value, String> {
        Err("no git in these tests".to_owned())
    }

    /// The tests that record runs run them in this very process.
    fn run_is_alive(&self, run: &lanes_store::RunRecord) -> bool {
        run.pid == std::process::id()
    }
}

/// A running server and what it told the dispatcher loop.
pub(crate) struct TestServer {
    _temp: TempDir,
    pub(crate) ledger: PathBuf,
    pub(crate) address: std::net::SocketAddr,
    pub(crate) notices: mpsc::UnboundedReceiver<Notice>,
}

impl TestServer {
    pub(crate) async fn start() -> Self {
        Self::start_with(|_| {}).await
    }

    pub(crate) async fn start_with(adjust: impl FnOnce(&mut ServerConfig)) -> Self {
        let temp = TempDir::new().unwrap();
        let ledger = temp.path().join("ledger.db");
        let store = Store::open(&ledger).await.unwrap();
        let mut config = ServerConfig::default();
        config.webhooks.github = Some(GITHUB_SECRET.to_owned());
        config.webhooks.gitlab = Some(GITLAB_TOKEN.to_owned());
        config.webhooks.azure_devops = Some((AZURE_USER.to_owned(), AZURE_PASSWORD.to_owned()));
        config.body_limit = 64 * 1024;
        adjust(&mut config);
        let (sender, notices) = mpsc::unbounded_channel();
        let app = App::new(config, store, sender, Arc::new(NoBackend));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        tokio::spawn(lanes_server::serve(listener, app, std::future::pending()));
        Self {
            _temp: temp,
            ledger,
            address,
            notices,
        }
    }

    pub(crate) fn ledger(&self) -> &Path {
        &self.ledger
    }

    /// The deliveries table as `(host, delivery, event, commit)`, oldest first.
    pub(crate) async fn deliveries(&self) -> Vec<(String, String, String, Option<String>)> {
        let store = Store::open(self.ledger()).await.unwrap();
        let mut rows: Vec<_> = store
            .deliveries()
            .recent(1000)
            .await
            .unwrap()
            .into_iter()
            .map(|d| (d.said.host, d.said.delivery, d.said.event, d.said.commit))
            .collect();
        rows.reverse();
        rows
    }

    /// Notices sent so far.
    pub(crate) fn drain_notices(&mut self) -> Vec<Notice> {
        let mut notices = Vec::new();
        while let Ok(notice) = self.notices.try_recv() {
            notices.push(notice);
        }
        notices
    }
}

/// An HTTP answer.
#[derive(Debug)]
pub(crate) struct Answer {
    pub(crate) status: u16,
    pub(crate) body: String,
}

impl Answer {
    pub(crate) fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body)
            .unwrap_or_else(|error| panic!("not JSON ({error}): {}", self.body))
    }
}

/// Sends one request (`Connection: close`) and reads the whole answer.
pub(crate) async fn request(
    address: std::net::SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> Answer {
    let mut stream = TcpStream::connect(address).await.unwrap();
    let mut head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (name, value) in headers {
        let _ = write!(head, "{name}: {value}\r\n");
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes()).await.unwrap();
    // The server may answer (413, 401) and close before taking the whole body.
    let _ = stream.write_all(body).await;
    read_answer(stream).await
}

pub(crate) async fn read_answer(mut stream: TcpStream) -> Answer {
    let mut raw = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(30), stream.read_to_end(&mut raw)).await;
    let text = String::from_utf8_lossy(&raw).into_owned();
    let status = text
        .split(' ')
        .nth(1)
        .and_then(|code| code.parse().ok())
        .unwrap_or_else(|| panic!("no HTTP answer: {text:?}"));
    let body = text
        .split_once("\r\n\r\n")
        .map(|(_, body)| body.to_owned())
        .unwrap_or_default();
    Answer { status, body }
}

/// `X-Hub-Signature-256` of `body` under `secret`.
pub(crate) fn github_signature(secret: &str, body: &[u8]) -> String {
    use hmac::{Hmac, Mac};
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

/// Delivers a GitHub fixture, signed with `secret`.
pub(crate) async fn github(
    server: &TestServer,
    event: &str,
    fixture_name: &str,
    delivery: &str,
    secret: &str,
) -> Answer {
    let body = fixture(&format!("github/{fixture_name}"));
    let signature = github_signature(secret, &body);
    request(
        server.address,
        "POST",
        "/webhooks/github",
        &[
            ("Content-Type", "application/json"),
            ("X-GitHub-Event", event),
            ("X-GitHub-Delivery", delivery),
            ("X-Hub-Signature-256", &signature),
        ],
        &body,
    )
    .await
}
