//! Where a commit stands on the path through git: the changes it is part of (their queue
//! position, intermediate branch and merge), its merge into the release branch, the tags of its
//! deploys and the hotfix it belongs to. `lanes status` prints it; its JSON form is a contract.

use lanes_manifest::QueueSplit;
use serde::Serialize;

use crate::{ChangeState, ForwardPort, Hotfix, ReleaseMerge, TagRecord, World, queue_plan};

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PathView {
    pub changes: Vec<ChangeView>,
    pub release: Option<ReleaseMerge>,
    pub tags: Vec<TagRecord>,
    pub hotfix: Option<Hotfix>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ChangeView {
    pub id: u64,
    pub branch: String,
    pub head: String,
    pub components: Vec<String>,
    /// `queued`, `merged` or `evicted`.
    pub state: &'static str,
    /// 1 at the front; only while queued.
    pub queue_position: Option<usize>,
    /// Changes ahead of it that it waits for.
    pub ahead: Vec<u64>,
    /// `lanes/accept/<id>` and its commit, once built.
    pub intermediate_branch: Option<String>,
    pub candidate: Option<String>,
    pub merge_commit: Option<String>,
    pub reason: Option<String>,
    /// Why it merged without running its stages again, when its passed candidate was carried
    /// onto a default branch that had moved: "accepted on candidate c1; main moved by #12,
    /// which touch none of its components".
    pub carried: Option<String>,
}

impl World {
    /// The path of `commit` through git.
    #[must_use]
    pub fn path_view(&self, commit: &str, split: QueueSplit) -> PathView {
        let flow = self.flow();
        let changes = flow
            .changes_at(commit)
            .map(|change| {
                let queued = change.is_queued();
                let ahead: Vec<u64> = if queued {
                    queue_plan(self, split, &[change.id])
                        .ahead
                        .iter()
                        .map(|id| id.0)
                        .collect()
                } else {
                    Vec::new()
                };
                let (state, merge_commit, reason) = match &change.state {
                    ChangeState::Queued => ("queued", None, None),
                    ChangeState::Merged { commit, .. } => ("merged", Some(commit.clone()), None),
                    ChangeState::Evicted { reason, .. } => ("evicted", None, Some(reason.clone())),
                };
                ChangeView {
                    id: change.id.0,
                    branch: change.branch.clone(),
                    head: change.head.clone(),
                    components: change.components.clone(),
                    state,
                    queue_position: queued.then_some(ahead.len() + 1),
                    ahead,
                    intermediate_branch: change.candidate.as_ref().map(|c| c.branch.clone()),
                    candidate: change.candidate.as_ref().map(|c| c.commit.clone()),
                    merge_commit,
                    reason,
                    carried: change.carried.as_ref().map(crate::Carried::provenance),
                }
            })
            .collect();
        PathView {
            changes,
            release: flow.release_merge(commit).cloned(),
            tags: self
                .tags()
                .iter()
                .filter(|tag| tag.commit == commit)
                .cloned()
                .collect(),
            hotfix: flow.hotfix_of(commit).cloned(),
        }
    }

    /// Hotfixes deployed to `production` whose fix has not reached the default branch yet.
    pub fn hotfixes_not_forward_ported<'a>(
        &'a self,
        production: &'a str,
    ) -> impl Iterator<Item = &'a Hotfix> + 'a {
        let flow = self.flow();
        flow.hotfixes().filter(move |hotfix| {
            let ported = matches!(
                &hotfix.forward_port,
                Some(ForwardPort::Submitted { change, .. })
                    if flow.change(*change).is_some_and(|c| matches!(c.state, ChangeState::Merged { .. }))
            );
            hotfix.deployed_to.iter().any(|env| env == production) && !ported
        })
    }
}
