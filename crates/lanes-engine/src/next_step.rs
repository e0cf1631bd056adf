//! The decision core: given the world and a lane, what happens next. Pure: no clock, no
//! processes, no database; the caller records the events it returns and runs the attempts.

use std::collections::BTreeMap;

use lanes_manifest::{Gate, Instances, LockPolicy, Manifest, OnSuccess, Stage};

use crate::flow_gate::{FlowGate, flow_gate};
use crate::{
    AttemptPlan, DeployPlan, Event, Lane, LaneId, Millis, Role, StageState, VectorEntry,
    VersionVector, World,
};

/// What to do about a lane now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Next {
    /// Record these events, then ask again.
    Record(Vec<Event>),
    /// Record these events, then run the attempt.
    Start {
        events: Vec<Event>,
        plan: Box<AttemptPlan>,
    },
    /// Nothing to do for this lane until something else happens.
    Idle(Idle),
}

/// Why a lane has nothing to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Idle {
    /// Every stage is green: the version reached the end of its lane.
    Done,
    /// An attempt is in flight.
    Running,
    /// Held by a person's gate (an approval); the stage says why.
    Waiting,
    /// Held by an environment lock or queue, which frees by itself; the stage says why.
    Queued,
    /// A stage failed or was canceled; the lane goes no further.
    Stopped,
    /// A deploy was interrupted; a person retries it or rolls back.
    NeedsDecision,
}

/// The instance of `environment` a component's lane deploys into.
#[must_use]
pub fn instance_for(manifest: &Manifest, environment: &str, component: &str) -> String {
    let per_component = manifest
        .environments()
        .iter()
        .any(|env| env.name == environment && env.instances == Instances::PerComponent);
    if per_component {
        component.to_owned()
    } else {
        "shared".to_owned()
    }
}

/// Decides the next move of one lane. `manifest` is the manifest the lane was created from.
#[must_use]
pub fn next_step(world: &World, manifest: &Manifest, id: LaneId, now: Millis) -> Next {
    let lane = world.lane(id).expect("the lane exists");
    if let Some(next) = after_stop(world, lane, now) {
        return next;
    }
    let Some(index) = lane.current_stage() else {
        return Next::Idle(Idle::Done);
    };
    match lane.stages[index].state {
        StageState::Running => return Next::Idle(Idle::Running),
        StageState::Interrupted => return Next::Idle(Idle::NeedsDecision),
        StageState::Pending | StageState::Waiting => {}
        StageState::Succeeded
        | StageState::Unchanged
        | StageState::Failed
        | StageState::Canceled
        | StageState::Skipped => {
            unreachable!("current_stage skips green stages and stopped lanes returned above")
        }
        StageState::Abandoned => unreachable!("only views hold abandoned stages"),
    }
    let stage = &manifest.stages()[index];
    let hold = |reason: String, idle: Idle| {
        let run = &lane.stages[index];
        if run.state == StageState::Waiting && run.reason.as_deref() == Some(reason.as_str()) {
            Next::Idle(idle)
        } else {
            Next::Record(vec![Event::StageWaiting {
                lane: id,
                stage: index,
                reason,
                at: now,
            }])
        }
    };
    let finish = |state: StageState, reason: String| {
        Next::Record(vec![Event::StageFinished {
            lane: id,
            stage: index,
            state,
            reason: Some(reason),
            flaky: false,
            at: now,
        }])
    };
    match flow_gate(world, manifest, lane, index) {
        Some(FlowGate::Hold(reason)) => return hold(reason, Idle::Waiting),
        Some(FlowGate::Cancel(reason)) => return finish(StageState::Canceled, reason),
        Some(FlowGate::Skip(reason)) => return finish(StageState::Skipped, reason),
        None => {}
    }
    if let Some(event) = unchanged(world, manifest, lane, index, stage, now) {
        return Next::Record(vec![event]);
    }
    if let Some(reason) = missing_approvals(world, manifest, lane, index, stage) {
        return hold(reason, Idle::Waiting);
    }
    let mut events = Vec::new();
    if let Some(environment) = &stage.environment {
        match environment_gate(world, manifest, lane, index, environment) {
            EnvironmentGate::Open { acquire } => {
                if acquire {
                    events.push(Event::LockAcquired {
                        lane: id,
                        environment: environment.clone(),
                        component: lane.component.clone(),
                        at: now,
                    });
                }
            }
            EnvironmentGate::Hold(reason) => return hold(reason, Idle::Queued),
            EnvironmentGate::Superseded(reason) => {
                return finish(StageState::Canceled, reason);
            }
        }
    }
    let plan = plan(world, manifest, lane, index, stage);
    events.push(Event::AttemptStarted {
        lane: id,
        stage: index,
        attempt: plan.attempt,
        token: plan.token,
        deploying: plan.deploy.is_some(),
        at: now,
    });
    Next::Start {
        events,
        plan: Box::new(plan),
    }
}

/// The same version already passed this stage: record it as unchanged, with provenance.
fn unchanged(
    world: &World,
    manifest: &Manifest,
    lane: &Lane,
    index: usize,
    stage: &Stage,
    now: Millis,
) -> Option<Event> {
    let passed = world
        .lanes_of_version(&lane.component, &lane.fingerprint)
        .filter(|other| other.id != lane.id)
        .find_map(|other| {
            let run = other.stages.iter().find(|run| run.name == stage.name)?;
            match run.state {
                StageState::Succeeded => Some(other.commit.clone()),
                StageState::Unchanged => run.provenance.clone(),
                _ => None,
            }
        })?;
    // A queue candidate's acceptance is a verdict on its version: another candidate of the
    // component deployed into the instance since does not undo it, and asking for the exact
    // version to still be there made candidates on one component overwrite each other and run
    // acceptance again until the default branch held still. Every other lane deploys for real,
    // so its stage is unchanged only while the environment still holds the version.
    let acceptance = in_acceptance(manifest, lane, index);
    if let Some(environment) = stage.environment.as_ref().filter(|_| !acceptance) {
        let instance = instance_for(manifest, environment, &lane.component);
        let deployed = world.deployment(environment, &instance, &lane.component)?;
        let good = world.last_known_good(environment, &lane.component)?;
        if deployed.fingerprint != lane.fingerprint || good.fingerprint != lane.fingerprint {
            return None;
        }
    }
    let reason = format!("unchanged since {}, which passed", short(&passed));
    Some(Event::StageUnchanged {
        lane: lane.id,
        stage: index,
        provenance: passed,
        reason,
        at: now,
    })
}

/// Whether stage `index` of `lane` is a queue candidate's acceptance (up to the stage whose
/// success merges): a test of the version, not a step of its way to production.
fn in_acceptance(manifest: &Manifest, lane: &Lane, index: usize) -> bool {
    lane.role == Role::Candidate
        && manifest
            .stage_with(OnSuccess::MergeDefault)
            .is_some_and(|merge| index <= merge)
}

/// Why an approval gate still holds, if it does.
fn missing_approvals(
    world: &World,
    manifest: &Manifest,
    lane: &Lane,
    index: usize,
    stage: &Stage,
) -> Option<String> {
    if stage.gate != Some(Gate::Approval) {
        return None;
    }
    let required = required_approvals(manifest, stage);
    let given = world.approvers_of(&lane.component, index, &lane.fingerprint);
    if given.len() >= required as usize {
        return None;
    }
    let component = manifest
        .find_component(&lane.component)
        .map(|id| manifest.component(id));
    let approvers = component
        .map(|c| c.approvers.join(", "))
        .unwrap_or_default();
    Some(if approvers.is_empty() {
        format!(
            "waiting for approval ({} of {required}); `{}` lists no approvers in lanes.yml",
            given.len(),
            lane.component
        )
    } else {
        format!(
            "waiting for approval ({} of {required}) from {approvers}",
            given.len()
        )
    })
}

/// Approvals a gated stage needs: its environment's rule, or one.
pub(crate) fn required_approvals(manifest: &Manifest, stage: &Stage) -> u32 {
    stage
        .environment
        .as_ref()
        .and_then(|name| manifest.environments().iter().find(|env| &env.name == name))
        .map_or(1, |env| env.approval.required)
}

enum EnvironmentGate {
    Open { acquire: bool },
    Hold(String),
    Superseded(String),
}

/// Locks, queue order and "never older over newer" for a stage that deploys.
fn environment_gate(
    world: &World,
    manifest: &Manifest,
    lane: &Lane,
    index: usize,
    environment: &str,
) -> EnvironmentGate {
    let instance = instance_for(manifest, environment, &lane.component);
    // Candidates are built in the order the queue decides, not in the order they reach
    // acceptance: one never supersedes another there (a change waiting behind a slower one
    // would otherwise cancel the acceptance of the change it waits for).
    let acceptance = in_acceptance(manifest, lane, index);
    if !acceptance
        && let Some(deployed) = world.deployment(environment, &instance, &lane.component)
        && world
            .lane(deployed.lane)
            .is_some_and(|holder| holder.is_newer_than(lane))
    {
        return EnvironmentGate::Superseded(format!(
            "superseded: the newer {} is already deployed to {environment}",
            short(&deployed.commit)
        ));
    }
    let policy = manifest
        .environments()
        .iter()
        .find(|env| env.name == environment)
        .map_or(LockPolicy::Fifo, |env| env.lock);
    let rivals: Vec<&Lane> = world
        .lanes()
        .filter(|other| other.id != lane.id && other.component == lane.component)
        .filter(|other| ready_at(world, manifest, other, &manifest.stages()[index]))
        .collect();
    if policy == LockPolicy::NewestWins
        && !acceptance
        && let Some(newer) = rivals
            .iter()
            .filter(|other| other.is_newer_than(lane))
            .max_by(|a, b| a.age_order(b))
    {
        return EnvironmentGate::Superseded(format!(
            "superseded by the newer {}",
            short(&newer.commit)
        ));
    }
    match world.lock_holder(environment, &lane.component) {
        Some(holder) if holder == lane.id => return EnvironmentGate::Open { acquire: false },
        Some(holder) => {
            let commit = world
                .lane(holder)
                .map_or_else(String::new, |holder| short(&holder.commit));
            return EnvironmentGate::Hold(format!(
                "{environment} is deploying {} from {commit}",
                lane.component
            ));
        }
        None => {}
    }
    if policy == LockPolicy::Fifo
        && let Some(older) = rivals
            .iter()
            .filter(|other| lane.is_newer_than(other))
            .min_by(|a, b| a.age_order(b))
    {
        return EnvironmentGate::Hold(format!(
            "queued for {environment} behind {}",
            short(&older.commit)
        ));
    }
    EnvironmentGate::Open { acquire: true }
}

/// Whether another lane stands ready at the same stage: earlier stages green, not finished,
/// and its approval gate (if any) satisfied.
fn ready_at(world: &World, manifest: &Manifest, lane: &Lane, stage: &Stage) -> bool {
    let Some(index) = lane.stages.iter().position(|run| run.name == stage.name) else {
        return false;
    };
    let earlier_green = lane.stages[..index].iter().all(|run| run.state.is_green());
    let open = matches!(
        lane.stages[index].state,
        StageState::Pending | StageState::Waiting | StageState::Running
    );
    earlier_green
        && open
        && missing_approvals(world, manifest, lane, index, stage).is_none()
        && !matches!(
            flow_gate(world, manifest, lane, index),
            Some(FlowGate::Cancel(_))
        )
}

/// The attempt to run: commands (the component's overrides first), deploy and vector.
fn plan(
    world: &World,
    manifest: &Manifest,
    lane: &Lane,
    index: usize,
    stage: &Stage,
) -> AttemptPlan {
    let overrides = manifest
        .find_component(&lane.component)
        .and_then(|id| manifest.component(id).stage_overrides.get(&stage.name));
    let steps = overrides
        .and_then(|o| o.run.clone())
        .unwrap_or_else(|| stage.run.clone());
    let deploy_command = overrides
        .and_then(|o| o.deploy.clone())
        .or_else(|| stage.deploy.clone());
    let deploy = stage.environment.as_ref().and_then(|environment| {
        let instance = instance_for(manifest, environment, &lane.component);
        let already = world
            .deployment(environment, &instance, &lane.component)
            .is_some_and(|d| d.lane == lane.id);
        if already {
            return None;
        }
        Some(DeployPlan {
            environment: environment.clone(),
            vector: vector(world, manifest, lane, environment, &instance),
            instance,
            command: deploy_command.clone().unwrap_or_default(),
        })
    });
    AttemptPlan {
        lane: lane.id,
        stage: index,
        stage_name: stage.name.clone(),
        attempt: u32::try_from(lane.stages[index].attempts.len()).unwrap_or(u32::MAX - 1) + 1,
        token: world.next_token(),
        component: lane.component.clone(),
        commit: lane.commit.clone(),
        fingerprint: lane.fingerprint.clone(),
        environment: stage.environment.as_ref().map(|environment| {
            (
                environment.clone(),
                instance_for(manifest, environment, &lane.component),
            )
        }),
        deploy,
        steps,
        builds_version: index == 0,
        timeout_seconds: stage.timeout_seconds,
    }
}

/// The version of every component the instance holds after deploying the candidate: in a
/// per-component instance the others are at their last known good versions, in a shared one
/// they stay as deployed.
fn vector(
    world: &World,
    manifest: &Manifest,
    lane: &Lane,
    environment: &str,
    instance: &str,
) -> VersionVector {
    let mut components = BTreeMap::new();
    for component in manifest.components() {
        let entry = if component.name == lane.component {
            Some(VectorEntry {
                commit: lane.commit.clone(),
                fingerprint: lane.fingerprint.clone(),
                candidate: true,
            })
        } else {
            let current = if instance == "shared" {
                world.deployment(environment, instance, &component.name)
            } else {
                world.last_known_good(environment, &component.name)
            };
            current.map(|d| VectorEntry {
                commit: d.commit.clone(),
                fingerprint: d.fingerprint.clone(),
                candidate: false,
            })
        };
        if let Some(entry) = entry {
            components.insert(component.name.clone(), entry);
        }
    }
    VersionVector {
        environment: environment.to_owned(),
        instance: instance.to_owned(),
        components,
    }
}

/// The short form of a commit id, as people read it.
pub(crate) fn short(commit: &str) -> String {
    commit.chars().take(7).collect()
}

/// A lane with a failed or canceled stage goes no further: its later stages are canceled.
fn after_stop(world: &World, lane: &Lane, now: Millis) -> Option<Next> {
    let stopped = lane
        .stages
        .iter()
        .position(|run| matches!(run.state, StageState::Failed | StageState::Canceled));
    let (from, cause) = match (
        world.bad_reason(&lane.component, &lane.fingerprint),
        stopped,
    ) {
        (Some(reason), _) => (0, format!("version marked bad: {reason}")),
        (None, Some(stopped)) => (
            stopped + 1,
            format!("`{}` did not pass", lane.stages[stopped].name),
        ),
        (None, None) => return None,
    };
    let events: Vec<Event> = lane
        .stages
        .iter()
        .enumerate()
        .skip(from)
        .filter(|(_, run)| matches!(run.state, StageState::Pending | StageState::Waiting))
        .map(|(stage, _)| Event::StageFinished {
            lane: lane.id,
            stage,
            state: StageState::Canceled,
            reason: Some(cause.clone()),
            flaky: false,
            at: now,
        })
        .collect();
    if !events.is_empty() {
        Some(Next::Record(events))
    } else if stopped.is_some() {
        Some(Next::Idle(Idle::Stopped))
    } else {
        None
    }
}
