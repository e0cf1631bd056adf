//! Following a commit's lanes through to their end, and doing what passed stages ask between
//! runs of the dispatcher: the merge into the release branch once every lane finished the stage
//! that asks for it, a git tag for every deploy to an environment that is tagged, and the
//! forward-port of a hotfix once it is in production.

use lanes_engine::{ChangeId, Event, StageState, World};
use lanes_git::{CommitId, MergeOutcome};
use lanes_manifest::{Manifest, OnSuccess};
use lanes_store::Store;

use crate::commands::run::{DriveOptions, drive};
use crate::dispatch::{RunSummary, Scope, now};
use crate::failure::Failure;
use crate::flow::Walk;
use crate::flow::git_path::LANES_IDENTITY;
use crate::ledger::{open, record};
use crate::workspace::required_manifest_at;

/// How often a release merge is tried again after the release branch moved under it.
const RELEASE_ATTEMPTS: usize = 5;

impl Walk<'_> {
    /// Runs the lanes of `commit` until none moves, doing the follow-ups in between. Returns
    /// how the lanes stand and the changes it submitted (forward-ports).
    pub(crate) async fn follow_through(
        &self,
        commit: CommitId,
        rev: &str,
        against: Option<CommitId>,
    ) -> Result<(RunSummary, Vec<ChangeId>), Failure> {
        let repo = &self.path.repo;
        let manifest = required_manifest_at(repo, commit, rev)?;
        // One ledger for the follow-ups, refreshed after each run.
        let (_, mut store) = open(repo, self.state).await?;
        store
            .focus(&commit.to_string())
            .await
            .map_err(Failure::store)?;
        let setup = self
            .lanes_of(&mut store, commit, &manifest, against)
            .await?;
        let commit_id = commit.to_string();
        let options = DriveOptions {
            rev,
            state: self.state,
            jobs: self.jobs,
            json: self.json,
            quiet: self.output.is_quiet(),
            scope: Scope::default(),
        };
        let mut submitted = Vec::new();
        loop {
            let summary = drive(
                repo,
                commit,
                manifest.clone(),
                &options,
                |world, manifest| setup.events(world, manifest, &commit_id, now()),
            )
            .await?;
            if summary.interrupted {
                return Ok((summary, submitted));
            }
            store.refresh().await.map_err(Failure::store)?;
            if self.path.remote.is_some() && !self.push {
                self.output.say(&format!(
                    "{}: origin is left alone: release merges, deploy tags and forward-ports are pushed only with `lanes run --push` (or by lanes serve)",
                    commit.short()
                ));
                return Ok((summary, submitted));
            }
            let moved = self.merge_release(&mut store, &manifest, commit).await?;
            self.tag_deploys(&mut store, &manifest, commit).await?;
            if let Some(change) = self.forward_port(&mut store, &manifest, commit).await? {
                submitted.push(change);
            }
            if !moved {
                return Ok((summary, submitted));
            }
        }
    }

    /// Merges `commit` into the release branch once each of its lanes finished the stage whose
    /// success asks for it and one passed it (a red lane stops alone; the others ship).
    /// Returns whether it merged now.
    async fn merge_release(
        &self,
        store: &mut Store,
        manifest: &Manifest,
        commit: CommitId,
    ) -> Result<bool, Failure> {
        let (Some(release), Some(stage)) = (
            manifest.branches().release.clone(),
            manifest.stage_with(OnSuccess::MergeRelease),
        ) else {
            return Ok(false);
        };
        let commit_id = commit.to_string();
        let world = store.world();
        if world.flow().release_merge(&commit_id).is_some()
            || world.flow().hotfix_of(&commit_id).is_some()
            || !finished_with_one_passed(world, &commit_id, stage)
        {
            return Ok(false);
        }
        let repo = &self.path.repo;
        for _ in 0..RELEASE_ATTEMPTS {
            let tip = self.path.tip(&release)?;
            let merged = match tip {
                None => commit,
                Some(tip) => {
                    let message = format!("Release {}", commit.short());
                    match repo.merge(tip, commit, true, &message, LANES_IDENTITY)? {
                        MergeOutcome::Clean(merged) => merged,
                        MergeOutcome::Conflict { files } => {
                            return Err(Failure::Refused {
                                message: format!(
                                    "merging {} into {release} conflicts in {}",
                                    commit.short(),
                                    files.join(", ")
                                ),
                                hint: Some(format!(
                                    "{release} has commits the default branch lacks; merge {release} back into it"
                                )),
                            });
                        }
                    }
                }
            };
            if self.path.advance(&release, tip, merged)? {
                let event = Event::ReleaseMerged {
                    commit: commit_id.clone(),
                    branch: release.clone(),
                    release_commit: merged.to_string(),
                    at: now(),
                };
                record(store, |_| vec![event.clone()]).await?;
                self.output.say(&format!(
                    "{} merged into {release} ({})",
                    commit.short(),
                    merged.short()
                ));
                return Ok(true);
            }
        }
        Err(Failure::Refused {
            message: format!(
                "{release} kept moving while lanes merged {} into it",
                commit.short()
            ),
            hint: Some("run the same command again".to_owned()),
        })
    }

    /// Tags every deploy of the commit's lanes to a tagged environment not tagged yet:
    /// `lanes/<environment>/<component>/<n>`, pushed.
    async fn tag_deploys(
        &self,
        store: &mut Store,
        manifest: &Manifest,
        commit: CommitId,
    ) -> Result<(), Failure> {
        let commit_id = commit.to_string();
        let mut wanted = Vec::new();
        for lane in store.world().lanes_of_commit(&commit_id) {
            for (run, stage) in lane.stages.iter().zip(manifest.stages()) {
                let Some(environment) = &stage.environment else {
                    continue;
                };
                let tagged = store
                    .world()
                    .tags()
                    .iter()
                    .any(|tag| tag.lane == lane.id && &tag.environment == environment);
                if run.state == StageState::Succeeded
                    && manifest.tags_deploys_to(environment)
                    && !tagged
                {
                    wanted.push((lane.id, lane.component.clone(), environment.clone()));
                }
            }
        }
        for (lane, component, environment) in wanted {
            let mut number = store.world().tags_of(&environment, &component).count() + 1;
            let name = loop {
                let name = format!("lanes/{environment}/{component}/{number}");
                if self.path.tag(&name, commit)? {
                    break name;
                }
                number += 1;
            };
            let event = Event::Tagged {
                lane,
                environment: environment.clone(),
                tag: name.clone(),
                at: now(),
            };
            record(store, |_| vec![event.clone()]).await?;
            self.output
                .say(&format!("tagged {} as {name}", commit.short()));
        }
        Ok(())
    }
}

/// Every lane of the commit finished `stage` (passed, failed or stopped before it), and one
/// passed it.
fn finished_with_one_passed(world: &World, commit: &str, stage: usize) -> bool {
    let mut any_green = false;
    for lane in world.lanes_of_commit(commit) {
        let run = &lane.stages[stage];
        // Skipped is not passed: a proposed commit's lanes skip the stage and merge nothing.
        if matches!(run.state, StageState::Succeeded | StageState::Unchanged) {
            any_green = true;
        } else if !run.state.is_final() {
            let stopped_before = lane.stages[..stage]
                .iter()
                .any(|earlier| matches!(earlier.state, StageState::Failed | StageState::Canceled));
            if !stopped_before {
                return false;
            }
        }
    }
    any_green
}
