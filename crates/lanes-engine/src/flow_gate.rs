//! What the path through git asks of a lane before a stage: a proposed commit skips every
//! stage but `proposed.stages`; a hotfix skips the stages hotfixes
//! do not walk; a candidate's lane goes past acceptance only once its change merged; in phase
//! 1, past integration only once the commit is in the release branch; and no production deploy
//! may lack a hotfix deployed there.

use lanes_manifest::{Manifest, OnSuccess};

use crate::next_step::short;
use crate::{ChangeState, Lane, Role, World};

pub(crate) enum FlowGate {
    /// Held until the flow moves (a merge happens).
    Hold(String),
    /// Never: the change left the queue or is accepted on another commit.
    Cancel(String),
    /// Not part of this lane.
    Skip(String),
}

pub(crate) fn flow_gate(
    world: &World,
    manifest: &Manifest,
    lane: &Lane,
    index: usize,
) -> Option<FlowGate> {
    let flow = world.flow();
    let stage = &manifest.stages()[index];
    if lane.role == Role::Proposed {
        if manifest.proposed_walks(&stage.name) {
            return None;
        }
        let walked = manifest.proposed_stages();
        let walks = if walked.is_empty() {
            "no stage".to_owned()
        } else {
            walked.join(", ")
        };
        return Some(FlowGate::Skip(format!(
            "a proposed commit walks only {walks}: it goes further once it reaches {} through the queue",
            manifest.branches().default
        )));
    }
    if let Some(hotfix) = flow.hotfix_of(&lane.commit) {
        if !manifest.hotfix_walks(&stage.name) {
            return Some(FlowGate::Skip(format!(
                "{} walks only the hotfix stages",
                hotfix.branch
            )));
        }
        return None;
    }
    // A candidate's lane walks only while its change is accepted on that very commit: once the
    // change moved to a newer candidate, left the queue or merged as another commit, every
    // stage not walked yet is canceled (one left waiting in acceptance would hold the
    // environment's queue for the lanes after it).
    if let Some(merge) = manifest.stage_with(OnSuccess::MergeDefault)
        && let Some(group) = flow.candidate_group(&lane.commit)
    {
        let changes: Vec<_> = group.iter().filter_map(|id| flow.change(*id)).collect();
        let merged = changes.iter().any(|change| {
            matches!(&change.state, ChangeState::Merged { commit, .. } if *commit == lane.commit)
        });
        if !merged {
            let accepted_here = changes.iter().find(|change| {
                change.is_queued()
                    && change
                        .candidate
                        .as_ref()
                        .is_some_and(|candidate| candidate.commit == lane.commit)
            });
            if let Some(change) = accepted_here {
                if index <= merge {
                    return None;
                }
                return Some(FlowGate::Hold(format!(
                    "waiting for change {} to merge into {}",
                    change.id,
                    manifest.branches().default
                )));
            }
            let reason = changes
                .iter()
                .find_map(|change| match (&change.state, &change.carried) {
                    (ChangeState::Evicted { reason, .. }, _) => {
                        Some(format!("change {} left the queue: {reason}", change.id))
                    }
                    (ChangeState::Merged { commit, .. }, Some(carried))
                        if carried.from_candidate == lane.commit =>
                    {
                        Some(format!(
                            "change {} merged as {}: {}",
                            change.id,
                            short(commit),
                            carried.provenance()
                        ))
                    }
                    _ => None,
                })
                .unwrap_or_else(|| {
                    format!(
                        "superseded: the change is accepted on a newer commit than {}",
                        short(&lane.commit)
                    )
                });
            return Some(FlowGate::Cancel(reason));
        }
    }
    // A candidate lanes' own queue did not build: a host's merge queue (GitHub's) tests it and
    // merges it once the checks pass. It walks up to the acceptance stage (or, without one,
    // what a proposed commit walks) and waits there: the merge moves it to the default branch.
    if lane.role == Role::Candidate && flow.candidate_group(&lane.commit).is_none() {
        let beyond = match manifest.stage_with(OnSuccess::MergeDefault) {
            Some(merge) => index > merge,
            None => !manifest.proposed_walks(&stage.name),
        };
        if beyond {
            return Some(FlowGate::Hold(format!(
                "waiting for the host's merge queue to merge it into {}",
                manifest.branches().default
            )));
        }
    }
    if let Some(release) = &manifest.branches().release
        && let Some(merge) = manifest.stage_with(OnSuccess::MergeRelease)
        && index > merge
        && flow.release_merge(&lane.commit).is_none()
    {
        return Some(FlowGate::Hold(format!(
            "waiting for the merge into {release}"
        )));
    }
    None
}

/// Why deploying `lane`'s version to production at stage `index` is refused: a hotfix of its
/// component is deployed there and the version lacks the fix. `contains(commit)` says
/// whether the lane's commit holds `commit` (is it or descends from it).
#[must_use]
pub fn missing_fix(
    world: &World,
    manifest: &Manifest,
    lane: &Lane,
    index: usize,
    contains: impl Fn(&str) -> bool,
) -> Option<String> {
    let environment = manifest.stages()[index].environment.as_deref()?;
    if manifest.production() != Some(environment) {
        return None;
    }
    let flow = world.flow();
    if flow.hotfix_of(&lane.commit).is_some() {
        return None;
    }
    let missing = flow.hotfixes().find(|hotfix| {
        hotfix.component == lane.component
            && hotfix.deployed_to.iter().any(|env| env == environment)
            && !hotfix.fix_commits().any(&contains)
    })?;
    Some(format!(
        "refused: {} lacks the fix of {} (deployed to {environment}); forward-port it first",
        short(&lane.commit),
        missing.branch
    ))
}
