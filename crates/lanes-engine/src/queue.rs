//! The acceptance queue, split by component: which changes a group of changes must wait for and
//! be tested on top of, and whether the intermediate commit it was built on still stands.

use std::collections::BTreeMap;

use lanes_manifest::QueueSplit;

use crate::{Change, ChangeId, ChangeState, World};

/// Where a group of changes (one change, or the part of a batch under test) stands in the queue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueuePlan {
    /// Changes submitted earlier, still queued, that share a component with the group (every
    /// earlier one in a shared queue), oldest first; the group is tested on top of them and
    /// merges after them.
    pub ahead: Vec<ChangeId>,
}

impl QueuePlan {
    /// Nothing is ahead: the group's result is final and it may merge.
    #[must_use]
    pub fn at_front(&self) -> bool {
        self.ahead.is_empty()
    }
}

/// The queue as it concerns `group` (changes of one batch).
#[must_use]
pub fn queue_plan(world: &World, split: QueueSplit, group: &[ChangeId]) -> QueuePlan {
    let flow = world.flow();
    let members: Vec<&Change> = group.iter().filter_map(|id| flow.change(*id)).collect();
    let Some(first) = members.iter().map(|change| change.id).min() else {
        return QueuePlan { ahead: Vec::new() };
    };
    let batch = members[0].batch;
    let ahead = flow
        .changes()
        .filter(|other| other.id < first && other.batch != batch && other.is_queued())
        .filter(|other| {
            split == QueueSplit::Shared || members.iter().any(|member| member.overlaps(other))
        })
        .map(|other| other.id)
        .collect();
    QueuePlan { ahead }
}

/// Whether `group`'s intermediate commit still stands: it was built for exactly this group, on
/// every change still ahead, and on no change that left the queue unmerged. Neither the default
/// branch having moved since nor a change ahead having been accepted on a newer commit makes it
/// stale: the content of the group's components could only differ by a change sharing one of
/// them, which is ahead (and its eviction rebuilds the candidate), and what reaches the default
/// branch is judged once the group is at the front, by [`carry_gaps`].
#[must_use]
pub fn candidate_is_current(world: &World, plan: &QueuePlan, group: &[ChangeId]) -> bool {
    let flow = world.flow();
    let Some(candidate) = group
        .first()
        .and_then(|id| flow.change(*id))
        .and_then(|change| change.candidate.as_ref())
    else {
        return false;
    };
    if candidate.group != group {
        return false;
    }
    let ahead_built_on = plan.ahead.iter().all(|id| candidate.includes.contains(id));
    let none_evicted = candidate.includes.iter().all(|id| {
        flow.change(*id)
            .is_some_and(|change| !matches!(change.state, ChangeState::Evicted { .. }))
    });
    ahead_built_on && none_evicted
}

/// The components of `needed` (each with its fingerprint at the commit the group would merge
/// as: the new tip merged with the group) that the passed candidate `from` does not vouch for:
/// no lane of `from` holds the component at that fingerprint with every stage up to `last`
/// passed or unchanged. Empty means the candidate's result carries to that commit unchanged.
#[must_use]
pub fn carry_gaps(
    world: &World,
    from: &str,
    needed: &BTreeMap<String, String>,
    last: usize,
) -> Vec<String> {
    needed
        .iter()
        .filter(|(component, fingerprint)| {
            !world.lanes_of_commit(from).any(|lane| {
                &lane.component == *component
                    && &lane.fingerprint == *fingerprint
                    && lane.stages.len() > last
                    && lane.stages[..=last].iter().all(|run| run.state.is_green())
            })
        })
        .map(|(component, _)| component.clone())
        .collect()
}

/// The merged changes that moved the default branch since `group`'s candidate was built: those
/// merged as a commit for which `moved` holds (the caller answers with git: the tip has it and
/// the candidate does not).
#[must_use]
pub fn moved_by(world: &World, group: &[ChangeId], moved: impl Fn(&str) -> bool) -> Vec<ChangeId> {
    world
        .flow()
        .changes()
        .filter(|change| !group.contains(&change.id))
        .filter(
            |change| matches!(&change.state, ChangeState::Merged { commit, .. } if moved(commit)),
        )
        .map(|change| change.id)
        .collect()
}

/// Which changes of a failed `group` may have caused the failure of `failing` (the components
/// whose lanes failed): those affecting one of them. A change affecting none of them cannot
/// have made them red; when no member affects any (the failure came from the base), every
/// member stays a suspect.
#[must_use]
pub fn suspects(world: &World, group: &[ChangeId], failing: &[String]) -> Vec<ChangeId> {
    let flow = world.flow();
    let touching: Vec<ChangeId> = group
        .iter()
        .copied()
        .filter(|id| {
            flow.change(*id).is_some_and(|change| {
                change
                    .components
                    .iter()
                    .any(|component| failing.contains(component))
            })
        })
        .collect();
    if touching.is_empty() {
        group.to_vec()
    } else {
        touching
    }
}
