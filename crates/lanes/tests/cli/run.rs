//! `lanes run`, `status`, `approve`, `reject`, `retry` and `logs` on real repositories with real
//! child processes and a real `SQLite` ledger.

use std::process::{Command, Stdio};
use std::time::Duration;

use crate::harness::{TestRepo, wait_until};

const MANIFEST: &str = r#"version: 1
identities: { alice: [alice@example.com], bob: [bob@example.com], carol: [carol@example.com], ops: [ops@example.com], test: [test@example.com] }
components:
  api: { path: api, approvers: [alice, bob] }
  web: { path: web, approvers: [alice] }
  red: { path: red, approvers: [alice] }
environments:
  accept: { instances: per-component }
  prod: { approval: { required: 1 } }
stages:
  - { name: pr, run: ["sh ./build.sh"], retries: 1 }
  - { name: acceptance, environment: accept, deploy: "sh ./deploy.sh", run: ["cat $LANES_PLACE/vector.json"] }
  - { name: production, environment: prod, deploy: "sh ./deploy.sh", gate: approval }
"#;

const BUILD: &str = r#"set -e
echo "building $LANES_COMPONENT at $LANES_COMMIT"
if [ -f "$LANES_COMPONENT_PATH/flaky" ] && [ ! -f "$LANES_ARTIFACTS/tried" ]; then
  touch "$LANES_ARTIFACTS/tried"; echo "flaky failure"; exit 1
fi
if [ -f "$LANES_COMPONENT_PATH/broken" ]; then echo "tests are red"; exit 3; fi
if [ -f "$LANES_COMPONENT_PATH/slow" ]; then sleep "$(cat "$LANES_COMPONENT_PATH/slow")"; fi
echo "$LANES_VERSION" > "$LANES_ARTIFACTS/version.txt"
"#;

const DEPLOY: &str = r#"set -e
[ -f "$LANES_COMPONENT_PATH/slow-deploy" ] && sleep "$(cat "$LANES_COMPONENT_PATH/slow-deploy")"
# Two components may deploy to one shared instance at once: replace the vector by a rename.
cp "$LANES_VECTOR" "$LANES_PLACE/vector.json.$LANES_COMPONENT"
mv -f "$LANES_PLACE/vector.json.$LANES_COMPONENT" "$LANES_PLACE/vector.json"
cp "$LANES_ARTIFACTS/version.txt" "$LANES_PLACE/$LANES_COMPONENT.version"
"#;

fn repo() -> TestRepo {
    let repo = TestRepo::new();
    repo.write("lanes.yml", MANIFEST)
        .write("build.sh", BUILD)
        .write("deploy.sh", DEPLOY)
        .write("api/main.c", "1")
        .write("web/app.js", "1")
        .write("red/x", "1");
    repo
}

/// Like `repo`, with `api` as the only component.
fn api_only() -> TestRepo {
    let repo = repo();
    let manifest = MANIFEST
        .replace("  web: { path: web, approvers: [alice] }\n", "")
        .replace("  red: { path: red, approvers: [alice] }\n", "");
    repo.write("lanes.yml", &manifest);
    repo
}

fn stage_states(repo: &TestRepo, component: &str) -> Vec<String> {
    let json = repo.lanes(&["status", "--json"]).success().json();
    let lane = json["lanes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|lane| lane["component"] == component)
        .unwrap()
        .clone();
    lane["stages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|stage| stage["state"].as_str().unwrap().to_owned())
        .collect()
}

fn stage_field(repo: &TestRepo, component: &str, stage: usize, field: &str) -> serde_json::Value {
    let json = repo.lanes(&["status", "--json"]).success().json();
    let lane = json["lanes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|lane| lane["component"] == component)
        .unwrap()
        .clone();
    lane["stages"][stage][field].clone()
}

#[test]
fn a_red_lane_stops_alone_and_the_others_reach_production() {
    let repo = repo();
    repo.write("red/broken", "yes");
    repo.commit("start");
    let run = repo.lanes(&["run"]).failure(5);
    run.stderr_has("0 done, 2 waiting, 1 failed");
    assert_eq!(
        stage_states(&repo, "red"),
        ["failed", "canceled", "canceled"]
    );
    assert_eq!(
        stage_states(&repo, "api"),
        ["succeeded", "succeeded", "waiting"]
    );
    repo.lanes(&["approve", "api", "production", "--as", "alice"])
        .success();
    repo.lanes(&["approve", "web", "production", "--as", "alice"])
        .success();
    repo.lanes(&["run"]).failure(5);
    assert_eq!(
        stage_states(&repo, "api"),
        ["succeeded", "succeeded", "succeeded"]
    );
    let status = repo.lanes(&["status"]).success().stdout();
    assert!(status.contains("done: in production"), "{status}");
    assert!(
        status.contains("tests are red") || status.contains("exit code 3"),
        "{status}"
    );
    let log = repo.lanes(&["logs", "red", "pr"]).success().stdout();
    assert!(log.contains("stdout | tests are red"), "{log}");
}

#[test]
fn a_pass_on_retry_is_recorded_as_flaky() {
    let repo = repo();
    repo.write("api/flaky", "yes");
    repo.commit("start");
    repo.lanes(&["run"]).success();
    assert_eq!(stage_field(&repo, "api", 0, "flaky"), true);
    assert_eq!(stage_field(&repo, "api", 0, "attempts"), 2);
    assert_eq!(stage_field(&repo, "web", 0, "flaky"), false);
}

#[test]
fn an_unchanged_version_is_not_rebuilt_and_says_which_commit_passed() {
    let repo = repo();
    let first = repo.commit("start");
    repo.lanes(&["run"]).success();
    repo.write("api/main.c", "2");
    repo.commit("change api");
    repo.lanes(&["run"]).success();
    repo.write("api/main.c", "1");
    repo.commit("revert api");
    repo.lanes(&["run"]).success();
    assert_eq!(stage_states(&repo, "api")[0], "unchanged");
    assert_eq!(stage_field(&repo, "api", 0, "provenance"), first.as_str());
    assert_eq!(stage_field(&repo, "api", 0, "attempts"), 0);
    let reason = stage_field(&repo, "api", 0, "reason");
    assert_eq!(
        reason,
        format!("unchanged since {}, which passed", &first[..7]).as_str()
    );
    // Only api changed in the last commits: web and red have no lanes there.
    let json = repo.lanes(&["status", "--json"]).success().json();
    assert_eq!(json["lanes"].as_array().unwrap().len(), 1);
}

/// `web`'s newer version is deployed to its own instance but fails acceptance there, so its last
/// known good stays the first version: `api`'s instance must get exactly that one.
#[test]
fn per_component_instances_get_the_last_known_good_of_the_others() {
    let repo = repo();
    let check = "cat \"$LANES_VECTOR\"\n[ ! -f \"$LANES_COMPONENT_PATH/bad-in-acceptance\" ]\n";
    repo.write(
        "lanes.yml",
        &MANIFEST.replace(
            "run: [\"cat $LANES_PLACE/vector.json\"]",
            "run: [\"sh ./check.sh\"]",
        ),
    )
    .write("check.sh", check);
    let first = repo.commit("start");
    repo.lanes(&["run"]).success();
    repo.write("web/app.js", "2")
        .write("web/bad-in-acceptance", "yes");
    let second = repo.commit("change web, red in acceptance");
    repo.lanes(&["run"]).failure(5);
    assert_eq!(stage_states(&repo, "web")[..2], ["succeeded", "failed"]);
    repo.write("api/main.c", "2");
    let third = repo.commit("change api");
    // web's red version is walked again at the third commit, and is red there too.
    repo.lanes(&["run"]).failure(5);

    let vector = |instance: &str| -> serde_json::Value {
        let path = repo.path().join(format!(
            ".git/lanes/environments/accept/{instance}/vector.json"
        ));
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
    };
    let web_deployed = vector("web");
    let fingerprint_of_web = |rev: &str| {
        repo.lanes(&["fingerprint", rev, "--json"]).success().json()["components"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["name"] == "web")
            .unwrap()["fingerprint"]
            .clone()
    };
    let api = vector("api");
    assert_eq!(api["instance"], "api");
    assert_eq!(api["components"]["api"]["commit"], third.as_str(), "{api}");
    assert_eq!(api["components"]["api"]["candidate"], true, "{api}");
    let web = &api["components"]["web"];
    assert_eq!(web["commit"], first.as_str(), "{api}");
    assert_eq!(web["fingerprint"], fingerprint_of_web(&first), "{api}");
    assert_ne!(web["fingerprint"], fingerprint_of_web(&second), "{api}");
    assert_eq!(
        web_deployed["components"]["web"]["fingerprint"],
        fingerprint_of_web(&second),
        "the newer web was deployed before it failed: {web_deployed}"
    );
    assert_eq!(web["candidate"], false, "{api}");
}

#[test]
fn approvals_follow_the_manifest_rules() {
    let repo = repo();
    repo.commit("start");
    repo.lanes(&["run"]).success();
    let stranger = repo
        .lanes(&["approve", "api", "production", "--as", "mallory"])
        .failure(5);
    stranger.stderr_has("not an approver");
    let no_gate = repo
        .lanes(&["approve", "api", "acceptance", "--as", "alice"])
        .failure(5);
    // `api` passed acceptance: nothing waits there, and acceptance has no gate anyway.
    no_gate.stderr_has("no lane of `api` is waiting at `acceptance`");
    repo.lanes(&[
        "reject",
        "web",
        "production",
        "--as",
        "alice",
        "--reason",
        "not this week",
    ])
    .success();
    assert_eq!(stage_states(&repo, "web")[2], "failed");
    assert_eq!(
        stage_field(&repo, "web", 2, "reason"),
        "rejected by alice: not this week"
    );
}

#[test]
fn decisions_about_nothing_are_refused_with_the_reason() {
    let repo = api_only();
    repo.commit("start");
    repo.lanes(&["run"]).success();
    repo.lanes(&["retry", "api", "acceptance", "--as", "ops"])
        .failure(5)
        .stderr_has("no lane of `api` is waiting at `acceptance`");
    repo.lanes(&["approve", "nope", "production", "--as", "alice"])
        .failure(5)
        .stderr_has("no lane of `nope` is waiting at `production`");
    repo.lanes(&["logs", "nope"])
        .failure(1)
        .stderr_has("no lane of `nope` for")
        .stderr_has("hint: `lanes status");
    repo.lanes(&[
        "rollback", "api", "--env", "prod", "--as", "alice", "--reason", "x",
    ])
    .failure(5)
    .stderr_has("`api` has no version in `prod` to roll back");
}

#[test]
fn the_author_may_not_approve_their_own_change() {
    let repo = repo();
    repo.write(
        "lanes.yml",
        &MANIFEST.replace("approvers: [alice, bob]", "approvers: [test, bob]"),
    );
    repo.commit("start");
    repo.lanes(&["run"]).success();
    let own = repo
        .lanes(&["approve", "api", "production", "--as", "test"])
        .failure(5);
    own.stderr_has("may not approve it");
}

/// Starts `lanes` in the background, stdout discarded.
fn spawn_lanes(repo: &TestRepo, args: &[&str], stderr: Stdio) -> std::process::Child {
    Command::new(env!("CARGO_BIN_EXE_lanes"))
        .current_dir(repo.path())
        .args(args)
        .env("NO_COLOR", "1")
        .stdout(Stdio::null())
        .stderr(stderr)
        .spawn()
        .unwrap()
}

/// The file `name` in the artifacts of `component`'s versions, once a step wrote it.
fn artifact_marker(repo: &TestRepo, component: &str, name: &str) -> Option<std::path::PathBuf> {
    let dir = repo.path().join(".git/lanes/artifacts").join(component);
    std::fs::read_dir(dir)
        .ok()?
        .filter_map(Result::ok)
        .map(|entry| entry.path().join(name))
        .find(|path| path.exists())
}

/// Starts `lanes run` and SIGKILLs it once `component`'s step wrote the marker `name`.
fn kill_when(repo: &TestRepo, component: &str, name: &str) {
    let mut child = spawn_lanes(repo, &["run", "--jobs", "4"], Stdio::null());
    wait_until(&format!("{component} wrote {name}"), || {
        artifact_marker(repo, component, name).is_some()
    });
    child.kill().unwrap();
    child.wait().unwrap();
}

/// Whether a process whose command line contains `needle` is alive (zombies do not count).
fn process_alive(needle: &str) -> bool {
    std::fs::read_dir("/proc")
        .unwrap()
        .filter_map(Result::ok)
        .any(|entry| {
            let cmdline = std::fs::read(entry.path().join("cmdline")).unwrap_or_default();
            let stat = std::fs::read_to_string(entry.path().join("stat")).unwrap_or_default();
            let zombie = stat
                .rsplit(')')
                .next()
                .is_some_and(|rest| rest.trim_start().starts_with('Z'));
            !zombie
                && String::from_utf8_lossy(&cmdline)
                    .replace('\0', " ")
                    .contains(needle)
        })
}

#[test]
fn after_kill_9_during_a_build_the_build_is_attempted_again() {
    let repo = api_only();
    let slow = "if [ \"$LANES_COMPONENT\" = api ] && [ ! -f \"$LANES_ARTIFACTS/started\" ]; then touch \"$LANES_ARTIFACTS/started\"; sleep 31.5; fi\n";
    repo.write(
        "build.sh",
        &BUILD.replace("set -e\n", &format!("set -e\n{slow}")),
    );
    repo.commit("start");
    kill_when(&repo, "api", "started");
    let run = repo.lanes(&["run"]);
    assert_eq!(run.code(), 0, "{}", run.stderr());
    assert!(
        !process_alive("sleep 31.5"),
        "the killed run's build is still running"
    );
    assert_eq!(stage_field(&repo, "api", 0, "state"), "succeeded");
    assert_eq!(stage_field(&repo, "api", 0, "attempts"), 2);
    assert_eq!(
        stage_states(&repo, "api"),
        ["succeeded", "succeeded", "waiting"]
    );
}

#[test]
fn after_kill_9_during_a_deploy_the_deploy_waits_for_a_decision() {
    let repo = repo();
    let slow = "if [ \"$LANES_COMPONENT\" = api ] && [ ! -f \"$LANES_ARTIFACTS/deploying\" ]; then touch \"$LANES_ARTIFACTS/deploying\"; sleep 32.5; fi\n";
    repo.write(
        "deploy.sh",
        &DEPLOY.replace("set -e\n", &format!("set -e\n{slow}")),
    );
    // api builds slowly, so the other lanes are past their deploys when lanes dies.
    repo.write("api/slow", "1.5");
    repo.commit("start");
    kill_when(&repo, "api", "deploying");
    let run = repo.lanes(&["run"]).failure(5);
    run.stderr_has("1 need a decision");
    assert!(
        !process_alive("sleep 32.5"),
        "the killed run's deploy is still running"
    );
    assert_eq!(
        stage_states(&repo, "api"),
        ["succeeded", "interrupted", "pending"]
    );
    assert!(
        stage_field(&repo, "api", 1, "reason")
            .as_str()
            .unwrap()
            .contains("lanes retry api acceptance")
    );
    // Builds of the other lanes went on; a person decides about the deploy.
    assert_eq!(stage_states(&repo, "web")[1], "succeeded");
    repo.lanes(&["retry", "api", "acceptance", "--as", "ops"])
        .failure(5)
        .stderr_has("`ops` is not an approver");
    repo.lanes(&["retry", "api", "acceptance", "--as", "alice"])
        .success();
    repo.lanes(&["run"]).success();
    assert_eq!(
        stage_states(&repo, "api"),
        ["succeeded", "succeeded", "waiting"]
    );
    assert_eq!(stage_field(&repo, "api", 1, "attempts"), 2);
}

#[test]
fn ctrl_c_stops_the_steps_and_a_rerun_resumes() {
    let repo = api_only();
    let slow = "if [ \"$LANES_COMPONENT\" = api ] && [ ! -f \"$LANES_ARTIFACTS/started\" ]; then touch \"$LANES_ARTIFACTS/started\"; sleep 33.5; fi\n";
    repo.write(
        "build.sh",
        &BUILD.replace("set -e\n", &format!("set -e\n{slow}")),
    );
    repo.commit("start");
    let child = spawn_lanes(&repo, &["run"], Stdio::piped());
    wait_until("api's build started", || {
        artifact_marker(&repo, "api", "started").is_some()
    });
    nix_free_interrupt(child.id());
    let output = child.wait_with_output().unwrap();
    assert_eq!(
        output.status.code(),
        Some(130),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        !process_alive("sleep 33.5"),
        "the canceled step is still running"
    );
    repo.lanes(&["run"]).success();
    assert_eq!(stage_field(&repo, "api", 0, "attempts"), 2);
}

/// SIGINT, as Ctrl-C sends it, through the `kill` command.
fn nix_free_interrupt(pid: u32) {
    let status = Command::new("kill")
        .args(["-INT", &pid.to_string()])
        .status()
        .unwrap();
    assert!(status.success());
}

#[test]
fn secrets_reach_steps_masked_and_timeouts_stop_steps() {
    let repo = TestRepo::new();
    repo.write(
        "lanes.yml",
        "version: 1\nsecrets: [DEPLOY_TOKEN]\ncomponents:\n  api: { path: api }\n  slow: { path: slow }\nstages:\n  - name: pr\n    timeout: 1s\n    run: [\"printf 'token=%s\\\\n' \\\"$DEPLOY_TOKEN\\\"\", \"if [ $LANES_COMPONENT = slow ]; then sleep 30; fi\"]\n",
    )
    .write("api/a", "1")
    .write("slow/s", "1");
    repo.commit("start");
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_lanes"));
    command
        .current_dir(repo.path())
        .args(["run"])
        .env("DEPLOY_TOKEN", "s3cr3t-value")
        .env("NO_COLOR", "1");
    let output = command.output().unwrap();
    assert_eq!(
        output.status.code(),
        Some(5),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let log = repo.lanes(&["logs", "api", "pr"]).success().stdout();
    assert!(log.contains("token=***"), "{log}");
    assert!(!log.contains("s3cr3t-value"), "{log}");
    assert_eq!(stage_states(&repo, "api"), ["succeeded"]);
    assert_eq!(stage_states(&repo, "slow"), ["failed"]);
    assert!(
        stage_field(&repo, "slow", 0, "reason")
            .as_str()
            .unwrap()
            .contains("timed out")
    );
}

#[test]
fn untrusted_branch_names_and_messages_reach_steps_only_as_data() {
    let repo = TestRepo::new();
    repo.write(
        "lanes.yml",
        "version: 1\ncomponents:\n  api: { path: api }\nstages:\n  - { name: pr, run: [\"printf 'ref=%s\\\\nsubject=%s\\\\n' \\\"$LANES_REF\\\" \\\"$LANES_COMMIT_SUBJECT\\\"\"] }\n",
    )
    .write("api/a", "1");
    let branch = "zzz\";echo${IFS}\"hello\";#";
    repo.git(&["checkout", "-q", "-b", branch]);
    let subject = "fix $(touch pwned) and `touch pwned2` '; touch pwned3; '";
    repo.git(&["add", "-A"]);
    repo.git(&["commit", "-q", "-m", subject]);
    repo.lanes(&["run", branch]).success();
    let log = repo.lanes(&["logs", "api", "pr"]).success().stdout();
    assert!(log.contains(&format!("stdout | ref={branch}")), "{log}");
    assert!(
        log.contains(&format!("stdout | subject={subject}")),
        "{log}"
    );
    assert!(!log.contains("stdout | hello"), "{log}");
    let worktrees = repo.path().join(".git/lanes/worktrees");
    for dir in std::fs::read_dir(worktrees).unwrap() {
        let dir = dir.unwrap().path();
        for name in ["pwned", "pwned2", "pwned3"] {
            assert!(
                !dir.join(name).exists() && !repo.path().join(name).exists(),
                "{name} was created"
            );
        }
    }
}

const LOCKS: &str = r#"version: 1
components:
  api: { path: api }
environments:
  test: { lock: newest-wins }
stages:
  - { name: pr, run: ["true"] }
  - { name: integration, environment: test, deploy: "sh ./deploy.sh" }
"#;

/// Three runs of three commits share the ledger: the first deploys slowly, the second and third
/// queue behind it; newest wins, so the second is dropped and the third deploys.
#[test]
fn concurrent_runs_queue_for_an_environment_and_the_newest_wins() {
    let repo = TestRepo::new();
    let deploy = "if [ -f \"$LANES_COMPONENT_PATH/slow\" ]; then touch \"$LANES_PLACE/started\"; sleep 3; fi\n";
    repo.write("lanes.yml", LOCKS)
        .write("deploy.sh", deploy)
        .write("api/slow", "yes");
    let first = repo.commit("first");
    repo.remove("api/slow");
    repo.write("api/a", "2");
    let second = repo.commit("second");
    repo.write("api/a", "3");
    let third = repo.commit("third");
    let spawn = |rev: &str| spawn_lanes(&repo, &["run", rev], Stdio::piped());
    let slow = spawn(&first);
    let started = repo
        .path()
        .join(".git/lanes/environments/test/shared/started");
    wait_until("the step started", || started.exists());
    let middle = spawn(&second);
    // The second is queued before the third arrives.
    std::thread::sleep(Duration::from_millis(500));
    let newest = spawn(&third);
    for (name, child) in [("first", slow), ("second", middle), ("third", newest)] {
        let output = child.wait_with_output().unwrap();
        let code = output.status.code();
        assert!(
            code == Some(0) || code == Some(5),
            "{name}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    let states = |rev: &str| {
        let json = repo.lanes(&["status", rev, "--json"]).success().json();
        json["lanes"][0]["stages"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["state"].as_str().unwrap().to_owned())
            .collect::<Vec<_>>()
    };
    assert_eq!(states(&first), ["succeeded", "succeeded"]);
    assert_eq!(states(&second), ["succeeded", "canceled"]);
    assert_eq!(states(&third), ["succeeded", "succeeded"]);
    let json = repo.lanes(&["status", &second, "--json"]).success().json();
    assert_eq!(
        json["lanes"][0]["stages"][1]["reason"],
        format!("superseded by the newer {}", &third[..7]).as_str()
    );
    assert_eq!(
        json["lanes"][0]["summary"], "superseded",
        "a superseded version is not a failed one"
    );
    let board = repo.lanes(&["board", "--json"]).success().json();
    assert_eq!(
        board["components"][0]["environments"]["test"]["deployed"]["commit"],
        third.as_str()
    );
}

#[test]
fn promote_moves_the_ready_version_into_an_environment_through_its_gate() {
    let repo = api_only();
    repo.commit("start");
    repo.lanes(&["run"]).success();
    let stranger = repo
        .lanes(&["promote", "api", "--to", "prod", "--as", "mallory"])
        .failure(5);
    stranger.stderr_has("`mallory` is not an approver of `api`");
    let waiting = repo
        .lanes(&["promote", "api", "--to", "prod", "--as", "bob"])
        .success();
    assert!(
        waiting
            .stderr()
            .contains("waits at `production`: waiting for approval"),
        "{}",
        waiting.stderr()
    );
    repo.lanes(&["approve", "api", "production", "--as", "bob"])
        .success();
    let promoted = repo
        .lanes(&["promote", "api", "--to", "prod", "--as", "bob"])
        .success();
    promoted.stderr_has("promoted api from");
    // Every decision is on record: who, what, where, on the command line (no token).
    let audit = repo.lanes(&["audit", "--json"]).success().json();
    let decisions: Vec<(String, String, String, serde_json::Value)> = audit
        .as_array()
        .expect("an array of decisions")
        .iter()
        .map(|decision| {
            (
                decision["kind"].as_str().unwrap_or_default().to_owned(),
                decision["user"].as_str().unwrap_or_default().to_owned(),
                decision["environment"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned(),
                decision["token"].clone(),
            )
        })
        .collect();
    let expected = |kind: &str| {
        (
            kind.to_owned(),
            "bob".to_owned(),
            "prod".to_owned(),
            serde_json::Value::Null,
        )
    };
    assert_eq!(
        decisions,
        [
            expected("promote"),
            expected("approve"),
            expected("promote")
        ]
    );
    let text = repo.lanes(&["audit"]).success().stdout();
    assert!(
        text.contains("bob approved api") && text.contains("in prod on the command line"),
        "{text}"
    );
    assert_eq!(
        stage_states(&repo, "api"),
        ["succeeded", "succeeded", "succeeded"]
    );
    let nothing = repo
        .lanes(&["promote", "api", "--to", "prod", "--as", "bob"])
        .failure(1);
    assert!(
        nothing
            .stderr()
            .contains("no version of `api` is ready for prod"),
        "{}",
        nothing.stderr()
    );
    let nowhere = repo
        .lanes(&["promote", "api", "--to", "mars", "--as", "bob"])
        .failure(5);
    nowhere.stderr_has("no stage deploys to `mars`");
}

/// The second run queues behind the first and deploys after it. The third is stopped during its
/// build, the fourth deploys, and the third, run again, must not go back over the fourth.
#[test]
fn fifo_queues_a_concurrent_run_and_an_older_version_never_replaces_a_newer_one() {
    let repo = TestRepo::new();
    let deploy = "if [ -f \"$LANES_COMPONENT_PATH/slow\" ]; then touch \"$LANES_PLACE/started\"; sleep 2; fi\n";
    let build = r#"if [ -f "$LANES_COMPONENT_PATH/stop-me" ] && [ ! -f "$LANES_ARTIFACTS/stopped" ]; then
  touch "$LANES_ARTIFACTS/stopped"; sleep 36.5
fi
"#;
    let manifest = LOCKS
        .replace("newest-wins", "fifo")
        .replace("run: [\"true\"]", "run: [\"sh ./build.sh\"]");
    repo.write("lanes.yml", &manifest)
        .write("deploy.sh", deploy)
        .write("build.sh", build)
        .write("api/slow", "yes");
    let first = repo.commit("first");
    repo.remove("api/slow");
    repo.write("api/a", "2");
    let second = repo.commit("second");
    repo.write("api/stop-me", "yes");
    let third = repo.commit("third");
    repo.remove("api/stop-me");
    repo.write("api/a", "4");
    let fourth = repo.commit("fourth");
    let deployed = || {
        let board = repo.lanes(&["board", "--json"]).success().json();
        board["components"][0]["environments"]["test"]["deployed"]["commit"].clone()
    };
    // The first deploys slowly; the second, run meanwhile, queues behind it, then deploys.
    let slow = spawn_lanes(&repo, &["run", &first], Stdio::null());
    let started = repo
        .path()
        .join(".git/lanes/environments/test/shared/started");
    wait_until("the step started", || started.exists());
    repo.lanes(&["run", &second]).success();
    let mut slow = slow;
    assert!(slow.wait().unwrap().success());
    assert_eq!(deployed(), second.as_str());

    let stopped = spawn_lanes(&repo, &["run", &third], Stdio::null());
    wait_until("the third's build started", || {
        artifact_marker(&repo, "api", "stopped").is_some()
    });
    nix_free_interrupt(stopped.id());
    assert_eq!(stopped.wait_with_output().unwrap().status.code(), Some(130));
    repo.lanes(&["run", &fourth]).success();
    assert_eq!(deployed(), fourth.as_str());

    repo.lanes(&["run", &third]).failure(5);
    let json = repo.lanes(&["status", &third, "--json"]).success().json();
    let stages = &json["lanes"][0]["stages"];
    assert_eq!(stages[0]["state"], "succeeded", "{json}");
    assert_eq!(stages[1]["state"], "canceled", "{json}");
    let reason = format!(
        "superseded: the newer {} is already deployed to test",
        &fourth[..7]
    );
    assert_eq!(stages[1]["reason"], reason.as_str());
    assert_eq!(deployed(), fourth.as_str());
}

/// Versions are ordered by when their lanes were asked for: the older commit's lane, slower to
/// build, reaches the environment after the newer one and is not deployed over it.
#[test]
fn an_older_lane_reaching_an_environment_late_is_superseded() {
    let repo = TestRepo::new();
    let manifest = LOCKS
        .replace("newest-wins", "fifo")
        .replace("run: [\"true\"]", "run: [\"sh ./build.sh\"]");
    let build = "if [ -f \"$LANES_COMPONENT_PATH/slow-build\" ]; then sleep 2; fi\n";
    repo.write("lanes.yml", &manifest)
        .write("deploy.sh", "true\n")
        .write("build.sh", build)
        .write("api/slow-build", "yes");
    let older = repo.commit("older");
    repo.remove("api/slow-build");
    let newer = repo.commit("newer");
    let slow = spawn_lanes(&repo, &["run", &older], Stdio::null());
    let created = |rev: &str| {
        repo.lanes(&["status", rev, "--json"]).success().json()["lanes"]
            .as_array()
            .is_some_and(|lanes| !lanes.is_empty())
    };
    wait_until("the older lane was created", || created(&older));
    repo.lanes(&["run", &newer]).success();
    let mut slow = slow;
    assert_eq!(slow.wait().unwrap().code(), Some(5));
    let json = repo.lanes(&["status", &older, "--json"]).success().json();
    assert_eq!(json["lanes"][0]["stages"][1]["state"], "canceled");
    let reason = format!(
        "superseded: the newer {} is already deployed to test",
        &newer[..7]
    );
    assert_eq!(json["lanes"][0]["stages"][1]["reason"], reason.as_str());
}

#[test]
fn two_approvals_are_needed_and_they_bind_to_the_version() {
    let repo = repo();
    // Every component needs two approvers for `required: 2` to be reachable.
    repo.write(
        "lanes.yml",
        &MANIFEST
            .replace("required: 1", "required: 2")
            .replace("approvers: [alice] }", "approvers: [alice, carol] }"),
    );
    repo.commit("start");
    repo.lanes(&["run"]).success();
    repo.lanes(&["approve", "api", "production", "--as", "alice"])
        .success();
    repo.lanes(&["run"]).success();
    assert_eq!(
        stage_field(&repo, "api", 2, "reason"),
        "waiting for approval (1 of 2) from alice, bob"
    );
    // A newer version of api waits with none of the older one's approvals.
    repo.write("api/main.c", "2");
    let newer = repo.commit("change api");
    repo.lanes(&["run"]).success();
    let json = repo.lanes(&["status", &newer, "--json"]).success().json();
    assert_eq!(
        json["lanes"][0]["stages"][2]["reason"],
        "waiting for approval (0 of 2) from alice, bob"
    );
    let first = repo.git(&["rev-parse", "HEAD~1"]);
    repo.lanes(&[
        "approve",
        "api",
        "production",
        "--as",
        "bob",
        "--commit",
        first.trim(),
    ])
    .success();
    repo.lanes(&["run", first.trim()]).success();
    let json = repo
        .lanes(&["status", first.trim(), "--json"])
        .success()
        .json();
    let api = json["lanes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|lane| lane["component"] == "api")
        .unwrap()
        .clone();
    assert_eq!(api["done"], true);
}

/// `lanes run B; lanes run A`, A the parent of B: newer means later in history, not run later.
#[test]
fn an_older_commit_run_after_a_newer_one_never_deploys_over_it() {
    let repo = TestRepo::new();
    repo.write(
        "lanes.yml",
        "version: 1\ncomponents:\n  api: { path: api }\nenvironments:\n  test: {}\nstages:\n  - { name: pr, run: [\"true\"] }\n  - { name: integration, environment: test, deploy: \"true\" }\n",
    )
    .write("api/a", "1");
    repo.commit("start");
    repo.write("api/a", "2");
    let older = repo.commit("older");
    repo.write("api/a", "3");
    let newer = repo.commit("newer");

    repo.lanes(&["run", &newer]).success();
    let _ = repo.lanes(&["run", &older]);

    let json = repo.lanes(&["status", &older, "--json"]).success().json();
    let lane = &json["lanes"][0];
    assert_eq!(lane["stages"][1]["state"], "canceled", "{json:#}");
    assert_eq!(
        lane["stages"][1]["reason"],
        format!(
            "superseded: the newer {} is already deployed to test",
            &newer[..7]
        )
        .as_str()
    );
    let board = repo.lanes(&["board", "--json"]).success().json();
    assert_eq!(
        board["components"][0]["environments"]["test"]["deployed"]["commit"],
        newer.as_str()
    );
}
