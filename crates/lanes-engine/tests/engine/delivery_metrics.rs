//! Delivery metrics folded from hand-written ledgers: every time is chosen, so every number is
//! known.

use lanes_engine::{
    AttemptOutcome, ChangeCommit, DeployChanges, Event, Failure, LaneId, Level, MetricsQuery, Role,
    StageState, World, delivery_metrics, deploys_to_explain,
};

const MINUTE: i64 = 60_000;
const HOUR: i64 = 60 * MINUTE;
const DAY: i64 = 24 * HOUR;

/// A ledger of one component, `api`, whose lanes walk `build` then `production`.
struct Ledger {
    world: World,
    changes: DeployChanges,
}

impl Ledger {
    fn new() -> Self {
        Self {
            world: World::new(),
            changes: DeployChanges::new(),
        }
    }

    fn apply(&mut self, event: &Event) {
        self.world.apply(event);
    }

    /// A lane of `commit` created at `at`, its build running 10 minutes.
    fn lane(&mut self, id: u64, commit: &str, at: i64) -> LaneId {
        let lane = LaneId(id);
        self.apply(&Event::LaneCreated {
            lane,
            commit: commit.into(),
            component: "api".into(),
            fingerprint: format!("fp-{commit}"),
            author: "Test <test@example.com>".into(),
            stages: vec!["build".into(), "production".into()],
            role: Role::Default,
            depth: id,
            at,
        });
        self.attempt(lane, 0, at, at + 10 * MINUTE);
        self.apply(&Event::StageFinished {
            lane,
            stage: 0,
            state: StageState::Succeeded,
            reason: None,
            flaky: false,
            at: at + 10 * MINUTE,
        });
        lane
    }

    fn attempt(&mut self, lane: LaneId, stage: usize, from: i64, until: i64) {
        self.apply(&Event::AttemptStarted {
            lane,
            stage,
            attempt: 1,
            token: lane.0 * 10 + stage as u64,
            deploying: stage == 1,
            at: from,
        });
        self.apply(&Event::AttemptFinished {
            lane,
            stage,
            attempt: 1,
            outcome: AttemptOutcome::Passed,
            at: until,
        });
    }

    fn wait(&mut self, lane: LaneId, reason: &str, at: i64) {
        self.apply(&Event::StageWaiting {
            lane,
            stage: 1,
            reason: reason.into(),
            at,
        });
    }

    /// The production stage runs from `from`, deploys 5 minutes later and passes: its version
    /// becomes production's last known good.
    fn deploy(&mut self, lane: LaneId, from: i64) -> i64 {
        let deployed = from + 5 * MINUTE;
        self.apply(&Event::AttemptStarted {
            lane,
            stage: 1,
            attempt: 1,
            token: lane.0 * 10 + 1,
            deploying: true,
            at: from,
        });
        self.apply(&Event::Deployed {
            lane,
            stage: 1,
            attempt: 1,
            environment: "production".into(),
            instance: "production".into(),
            at: deployed,
        });
        self.apply(&Event::AttemptFinished {
            lane,
            stage: 1,
            attempt: 1,
            outcome: AttemptOutcome::Passed,
            at: deployed,
        });
        self.apply(&Event::StageFinished {
            lane,
            stage: 1,
            state: StageState::Succeeded,
            reason: None,
            flaky: false,
            at: deployed,
        });
        let fingerprint = self.world.lane(lane).unwrap().fingerprint.clone();
        self.apply(&Event::BecameLastKnownGood {
            lane,
            environment: "production".into(),
            component: "api".into(),
            fingerprint,
            at: deployed,
        });
        deployed
    }

    fn rollback_to(&mut self, lane: LaneId, at: i64) {
        self.apply(&Event::RolledBack {
            lane,
            environment: "production".into(),
            instance: "production".into(),
            user: "alice".into(),
            token: None,
            at,
        });
    }

    fn brought(&mut self, commit: &str, changes: &[(&str, i64)]) {
        self.changes.insert(
            ("api".into(), commit.into()),
            changes
                .iter()
                .map(|(commit, at)| ChangeCommit {
                    commit: (*commit).into(),
                    at: *at,
                })
                .collect(),
        );
    }
}

fn query(since: i64, until: i64) -> MetricsQuery {
    MetricsQuery {
        environment: "production".into(),
        component: None,
        since,
        until,
    }
}

#[test]
fn lead_time_is_split_into_working_and_each_kind_of_waiting() {
    let mut ledger = Ledger::new();
    let lane = ledger.lane(1, "c2", HOUR);
    ledger.wait(
        lane,
        "waiting for approval (0 of 1) from alice",
        HOUR + 10 * MINUTE,
    );
    ledger.wait(lane, "waiting for approval (0 of 1) from alice", 2 * HOUR);
    ledger.wait(lane, "production is deploying api from 1234567", 3 * HOUR);
    let deployed = ledger.deploy(lane, 3 * HOUR + 30 * MINUTE);
    ledger.brought("c2", &[("c1", 0), ("c2", 30 * MINUTE)]);

    let metrics = delivery_metrics(&ledger.world, &query(0, DAY), &ledger.changes);
    let api = &metrics.components[0];
    assert_eq!(api.component, "api");
    assert_eq!(api.deploys, 1);
    assert_eq!(api.changes, 2);
    // c1 waited 3h35m, c2 3h05m: the median is between them.
    assert_eq!(deployed, 3 * HOUR + 35 * MINUTE);
    let lead = api.lead_time.unwrap();
    assert_eq!(lead.value, 3 * HOUR + 20 * MINUTE);
    assert_eq!(lead.level, Level::Elite);
    let parts = api.lead_time_breakdown;
    // The build's 10 minutes and the deploy's 5 are work; the approval held 1h50m, the lock
    // 30 minutes; each change spent 1h or 30 min before its lane, 45 minutes on average.
    assert_eq!(parts.working, 15 * MINUTE);
    assert_eq!(parts.waiting_approval, HOUR + 50 * MINUTE);
    assert_eq!(parts.waiting_lock, 30 * MINUTE);
    assert_eq!(parts.waiting_queue, 0);
    assert_eq!(parts.before_lane, 45 * MINUTE);
    assert_eq!(parts.between, 0);
    assert_eq!(
        parts.before_lane + parts.working + parts.waiting() + parts.between,
        lead.value
    );
    assert!(api.change_fail_rate.unwrap().value.abs() < 1e-9);
    assert_eq!(api.recovery_time, None);
}

#[test]
fn a_rolled_back_deploy_failed_and_recovered_when_the_rollback_landed() {
    let mut ledger = Ledger::new();
    let good = ledger.lane(1, "c1", 0);
    ledger.deploy(good, 20 * MINUTE);
    let bad = ledger.lane(2, "c2", DAY);
    let deployed = ledger.deploy(bad, DAY + 20 * MINUTE);
    ledger.rollback_to(good, deployed + 45 * MINUTE);
    let fixed = ledger.lane(3, "c3", 2 * DAY);
    ledger.deploy(fixed, 2 * DAY + 20 * MINUTE);

    let metrics = delivery_metrics(&ledger.world, &query(0, 4 * DAY), &ledger.changes);
    let api = &metrics.components[0];
    assert_eq!(api.deploys, 3);
    assert_eq!(api.rollbacks, 1);
    assert_eq!(api.failed_deploys, 1);
    let failed = &api.deployments[1];
    assert_eq!(failed.commit, "c2");
    assert_eq!(failed.failures, vec![Failure::RolledBack]);
    assert_eq!(failed.recovery, Some(45 * MINUTE));
    let rate = api.change_fail_rate.unwrap();
    assert!((rate.value - 1.0 / 3.0).abs() < 1e-9);
    assert_eq!(rate.level, Level::Low);
    let recovery = api.recovery_time.unwrap();
    assert_eq!(
        (recovery.value, recovery.level),
        (45 * MINUTE, Level::Elite)
    );
    assert_eq!(api.unrecovered, 0);
    // Three deploys and a rollback: the rollback is the rework.
    assert!((api.rework_rate.unwrap() - 0.25).abs() < 1e-9);
    // Three deploys in four days: more than weekly, less than daily.
    assert!((api.deployment_frequency.value - 0.75).abs() < 1e-9);
    assert_eq!(api.deployment_frequency.level, Level::High);
}

#[test]
fn a_version_marked_bad_with_no_good_deploy_after_it_is_unrecovered() {
    let mut ledger = Ledger::new();
    let lane = ledger.lane(1, "c1", 0);
    ledger.deploy(lane, 20 * MINUTE);
    ledger.apply(&Event::MarkedBad {
        lane,
        user: "alice".into(),
        reason: "corrupts orders".into(),
        token: None,
        at: HOUR,
    });

    let api = delivery_metrics(&ledger.world, &query(0, DAY), &ledger.changes)
        .components
        .remove(0);
    assert_eq!(api.deployments[0].failures, vec![Failure::MarkedBad]);
    assert_eq!(api.deployments[0].recovery, None);
    assert_eq!(api.unrecovered, 1);
    assert_eq!(api.recovery_time, None);
    assert!((api.change_fail_rate.unwrap().value - 1.0).abs() < 1e-9);
}

#[test]
fn a_deploy_a_hotfix_was_cut_from_failed_and_the_hotfix_deploy_is_rework() {
    let mut ledger = Ledger::new();
    let lane = ledger.lane(1, "c1", 0);
    ledger.deploy(lane, 20 * MINUTE);
    ledger.apply(&Event::HotfixCut {
        component: "api".into(),
        number: 1,
        branch: "hotfix/api/1".into(),
        tag: "api/production/1".into(),
        base: "c1".into(),
        at: HOUR,
    });
    ledger.apply(&Event::HotfixStarted {
        component: "api".into(),
        number: 1,
        commit: "h1".into(),
        at: HOUR + MINUTE,
    });
    let fix = ledger.lane(2, "h1", HOUR + MINUTE);
    let fixed = ledger.deploy(fix, HOUR + 20 * MINUTE);

    let api = delivery_metrics(&ledger.world, &query(0, DAY), &ledger.changes)
        .components
        .remove(0);
    assert_eq!(api.deployments[0].failures, vec![Failure::Hotfixed]);
    assert_eq!(api.deployments[0].recovery, Some(fixed - 25 * MINUTE));
    assert!(api.deployments[1].rework);
    assert!(api.deployments[1].failures.is_empty());
    assert!((api.rework_rate.unwrap() - 0.5).abs() < 1e-9);
}

#[test]
fn only_deploys_inside_the_window_count_and_each_is_explained_from_the_one_before() {
    let mut ledger = Ledger::new();
    let old = ledger.lane(1, "c1", 0);
    ledger.deploy(old, 20 * MINUTE);
    let new = ledger.lane(2, "c2", 10 * DAY);
    ledger.deploy(new, 10 * DAY + 20 * MINUTE);

    let window = query(5 * DAY, 12 * DAY);
    let asks = deploys_to_explain(&ledger.world, &window);
    assert_eq!(asks.len(), 1);
    assert_eq!(asks[0].commit, "c2");
    assert_eq!(asks[0].previous.as_deref(), Some("c1"));
    let everything = deploys_to_explain(&ledger.world, &query(0, 12 * DAY));
    assert_eq!(everything[0].previous, None);

    let api = delivery_metrics(&ledger.world, &window, &ledger.changes)
        .components
        .remove(0);
    assert_eq!(api.deploys, 1);
    assert_eq!(api.deployments[0].commit, "c2");
    // Without the changes from git there is no lead time, never a made-up one.
    assert_eq!(api.lead_time, None);
}

#[test]
fn a_component_with_no_deploy_is_low_and_has_no_rates() {
    let mut ledger = Ledger::new();
    ledger.lane(1, "c1", 0);
    let api = delivery_metrics(&ledger.world, &query(0, DAY), &ledger.changes)
        .components
        .remove(0);
    assert_eq!(api.deploys, 0);
    assert_eq!(api.deployment_frequency.level, Level::Low);
    assert_eq!(api.change_fail_rate, None);
    assert_eq!(api.rework_rate, None);
}

#[test]
fn levels_follow_the_dora_2023_thresholds() {
    assert_eq!(Level::of_frequency(30, 30 * DAY), Level::Elite);
    assert_eq!(Level::of_frequency(29, 30 * DAY), Level::High);
    assert_eq!(Level::of_frequency(4, 28 * DAY), Level::High);
    assert_eq!(Level::of_frequency(3, 28 * DAY), Level::Medium);
    assert_eq!(Level::of_frequency(1, 30 * DAY), Level::Medium);
    assert_eq!(Level::of_frequency(1, 31 * DAY), Level::Low);
    assert_eq!(Level::of_lead_time(DAY - 1), Level::Elite);
    assert_eq!(Level::of_lead_time(DAY), Level::High);
    assert_eq!(Level::of_lead_time(7 * DAY), Level::Medium);
    assert_eq!(Level::of_lead_time(30 * DAY), Level::Low);
    assert_eq!(Level::of_fail_rate(0.05), Level::Elite);
    assert_eq!(Level::of_fail_rate(0.10), Level::High);
    assert_eq!(Level::of_fail_rate(0.15), Level::Medium);
    assert_eq!(Level::of_fail_rate(0.16), Level::Low);
    assert_eq!(Level::of_recovery(HOUR - 1), Level::Elite);
    assert_eq!(Level::of_recovery(HOUR), Level::High);
    assert_eq!(Level::of_recovery(DAY), Level::Medium);
    assert_eq!(Level::of_recovery(7 * DAY), Level::Low);
}

#[test]
fn a_version_reaching_several_instances_is_one_deploy_and_holds_end_when_it_runs() {
    let mut ledger = Ledger::new();
    let lane = ledger.lane(1, "c1", 0);
    ledger.wait(lane, "queued for production behind 1234567", MINUTE * 20);
    ledger.wait(lane, "queued for production behind 1234567", MINUTE * 25);
    for instance in ["eu", "us"] {
        ledger.apply(&Event::Deployed {
            lane,
            stage: 1,
            attempt: 1,
            environment: "production".into(),
            instance: instance.into(),
            at: HOUR,
        });
    }
    let history = ledger.world.deploy_history("production", "api");
    assert_eq!(history.len(), 1);
    assert!(!history[0].rollback);
    let waits = &ledger.world.lane(lane).unwrap().stages[1].waits;
    assert_eq!(waits.len(), 1, "the same hold twice is one hold: {waits:?}");
    assert_eq!(waits[0].until, None, "it still waits: nothing ran yet");
    ledger.attempt(lane, 1, HOUR - 10 * MINUTE, HOUR);
    let waits = &ledger.world.lane(lane).unwrap().stages[1].waits;
    assert_eq!(waits[0].until, Some(HOUR - 10 * MINUTE));
}
