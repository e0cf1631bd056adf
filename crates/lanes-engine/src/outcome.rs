//! What follows from an attempt's progress and end, and from finding attempts abandoned when
//! lanes starts again.

use lanes_manifest::Manifest;

use crate::next_step::{instance_for, short};
use crate::{AttemptOutcome, Event, Lane, LaneId, Millis, StageState, World};

/// How the runner says an attempt ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AttemptResult {
    Passed,
    /// Step `step` failed (the deploy is step 0 when there is one).
    Failed {
        step: usize,
        deploy: bool,
        detail: String,
    },
}

/// The lane and the number of the attempt running at `stage` with this fencing token; `None`
/// for a stale report (its attempt was abandoned and replaced, or has ended).
fn fenced(world: &World, lane: LaneId, stage: usize, token: u64) -> Option<(&Lane, u32)> {
    let attempt = world
        .running_attempt(lane, stage)
        .filter(|a| a.token == token)?;
    Some((world.lane(lane)?, attempt.number))
}

/// The attempt's deploy finished: the instance now holds the lane's version.
#[must_use]
pub fn deploy_finished(
    world: &World,
    manifest: &Manifest,
    lane: LaneId,
    stage: usize,
    token: u64,
    now: Millis,
) -> Vec<Event> {
    let Some((lane_data, number)) = fenced(world, lane, stage, token) else {
        return Vec::new();
    };
    let Some(environment) = manifest.stages()[stage].environment.clone() else {
        return Vec::new();
    };
    let instance = instance_for(manifest, &environment, &lane_data.component);
    vec![Event::Deployed {
        lane,
        stage,
        attempt: number,
        environment,
        instance,
        at: now,
    }]
}

/// The attempt ended. A result with a stale token (from an attempt abandoned and replaced) is
/// ignored. Failed builds and tests are attempted again up to the stage's `retries`; a failed
/// deploy never is, nor is any step of a stage that deploys.
#[must_use]
pub fn attempt_finished(
    world: &World,
    manifest: &Manifest,
    lane: LaneId,
    stage: usize,
    token: u64,
    result: AttemptResult,
    now: Millis,
) -> Vec<Event> {
    let Some((lane_data, number)) = fenced(world, lane, stage, token) else {
        return Vec::new();
    };
    let definition = &manifest.stages()[stage];
    let mut events = Vec::new();
    match result {
        AttemptResult::Passed => {
            events.push(Event::AttemptFinished {
                lane,
                stage,
                attempt: number,
                outcome: AttemptOutcome::Passed,
                at: now,
            });
            // A pass after a failure, not after an attempt abandoned by a crash.
            let flaky = failed_attempts(world, lane, stage) > 0;
            let reason = flaky.then(|| format!("flaky: passed on attempt {number}"));
            events.push(Event::StageFinished {
                lane,
                stage,
                state: StageState::Succeeded,
                reason,
                flaky,
                at: now,
            });
            if let Some(environment) = &definition.environment {
                events.push(Event::BecameLastKnownGood {
                    lane,
                    environment: environment.clone(),
                    component: lane_data.component.clone(),
                    fingerprint: lane_data.fingerprint.clone(),
                    at: now,
                });
                events.push(release(lane, environment, &lane_data.component, now));
            }
        }
        AttemptResult::Failed {
            step,
            deploy,
            detail,
        } => {
            let outcome = AttemptOutcome::Failed {
                step,
                deploy,
                detail: detail.clone(),
            };
            events.push(Event::AttemptFinished {
                lane,
                stage,
                attempt: number,
                outcome,
                at: now,
            });
            // This failure is not counted yet; abandoned attempts never count.
            let retryable = !deploy
                && definition.environment.is_none()
                && failed_attempts(world, lane, stage) < definition.retries;
            if retryable {
                let reason = format!("attempt {number} failed ({detail}); attempting again");
                events.push(Event::StageRetrying {
                    lane,
                    stage,
                    reason,
                    user: None,
                    environment: None,
                    token: None,
                    at: now,
                });
            } else {
                events.push(Event::StageFinished {
                    lane,
                    stage,
                    state: StageState::Failed,
                    reason: Some(detail),
                    flaky: false,
                    at: now,
                });
                if let Some(environment) = &definition.environment {
                    events.push(release(lane, environment, &lane_data.component, now));
                }
            }
        }
    }
    events
}

/// Attempts of a stage that failed (abandoned ones do not count against retries).
fn failed_attempts(world: &World, lane: LaneId, stage: usize) -> u32 {
    let attempts = world
        .lane(lane)
        .map_or(&[][..], |lane| lane.stages[stage].attempts.as_slice());
    let failed = attempts
        .iter()
        .filter(|attempt| matches!(attempt.outcome, Some(AttemptOutcome::Failed { .. })))
        .count();
    u32::try_from(failed).unwrap_or(u32::MAX)
}

fn release(lane: LaneId, environment: &str, component: &str, at: Millis) -> Event {
    Event::LockReleased {
        lane,
        environment: environment.to_owned(),
        component: component.to_owned(),
        at,
    }
}

/// Attempts that were running when lanes stopped (its process died): builds and tests are
/// attempted again; a deploy becomes interrupted and waits for a person, its lock held so that
/// nothing deploys over a half-finished deploy. `manifest` is the one the lanes were created
/// from (the lanes of one commit share it).
#[must_use]
pub fn recover(world: &World, manifest: &Manifest, lanes: &[LaneId], now: Millis) -> Vec<Event> {
    let mut events = Vec::new();
    for lane in lanes.iter().filter_map(|id| world.lane(*id)) {
        for (stage, run) in lane.stages.iter().enumerate() {
            let Some(attempt) = world.running_attempt(lane.id, stage) else {
                continue;
            };
            let during_deploy = attempt.deploying;
            let outcome = AttemptOutcome::Abandoned { during_deploy };
            events.push(Event::AttemptFinished {
                lane: lane.id,
                stage,
                attempt: attempt.number,
                outcome,
                at: now,
            });
            if during_deploy {
                let reason = format!(
                    "lanes stopped during the deploy of attempt {}; retry it (`lanes retry {} {}`) or roll back",
                    attempt.number, lane.component, run.name
                );
                events.push(Event::StageInterrupted {
                    lane: lane.id,
                    stage,
                    reason,
                    at: now,
                });
            } else {
                let reason = format!(
                    "attempt {} was abandoned when lanes stopped; attempting again",
                    attempt.number
                );
                events.push(Event::StageRetrying {
                    lane: lane.id,
                    stage,
                    reason,
                    user: None,
                    environment: None,
                    token: None,
                    at: now,
                });
                let environment = manifest
                    .stages()
                    .get(stage)
                    .and_then(|s| s.environment.clone());
                if let Some(environment) = environment {
                    events.push(release(lane.id, &environment, &lane.component, now));
                }
            }
        }
    }
    events
}

/// A person decided to run an interrupted stage again.
pub fn retry_interrupted(
    world: &World,
    manifest: &lanes_manifest::Manifest,
    lane: LaneId,
    stage: usize,
    decider: crate::Decider<'_>,
    now: Millis,
) -> Result<Vec<Event>, crate::DecisionError> {
    let lane_data = world.lane(lane).ok_or(crate::DecisionError::UnknownLane)?;
    let run = &lane_data.stages[stage];
    let environment = manifest
        .stages()
        .get(stage)
        .and_then(|definition| definition.environment.clone());
    crate::may_decide(
        manifest,
        &lane_data.component,
        environment.as_deref(),
        decider,
    )?;
    if run.state != StageState::Interrupted {
        return Err(crate::DecisionError::NotInterrupted {
            component: lane_data.component.clone(),
            stage: run.name.clone(),
            state: run.state,
        });
    }
    let user = decider.user;
    let reason = format!(
        "retried by {user} after an interrupted deploy of {}",
        short(&lane_data.commit)
    );
    Ok(vec![Event::StageRetrying {
        lane,
        stage,
        reason,
        user: Some(user.to_owned()),
        environment,
        token: decider.token(),
        at: now,
    }])
}
