//! `lanes gc` on real lanes: what a tiny retention window removes once every file is
//! backdated, what it keeps and why, `--dry-run`, and a running lane beside a collection.

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::process::Command;

use serde_json::Value;

use crate::harness::{TestRepo, fingerprints_of, wait_until};

const MANIFEST: &str = r#"version: 1
components:
  api: { path: api }
  web: { path: web }
environments:
  prod: {}
stages:
  - { name: build, run: ["sh ./build.sh"] }
  - { name: production, environment: prod, deploy: "cp $LANES_ARTIFACTS/version.txt $LANES_PLACE/$LANES_COMPONENT" }
retention: { days: 1 }
"#;

const BUILD: &str = r#"set -e
if [ -f "$LANES_COMPONENT_PATH/broken" ]; then echo "tests are red"; exit 3; fi
if [ -n "$GC_HOLD" ]; then
  touch "$GC_HOLD/started"
  while [ ! -f "$GC_HOLD/release" ]; do sleep 0.05; done
fi
echo "$LANES_VERSION" > "$LANES_ARTIFACTS/version.txt"
"#;

fn repo() -> TestRepo {
    let repo = TestRepo::new();
    repo.write("lanes.yml", MANIFEST)
        .write("build.sh", BUILD)
        .write("api/main.c", "1")
        .write("web/app.js", "1");
    repo
}

fn state(repo: &TestRepo) -> PathBuf {
    repo.path().join(".git/lanes")
}

/// Makes everything lanes wrote look `ago` old (`touch -d`): a time warp instead of a wait.
fn backdate(repo: &TestRepo, ago: &str) {
    for dir in ["artifacts", "logs", "vectors", "worktrees"] {
        let dir = state(repo).join(dir);
        if !dir.exists() {
            continue;
        }
        let status = Command::new("find")
            .arg(&dir)
            .args(["-exec", "touch", "-h", "-d", ago, "{}", "+"])
            .status()
            .expect("find runs");
        assert!(status.success());
    }
}

fn fingerprint(repo: &TestRepo, commit: &str, component: &str) -> String {
    fingerprints_of(&repo.lanes(&["fingerprint", commit, "--json"]).success())[component].clone()
}

fn paths(entries: &Value) -> BTreeSet<String> {
    entries
        .as_array()
        .unwrap()
        .iter()
        .map(|entry| entry["path"].as_str().unwrap().to_owned())
        .collect()
}

/// The reasons `lanes gc --json` gives for keeping `path`, as `reason` or `reason:detail`.
fn reasons(report: &Value, path: &str) -> Vec<String> {
    let entry = report["kept"]
        .as_array()
        .unwrap()
        .iter()
        .find(|entry| entry["path"] == path)
        .unwrap_or_else(|| panic!("{path} not kept: {report:#}"));
    entry["kept"]
        .as_array()
        .unwrap()
        .iter()
        .map(|reason| {
            let name = reason["reason"].as_str().unwrap();
            match reason
                .get("environment")
                .or_else(|| reason.get("role"))
                .and_then(Value::as_str)
            {
                Some(detail) => format!("{name}:{detail}"),
                None => name.to_owned(),
            }
        })
        .collect()
}

fn worktrees_git_knows(repo: &TestRepo) -> usize {
    repo.git(&["worktree", "list", "--porcelain"])
        .lines()
        .filter(|line| line.starts_with("worktree "))
        .count()
}

#[test]
fn gc_removes_what_nothing_keeps_and_keeps_deployed_last_known_good_rollback_target_and_last_green()
{
    let repo = repo();
    let c1 = repo.commit("api and web");
    repo.lanes(&["run", &c1]).success();
    repo.write("api/main.c", "2");
    let c2 = repo.commit("api 2");
    repo.lanes(&["run", &c2]).success();
    repo.write("api/main.c", "3");
    let c3 = repo.commit("api 3");
    repo.lanes(&["run", &c3]).success();
    // A proposed commit: it walks the build only, and is green there.
    repo.git(&["checkout", "-q", "-b", "feature"]);
    repo.write("api/main.c", "feature");
    let proposed = repo.commit("api on a branch");
    repo.lanes(&["run", &proposed]).success();
    repo.git(&["checkout", "-q", "main"]);
    repo.write("web/broken", "");
    let c4 = repo.commit("web red");
    repo.lanes(&["run", &c4]).failure(5);
    assert_eq!(worktrees_git_knows(&repo), 6);

    // Everything is recent: nothing goes.
    let fresh = repo.lanes(&["gc", "--json"]).success().json();
    assert_eq!(fresh["removed"], serde_json::json!([]), "{fresh:#}");

    backdate(&repo, "3 days ago");
    let dry = repo.lanes(&["gc", "--dry-run", "--json"]).success().json();
    assert_eq!(dry["dry_run"], true);
    let would = paths(&dry["removed"]);
    for path in &would {
        assert!(
            state(&repo).join(path).exists(),
            "{path} removed by a dry run"
        );
    }

    let report = repo.lanes(&["gc", "--json"]).success().json();
    assert_eq!(paths(&report["removed"]), would, "{report:#}");
    let artifacts = |commit: &str, component: &str| {
        format!(
            "artifacts/{component}/{}",
            fingerprint(&repo, commit, component)
        )
    };
    let removed = paths(&report["removed"]);
    let removed_artifacts: BTreeSet<&str> = removed
        .iter()
        .filter(|path| path.starts_with("artifacts/"))
        .map(String::as_str)
        .collect();
    assert_eq!(
        removed_artifacts,
        BTreeSet::from([
            artifacts(&c1, "api").as_str(),
            artifacts(&c4, "web").as_str()
        ])
    );
    for commit in [&c1, &c2, &c3, &proposed, &c4] {
        assert!(removed.contains(&format!("worktrees/{commit}")));
    }
    // Two lanes' logs: api's at c1 (superseded twice) and web's red one at c4.
    assert_eq!(removed.iter().filter(|p| p.starts_with("logs/")).count(), 2);
    for path in &removed {
        assert!(!state(&repo).join(path).exists(), "{path} still there");
    }
    // git's administrative data of the removed worktrees went with them.
    assert_eq!(worktrees_git_knows(&repo), 1);

    assert_eq!(
        reasons(&report, &artifacts(&c3, "api")),
        [
            "deployed:prod",
            "last_known_good:prod",
            "last_green:default"
        ]
    );
    assert_eq!(
        reasons(&report, &artifacts(&c2, "api")),
        ["rollback_target:prod"]
    );
    assert_eq!(
        reasons(&report, &artifacts(&proposed, "api")),
        ["last_green:proposed"]
    );
    assert_eq!(
        reasons(&report, &artifacts(&c1, "web"))[..3],
        [
            "deployed:prod",
            "last_known_good:prod",
            "last_green:default"
        ]
    );
    assert!(report["bytes_freed"].as_u64().unwrap() > 0);

    // Collecting again finds nothing more to remove.
    let again = repo.lanes(&["gc", "--json"]).success().json();
    assert_eq!(again["removed"], serde_json::json!([]));
}

#[test]
fn gc_dry_run_and_verbose_say_what_and_why_in_words() {
    let repo = repo();
    let c1 = repo.commit("api and web");
    repo.lanes(&["run", &c1]).success();
    repo.write("api/main.c", "2");
    let c2 = repo.commit("api 2");
    repo.lanes(&["run", &c2]).success();
    backdate(&repo, "2 days ago");
    let dry = repo.lanes(&["gc", "--dry-run", "--verbose"]).success();
    let out = dry.stdout();
    assert!(
        out.contains(&format!("would remove  worktrees/{c1}")),
        "{out}"
    );
    assert!(out.contains("kept  artifacts/api/"), "{out}");
    assert!(out.contains("deployed in prod/shared"), "{out}");
    assert!(out.contains("what a rollback in prod deploys"), "{out}");
    dry.stderr_has("would remove 2 items")
        .stderr_has("run `lanes gc` without --dry-run");
    assert!(state(&repo).join("worktrees").join(&c1).exists());
    let gone = repo.lanes(&["gc"]).success();
    assert!(gone.stdout().contains(&format!("removed  worktrees/{c1}")));
    assert!(!gone.stdout().contains("kept"));
    assert!(!state(&repo).join("worktrees").join(&c1).exists());
}

#[test]
fn a_running_lane_keeps_its_worktree_artifacts_and_logs_through_a_concurrent_gc() {
    let repo = repo();
    let c1 = repo.commit("api and web");
    repo.lanes(&["run", &c1]).success();
    repo.write("api/main.c", "2");
    let c2 = repo.commit("api 2");
    let hold = repo.sibling("hold");
    std::fs::create_dir(&hold).unwrap();
    let running = repo.spawn_lanes_with(&["run", &c2], &[("GC_HOLD", hold.to_str().unwrap())]);
    wait_until("the build runs", || hold.join("started").exists());
    // The running lane's files look as old as the rest: only the ledger keeps them.
    backdate(&repo, "3 days ago");
    let report = repo.lanes(&["gc", "--json"]).success().json();
    let worktree = format!("worktrees/{c2}");
    let mut why = reasons(&report, &worktree);
    why.sort();
    assert_eq!(why, ["active", "running"], "{report:#}");
    let api = fingerprint(&repo, &c2, "api");
    assert_eq!(
        reasons(&report, &format!("artifacts/api/{api}")),
        ["active"]
    );
    assert!(paths(&report["removed"]).contains(&format!("worktrees/{c1}")));
    assert!(state(&repo).join(&worktree).join("build.sh").exists());

    std::fs::write(hold.join("release"), "").unwrap();
    running.finish().success();
    repo.lanes(&["logs", "api", "build", "--commit", &c2])
        .success();
    assert_eq!(
        std::fs::read_to_string(state(&repo).join("environments/prod/shared").join("api"))
            .unwrap()
            .trim(),
        api
    );
}
