//! What the state directory keeps: the artifacts, logs and vectors of every version deployed
//! anywhere, last known good, a rollback's target or a component's last green; everything a
//! lane that has not ended (or a `lanes run` still running) uses; and whatever was touched
//! within the manifest's `retention.days`. Everything else may go (`lanes gc`).
//!
//! Asks the world only about its working set (deployments, last known good versions, each
//! component's lanes, lanes not ended): never every lane ever run. How old something is comes
//! from the files' modification times, which the caller reads.

use std::collections::{BTreeMap, BTreeSet};

use lanes_manifest::Manifest;
use serde::Serialize;

use crate::{Lane, LaneId, Millis, Role, World, instance_for, plan_rollback};

/// One thing the state directory holds, named by what it belongs to.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum StateItem {
    /// What a version's build wrote and every later stage deploys.
    Artifacts {
        component: String,
        fingerprint: String,
    },
    /// The logs of a lane's attempts.
    Logs { lane: LaneId },
    /// The version vectors a lane's deploys were given.
    Vectors { lane: LaneId },
    /// The working tree steps of a commit run in.
    Worktree { commit: String },
}

/// A state item as found on disk: when it was last touched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FoundItem {
    pub item: StateItem,
    pub modified: Millis,
}

/// Why an item is kept.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "reason", rename_all = "snake_case")]
pub enum KeepReason {
    /// The version is deployed in this environment instance.
    Deployed {
        environment: String,
        instance: String,
    },
    /// The environment's last known good version of the component.
    LastKnownGood { environment: String },
    /// What a rollback in the environment would deploy again.
    RollbackTarget { environment: String },
    /// The component's newest lane of this role that passed every stage.
    LastGreen { role: Role },
    /// A lane that has not ended (running, waiting, queued or needing a decision) uses it.
    Active { lane: LaneId },
    /// A `lanes run` of the commit has not finished.
    Running,
    /// Touched fewer than `retention.days` days ago.
    Recent,
}

impl KeepReason {
    /// The reason as one phrase, for people.
    #[must_use]
    pub fn describe(&self) -> String {
        match self {
            Self::Deployed {
                environment,
                instance,
            } => format!("deployed in {environment}/{instance}"),
            Self::LastKnownGood { environment } => format!("last known good in {environment}"),
            Self::RollbackTarget { environment } => {
                format!("what a rollback in {environment} deploys")
            }
            Self::LastGreen { role } => format!("last green {} lane", role.as_str()),
            Self::Active { lane } => format!("lane {} has not ended", lane.0),
            Self::Running => "a lanes run of the commit is running".to_owned(),
            Self::Recent => "touched within the retention window".to_owned(),
        }
    }
}

/// What becomes of one item found: kept for these reasons, or removed when there are none.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Judged {
    pub item: StateItem,
    pub kept: Vec<KeepReason>,
}

impl Judged {
    #[must_use]
    pub fn is_kept(&self) -> bool {
        !self.kept.is_empty()
    }
}

/// Judges every item `found`: what the world still holds (see the module's opening), the
/// worktrees of `running_commits` (commits a `lanes run` has not finished: it may be setting
/// up lanes the world does not show yet), and what was touched after `now` minus the
/// manifest's retention window.
#[must_use]
pub fn retention(
    world: &World,
    manifest: &Manifest,
    running_commits: &[String],
    found: &[FoundItem],
    now: Millis,
) -> Vec<Judged> {
    let held = held(world, manifest, running_commits);
    let since = now.saturating_sub(manifest.retention().millis());
    found
        .iter()
        .map(|found| {
            let mut kept = held.get(&found.item).cloned().unwrap_or_default();
            if found.modified >= since {
                kept.push(KeepReason::Recent);
            }
            Judged {
                item: found.item.clone(),
                kept,
            }
        })
        .collect()
}

/// Every item the world holds, with why.
fn held(
    world: &World,
    manifest: &Manifest,
    running_commits: &[String],
) -> BTreeMap<StateItem, Vec<KeepReason>> {
    let mut held: BTreeMap<StateItem, Vec<KeepReason>> = BTreeMap::new();
    // The manifest's environments and components, and every pair the world saw deployed (a
    // component or environment since removed from the manifest keeps what is deployed).
    let mut places: BTreeSet<(String, String)> = manifest
        .environments()
        .iter()
        .flat_map(|environment| {
            manifest
                .components()
                .iter()
                .map(|component| (environment.name.clone(), component.name.clone()))
        })
        .collect();
    places.extend(
        world
            .deploy_histories()
            .map(|(environment, component, _)| (environment.to_owned(), component.to_owned())),
    );
    for (environment, component) in &places {
        let instances: BTreeSet<String> = [
            instance_for(manifest, environment, component),
            "shared".to_owned(),
            component.clone(),
        ]
        .into();
        for instance in instances {
            if let Some(deployed) = world.deployment(environment, &instance, component) {
                hold_lane(
                    &mut held,
                    component,
                    &deployed.fingerprint,
                    deployed.lane,
                    &KeepReason::Deployed {
                        environment: environment.clone(),
                        instance,
                    },
                );
            }
        }
        if let Some(good) = world.last_known_good(environment, component) {
            hold_lane(
                &mut held,
                component,
                &good.fingerprint,
                good.lane,
                &KeepReason::LastKnownGood {
                    environment: environment.clone(),
                },
            );
        }
        if let Ok(rollback) = plan_rollback(world, manifest, component, environment) {
            hold_lane(
                &mut held,
                component,
                &rollback.target.fingerprint,
                rollback.target.lane,
                &KeepReason::RollbackTarget {
                    environment: environment.clone(),
                },
            );
        }
    }
    let components: BTreeSet<&str> = places
        .iter()
        .map(|(_, component)| component.as_str())
        .chain(manifest.components().iter().map(|c| c.name.as_str()))
        .collect();
    for component in components {
        hold_last_green(&mut held, world, component);
    }
    for lane in world.lanes().filter(|lane| !lane.has_ended()) {
        hold_lane(
            &mut held,
            &lane.component,
            &lane.fingerprint,
            lane.id,
            &KeepReason::Active { lane: lane.id },
        );
        held.entry(StateItem::Worktree {
            commit: lane.commit.clone(),
        })
        .or_default()
        .push(KeepReason::Active { lane: lane.id });
    }
    for commit in running_commits {
        held.entry(StateItem::Worktree {
            commit: commit.clone(),
        })
        .or_default()
        .push(KeepReason::Running);
    }
    held
}

/// Holds each role's newest lane of `component` that passed every stage.
fn hold_last_green(
    held: &mut BTreeMap<StateItem, Vec<KeepReason>>,
    world: &World,
    component: &str,
) {
    let mut green: Vec<(Role, &Lane)> = Vec::new();
    for lane in world.lanes_of_component(component).filter(|l| l.is_done()) {
        match green.iter_mut().find(|(role, _)| *role == lane.role) {
            Some((_, newest)) if lane.is_newer_than(newest) => *newest = lane,
            Some(_) => {}
            None => green.push((lane.role, lane)),
        }
    }
    for (role, lane) in green {
        hold_lane(
            held,
            &lane.component,
            &lane.fingerprint,
            lane.id,
            &KeepReason::LastGreen { role },
        );
    }
}

/// Holds a lane's version's artifacts, its logs and its vectors for `reason`.
fn hold_lane(
    held: &mut BTreeMap<StateItem, Vec<KeepReason>>,
    component: &str,
    fingerprint: &str,
    lane: LaneId,
    reason: &KeepReason,
) {
    for item in [
        StateItem::Artifacts {
            component: component.to_owned(),
            fingerprint: fingerprint.to_owned(),
        },
        StateItem::Logs { lane },
        StateItem::Vectors { lane },
    ] {
        let reasons = held.entry(item).or_default();
        if !reasons.contains(reason) {
            reasons.push(reason.clone());
        }
    }
}
