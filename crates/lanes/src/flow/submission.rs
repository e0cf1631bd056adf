//! Putting changes into the acceptance queue: each branch's head, its author and the
//! components it affects against the default branch, recorded in the ledger. Submitting a
//! branch whose head is queued already resumes it.

use lanes_engine::{ChangeId, Event};
use lanes_git::CommitId;

use crate::change_detection::affected_between;
use crate::dispatch::now;
use crate::failure::Failure;
use crate::flow::Walk;
use crate::flow::driving::Driving;
use crate::ledger::{open, record};
use crate::workspace::required_manifest_at;

impl Walk<'_> {
    /// Queues `branches` as one batch (a single change when there is one) and returns their
    /// changes in queue order.
    /// `submitter` is who asks (`Name <email>`, or a token's name): one of the change's parties.
    pub(crate) async fn submit(
        &self,
        branches: &[String],
        submitter: &str,
    ) -> Result<Vec<ChangeId>, Failure> {
        let repo = &self.path.repo;
        let mut heads = Vec::new();
        for branch in branches {
            let head = self.path.branch(branch)?;
            let manifest = required_manifest_at(repo, head, branch)?;
            let default = manifest.branches().default.clone();
            let tip = self.path.tip(&default)?.ok_or_else(|| Failure::Refused {
                message: format!("the default branch `{default}` does not exist"),
                hint: Some(format!("push a `{default}` branch first")),
            })?;
            let from = repo.merge_base(tip, head)?;
            let (affected, _) = affected_between(repo, &manifest, tip, from, head)?;
            let components: Vec<String> = affected
                .components
                .into_iter()
                .map(|component| component.name)
                .collect();
            let author = repo.commit_info(head)?.author;
            heads.push((branch.clone(), head, author, components));
        }
        let (_, mut store) = open(repo, self.state).await?;
        let decide = |world: &lanes_engine::World| {
            let flow = world.flow();
            let mut next = flow.next_change_id();
            let mut batch = None;
            let mut events = Vec::new();
            for (branch, head, author, components) in &heads {
                if queued_as(world, branch, *head).is_some() {
                    continue;
                }
                let change = next;
                next = ChangeId(next.0 + 1);
                events.push(Event::ChangeSubmitted {
                    change,
                    branch: branch.clone(),
                    head: head.to_string(),
                    author: author.clone(),
                    submitted_by: submitter.to_owned(),
                    components: components.clone(),
                    batch: *batch.get_or_insert(change),
                    at: now(),
                });
            }
            events
        };
        record(&mut store, decide).await?;
        let world = store.world();
        let changes: Vec<ChangeId> = heads
            .iter()
            .filter_map(|(branch, head, ..)| queued_as(world, branch, *head))
            .collect();
        for (id, (branch, head, _, components)) in changes.iter().zip(&heads) {
            let touched = if components.is_empty() {
                "no component".to_owned()
            } else {
                components.join(", ")
            };
            self.output.say(&format!(
                "change {id}: {branch} at {} touches {touched}",
                head.short()
            ));
        }
        Ok(changes)
    }
}

impl Walk<'_> {
    /// The queued batches (each the queued changes submitted together, in queue order) that no
    /// live process drives; only those holding one of `only` when it names any.
    pub(crate) async fn undriven(&self, only: &[u64]) -> Result<Vec<Vec<ChangeId>>, Failure> {
        let (dir, store) = open(&self.path.repo, self.state).await?;
        let mut batches: Vec<Vec<ChangeId>> = Vec::new();
        for change in store.world().flow().changes().filter(|c| c.is_queued()) {
            match batches.last_mut() {
                Some(last)
                    if store.world().flow().change(last[0]).map(|c| c.batch)
                        == Some(change.batch) =>
                {
                    last.push(change.id);
                }
                _ => batches.push(vec![change.id]),
            }
        }
        let mut undriven = Vec::new();
        for batch in batches {
            if !only.is_empty() && !batch.iter().any(|id| only.contains(&id.0)) {
                continue;
            }
            if Driving::try_take(&dir, &batch)?.is_some() {
                undriven.push(batch);
            }
        }
        Ok(undriven)
    }
}

/// The queued change submitted from `branch` at `head`, if there is one.
fn queued_as(world: &lanes_engine::World, branch: &str, head: CommitId) -> Option<ChangeId> {
    let head = head.to_string();
    world
        .flow()
        .changes()
        .find(|change| change.is_queued() && change.branch == branch && change.head == head)
        .map(|change| change.id)
}
