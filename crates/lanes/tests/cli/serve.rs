//! `lanes serve` end to end: webhooks start real lanes, the API decides as the token's holder,
//! and a `kill -9` of the server loses nothing it acknowledged.

use std::time::Duration;

use serde_json::json;

use crate::harness::{TestRepo, wait_until};
use crate::serving::{
    Serving, get, page, post, push_webhook, stage_of, state_of, token, wait_for_view,
};

const MANIFEST: &str = r#"version: 1
identities: { alice: [alice@example.com], bob: [bob@example.com], carol: [carol@example.com], ops: [ops@example.com], test: [test@example.com] }
components:
  api: { path: api, approvers: [alice, bob] }
  web: { path: web, approvers: [alice] }
environments:
  staging: {}
  prod: { approval: { required: 1 } }
stages:
  - { name: pr, run: ["sh ./build.sh"] }
  - { name: staging, environment: staging, deploy: "sh ./deploy.sh" }
  - { name: production, environment: prod, deploy: "sh ./deploy.sh", gate: approval }
"#;

/// The two components' repository with one commit, and the directory of the files that make
/// its steps hang or slow down (see `repo_sleeping_once`).
pub(crate) struct Scene {
    pub(crate) once: tempfile::TempDir,
    pub(crate) repo: TestRepo,
    pub(crate) commit: String,
}

impl Scene {
    pub(crate) fn new() -> Self {
        let once = tempfile::TempDir::new().unwrap();
        let repo = repo_sleeping_once(once.path());
        let commit = repo.commit("two components");
        Self { once, repo, commit }
    }

    /// A server over the repository, told about the commit by a push webhook.
    pub(crate) fn serve_pushed(&self, delivery: &str) -> Serving {
        let server = Serving::start(&self.repo);
        let (status, body) = push_webhook(&server, &self.commit, delivery);
        assert_eq!(status, 202, "{body}");
        server
    }
}

/// Steps that sleep once, the first time, when a file names them (for the crash test). With
/// `follow-<component>`, the build prints `first`, then waits (up to 20 s) for
/// `read-<component>`, which a test creates once it has read that line from a following log.
pub(crate) fn repo_sleeping_once(once: &std::path::Path) -> TestRepo {
    let repo = TestRepo::new();
    let once = once.display();
    repo.write("lanes.yml", MANIFEST)
        .write(
            "build.sh",
            &format!(
                "echo \"building $LANES_COMPONENT\"\nif [ -e \"{once}/follow-$LANES_COMPONENT\" ]; then echo first; i=0; while [ ! -e \"{once}/read-$LANES_COMPONENT\" ]; do i=$((i+1)); if [ $i -gt 200 ]; then echo \"nobody read the first line\"; exit 1; fi; sleep 0.1; done; echo second; fi\nif [ -e \"{once}/slow-$LANES_COMPONENT\" ]; then echo first; s=$(cat \"{once}/slow-$LANES_COMPONENT\"); sleep \"${{s:-2}}\"; echo second; fi\nif [ -e \"{once}/build-$LANES_COMPONENT\" ]; then rm \"{once}/build-$LANES_COMPONENT\"; touch \"{once}/building-$LANES_COMPONENT\"; sleep 60; fi\necho built\n"
            ),
        )
        .write(
            "deploy.sh",
            &format!(
                "echo \"deploying $LANES_COMPONENT to $LANES_ENVIRONMENT\"\nif [ -e \"{once}/deploy-$LANES_COMPONENT-$LANES_ENVIRONMENT\" ]; then rm \"{once}/deploy-$LANES_COMPONENT-$LANES_ENVIRONMENT\"; touch \"{once}/deploying-$LANES_COMPONENT\"; sleep 60; fi\n"
            ),
        )
        .write("api/main.c", "1")
        .write("web/app.js", "1");
    repo
}

#[test]
fn a_pushed_commit_runs_to_the_gate_and_only_an_approver_approves_as_themselves() {
    let scene = Scene::new();
    let (repo, commit) = (&scene.repo, scene.commit.clone());
    let alice = token(repo, "alice", "approver");
    let viewer = token(repo, "vic", "viewer");
    let server = Serving::start(repo);

    let (status, body) = push_webhook(&server, &commit, "push-1");
    assert_eq!(status, 202, "{body}");
    let view = wait_for_view(
        &server,
        &viewer,
        &commit,
        "both lanes wait for approval",
        |view| {
            state_of(view, "api", "production") == "waiting"
                && state_of(view, "web", "production") == "waiting"
        },
    );
    assert_eq!(state_of(&view, "api", "pr"), "succeeded");

    let (status, body) = push_webhook(&server, &commit, "push-1");
    assert_eq!(
        (status, body.contains("\"duplicate\":true")),
        (200, true),
        "{body}"
    );

    let approve = format!("{}/api/v1/approve", server.url);
    let gate = json!({"component": "api", "stage": "production", "commit": &commit[..8]});
    assert_eq!(
        post(&approve, &viewer, &gate).0,
        403,
        "a viewer cannot approve"
    );
    assert_eq!(post(&approve, "not-a-token", &gate).0, 401);
    let forged = json!({"component": "api", "stage": "production", "as": "bob"});
    assert!(
        post(&approve, &alice, &forged).0 >= 400,
        "who approves comes from the token, never the request"
    );
    let (status, body) = post(&approve, &alice, &gate);
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("\"by\":\"alice\""), "{body}");
    wait_for_view(
        &server,
        &viewer,
        &commit,
        "api reaches production",
        |view| view["lanes"][0]["done"] == true,
    );
    let status = repo.lanes(&["status", &commit, "--json"]).success().json();
    assert_eq!(status["lanes"][1]["summary"], "waiting", "web still waits");
    decision_is_on_record(repo, &server, &viewer, &commit, &status);

    // The git path's commands through the API: a hotfix of what production runs.
    let hotfix = format!("{}/api/v1/hotfix", server.url);
    assert_eq!(post(&hotfix, &viewer, &json!({"component": "api"})).0, 403);
    let (status, body) = post(&hotfix, &alice, &json!({"component": "api"}));
    assert_eq!(status, 200, "{body}");
    let branch = serde_json::from_str::<serde_json::Value>(&body).unwrap()["result"]["branch"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        repo.git(&["branch", "--list", &branch]).contains(&branch),
        "{body}"
    );
    let (status, body) = post(&hotfix, &alice, &json!({"component": "web"}));
    assert_eq!(status, 409, "web is not in production: {body}");
    let submit = format!("{}/api/v1/submit", server.url);
    assert_eq!(
        post(&submit, &viewer, &json!({"branches": ["topic"]})).0,
        403
    );
    assert_eq!(post(&submit, &alice, &json!({"branches": []})).0, 400);

    let (status, deliveries) = get(&format!("{}/api/v1/deliveries", server.url), &viewer);
    assert_eq!(status, 200);
    let deliveries: serde_json::Value = serde_json::from_str(&deliveries).unwrap();
    assert_eq!(deliveries.as_array().unwrap().len(), 1, "{deliveries:#}");
    assert!(
        deliveries[0]["outcome"]
            .as_str()
            .unwrap()
            .starts_with("ran")
    );
    let (status, log) = get(
        &format!("{}/api/v1/lanes/1/stages/pr/log", server.url),
        &viewer,
    );
    assert_eq!(status, 200);
    assert!(log.contains("building api"), "{log}");
    assert!(server.stop().success(), "SIGTERM stops the server cleanly");
}

/// alice's approval is on record with the token it came with, in the commit's view, the audit
/// export of the API and that of the command line.
fn decision_is_on_record(
    repo: &TestRepo,
    server: &Serving,
    viewer: &str,
    commit: &str,
    status: &serde_json::Value,
) {
    let decision = &status["decisions"][0];
    assert_eq!(
        (
            &decision["kind"],
            &decision["user"],
            &decision["token"],
            &decision["environment"]
        ),
        (
            &json!("approve"),
            &json!("alice"),
            &json!("alice"),
            &json!("prod")
        ),
        "{status:#}"
    );
    let (code, audit) = get(&format!("{}/api/v1/audit", server.url), viewer);
    assert_eq!(code, 200, "{audit}");
    let audit: serde_json::Value = serde_json::from_str(&audit).unwrap();
    assert_eq!(audit.as_array().map(Vec::len), Some(1), "{audit:#}");
    assert_eq!(audit[0]["commit"], json!(commit));
    let exported = repo.lanes(&["audit", "--json"]).success().json();
    assert_eq!(exported[0]["token"], json!("alice"), "{exported:#}");
}

/// Whether a `lanes run` of `commit` is still alive (a server's child finishing its stop).
fn run_alive(commit: &str) -> bool {
    std::fs::read_dir("/proc")
        .unwrap()
        .filter_map(Result::ok)
        .filter_map(|entry| std::fs::read(entry.path().join("cmdline")).ok())
        .any(|cmdline| {
            let text = String::from_utf8_lossy(&cmdline);
            text.contains("\0run\0") && text.contains(commit)
        })
}

/// Whether a step of an attempt in `repo`'s ledger still runs: every step process inherits
/// `LANES_TOKEN`, which names the state directory.
fn steps_alive(repo: &TestRepo) -> bool {
    let token = format!("LANES_TOKEN={}", repo.path().join(".git/lanes#").display());
    std::fs::read_dir("/proc")
        .unwrap()
        .filter_map(Result::ok)
        .filter_map(|entry| std::fs::read(entry.path().join("environ")).ok())
        .any(|environ| {
            environ
                .split(|byte| *byte == 0)
                .any(|variable| variable.starts_with(token.as_bytes()))
        })
}

/// The server and its `lanes run` die by SIGKILL: nothing hands the attempts back, so the
/// restarted server's run recovers them (and ends their orphaned steps).
#[test]
fn kill_9_while_lanes_run_then_a_restart_resumes_builds_and_deploys_wait_for_a_decision() {
    let scene = Scene::new();
    let (once, repo, commit) = (scene.once.path(), &scene.repo, scene.commit.clone());
    // api's build and web's staging deploy hang the first time they run.
    std::fs::write(once.join("build-api"), "").unwrap();
    std::fs::write(once.join("deploy-web-staging"), "").unwrap();
    let approver = token(repo, "alice", "approver");
    let server = scene.serve_pushed("crash-1");
    wait_for_view(
        &server,
        &approver,
        &commit,
        "api builds and web deploys",
        |view| {
            state_of(view, "api", "pr") == "running"
                && state_of(view, "web", "staging") == "running"
        },
    );
    wait_until("the steps started", || {
        once.join("building-api").exists() && once.join("deploying-web").exists()
    });
    let old = server.pid();
    server.kill_9_with_its_runs();
    wait_until(
        &format!("the run of the killed server (pid {old}) ended"),
        || !run_alive(&commit),
    );
    // Nothing handed the attempts back: the ledger says they run, and their steps run on, but
    // the run that ran them is gone, so they show abandoned.
    let status = repo.lanes(&["status", &commit, "--json"]).success().json();
    assert_eq!(
        stage_of(&status, "api", "pr")["state"],
        "abandoned",
        "{status:#}"
    );
    assert_eq!(
        stage_of(&status, "web", "staging")["state"],
        "abandoned",
        "{status:#}"
    );
    assert!(steps_alive(repo), "the killed run's steps were orphaned");

    let server = Serving::start(repo);
    let view = wait_for_view(
        &server,
        &approver,
        &commit,
        "the build resumed and the deploy waits",
        |view| {
            state_of(view, "api", "production") == "waiting"
                && state_of(view, "web", "staging") == "interrupted"
        },
    );
    assert_eq!(
        stage_of(&view, "api", "pr")["attempts"],
        2,
        "the build ran again: {view:#}"
    );
    let interrupted = stage_of(&view, "web", "staging");
    assert!(
        interrupted["reason"]
            .as_str()
            .unwrap()
            .contains("during the deploy of attempt 1"),
        "{interrupted:#}"
    );
    assert_eq!(state_of(&view, "web", "production"), "pending");
    assert!(!steps_alive(repo), "recovery ended the orphaned steps");

    let (status, body) = post(
        &format!("{}/api/v1/retry", server.url),
        &approver,
        &json!({"component": "web", "stage": "staging"}),
    );
    assert_eq!(status, 200, "{body}");
    wait_for_view(
        &server,
        &approver,
        &commit,
        "web's deploy ran again on the decision",
        |view| {
            state_of(view, "web", "staging") == "succeeded"
                && state_of(view, "web", "production") == "waiting"
        },
    );
    let (_, deliveries) = get(&format!("{}/api/v1/deliveries", server.url), &approver);
    assert!(
        deliveries.contains("\"outcome\":\"ran"),
        "the acknowledged delivery was handled: {deliveries}"
    );
}

#[test]
fn an_empty_webhook_secret_refuses_to_start() {
    let repo = TestRepo::with_manifest(MANIFEST);
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_lanes"))
        .current_dir(repo.path())
        .args(["serve", "--bind", "127.0.0.1:0"])
        .env("LANES_GITLAB_TOKEN", "")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("gitlab webhook secret is empty"),
        "{stderr}"
    );
}

/// `lanes` with `--server` and a token, in `dir`.
pub(crate) fn lanes_remote(
    dir: &std::path::Path,
    server: &Serving,
    token: &str,
    args: &[&str],
) -> std::process::Output {
    lanes_remote_command(dir, server, token, args)
        .output()
        .unwrap()
}

fn lanes_remote_command(
    dir: &std::path::Path,
    server: &Serving,
    token: &str,
    args: &[&str],
) -> std::process::Command {
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_lanes"));
    command
        .current_dir(dir)
        .args(args)
        .args(["--server", &server.url])
        .env("LANES_API_TOKEN", token)
        .env("NO_COLOR", "1");
    command
}

#[test]
fn the_command_line_talks_to_a_server_and_follows_a_log_while_it_is_written() {
    let scene = Scene::new();
    let (once, repo, commit) = (scene.once.path(), &scene.repo, scene.commit.clone());
    std::fs::write(once.join("follow-api"), "").unwrap();
    let alice = token(repo, "alice", "approver");
    let server = scene.serve_pushed("cli-1");
    wait_for_view(&server, &alice, &commit, "api builds", |view| {
        state_of(view, "api", "pr") == "running"
    });
    // The build goes on past its first line only once that line came through the follow.
    let mut follow = lanes_remote_command(
        repo.path(),
        &server,
        &alice,
        &["logs", "api", "pr", "--commit", &commit, "-f"],
    )
    .stdout(std::process::Stdio::piped())
    .spawn()
    .unwrap();
    let mut lines = std::io::BufRead::lines(std::io::BufReader::new(follow.stdout.take().unwrap()))
        .map(Result::unwrap);
    lines
        .by_ref()
        .find(|line| line.contains("stdout | first"))
        .expect("the first line");
    std::fs::write(once.join("read-api"), "").unwrap();
    let rest = lines.collect::<Vec<_>>().join("\n");
    assert!(follow.wait().unwrap().success());
    assert!(
        rest.contains("stdout | second") && rest.contains("step succeeded"),
        "{rest}"
    );

    wait_for_view(&server, &alice, &commit, "both lanes wait", |view| {
        state_of(view, "api", "production") == "waiting"
            && state_of(view, "web", "production") == "waiting"
    });
    let status = lanes_remote(repo.path(), &server, &alice, &["status", &commit, "--json"]);
    assert!(status.status.success());
    let view: serde_json::Value = serde_json::from_slice(&status.stdout).unwrap();
    assert_eq!(view["lanes"].as_array().unwrap().len(), 2);
    let text = lanes_remote(repo.path(), &server, &alice, &["status", &commit]);
    assert!(String::from_utf8_lossy(&text.stdout).contains("waiting for approval"));

    let impostor = lanes_remote(
        repo.path(),
        &server,
        &alice,
        &["approve", "api", "production", "--as", "bob"],
    );
    assert_eq!(impostor.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&impostor.stderr).contains("token's holder `alice`"));
    let approved = lanes_remote(
        repo.path(),
        &server,
        &alice,
        &["approve", "api", "production", "--as", "alice"],
    );
    assert!(
        approved.status.success(),
        "{}",
        String::from_utf8_lossy(&approved.stderr)
    );
    wait_for_view(&server, &alice, &commit, "api is done", |view| {
        view["lanes"][0]["done"] == true
    });
    let again = lanes_remote(
        repo.path(),
        &server,
        &alice,
        &["approve", "api", "production", "--as", "alice"],
    );
    assert_eq!(again.status.code(), Some(5), "nothing waits any more");
    let audit = lanes_remote(repo.path(), &server, &alice, &["audit"]);
    let audit = String::from_utf8_lossy(&audit.stdout).into_owned();
    assert!(
        audit.contains("alice approved api") && audit.contains("in prod with the token `alice`"),
        "{audit}"
    );
    let board = lanes_remote(repo.path(), &server, &alice, &["board", "--json"]);
    let board: serde_json::Value = serde_json::from_slice(&board.stdout).unwrap();
    assert_eq!(
        board["components"][0]["environments"]["prod"]["deployed"]["commit"],
        commit.as_str(),
        "{board:#}"
    );
    let hotfix = lanes_remote(repo.path(), &server, &alice, &["hotfix", "api"]);
    assert!(
        hotfix.status.success(),
        "{}",
        String::from_utf8_lossy(&hotfix.stderr)
    );
    assert!(String::from_utf8_lossy(&hotfix.stdout).starts_with("hotfix/api/"));
    let local_only = lanes_remote(repo.path(), &server, &alice, &["graph"]);
    assert_eq!(local_only.status.code(), Some(1));
}

#[test]
fn the_dashboard_reads_without_javascript_and_only_approvers_get_buttons() {
    let scene = Scene::new();
    let (repo, commit) = (&scene.repo, scene.commit.clone());
    let alice = token(repo, "alice", "approver");
    let viewer = token(repo, "vic", "viewer");
    let server = scene.serve_pushed("page-1");
    wait_for_view(&server, &viewer, &commit, "both lanes wait", |view| {
        state_of(view, "api", "production") == "waiting"
            && state_of(view, "web", "production") == "waiting"
    });
    assert_eq!(
        page(&server, "", &format!("/commits/{commit}")).0,
        303,
        "signing in comes first"
    );
    let (status, as_viewer) = page(&server, &viewer, &format!("/commits/{commit}"));
    assert_eq!(status, 200);
    assert!(
        as_viewer.contains("data-component=\"api\"")
            && as_viewer.contains("data-component=\"web\"")
    );
    assert!(as_viewer.contains("waiting for approval"), "{as_viewer}");
    assert!(!as_viewer.contains("Approve"), "a viewer gets no buttons");
    assert!(
        as_viewer.contains(">for "),
        "a waiting stage says how long it waits"
    );
    let (_, as_approver) = page(&server, &alice, &format!("/commits/{}", &commit[..8]));
    assert_eq!(as_approver.matches("value=\"approve\"").count(), 2);
    let deliveries = page(&server, &viewer, "/deliveries").1;
    assert!(
        deliveries.contains("a push to a branch") && deliveries.contains("ran"),
        "{deliveries}"
    );
    for path in [
        "/",
        "/queue",
        "/board",
        "/deliveries",
        "/lanes/1/stages/pr",
        "/assets/htmx.min.js",
    ] {
        assert_eq!(page(&server, &viewer, path).0, 200, "{path}");
    }
    assert!(
        page(&server, &viewer, "/lanes/1/stages/pr")
            .1
            .contains("building api")
    );
}

#[test]
fn with_poll_a_remote_that_sends_no_webhooks_is_followed() {
    let once = tempfile::TempDir::new().unwrap();
    let developer = repo_sleeping_once(once.path());
    let first = developer.commit("two components");
    let origin = developer.sibling("origin.git");
    crate::harness::git_in(
        developer.git_home(),
        developer.git_home(),
        &[
            "init",
            "-q",
            "--bare",
            "-b",
            "main",
            origin.to_str().unwrap(),
        ],
    );
    developer.git(&["push", "-q", origin.to_str().unwrap(), "main"]);
    let clone = developer.sibling("served");
    crate::harness::git_in(
        developer.git_home(),
        developer.git_home(),
        &[
            "clone",
            "-q",
            origin.to_str().unwrap(),
            clone.to_str().unwrap(),
        ],
    );
    let viewer = crate::harness::lanes_in(&clone, &["token", "add", "vic", "--role", "viewer"])
        .success()
        .stdout()
        .trim()
        .to_owned();
    let server = Serving::start_with(&clone, developer.git_home(), &["--poll", "1"]);
    wait_for_view(
        &server,
        &viewer,
        &first,
        "the head of origin/main runs",
        |view| state_of(view, "api", "production") == "waiting",
    );
    developer.write("web/app.js", "2");
    let second = developer.commit("web changes");
    developer.git(&["push", "-q", origin.to_str().unwrap(), "main"]);
    let view = wait_for_view(
        &server,
        &viewer,
        &second,
        "the pushed commit runs",
        |view| state_of(view, "web", "production") == "waiting",
    );
    assert_eq!(
        view["lanes"].as_array().unwrap().len(),
        1,
        "only web changed: {view:#}"
    );
}

/// A `lanes demo` serving its dashboard, started in `home` with `TMPDIR` at `temp` and a
/// `PATH` whose `lanes` is this binary.
pub(crate) struct ServedDemo {
    child: std::process::Child,
    pub(crate) url: String,
    pub(crate) olga: String,
    /// Its stderr up to the tokens.
    said: Vec<String>,
    readers: Vec<std::thread::JoinHandle<()>>,
}

impl ServedDemo {
    pub(crate) fn start(home: &std::path::Path, temp: &std::path::Path, extra: &[&str]) -> Self {
        let bin = home.join("bin");
        std::fs::create_dir_all(&bin).unwrap();
        std::os::unix::fs::symlink(env!("CARGO_BIN_EXE_lanes"), bin.join("lanes")).unwrap();
        let path = std::env::join_paths(std::iter::once(bin).chain(std::env::split_paths(
            &crate::manifest_commands::path_without_lanes(),
        )))
        .unwrap();
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_lanes"))
            .current_dir(home)
            .args(["demo", "--bind", "127.0.0.1:0"])
            .args(extra)
            .env("HOME", home)
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("NO_COLOR", "1")
            .env("PATH", path)
            .env("TMPDIR", temp)
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let mut stdout =
            std::io::BufRead::lines(std::io::BufReader::new(child.stdout.take().unwrap()));
        let url = stdout
            .by_ref()
            .map(Result::unwrap)
            .find(|line| line.starts_with("http://"))
            .expect("the demo prints its dashboard's address");
        // Both pipes are read to their end: a closed pipe would fail the demo's own writes.
        let rest = std::thread::spawn(move || {
            stdout.for_each(drop);
        });
        let stderr = child.stderr.take().unwrap();
        let (sender, lines) = std::sync::mpsc::channel();
        let drain = std::thread::spawn(move || {
            for line in
                std::io::BufRead::lines(std::io::BufReader::new(stderr)).map_while(Result::ok)
            {
                let _ = sender.send(line);
            }
        });
        let mut said = Vec::new();
        let olga = loop {
            let line = lines
                .recv_timeout(Duration::from_mins(1))
                .expect("the demo prints an approver's token");
            if let Some(token) = line.trim().strip_prefix("olga (approver): ") {
                break token.to_owned();
            }
            said.push(line);
        };
        Self {
            child,
            url: url.trim_end_matches('/').to_owned(),
            olga,
            said,
            readers: vec![rest, drain],
        }
    }

    /// The commit whose monitoring version waits: deployed to staging, not to production.
    pub(crate) fn waiting_commit(&self) -> String {
        let (status, board) = get(&format!("{}/api/v1/board", self.url), &self.olga);
        assert_eq!(status, 200, "{board}");
        let board: serde_json::Value = serde_json::from_str(&board).unwrap();
        let monitoring = board["components"]
            .as_array()
            .unwrap()
            .iter()
            .find(|row| row["name"] == "monitoring")
            .unwrap();
        let waiting = monitoring["environments"]["staging"]["deployed"]["commit"]
            .as_str()
            .unwrap()
            .to_owned();
        assert_ne!(
            monitoring["environments"]["prod"]["deployed"]["commit"],
            waiting.as_str(),
            "{monitoring}"
        );
        waiting
    }

    /// SIGTERM, as Ctrl-C would; the demo must end cleanly, and soon.
    pub(crate) fn stop(mut self) {
        std::process::Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .unwrap();
        let deadline = std::time::Instant::now() + Duration::from_secs(30);
        let status = loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                break status;
            }
            if std::time::Instant::now() > deadline {
                let _ = self.child.kill();
                panic!("the demo did not end within 30 s of SIGTERM");
            }
            std::thread::sleep(Duration::from_millis(50));
        };
        assert!(status.success(), "Ctrl-C or SIGTERM ends the demo cleanly");
        for reader in self.readers {
            reader.join().unwrap();
        }
    }
}

#[test]
fn lanes_demo_ends_on_its_dashboard_with_a_decision_waiting_and_removes_its_directory() {
    let home = tempfile::TempDir::new().unwrap();
    let temp = home.path().join("tmp");
    std::fs::create_dir(&temp).unwrap();
    let demo = ServedDemo::start(home.path(), &temp, &[]);
    let dir = crate::manifest_commands::entries(&temp);
    assert_eq!(dir.len(), 1, "{dir:?}");
    // `lanes` on the PATH is this binary: the hints say `lanes -C DIR`.
    let lanes = format!("lanes -C {}", dir[0].display());
    assert!(
        demo.said
            .iter()
            .any(|line| line.starts_with(&format!("  {lanes} board"))),
        "{:#?}",
        demo.said
    );
    assert!(
        !demo
            .said
            .iter()
            .any(|line| line.contains(env!("CARGO_BIN_EXE_lanes"))),
        "{:#?}",
        demo.said
    );
    // A version waits in staging, ahead of production...
    let waiting = demo.waiting_commit();
    let view = |what: &str, check: &dyn Fn(&serde_json::Value) -> bool| {
        let url = format!("{}/api/v1/commits/{waiting}", demo.url);
        let mut last = serde_json::Value::Null;
        wait_until(what, || {
            last = serde_json::from_str(&get(&url, &demo.olga).1).unwrap_or_default();
            check(&last)
        });
        last
    };
    view("monitoring waits at production", &|view| {
        state_of(view, "monitoring", "production") == "waiting"
    });
    // ...for the approval the printed approver token gives, as the dashboard's button does.
    let (status, body) = post(
        &format!("{}/api/v1/approve", demo.url),
        &demo.olga,
        &json!({"component": "monitoring", "stage": "production", "commit": waiting}),
    );
    assert_eq!(status, 200, "{body}");
    view("monitoring reaches production", &|view| {
        state_of(view, "monitoring", "production") == "succeeded"
    });
    demo.stop();
    assert_eq!(
        crate::manifest_commands::entries(&temp),
        Vec::<std::path::PathBuf>::new(),
        "the demo leaves nothing in the temporary folder"
    );
}

/// Also a SIGTERM sent as soon as the address is printed: the handler of the demo's earlier
/// runs swallowed one that came before the server listened for it, and the demo served on.
#[test]
fn lanes_demo_keep_keeps_its_directory_after_a_sigterm_as_soon_as_it_serves() {
    let home = tempfile::TempDir::new().unwrap();
    let temp = home.path().join("tmp");
    std::fs::create_dir(&temp).unwrap();
    let demo = ServedDemo::start(home.path(), &temp, &["--keep"]);
    let dir = crate::manifest_commands::entries(&temp);
    assert_eq!(dir.len(), 1, "{dir:?}");
    let said = format!("the sample monorepo stays in {}", dir[0].display());
    assert!(
        demo.said.iter().any(|line| line.contains(&said)),
        "{said} missing: {:#?}",
        demo.said
    );
    demo.stop();
    assert!(dir[0].join("lanes.yml").is_file(), "kept after SIGTERM");
}

#[test]
fn sigterm_hands_running_steps_back_to_the_ledger_and_a_restart_resumes() {
    let scene = Scene::new();
    let (once, repo, commit) = (scene.once.path(), &scene.repo, scene.commit.clone());
    std::fs::write(once.join("build-api"), "").unwrap();
    let viewer = token(repo, "vic", "viewer");
    let server = scene.serve_pushed("term-1");
    wait_for_view(&server, &viewer, &commit, "api builds", |view| {
        state_of(view, "api", "pr") == "running"
    });
    wait_until("the build started", || once.join("building-api").exists());
    // The 60 s step is stopped, not waited for: its attempt is handed back unfinished.
    assert!(server.stop().success());
    let status = repo.lanes(&["status", &commit, "--json"]).success().json();
    let pr = stage_of(&status, "api", "pr");
    assert_eq!(pr["state"], "pending", "handed back: {pr:#}");
    assert!(
        pr["reason"].as_str().unwrap().contains("abandoned"),
        "{pr:#}"
    );

    let server = Serving::start(repo);
    let view = wait_for_view(&server, &viewer, &commit, "the build ran again", |view| {
        state_of(view, "api", "production") == "waiting"
    });
    assert_eq!(stage_of(&view, "api", "pr")["attempts"], 2);
}

/// api and web on `main`, accepted through the queue, and a branch `topic` changing web; `pr`
/// is the `run` of the first stage.
fn two_components_and_a_topic(pr: &str) -> TestRepo {
    let repo = TestRepo::new();
    let manifest = format!(
        r#"version: 1
components:
  api: {{ path: api }}
  web: {{ path: web }}
environments:
  accept: {{ instances: per-component }}
stages:
  - {{ name: pr, run: {pr} }}
  - {{ name: acceptance, environment: accept, deploy: "true", run: ["true"], on_success: merge-default }}
"#
    );
    repo.write("lanes.yml", &manifest)
        .write("api/main.c", "1")
        .write("web/app.js", "1");
    repo.commit("two components");
    repo.git(&["checkout", "-q", "-b", "topic"]);
    repo.write("web/app.js", "2");
    repo.commit("web changes");
    repo.git(&["checkout", "-q", "main"]);
    repo
}

#[test]
fn a_submission_through_the_api_walks_the_acceptance_queue_shown_on_the_queue_page() {
    let repo = two_components_and_a_topic(r#"["true"]"#);
    let developer = token(&repo, "dev", "developer");
    let viewer = token(&repo, "vic", "viewer");
    let server = Serving::start(&repo);
    let submit = format!("{}/api/v1/submit", server.url);
    let (status, body) = post(&submit, &developer, &json!({"branches": ["topic"]}));
    assert_eq!(status, 200, "{body}");
    wait_until("the change is merged", || {
        page(&server, &viewer, "/queue").1.contains("merged as")
    });
    let queue = page(&server, &viewer, "/queue").1;
    assert!(
        queue.contains("topic") && queue.contains("<td>web</td>"),
        "{queue}"
    );
    assert!(
        repo.git(&["log", "--oneline", "main"])
            .contains("web changes")
    );
    let merged = repo.git(&["rev-parse", "main"]).trim().to_owned();
    let commit_page = page(&server, &viewer, &format!("/commits/{merged}")).1;
    assert!(
        commit_page.contains("change #1 from topic: merged into the default branch"),
        "{commit_page}"
    );
}

#[test]
fn ledger_events_stream_over_sse_as_lanes_run() {
    let scene = Scene::new();
    let (repo, commit) = (&scene.repo, scene.commit.clone());
    let viewer = token(repo, "vic", "viewer");
    let server = Serving::start(repo);
    let url = format!("{}/api/v1/events", server.url);
    let answer = ureq::get(&url)
        .header("Authorization", &format!("Bearer {viewer}"))
        .call()
        .unwrap();
    assert_eq!(
        answer.headers()["content-type"].to_str().unwrap(),
        "text/event-stream"
    );
    let (sender, kinds) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut body = answer.into_body();
        let reader = std::io::BufReader::new(body.as_reader());
        for line in std::io::BufRead::lines(reader).map_while(Result::ok) {
            if let Some(data) = line.strip_prefix("data: ") {
                let event: serde_json::Value = serde_json::from_str(data).unwrap();
                if sender
                    .send(event["kind"].as_str().unwrap().to_owned())
                    .is_err()
                {
                    return;
                }
            }
        }
    });
    assert_eq!(push_webhook(&server, &commit, "sse-1").0, 202);
    let mut seen = Vec::new();
    while !seen.iter().any(|kind| kind == "stage_waiting") {
        seen.push(
            kinds
                .recv_timeout(Duration::from_mins(1))
                .unwrap_or_else(|_| panic!("no more events after {seen:?}")),
        );
    }
    assert_eq!(
        seen[..2],
        ["commit_recorded", "lane_created"],
        "the commit's fingerprints, then its lanes: {seen:?}"
    );
    assert!(seen.contains(&"step_finished".to_owned()), "{seen:?}");
}

/// The step waits, after its first line, until the test has read that line from the running
/// `lanes logs -f`: a follow that printed only once the attempt ended would never get it.
#[test]
fn lanes_logs_follow_on_the_served_ledger_prints_until_the_attempt_ends() {
    let scene = Scene::new();
    let (once, repo, commit) = (scene.once.path(), &scene.repo, scene.commit.clone());
    std::fs::write(once.join("follow-web"), "").unwrap();
    let viewer = token(repo, "vic", "viewer");
    let server = scene.serve_pushed("follow-1");
    wait_for_view(&server, &viewer, &commit, "web builds", |view| {
        state_of(view, "web", "pr") == "running"
    });
    let mut follow = repo.spawn_lanes(&["logs", "web", "pr", "--commit", &commit, "--follow"]);
    let mut lines = follow.stdout_lines();
    lines
        .by_ref()
        .find(|line| line.contains("stdout | first"))
        .expect("the first line");
    std::fs::write(once.join("read-web"), "").unwrap();
    let rest: Vec<String> = lines.collect();
    follow.finish().success();
    let rest = rest.join("\n");
    assert!(
        rest.contains("stdout | second") && rest.contains("step succeeded"),
        "{rest}"
    );
}

#[test]
fn a_commit_another_run_holds_is_tried_again_once_that_run_ends() {
    let scene = Scene::new();
    let (once, repo, commit) = (scene.once.path(), &scene.repo, scene.commit.clone());
    std::fs::write(once.join("slow-api"), "3").unwrap();
    let viewer = token(repo, "vic", "viewer");
    // A `lanes run` of the commit outside the server (a killed server's run finishing, say).
    let mut outside = std::process::Command::new(env!("CARGO_BIN_EXE_lanes"))
        .current_dir(repo.path())
        .args(["run", &commit])
        .env("NO_COLOR", "1")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    wait_until("the outside run builds api", || {
        once.join("slow-api").exists()
            && repo
                .lanes(&["status", &commit, "--json"])
                .stdout()
                .contains("\"running\"")
    });
    let server = scene.serve_pushed("held-1");
    let _ = outside.wait();
    wait_until("the delivery ran once the other run ended", || {
        get(&format!("{}/api/v1/deliveries", server.url), &viewer)
            .1
            .contains("\"outcome\":\"ran")
    });
}

#[test]
fn a_queued_change_whose_submit_died_waited_until_someone_submitted_it_again() {
    let repo = two_components_and_a_topic(
        r#"["if [ -n \"$HOLD\" ]; then touch \"$HOLD\"; sleep 60; fi"]"#,
    );
    // The submit holds in its build, and dies there.
    let hold = repo.sibling("held");
    let submit = repo.spawn_lanes_with(
        &["submit", "--until-merged", "topic"],
        &[("HOLD", hold.to_str().unwrap())],
    );
    wait_until("the build holds", || hold.exists());
    let killed = std::process::Command::new("kill")
        .args(["-KILL", &submit.pid().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    submit.finish();
    // The server finds the change nobody drives and drives it.
    let _server = Serving::start(&repo);
    wait_until("the change is merged", || {
        repo.git(&["log", "--oneline", "main"])
            .contains("web changes")
    });
}
