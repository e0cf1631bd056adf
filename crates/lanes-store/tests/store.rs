//! The ledger in real database files: the engine plays lanes through a `Store`, and the tests
//! compare the replayed world, the projection tables (read with plain SQL) and what other
//! stores and processes see.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::task::{Context, Poll, Waker};

use lanes_engine::{
    AttemptPlan, AttemptResult, Event, GateTarget, Idle, LaneId, Next, StageState, World, approve,
    attempt_finished, deploy_finished, next_step, recover,
};
use lanes_manifest::Manifest;
use lanes_store::{RunId, Store, StoreError, StoredEvent};
use sqlx::sqlite::{SqliteConnectOptions, SqlitePool, SqlitePoolOptions};
use tempfile::TempDir;

const MANIFEST: &str = r"
version: 1
identities: { alice: [alice@example.com], bob: [bob@example.com] }
components:
  api: { path: api, approvers: [alice, bob] }
  web: { path: web, depends_on: [api], approvers: [alice] }
environments:
  accept: { instances: per-component }
  test: { lock: newest-wins }
  prod: { approval: { required: 1 } }
stages:
  - { name: pr, run: [build, test], retries: 1 }
  - { name: acceptance, environment: accept, deploy: deploy, run: [accept] }
  - { name: integration, environment: test, deploy: deploy, run: [e2e] }
  - { name: production, environment: prod, deploy: deploy, gate: approval }
";

/// Set in a child process of a test: the ledger the child works on. A test that finds it plays
/// its child's part instead of its own (see `child_of`).
const CHILD_LEDGER: &str = "LANES_STORE_TEST_CHILD_LEDGER";

/// Set with `CHILD_LEDGER` for a writer of `several_processes_append_optimistically_and_lose_nothing`:
/// its name.
const CHILD_WRITER: &str = "LANES_STORE_TEST_CHILD_WRITER";

/// This test binary again, running only `test`, as a child working on `ledger`: the test finds
/// `CHILD_LEDGER` set and plays its child's part. No test is a child alone, so none passes by
/// doing nothing when run by itself.
fn child_of(test: &str, ledger: &Path) -> Command {
    let mut command = Command::new(std::env::current_exe().unwrap());
    command
        .args([test, "--exact", "--nocapture", "--test-threads=1"])
        .env(CHILD_LEDGER, ledger)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit());
    command
}

/// The ledger of this process's part, when it is a test's child.
fn child_ledger() -> Option<PathBuf> {
    std::env::var_os(CHILD_LEDGER).map(PathBuf::from)
}

/// Reads a child's stdout up to the line holding `text` (the test harness may have printed the
/// test's name before it on that line); returns the rest of that line.
fn read_until(lines: &mut impl Iterator<Item = std::io::Result<String>>, text: &str) -> String {
    for line in lines {
        if let Some((_, rest)) = line.unwrap().split_once(text) {
            return rest.to_owned();
        }
    }
    panic!("the child ended before printing {text:?}");
}

/// The file whose creation releases children waiting in `wait_for_go`.
fn go_file(ledger: &Path) -> PathBuf {
    ledger.with_extension("go")
}

async fn wait_for_go(ledger: &Path) {
    while !go_file(ledger).exists() {
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
}

/// A fresh directory holding `ledger.db`.
struct Ledger {
    _dir: TempDir,
    path: PathBuf,
}

impl Ledger {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ledger.db");
        Self { _dir: dir, path }
    }

    async fn open(&self) -> Store {
        Store::open(&self.path).await.unwrap()
    }

    /// A connection of our own, as a person or a dashboard would query the ledger.
    async fn sql(&self) -> SqlitePool {
        let options = SqliteConnectOptions::new()
            .filename(&self.path)
            .busy_timeout(std::time::Duration::from_secs(10));
        SqlitePoolOptions::new()
            .max_connections(1)
            .connect_with(options)
            .await
            .unwrap()
    }
}

/// Plays the engine's and the runner's parts, recording every event through a store.
struct Sim {
    manifest: Manifest,
    now: i64,
}

impl Sim {
    fn new() -> Self {
        Self {
            manifest: Manifest::parse("lanes.yml", MANIFEST).unwrap(),
            now: 1_000,
        }
    }

    fn tick(&mut self) -> i64 {
        self.now += 1;
        self.now
    }

    fn lane_created(&mut self, world: &World, commit: &str, component: &str) -> Event {
        Event::LaneCreated {
            lane: world.next_lane_id(),
            commit: commit.into(),
            component: component.into(),
            fingerprint: format!("{component}-{commit}"),
            author: "Dana <dana@example.com>".into(),
            stages: self
                .manifest
                .stages()
                .iter()
                .map(|s| s.name.clone())
                .collect(),
            role: lanes_engine::Role::Default,
            depth: 0,
            at: self.tick(),
        }
    }

    async fn lane(&mut self, store: &mut Store, commit: &str, component: &str) -> LaneId {
        self.lane_with(store, commit, component, &format!("{component}-{commit}"))
            .await
    }

    async fn lane_with(
        &mut self,
        store: &mut Store,
        commit: &str,
        component: &str,
        fingerprint: &str,
    ) -> LaneId {
        let mut event = self.lane_created(store.world(), commit, component);
        if let Event::LaneCreated {
            fingerprint: own, ..
        } = &mut event
        {
            *own = fingerprint.into();
        }
        let lane = event.lane().expect("a lane event");
        store.append(&[event]).await.unwrap();
        lane
    }

    /// Advances a lane until it starts an attempt (returned) or has nothing to do.
    async fn step(&mut self, store: &mut Store, lane: LaneId) -> Result<AttemptPlan, Idle> {
        loop {
            let now = self.tick();
            match next_step(store.world(), &self.manifest, lane, now) {
                Next::Record(events) => store.append(&events).await.unwrap(),
                Next::Start { events, plan } => {
                    store.append(&events).await.unwrap();
                    return Ok(*plan);
                }
                Next::Idle(idle) => return Err(idle),
            }
        }
    }

    /// The runner's report of an attempt, recorded in one append: its steps, its deploy and
    /// its end.
    async fn finish(&mut self, store: &mut Store, plan: &AttemptPlan, result: AttemptResult) {
        let mut world = store.world().clone();
        let mut batch = Vec::new();
        let mut record = |world: &mut World, events: Vec<Event>| {
            for event in &events {
                world.apply(event);
            }
            batch.extend(events);
        };
        let failed_step = match &result {
            AttemptResult::Passed => usize::MAX,
            AttemptResult::Failed { step, .. } => *step,
        };
        let deploy = plan.deploy.as_ref().map(|deploy| deploy.command.clone());
        let commands: Vec<String> = deploy.iter().chain(&plan.steps).cloned().collect();
        for (step, command) in commands
            .iter()
            .enumerate()
            .take(failed_step.saturating_add(1))
        {
            let passed = step != failed_step;
            let started = self.tick();
            let finished = self.tick();
            record(
                &mut world,
                vec![
                    Event::StepStarted {
                        lane: plan.lane,
                        stage: plan.stage,
                        attempt: plan.attempt,
                        step,
                        command: command.clone(),
                        at: started,
                        pid: None,
                    },
                    Event::StepFinished {
                        lane: plan.lane,
                        stage: plan.stage,
                        attempt: plan.attempt,
                        step,
                        result: if passed { "exit 0" } else { "exit 1" }.into(),
                        passed,
                        at: finished,
                    },
                ],
            );
            if deploy.is_some() && step == 0 && passed {
                let events = deploy_finished(
                    &world,
                    &self.manifest,
                    plan.lane,
                    plan.stage,
                    plan.token,
                    finished,
                );
                record(&mut world, events);
            }
        }
        let now = self.tick();
        let events = attempt_finished(
            &world,
            &self.manifest,
            plan.lane,
            plan.stage,
            plan.token,
            result,
            now,
        );
        record(&mut world, events);
        store.append(&batch).await.unwrap();
    }

    /// Runs a lane, passing every attempt, until it has nothing to do.
    async fn run(&mut self, store: &mut Store, lane: LaneId) -> Idle {
        loop {
            match self.step(store, lane).await {
                Ok(plan) => self.finish(store, &plan, AttemptResult::Passed).await,
                Err(idle) => return idle,
            }
        }
    }

    async fn approve(&mut self, store: &mut Store, component: &str, commit: &str, user: &str) {
        let target = GateTarget {
            component,
            stage: "production",
            commit: Some(commit),
        };
        let now = self.tick();
        let events = approve(
            store.world(),
            &self.manifest,
            target,
            lanes_engine::Decider::local(user),
            &[],
            now,
        )
        .unwrap();
        store.append(&events).await.unwrap();
    }

    /// A history touching every table: a flaky build, deploys to shared and per-component
    /// instances, approvals, a version deployed to production, an unchanged lane, a failed
    /// lane, and a crash during a deploy (its lock still held).
    async fn busy_history(&mut self, store: &mut Store) {
        let api = self.lane(store, "c1", "api").await;
        let web = self.lane(store, "c1", "web").await;
        let build = self.step(store, api).await.unwrap();
        let failed = AttemptResult::Failed {
            step: 1,
            deploy: false,
            detail: "`test` exited with 1".into(),
        };
        self.finish(store, &build, failed).await;
        assert_eq!(self.run(store, api).await, Idle::Waiting);
        assert_eq!(self.run(store, web).await, Idle::Waiting);
        self.approve(store, "api", "c1", "alice").await;
        assert_eq!(self.run(store, api).await, Idle::Done);

        // The same version again: it passed every stage already.
        let same = self.lane_with(store, "c2", "api", "api-c1").await;
        assert_eq!(self.run(store, same).await, Idle::Done);
        let lane = store.world().lane(same).unwrap();
        assert!(
            lane.stages
                .iter()
                .all(|run| run.state == StageState::Unchanged)
        );

        let red = self.lane(store, "c2", "web").await;
        for _ in 0..2 {
            let plan = self.step(store, red).await.unwrap();
            let failed = AttemptResult::Failed {
                step: 0,
                deploy: false,
                detail: "`build` exited with 2".into(),
            };
            self.finish(store, &plan, failed).await;
        }
        assert_eq!(self.step(store, red).await, Err(Idle::Stopped));

        let crashed = self.lane(store, "c3", "api").await;
        let build = self.step(store, crashed).await.unwrap();
        self.finish(store, &build, AttemptResult::Passed).await;
        let deploy = self.step(store, crashed).await.unwrap();
        assert!(deploy.deploy.is_some());
        let now = self.tick();
        let events = recover(store.world(), &self.manifest, &[crashed], now);
        store.append(&events).await.unwrap();
        assert_eq!(
            store.world().lane(crashed).unwrap().stages[1].state,
            StageState::Interrupted
        );
    }
}

/// The world the events make, applied one by one.
fn replay(events: &[StoredEvent]) -> World {
    let mut world = World::new();
    for stored in events {
        world.apply(&stored.event);
    }
    world
}

async fn all_events(store: &Store) -> Vec<StoredEvent> {
    store.events_after(0, i64::MAX).await.unwrap()
}

fn key(lane: LaneId) -> i64 {
    i64::try_from(lane.0).unwrap()
}

fn index(n: usize) -> i64 {
    i64::try_from(n).unwrap()
}

async fn count(sql: &SqlitePool, table: &str) -> i64 {
    let query = format!("SELECT COUNT(*) FROM {table}");
    sqlx::query_scalar(sqlx::AssertSqlSafe(query))
        .fetch_one(sql)
        .await
        .unwrap()
}

// Rows of the projection tables, column by column.
type StageRow = (
    i64,
    i64,
    String,
    String,
    Option<String>,
    Option<String>,
    bool,
    Option<i64>,
    Option<i64>,
);

type AttemptRow = (
    i64,
    i64,
    i64,
    i64,
    bool,
    Option<String>,
    Option<String>,
    i64,
    Option<i64>,
);

type StepRow = (
    i64,
    i64,
    i64,
    i64,
    String,
    i64,
    Option<i64>,
    Option<String>,
    Option<bool>,
);

/// Every projection table holds exactly what `world` says, `events` being the ledger.
#[expect(clippy::too_many_lines, reason = "one block per table")]
async fn assert_projection(sql: &SqlitePool, world: &World, events: &[StoredEvent]) {
    let rows: Vec<(i64, String, String, String, String, i64)> = sqlx::query_as(
        "SELECT id, commit_id, component, fingerprint, author, created_at FROM lanes ORDER BY id",
    )
    .fetch_all(sql)
    .await
    .unwrap();
    let expected: Vec<_> = world
        .lanes()
        .map(|lane| {
            let lane = lane.clone();
            (
                key(lane.id),
                lane.commit,
                lane.component,
                lane.fingerprint,
                lane.author,
                lane.created_at,
            )
        })
        .collect();
    assert_eq!(rows, expected, "lanes");

    let rows: Vec<StageRow> = sqlx::query_as(
        "SELECT lane, stage, name, state, reason, provenance, flaky, started_at, finished_at \
         FROM stage_runs ORDER BY lane, stage",
    )
    .fetch_all(sql)
    .await
    .unwrap();
    let mut expected: Vec<StageRow> = Vec::new();
    for lane in world.lanes() {
        for (stage, run) in lane.stages.iter().enumerate() {
            expected.push((
                key(lane.id),
                index(stage),
                run.name.clone(),
                run.state.as_str().to_owned(),
                run.reason.clone(),
                run.provenance.clone(),
                run.flaky,
                run.started_at,
                run.finished_at,
            ));
        }
    }
    assert_eq!(rows, expected, "stage_runs");

    let rows: Vec<AttemptRow> = sqlx::query_as(
        "SELECT lane, stage, number, token, deploying, outcome_kind, outcome, started_at, \
         finished_at FROM attempts ORDER BY lane, stage, number",
    )
    .fetch_all(sql)
    .await
    .unwrap();
    let steps: Vec<StepRow> = sqlx::query_as(
        "SELECT lane, stage, attempt, step, command, started_at, finished_at, result, passed \
         FROM steps ORDER BY lane, stage, attempt, step",
    )
    .fetch_all(sql)
    .await
    .unwrap();
    let mut expected: Vec<AttemptRow> = Vec::new();
    let mut expected_steps: Vec<StepRow> = Vec::new();
    for lane in world.lanes() {
        for (stage, run) in lane.stages.iter().enumerate() {
            let mut attempts: Vec<_> = run.attempts.iter().collect();
            attempts.sort_by_key(|attempt| attempt.number);
            for attempt in attempts {
                let outcome = attempt.outcome.as_ref();
                let kind = outcome.map(|o| serde_json::to_value(o).unwrap()["kind"].to_string());
                expected.push((
                    key(lane.id),
                    index(stage),
                    i64::from(attempt.number),
                    i64::try_from(attempt.token).unwrap(),
                    attempt.deploying,
                    kind.map(|kind| kind.trim_matches('"').to_owned()),
                    outcome.map(|o| serde_json::to_string(o).unwrap()),
                    attempt.started_at,
                    attempt.finished_at,
                ));
                for (step, record) in attempt.steps.iter().enumerate() {
                    expected_steps.push((
                        key(lane.id),
                        index(stage),
                        i64::from(attempt.number),
                        index(step),
                        record.command.clone(),
                        record.started_at,
                        record.finished_at,
                        record.result.clone(),
                        record.passed,
                    ));
                }
            }
        }
    }
    assert_eq!(rows, expected, "attempts");
    assert_eq!(steps, expected_steps, "steps");

    // What the events name: deployments, last known good versions and locks by key.
    let mut deployments = BTreeSet::new();
    let mut lkg = BTreeSet::new();
    let mut locks = BTreeSet::new();
    let mut approvals = Vec::new();
    for stored in events {
        match &stored.event {
            Event::Deployed {
                lane,
                environment,
                instance,
                ..
            } => {
                let component = world.lane(*lane).unwrap().component.clone();
                deployments.insert((environment.clone(), instance.clone(), component));
            }
            Event::BecameLastKnownGood {
                environment,
                component,
                ..
            } => {
                lkg.insert((environment.clone(), component.clone()));
            }
            Event::LockAcquired {
                environment,
                component,
                ..
            }
            | Event::LockReleased {
                environment,
                component,
                ..
            } => {
                locks.insert((environment.clone(), component.clone()));
            }
            Event::Approved {
                lane,
                stage,
                fingerprint,
                user,
                at,
                ..
            } => approvals.push((
                stored.id,
                key(*lane),
                index(*stage),
                world.lane(*lane).unwrap().component.clone(),
                fingerprint.clone(),
                user.clone(),
                *at,
            )),
            _ => {}
        }
    }

    let rows: Vec<(String, String, String, i64, String, String, i64)> = sqlx::query_as(
        "SELECT environment, instance, component, lane, commit_id, fingerprint, at \
         FROM deployments ORDER BY environment, instance, component",
    )
    .fetch_all(sql)
    .await
    .unwrap();
    let expected: Vec<_> = deployments
        .into_iter()
        .map(|(environment, instance, component)| {
            let deployment = world
                .deployment(&environment, &instance, &component)
                .unwrap()
                .clone();
            (
                environment,
                instance,
                component,
                key(deployment.lane),
                deployment.commit,
                deployment.fingerprint,
                deployment.at,
            )
        })
        .collect();
    assert_eq!(rows, expected, "deployments");

    let rows: Vec<(String, String, i64, i64, String, String, i64)> = sqlx::query_as(
        "SELECT environment, component, sequence, lane, commit_id, fingerprint, at \
         FROM last_known_good ORDER BY environment, component, sequence",
    )
    .fetch_all(sql)
    .await
    .unwrap();
    let mut expected = Vec::new();
    for (environment, component) in &lkg {
        for (n, deployment) in world.lkg_history(environment, component).iter().enumerate() {
            let deployment = deployment.clone();
            expected.push((
                environment.clone(),
                component.clone(),
                index(n + 1),
                key(deployment.lane),
                deployment.commit,
                deployment.fingerprint,
                deployment.at,
            ));
        }
    }
    assert_eq!(rows, expected, "last_known_good");
    let current: Vec<(String, String, String)> = sqlx::query_as(
        "SELECT environment, component, fingerprint FROM current_last_known_good \
         ORDER BY environment, component",
    )
    .fetch_all(sql)
    .await
    .unwrap();
    let expected: Vec<_> = lkg
        .iter()
        .map(|(environment, component)| {
            let fingerprint = world.last_known_good(environment, component).unwrap();
            (
                environment.clone(),
                component.clone(),
                fingerprint.fingerprint.clone(),
            )
        })
        .collect();
    assert_eq!(current, expected, "current_last_known_good");

    let rows: Vec<(String, String, i64)> = sqlx::query_as(
        "SELECT environment, component, lane FROM locks ORDER BY environment, component",
    )
    .fetch_all(sql)
    .await
    .unwrap();
    let expected: Vec<_> = locks
        .into_iter()
        .filter_map(|(environment, component)| {
            let holder = world.lock_holder(&environment, &component)?;
            Some((environment, component, key(holder)))
        })
        .collect();
    assert_eq!(rows, expected, "locks");

    let rows: Vec<(i64, i64, i64, String, String, String, i64)> = sqlx::query_as(
        "SELECT event, lane, stage, component, fingerprint, approver, at FROM approvals \
         ORDER BY event",
    )
    .fetch_all(sql)
    .await
    .unwrap();
    assert_eq!(rows, approvals, "approvals");
    for (_, _, stage, component, fingerprint, user, _) in &approvals {
        let stage = usize::try_from(*stage).unwrap();
        let approvers = world.approvers_of(component, stage, fingerprint);
        assert!(approvers.contains(&user.as_str()));
    }

    let rows: Vec<(String, String, i64, String)> = sqlx::query_as(
        "SELECT component, fingerprint, built_by_lane, built_by_commit FROM versions \
         ORDER BY component, fingerprint",
    )
    .fetch_all(sql)
    .await
    .unwrap();
    let mut built = BTreeMap::new();
    for lane in world.lanes() {
        if lane.stages[0].state == StageState::Succeeded {
            built
                .entry((lane.component.clone(), lane.fingerprint.clone()))
                .or_insert((key(lane.id), lane.commit.clone()));
        }
    }
    let expected: Vec<_> = built
        .into_iter()
        .map(|((component, fingerprint), (lane, commit))| (component, fingerprint, lane, commit))
        .collect();
    assert_eq!(rows, expected, "versions");

    let rows: Vec<(i64, Option<i64>, String)> =
        sqlx::query_as("SELECT id, lane, kind FROM events ORDER BY id")
            .fetch_all(sql)
            .await
            .unwrap();
    let expected: Vec<_> = events
        .iter()
        .map(|stored| {
            let event = &stored.event;
            (stored.id, event.lane().map(key), event.kind().to_owned())
        })
        .collect();
    assert_eq!(rows, expected, "events");
}

#[tokio::test]
async fn a_reopened_ledger_replays_the_same_world() {
    let ledger = Ledger::new();
    let mut store = ledger.open().await;
    Sim::new().busy_history(&mut store).await;
    let events = all_events(&store).await;
    assert_eq!(&replay(&events), store.world());
    let last = store.last_event_id();
    assert_eq!(last, events.last().unwrap().id);
    let world = store.world().clone();
    store.close().await;

    let reopened = Store::open_whole(&ledger.path).await.unwrap();
    assert_eq!(reopened.world(), &world);
    assert_eq!(reopened.last_event_id(), last);
    // Ids are dense and in order, and every event was recorded at a real time.
    let ids: Vec<i64> = events.iter().map(|stored| stored.id).collect();
    assert_eq!(ids, (1..=last).collect::<Vec<_>>());
    assert!(
        events
            .iter()
            .all(|stored| stored.recorded_at > 1_600_000_000_000)
    );
}

/// Every commit's view in `world`, as the status command and the dashboard show it.
fn views(world: &World, commits: &[&str]) -> Vec<lanes_engine::CommitView> {
    commits
        .iter()
        .map(|commit| world.commit_view(commit, 1_000_000))
        .collect()
}

#[tokio::test]
async fn a_ledger_opened_from_its_snapshot_shows_and_decides_as_the_whole_one() {
    let ledger = Ledger::new();
    let mut sim = Sim::new();
    let mut store = ledger.open().await;
    sim.busy_history(&mut store).await;
    // One red version of web, built again at four commits: red since the first.
    for commit in ["c5", "c6", "c7", "c8"] {
        let red = sim.lane_with(&mut store, commit, "web", "web-red").await;
        for _ in 0..2 {
            let plan = sim.step(&mut store, red).await.unwrap();
            let failed = AttemptResult::Failed {
                step: 0,
                deploy: false,
                detail: "`build` exited with 2".into(),
            };
            sim.finish(&mut store, &plan, failed).await;
        }
    }
    store.close().await;
    let commits = ["c1", "c2", "c3", "c5", "c6", "c7", "c8"];

    // Opening a ledger without a snapshot writes one and keeps the working set alone.
    let mut opened = ledger.open().await;
    let whole = Store::open_whole(&ledger.path).await.unwrap();
    let held = opened.world().lanes().count();
    assert!(
        held < whole.world().lanes().count(),
        "the working set holds {held} lanes, as many as the whole world"
    );
    let snapshots: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM snapshots")
        .fetch_one(&ledger.sql().await)
        .await
        .unwrap();
    assert_eq!(snapshots, 1);
    // What it keeps whole is the same, and so is every view once its commit is focused on.
    assert_eq!(opened.world().decisions(), whole.world().decisions());
    assert_eq!(opened.world().stage_stats(), whole.world().stage_stats());
    assert_eq!(opened.world().next_lane_id(), whole.world().next_lane_id());
    for commit in commits {
        opened.focus(commit).await.unwrap();
    }
    assert_eq!(
        views(opened.world(), &commits),
        views(whole.world(), &commits)
    );
    for lane in whole.world().lanes() {
        assert_eq!(
            opened.world().lane(lane.id),
            Some(lane),
            "lane {}",
            lane.id.0
        );
    }
    opened.close().await;

    // A new lane of a version that passed long ago is unchanged, with the same provenance, as
    // in the whole world; an event about a retired lane (a version marked bad) reads it back.
    let mut opened = ledger.open().await;
    let mut whole = Store::open_whole(&ledger.path).await.unwrap();
    // The first red web lane: neither the newest of web nor deployed, so retired.
    let first = whole.world().lane_of("c5", "web").unwrap().id;
    assert!(opened.world().is_retired(first), "lane {} is held", first.0);
    let again = sim.lane_with(&mut opened, "c4", "api", "api-c1").await;
    // As `lanes run` does once it created a commit's lanes: their versions' lanes come back.
    opened.focus("c4").await.unwrap();
    assert_eq!(sim.run(&mut opened, again).await, Idle::Done);
    let bad = Event::MarkedBad {
        lane: first,
        user: "alice".to_owned(),
        reason: "broke checkout".to_owned(),
        token: None,
        at: sim.tick(),
    };
    opened.append(std::slice::from_ref(&bad)).await.unwrap();
    whole.refresh().await.unwrap();
    assert!(
        opened
            .world()
            .lane(again)
            .unwrap()
            .stages
            .iter()
            .all(|run| run.state == StageState::Unchanged),
        "{:?}",
        opened.world().lane(again)
    );
    assert_eq!(
        opened.world().bad_reason("web", "web-red"),
        Some("broke checkout")
    );
    let everything = replay(&all_events(&opened).await);
    let commits = ["c1", "c2", "c3", "c4", "c5", "c6", "c7", "c8"];
    for commit in commits {
        opened.focus(commit).await.unwrap();
    }
    assert_eq!(
        views(opened.world(), &commits),
        views(&everything, &commits)
    );
    assert_eq!(
        everything.commit_view("c8", 0).lanes[0]
            .red_since
            .as_deref(),
        Some("c5")
    );
}

#[tokio::test]
async fn projection_tables_hold_what_the_world_says() {
    let ledger = Ledger::new();
    let mut store = ledger.open().await;
    Sim::new().busy_history(&mut store).await;
    let sql = ledger.sql().await;
    let events = all_events(&store).await;
    assert_projection(&sql, store.world(), &events).await;
    // The history reached every table.
    for table in [
        "lanes",
        "stage_runs",
        "attempts",
        "steps",
        "versions",
        "deployments",
        "last_known_good",
        "locks",
        "approvals",
    ] {
        assert!(count(&sql, table).await > 0, "{table} is empty");
    }
    // The questions a person asks, in plain SQL.
    let in_prod: Vec<(String, String)> =
        sqlx::query_as("SELECT component, commit_id FROM deployments WHERE environment = 'prod'")
            .fetch_all(&sql)
            .await
            .unwrap();
    assert_eq!(in_prod, [("api".to_owned(), "c1".to_owned())]);
    let flaky: Vec<(String, String)> = sqlx::query_as(
        "SELECT lanes.commit_id, stage_runs.name FROM stage_runs \
         JOIN lanes ON lanes.id = stage_runs.lane WHERE flaky = 1",
    )
    .fetch_all(&sql)
    .await
    .unwrap();
    assert_eq!(flaky, [("c1".to_owned(), "pr".to_owned())]);
    let interrupted: Vec<(String, String, String)> = sqlx::query_as(
        "SELECT lanes.commit_id, stage_runs.name, locks.environment FROM stage_runs \
         JOIN lanes ON lanes.id = stage_runs.lane \
         JOIN locks ON locks.lane = lanes.id \
         WHERE stage_runs.state = 'interrupted'",
    )
    .fetch_all(&sql)
    .await
    .unwrap();
    assert_eq!(
        interrupted,
        [(
            "c3".to_owned(),
            "acceptance".to_owned(),
            "accept".to_owned()
        )]
    );
}

#[tokio::test]
async fn an_append_on_an_outdated_world_is_refused_until_refresh() {
    let ledger = Ledger::new();
    let mut sim = Sim::new();
    let mut first = ledger.open().await;
    let mut second = ledger.open().await;
    sim.lane(&mut first, "c1", "api").await;

    // `second` still believes lane 1 is free.
    let stale = sim.lane_created(second.world(), "c1", "web");
    assert_eq!(stale.lane().expect("a lane event"), LaneId(1));
    let error = second.append(&[stale]).await.unwrap_err();
    assert!(
        matches!(
            error,
            StoreError::Conflict {
                known: 0,
                found: 1,
                ..
            }
        ),
        "{error:?}"
    );
    assert!(error.to_string().contains("refresh and decide again"));
    assert_eq!(second.world(), &World::new());
    assert_eq!(all_events(&first).await.len(), 1);

    second.refresh().await.unwrap();
    assert_eq!(second.world(), first.world());
    let decided_again = sim.lane_created(second.world(), "c1", "web");
    assert_eq!(decided_again.lane().expect("a lane event"), LaneId(2));
    second.append(&[decided_again]).await.unwrap();
    first.refresh().await.unwrap();
    assert_eq!(first.world(), second.world());
    assert_eq!(first.world().lanes().count(), 2);
}

#[tokio::test]
async fn a_batch_that_fails_midway_leaves_no_trace() {
    let ledger = Ledger::new();
    let mut sim = Sim::new();
    let mut store = ledger.open().await;
    let api = sim.lane(&mut store, "c1", "api").await;
    let before = store.world().clone();
    let last = store.last_event_id();
    let sql = ledger.sql().await;
    // A real failure inside the transaction, after the new lane's row and two events are in.
    sqlx::query(
        "CREATE TRIGGER fail_midway BEFORE INSERT ON events WHEN NEW.kind = 'stage_waiting' \
         BEGIN SELECT RAISE(ABORT, 'injected failure'); END",
    )
    .execute(&sql)
    .await
    .unwrap();
    let web = sim.lane_created(store.world(), "c1", "web");
    let batch = vec![
        web.clone(),
        Event::StageUnchanged {
            lane: api,
            stage: 0,
            provenance: "c0".into(),
            reason: "unchanged since c0, which passed".into(),
            at: sim.tick(),
        },
        Event::StageWaiting {
            lane: web.lane().expect("a lane event"),
            stage: 0,
            reason: "waiting".into(),
            at: sim.tick(),
        },
        Event::LockAcquired {
            lane: web.lane().expect("a lane event"),
            environment: "test".into(),
            component: "web".into(),
            at: sim.tick(),
        },
    ];
    let error = store.append(&batch).await.unwrap_err();
    assert!(
        matches!(error, StoreError::Append { count: 4, .. }),
        "{error:?}"
    );
    let chain = std::error::Error::source(&error).unwrap().to_string();
    assert!(chain.contains("injected failure"), "{chain}");
    assert_eq!(store.world(), &before);
    assert_eq!(store.last_event_id(), last);
    assert_eq!(count(&sql, "events").await, 1);
    assert_eq!(count(&sql, "locks").await, 0);
    let events = all_events(&store).await;
    assert_projection(&sql, &before, &events).await;

    sqlx::query("DROP TRIGGER fail_midway")
        .execute(&sql)
        .await
        .unwrap();
    store.append(&batch).await.unwrap();
    let events = all_events(&store).await;
    assert_eq!(events.len(), 5);
    assert_projection(&sql, store.world(), &events).await;
    assert_eq!(ledger.open().await.world(), store.world());
}

#[tokio::test]
async fn an_append_cancelled_at_any_point_leaves_the_ledger_whole() {
    let ledger = Ledger::new();
    let mut sim = Sim::new();
    let mut store = ledger.open().await;
    for polls in 0..40 {
        let commit = format!("c{polls}");
        let batch = |sim: &mut Sim, world: &World| {
            let created = sim.lane_created(world, &commit, "api");
            let waiting = Event::StageWaiting {
                lane: created.lane().expect("a lane event"),
                stage: 0,
                reason: "waiting".into(),
                at: sim.tick(),
            };
            [created, waiting]
        };
        let first = batch(&mut sim, store.world());
        let finished = {
            // Polled by hand, then dropped: wherever it stood, the append is cancelled there.
            let mut append = std::pin::pin!(store.append(&first));
            let mut context = Context::from_waker(Waker::noop());
            let mut finished = None;
            for _ in 0..polls {
                if let Poll::Ready(result) = append.as_mut().poll(&mut context) {
                    finished = Some(result);
                    break;
                }
                std::thread::sleep(std::time::Duration::from_micros(200));
            }
            finished
        };
        match finished {
            Some(Ok(())) => {}
            // A cancelled append's commit may still be in flight and land later: the store
            // refuses to append over it, and the caller reads the ledger and decides again.
            None | Some(Err(StoreError::Conflict { .. })) => loop {
                store.refresh().await.unwrap();
                if store.world().lane_of(&commit, "api").is_some() {
                    break;
                }
                let again = batch(&mut sim, store.world());
                match store.append(&again).await {
                    Ok(()) => break,
                    Err(StoreError::Conflict { .. }) => {}
                    Err(error) => panic!("{error:?}"),
                }
            },
            Some(Err(error)) => panic!("{error:?}"),
        }
        let events = all_events(&store).await;
        assert_eq!(&replay(&events), store.world(), "after {polls} polls");
        assert_eq!(events.len() % 2, 0, "half a batch after {polls} polls");
        assert!(store.world().lane_of(&commit, "api").is_some());
    }
    let events = all_events(&store).await;
    assert_projection(&ledger.sql().await, store.world(), &events).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_operation_runs_on_a_spawned_task() {
    let ledger = Ledger::new();
    let path = ledger.path.clone();
    let task = tokio::spawn(async move {
        let mut store = Store::open(&path).await.unwrap();
        let mut sim = Sim::new();
        let created = sim.lane_created(store.world(), "c1", "api");
        store.append(&[created]).await.unwrap();
        store.refresh().await.unwrap();
        let run = store.begin_run("c1", 1, 2).await.unwrap();
        store.finish_run(run, 3).await.unwrap();
        assert!(store.unfinished_runs().await.unwrap().is_empty());
        let lane = store.events_of_lane(LaneId(1)).await.unwrap();
        assert_eq!(store.events_after(0, 10).await.unwrap(), lane);
        store.close().await;
    });
    task.await.unwrap();
}

#[tokio::test]
async fn events_that_contradict_the_world_are_refused_whole() {
    let ledger = Ledger::new();
    let mut sim = Sim::new();
    let mut store = ledger.open().await;
    let api = sim.lane(&mut store, "c1", "api").await;
    let before = store.world().clone();
    let waiting = |lane, stage| Event::StageWaiting {
        lane,
        stage,
        reason: "waiting".into(),
        at: 5,
    };
    let web = sim.lane_created(store.world(), "c1", "web");
    let cases = [
        (
            vec![web.clone(), waiting(LaneId(9), 0)],
            1,
            "is about lane 9, which does not exist",
        ),
        (
            vec![waiting(api, 0), waiting(api, 4)],
            1,
            "is about stage 4 of lane 1, which has 4 stages",
        ),
        (
            vec![sim.lane_created(store.world(), "c1", "api")],
            0,
            "creates a second lane of api at c1 (lane 1 is its lane)",
        ),
        (
            vec![web.clone(), web.clone()],
            1,
            "creates lane 2, which already exists",
        ),
    ];
    for (batch, at, problem) in cases {
        let error = store.append(&batch).await.unwrap_err();
        let StoreError::InvalidEvent {
            index,
            problem: found,
            ..
        } = &error
        else {
            panic!("{error:?}");
        };
        assert_eq!((*index, found.as_str()), (at, problem));
        assert_eq!(store.world(), &before);
    }
    assert_eq!(all_events(&store).await.len(), 1);
    // Events about a lane created earlier in the same batch are fine.
    store
        .append(&[web.clone(), waiting(web.lane().expect("a lane event"), 3)])
        .await
        .unwrap();
}

#[tokio::test]
async fn two_stores_taking_turns_agree() {
    let ledger = Ledger::new();
    let mut sim = Sim::new();
    let mut stores = [ledger.open().await, ledger.open().await];
    for turn in 0..8 {
        let store = &mut stores[turn % 2];
        store.refresh().await.unwrap();
        let component = if turn % 3 == 0 { "web" } else { "api" };
        let lane = sim.lane(store, &format!("c{turn}"), component).await;
        let build = sim.step(store, lane).await.unwrap();
        sim.finish(store, &build, AttemptResult::Passed).await;
    }
    for store in &mut stores {
        store.refresh().await.unwrap();
    }
    assert_eq!(stores[0].world(), stores[1].world());
    assert_eq!(stores[0].world().lanes().count(), 8);
    let events = all_events(&stores[0]).await;
    assert_eq!(&replay(&events), stores[0].world());
    assert_projection(&ledger.sql().await, stores[0].world(), &events).await;
    assert_eq!(ledger.open().await.world(), stores[1].world());
}

/// Three processes append to one file. Each opened the ledger before any appended, so at least
/// two of them find their first append refused as a `Conflict`; they refresh and decide again,
/// and every lane is recorded exactly once, by its writer.
#[tokio::test]
async fn several_processes_append_optimistically_and_lose_nothing() {
    const WRITERS: [&str; 3] = ["a", "b", "c"];
    const LANES_EACH: usize = 15;
    if let Some(path) = child_ledger() {
        let name = std::env::var(CHILD_WRITER).unwrap();
        return append_lanes_deciding_again(&path, &name, LANES_EACH).await;
    }
    let ledger = Ledger::new();
    let mut writers: Vec<_> = WRITERS
        .iter()
        .map(|name| {
            let mut child = child_of(
                "several_processes_append_optimistically_and_lose_nothing",
                &ledger.path,
            )
            .env(CHILD_WRITER, name)
            .spawn()
            .unwrap();
            let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
            assert_eq!(read_until(&mut lines, "opened at "), "0");
            (child, lines)
        })
        .collect();
    std::fs::write(go_file(&ledger.path), "").unwrap();
    let mut conflicts = 0;
    for (child, lines) in &mut writers {
        conflicts += read_until(lines, "conflicts ").parse::<usize>().unwrap();
        assert!(child.wait().unwrap().success());
    }
    assert!(conflicts >= WRITERS.len() - 1, "{conflicts} conflicts");

    let store = ledger.open().await;
    let world = store.world();
    let mut commits = BTreeSet::new();
    for lane in world.lanes() {
        assert!(commits.insert(lane.commit.clone()), "{} twice", lane.commit);
        let writer = &lane.commit[..1];
        assert_eq!(
            lane.stages[0].reason.as_deref(),
            Some(format!("written by {writer}").as_str())
        );
    }
    let expected: BTreeSet<String> = WRITERS
        .iter()
        .flat_map(|name| (0..LANES_EACH).map(move |n| format!("{name}{n}")))
        .collect();
    assert_eq!(commits, expected);
    let events = all_events(&store).await;
    assert_eq!(events.len(), 2 * expected.len());
    assert_eq!(&replay(&events), world);
    assert_projection(&ledger.sql().await, world, &events).await;
}

/// A writer's part: opens the ledger, waits for the go, then appends `count` lanes, each on the
/// world it knows; a `Conflict` makes it refresh and decide again. Prints its conflicts.
async fn append_lanes_deciding_again(path: &Path, name: &str, count: usize) {
    let mut store = Store::open(path).await.unwrap();
    println!("opened at {}", store.last_event_id());
    wait_for_go(path).await;
    let mut sim = Sim::new();
    let mut conflicts = 0;
    for n in 0..count {
        loop {
            // The lane id depends on the world: a stale world gives a wrong one.
            let created = sim.lane_created(store.world(), &format!("{name}{n}"), "api");
            let waiting = Event::StageWaiting {
                lane: created.lane().expect("a lane event"),
                stage: 0,
                reason: format!("written by {name}"),
                at: sim.tick(),
            };
            match store.append(&[created, waiting]).await {
                Ok(()) => break,
                Err(StoreError::Conflict { .. }) => {
                    conflicts += 1;
                    store.refresh().await.unwrap();
                }
                Err(error) => panic!("{error:?}"),
            }
        }
    }
    println!("conflicts {conflicts}");
}

#[tokio::test]
async fn a_new_ledger_opened_by_several_processes_at_once_is_created_once() {
    const TEST: &str = "a_new_ledger_opened_by_several_processes_at_once_is_created_once";
    if let Some(path) = child_ledger() {
        println!("ready");
        wait_for_go(&path).await;
        let store = Store::open(&path).await.unwrap();
        println!("opened at {}", store.last_event_id());
        return;
    }
    let ledger = Ledger::new();
    let mut openers: Vec<_> = (0..4)
        .map(|_| {
            let mut child = child_of(TEST, &ledger.path).spawn().unwrap();
            let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
            read_until(&mut lines, "ready");
            (child, lines)
        })
        .collect();
    std::fs::write(go_file(&ledger.path), "").unwrap();
    for (child, lines) in &mut openers {
        assert_eq!(read_until(lines, "opened at "), "0");
        assert!(child.wait().unwrap().success());
    }
    let sql = ledger.sql().await;
    let migrations = std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/migrations"))
        .unwrap()
        .count();
    assert_eq!(
        count(&sql, "_sqlx_migrations").await,
        i64::try_from(migrations).unwrap()
    );
    let mode: String = sqlx::query_scalar("PRAGMA journal_mode")
        .fetch_one(&sql)
        .await
        .unwrap();
    assert_eq!(mode, "wal");
}

#[tokio::test]
async fn followers_page_through_the_events_after_an_id() {
    let ledger = Ledger::new();
    let mut store = ledger.open().await;
    Sim::new().busy_history(&mut store).await;
    let all = all_events(&store).await;
    let mut paged = Vec::new();
    let mut after = 0;
    loop {
        let page = store.events_after(after, 7).await.unwrap();
        let Some(last) = page.last() else { break };
        after = last.id;
        assert!(page.len() <= 7);
        paged.extend(page);
    }
    assert_eq!(paged, all);

    let lane = LaneId(1);
    let history = store.events_of_lane(lane).await.unwrap();
    let expected: Vec<_> = all
        .iter()
        .filter(|stored| stored.event.lane() == Some(lane))
        .cloned()
        .collect();
    assert_eq!(history, expected);
    assert_eq!(history[0].event.kind(), "lane_created");
}

#[tokio::test]
async fn runs_that_never_finished_are_found() {
    let ledger = Ledger::new();
    let store = ledger.open().await;
    let first = store.begin_run("c1", 4242, 10).await.unwrap();
    let second = store.begin_run("c2", 4343, 20).await.unwrap();
    assert!(second > first);
    store.finish_run(first, 30).await.unwrap();
    let unfinished = store.unfinished_runs().await.unwrap();
    assert_eq!(unfinished.len(), 1);
    let run = &unfinished[0];
    assert_eq!(
        (
            run.id,
            run.commit.as_str(),
            run.pid,
            run.started_at,
            run.finished_at
        ),
        (second, "c2", 4343, 20, None)
    );
    let error = store.finish_run(RunId(99), 40).await.unwrap_err();
    assert!(
        matches!(error, StoreError::UnknownRun { run: RunId(99), .. }),
        "{error:?}"
    );
    // Runs are kept across processes.
    let reopened = ledger.open().await;
    assert_eq!(reopened.unfinished_runs().await.unwrap(), unfinished);
}

/// A child appends until it is killed with SIGKILL; every append it acknowledged is in the
/// ledger, whole, and the file is sound.
#[tokio::test]
async fn acknowledged_appends_survive_kill_9() {
    if let Some(path) = child_ledger() {
        return append_until_killed(&path).await;
    }
    let ledger = Ledger::new();
    let mut child = child_of("acknowledged_appends_survive_kill_9", &ledger.path)
        .spawn()
        .unwrap();
    // Kept open until the kill, so that the child never sees a closed pipe.
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let acknowledged: Vec<(i64, String)> = (0..40)
        .map(|_| {
            let ack = read_until(&mut lines, "acknowledged ");
            let (id, commit) = ack.split_once(' ').unwrap();
            (id.parse().unwrap(), commit.to_owned())
        })
        .collect();
    // SIGKILL, in the middle of whatever append comes next.
    child.kill().unwrap();
    child.wait().unwrap();
    drop(lines);

    let store = ledger.open().await;
    let events = all_events(&store).await;
    let last = acknowledged.last().unwrap().0;
    assert!(store.last_event_id() >= last);
    let ids: BTreeSet<i64> = events.iter().map(|stored| stored.id).collect();
    for (id, commit) in &acknowledged {
        assert!(ids.contains(id), "acknowledged event {id} is missing");
        assert!(store.world().lane_of(commit, "api").is_some(), "{commit}");
    }
    // Each append is three events: all of a batch or none of it.
    assert_eq!(events.len() % 3, 0);
    let sql = ledger.sql().await;
    let integrity: String = sqlx::query_scalar("PRAGMA integrity_check")
        .fetch_one(&sql)
        .await
        .unwrap();
    assert_eq!(integrity, "ok");
    let violations: Vec<(String, i64, String, i64)> = sqlx::query_as("PRAGMA foreign_key_check")
        .fetch_all(&sql)
        .await
        .unwrap();
    assert!(violations.is_empty(), "{violations:?}");
    assert_projection(&sql, store.world(), &events).await;
}

/// The child's part: appends until killed, printing each acknowledged batch:
/// `acknowledged <id> <commit>`.
async fn append_until_killed(path: &Path) {
    let mut store = Store::open(path).await.unwrap();
    let mut sim = Sim::new();
    for n in 0.. {
        let commit = format!("c{n}");
        let created = sim.lane_created(store.world(), &commit, "api");
        let lane = created.lane().expect("a lane event");
        let batch = [
            created,
            Event::StageWaiting {
                lane,
                stage: 0,
                reason: "waiting for a runner".into(),
                at: sim.tick(),
            },
            Event::AttemptStarted {
                lane,
                stage: 0,
                attempt: 1,
                token: store.world().next_token(),
                deploying: false,
                at: sim.tick(),
            },
        ];
        store.append(&batch).await.unwrap();
        println!("acknowledged {} {commit}", store.last_event_id());
    }
}
