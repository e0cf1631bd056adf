//! Accepting changes: each group (one change, or the part of a batch under test) is merged on
//! top of the default branch and of the changes ahead of it that share a component, its
//! lanes run up to the stage whose success merges, and once nothing is ahead it merges or
//! leaves the queue. A failing batch is bisected; a failing change evicts nobody else.

use std::time::Duration;

use std::collections::BTreeMap;

use lanes_engine::{
    Candidate, Change, ChangeId, ChangeState, Event, QueuePlan, Role, StageState, World,
    candidate_is_current, carry_gaps, moved_by, queue_plan, suspects,
};
use lanes_git::{CommitId, MergeOutcome};
use lanes_manifest::{Manifest, MergeStyle, OnSuccess};
use lanes_store::Store;
use tokio::signal::unix::{SignalKind, signal};

use crate::commands::run::{DriveOptions, drive};
use crate::dispatch::{Scope, now, plan_lanes};
use crate::failure::Failure;
use crate::flow::Walk;
use crate::flow::driving::Driving;
use crate::flow::git_path::LANES_IDENTITY;
use crate::ledger::{open, record};
use crate::state_dir::StateDir;
use crate::workspace::required_manifest_at;

/// How often a change waiting for the changes ahead of it looks at the ledger again.
const POLL: Duration = Duration::from_millis(100);

/// After this long without a change ahead moving, the waiting change says what may hold it.
const LONG_WAIT: Duration = Duration::from_mins(1);

/// What became of a batch.
#[derive(Debug, Default)]
pub(crate) struct Accepted {
    /// Each merged change, the default branch's commit holding it, and the branch's name.
    pub(crate) merged: Vec<(ChangeId, CommitId, String)>,
    pub(crate) evicted: Vec<(ChangeId, String)>,
}

enum Built {
    Candidate {
        commit: CommitId,
        base: CommitId,
    },
    /// Merging this change conflicts.
    Conflict {
        change: ChangeId,
        files: Vec<String>,
    },
    /// A change ahead cannot be merged on the tip now; it will be rebuilt or leave.
    AheadUnmergeable,
}

/// What a turn of the acceptance loop decided against.
struct Turn<'a> {
    plan: &'a QueuePlan,
    /// The default branch's tip, as just fetched.
    tip: CommitId,
    default: &'a str,
    /// The manifest at the tip.
    manifest: &'a Manifest,
}

/// Where a passed group at the front of the queue lands.
enum Landing {
    /// Its candidate, which descends from the tip.
    Candidate(CommitId),
    /// The merge of the moved tip with the group, which holds every tested component at the
    /// fingerprint that passed.
    Carried {
        commit: CommitId,
        moved_by: Vec<ChangeId>,
        fingerprints: BTreeMap<String, String>,
    },
    /// The merge of the moved tip with the group changes some tested components: it is the
    /// new candidate, and only their lanes run again.
    Rebuilt {
        commit: CommitId,
        differing: Vec<String>,
    },
    /// The group no longer merges cleanly on the tip.
    Conflict {
        change: ChangeId,
        files: Vec<String>,
    },
}

/// What the acceptance loop does after a turn.
#[derive(Debug, PartialEq, Eq)]
enum Next {
    /// Look at the queue again now.
    Decide,
    /// Nothing can happen before a change ahead moves.
    WaitForAhead,
}

enum Verdict {
    Passed,
    /// Why, and the components whose lanes failed.
    Failed(String, Vec<String>),
    /// A lane waits for a person (an approval inside acceptance, an interrupted deploy).
    Held(String),
}

impl Walk<'_> {
    pub(crate) async fn accept(&self, batch: Vec<ChangeId>) -> Result<Accepted, Failure> {
        let repo = &self.path.repo;
        let (dir, mut store) = open(repo, self.state).await?;
        let Some(_driving) = self.take_over(&dir, &mut store, &batch).await? else {
            return self.settled_elsewhere(store.world(), &batch);
        };
        let mut accepted = Accepted::default();
        let mut pending = batch;
        let mut group = pending.clone();
        let mut said_waiting: Option<Vec<ChangeId>> = None;
        // Changes ahead this process failed to drive: it waits for them like for any other.
        let mut given_up: Vec<ChangeId> = Vec::new();
        loop {
            store.refresh().await.map_err(Failure::store)?;
            let world = store.world();
            let queued = |id: &ChangeId| world.flow().change(*id).is_some_and(Change::is_queued);
            pending.retain(queued);
            group.retain(queued);
            if pending.is_empty() {
                return Ok(accepted);
            }
            if group.is_empty() {
                group.clone_from(&pending);
            }
            let default = self.default_branch(world, &group)?;
            let tip = self.path.tip(&default)?.ok_or_else(|| Failure::Refused {
                message: format!("the default branch `{default}` does not exist"),
                hint: Some(format!("push a `{default}` branch first")),
            })?;
            let manifest = required_manifest_at(repo, tip, &default)?;
            let plan = queue_plan(world, manifest.queue().split, &group);
            // What the changes ahead looked like when this decision was made: a wait ends as
            // soon as that is no longer so, even when it changed before the wait began.
            let ahead_then = snapshot(world, &plan.ahead);
            let turn = Turn {
                plan: &plan,
                tip,
                default: &default,
                manifest: &manifest,
            };
            let next = if Self::candidate_stands(world, &turn, &group) {
                self.judge(&mut store, &mut group, &turn, &mut accepted)
                    .await?
            } else {
                self.rebuild(&mut store, &mut group, &turn, &mut accepted)
                    .await?
            };
            if next == Next::WaitForAhead {
                self.note_waiting(&mut said_waiting, &group, &plan);
                let orphan = self
                    .wait_for_change(&dir, &mut store, &plan.ahead, &ahead_then, &given_up)
                    .await?;
                if let Some(orphan) = orphan {
                    self.output.say(&format!(
                        "{orphan} has no lanes process driving it (its `lanes submit` stopped): driving it here"
                    ));
                    let theirs = batch_of(store.world(), orphan);
                    match Box::pin(self.accept(theirs)).await {
                        Ok(_) => {}
                        Err(Failure::Reported(130)) => return Err(Failure::Reported(130)),
                        Err(error) => {
                            self.output.say(&format!(
                                "could not drive {orphan}: {error}; waiting for it instead"
                            ));
                            given_up.push(orphan);
                        }
                    }
                }
            }
        }
    }

    /// Whether the group's candidate is built and still stands on the changes ahead (the tip
    /// having moved is judged when the group merges).
    fn candidate_stands(world: &World, turn: &Turn<'_>, group: &[ChangeId]) -> bool {
        let flow = world.flow();
        let ahead_built = turn.plan.ahead.iter().all(|id| {
            flow.change(*id)
                .is_some_and(|change| change.candidate.is_some())
        });
        ahead_built && candidate_is_current(world, turn.plan, group)
    }

    /// Builds the group's candidate anew, or settles a conflict.
    async fn rebuild(
        &self,
        store: &mut Store,
        group: &mut Vec<ChangeId>,
        turn: &Turn<'_>,
        accepted: &mut Accepted,
    ) -> Result<Next, Failure> {
        match self.build(store.world(), turn.manifest, turn.plan, group, turn.tip)? {
            Built::Candidate { commit, base } => {
                self.record_candidate(store, group, turn.plan, commit, base)
                    .await?;
                Ok(Next::Decide)
            }
            Built::Conflict { change, files } if turn.plan.at_front() => {
                let reason = format!("conflicts with {} in {}", turn.default, files.join(", "));
                self.fail_group(store, group, change, reason, &[], accepted)
                    .await?;
                Ok(Next::Decide)
            }
            Built::Conflict { .. } | Built::AheadUnmergeable => Ok(Next::WaitForAhead),
        }
    }

    /// Runs the candidate's lanes and acts on the verdict: merge or leave once at the front
    /// of the queue, wait for the changes ahead before that.
    async fn judge(
        &self,
        store: &mut Store,
        group: &mut Vec<ChangeId>,
        turn: &Turn<'_>,
        accepted: &mut Accepted,
    ) -> Result<Next, Failure> {
        let candidate = store
            .world()
            .flow()
            .change(group[0])
            .and_then(|change| change.candidate.clone())
            .expect("a current candidate exists");
        let commit = self.path.repo.resolve_commit(&candidate.commit)?;
        // A candidate whose lanes all ended up to the merge stage is not driven again each time
        // a change ahead moves: only its verdict matters.
        let verdict = match self.settled(store.world(), commit, &candidate.branch)? {
            Some(verdict) => verdict,
            None => {
                self.run_acceptance(store, commit, &candidate.branch, &candidate.base)
                    .await?
            }
        };
        match verdict {
            Verdict::Passed | Verdict::Failed(..) if !turn.plan.at_front() => {
                Ok(Next::WaitForAhead)
            }
            Verdict::Passed => {
                let landing = if self.is_ancestor(&turn.tip.to_string(), &candidate.commit) {
                    Landing::Candidate(commit)
                } else {
                    self.carry(store.world(), group, &candidate, turn)?
                };
                self.land(store, group, &candidate, turn, landing, accepted)
                    .await
            }
            Verdict::Failed(reason, failing) => {
                let culprit = group[0];
                self.fail_group(store, group, culprit, reason, &failing, accepted)
                    .await?;
                Ok(Next::Decide)
            }
            Verdict::Held(reason) => Err(Failure::Refused {
                message: format!("{} waits in acceptance: {reason}", list(group)),
                hint: Some(
                    "decide (`lanes approve`, `lanes retry`), then submit the same branch again to resume"
                        .to_owned(),
                ),
            }),
        }
    }

    /// Where a passed group lands now that the tip moved past its candidate's base: the merge
    /// of the tip with the group carries the candidate's result when every component that
    /// merge changes against the tip has, there, the fingerprint a lane of the candidate
    /// passed with; else that merge is the new candidate.
    fn carry(
        &self,
        world: &World,
        group: &[ChangeId],
        candidate: &Candidate,
        turn: &Turn<'_>,
    ) -> Result<Landing, Failure> {
        let repo = &self.path.repo;
        let front = QueuePlan { ahead: Vec::new() };
        let commit = match self.build(world, turn.manifest, &front, group, turn.tip)? {
            Built::Candidate { commit, .. } => commit,
            Built::Conflict { change, files } => return Ok(Landing::Conflict { change, files }),
            Built::AheadUnmergeable => unreachable!("nothing is ahead at the front"),
        };
        let from = repo.resolve_commit(&candidate.commit)?;
        let tested = required_manifest_at(repo, from, &candidate.branch)?;
        let last = tested
            .stage_with(OnSuccess::MergeDefault)
            .expect("the candidate's acceptance merges");
        let manifest = required_manifest_at(repo, commit, &commit.short())?;
        let setup = plan_lanes(repo, &manifest, commit, Some(turn.tip), Role::Candidate)?;
        let fingerprints: BTreeMap<String, String> = setup.lanes.into_iter().collect();
        let differing = carry_gaps(world, &candidate.commit, &fingerprints, last);
        if !differing.is_empty() {
            return Ok(Landing::Rebuilt { commit, differing });
        }
        let moved: std::collections::BTreeSet<String> = repo
            .git(&["rev-list", &format!("{}..{}", candidate.commit, turn.tip)])?
            .lines()
            .map(str::to_owned)
            .collect();
        let moved_by = moved_by(world, group, |commit| moved.contains(commit));
        Ok(Landing::Carried {
            commit,
            moved_by,
            fingerprints,
        })
    }

    /// Merges a passed group where it lands, or makes the landing its new candidate.
    async fn land(
        &self,
        store: &mut Store,
        group: &mut Vec<ChangeId>,
        candidate: &Candidate,
        turn: &Turn<'_>,
        landing: Landing,
        accepted: &mut Accepted,
    ) -> Result<Next, Failure> {
        let (commit, carried) = match landing {
            Landing::Candidate(commit) => (commit, None),
            Landing::Carried {
                commit,
                moved_by,
                fingerprints,
            } => (commit, Some((moved_by, fingerprints))),
            Landing::Rebuilt { commit, differing } => {
                self.output.say(&format!(
                    "{} moved under {} and changed {}: accepting again on the new tip",
                    turn.default,
                    list(group),
                    differing.join(", ")
                ));
                self.record_candidate(store, group, turn.plan, commit, turn.tip)
                    .await?;
                return Ok(Next::Decide);
            }
            Landing::Conflict { change, files } => {
                let reason = format!("conflicts with {} in {}", turn.default, files.join(", "));
                self.fail_group(store, group, change, reason, &[], accepted)
                    .await?;
                return Ok(Next::Decide);
            }
        };
        if !self.path.advance(turn.default, Some(turn.tip), commit)? {
            self.output.say(&format!(
                "{} moved while {} was accepted: fetching it and trying again",
                turn.default,
                list(group)
            ));
            return Ok(Next::Decide);
        }
        let at = now();
        let mut events = Vec::new();
        if let Some((moved_by, fingerprints)) = carried {
            events.push(Event::CandidateCarried {
                group: group.clone(),
                from_candidate: candidate.commit.clone(),
                to_commit: commit.to_string(),
                main_moved_by: moved_by,
                fingerprints,
                at,
            });
        }
        events.extend(group.iter().map(|&change| Event::ChangeMerged {
            change,
            commit: commit.to_string(),
            at,
        }));
        record(store, |_| events.clone()).await?;
        let provenance = store
            .world()
            .flow()
            .change(group[0])
            .and_then(|change| change.carried.as_ref())
            .map(|carried| format!(": {}", carried.provenance()));
        if provenance.is_some() {
            self.retire(store, &candidate.commit).await?;
        }
        self.output.say(&format!(
            "{}: accepted and merged as {} (from {}){}",
            list(group),
            commit.short(),
            candidate.branch,
            provenance.unwrap_or_default()
        ));
        self.path.unpublish(&candidate.branch)?;
        accepted.merged.extend(
            group
                .iter()
                .map(|&change| (change, commit, turn.default.to_owned())),
        );
        group.clear();
        Ok(Next::Decide)
    }

    /// The verdict of a candidate whose lanes have all passed, or one failed, up to the stage
    /// whose success merges; `None` while one may still move (or none was created yet).
    fn settled(
        &self,
        world: &World,
        commit: CommitId,
        branch: &str,
    ) -> Result<Option<Verdict>, Failure> {
        let id = commit.to_string();
        if world.lanes_of_commit(&id).next().is_none() {
            return Ok(None);
        }
        let manifest = required_manifest_at(&self.path.repo, commit, branch)?;
        let Some(last) = manifest.stage_with(OnSuccess::MergeDefault) else {
            return Ok(None);
        };
        Ok(match verdict(world, &id, last) {
            Verdict::Held(_) => None,
            settled => Some(settled),
        })
    }

    /// The default branch as the manifest of the group's first change's head names it.
    fn default_branch(&self, world: &World, group: &[ChangeId]) -> Result<String, Failure> {
        let head = world
            .flow()
            .change(group[0])
            .map(|change| change.head.clone())
            .unwrap_or_default();
        let head = self.path.repo.resolve_commit(&head)?;
        Ok(required_manifest_at(&self.path.repo, head, &head.short())?
            .branches()
            .default
            .clone())
    }

    fn is_ancestor(&self, ancestor: &str, descendant: &str) -> bool {
        let repo = &self.path.repo;
        match (
            repo.resolve_commit(ancestor),
            repo.resolve_commit(descendant),
        ) {
            (Ok(a), Ok(d)) => repo.is_ancestor(a, d).unwrap_or(false),
            _ => false,
        }
    }

    /// The intermediate commit: the tip, then the heads of the changes ahead, then the group's
    /// heads.
    fn build(
        &self,
        world: &World,
        manifest: &Manifest,
        plan: &QueuePlan,
        group: &[ChangeId],
        tip: CommitId,
    ) -> Result<Built, Failure> {
        let repo = &self.path.repo;
        let flow = world.flow();
        let mut base = tip;
        // The heads of the changes ahead, not their candidates: a candidate of a change ahead
        // holds the changes ahead of *it*, some of which may touch none of this group's
        // components, and one of them may have left the queue since.
        for id in &plan.ahead {
            let Some(change) = flow.change(*id) else {
                return Ok(Built::AheadUnmergeable);
            };
            let theirs = repo.resolve_commit(&change.head)?;
            let message = format!("Accept change {id} on top of {}", tip.short());
            match repo.merge(base, theirs, true, &message, LANES_IDENTITY)? {
                MergeOutcome::Clean(merged) => base = merged,
                MergeOutcome::Conflict { .. } => return Ok(Built::AheadUnmergeable),
            }
        }
        let fast_forward = manifest.queue().merge == MergeStyle::FastForward;
        let mut commit = base;
        for id in group {
            let change = flow.change(*id).expect("changes in a group exist");
            let head = repo.resolve_commit(&change.head)?;
            let message = format!("Merge {} (change {id})", change.branch);
            match repo.merge(commit, head, fast_forward, &message, LANES_IDENTITY)? {
                MergeOutcome::Clean(merged) => commit = merged,
                MergeOutcome::Conflict { files } => {
                    return Ok(Built::Conflict { change: *id, files });
                }
            }
        }
        Ok(Built::Candidate { commit, base })
    }

    async fn record_candidate(
        &self,
        store: &mut Store,
        group: &[ChangeId],
        plan: &QueuePlan,
        commit: CommitId,
        base: CommitId,
    ) -> Result<(), Failure> {
        let branch = format!("lanes/accept/{}", group[0].0);
        self.path.publish(&branch, commit)?;
        let replaced: Vec<String> = group
            .iter()
            .filter_map(|id| store.world().flow().change(*id))
            .filter_map(|change| change.candidate.as_ref().map(|c| c.commit.clone()))
            .collect();
        let event = Event::CandidateBuilt {
            group: group.to_vec(),
            commit: commit.to_string(),
            branch: branch.clone(),
            base: base.to_string(),
            includes: plan.ahead.clone(),
            at: now(),
        };
        record(store, |_| vec![event.clone()]).await?;
        for old in replaced {
            self.retire(store, &old).await?;
        }
        let on_top = if plan.ahead.is_empty() {
            String::new()
        } else {
            format!(" on top of {}", list(&plan.ahead))
        };
        self.output.say(&format!(
            "{}: accepting on {branch} ({}){on_top}",
            list(group),
            commit.short()
        ));
        Ok(())
    }

    /// Runs the candidate's lanes up to the stage whose success merges, and judges them.
    async fn run_acceptance(
        &self,
        store: &mut Store,
        commit: CommitId,
        branch: &str,
        base: &str,
    ) -> Result<Verdict, Failure> {
        let repo = &self.path.repo;
        let manifest = required_manifest_at(repo, commit, branch)?;
        let Some(last) = manifest.stage_with(OnSuccess::MergeDefault) else {
            return Err(Failure::Refused {
                message: "no stage of lanes.yml merges accepted changes".to_owned(),
                hint: Some(
                    "add `on_success: merge-default` to the acceptance stage (see docs/manifest.md)"
                        .to_owned(),
                ),
            });
        };
        let base = repo.resolve_commit(base)?;
        let setup = plan_lanes(repo, &manifest, commit, Some(base), Role::Candidate)?;
        let commit_id = commit.to_string();
        let options = DriveOptions {
            rev: branch,
            state: self.state,
            jobs: self.jobs,
            json: self.json,
            quiet: self.output.is_quiet(),
            scope: Scope {
                only: None,
                last_stage: Some(last),
            },
        };
        let summary = drive(repo, commit, manifest, &options, |world, manifest| {
            setup.events(world, manifest, &commit_id, now())
        })
        .await?;
        if summary.interrupted {
            return Err(Failure::Reported(130));
        }
        store.refresh().await.map_err(Failure::store)?;
        Ok(verdict(store.world(), &commit_id, last))
    }

    /// The group failed at the front of the queue: a single change leaves it; a batch is
    /// bisected among the changes affecting the `failing` components (the others cannot have
    /// made them red), its first half of those tested alone.
    async fn fail_group(
        &self,
        store: &mut Store,
        group: &mut Vec<ChangeId>,
        culprit: ChangeId,
        reason: String,
        failing: &[String],
        accepted: &mut Accepted,
    ) -> Result<(), Failure> {
        if group.len() > 1 {
            let suspected = suspects(store.world(), group, failing);
            let next = if suspected.len() > 1 {
                suspected[..suspected.len() / 2].to_vec()
            } else {
                suspected.clone()
            };
            let among = if suspected.len() < group.len() {
                format!(
                    " among {} (affecting {})",
                    list(&suspected),
                    failing.join(", ")
                )
            } else {
                String::new()
            };
            self.output.say(&format!(
                "{} failed together ({reason}): bisecting{among}, {} first",
                list(group),
                list(&next)
            ));
            *group = next;
            return Ok(());
        }
        let event = Event::ChangeEvicted {
            change: culprit,
            reason: reason.clone(),
            at: now(),
        };
        record(store, |_| vec![event.clone()]).await?;
        let candidate = store
            .world()
            .flow()
            .change(culprit)
            .and_then(|change| change.candidate.as_ref().map(|c| c.commit.clone()));
        if let Some(candidate) = candidate {
            self.retire(store, &candidate).await?;
        }
        let branch = format!("lanes/accept/{}", culprit.0);
        self.path.unpublish(&branch)?;
        self.output
            .say(&format!("change {culprit} leaves the queue: {reason}"));
        accepted.evicted.push((culprit, reason));
        group.clear();
        Ok(())
    }

    /// Records what the engine decides for the lanes of a candidate no change is accepted on
    /// any more: their later stages are canceled with the reason, instead of waiting for a
    /// merge that will never come.
    async fn retire(&self, store: &mut Store, candidate: &str) -> Result<(), Failure> {
        let repo = &self.path.repo;
        let commit = repo.resolve_commit(candidate)?;
        let manifest = required_manifest_at(repo, commit, candidate)?;
        record(store, |world| {
            let mut world = world.clone();
            let mut events = Vec::new();
            let lanes: Vec<_> = world
                .lanes_of_commit(candidate)
                .map(|lane| lane.id)
                .collect();
            for lane in lanes {
                while let lanes_engine::Next::Record(decided) =
                    lanes_engine::next_step(&world, &manifest, lane, now())
                {
                    for event in &decided {
                        world.apply(event);
                    }
                    events.extend(decided);
                }
            }
            events
        })
        .await?;
        Ok(())
    }

    /// Waits until another live process drives none of `batch`, and takes it over; `None`
    /// when every change of it left the queue meanwhile (settled by that process).
    async fn take_over(
        &self,
        dir: &StateDir,
        store: &mut Store,
        batch: &[ChangeId],
    ) -> Result<Option<Driving>, Failure> {
        let mut said = false;
        loop {
            if let Some(driving) = Driving::try_take(dir, batch)? {
                return Ok(Some(driving));
            }
            store.refresh().await.map_err(Failure::store)?;
            let flow = store.world().flow();
            if !batch
                .iter()
                .any(|id| flow.change(*id).is_some_and(Change::is_queued))
            {
                return Ok(None);
            }
            if !said {
                self.output.say(&format!(
                    "{} is driven by another lanes process: following it",
                    list(batch)
                ));
                said = true;
            }
            pause(POLL * 5).await?;
        }
    }

    /// What became of `batch`, settled by another process, as the ledger says.
    fn settled_elsewhere(&self, world: &World, batch: &[ChangeId]) -> Result<Accepted, Failure> {
        let mut accepted = Accepted::default();
        for &id in batch {
            let Some(change) = world.flow().change(id) else {
                continue;
            };
            match &change.state {
                ChangeState::Merged { commit, .. } => {
                    let default = self.default_branch(world, &[id])?;
                    let commit = self.path.repo.resolve_commit(commit)?;
                    accepted.merged.push((id, commit, default));
                }
                ChangeState::Evicted { reason, .. } => accepted.evicted.push((id, reason.clone())),
                ChangeState::Queued => {}
            }
        }
        Ok(accepted)
    }

    /// Waits until one of `ahead` moved from where it stood in `then`: merged, evicted or
    /// accepted on a new candidate; or until one of them (but those in `given_up`) has no live
    /// process driving it, which is returned. Ctrl-C or SIGTERM stops the wait (the change stays queued: submitting it
    /// again resumes). A long wait says what may hold it.
    async fn wait_for_change(
        &self,
        dir: &StateDir,
        store: &mut Store,
        ahead: &[ChangeId],
        then: &[(ChangeState, Option<String>)],
        given_up: &[ChangeId],
    ) -> Result<Option<ChangeId>, Failure> {
        let mut interrupt = signal(SignalKind::interrupt())
            .map_err(|error| Failure::io("listen for Ctrl-C", error))?;
        let mut terminate = signal(SignalKind::terminate())
            .map_err(|error| Failure::io("listen for SIGTERM", error))?;
        let long = tokio::time::sleep(LONG_WAIT);
        tokio::pin!(long);
        let mut polls: u32 = 0;
        loop {
            store.refresh().await.map_err(Failure::store)?;
            if snapshot(store.world(), ahead) != then {
                return Ok(None);
            }
            polls += 1;
            if polls.is_multiple_of(ORPHAN_EVERY) {
                for &id in ahead.iter().filter(|id| !given_up.contains(id)) {
                    let queued = store
                        .world()
                        .flow()
                        .change(id)
                        .is_some_and(Change::is_queued);
                    if queued && !Driving::is_driven(dir, id)? {
                        return Ok(Some(id));
                    }
                }
            }
            tokio::select! {
                () = tokio::time::sleep(POLL) => {}
                () = &mut long => {
                    self.output.say(&format!(
                        "still waiting for {}: each change moves while a lanes process drives it (its `lanes submit`, this one when that stopped, `lanes queue drive` or `lanes serve`)",
                        list(ahead)
                    ));
                    long.as_mut().reset(tokio::time::Instant::now() + LONG_WAIT);
                }
                _ = interrupt.recv() => return Err(Failure::Reported(130)),
                _ = terminate.recv() => return Err(Failure::Reported(130)),
            }
        }
    }

    fn note_waiting(&self, said: &mut Option<Vec<ChangeId>>, group: &[ChangeId], plan: &QueuePlan) {
        if said.as_ref() != Some(&plan.ahead) {
            self.output.say(&format!(
                "{}: waiting for {} ahead in the queue",
                list(group),
                list(&plan.ahead)
            ));
            *said = Some(plan.ahead.clone());
        }
    }
}

/// How many polls of a wait apart the changes waited for are checked for a live driver.
const ORPHAN_EVERY: u32 = 10;

/// Sleeps `duration`; Ctrl-C or SIGTERM ends it with exit status 130.
async fn pause(duration: Duration) -> Result<(), Failure> {
    let mut interrupt =
        signal(SignalKind::interrupt()).map_err(|error| Failure::io("listen for Ctrl-C", error))?;
    let mut terminate = signal(SignalKind::terminate())
        .map_err(|error| Failure::io("listen for SIGTERM", error))?;
    tokio::select! {
        () = tokio::time::sleep(duration) => Ok(()),
        _ = interrupt.recv() => Err(Failure::Reported(130)),
        _ = terminate.recv() => Err(Failure::Reported(130)),
    }
}

/// The queued changes submitted together with `change`.
fn batch_of(world: &World, change: ChangeId) -> Vec<ChangeId> {
    let flow = world.flow();
    let batch = flow.change(change).map(|c| c.batch);
    flow.changes()
        .filter(|c| c.is_queued() && Some(c.batch) == batch)
        .map(|c| c.id)
        .collect()
}

/// Where each of `ahead` stands: its state and the commit it is accepted on.
fn snapshot(world: &World, ahead: &[ChangeId]) -> Vec<(ChangeState, Option<String>)> {
    ahead
        .iter()
        .filter_map(|id| world.flow().change(*id))
        .map(|change| {
            (
                change.state.clone(),
                change.candidate.as_ref().map(|c| c.commit.clone()),
            )
        })
        .collect()
}

/// Whether every lane of the candidate passed every stage up to `last`.
fn verdict(world: &World, commit: &str, last: usize) -> Verdict {
    let mut held = None;
    let mut failed: Option<String> = None;
    let mut failing = Vec::new();
    for lane in world.lanes_of_commit(commit) {
        for run in &lane.stages[..=last] {
            match run.state {
                state if state.is_green() => {}
                StageState::Failed | StageState::Canceled => {
                    let reason = run.reason.clone().unwrap_or_else(|| "failed".to_owned());
                    failed.get_or_insert_with(|| {
                        format!("{} failed {}: {reason}", lane.component, run.name)
                    });
                    failing.push(lane.component.clone());
                    break;
                }
                _ => {
                    held.get_or_insert_with(|| {
                        format!(
                            "{} at {}: {}",
                            lane.component,
                            run.name,
                            run.reason
                                .clone()
                                .unwrap_or_else(|| run.state.as_str().to_owned())
                        )
                    });
                    break;
                }
            }
        }
    }
    if let Some(reason) = failed {
        return Verdict::Failed(reason, failing);
    }
    held.map_or(Verdict::Passed, Verdict::Held)
}

/// `#1, #2`.
pub(crate) fn list(changes: &[ChangeId]) -> String {
    changes
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}
