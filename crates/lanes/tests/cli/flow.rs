//! The path through git against a real bare remote: `lanes submit` (the queue split by
//! component, evictions, conflicts, batches), the release merge, deploy tags, hotfixes, a
//! concurrent push and refs that look alike.

use std::time::Duration;

use lanes_engine::{ChangeId, ChangeState, StageState, World};

use crate::harness::{Run, TestRepo, wait_until};

const MANIFEST: &str = r#"version: 1
identities: { alice: [alice@example.com], bob: [bob@example.com], carol: [carol@example.com], ops: [ops@example.com], test: [test@example.com] }
branches: { default: main, release: release }
components:
  api: { path: api, approvers: [alice] }
  web: { path: web, approvers: [alice] }
environments:
  accept: { instances: per-component }
  test: { lock: newest-wins }
  prod: {}
hotfix: { stages: [pr, production] }
stages:
  - { name: pr, run: ["sh ./build.sh"] }
  - { name: acceptance, environment: accept, deploy: "true", run: ["true"], on_success: merge-default }
  - { name: integration, environment: test, deploy: "true", run: ["true"], on_success: merge-release }
  - { name: production, environment: prod, deploy: "true", gate: approval }
"#;

const BUILD: &str = r#"if [ -f "$LANES_COMPONENT_PATH/broken" ]; then echo "tests are red"; exit 1; fi
# A meeting point: the build waits until every build of $BARRIER_COUNT components started,
# and fails when it waited alone for 30 s.
if [ -n "$BARRIER" ]; then
  touch "$BARRIER/$LANES_COMPONENT"
  for i in $(seq 300); do
    [ "$(ls "$BARRIER" | wc -l)" -ge "$BARRIER_COUNT" ] && break
    sleep 0.1
  done
  [ "$(ls "$BARRIER" | wc -l)" -ge "$BARRIER_COUNT" ] || { echo "built alone"; exit 1; }
fi
if [ -f "$LANES_COMPONENT_PATH/slow" ]; then sleep "$(cat "$LANES_COMPONENT_PATH/slow")"; fi
# A hold: the build of $HOLD_COMPONENT waits until the file $HOLD exists (the test creates it).
if [ -n "$HOLD" ] && [ "$LANES_COMPONENT" = "$HOLD_COMPONENT" ]; then
  touch "$HOLD.started"
  while [ ! -e "$HOLD" ]; do sleep 0.05; done
fi
echo "built $LANES_COMPONENT"
"#;

/// A repository with `api` and `web`, pushed to a bare `origin`.
fn repo() -> TestRepo {
    repo_with(MANIFEST)
}

/// Like `repo`, with another manifest.
fn repo_with(manifest: &str) -> TestRepo {
    let repo = TestRepo::new();
    repo.write("lanes.yml", manifest)
        .write("build.sh", BUILD)
        .write("api/main.c", "1\n")
        .write("web/app.js", "1\n");
    repo.commit("initial");
    push_to_new_origin(&repo);
    repo
}

/// Makes a bare repository beside `repo` its `origin`, holding its `main`.
fn push_to_new_origin(repo: &TestRepo) {
    let remote = repo.sibling("remote.git");
    repo.git(&[
        "init",
        "-q",
        "--bare",
        "-b",
        "main",
        remote.to_str().unwrap(),
    ]);
    repo.git(&["remote", "add", "origin", remote.to_str().unwrap()]);
    repo.git(&["push", "-q", "origin", "main"]);
}

/// A branch off the initial `main` that writes `files`.
fn branch(repo: &TestRepo, name: &str, files: &[(&str, &str)]) {
    repo.git(&["checkout", "-q", "-b", name, "main"]);
    for (path, contents) in files {
        repo.write(path, contents);
    }
    repo.commit(name);
    repo.git(&["checkout", "-q", "main"]);
}

/// The ledger's world now.
fn world(repo: &TestRepo) -> World {
    let ledger = repo.path().join(".git/lanes/ledger.db");
    tokio::runtime::Runtime::new().unwrap().block_on(async {
        let store = lanes_store::Store::open(&ledger).await.unwrap();
        store.world().clone()
    })
}

/// Waits until change `id` is being accepted on its intermediate commit.
fn wait_for_candidate(repo: &TestRepo, id: u64) {
    wait_until(&format!("change #{id} is being accepted"), || {
        repo.path().join(".git/lanes/ledger.db").exists()
            && world(repo)
                .flow()
                .change(ChangeId(id))
                .is_some_and(|c| c.candidate.is_some())
    });
}

fn change(world: &World, id: u64) -> lanes_engine::Change {
    world
        .flow()
        .change(ChangeId(id))
        .cloned()
        .expect("the change exists")
}

fn merged_commit(world: &World, id: u64) -> String {
    match change(world, id).state {
        ChangeState::Merged { commit, .. } => commit,
        other => panic!("change #{id} is not merged: {other:?}"),
    }
}

/// The commit `rev` names in the remote.
fn remote_rev(repo: &TestRepo, rev: &str) -> String {
    let remote = repo.sibling("remote.git");
    crate::harness::git_in(&remote, repo.git_home(), &["rev-parse", rev])
        .trim()
        .to_owned()
}

fn remote_has_file(repo: &TestRepo, rev: &str, path: &str) -> bool {
    let remote = repo.sibling("remote.git");
    crate::harness::git_in(
        &remote,
        repo.git_home(),
        &["ls-tree", "-r", "--name-only", rev],
    )
    .lines()
    .any(|line| line == path)
}

fn is_ancestor(repo: &TestRepo, ancestor: &str, descendant: &str) -> bool {
    let remote = repo.sibling("remote.git");
    std::process::Command::new("git")
        .current_dir(remote)
        .args(["merge-base", "--is-ancestor", ancestor, descendant])
        .status()
        .unwrap()
        .success()
}

/// When the build of `component` ran (the lane whose `pr` stage ran and passed).
fn build_interval(world: &World, component: &str) -> (i64, i64) {
    let pr = world
        .lanes()
        .filter(|lane| lane.component == component)
        .map(|lane| &lane.stages[0])
        .find(|pr| pr.state == StageState::Succeeded)
        .expect("a build of the component passed");
    (pr.started_at.unwrap(), pr.finished_at.unwrap())
}

/// The change submitted from `branch`.
fn change_from(world: &World, branch: &str) -> lanes_engine::Change {
    world
        .flow()
        .changes()
        .find(|change| change.branch == branch)
        .cloned()
        .expect("the branch was submitted")
}

fn submit(repo: &TestRepo, branches: &[&str]) -> Run {
    let mut args = vec!["submit", "--until-merged"];
    args.extend_from_slice(branches);
    repo.lanes(&args)
}

#[test]
fn disjoint_changes_are_accepted_in_parallel() {
    let repo = repo();
    branch(
        &repo,
        "api-change",
        &[("api/main.c", "2\n"), ("api/slow", "1.5")],
    );
    branch(
        &repo,
        "web-change",
        &[("web/app.js", "2\n"), ("web/slow", "1.5")],
    );
    let first = repo.spawn_lanes(&["submit", "--until-merged", "api-change"]);
    let second = repo.spawn_lanes(&["submit", "--until-merged", "web-change"]);
    first.finish().success();
    second.finish().success();

    let world = world(&repo);
    for branch in ["api-change", "web-change"] {
        let change = change_from(&world, branch);
        assert!(
            matches!(change.state, ChangeState::Merged { .. }),
            "{change:?}"
        );
        // It waited for nobody: built on main alone.
        assert!(change.candidate.unwrap().includes.is_empty());
    }
    let (api_start, api_end) = build_interval(&world, "api");
    let (web_start, web_end) = build_interval(&world, "web");
    assert!(
        api_start < web_end && web_start < api_end,
        "the two acceptances overlapped in time: api {api_start}..{api_end}, web {web_start}..{web_end}"
    );
    let tip = remote_rev(&repo, "refs/heads/main");
    assert!(remote_has_file(&repo, &tip, "api/slow"));
    assert!(remote_has_file(&repo, &tip, "web/slow"));
    // The intermediate branches are gone, here and on the remote.
    assert!(repo.git(&["branch", "--list", "lanes/*"]).trim().is_empty());
    let remote_branches = crate::harness::git_in(
        &repo.sibling("remote.git"),
        repo.git_home(),
        &["branch", "--list", "lanes/*"],
    );
    assert!(remote_branches.trim().is_empty(), "{remote_branches}");
}

#[test]
fn overlapping_changes_are_ordered_and_the_later_is_tested_on_top() {
    let repo = repo();
    branch(&repo, "first", &[("api/one.c", "1\n"), ("api/slow", "1.5")]);
    branch(&repo, "second", &[("api/two.c", "2\n")]);
    let first = repo.spawn_lanes(&["submit", "--until-merged", "first"]);
    wait_for_candidate(&repo, 1);
    let second = submit(&repo, &["second"]).success();
    second.stderr_has("waiting for #1");
    first.finish().success();

    let world = world(&repo);
    let (one, two) = (merged_commit(&world, 1), merged_commit(&world, 2));
    assert_eq!(change(&world, 2).candidate.unwrap().includes, [ChangeId(1)]);
    assert!(is_ancestor(&repo, &one, &two), "#2 was merged on top of #1");
    assert_eq!(remote_rev(&repo, "refs/heads/main"), two);
    let (_, first_end) = build_interval(&world, "api");
    let merged_at = |id| match change(&world, id).state {
        ChangeState::Merged { at, .. } => at,
        _ => unreachable!(),
    };
    assert!(merged_at(1) <= merged_at(2));
    assert!(first_end <= merged_at(2));
}

#[test]
fn a_failing_change_leaves_the_queue_and_evicts_nobody() {
    let repo = repo();
    branch(&repo, "red", &[("api/broken", "x"), ("api/slow", "1")]);
    branch(&repo, "green", &[("api/feature.c", "1\n")]);
    let red = repo.spawn_lanes(&["submit", "--until-merged", "red"]);
    wait_for_candidate(&repo, 1);
    let green = submit(&repo, &["green"]).success();
    let red = red.finish().failure(5);
    red.stderr_has("change #1 leaves the queue: api failed pr");

    let world = world(&repo);
    match change(&world, 1).state {
        ChangeState::Evicted { reason, .. } => {
            assert!(reason.starts_with("api failed pr"), "{reason}");
        }
        other => panic!("#1 should be evicted: {other:?}"),
    }
    // #2 was tested on top of #1 first, then again without it.
    assert!(change(&world, 2).candidate.unwrap().includes.is_empty());
    let tip = merged_commit(&world, 2);
    assert_eq!(remote_rev(&repo, "refs/heads/main"), tip);
    assert!(remote_has_file(&repo, &tip, "api/feature.c"));
    assert!(!remote_has_file(&repo, &tip, "api/broken"));
    green.stderr_has("accepted and merged");
}

#[test]
fn a_conflict_with_the_default_branch_is_rejected_naming_the_files() {
    let repo = repo();
    branch(&repo, "edit", &[("api/main.c", "from the branch\n")]);
    repo.write("api/main.c", "from main\n");
    repo.commit("main moves");
    repo.git(&["push", "-q", "origin", "main"]);
    let run = submit(&repo, &["edit"]).failure(5);
    run.stderr_has("change #1 leaves the queue: conflicts with main in api/main.c");
    assert!(matches!(
        change(&world(&repo), 1).state,
        ChangeState::Evicted { .. }
    ));
}

#[test]
fn a_failing_batch_is_bisected_and_only_the_culprit_leaves() {
    let repo = repo();
    branch(&repo, "b1", &[("api/b1", "1")]);
    branch(&repo, "b2", &[("web/b2", "1")]);
    branch(&repo, "b3", &[("api/broken", "1")]);
    branch(&repo, "b4", &[("web/b4", "1")]);
    let run = submit(&repo, &["b1", "b2", "b3", "b4"]).failure(5);
    run.stderr_has("bisecting");
    let world = world(&repo);
    for id in [1, 2, 4] {
        merged_commit(&world, id);
    }
    assert!(matches!(
        change(&world, 3).state,
        ChangeState::Evicted { .. }
    ));
    let tip = remote_rev(&repo, "refs/heads/main");
    for file in ["api/b1", "web/b2", "web/b4"] {
        assert!(remote_has_file(&repo, &tip, file), "{file} is in main");
    }
    assert!(!remote_has_file(&repo, &tip, "api/broken"));
    // One batch: every change carries the first one's id.
    assert!(world.flow().changes().all(|c| c.batch == ChangeId(1)));
}

#[test]
fn phase_one_merges_into_release_and_tags_production_deploys() {
    let repo = repo();
    branch(&repo, "feature", &[("api/main.c", "2\n")]);
    repo.lanes(&["submit", "feature"]).success();
    let world_now = world(&repo);
    let merged = merged_commit(&world_now, 1);
    assert_eq!(remote_rev(&repo, "refs/heads/release"), merged);
    assert!(world_now.flow().release_merge(&merged).is_some());
    let lane = world_now.lane_of(&merged, "api").unwrap();
    assert_eq!(lane.stages[3].state, StageState::Waiting);

    repo.lanes(&["approve", "api", "production", "--as", "alice"])
        .success();
    repo.lanes(&["run", "--push", &merged]).success();
    assert_eq!(remote_rev(&repo, "refs/tags/lanes/prod/api/1"), merged);
    let world_now = world(&repo);
    let tags: Vec<&str> = world_now.tags().iter().map(|t| t.tag.as_str()).collect();
    assert_eq!(tags, ["lanes/prod/api/1"]);
}

/// v1 of api in production, and `hotfix/api/1` cut from it with a fix whose lane waits at the
/// production gate: the fix's commit.
fn a_hotfix_waiting_for_production(repo: &TestRepo) -> String {
    branch(repo, "v1", &[("api/main.c", "v1\n")]);
    repo.lanes(&["submit", "v1"]).success();
    repo.lanes(&["approve", "api", "production", "--as", "alice"])
        .success();
    let v1 = merged_commit(&world(repo), 1);
    repo.lanes(&["run", "--push", &v1]).success();

    let cut = repo.lanes(&["hotfix", "api"]).success();
    assert_eq!(cut.stdout().trim(), "hotfix/api/1");
    assert_eq!(remote_rev(repo, "refs/heads/hotfix/api/1"), v1);
    repo.git(&["checkout", "-q", "hotfix/api/1"]);
    repo.write("api/fix.c", "the fix\n");
    let fix = repo.commit("fix api in production");
    repo.git(&["checkout", "-q", "main"]);
    repo.lanes(&["run", "--push", "hotfix/api/1"]).success();
    fix
}

#[test]
fn a_hotfix_is_cut_from_production_forward_ported_and_required_of_later_deploys() {
    let repo = repo();
    a_hotfix_waiting_for_production(&repo);

    // Meanwhile a change without the fix is accepted and waits for production too.
    repo.git(&["fetch", "-q", "origin"]);
    repo.git(&["checkout", "-q", "-b", "v2", "origin/main"]);
    repo.write("api/main.c", "v2\n");
    repo.commit("v2");
    repo.git(&["checkout", "-q", "main"]);
    repo.lanes(&["submit", "v2"]).success();
    let v2 = merged_commit(&world(&repo), 2);

    repo.lanes(&[
        "approve",
        "api",
        "production",
        "--as",
        "alice",
        "--commit",
        "hotfix/api/1",
    ])
    .success();
    let shipped = repo.lanes(&["run", "--push", "hotfix/api/1"]).success();
    shipped.stderr_has("forward-ported to main");
    let world_now = world(&repo);
    let hotfix = world_now.flow().hotfixes().next().unwrap().clone();
    assert_eq!(hotfix.deployed_to, ["prod"]);
    let hotfix_lane = world_now.lane_of(&hotfix.commits[0], "api").unwrap();
    let states: Vec<StageState> = hotfix_lane.stages.iter().map(|run| run.state).collect();
    assert_eq!(
        states,
        [
            StageState::Succeeded,
            StageState::Skipped,
            StageState::Skipped,
            StageState::Succeeded
        ]
    );
    let Some(lanes_engine::ForwardPort::Submitted { commit, change }) = hotfix.forward_port else {
        panic!("forward-ported: {:?}", hotfix.forward_port);
    };
    let ported = merged_commit(&world_now, change.0);
    assert!(is_ancestor(&repo, &commit, &ported));
    assert!(remote_has_file(&repo, "refs/heads/main", "api/fix.c"));
    assert_eq!(
        remote_rev(&repo, "refs/tags/lanes/prod/api/2"),
        hotfix.commits[0]
    );

    // v2 lacks the fix: its production deploy is refused.
    repo.lanes(&[
        "approve",
        "api",
        "production",
        "--as",
        "alice",
        "--commit",
        &v2,
    ])
    .success();
    repo.lanes(&["run", "--push", &v2]).failure(5);
    let refused = world(&repo);
    let lane = refused.lane_of(&v2, "api").unwrap();
    assert_eq!(lane.stages[3].state, StageState::Failed);
    let reason = lane.stages[3].reason.clone().unwrap();
    assert!(reason.contains("lacks the fix of hotfix/api/1"), "{reason}");

    // The hotfix is rolled back: it runs in production no more, and says so.
    repo.lanes(&[
        "rollback",
        "api",
        "--env",
        "prod",
        "--as",
        "alice",
        "--reason",
        "the fix broke logins",
    ])
    .success();
    let rolled_back = world(&repo);
    let hotfix = rolled_back.flow().hotfixes().next().unwrap();
    assert!(hotfix.deployed_to.is_empty(), "{hotfix:?}");
    assert_eq!(hotfix.rolled_back_from, ["prod"]);
    let view = repo
        .lanes(&["status", &hotfix.commits[0], "--json"])
        .success()
        .json();
    assert_eq!(view["lanes"][0]["summary"], "rolled-back", "{view:#}");
    assert_eq!(
        repo.lanes(&["board", "--json"]).success().json()["hotfixes_not_forward_ported"],
        serde_json::json!([])
    );
}

/// Regression: a fix carried to the default branch by hand (a cherry-pick: another commit,
/// the same patch) was refused as lacking the fix.
#[test]
fn a_hotfix_carried_to_main_by_hand_as_the_same_patch_counts_as_the_fix() {
    let repo = repo();
    let fix = a_hotfix_waiting_for_production(&repo);
    // Someone carries the fix over by hand, before lanes' own forward port.
    repo.git(&["fetch", "-q", "origin"]);
    repo.git(&["checkout", "-q", "-b", "v2", "origin/main"]);
    repo.git(&["cherry-pick", &fix]);
    repo.write("api/main.c", "v2\n");
    repo.commit("v2");
    repo.git(&["checkout", "-q", "main"]);
    repo.lanes(&["submit", "v2"]).success();
    let v2 = merged_commit(&world(&repo), 2);
    repo.lanes(&[
        "approve",
        "api",
        "production",
        "--as",
        "alice",
        "--commit",
        "hotfix/api/1",
    ])
    .success();
    repo.lanes(&["run", "--push", "hotfix/api/1"]).success();
    repo.lanes(&[
        "approve",
        "api",
        "production",
        "--as",
        "alice",
        "--commit",
        &v2,
    ])
    .success();
    repo.lanes(&["run", "--push", &v2]).success();
    let lane = world(&repo).lane_of(&v2, "api").unwrap().clone();
    assert_eq!(lane.stages[3].state, StageState::Succeeded, "{lane:?}");
}

#[test]
fn a_concurrent_push_to_main_during_acceptance_is_fetched_and_the_change_retried() {
    let repo = repo();
    branch(
        &repo,
        "slow-api",
        &[("api/main.c", "2\n"), ("api/slow", "2")],
    );
    let submitted = repo.spawn_lanes(&["submit", "--until-merged", "slow-api"]);
    wait_for_candidate(&repo, 1);
    // Someone else pushes to main meanwhile, from their own clone.
    let other = repo.sibling("other");
    let remote = repo.sibling("remote.git");
    crate::harness::git_in(
        repo.git_home(),
        repo.git_home(),
        &[
            "clone",
            "-q",
            remote.to_str().unwrap(),
            other.to_str().unwrap(),
        ],
    );
    std::fs::write(other.join("web/app.js"), "pushed meanwhile\n").unwrap();
    crate::harness::git_in(&other, repo.git_home(), &["commit", "-qam", "web moves"]);
    crate::harness::git_in(&other, repo.git_home(), &["push", "-q", "origin", "main"]);
    let pushed = crate::harness::git_in(&other, repo.git_home(), &["rev-parse", "HEAD"]);

    let run = submitted.finish().success();
    run.stderr_has("which touch none of its components");
    let world = world(&repo);
    let merged = merged_commit(&world, 1);
    assert!(
        is_ancestor(&repo, pushed.trim(), &merged),
        "nothing pushed was lost"
    );
    assert_eq!(remote_rev(&repo, "refs/heads/main"), merged);
    // api's inputs did not change with web's push: the passed candidate was carried, its
    // stages not run again.
    let carried = change(&world, 1)
        .carried
        .expect("carried onto the moved main");
    assert_eq!(carried.to_commit, merged);
    assert!(
        carried.main_moved_by.is_empty(),
        "moved by a push, not a change"
    );
    assert!(world.lane_of(&merged, "api").is_none());
}

/// Starts `lanes submit --until-merged branch` whose build of `component` holds until the test
/// creates the returned file.
fn submit_held(
    repo: &TestRepo,
    branch: &str,
    component: &str,
) -> (crate::harness::Running, std::path::PathBuf) {
    let hold = repo.sibling(&format!("hold-{branch}"));
    let running = repo.spawn_lanes_with(
        &["submit", "--until-merged", branch],
        &[
            ("HOLD", hold.to_str().unwrap()),
            ("HOLD_COMPONENT", component),
        ],
    );
    let started = hold.with_extension("started");
    wait_until(
        &format!("the build of {component} for {branch} started"),
        || started.exists(),
    );
    (running, hold)
}

/// How many intermediate commits were built for change `id`.
fn candidates_built(repo: &TestRepo, id: u64) -> usize {
    let ledger = repo.path().join(".git/lanes/ledger.db");
    tokio::runtime::Runtime::new().unwrap().block_on(async {
        let store = lanes_store::Store::open(&ledger).await.unwrap();
        let events = store.events_after(0, i64::MAX).await.unwrap();
        events
            .iter()
            .filter(|stored| {
                matches!(&stored.event, lanes_engine::Event::CandidateBuilt { group, .. }
                    if group.first() == Some(&ChangeId(id)))
            })
            .count()
    })
}

#[test]
fn a_passed_candidate_was_rebuilt_whenever_another_component_merged_first() {
    let repo = repo();
    branch(&repo, "api-change", &[("api/feature.c", "1\n")]);
    branch(&repo, "web-change", &[("web/feature.js", "1\n")]);
    let (api, hold) = submit_held(&repo, "api-change", "api");
    // web's change, submitted after, merges first and moves main under #1.
    submit(&repo, &["web-change"]).success();
    std::fs::write(&hold, "").unwrap();
    let run = api.finish().success();
    run.stderr_has("accepted on candidate");
    run.stderr_has("main moved by #2, which touch none of its components");

    let world = world(&repo);
    let merged = merged_commit(&world, 1);
    assert_eq!(remote_rev(&repo, "refs/heads/main"), merged);
    assert!(is_ancestor(&repo, &merged_commit(&world, 2), &merged));
    let carried = change(&world, 1).carried.expect("the result was carried");
    assert_eq!(carried.main_moved_by, [ChangeId(2)]);
    assert_eq!(carried.to_commit, merged);
    // Built once, its build ran once: nothing was accepted again.
    assert_eq!(candidates_built(&repo, 1), 1);
    let tested = world.lane_of(&carried.from_candidate, "api").unwrap();
    assert_eq!(tested.stages[0].state, StageState::Succeeded);
    assert_eq!(tested.stages[0].attempts.len(), 1);
    assert!(world.lane_of(&merged, "api").is_none());
    // What landed holds exactly what passed for api.
    let fingerprints =
        crate::harness::fingerprints_of(&repo.lanes(&["fingerprint", &merged, "--json"]));
    assert_eq!(fingerprints["api"], tested.fingerprint);
    // The view of the merged commit says why nothing ran there.
    let status = repo.lanes(&["status", &merged]).success();
    assert!(
        status.stdout().contains("accepted on candidate")
            && status
                .stdout()
                .contains("main moved by #2, which touch none of its components"),
        "{}",
        status.stdout()
    );
}

#[test]
fn a_candidate_whose_component_moved_on_main_runs_only_that_components_lanes_again() {
    let repo = repo();
    branch(
        &repo,
        "both",
        &[("api/feature.c", "1\n"), ("web/feature.js", "1\n")],
    );
    let (both, hold) = submit_held(&repo, "both", "api");
    // web moves on main meanwhile, from another clone.
    let other = repo.sibling("other");
    let remote = repo.sibling("remote.git");
    crate::harness::git_in(
        repo.git_home(),
        repo.git_home(),
        &[
            "clone",
            "-q",
            remote.to_str().unwrap(),
            other.to_str().unwrap(),
        ],
    );
    std::fs::write(other.join("web/app.js"), "pushed meanwhile\n").unwrap();
    crate::harness::git_in(&other, repo.git_home(), &["commit", "-qam", "web moves"]);
    crate::harness::git_in(&other, repo.git_home(), &["push", "-q", "origin", "main"]);
    std::fs::write(&hold, "").unwrap();
    let run = both.finish().success();
    run.stderr_has("changed web: accepting again on the new tip");

    let world = world(&repo);
    let merged = merged_commit(&world, 1);
    assert_eq!(remote_rev(&repo, "refs/heads/main"), merged);
    assert!(change(&world, 1).carried.is_none());
    assert_eq!(change(&world, 1).candidate.unwrap().commit, merged);
    assert_eq!(candidates_built(&repo, 1), 2);
    // On the new candidate api is unchanged and only web ran again.
    let api = world.lane_of(&merged, "api").unwrap();
    let web = world.lane_of(&merged, "web").unwrap();
    assert_eq!(api.stages[0].state, StageState::Unchanged);
    assert_eq!(api.stages[1].state, StageState::Unchanged);
    assert_eq!(web.stages[0].state, StageState::Succeeded);
}

#[test]
fn a_change_whose_submit_died_held_up_every_change_behind_it() {
    let repo = repo();
    branch(&repo, "first", &[("api/one.c", "1\n")]);
    branch(&repo, "second", &[("api/two.c", "2\n")]);
    let (first, _never) = submit_held(&repo, "first", "api");
    let killed = std::process::Command::new("kill")
        .args(["-KILL", &first.pid().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    first.finish();
    // The next submit waits behind #1, finds nobody driving it and drives it itself (its own
    // build does not hold).
    let run = submit(&repo, &["second"]).success();
    run.stderr_has("#1 has no lanes process driving it");
    let world = world(&repo);
    let (one, two) = (merged_commit(&world, 1), merged_commit(&world, 2));
    assert!(is_ancestor(&repo, &one, &two));
    assert_eq!(remote_rev(&repo, "refs/heads/main"), two);
}

#[test]
fn queue_drive_moves_a_change_whose_submit_died() {
    let repo = repo();
    branch(&repo, "feature", &[("api/one.c", "1\n")]);
    let (first, _never) = submit_held(&repo, "feature", "api");
    // While its submit lives, the change is left to it.
    repo.lanes(&["queue", "drive", "--until-merged"])
        .success()
        .stderr_has("no queued change is left without a lanes process driving it");
    let killed = std::process::Command::new("kill")
        .args(["-KILL", &first.pid().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    first.finish();
    repo.lanes(&["queue", "drive", "--until-merged"]).success();
    let world = world(&repo);
    assert_eq!(
        remote_rev(&repo, "refs/heads/main"),
        merged_commit(&world, 1)
    );
}

#[test]
fn a_failing_batch_suspected_changes_that_do_not_touch_the_red_component() {
    let repo = repo();
    branch(&repo, "web-ok", &[("web/ok.js", "1")]);
    branch(&repo, "api-red", &[("api/broken", "1")]);
    let run = submit(&repo, &["web-ok", "api-red"]).failure(5);
    // web-ok does not affect api: it is never tested alone as a suspect.
    run.stderr_has("bisecting among #2 (affecting api), #2 first");
    let world = world(&repo);
    merged_commit(&world, 1);
    assert!(matches!(
        change(&world, 2).state,
        ChangeState::Evicted { .. }
    ));
}

#[test]
fn tags_named_like_branches_are_never_taken_for_them() {
    let repo = repo();
    let initial = repo.git(&["rev-parse", "HEAD"]).trim().to_owned();
    branch(&repo, "feature", &[("api/feature.c", "1\n")]);
    // A tag named like the branch, one named like main and one named `refs/heads/main`, all
    // on the initial commit.
    repo.git(&["tag", "feature", &initial]);
    repo.git(&["tag", "main", &initial]);
    repo.git(&["tag", "refs/heads/main", &initial]);
    repo.git(&["tag", "only-a-tag", &initial]);
    repo.git(&["push", "-q", "origin", "--tags"]);

    submit(&repo, &["feature"]).success();
    let merged = merged_commit(&world(&repo), 1);
    assert_eq!(remote_rev(&repo, "refs/heads/main"), merged);
    assert!(remote_has_file(&repo, "refs/heads/main", "api/feature.c"));
    for tag in ["feature", "main", "refs/heads/main"] {
        assert_eq!(
            remote_rev(&repo, &format!("refs/tags/{tag}^{{commit}}")),
            initial,
            "the tag {tag} did not move"
        );
    }
    submit(&repo, &["only-a-tag"])
        .failure(1)
        .stderr_has("no branch `only-a-tag`");
    submit(&repo, &["--", "-x"])
        .failure(1)
        .stderr_has("not a valid branch name");
}

/// `lanes init --phase N` on a repository with `src/api` and `src/web`, its commands made
/// trivial, committed and pushed to a bare `origin`; then a change to api is submitted.
fn phase_repo(phase: &str) -> TestRepo {
    let repo = TestRepo::new();
    repo.write("src/api/main.c", "1\n")
        .write("src/web/app.js", "1\n");
    repo.lanes(&["init", "--phase", phase]).success();
    let manifest = std::fs::read_to_string(repo.path().join("lanes.yml"))
        .unwrap()
        .replace("make -C $LANES_COMPONENT_PATH build test", "true");
    repo.write("lanes.yml", &manifest);
    for script in ["deploy.sh", "acceptance.sh", "e2e.sh"] {
        repo.write(script, "#!/bin/sh\ntrue\n");
        let path = repo.path().join(script);
        let mut permissions = std::fs::metadata(&path).unwrap().permissions();
        std::os::unix::fs::PermissionsExt::set_mode(&mut permissions, 0o755);
        std::fs::set_permissions(&path, permissions).unwrap();
    }
    repo.commit("phase");
    push_to_new_origin(&repo);
    branch(&repo, "change", &[("src/api/main.c", "2\n")]);
    repo.lanes(&["submit", "change"]).success();
    repo
}

fn production_state(repo: &TestRepo) -> StageState {
    let world = world(repo);
    let merged = merged_commit(&world, 1);
    let lane = world.lane_of(&merged, "api").unwrap();
    lane.stages.last().unwrap().state
}

fn remote_branch_exists(repo: &TestRepo, branch: &str) -> bool {
    let heads = crate::harness::git_in(
        &repo.sibling("remote.git"),
        repo.git_home(),
        &["for-each-ref", "--format=%(refname)", "refs/heads"],
    );
    heads
        .lines()
        .any(|line| line == format!("refs/heads/{branch}"))
}

#[test]
fn phases_are_manifests_the_same_engine_walks() {
    // Phase 1: production deploys what integration merged into release, after approval.
    let one = phase_repo("1");
    assert!(remote_branch_exists(&one, "release"));
    assert_eq!(production_state(&one), StageState::Waiting);

    // Phase 2: no release branch; production waits for approval; hotfixes skip stages.
    let two = phase_repo("2");
    assert!(!remote_branch_exists(&two, "release"));
    assert_eq!(production_state(&two), StageState::Waiting);
    let manifest = std::fs::read_to_string(two.path().join("lanes.yml")).unwrap();
    assert!(manifest.contains("hotfix: { stages: [pr, staging, production] }"));

    // Phase 3: every green commit goes on to production, tagged, without a person.
    let three = phase_repo("3");
    assert!(!remote_branch_exists(&three, "release"));
    assert_eq!(production_state(&three), StageState::Succeeded);
    let merged = merged_commit(&world(&three), 1);
    assert_eq!(remote_rev(&three, "refs/tags/lanes/prod/api/1"), merged);
}

#[test]
fn many_submits_at_once_all_merge_without_tripping_on_each_other() {
    // Regression: concurrent submits lost races on ledger appends, on fetching into the same
    // ref and on `git worktree prune`, and exited 1.
    let repo = repo();
    let names: Vec<String> = (0..6).map(|n| format!("change-{n}")).collect();
    for (n, name) in names.iter().enumerate() {
        let component = if n % 2 == 0 { "api" } else { "web" };
        branch(&repo, name, &[(&format!("{component}/{name}"), "1\n")]);
    }
    let running: Vec<_> = names
        .iter()
        .map(|name| repo.spawn_lanes(&["submit", "--until-merged", name]))
        .collect();
    for run in running {
        run.finish().success();
    }
    let world = world(&repo);
    for (n, name) in names.iter().enumerate() {
        let change = change_from(&world, name);
        assert!(
            matches!(change.state, ChangeState::Merged { .. }),
            "{change:?}"
        );
        let component = if n % 2 == 0 { "api" } else { "web" };
        assert!(remote_has_file(
            &repo,
            "refs/heads/main",
            &format!("{component}/{name}")
        ));
    }
}

#[test]
fn a_waiting_submit_stops_on_sigterm_and_its_change_stays_queued() {
    let repo = repo();
    branch(&repo, "ahead", &[("api/one.c", "1\n")]);
    branch(&repo, "behind", &[("api/two.c", "2\n")]);
    // The change ahead builds until its barrier, which nobody else reaches, gives up (30 s).
    let barrier = repo.sibling("barrier");
    std::fs::create_dir(&barrier).unwrap();
    let ahead = repo.spawn_lanes_with(
        &["submit", "--until-merged", "ahead"],
        &[
            ("BARRIER", barrier.to_str().unwrap()),
            ("BARRIER_COUNT", "2"),
        ],
    );
    wait_for_candidate(&repo, 1);
    let behind = repo.spawn_lanes(&["submit", "--until-merged", "behind"]);
    // Its own lanes pass at once; then it waits for #1.
    wait_until("change #2 passed its acceptance", || {
        let world = world(&repo);
        world.flow().change(ChangeId(2)).is_some_and(|change| {
            change.candidate.as_ref().is_some_and(|candidate| {
                world
                    .lane_of(&candidate.commit, "api")
                    .is_some_and(|lane| lane.stages[1].state == StageState::Succeeded)
            })
        })
    });
    std::thread::sleep(Duration::from_millis(300));
    // Exit status 130 (not 0 for #2, nor 5 for #1 once its barrier gives up) says each was
    // stopped by the signal.
    for child in [&behind, &ahead] {
        let pid = child.pid().to_string();
        let killed = std::process::Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap();
        assert!(killed.success());
    }
    behind.finish().failure(130);
    ahead.finish().failure(130);
    let world = world(&repo);
    assert!(change(&world, 1).is_queued());
    assert!(change(&world, 2).is_queued());
}

#[test]
fn merge_commits_when_the_manifest_asks_and_tags_for_tagged_environments() {
    let manifest = MANIFEST
        .replace(
            "test: { lock: newest-wins }",
            "test: { lock: newest-wins, tag: true }",
        )
        .replace("stages:\n", "queue: { merge: merge-commit }\nstages:\n");
    let repo = repo_with(&manifest);
    // Based on main's tip: a fast-forward would be possible.
    branch(&repo, "feature", &[("api/main.c", "2\n")]);
    let head = repo.git(&["rev-parse", "feature"]).trim().to_owned();
    repo.lanes(&["submit", "feature"]).success();
    let merged = merged_commit(&world(&repo), 1);
    assert_ne!(merged, head, "a merge commit, not the change itself");
    let remote = repo.sibling("remote.git");
    let parents = crate::harness::git_in(
        &remote,
        repo.git_home(),
        &["rev-list", "--parents", "-n", "1", &merged],
    );
    assert_eq!(parents.split_whitespace().count(), 3, "{parents}");
    assert!(parents.trim().ends_with(&head), "{parents}");
    // `test` is tagged like production would be.
    assert_eq!(remote_rev(&repo, "refs/tags/lanes/test/api/1"), merged);
}

#[test]
fn a_forward_port_that_conflicts_is_reported_and_shown_on_the_board() {
    let repo = repo();
    branch(&repo, "v1", &[("api/main.c", "v1\n")]);
    repo.lanes(&["submit", "v1"]).success();
    repo.lanes(&["approve", "api", "production", "--as", "alice"])
        .success();
    let v1 = merged_commit(&world(&repo), 1);
    repo.lanes(&["run", "--push", &v1]).success();
    repo.lanes(&["hotfix", "api"]).success();
    repo.git(&["checkout", "-q", "hotfix/api/1"]);
    repo.write("api/main.c", "fixed in production\n");
    repo.commit("fix api");
    // main changes the same line meanwhile.
    repo.git(&["fetch", "-q", "origin"]);
    repo.git(&["checkout", "-q", "-b", "meanwhile", "origin/main"]);
    repo.write("api/main.c", "rewritten on main\n");
    repo.commit("rewrite api");
    repo.git(&["push", "-q", "origin", "meanwhile:main"]);
    repo.git(&["checkout", "-q", "main"]);

    repo.lanes(&["run", "--push", "hotfix/api/1"]).success();
    repo.lanes(&[
        "approve",
        "api",
        "production",
        "--as",
        "alice",
        "--commit",
        "hotfix/api/1",
    ])
    .success();
    let run = repo.lanes(&["run", "--push", "hotfix/api/1"]).success();
    run.stderr_has("hotfix/api/1 cannot be forward-ported to main");
    let world = world(&repo);
    let hotfix = world.flow().hotfixes().next().unwrap();
    assert_eq!(
        hotfix.forward_port,
        Some(lanes_engine::ForwardPort::Conflict {
            files: vec!["api/main.c".to_owned()]
        })
    );
    let board = repo.lanes(&["board", "--json"]).success().json();
    let open = board["hotfixes_not_forward_ported"].as_array().unwrap();
    assert_eq!(open.len(), 1, "{board}");
    assert_eq!(open[0]["branch"], "hotfix/api/1");
}

#[test]
fn a_submit_killed_mid_acceptance_resumes_when_submitted_again() {
    let repo = repo();
    branch(&repo, "feature", &[("api/main.c", "2\n")]);
    // The first build waits at a barrier nobody else reaches; the submit dies meanwhile.
    let barrier = repo.sibling("barrier");
    std::fs::create_dir(&barrier).unwrap();
    let first = repo.spawn_lanes_with(
        &["submit", "--until-merged", "feature"],
        &[
            ("BARRIER", barrier.to_str().unwrap()),
            ("BARRIER_COUNT", "2"),
        ],
    );
    wait_until("the build started", || barrier.join("api").exists());
    let killed = std::process::Command::new("kill")
        .args(["-KILL", &first.pid().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    first.finish();

    repo.lanes(&["submit", "--until-merged", "feature"])
        .success()
        .stderr_has("accepted and merged");
    let world = world(&repo);
    assert_eq!(
        world.flow().changes().count(),
        1,
        "resumed, not submitted twice"
    );
    let merged = merged_commit(&world, 1);
    let lane = world.lane_of(&merged, "api").unwrap();
    assert_eq!(lane.stages[0].attempts.len(), 2, "the dead build ran again");
    assert_eq!(lane.stages[0].state, StageState::Succeeded);
}
