//! The projection tables of the path through git (changes, release merges, tags, hotfixes):
//! which rows a batch of events touched, written from the world the events made.

use std::collections::BTreeSet;

use lanes_engine::{ChangeId, ChangeState, Event, ForwardPort, World};
use sqlx::SqliteConnection;

#[derive(Debug, Default)]
pub(crate) struct FlowProjection {
    changes: BTreeSet<ChangeId>,
    releases: BTreeSet<String>,
    /// Tags added by the batch, by their names.
    tags: BTreeSet<String>,
    hotfixes: BTreeSet<(String, u64)>,
}

impl FlowProjection {
    pub(crate) fn record(&mut self, world: &World, event: &Event) {
        match event {
            Event::ChangeSubmitted { change, .. }
            | Event::ChangeMerged { change, .. }
            | Event::ChangeEvicted { change, .. } => {
                self.changes.insert(*change);
            }
            Event::CandidateBuilt { group, .. } | Event::CandidateCarried { group, .. } => {
                self.changes.extend(group.iter().copied());
            }
            Event::ReleaseMerged { commit, .. } => {
                self.releases.insert(commit.clone());
            }
            Event::Tagged { tag, .. } => {
                self.tags.insert(tag.clone());
            }
            Event::HotfixCut {
                component, number, ..
            }
            | Event::HotfixStarted {
                component, number, ..
            }
            | Event::HotfixForwardPorted {
                component, number, ..
            } => {
                self.hotfixes.insert((component.clone(), *number));
            }
            Event::Deployed { lane, .. } => {
                let hotfix = world
                    .lane(*lane)
                    .and_then(|lane| world.flow().hotfix_of(&lane.commit));
                if let Some(hotfix) = hotfix {
                    self.hotfixes
                        .insert((hotfix.component.clone(), hotfix.number));
                }
            }
            _ => {}
        }
    }

    pub(crate) async fn write(
        &self,
        conn: &mut SqliteConnection,
        world: &World,
    ) -> Result<(), sqlx::Error> {
        let flow = world.flow();
        for change in self.changes.iter().filter_map(|id| flow.change(*id)) {
            let (state, merged, reason, finished) = match &change.state {
                ChangeState::Queued => ("queued", None, None, None),
                ChangeState::Merged { commit, at } => ("merged", Some(commit), None, Some(*at)),
                ChangeState::Evicted { reason, at } => ("evicted", None, Some(reason), Some(*at)),
            };
            sqlx::query(
                "INSERT OR REPLACE INTO changes (id, branch, head, author, components, batch, \
                 state, candidate, candidate_branch, merged_commit, reason, submitted_at, \
                 finished_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            )
            .bind(change.id.0.cast_signed())
            .bind(&change.branch)
            .bind(&change.head)
            .bind(&change.author)
            .bind(json(&change.components))
            .bind(change.batch.0.cast_signed())
            .bind(state)
            .bind(change.candidate.as_ref().map(|c| &c.commit))
            .bind(change.candidate.as_ref().map(|c| &c.branch))
            .bind(merged)
            .bind(reason)
            .bind(change.submitted_at)
            .bind(finished)
            .execute(&mut *conn)
            .await?;
        }
        for commit in &self.releases {
            let Some(merge) = flow.release_merge(commit) else {
                continue;
            };
            sqlx::query(
                "INSERT OR REPLACE INTO release_merges (commit_id, branch, release_commit, at) \
                 VALUES (?, ?, ?, ?)",
            )
            .bind(commit)
            .bind(&merge.branch)
            .bind(&merge.release_commit)
            .bind(merge.at)
            .execute(&mut *conn)
            .await?;
        }
        for tag in world
            .tags()
            .iter()
            .filter(|tag| self.tags.contains(&tag.tag))
        {
            sqlx::query(
                "INSERT OR REPLACE INTO tags (tag, lane, component, environment, commit_id, at) \
                 VALUES (?, ?, ?, ?, ?, ?)",
            )
            .bind(&tag.tag)
            .bind(tag.lane.0.cast_signed())
            .bind(&tag.component)
            .bind(&tag.environment)
            .bind(&tag.commit)
            .bind(tag.at)
            .execute(&mut *conn)
            .await?;
        }
        for hotfix in flow
            .hotfixes()
            .filter(|h| self.hotfixes.contains(&(h.component.clone(), h.number)))
        {
            let (port_commit, port_change, conflict) = match &hotfix.forward_port {
                None => (None, None, None),
                Some(ForwardPort::Submitted { commit, change }) => {
                    (Some(commit.clone()), Some(change.0.cast_signed()), None)
                }
                Some(ForwardPort::Conflict { files }) => (None, None, Some(json(files))),
            };
            sqlx::query(
                "INSERT OR REPLACE INTO hotfixes (component, number, branch, tag, base, commits, \
                 deployed_to, forward_port_commit, forward_port_change, forward_port_conflict, \
                 cut_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            )
            .bind(&hotfix.component)
            .bind(hotfix.number.cast_signed())
            .bind(&hotfix.branch)
            .bind(&hotfix.tag)
            .bind(&hotfix.base)
            .bind(json(&hotfix.commits))
            .bind(json(&hotfix.deployed_to))
            .bind(port_commit)
            .bind(port_change)
            .bind(conflict)
            .bind(hotfix.cut_at)
            .execute(&mut *conn)
            .await?;
        }
        Ok(())
    }
}

fn json(list: &[String]) -> String {
    serde_json::to_string(list).expect("a list of strings serializes")
}
