//! A `lanes serve` child process on a loopback port, and HTTP calls to it.

use std::io::{BufRead as _, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::harness::TestRepo;

pub(crate) const GITHUB_SECRET: &str = "a-long-random-github-secret";
pub(crate) const GITLAB_SECRET: &str = "a-long-random-gitlab-secret";
pub(crate) const AZURE_USER: &str = "lanes-hook";
pub(crate) const AZURE_PASSWORD: &str = "a-long-random-azure-password";

/// A running `lanes serve`.
pub(crate) struct Serving {
    child: Child,
    pub(crate) url: String,
}

impl Serving {
    pub(crate) fn start(repo: &TestRepo) -> Self {
        Self::start_in(repo.path(), repo.git_home())
    }

    pub(crate) fn start_in(dir: &Path, home: &Path) -> Self {
        Self::start_with(dir, home, &[])
    }

    /// `lanes serve` with more arguments.
    pub(crate) fn start_with(dir: &Path, home: &Path, extra: &[&str]) -> Self {
        Self::start_with_env(dir, home, extra, &[])
    }

    /// `lanes serve` with more arguments and environment variables.
    pub(crate) fn start_with_env(
        dir: &Path,
        home: &Path,
        extra: &[&str],
        env: &[(&str, &str)],
    ) -> Self {
        let mut child = Command::new(env!("CARGO_BIN_EXE_lanes"))
            .current_dir(dir)
            .args(["serve", "--bind", "127.0.0.1:0", "--jobs", "4"])
            .args(extra)
            .env("HOME", home)
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("NO_COLOR", "1")
            .env("LANES_GITHUB_SECRET", GITHUB_SECRET)
            .envs(env.iter().copied())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("lanes serve starts");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        assert!(line.starts_with("http://"), "lanes serve printed {line:?}");
        Self {
            child,
            url: line.trim().trim_end_matches('/').to_owned(),
        }
    }

    pub(crate) fn pid(&self) -> u32 {
        self.child.id()
    }

    /// SIGKILL to the server and to the `lanes run`s it started: a crash of lanes, with nothing
    /// handed back. The server is frozen first, so that it neither tells its runs to stop nor
    /// starts new ones; the runs' steps, in process groups of their own, are left orphaned.
    pub(crate) fn kill_9_with_its_runs(mut self) {
        let server = self.child.id();
        signal("-STOP", server);
        for run in children_of(server) {
            signal("-KILL", run);
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// SIGTERM, then waits for it to stop.
    pub(crate) fn stop(mut self) -> std::process::ExitStatus {
        terminate(&mut self.child)
    }
}

fn signal(signal: &str, pid: u32) {
    let status = Command::new("kill")
        .args([signal, &pid.to_string()])
        .status()
        .unwrap();
    assert!(status.success(), "kill {signal} {pid}");
}

/// The processes whose parent is `parent`.
fn children_of(parent: u32) -> Vec<u32> {
    std::fs::read_dir("/proc")
        .unwrap()
        .filter_map(Result::ok)
        .filter_map(|entry| {
            let pid = entry.file_name().to_str()?.parse::<u32>().ok()?;
            let stat = std::fs::read_to_string(entry.path().join("stat")).ok()?;
            // `pid (name) state ppid ...`: the name may hold spaces and parentheses.
            let parent_of_pid = stat.rsplit_once(')')?.1.split_whitespace().nth(1)?;
            (parent_of_pid.parse::<u32>().ok()? == parent).then_some(pid)
        })
        .collect()
}

fn terminate(child: &mut Child) -> std::process::ExitStatus {
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    child.wait().unwrap()
}

impl Drop for Serving {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            terminate(&mut self.child);
        }
    }
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(30)))
        .build()
        .into()
}

/// GET with a token; `(status, body)`.
pub(crate) fn get(url: &str, token: &str) -> (u16, String) {
    let mut answer = agent()
        .get(url)
        .header("Authorization", &format!("Bearer {token}"))
        .call()
        .unwrap();
    let status = answer.status().as_u16();
    (status, answer.body_mut().read_to_string().unwrap())
}

/// POST JSON with a token; `(status, body)`.
pub(crate) fn post(url: &str, token: &str, body: &serde_json::Value) -> (u16, String) {
    let mut answer = agent()
        .post(url)
        .header("Authorization", &format!("Bearer {token}"))
        .header("Content-Type", "application/json")
        .send(body.to_string().as_bytes())
        .unwrap();
    let status = answer.status().as_u16();
    (status, answer.body_mut().read_to_string().unwrap())
}

/// Delivers GitHub's published push payload, pointed at `commit` on `main`, signed.
pub(crate) fn push_webhook(server: &Serving, commit: &str, delivery: &str) -> (u16, String) {
    let mut payload = github_fixture("push.branch-update.go-playground.json");
    payload["after"] = serde_json::json!(commit);
    payload["ref"] = serde_json::json!("refs/heads/main");
    github_webhook(server, "push", delivery, &payload)
}

/// One of GitHub's published webhook payloads (`tests/fixtures/webhooks/github`).
pub(crate) fn github_fixture(name: &str) -> serde_json::Value {
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures/webhooks/github")
        .join(name);
    let text = std::fs::read_to_string(&fixture).unwrap_or_else(|error| {
        panic!(
            "the webhook fixture {} is missing ({error})",
            fixture.display()
        )
    });
    serde_json::from_str(&text).unwrap()
}

/// Delivers `payload` as GitHub's event `event`, signed with the server's secret.
pub(crate) fn github_webhook(
    server: &Serving,
    event: &str,
    delivery: &str,
    payload: &serde_json::Value,
) -> (u16, String) {
    use hmac::Mac as _;
    let body = payload.to_string();
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(GITHUB_SECRET.as_bytes()).unwrap();
    mac.update(body.as_bytes());
    let signature = format!("sha256={}", hex::encode(mac.finalize().into_bytes()));
    let mut answer = agent()
        .post(&format!("{}/webhooks/github", server.url))
        .header("X-GitHub-Event", event)
        .header("X-GitHub-Delivery", delivery)
        .header("X-Hub-Signature-256", &signature)
        .send(body.as_bytes())
        .unwrap();
    let status = answer.status().as_u16();
    (status, answer.body_mut().read_to_string().unwrap())
}

/// Delivers `payload` to the webhook endpoint of GitLab (`gitlab`) or Azure DevOps
/// (`azure-devops`) with the server's credential.
pub(crate) fn host_webhook(
    server: &Serving,
    host: &str,
    payload: &serde_json::Value,
) -> (u16, String) {
    use base64::Engine as _;
    let mut call = agent()
        .post(&format!("{}/webhooks/{host}", server.url))
        .header("Content-Type", "application/json");
    call = if host == "gitlab" {
        call.header("X-Gitlab-Token", GITLAB_SECRET)
    } else {
        let credential = base64::engine::general_purpose::STANDARD
            .encode(format!("{AZURE_USER}:{AZURE_PASSWORD}"));
        call.header("Authorization", &format!("Basic {credential}"))
    };
    let mut answer = call.send(payload.to_string().as_bytes()).unwrap();
    let status = answer.status().as_u16();
    (status, answer.body_mut().read_to_string().unwrap())
}

/// One of the published webhook payloads of `host` (`tests/fixtures/webhooks/<host>`).
pub(crate) fn host_fixture(host: &str, name: &str) -> serde_json::Value {
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures/webhooks")
        .join(host)
        .join(name);
    let text = std::fs::read_to_string(&fixture).unwrap();
    serde_json::from_str(text.trim_start_matches('\u{feff}')).unwrap()
}

/// A page of the dashboard as the holder of `token` (its cookie), `(status, body)`.
pub(crate) fn page(server: &Serving, token: &str, path: &str) -> (u16, String) {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .max_redirects(0)
        .build()
        .into();
    let mut answer = agent
        .get(&format!("{}{path}", server.url))
        .header("Cookie", &format!("lanes_token={token}"))
        .call()
        .unwrap();
    let status = answer.status().as_u16();
    (status, answer.body_mut().read_to_string().unwrap())
}

/// Makes an API token in the repository's ledger.
pub(crate) fn token(repo: &TestRepo, name: &str, role: &str) -> String {
    repo.lanes(&["token", "add", name, "--role", role])
        .success()
        .stdout()
        .trim()
        .to_owned()
}

/// Polls until `check` holds for the commit's unified view (from the API), or panics.
pub(crate) fn wait_for_view(
    server: &Serving,
    token: &str,
    commit: &str,
    what: &str,
    check: impl Fn(&serde_json::Value) -> bool,
) -> serde_json::Value {
    let deadline = Instant::now() + Duration::from_mins(1);
    let mut last = serde_json::Value::Null;
    while Instant::now() < deadline {
        let (status, body) = get(&format!("{}/api/v1/commits/{commit}", server.url), token);
        if status == 200 {
            last = serde_json::from_str(&body).unwrap();
            if check(&last) {
                return last;
            }
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!("timed out waiting until {what}; last view: {last:#}");
}

/// The state of `component`'s stage named `stage` in a unified view.
pub(crate) fn state_of(view: &serde_json::Value, component: &str, stage: &str) -> String {
    stage_of(view, component, stage)["state"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

pub(crate) fn stage_of(
    view: &serde_json::Value,
    component: &str,
    stage: &str,
) -> serde_json::Value {
    view["lanes"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|lane| lane["component"] == component)
        .and_then(|lane| {
            lane["stages"]
                .as_array()
                .into_iter()
                .flatten()
                .find(|s| s["name"] == stage)
                .cloned()
        })
        .unwrap_or_default()
}
