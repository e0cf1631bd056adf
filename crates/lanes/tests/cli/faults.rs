//! Under faults and bad input: many runs at once on one repository, step output that would
//! drive a terminal, and a `lanes run` killed while its step runs.

use std::process::{Command, Stdio};

use crate::harness::{Running, TestRepo, git_in, wait_until};
use crate::serve::lanes_remote;
use crate::serving::{Serving, get, page, token};

/// How many runs of different commits start at once.
const CONCURRENT_RUNS: usize = 24;

const ONE_STAGE: &str = "version: 1\ncomponents:\n  api: { path: api }\nstages:\n  - { name: pr, run: [\"sh ci/pr.sh\"] }\n";

/// One component whose one stage runs `ci/pr.sh`, written as `script`.
fn one_stage(script: &str) -> TestRepo {
    let repo = TestRepo::new();
    repo.write("lanes.yml", ONE_STAGE)
        .write("ci/pr.sh", script)
        .write("api/x", "0");
    repo
}

/// `git worktree add`s racing each other used to fail a few runs in a thousand: another add
/// read a worktree's files half written (`failed to read .git/worktrees/<id>/commondir`).
#[test]
fn concurrent_runs_of_different_commits_never_fail_on_each_others_worktrees() {
    let repo = one_stage("true\n");
    let commits: Vec<String> = (0..CONCURRENT_RUNS)
        .map(|n| {
            repo.write("api/x", &n.to_string());
            repo.commit(&format!("change {n}"))
        })
        .collect();
    let runs: Vec<Running> = commits
        .iter()
        .map(|commit| repo.spawn_lanes(&["run", commit.as_str()]))
        .collect();
    for run in runs {
        run.finish().success();
    }
    let registered = repo.git(&["worktree", "list", "--porcelain"]);
    for commit in &commits {
        let tree = repo.path().join(".git/lanes/worktrees").join(commit);
        assert_eq!(
            git_in(&tree, repo.git_home(), &["rev-parse", "HEAD"]).trim(),
            commit,
            "the worktree of {commit} is at its commit"
        );
        assert!(
            registered.contains(&format!("worktree {}\nHEAD {commit}\n", tree.display())),
            "git knows the worktree of {commit}:\n{registered}"
        );
        let json = repo
            .lanes(&["status", commit.as_str(), "--json"])
            .success()
            .json();
        assert_eq!(
            json["lanes"][0]["stages"][0]["state"], "succeeded",
            "{json}"
        );
    }
    // Kept, one per commit: nothing half made is left beside them.
    let admin = std::fs::read_dir(repo.path().join(".git/worktrees")).unwrap();
    assert_eq!(admin.count(), CONCURRENT_RUNS);
}

/// Colours, a carriage return, a bell and DEL, then a tab that stays.
const PAINTING_STEP: &str = "printf '\\033[31mred\\033[0m\\r\\a\\177\\tafter a tab\\n'\n";

/// What the painting step's line reads as once escaped.
const PAINTED: &str = "\\x1b[31mred\\x1b[0m\\r\\x07\\x7f\tafter a tab";

/// No byte a terminal acts on, but the line feed and the tab.
#[track_caller]
fn assert_no_control_bytes(what: &str, text: &str) {
    assert!(text.contains(PAINTED), "{what} shows the escapes:\n{text}");
    assert!(
        !text
            .chars()
            .any(|c| c.is_control() && c != '\n' && c != '\t'),
        "{what} holds raw control bytes: {text:?}"
    );
}

#[test]
fn control_bytes_of_step_output_are_shown_escaped_on_the_terminal_the_api_and_the_dashboard() {
    let repo = one_stage(PAINTING_STEP);
    let commit = repo.commit("paint");
    repo.lanes(&["run"]).success();
    let log = repo.lanes(&["logs", "api", "pr"]).success().stdout();
    assert_no_control_bytes("lanes logs", &log);
    let followed = repo.lanes(&["logs", "api", "pr", "-f"]).success().stdout();
    assert_no_control_bytes("lanes logs -f", &followed);

    let viewer = token(&repo, "vic", "viewer");
    let server = Serving::start(&repo);
    let (_, lanes) = get(
        &format!(
            "{}/api/v1/lanes?commit={commit}&component=api&limit=1",
            server.url
        ),
        &viewer,
    );
    let lane = serde_json::from_str::<serde_json::Value>(&lanes).unwrap()[0]["lane"]
        .as_u64()
        .unwrap();
    let api = format!("{}/api/v1/lanes/{lane}/stages/pr/log", server.url);
    let (status, text) = get(&api, &viewer);
    assert_eq!(status, 200);
    assert_no_control_bytes("the API's log", &text);
    let (status, events) = get(&format!("{api}/stream"), &viewer);
    assert_eq!(status, 200);
    assert_no_control_bytes("the API's log stream", &events);
    assert!(
        events.contains(&format!("stdout | {PAINTED}\n")),
        "a carriage return does not split the line's event:\n{events}"
    );
    for args in [&["logs", "api", "pr"][..], &["logs", "api", "pr", "-f"]] {
        let args = [args, &["--commit", commit.as_str()]].concat();
        let remote = lanes_remote(repo.path(), &server, &viewer, &args);
        assert!(remote.status.success());
        assert_no_control_bytes(
            &format!("lanes --server {args:?}"),
            &String::from_utf8_lossy(&remote.stdout),
        );
    }
    let (status, html) = page(&server, &viewer, &format!("/lanes/{lane}/stages/pr"));
    assert_eq!(status, 200);
    assert_no_control_bytes("the run page", &html);
}

/// Whether a process whose command line contains `needle` is alive, and its process group.
fn process_group_of(needle: &str) -> Option<String> {
    std::fs::read_dir("/proc")
        .unwrap()
        .filter_map(Result::ok)
        .find_map(|entry| {
            let cmdline = std::fs::read(entry.path().join("cmdline")).ok()?;
            if !String::from_utf8_lossy(&cmdline)
                .replace('\0', " ")
                .contains(needle)
            {
                return None;
            }
            let stat = std::fs::read_to_string(entry.path().join("stat")).ok()?;
            let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
            (fields[0] != "Z").then(|| fields[2].to_owned())
        })
}

#[test]
fn status_does_not_show_a_step_running_once_the_run_that_ran_it_was_killed() {
    let repo = one_stage(
        "if [ ! -f \"$LANES_ARTIFACTS/started\" ]; then touch \"$LANES_ARTIFACTS/started\"; sleep 34.5; fi\n",
    );
    let commit = repo.commit("slow");
    let mut run = Command::new(env!("CARGO_BIN_EXE_lanes"))
        .current_dir(repo.path())
        .args(["run"])
        .env("NO_COLOR", "1")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    wait_until("the step sleeps", || {
        process_group_of("sleep 34.5").is_some()
    });
    let running = repo.lanes(&["status", "--json"]).success().json();
    assert_eq!(running["lanes"][0]["stages"][0]["state"], "running");
    run.kill().unwrap();
    run.wait().unwrap();
    let group = process_group_of("sleep 34.5").expect("the step outlives its run");
    let target = format!("-{group}");
    let killed = Command::new("kill")
        .args(["-KILL", "--", target.as_str()])
        .status()
        .unwrap();
    assert!(killed.success());

    let json = repo.lanes(&["status", "--json"]).success().json();
    let lane = &json["lanes"][0];
    assert_eq!(lane["stages"][0]["state"], "abandoned", "{json:#}");
    assert_eq!(lane["summary"], "abandoned", "{json:#}");
    let reason = lane["stages"][0]["reason"].as_str().unwrap();
    assert!(
        reason.contains(&format!("`lanes run {}` attempts it again", &commit[..7])),
        "{reason}"
    );
    let text = repo.lanes(&["status"]).success().stdout();
    assert!(!text.contains("running"), "{text}");
    assert!(text.contains("abandoned"), "{text}");

    repo.lanes(&["run"]).success();
    let json = repo.lanes(&["status", "--json"]).success().json();
    assert_eq!(json["lanes"][0]["stages"][0]["state"], "succeeded");
    assert_eq!(json["lanes"][0]["stages"][0]["attempts"], 2);
}
