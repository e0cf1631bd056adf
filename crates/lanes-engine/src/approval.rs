//! Approvals and rejections of a version waiting at a gated stage: the component's approvers
//! only, never the change's own author unless the environment allows it, each bound to the
//! exact version.

use lanes_manifest::{Gate, Manifest};

use crate::decision::{Decider, is_party, may_decide};
use crate::next_step::short;
use crate::{DecisionError, Event, Lane, Millis, StageState, World};

/// The lane of `component` waiting at `stage_name`: the given commit's, else the newest.
fn waiting_lane<'w>(
    world: &'w World,
    component: &str,
    stage_name: &str,
    commit: Option<&str>,
) -> Result<(&'w Lane, usize), DecisionError> {
    world
        .lanes()
        .filter(|lane| {
            lane.component == component
                && commit.is_none_or(|commit| lane.commit.starts_with(commit))
        })
        .filter_map(|lane| {
            let index = lane.stages.iter().position(|run| run.name == stage_name)?;
            let waiting = matches!(
                lane.stages[index].state,
                StageState::Pending | StageState::Waiting
            ) && lane.stages[..index].iter().all(|run| run.state.is_green());
            waiting.then_some((lane, index))
        })
        .next_back()
        .ok_or_else(|| DecisionError::NothingWaiting {
            component: component.to_owned(),
            stage: stage_name.to_owned(),
        })
}

/// The lane a person decides about: a component's lane waiting at a stage, the given commit's
/// or else the newest.
#[derive(Debug, Clone, Copy)]
pub struct GateTarget<'a> {
    pub component: &'a str,
    pub stage: &'a str,
    /// A commit id or a prefix of one.
    pub commit: Option<&'a str>,
}

/// Records `decider`'s approval of the version waiting at the target stage. `parties` are the
/// people who authored, committed or submitted the change the version brings (`Name <email>`,
/// or a bare user name for a submitter known by a token; empty: the lane's commit's author):
/// none of them may approve it unless the environment allows self-approval.
pub fn approve(
    world: &World,
    manifest: &Manifest,
    target: GateTarget<'_>,
    decider: Decider<'_>,
    parties: &[String],
    now: Millis,
) -> Result<Vec<Event>, DecisionError> {
    let user = decider.user;
    let GateTarget {
        component,
        stage: stage_name,
        commit,
    } = target;
    let definition = manifest
        .stages()
        .iter()
        .find(|stage| stage.name == stage_name)
        .ok_or_else(|| DecisionError::UnknownStage {
            stage: stage_name.to_owned(),
        })?;
    if definition.gate != Some(Gate::Approval) {
        return Err(DecisionError::NotGated {
            stage: stage_name.to_owned(),
        });
    }
    let environment = definition.environment.as_deref();
    may_decide(manifest, component, environment, decider)?;
    let (lane, index) = waiting_lane(world, component, stage_name, commit)?;
    let self_approval = environment
        .and_then(|name| manifest.environment(name))
        .is_some_and(|env| env.approval.self_approval);
    if !self_approval {
        let emails = manifest
            .emails_of(user)
            .ok_or_else(|| DecisionError::NoIdentity {
                user: user.to_owned(),
            })?;
        let lane_author = [lane.author.clone()];
        let parties = if parties.is_empty() {
            &lane_author[..]
        } else {
            parties
        };
        if let Some(party) = parties.iter().find(|party| is_party(emails, user, party)) {
            return Err(DecisionError::SelfApproval {
                user: user.to_owned(),
                commit: short(&lane.commit),
                party: party.clone(),
            });
        }
    }
    if world
        .approvers_of(component, index, &lane.fingerprint)
        .contains(&user)
    {
        return Err(DecisionError::AlreadyApproved {
            user: user.to_owned(),
            commit: short(&lane.commit),
        });
    }
    Ok(vec![Event::Approved {
        lane: lane.id,
        stage: index,
        fingerprint: lane.fingerprint.clone(),
        user: user.to_owned(),
        environment: environment.map(str::to_owned),
        token: decider.token(),
        at: now,
    }])
}

/// Ends the lane at the target stage with `user`'s reason.
pub fn reject(
    world: &World,
    manifest: &Manifest,
    target: GateTarget<'_>,
    decider: Decider<'_>,
    reason: &str,
    now: Millis,
) -> Result<Vec<Event>, DecisionError> {
    let GateTarget {
        component,
        stage: stage_name,
        commit,
    } = target;
    let user = decider.user;
    let environment = manifest
        .stages()
        .iter()
        .find(|stage| stage.name == stage_name)
        .and_then(|stage| stage.environment.clone());
    may_decide(manifest, component, environment.as_deref(), decider)?;
    let (lane, index) = waiting_lane(world, component, stage_name, commit)?;
    Ok(vec![
        Event::Rejected {
            lane: lane.id,
            stage: index,
            user: user.to_owned(),
            reason: reason.to_owned(),
            environment,
            token: decider.token(),
            at: now,
        },
        Event::StageFinished {
            lane: lane.id,
            stage: index,
            state: StageState::Failed,
            reason: Some(format!("rejected by {user}: {reason}")),
            flaky: false,
            at: now,
        },
    ])
}
