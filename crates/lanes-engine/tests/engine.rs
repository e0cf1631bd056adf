//! The decision core without processes, git or a database: a small simulator records the
//! events `next_step` returns and plays the runner's part.

use lanes_engine::{
    AttemptPlan, AttemptResult, Decider, DecisionError, DecisionKind, Event, GateTarget, Idle,
    LaneId, Next, StageState, World, approve, attempt_finished, deploy_finished, next_step,
    plan_rollback, recover, reject, retry_interrupted,
};
use lanes_manifest::Manifest;

const MANIFEST: &str = r"
version: 1
identities:
  alice: [alice@example.com]
  bob: [bob@example.com]
  carol: [carol@example.com]
  dave: [dave@example.com]
  dana: [dana@example.com]
components:
  api: { path: api, approvers: [alice, bob, carol] }
  web: { path: web, depends_on: [api], approvers: [alice, dave] }
environments:
  accept: { instances: per-component }
  test: { lock: newest-wins }
  staging: { lock: fifo }
  prod: { approval: { required: 2 } }
stages:
  - { name: pr, run: [build, test], retries: 1 }
  - { name: acceptance, environment: accept, deploy: deploy, run: [accept] }
  - { name: integration, environment: test, deploy: deploy, run: [e2e] }
  - { name: staging, environment: staging, deploy: deploy }
  - { name: production, environment: prod, deploy: deploy, gate: approval }
";

struct Sim {
    world: World,
    manifest: Manifest,
    now: i64,
    log: Vec<Event>,
}

impl Sim {
    fn new() -> Self {
        Self::with(MANIFEST)
    }

    fn with(manifest: &str) -> Self {
        Self {
            world: World::new(),
            manifest: Manifest::parse("lanes.yml", manifest).unwrap(),
            now: 0,
            log: Vec::new(),
        }
    }

    fn record(&mut self, events: Vec<Event>) {
        for event in events {
            self.world.apply(&event);
            self.log.push(event);
        }
    }

    fn lane(&mut self, commit: &str, component: &str, fingerprint: &str) -> LaneId {
        let lane = self.world.next_lane_id();
        let stages = self
            .manifest
            .stages()
            .iter()
            .map(|s| s.name.clone())
            .collect();
        self.record(vec![Event::LaneCreated {
            lane,
            commit: commit.into(),
            component: component.into(),
            fingerprint: fingerprint.into(),
            author: "Dana <dana@example.com>".into(),
            stages,
            role: lanes_engine::Role::Default,
            depth: 0,
            at: self.now,
        }]);
        lane
    }

    /// Advances a lane until it starts an attempt (returned) or has nothing to do.
    fn step(&mut self, lane: LaneId) -> Result<AttemptPlan, Idle> {
        loop {
            self.now += 1;
            match next_step(&self.world, &self.manifest, lane, self.now) {
                Next::Record(events) => self.record(events),
                Next::Start { events, plan } => {
                    self.record(events);
                    return Ok(*plan);
                }
                Next::Idle(idle) => return Err(idle),
            }
        }
    }

    fn finish(&mut self, plan: &AttemptPlan, result: AttemptResult) {
        self.now += 1;
        if plan.deploy.is_some() {
            let events = deploy_finished(
                &self.world,
                &self.manifest,
                plan.lane,
                plan.stage,
                plan.token,
                self.now,
            );
            self.record(events);
        }
        let events = attempt_finished(
            &self.world,
            &self.manifest,
            plan.lane,
            plan.stage,
            plan.token,
            result,
            self.now,
        );
        self.record(events);
    }

    /// Runs a lane, passing every attempt, until it has nothing to do.
    fn run(&mut self, lane: LaneId) -> Idle {
        loop {
            match self.step(lane) {
                Ok(plan) => self.finish(&plan, AttemptResult::Passed),
                Err(idle) => return idle,
            }
        }
    }

    fn states(&self, lane: LaneId) -> Vec<StageState> {
        self.world
            .lane(lane)
            .unwrap()
            .stages
            .iter()
            .map(|s| s.state)
            .collect()
    }

    fn reason(&self, lane: LaneId, stage: usize) -> String {
        self.world.lane(lane).unwrap().stages[stage]
            .reason
            .clone()
            .unwrap_or_default()
    }

    fn approve(&mut self, component: &str, user: &str) -> Result<(), DecisionError> {
        self.approve_commit(component, None, user)
    }

    fn approve_commit(
        &mut self,
        component: &str,
        commit: Option<&str>,
        user: &str,
    ) -> Result<(), DecisionError> {
        let target = GateTarget {
            component,
            stage: "production",
            commit,
        };
        let events = approve(
            &self.world,
            &self.manifest,
            target,
            Decider::local(user),
            &[],
            self.now,
        )?;
        self.record(events);
        Ok(())
    }
}

fn failed(detail: &str) -> AttemptResult {
    AttemptResult::Failed {
        step: 1,
        deploy: false,
        detail: detail.into(),
    }
}

use StageState::{Canceled, Failed, Pending, Succeeded, Unchanged, Waiting};

#[test]
fn a_red_lane_stops_alone_while_the_other_reaches_the_approval_gate() {
    let mut sim = Sim::new();
    let api = sim.lane("c1", "api", "fa1");
    let web = sim.lane("c1", "web", "fw1");
    for _ in 0..2 {
        let plan = sim.step(api).unwrap();
        sim.finish(&plan, failed("`test` exited with 1"));
    }
    assert_eq!(sim.step(api), Err(Idle::Stopped));
    assert_eq!(
        sim.states(api),
        [Failed, Canceled, Canceled, Canceled, Canceled]
    );
    assert_eq!(sim.reason(api, 3), "`pr` did not pass");
    assert_eq!(sim.run(web), Idle::Waiting);
    assert_eq!(
        sim.states(web),
        [Succeeded, Succeeded, Succeeded, Succeeded, Waiting]
    );
    assert_eq!(
        sim.reason(web, 4),
        "waiting for approval (0 of 2) from alice, dave"
    );
}

#[test]
fn a_pass_on_retry_is_flaky_not_hidden() {
    let mut sim = Sim::new();
    let api = sim.lane("c1", "api", "fa1");
    let first = sim.step(api).unwrap();
    sim.finish(&first, failed("`test` exited with 1"));
    assert_eq!(sim.states(api)[0], Pending);
    let second = sim.step(api).unwrap();
    assert_eq!((second.attempt, second.token > first.token), (2, true));
    sim.finish(&second, AttemptResult::Passed);
    let stage = &sim.world.lane(api).unwrap().stages[0];
    assert_eq!((stage.state, stage.flaky), (Succeeded, true));
    assert_eq!(stage.attempts.len(), 2);
}

#[test]
fn stages_that_deploy_are_never_retried() {
    let mut sim = Sim::new();
    let api = sim.lane("c1", "api", "fa1");
    let build = sim.step(api).unwrap();
    sim.finish(&build, AttemptResult::Passed);
    let accept = sim.step(api).unwrap();
    assert!(accept.deploy.is_some());
    sim.finish(
        &accept,
        AttemptResult::Failed {
            step: 0,
            deploy: true,
            detail: "deploy exited with 2".into(),
        },
    );
    assert_eq!(sim.states(api)[1], Failed);
    assert_eq!(sim.world.lock_holder("accept", "api"), None);
}

#[test]
fn a_version_that_passed_is_unchanged_with_provenance() {
    let mut sim = Sim::new();
    let first = sim.lane("c1", "api", "fa1");
    assert_eq!(sim.run(first), Idle::Waiting);
    let again = sim.lane("c2", "api", "fa1");
    assert_eq!(sim.run(again), Idle::Waiting);
    assert_eq!(
        sim.states(again),
        [Unchanged, Unchanged, Unchanged, Unchanged, Waiting]
    );
    let stage = &sim.world.lane(again).unwrap().stages[0];
    assert_eq!(stage.provenance.as_deref(), Some("c1"));
    assert_eq!(
        stage.reason.as_deref(),
        Some("unchanged since c1, which passed")
    );
    assert!(stage.attempts.is_empty());
}

#[test]
fn per_component_instances_hold_the_candidate_and_the_others_last_known_good() {
    let mut sim = Sim::new();
    let web = sim.lane("c1", "web", "fw1");
    assert_eq!(sim.run(web), Idle::Waiting);
    let api = sim.lane("c2", "api", "fa2");
    let build = sim.step(api).unwrap();
    sim.finish(&build, AttemptResult::Passed);
    let accept = sim.step(api).unwrap();
    let deploy = accept.deploy.unwrap();
    assert_eq!(
        (deploy.environment.as_str(), deploy.instance.as_str()),
        ("accept", "api")
    );
    let vector = &deploy.vector.components;
    assert!(vector["api"].candidate);
    assert_eq!(vector["api"].fingerprint, "fa2");
    assert_eq!(
        (vector["web"].fingerprint.as_str(), vector["web"].candidate),
        ("fw1", false)
    );
}

#[test]
fn newest_wins_drops_superseded_versions_and_never_deploys_older_over_newer() {
    let mut sim = Sim::new();
    let lanes: Vec<LaneId> = (1..=3)
        .map(|n| sim.lane(&format!("c{n}"), "api", &format!("fa{n}")))
        .collect();
    // All three pass `pr` and `acceptance`; the first holds the `test` lock.
    for lane in &lanes {
        for _ in 0..2 {
            let plan = sim.step(*lane).unwrap();
            sim.finish(&plan, AttemptResult::Passed);
        }
    }
    let holder = sim.step(lanes[0]);
    // The first is superseded by the newer lanes already waiting; the newest takes the lock.
    assert_eq!(holder, Err(Idle::Stopped));
    assert_eq!(sim.reason(lanes[0], 2), "superseded by the newer c3");
    assert_eq!(sim.step(lanes[1]), Err(Idle::Stopped));
    let newest = sim.step(lanes[2]).unwrap();
    assert_eq!(newest.deploy.as_ref().unwrap().environment, "test");
    sim.finish(&newest, AttemptResult::Passed);
    assert_eq!(
        sim.world
            .last_known_good("test", "api")
            .unwrap()
            .fingerprint,
        "fa3"
    );
}

#[test]
fn an_older_version_is_never_deployed_over_a_newer_one() {
    let mut sim = Sim::new();
    let older = sim.lane("c1", "api", "fa1");
    let newer = sim.lane("c2", "api", "fa2");
    // The newer lane gets through `acceptance` first; the older one's build was slower.
    for _ in 0..2 {
        let plan = sim.step(newer).unwrap();
        sim.finish(&plan, AttemptResult::Passed);
    }
    let build = sim.step(older).unwrap();
    sim.finish(&build, AttemptResult::Passed);
    assert_eq!(sim.step(older), Err(Idle::Stopped));
    assert_eq!(sim.states(older)[1], Canceled);
    assert_eq!(
        sim.reason(older, 1),
        "superseded: the newer c2 is already deployed to accept"
    );
}

const FIFO: &str = r"
version: 1
components:
  api: { path: api }
environments:
  staging: { lock: fifo }
stages:
  - { name: pr, run: [build] }
  - { name: staging, environment: staging, deploy: deploy }
";

#[test]
fn fifo_queues_deploys_in_order() {
    let mut sim = Sim::with(FIFO);
    let lanes: Vec<LaneId> = (1..=3)
        .map(|n| sim.lane(&format!("c{n}"), "api", &format!("fa{n}")))
        .collect();
    for lane in &lanes {
        let plan = sim.step(*lane).unwrap();
        sim.finish(&plan, AttemptResult::Passed);
    }
    let first = sim.step(lanes[0]).unwrap();
    assert_eq!(sim.step(lanes[1]), Err(Idle::Queued));
    assert_eq!(sim.reason(lanes[1], 1), "staging is deploying api from c1");
    sim.finish(&first, AttemptResult::Passed);
    assert_eq!(sim.step(lanes[2]), Err(Idle::Queued));
    assert_eq!(sim.reason(lanes[2], 1), "queued for staging behind c2");
    let second = sim.step(lanes[1]).unwrap();
    sim.finish(&second, AttemptResult::Passed);
    let third = sim.step(lanes[2]).unwrap();
    sim.finish(&third, AttemptResult::Passed);
    assert_eq!(
        sim.world
            .lkg_history("staging", "api")
            .iter()
            .map(|d| d.commit.as_str())
            .collect::<Vec<_>>(),
        ["c1", "c2", "c3"]
    );
}

#[test]
fn approvals_come_from_approvers_other_than_the_author_and_bind_to_the_version() {
    let mut sim = Sim::new();
    let api = sim.lane("c1", "api", "fa1");
    assert_eq!(sim.run(api), Idle::Waiting);
    assert!(matches!(
        sim.approve("api", "mallory"),
        Err(DecisionError::NotAnApprover { .. })
    ));
    assert!(matches!(
        sim.approve("api", "dana"),
        Err(DecisionError::NotAnApprover { .. })
    ));
    sim.approve("api", "alice").unwrap();
    assert!(matches!(
        sim.approve("api", "alice"),
        Err(DecisionError::AlreadyApproved { .. })
    ));
    assert_eq!(sim.step(api), Err(Idle::Waiting));
    assert_eq!(
        sim.reason(api, 4),
        "waiting for approval (1 of 2) from alice, bob, carol"
    );
    // A newer version does not inherit the approval.
    let newer = sim.lane("c2", "api", "fa2");
    assert_eq!(sim.run(newer), Idle::Waiting);
    assert_eq!(
        sim.reason(newer, 4),
        "waiting for approval (0 of 2) from alice, bob, carol"
    );
    sim.approve_commit("api", Some("c1"), "bob").unwrap();
    let plan = sim.step(api).unwrap();
    assert_eq!(plan.stage_name, "production");
    assert_eq!(sim.world.approvers_of("api", 4, "fa1"), ["alice", "bob"]);
    assert!(sim.world.approvers_of("api", 4, "fa2").is_empty());
}

#[test]
fn the_author_cannot_approve_their_own_change() {
    let mut sim =
        Sim::with(&MANIFEST.replace("approvers: [alice, bob, carol]", "approvers: [alice, dana]"));
    let api = sim.lane("c1", "api", "fa1");
    sim.run(api);
    assert!(matches!(
        sim.approve("api", "dana"),
        Err(DecisionError::SelfApproval { .. })
    ));
    let allowed = MANIFEST
        .replace("approvers: [alice, bob, carol]", "approvers: [alice, dana]")
        .replace("required: 2", "required: 1, self_approval: true");
    let mut sim = Sim::with(&allowed);
    let api = sim.lane("c1", "api", "fa1");
    sim.run(api);
    sim.approve("api", "dana").unwrap();
    assert_eq!(sim.run(api), Idle::Done);
}

#[test]
fn an_approver_lanes_cannot_identify_may_not_approve_unless_self_approval_is_allowed() {
    let manifest = MANIFEST.replace("  carol: [carol@example.com]\n", "");
    let mut sim = Sim::with(&manifest);
    let api = sim.lane("c1", "api", "fa1");
    sim.run(api);
    assert!(matches!(
        sim.approve("api", "carol"),
        Err(DecisionError::NoIdentity { .. })
    ));
    let allowed = manifest
        .replace("approvers: [alice, bob, carol]", "approvers: [carol]")
        .replace("required: 2", "required: 1, self_approval: true");
    let mut sim = Sim::with(&allowed);
    let api = sim.lane("c1", "api", "fa1");
    sim.run(api);
    sim.approve("api", "carol").unwrap();
    assert_eq!(sim.run(api), Idle::Done);
}

/// `alice <bob@example.com>` is bob's commit (matched by the email), never alice's (a name).
#[test]
fn every_party_of_a_change_is_refused_matched_by_email_alone() {
    let mut sim = Sim::new();
    let api = sim.lane("c1", "api", "fa1");
    sim.run(api);
    let parties = vec![
        "Dana <dana@example.com>".to_owned(),
        "alice <bob@example.com>".to_owned(),
        "carol".to_owned(),
    ];
    let approve_as = |sim: &Sim, user: &str| {
        let target = GateTarget {
            component: "api",
            stage: "production",
            commit: None,
        };
        approve(
            &sim.world,
            &sim.manifest,
            target,
            Decider::local(user),
            &parties,
            sim.now,
        )
    };
    match approve_as(&sim, "bob") {
        Err(DecisionError::SelfApproval { party, .. }) => {
            assert_eq!(party, "alice <bob@example.com>");
        }
        other => panic!("bob committed to the change: {other:?}"),
    }
    // A submitter known by a token name is matched by that name exactly.
    assert!(matches!(
        approve_as(&sim, "carol"),
        Err(DecisionError::SelfApproval { .. })
    ));
    let events = approve_as(&sim, "alice").unwrap();
    sim.record(events);
    assert_eq!(sim.world.approvers_of("api", 4, "fa1"), ["alice"]);
}

#[test]
fn an_environment_deciding_through_the_server_refuses_a_bare_user_name_and_records_the_token() {
    let manifest = MANIFEST.replace(
        "prod: { approval: { required: 2 } }",
        "prod: { approval: { required: 2 }, decisions: server }",
    );
    let mut sim = Sim::with(&manifest);
    let api = sim.lane("c1", "api", "fa1");
    sim.run(api);
    assert!(matches!(
        sim.approve("api", "alice"),
        Err(DecisionError::ServerOnly { .. })
    ));
    let target = GateTarget {
        component: "api",
        stage: "production",
        commit: None,
    };
    let through_server = Decider {
        user: "alice",
        token: Some("alice"),
    };
    let events = approve(&sim.world, &sim.manifest, target, through_server, &[], 7).unwrap();
    sim.record(events);
    let events = reject(
        &sim.world,
        &sim.manifest,
        target,
        Decider::local("bob"),
        "no",
        8,
    );
    assert!(matches!(events, Err(DecisionError::ServerOnly { .. })));
    let decisions = sim.world.decisions();
    assert_eq!(decisions.len(), 1);
    let decision = &decisions[0];
    assert_eq!(decision.kind, DecisionKind::Approve);
    assert_eq!(
        (
            decision.user.as_str(),
            decision.token.as_deref(),
            decision.environment.as_deref(),
            decision.stage.as_deref(),
            decision.commit.as_str(),
            decision.at,
        ),
        (
            "alice",
            Some("alice"),
            Some("prod"),
            Some("production"),
            "c1",
            7
        )
    );
}

#[test]
fn only_an_approver_retries_an_interrupted_deploy_and_the_retry_is_a_recorded_decision() {
    let mut sim = Sim::new();
    let api = sim.lane("c1", "api", "fa1");
    let build = sim.step(api).unwrap();
    sim.finish(&build, AttemptResult::Passed);
    let dead = sim.step(api).unwrap();
    let events = recover(&sim.world, &sim.manifest, &[api], 50);
    sim.record(events);
    assert!(matches!(
        retry_interrupted(
            &sim.world,
            &sim.manifest,
            api,
            dead.stage,
            Decider::local("ops"),
            60
        ),
        Err(DecisionError::NotAnApprover { .. })
    ));
    let events = retry_interrupted(
        &sim.world,
        &sim.manifest,
        api,
        dead.stage,
        Decider::local("bob"),
        60,
    )
    .unwrap();
    sim.record(events);
    let decision = sim.world.decisions().last().unwrap();
    assert_eq!(
        (
            decision.kind,
            decision.user.as_str(),
            decision.environment.as_deref()
        ),
        (DecisionKind::Retry, "bob", Some("accept"))
    );
}

#[test]
fn a_rejection_ends_the_lane_with_its_reason() {
    let mut sim = Sim::new();
    let api = sim.lane("c1", "api", "fa1");
    sim.run(api);
    let target = GateTarget {
        component: "api",
        stage: "production",
        commit: None,
    };
    let events = reject(
        &sim.world,
        &sim.manifest,
        target,
        Decider::local("bob"),
        "breaks billing",
        99,
    )
    .unwrap();
    sim.record(events);
    assert_eq!(sim.states(api)[4], Failed);
    assert_eq!(sim.reason(api, 4), "rejected by bob: breaks billing");
    assert_eq!(sim.step(api), Err(Idle::Stopped));
}

#[test]
fn after_a_crash_builds_run_again_and_deploys_wait_for_a_decision() {
    let mut sim = Sim::new();
    let api = sim.lane("c1", "api", "fa1");
    let web = sim.lane("c1", "web", "fw1");
    let build = sim.step(api).unwrap();
    let web_build = sim.step(web).unwrap();
    sim.finish(&web_build, AttemptResult::Passed);
    let deploy = sim.step(web).unwrap();
    // The process dies: both attempts are in flight.
    let events = recover(&sim.world, &sim.manifest, &[api, web], 50);
    sim.record(events);
    assert_eq!(sim.states(api)[0], Pending);
    assert_eq!(sim.states(web)[1], StageState::Interrupted);
    assert!(
        sim.reason(web, 1)
            .starts_with("lanes stopped during the deploy")
    );
    assert_eq!(sim.step(web), Err(Idle::NeedsDecision));
    // The dead attempts' late results are ignored.
    sim.finish(&build, AttemptResult::Passed);
    assert_eq!(sim.states(api)[0], Pending);
    let again = sim.step(api).unwrap();
    assert_eq!(again.attempt, 2);
    sim.finish(&again, AttemptResult::Passed);
    // An attempt a crash abandoned is no failure: the pass is not flaky.
    assert!(!sim.world.lane(api).unwrap().stages[0].flaky);
    // A person retries the deploy: it runs again, explicitly.
    let events = retry_interrupted(
        &sim.world,
        &sim.manifest,
        web,
        1,
        Decider::local("dave"),
        60,
    )
    .unwrap();
    sim.record(events);
    let redeploy = sim.step(web).unwrap();
    assert_eq!((redeploy.attempt, redeploy.deploy.is_some()), (2, true));
    assert_ne!(redeploy.token, deploy.token);
}

/// A deploy interrupted by a crash is retried as attempt 2; the dead attempt's late reports,
/// carrying its old fencing token, are refused and change nothing, passed or failed.
#[test]
fn a_deploy_result_with_a_stale_fencing_token_is_refused_and_changes_nothing() {
    let mut sim = Sim::new();
    let api = sim.lane("c1", "api", "fa1");
    let build = sim.step(api).unwrap();
    sim.finish(&build, AttemptResult::Passed);
    let dead = sim.step(api).unwrap();
    assert!(dead.deploy.is_some());
    let events = recover(&sim.world, &sim.manifest, &[api], 50);
    sim.record(events);
    let events = retry_interrupted(
        &sim.world,
        &sim.manifest,
        api,
        dead.stage,
        Decider::local("alice"),
        60,
    )
    .unwrap();
    sim.record(events);
    let live = sim.step(api).unwrap();
    assert_eq!((live.stage, live.attempt), (dead.stage, 2));
    assert_ne!(live.token, dead.token);

    let before = sim.world.clone();
    let stale_deploy = deploy_finished(&sim.world, &sim.manifest, api, dead.stage, dead.token, 70);
    assert_eq!(stale_deploy, []);
    for result in [AttemptResult::Passed, failed("the dead attempt's failure")] {
        let stale = attempt_finished(
            &sim.world,
            &sim.manifest,
            api,
            dead.stage,
            dead.token,
            result,
            70,
        );
        assert_eq!(stale, []);
    }
    assert_eq!(sim.world, before);
    assert!(sim.world.deployment("accept", "api", "api").is_none());

    // The live attempt's own report is taken.
    sim.finish(&live, AttemptResult::Passed);
    assert_eq!(sim.states(api)[dead.stage], Succeeded);
    let deployed = sim.world.deployment("accept", "api", "api").unwrap();
    assert_eq!(deployed.lane, api);
}

/// Approvals bind to the version: a new lane of the same fingerprint waiting at the gate has
/// them already; a lane of another fingerprint has none.
#[test]
fn approvals_carry_to_a_new_lane_of_the_same_fingerprint() {
    let mut sim = Sim::new();
    let first = sim.lane("c1", "api", "fa1");
    assert_eq!(sim.run(first), Idle::Waiting);
    sim.approve_commit("api", Some("c1"), "alice").unwrap();
    // The same version again (a revert, say), and another version.
    let same = sim.lane("c2", "api", "fa1");
    let other = sim.lane("c3", "api", "fa2");
    assert_eq!(sim.run(same), Idle::Waiting);
    assert_eq!(sim.run(other), Idle::Waiting);
    assert_eq!(
        sim.reason(same, 4),
        "waiting for approval (1 of 2) from alice, bob, carol"
    );
    assert_eq!(
        sim.reason(other, 4),
        "waiting for approval (0 of 2) from alice, bob, carol"
    );
    assert!(matches!(
        sim.approve_commit("api", Some("c2"), "alice"),
        Err(DecisionError::AlreadyApproved { .. })
    ));
    // The second approval, given on the new lane, lets the version through the gate.
    sim.approve_commit("api", Some("c2"), "bob").unwrap();
    let plan = sim.step(first).unwrap();
    assert_eq!(plan.stage_name, "production");
    assert_eq!(sim.step(other), Err(Idle::Waiting));
    assert_eq!(
        sim.reason(other, 4),
        "waiting for approval (0 of 2) from alice, bob, carol"
    );
}

#[test]
fn component_overrides_replace_the_lane_commands() {
    let mut sim = Sim::with(&MANIFEST.replace(
        "web: { path: web, depends_on: [api], approvers: [alice, dave] }",
        "web:\n    path: web\n    stages:\n      pr: { run: [npm test] }",
    ));
    let web = sim.lane("c1", "web", "fw1");
    let plan = sim.step(web).unwrap();
    assert_eq!(plan.steps, ["npm test"]);
    assert!(plan.builds_version);
}

#[test]
fn events_round_trip_through_json() {
    let mut sim = Sim::new();
    let api = sim.lane("c1", "api", "fa1");
    sim.run(api);
    let mut world = World::new();
    for event in &sim.log {
        let json = serde_json::to_string(event).unwrap();
        world.apply(&serde_json::from_str(&json).unwrap());
    }
    assert_eq!(world, sim.world);
}

#[test]
fn a_rollback_redeploys_the_previous_good_version_and_the_bad_one_never_comes_back() {
    let mut sim = Sim::with(FIFO);
    let good = sim.lane("c1", "api", "fa1");
    assert_eq!(sim.run(good), Idle::Done);
    let bad = sim.lane("c2", "api", "fa2");
    assert_eq!(sim.run(bad), Idle::Done);
    assert!(matches!(
        plan_rollback(&sim.world, &sim.manifest, "api", "prod"),
        Err(DecisionError::NoStageDeploysTo { .. })
    ));
    let plan = plan_rollback(&sim.world, &sim.manifest, "api", "staging").unwrap();
    assert_eq!(
        (plan.bad.commit.as_str(), plan.target.commit.as_str()),
        ("c2", "c1")
    );
    assert!(plan.deploy.vector.components["api"].candidate);
    assert_eq!(plan.deploy.vector.components["api"].fingerprint, "fa1");
    let events = vec![
        plan.mark_bad(Decider::local("ops"), "corrupts orders", 70),
        plan.rolled_back(Decider::local("ops"), 71),
    ];
    sim.record(events);
    assert_eq!(
        sim.world
            .last_known_good("staging", "api")
            .unwrap()
            .fingerprint,
        "fa1"
    );
    assert_eq!(
        sim.world
            .deployment("staging", "shared", "api")
            .unwrap()
            .commit,
        "c1"
    );
    assert_eq!(
        sim.world.bad_reason("api", "fa2"),
        Some("rolled back from staging by ops: corrupts orders")
    );
    // The bad version, built again by a later commit, is not promoted.
    let again = sim.lane("c3", "api", "fa2");
    assert_eq!(sim.run(again), Idle::Stopped);
    assert_eq!(sim.states(again), [Canceled, Canceled]);
    assert_eq!(
        sim.reason(again, 0),
        "version marked bad: rolled back from staging by ops: corrupts orders"
    );
    // c1 is current again and c2 is bad: there is nothing earlier to go back to.
    assert!(matches!(
        plan_rollback(&sim.world, &sim.manifest, "api", "staging"),
        Err(DecisionError::NoEarlierVersion { .. })
    ));
}

/// The acceptance queue and the path through git, as pure decisions.
#[path = "engine/delivery_metrics.rs"]
mod delivery_metrics;

#[path = "engine/retention.rs"]
mod retention;

mod queue {
    use std::collections::BTreeMap;

    use lanes_engine::{
        ChangeId, Event, Idle, Next, StageState, World, candidate_is_current, carry_gaps, moved_by,
        next_step, queue_plan, suspects,
    };
    use lanes_manifest::{Manifest, QueueSplit};

    /// One component walking acceptance in a per-component instance, then merging.
    const ACCEPTANCE: &str = r"
version: 1
components:
  api: { path: api }
environments:
  accept: { instances: per-component }
stages:
  - { name: pr, run: [build] }
  - { name: acceptance, environment: accept, deploy: deploy, run: [accept], on_success: merge-default }
";

    const FLOW: &str = r"
version: 1
branches: { default: main, release: release }
components:
  api: { path: api }
  web: { path: web }
  docs: { path: docs }
stages:
  - { name: pr, run: [build] }
  - { name: acceptance, run: [accept], on_success: merge-default }
  - { name: integration, run: [e2e], on_success: merge-release }
  - { name: production, run: [ship] }
";

    fn submitted(world: &mut World, id: u64, components: &[&str]) {
        world.apply(&Event::ChangeSubmitted {
            change: ChangeId(id),
            branch: format!("b{id}"),
            head: format!("head{id}"),
            author: "Dana <dana@example.com>".into(),
            submitted_by: "dana".into(),
            components: components.iter().map(|&c| c.to_owned()).collect(),
            batch: ChangeId(id),
            at: 0,
        });
    }

    fn built(world: &mut World, id: u64, commit: &str, includes: &[u64]) {
        world.apply(&Event::CandidateBuilt {
            group: vec![ChangeId(id)],
            commit: commit.into(),
            branch: format!("lanes/accept/{id}"),
            base: "tip".into(),
            includes: includes.iter().map(|&i| ChangeId(i)).collect(),
            at: 0,
        });
    }

    fn ahead(world: &World, split: QueueSplit, id: u64) -> Vec<u64> {
        queue_plan(world, split, &[ChangeId(id)])
            .ahead
            .iter()
            .map(|c| c.0)
            .collect()
    }

    #[test]
    fn only_changes_sharing_a_component_are_ahead_in_a_split_queue() {
        let mut world = World::new();
        submitted(&mut world, 1, &["api"]);
        submitted(&mut world, 2, &["web"]);
        submitted(&mut world, 3, &["api", "web"]);
        submitted(&mut world, 4, &["docs"]);
        assert_eq!(ahead(&world, QueueSplit::Component, 1), Vec::<u64>::new());
        assert_eq!(ahead(&world, QueueSplit::Component, 2), Vec::<u64>::new());
        assert_eq!(ahead(&world, QueueSplit::Component, 3), [1, 2]);
        assert_eq!(ahead(&world, QueueSplit::Component, 4), Vec::<u64>::new());
        assert_eq!(ahead(&world, QueueSplit::Shared, 4), [1, 2, 3]);
        // Once #1 leaves, #3 no longer waits for it.
        world.apply(&Event::ChangeEvicted {
            change: ChangeId(1),
            reason: "red".into(),
            at: 1,
        });
        assert_eq!(ahead(&world, QueueSplit::Component, 3), [2]);
    }

    #[test]
    fn a_candidate_built_on_an_evicted_change_no_longer_stands() {
        let mut world = World::new();
        submitted(&mut world, 1, &["api"]);
        submitted(&mut world, 2, &["api"]);
        built(&mut world, 1, "c1", &[]);
        built(&mut world, 2, "c2", &[1]);
        let plan = queue_plan(&world, QueueSplit::Component, &[ChangeId(2)]);
        assert!(candidate_is_current(&world, &plan, &[ChangeId(2)]));
        world.apply(&Event::ChangeEvicted {
            change: ChangeId(1),
            reason: "red".into(),
            at: 1,
        });
        let plan = queue_plan(&world, QueueSplit::Component, &[ChangeId(2)]);
        assert!(!candidate_is_current(&world, &plan, &[ChangeId(2)]));
    }

    #[test]
    fn a_candidate_was_rebuilt_whenever_a_change_ahead_was_accepted_on_a_newer_commit() {
        // The change ahead was rebuilt (for what moved under it): the content of the
        // components both share could only differ by a change sharing them, which would be
        // ahead of both; what lands is judged by fingerprint at the front.
        let mut moved = World::new();
        submitted(&mut moved, 1, &["api"]);
        submitted(&mut moved, 2, &["api"]);
        built(&mut moved, 1, "c1-rebuilt", &[]);
        built(&mut moved, 2, "c2", &[1]);
        let plan = queue_plan(&moved, QueueSplit::Component, &[ChangeId(2)]);
        assert!(candidate_is_current(&moved, &plan, &[ChangeId(2)]));
        // A change ahead it was not built on (submitted before it, built after) does.
        submitted(&mut moved, 3, &["api"]);
        built(&mut moved, 3, "c3", &[1, 2]);
        let mut late = moved.clone();
        late.apply(&Event::ChangeSubmitted {
            change: ChangeId(4),
            branch: "b4".into(),
            head: "head4".into(),
            author: "Dana <dana@example.com>".into(),
            submitted_by: "dana".into(),
            components: vec!["api".into()],
            batch: ChangeId(4),
            at: 0,
        });
        let plan = queue_plan(&late, QueueSplit::Component, &[ChangeId(3)]);
        assert!(candidate_is_current(&late, &plan, &[ChangeId(3)]));
    }

    /// The lane of `api` on the candidate commit `cand`.
    fn candidate_lane(world: &mut World, manifest: &Manifest) -> lanes_engine::LaneId {
        let lane = world.next_lane_id();
        world.apply(&Event::LaneCreated {
            lane,
            commit: "cand".into(),
            component: "api".into(),
            fingerprint: "f".into(),
            author: "Dana <dana@example.com>".into(),
            stages: manifest.stages().iter().map(|s| s.name.clone()).collect(),
            role: lanes_engine::Role::Candidate,
            depth: 0,
            at: 0,
        });
        lane
    }

    /// Records what `next_step` decides for the lane until it is idle.
    fn settle(world: &mut World, manifest: &Manifest, lane: lanes_engine::LaneId) -> Idle {
        for now in 0..50 {
            match next_step(world, manifest, lane, now) {
                Next::Record(events) => {
                    for event in &events {
                        world.apply(event);
                    }
                }
                Next::Start { events, plan } => {
                    for event in &events {
                        world.apply(event);
                    }
                    world.apply(&Event::AttemptFinished {
                        lane,
                        stage: plan.stage,
                        attempt: plan.attempt,
                        outcome: lanes_engine::AttemptOutcome::Passed,
                        at: now,
                    });
                    world.apply(&Event::StageFinished {
                        lane,
                        stage: plan.stage,
                        state: StageState::Succeeded,
                        reason: None,
                        flaky: false,
                        at: now,
                    });
                }
                Next::Idle(idle) => return idle,
            }
        }
        panic!("the lane never settled");
    }

    #[test]
    fn a_candidate_lane_waits_for_its_merge_and_then_for_the_release_merge() {
        let manifest = Manifest::parse("lanes.yml", FLOW).unwrap();
        let mut world = World::new();
        submitted(&mut world, 1, &["api"]);
        built(&mut world, 1, "cand", &[]);
        let lane = candidate_lane(&mut world, &manifest);
        assert_eq!(settle(&mut world, &manifest, lane), Idle::Waiting);
        let reason = world.lane(lane).unwrap().stages[2].reason.clone().unwrap();
        assert_eq!(reason, "waiting for change #1 to merge into main");

        world.apply(&Event::ChangeMerged {
            change: ChangeId(1),
            commit: "cand".into(),
            at: 1,
        });
        assert_eq!(settle(&mut world, &manifest, lane), Idle::Waiting);
        let reason = world.lane(lane).unwrap().stages[3].reason.clone().unwrap();
        assert_eq!(reason, "waiting for the merge into release");

        world.apply(&Event::ReleaseMerged {
            commit: "cand".into(),
            branch: "release".into(),
            release_commit: "r".into(),
            at: 2,
        });
        assert_eq!(settle(&mut world, &manifest, lane), Idle::Done);
    }

    #[test]
    fn a_candidate_lane_of_an_evicted_change_goes_no_further() {
        let manifest = Manifest::parse("lanes.yml", FLOW).unwrap();
        let mut world = World::new();
        submitted(&mut world, 1, &["api"]);
        built(&mut world, 1, "cand", &[]);
        world.apply(&Event::ChangeEvicted {
            change: ChangeId(1),
            reason: "web failed pr".into(),
            at: 1,
        });
        let lane = candidate_lane(&mut world, &manifest);
        assert_eq!(settle(&mut world, &manifest, lane), Idle::Stopped);
        // Not one stage more: nothing waits in acceptance for a change that left.
        let stages = &world.lane(lane).unwrap().stages;
        assert_eq!(stages[0].state, StageState::Canceled);
        assert_eq!(
            stages[0].reason.as_deref(),
            Some("change #1 left the queue: web failed pr")
        );
    }

    #[test]
    fn a_candidate_stands_when_main_moves_under_it() {
        // The old rule: a candidate was current only while it descended from the tip, so every
        // merge of an unrelated change made every candidate in flight stale and rebuilt.
        let mut world = World::new();
        submitted(&mut world, 1, &["api"]);
        submitted(&mut world, 2, &["web"]);
        built(&mut world, 1, "c1", &[]);
        built(&mut world, 2, "c2", &[]);
        world.apply(&Event::ChangeMerged {
            change: ChangeId(2),
            commit: "c2".into(),
            at: 1,
        });
        // main is now c2, which c1 does not descend from.
        let plan = queue_plan(&world, QueueSplit::Component, &[ChangeId(1)]);
        assert!(candidate_is_current(&world, &plan, &[ChangeId(1)]));
        assert_eq!(
            moved_by(&world, &[ChangeId(1)], |commit| commit == "c2"),
            [ChangeId(2)]
        );
        assert!(moved_by(&world, &[ChangeId(1)], |_| false).is_empty());
    }

    /// A candidate lane of `component` at `commit` with `fingerprint`, settled (every stage up
    /// to the merge passed; later ones wait for the merge).
    fn passed_lane(
        world: &mut World,
        manifest: &Manifest,
        commit: &str,
        component: &str,
        fingerprint: &str,
    ) -> lanes_engine::LaneId {
        let lane = world.next_lane_id();
        world.apply(&Event::LaneCreated {
            lane,
            commit: commit.into(),
            component: component.into(),
            fingerprint: fingerprint.into(),
            author: "Dana <dana@example.com>".into(),
            stages: manifest.stages().iter().map(|s| s.name.clone()).collect(),
            role: lanes_engine::Role::Candidate,
            depth: 0,
            at: 0,
        });
        settle(world, manifest, lane);
        lane
    }

    #[test]
    fn a_passed_candidate_carries_only_where_every_tested_fingerprint_is_the_same() {
        let manifest = Manifest::parse("lanes.yml", FLOW).unwrap();
        let mut world = World::new();
        submitted(&mut world, 1, &["api", "web"]);
        built(&mut world, 1, "c1", &[]);
        passed_lane(&mut world, &manifest, "c1", "api", "fa");
        passed_lane(&mut world, &manifest, "c1", "web", "fw");
        let at = |pairs: &[(&str, &str)]| -> BTreeMap<String, String> {
            pairs
                .iter()
                .map(|(c, f)| ((*c).to_owned(), (*f).to_owned()))
                .collect()
        };
        assert!(carry_gaps(&world, "c1", &at(&[("api", "fa"), ("web", "fw")]), 1).is_empty());
        // main moved by a change to web: only web differs, only web runs again.
        assert_eq!(
            carry_gaps(&world, "c1", &at(&[("api", "fa"), ("web", "fw2")]), 1),
            ["web"]
        );
        // A component the candidate never tested (a new dependent on main) is a gap.
        assert_eq!(
            carry_gaps(&world, "c1", &at(&[("api", "fa"), ("docs", "fd")]), 1),
            ["docs"]
        );
    }

    #[test]
    fn a_failing_candidate_does_not_carry() {
        let manifest = Manifest::parse("lanes.yml", FLOW).unwrap();
        let mut world = World::new();
        submitted(&mut world, 1, &["api"]);
        built(&mut world, 1, "c1", &[]);
        let lane = world.next_lane_id();
        world.apply(&Event::LaneCreated {
            lane,
            commit: "c1".into(),
            component: "api".into(),
            fingerprint: "fa".into(),
            author: "Dana <dana@example.com>".into(),
            stages: manifest.stages().iter().map(|s| s.name.clone()).collect(),
            role: lanes_engine::Role::Candidate,
            depth: 0,
            at: 0,
        });
        world.apply(&Event::StageFinished {
            lane,
            stage: 0,
            state: StageState::Failed,
            reason: Some("red".into()),
            flaky: false,
            at: 1,
        });
        let needed: BTreeMap<String, String> = [("api".to_owned(), "fa".to_owned())].into();
        assert_eq!(carry_gaps(&world, "c1", &needed, 1), ["api"]);
    }

    #[test]
    fn the_lanes_of_a_carried_candidate_say_where_the_change_merged_and_why() {
        let manifest = Manifest::parse("lanes.yml", FLOW).unwrap();
        let mut world = World::new();
        submitted(&mut world, 1, &["api"]);
        built(&mut world, 1, "cand", &[]);
        let lane = candidate_lane(&mut world, &manifest);
        settle(&mut world, &manifest, lane);
        world.apply(&Event::CandidateCarried {
            group: vec![ChangeId(1)],
            from_candidate: "cand".into(),
            to_commit: "carried0".into(),
            main_moved_by: vec![ChangeId(12), ChangeId(14)],
            fingerprints: BTreeMap::new(),
            at: 2,
        });
        world.apply(&Event::ChangeMerged {
            change: ChangeId(1),
            commit: "carried0".into(),
            at: 2,
        });
        assert_eq!(settle(&mut world, &manifest, lane), Idle::Stopped);
        assert_eq!(
            world.lane(lane).unwrap().stages[2].reason.as_deref(),
            Some(
                "change #1 merged as carried: accepted on candidate cand; main moved by #12, #14, \
                 which touch none of its components"
            )
        );
        let view = world.path_view("carried0", QueueSplit::Component);
        assert_eq!(
            view.changes[0].carried.as_deref(),
            Some(
                "accepted on candidate cand; main moved by #12, #14, which touch none of its \
                 components"
            )
        );
    }

    #[test]
    fn old_ledgers_without_carried_fields_still_read() {
        let event: Event = serde_json::from_str(
            r#"{"event":"candidate_carried","group":[1],"from_candidate":"a","to_commit":"b","at":3}"#,
        )
        .expect("an event without the defaulted fields reads");
        assert!(matches!(
            event,
            Event::CandidateCarried { ref main_moved_by, .. } if main_moved_by.is_empty()
        ));
    }

    #[test]
    fn an_acceptance_a_candidate_passed_stands_after_another_candidate_deployed_there() {
        // The old instance check: a deploy stage was unchanged only while the component's
        // instance still held that exact version, so candidates on one component overwrote
        // each other there and ran acceptance again until main held still.
        let manifest = Manifest::parse("lanes.yml", ACCEPTANCE).unwrap();
        let mut world = World::new();
        submitted(&mut world, 1, &["api"]);
        submitted(&mut world, 2, &["api"]);
        built(&mut world, 1, "c1", &[]);
        passed_lane(&mut world, &manifest, "c1", "api", "f1");
        built(&mut world, 2, "c2", &[]);
        passed_lane(&mut world, &manifest, "c2", "api", "f2");
        // c1 is rebuilt with the same inputs of api: its acceptance stands, though accept now
        // holds c2's version.
        built(&mut world, 1, "c1-again", &[]);
        let lane = passed_lane(&mut world, &manifest, "c1-again", "api", "f1");
        let stages = &world.lane(lane).unwrap().stages;
        assert_eq!(stages[0].state, StageState::Unchanged);
        assert_eq!(stages[1].state, StageState::Unchanged);
    }

    #[test]
    fn bisection_suspects_only_the_changes_affecting_the_failing_components() {
        let mut world = World::new();
        submitted(&mut world, 1, &["api"]);
        submitted(&mut world, 2, &["web"]);
        submitted(&mut world, 3, &["web", "docs"]);
        let group = [ChangeId(1), ChangeId(2), ChangeId(3)];
        assert_eq!(
            suspects(&world, &group, &["web".to_owned()]),
            [ChangeId(2), ChangeId(3)]
        );
        assert_eq!(suspects(&world, &group, &["api".to_owned()]), [ChangeId(1)]);
        // Red without any member touching it: the base is red, everyone stays suspect.
        assert_eq!(suspects(&world, &group, &["other".to_owned()]), group);
    }

    #[test]
    fn a_candidate_waiting_behind_a_slower_one_superseded_its_acceptance_by_deploying_first() {
        let manifest = Manifest::parse("lanes.yml", ACCEPTANCE).unwrap();
        let mut world = World::new();
        submitted(&mut world, 1, &["api"]);
        submitted(&mut world, 2, &["api"]);
        built(&mut world, 1, "c1", &[]);
        built(&mut world, 2, "c2", &[1]);
        let older = world.next_lane_id();
        world.apply(&Event::LaneCreated {
            lane: older,
            commit: "c1".into(),
            component: "api".into(),
            fingerprint: "f1".into(),
            author: "Dana <dana@example.com>".into(),
            stages: manifest.stages().iter().map(|s| s.name.clone()).collect(),
            role: lanes_engine::Role::Candidate,
            depth: 0,
            at: 0,
        });
        // The newer candidate (behind #1) passes acceptance first, deploying into accept.
        let newer = passed_lane(&mut world, &manifest, "c2", "api", "f2");
        world.apply(&Event::LockReleased {
            lane: newer,
            environment: "accept".into(),
            component: "api".into(),
            at: 1,
        });
        settle(&mut world, &manifest, older);
        let stages = &world.lane(older).unwrap().stages;
        assert_eq!(
            stages[1].state,
            StageState::Succeeded,
            "{:?}",
            stages[1].reason
        );
    }

    #[test]
    fn a_superseded_candidate_left_waiting_in_acceptance_held_the_environment_queue_for_ever() {
        let manifest = Manifest::parse("lanes.yml", ACCEPTANCE).unwrap();
        let mut world = World::new();
        submitted(&mut world, 1, &["api"]);
        built(&mut world, 1, "c1", &[]);
        let stale = world.next_lane_id();
        world.apply(&Event::LaneCreated {
            lane: stale,
            commit: "c1".into(),
            component: "api".into(),
            fingerprint: "f1".into(),
            author: "Dana <dana@example.com>".into(),
            stages: manifest.stages().iter().map(|s| s.name.clone()).collect(),
            role: lanes_engine::Role::Candidate,
            depth: 0,
            at: 0,
        });
        world.apply(&Event::StageFinished {
            lane: stale,
            stage: 0,
            state: StageState::Succeeded,
            reason: None,
            flaky: false,
            at: 0,
        });
        // #1 is accepted on a newer commit; nobody drives c1's lanes any more.
        built(&mut world, 1, "c1-again", &[]);
        let current = passed_lane(&mut world, &manifest, "c1-again", "api", "f2");
        assert_eq!(
            world.lane(current).unwrap().stages[1].state,
            StageState::Succeeded,
            "{:?}",
            world.lane(current).unwrap().stages[1].reason
        );
        // Asked about, the stale lane is canceled with the reason.
        settle(&mut world, &manifest, stale);
        let acceptance = &world.lane(stale).unwrap().stages[1];
        assert_eq!(acceptance.state, StageState::Canceled);
        assert!(
            acceptance
                .reason
                .as_deref()
                .unwrap()
                .starts_with("superseded"),
            "{:?}",
            acceptance.reason
        );
    }
}

/// What a terminal would act on is shown as text; lines, tabs and everything printable stay.
#[test]
fn control_characters_of_step_output_are_escaped() {
    let raw = "\u{1b}[31mred\u{1b}[0m\r\u{7}\u{7f}\u{9b}2J\u{0}\ttab\nnext line é \\x1b";
    assert_eq!(
        lanes_engine::escape_controls(raw),
        "\\x1b[31mred\\x1b[0m\\r\\x07\\x7f\\u{9b}2J\\x00\ttab\nnext line é \\x1b"
    );
    let plain = "a line\twith a tab\n";
    assert!(matches!(
        lanes_engine::escape_controls(plain),
        std::borrow::Cow::Borrowed(text) if text == plain
    ));
    let twice = lanes_engine::escape_controls(raw).into_owned();
    assert_eq!(
        lanes_engine::escape_controls(&twice),
        twice,
        "escaping is idempotent"
    );
}
