//! The acceptance queue, split by component: which changes a group of changes must wait for and
//! be tested on top of, and whether the intermediate commit it was built on still stands.

use lanes_manifest::QueueSplit;

use crate::{Change, ChangeId, World};

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

/// Whether `group`'s intermediate commit still stands: it was built for exactly this group on
/// the default branch's `tip` (or on commits descending from it), on every change still ahead
/// as that change is accepted now, and on no change that left the queue unmerged.
/// `is_ancestor(a, b)` says whether commit `a` is `b` or an ancestor of it.
#[must_use]
pub fn candidate_is_current(
    world: &World,
    plan: &QueuePlan,
    group: &[ChangeId],
    tip: &str,
    is_ancestor: impl Fn(&str, &str) -> bool,
) -> bool {
    let flow = world.flow();
    let Some(candidate) = group
        .first()
        .and_then(|id| flow.change(*id))
        .and_then(|change| change.candidate.as_ref())
    else {
        return false;
    };
    if candidate.group != group || !is_ancestor(tip, &candidate.commit) {
        return false;
    }
    let ahead_built_on = plan.ahead.iter().all(|id| {
        candidate.includes.contains(id)
            && flow
                .change(*id)
                .and_then(|change| change.candidate.as_ref())
                .is_some_and(|theirs| is_ancestor(&theirs.commit, &candidate.commit))
    });
    let none_evicted = candidate.includes.iter().all(|id| {
        flow.change(*id)
            .is_some_and(|change| !matches!(change.state, crate::ChangeState::Evicted { .. }))
    });
    ahead_built_on && none_evicted
}
