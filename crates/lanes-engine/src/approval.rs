//! Approvals and rejections of a version waiting at a gated stage: the component's approvers
//! only, never the change's own author unless the environment allows it, each bound to the
//! exact version.

use lanes_manifest::{Gate, Manifest};

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

/// Whether `user` wrote the change (`author` is `Name <email>`).
fn is_author(user: &str, author: &str) -> bool {
    let (name, email) = match author.split_once(" <") {
        Some((name, email)) => (name.trim(), email.trim_end_matches('>')),
        None => (author.trim(), ""),
    };
    let local = email.split('@').next().unwrap_or_default();
    [name, email, local]
        .iter()
        .any(|candidate| !candidate.is_empty() && candidate.eq_ignore_ascii_case(user))
}

/// Refuses `user` unless they are one of the component's approvers: approving, rejecting,
/// retrying an interrupted deploy and rolling back are decisions of theirs alone.
pub fn may_decide(manifest: &Manifest, component: &str, user: &str) -> Result<(), DecisionError> {
    let id = manifest
        .find_component(component)
        .ok_or_else(|| DecisionError::UnknownComponent {
            component: component.to_owned(),
        })?;
    let approvers = &manifest.component(id).approvers;
    if approvers.iter().any(|approver| approver == user) {
        return Ok(());
    }
    Err(DecisionError::NotAnApprover {
        user: user.to_owned(),
        component: component.to_owned(),
        approvers: approvers.join(", "),
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

/// Records `user`'s approval of the version waiting at the target stage.
pub fn approve(
    world: &World,
    manifest: &Manifest,
    target: GateTarget<'_>,
    user: &str,
    now: Millis,
) -> Result<Vec<Event>, DecisionError> {
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
    may_decide(manifest, component, user)?;
    let (lane, index) = waiting_lane(world, component, stage_name, commit)?;
    let self_approval = definition
        .environment
        .as_ref()
        .and_then(|name| manifest.environments().iter().find(|env| &env.name == name))
        .is_some_and(|env| env.approval.self_approval);
    if !self_approval && is_author(user, &lane.author) {
        return Err(DecisionError::SelfApproval {
            user: user.to_owned(),
            commit: short(&lane.commit),
        });
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
        at: now,
    }])
}

/// Ends the lane at the target stage with `user`'s reason.
pub fn reject(
    world: &World,
    manifest: &Manifest,
    target: GateTarget<'_>,
    user: &str,
    reason: &str,
    now: Millis,
) -> Result<Vec<Event>, DecisionError> {
    let GateTarget {
        component,
        stage: stage_name,
        commit,
    } = target;
    may_decide(manifest, component, user)?;
    let (lane, index) = waiting_lane(world, component, stage_name, commit)?;
    Ok(vec![
        Event::Rejected {
            lane: lane.id,
            stage: index,
            user: user.to_owned(),
            reason: reason.to_owned(),
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

#[cfg(test)]
mod tests {
    use super::is_author;

    #[test]
    fn authors_are_recognized_by_name_email_or_user_part() {
        assert!(is_author("alice", "Alice <alice@example.com>"));
        assert!(is_author(
            "alice@example.com",
            "Alice Smith <alice@example.com>"
        ));
        assert!(!is_author("bob", "Alice <alice@example.com>"));
    }
}
