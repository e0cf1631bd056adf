//! What the state directory keeps, judged from hand-written ledgers: every item's reasons are
//! known.

use lanes_engine::{
    Event, FoundItem, Judged, KeepReason, LaneId, Role, StageState, StateItem, World, retention,
};
use lanes_manifest::Manifest;

const DAY: i64 = 24 * 60 * 60 * 1000;
const NOW: i64 = 100 * DAY;

const MANIFEST: &str = r"
version: 1
components:
  api: { path: api }
  web: { path: web }
environments:
  prod: {}
stages:
  - { name: build, run: [make] }
  - { name: production, environment: prod, deploy: deploy }
retention: { days: 14 }
";

struct Ledger {
    world: World,
}

impl Ledger {
    fn lane(&mut self, id: u64, component: &str, role: Role) -> LaneId {
        let lane = LaneId(id);
        self.world.apply(&Event::LaneCreated {
            lane,
            commit: format!("c{id}"),
            component: component.into(),
            fingerprint: format!("fp{id}"),
            author: "Test <test@example.com>".into(),
            stages: vec!["build".into(), "production".into()],
            role,
            depth: id,
            at: i64::try_from(id).unwrap(),
        });
        lane
    }

    fn finish(&mut self, lane: LaneId, index: usize, state: StageState) {
        self.world.apply(&Event::StageFinished {
            lane,
            stage: index,
            state,
            reason: None,
            flaky: false,
            at: 1,
        });
    }

    /// Builds and deploys `lane` to production, where it becomes last known good.
    fn deployed(&mut self, id: u64) -> LaneId {
        let lane = self.lane(id, "api", Role::Default);
        self.finish(lane, 0, StageState::Succeeded);
        self.world.apply(&Event::Deployed {
            lane,
            stage: 1,
            attempt: 1,
            environment: "prod".into(),
            instance: "shared".into(),
            at: 2,
        });
        self.finish(lane, 1, StageState::Succeeded);
        self.world.apply(&Event::BecameLastKnownGood {
            lane,
            environment: "prod".into(),
            component: "api".into(),
            fingerprint: format!("fp{id}"),
            at: 2,
        });
        lane
    }
}

/// api: lane 1 deployed long ago, lane 2 deployed after it, lane 3 deployed and now the last
/// known good, lane 4 red, lane 5 waiting to deploy; web: lane 6 a green proposed commit, lane 7
/// red.
fn ledger() -> World {
    let mut ledger = Ledger {
        world: World::new(),
    };
    ledger.deployed(1);
    ledger.deployed(2);
    ledger.deployed(3);
    let red = ledger.lane(4, "api", Role::Default);
    ledger.finish(red, 0, StageState::Failed);
    ledger.finish(red, 1, StageState::Canceled);
    let waiting = ledger.lane(5, "api", Role::Default);
    ledger.finish(waiting, 0, StageState::Succeeded);
    ledger.world.apply(&Event::StageWaiting {
        lane: waiting,
        stage: 1,
        reason: "waiting for approval".into(),
        at: 3,
    });
    let proposed = ledger.lane(6, "web", Role::Proposed);
    ledger.finish(proposed, 0, StageState::Succeeded);
    ledger.finish(proposed, 1, StageState::Skipped);
    let red_web = ledger.lane(7, "web", Role::Proposed);
    ledger.finish(red_web, 0, StageState::Failed);
    ledger.world
}

fn artifacts(component: &str, id: u64) -> StateItem {
    StateItem::Artifacts {
        component: component.into(),
        fingerprint: format!("fp{id}"),
    }
}

fn old(item: StateItem) -> FoundItem {
    FoundItem {
        item,
        modified: NOW - 30 * DAY,
    }
}

fn judge(world: &World, found: &[FoundItem], running: &[String]) -> Vec<Judged> {
    let manifest = Manifest::parse("lanes.yml", MANIFEST).unwrap();
    retention(world, &manifest, running, found, NOW)
}

fn reasons_of(judged: &[Judged], item: &StateItem) -> Vec<KeepReason> {
    judged
        .iter()
        .find(|judged| judged.item == *item)
        .unwrap_or_else(|| panic!("{item:?} judged"))
        .kept
        .clone()
}

#[test]
fn deployed_last_known_good_rollback_target_last_green_and_active_versions_are_kept() {
    let world = ledger();
    let found: Vec<FoundItem> = [
        ("api", 1),
        ("api", 2),
        ("api", 3),
        ("api", 4),
        ("api", 5),
        ("web", 6),
        ("web", 7),
    ]
    .into_iter()
    .flat_map(|(component, id)| {
        [
            old(artifacts(component, id)),
            old(StateItem::Logs { lane: LaneId(id) }),
            old(StateItem::Vectors { lane: LaneId(id) }),
        ]
    })
    .collect();
    let judged = judge(&world, &found, &[]);
    let prod = || "prod".to_owned();
    assert_eq!(
        reasons_of(&judged, &artifacts("api", 3)),
        [
            KeepReason::Deployed {
                environment: prod(),
                instance: "shared".into()
            },
            KeepReason::LastKnownGood {
                environment: prod()
            },
            KeepReason::LastGreen {
                role: Role::Default
            },
        ]
    );
    assert_eq!(
        reasons_of(&judged, &StateItem::Logs { lane: LaneId(2) }),
        [KeepReason::RollbackTarget {
            environment: prod()
        }]
    );
    assert_eq!(
        reasons_of(&judged, &StateItem::Vectors { lane: LaneId(5) }),
        [KeepReason::Active { lane: LaneId(5) }]
    );
    assert_eq!(
        reasons_of(&judged, &artifacts("web", 6)),
        [KeepReason::LastGreen {
            role: Role::Proposed
        }]
    );
    let removed: Vec<&StateItem> = judged
        .iter()
        .filter(|judged| !judged.is_kept())
        .map(|judged| &judged.item)
        .collect();
    assert_eq!(
        removed,
        [
            &artifacts("api", 1),
            &StateItem::Logs { lane: LaneId(1) },
            &StateItem::Vectors { lane: LaneId(1) },
            &artifacts("api", 4),
            &StateItem::Logs { lane: LaneId(4) },
            &StateItem::Vectors { lane: LaneId(4) },
            &artifacts("web", 7),
            &StateItem::Logs { lane: LaneId(7) },
            &StateItem::Vectors { lane: LaneId(7) },
        ]
    );
}

#[test]
fn worktrees_are_kept_for_lanes_not_ended_and_runs_not_finished_only() {
    let world = ledger();
    let worktree = |commit: &str| StateItem::Worktree {
        commit: commit.into(),
    };
    let found: Vec<FoundItem> = ["c1", "c3", "c4", "c5", "c6", "c9"]
        .into_iter()
        .map(|commit| old(worktree(commit)))
        .collect();
    let judged = judge(&world, &found, &["c9".to_owned()]);
    let kept: Vec<(&StateItem, &[KeepReason])> = judged
        .iter()
        .filter(|judged| judged.is_kept())
        .map(|judged| (&judged.item, judged.kept.as_slice()))
        .collect();
    // A deployed commit's worktree goes: a rollback checks the commit out again.
    assert_eq!(
        kept,
        [
            (
                &worktree("c5"),
                &[KeepReason::Active { lane: LaneId(5) }][..]
            ),
            (&worktree("c9"), &[KeepReason::Running][..]),
        ]
    );
}

#[test]
fn anything_touched_within_the_window_is_kept_and_the_window_ends_there() {
    let world = World::new();
    let at = |modified: i64| FoundItem {
        item: StateItem::Logs { lane: LaneId(1) },
        modified,
    };
    let edge = NOW - 14 * DAY;
    let judged = judge(&world, &[at(edge), at(edge - 1), at(NOW + DAY)], &[]);
    let kept: Vec<bool> = judged.iter().map(Judged::is_kept).collect();
    assert_eq!(kept, [true, false, true]);
    assert_eq!(judged[0].kept, [KeepReason::Recent]);
}

#[test]
fn an_interrupted_deploy_keeps_what_it_used_until_a_person_decides() {
    let mut ledger = Ledger {
        world: World::new(),
    };
    let lane = ledger.lane(1, "api", Role::Default);
    ledger.finish(lane, 0, StageState::Succeeded);
    ledger.world.apply(&Event::StageInterrupted {
        lane,
        stage: 1,
        reason: "the process running its deploy died".into(),
        at: 2,
    });
    let judged = judge(&ledger.world, &[old(artifacts("api", 1))], &[]);
    assert_eq!(judged[0].kept, [KeepReason::Active { lane }]);
}

#[test]
fn a_component_removed_from_the_manifest_keeps_what_is_deployed() {
    let mut ledger = Ledger {
        world: World::new(),
    };
    let lane = ledger.lane(1, "gone", Role::Default);
    ledger.finish(lane, 0, StageState::Succeeded);
    ledger.world.apply(&Event::Deployed {
        lane,
        stage: 1,
        attempt: 1,
        environment: "prod".into(),
        instance: "shared".into(),
        at: 2,
    });
    ledger.finish(lane, 1, StageState::Failed);
    let judged = judge(&ledger.world, &[old(artifacts("gone", 1))], &[]);
    assert_eq!(
        judged[0].kept,
        [KeepReason::Deployed {
            environment: "prod".into(),
            instance: "shared".into()
        }]
    );
}
