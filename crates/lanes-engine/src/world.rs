//! The engine's state: every lane, deployment, last known good version, lock and approval, as
//! folded from the events. `apply` is the only way it changes.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::{Attempt, DecisionRecord, Event, Flow, Lane, LaneId, Millis, Role, StageStats, Wait};

mod working_set;

pub use working_set::SNAPSHOT_FORMAT;

/// A version of a component in an environment (instance).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Deployment {
    pub lane: LaneId,
    pub commit: String,
    pub fingerprint: String,
    pub at: Millis,
}

/// A version reaching an environment: deployed by its lane, or deployed again by a rollback.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeployRecord {
    pub lane: LaneId,
    pub commit: String,
    pub fingerprint: String,
    pub rollback: bool,
    pub at: Millis,
}

/// An approval of one version at one stage.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApprovalRecord {
    pub lane: LaneId,
    pub stage: usize,
    pub component: String,
    pub fingerprint: String,
    pub user: String,
    pub at: Millis,
}

/// A git tag marking a version deployed to an environment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TagRecord {
    pub lane: LaneId,
    pub component: String,
    pub environment: String,
    pub commit: String,
    pub tag: String,
    pub at: Millis,
}

/// A commit whose lanes were set up.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordedCommit {
    pub role: Role,
    /// Every component's fingerprint at the commit, by name.
    pub fingerprints: BTreeMap<String, String>,
}

/// The engine's state, as folded from the events.
///
/// A world holds either every lane ever run (replayed from the first event) or the working
/// set (see [`World::retire`]): every lane that has not ended, the newest lane and the newest
/// green lane of each component and role, the lanes deployed, last known good or holding a
/// lock, and the lanes of commits still in the acceptance queue. Everything else about lanes
/// (the environments, approvals, decisions, tags, the path through git) it always holds whole.
/// A lane outside the working set is read back from its events ([`World::restore_lane`])
/// by whoever needs it: the store does so before an event about it is applied, and for the
/// commits a caller focuses on.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct World {
    #[serde(with = "crate::serde_pairs")]
    lanes: BTreeMap<LaneId, Lane>,
    /// `(commit, component)` to its lane (of the lanes held).
    #[serde(skip)]
    by_commit: BTreeMap<(String, String), LaneId>,
    /// A component's lanes held, oldest first.
    #[serde(skip)]
    by_component: BTreeMap<String, Vec<LaneId>>,
    /// `(component, fingerprint)` to the lanes of that version held, oldest first.
    #[serde(skip)]
    by_version: BTreeMap<(String, String), Vec<LaneId>>,
    /// Commits whose lanes were set up: their role and every component's fingerprint there.
    commits: BTreeMap<String, RecordedCommit>,
    /// `(environment, instance, component)` to what is deployed there.
    #[serde(with = "crate::serde_pairs")]
    deployments: BTreeMap<(String, String, String), Deployment>,
    /// `(environment, component)` to every version that became last known good, oldest first.
    #[serde(with = "crate::serde_pairs")]
    last_known_good: BTreeMap<(String, String), Vec<Deployment>>,
    /// `(environment, component)` to the lane deploying there now.
    #[serde(with = "crate::serde_pairs")]
    locks: BTreeMap<(String, String), LaneId>,
    approvals: Vec<ApprovalRecord>,
    /// Every person's decision, in the order taken.
    decisions: Vec<DecisionRecord>,
    /// `(component, fingerprint)` of versions marked bad, with the reason.
    #[serde(with = "crate::serde_pairs")]
    bad: BTreeMap<(String, String), String>,
    tags: Vec<TagRecord>,
    flow: Flow,
    next_token: u64,
    /// The id the next lane gets: above every lane ever created, held or retired.
    next_lane: u64,
    /// `(environment, component)` to every deploy and rollback there, oldest first: one per
    /// lane and kind, however many instances it reached.
    #[serde(with = "crate::serde_pairs")]
    deploy_history: BTreeMap<(String, String), Vec<DeployRecord>>,
    /// How long stages ran and were held, over every lane ever run.
    stage_stats: StageStats,
}

impl World {
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Folds one event in. Events about lanes it does not hold are ignored: they cannot happen
    /// when the events come from the engine (the store reads a retired lane back before it
    /// applies an event about it).
    #[expect(
        clippy::too_many_lines,
        reason = "one arm per event reads best as one match"
    )]
    pub fn apply(&mut self, event: &Event) {
        if self.flow.apply(event) {
            return;
        }
        if let Event::CommitRecorded {
            commit,
            role,
            fingerprints,
            ..
        } = event
        {
            self.commits.insert(
                commit.clone(),
                RecordedCommit {
                    role: *role,
                    fingerprints: fingerprints.clone(),
                },
            );
            return;
        }
        if let Some(lane) = Lane::created(event) {
            self.insert_lane(lane);
            return;
        }
        let Some(lane) = event.lane().and_then(|id| self.lanes.get_mut(&id)) else {
            return;
        };
        if let Some(record) = DecisionRecord::of(event, lane) {
            self.decisions.push(record);
        }
        let open_wait = stage_of(event).and_then(|stage| open_wait(lane, stage));
        lane.fold(event);
        let lane = &*lane;
        if let Some((stage, from)) = open_wait
            && let Some(Wait {
                until: Some(until), ..
            }) = lane.stages[stage]
                .waits
                .iter()
                .rev()
                .find(|w| w.from == from)
        {
            let name = &lane.stages[stage].name;
            self.stage_stats
                .wait_ended(&lane.component, name, until - from);
        }
        if let Event::AttemptFinished {
            stage,
            attempt,
            outcome,
            at,
            ..
        } = event
            && let Some(run) = lane.stages[*stage]
                .attempts
                .iter()
                .find(|a| a.number == *attempt)
        {
            self.stage_stats.attempt_finished(
                &lane.component,
                &lane.stages[*stage].name,
                outcome,
                at - run.started_at,
            );
        }
        match event {
            Event::Tagged {
                environment,
                tag,
                at,
                ..
            } => self.tags.push(TagRecord {
                lane: lane.id,
                component: lane.component.clone(),
                environment: environment.clone(),
                commit: lane.commit.clone(),
                tag: tag.clone(),
                at: *at,
            }),
            Event::AttemptStarted { token, .. } => {
                self.next_token = self.next_token.max(token + 1);
            }
            Event::Deployed {
                environment,
                instance,
                at,
                ..
            } => {
                self.flow.deployed(&lane.commit, environment);
                record_deploy(
                    self.deploy_history
                        .entry((environment.clone(), lane.component.clone()))
                        .or_default(),
                    lane,
                    false,
                    *at,
                );
                let deployment = Deployment {
                    lane: lane.id,
                    commit: lane.commit.clone(),
                    fingerprint: lane.fingerprint.clone(),
                    at: *at,
                };
                self.deployments.insert(
                    (
                        environment.clone(),
                        instance.clone(),
                        lane.component.clone(),
                    ),
                    deployment,
                );
            }
            Event::BecameLastKnownGood {
                environment,
                component,
                fingerprint,
                at,
                ..
            } => {
                let deployment = Deployment {
                    lane: lane.id,
                    commit: lane.commit.clone(),
                    fingerprint: fingerprint.clone(),
                    at: *at,
                };
                self.last_known_good
                    .entry((environment.clone(), component.clone()))
                    .or_default()
                    .push(deployment);
            }
            Event::LockAcquired {
                lane,
                environment,
                component,
                ..
            } => {
                self.locks
                    .insert((environment.clone(), component.clone()), *lane);
            }
            Event::LockReleased {
                lane,
                environment,
                component,
                ..
            } => {
                let key = (environment.clone(), component.clone());
                if self.locks.get(&key) == Some(lane) {
                    self.locks.remove(&key);
                }
            }
            Event::Approved {
                lane: id,
                stage,
                fingerprint,
                user,
                at,
                ..
            } => {
                self.approvals.push(ApprovalRecord {
                    lane: *id,
                    stage: *stage,
                    component: lane.component.clone(),
                    fingerprint: fingerprint.clone(),
                    user: user.clone(),
                    at: *at,
                });
            }
            Event::MarkedBad { reason, .. } => {
                self.bad.insert(
                    (lane.component.clone(), lane.fingerprint.clone()),
                    reason.clone(),
                );
            }
            Event::RolledBack {
                environment,
                instance,
                at,
                ..
            } => {
                let deployment = Deployment {
                    lane: lane.id,
                    commit: lane.commit.clone(),
                    fingerprint: lane.fingerprint.clone(),
                    at: *at,
                };
                let component = lane.component.clone();
                record_deploy(
                    self.deploy_history
                        .entry((environment.clone(), component.clone()))
                        .or_default(),
                    lane,
                    true,
                    *at,
                );
                self.flow.rolled_back(&component, environment, &lane.commit);
                self.deployments.insert(
                    (environment.clone(), instance.clone(), component.clone()),
                    deployment.clone(),
                );
                self.last_known_good
                    .entry((environment.clone(), component))
                    .or_default()
                    .push(deployment);
            }
            // The lane alone holds what these mean (see `Lane::fold`), and the others are
            // handled above.
            Event::LaneCreated { .. }
            | Event::CommitRecorded { .. }
            | Event::LaneRoleChanged { .. }
            | Event::StageUnchanged { .. }
            | Event::StageWaiting { .. }
            | Event::StepStarted { .. }
            | Event::StepFinished { .. }
            | Event::AttemptFinished { .. }
            | Event::StageRetrying { .. }
            | Event::StageFinished { .. }
            | Event::StageInterrupted { .. }
            | Event::Rejected { .. }
            | Event::Promoted { .. }
            | Event::ChangeSubmitted { .. }
            | Event::CandidateBuilt { .. }
            | Event::CandidateCarried { .. }
            | Event::ChangeMerged { .. }
            | Event::ChangeEvicted { .. }
            | Event::ReleaseMerged { .. }
            | Event::HotfixCut { .. }
            | Event::HotfixStarted { .. }
            | Event::HotfixForwardPorted { .. } => {}
        }
    }

    /// How long stages ran and were held, over every lane ever run.
    #[must_use]
    pub fn stage_stats(&self) -> &StageStats {
        &self.stage_stats
    }

    /// Changes, release merges and hotfixes.
    #[must_use]
    pub fn flow(&self) -> &Flow {
        &self.flow
    }

    /// Every tag lanes created, oldest first.
    #[must_use]
    pub fn tags(&self) -> &[TagRecord] {
        &self.tags
    }

    /// Tags of deploys of `component` to `environment`, oldest first.
    #[must_use = "iterators are lazy"]
    pub fn tags_of<'a>(
        &'a self,
        environment: &'a str,
        component: &'a str,
    ) -> impl DoubleEndedIterator<Item = &'a TagRecord> + 'a {
        self.tags
            .iter()
            .filter(move |tag| tag.environment == environment && tag.component == component)
    }

    #[must_use]
    pub fn lane(&self, id: LaneId) -> Option<&Lane> {
        self.lanes.get(&id)
    }

    /// Every lane held, oldest first: every lane ever run in a world replayed whole, the
    /// working set and what was read back in a retired one (see [`World`]).
    #[must_use = "iterators are lazy"]
    pub fn lanes(&self) -> impl DoubleEndedIterator<Item = &Lane> {
        self.lanes.values()
    }

    #[must_use]
    pub fn lane_of(&self, commit: &str, component: &str) -> Option<&Lane> {
        self.by_commit
            .get(&(commit.to_owned(), component.to_owned()))
            .and_then(|id| self.lanes.get(id))
    }

    /// The lanes of a component, oldest first.
    #[must_use = "iterators are lazy"]
    pub fn lanes_of_component<'a>(
        &'a self,
        component: &str,
    ) -> impl DoubleEndedIterator<Item = &'a Lane> + 'a {
        self.by_component
            .get(component)
            .into_iter()
            .flatten()
            .filter_map(|id| self.lanes.get(id))
    }

    /// The lanes of one version of a component, oldest first.
    #[must_use = "iterators are lazy"]
    pub fn lanes_of_version<'a>(
        &'a self,
        component: &str,
        fingerprint: &str,
    ) -> impl DoubleEndedIterator<Item = &'a Lane> + 'a {
        self.by_version
            .get(&(component.to_owned(), fingerprint.to_owned()))
            .into_iter()
            .flatten()
            .filter_map(|id| self.lanes.get(id))
    }

    /// What lanes recorded of a commit when it set up its lanes.
    #[must_use]
    pub fn recorded_commit(&self, commit: &str) -> Option<&RecordedCommit> {
        self.commits.get(commit)
    }

    /// Lanes of one commit, by component name.
    pub fn lanes_of_commit<'a>(&'a self, commit: &'a str) -> impl Iterator<Item = &'a Lane> + 'a {
        self.by_commit
            .range((commit.to_owned(), String::new())..)
            .take_while(move |((lane_commit, _), _)| lane_commit == commit)
            .filter_map(|(_, id)| self.lanes.get(id))
    }

    /// The id the next lane gets.
    #[must_use]
    pub fn next_lane_id(&self) -> LaneId {
        LaneId(self.next_lane.max(1))
    }

    /// Whether lane `id` was created but this world does not hold it (it was retired): its
    /// events are in the ledger, to be read back with [`restore_lane`](Self::restore_lane).
    #[must_use]
    pub fn is_retired(&self, id: LaneId) -> bool {
        id.0 >= 1 && id.0 < self.next_lane && !self.lanes.contains_key(&id)
    }

    /// A fencing token no attempt had yet.
    #[must_use]
    pub fn next_token(&self) -> u64 {
        self.next_token.max(1)
    }

    /// What is deployed in an environment instance.
    #[must_use]
    pub fn deployment(
        &self,
        environment: &str,
        instance: &str,
        component: &str,
    ) -> Option<&Deployment> {
        self.deployments.get(&(
            environment.to_owned(),
            instance.to_owned(),
            component.to_owned(),
        ))
    }

    /// The environment's last known good version of a component.
    #[must_use]
    pub fn last_known_good(&self, environment: &str, component: &str) -> Option<&Deployment> {
        self.lkg_history(environment, component).last()
    }

    /// Every version that became last known good, oldest first.
    #[must_use]
    pub fn lkg_history(&self, environment: &str, component: &str) -> &[Deployment] {
        self.last_known_good
            .get(&(environment.to_owned(), component.to_owned()))
            .map_or(&[], Vec::as_slice)
    }

    /// Every deploy and rollback of a component in an environment, oldest first.
    #[must_use]
    pub fn deploy_history(&self, environment: &str, component: &str) -> &[DeployRecord] {
        self.deploy_history
            .get(&(environment.to_owned(), component.to_owned()))
            .map_or(&[], Vec::as_slice)
    }

    /// Every `(environment, component)` with its deploys and rollbacks, oldest first.
    pub fn deploy_histories(&self) -> impl Iterator<Item = (&str, &str, &[DeployRecord])> {
        self.deploy_history
            .iter()
            .map(|((environment, component), history)| {
                (environment.as_str(), component.as_str(), history.as_slice())
            })
    }

    /// The lane holding the environment's lock for a component.
    #[must_use]
    pub fn lock_holder(&self, environment: &str, component: &str) -> Option<LaneId> {
        self.locks
            .get(&(environment.to_owned(), component.to_owned()))
            .copied()
    }

    /// Every person's decision, in the order taken.
    #[must_use]
    pub fn decisions(&self) -> &[DecisionRecord] {
        &self.decisions
    }

    /// Distinct users who approved this version at this stage.
    #[must_use]
    pub fn approvers_of(&self, component: &str, stage: usize, fingerprint: &str) -> Vec<&str> {
        let mut users: Vec<&str> = self
            .approvals
            .iter()
            .filter(|a| {
                a.component == component && a.stage == stage && a.fingerprint == fingerprint
            })
            .map(|a| a.user.as_str())
            .collect();
        users.sort_unstable();
        users.dedup();
        users
    }

    /// Fencing tokens of the attempts running according to the ledger, for the given lanes:
    /// after a crash, the processes carrying them (in `LANES_TOKEN`) are what is left to end.
    #[must_use]
    pub fn running_tokens(&self, lanes: &[LaneId]) -> Vec<u64> {
        lanes
            .iter()
            .filter_map(|id| self.lanes.get(id))
            .flat_map(|lane| &lane.stages)
            .filter_map(|run| {
                run.attempts
                    .last()
                    .filter(|attempt| attempt.outcome.is_none())
            })
            .map(|attempt| attempt.token)
            .collect()
    }

    /// Why a version was marked bad, if it was.
    #[must_use]
    pub fn bad_reason(&self, component: &str, fingerprint: &str) -> Option<&str> {
        self.bad
            .get(&(component.to_owned(), fingerprint.to_owned()))
            .map(String::as_str)
    }

    /// The attempt running now at a stage, if any.
    #[must_use]
    pub fn running_attempt(&self, lane: LaneId, stage: usize) -> Option<&Attempt> {
        let run = self.lanes.get(&lane)?.stages.get(stage)?;
        run.attempts
            .last()
            .filter(|attempt| attempt.outcome.is_none())
    }
}

/// The stage an event is about, when it may end a hold of that stage.
fn stage_of(event: &Event) -> Option<usize> {
    match event {
        Event::StageUnchanged { stage, .. }
        | Event::StageWaiting { stage, .. }
        | Event::AttemptStarted { stage, .. }
        | Event::StageFinished { stage, .. }
        | Event::StageInterrupted { stage, .. } => Some(*stage),
        _ => None,
    }
}

/// The stage's hold still open, by the stage and when it began.
fn open_wait(lane: &Lane, stage: usize) -> Option<(usize, Millis)> {
    let wait = lane.stages.get(stage)?.waits.last()?;
    wait.until.is_none().then_some((stage, wait.from))
}

/// Appends a deploy unless the same lane's deploy (or rollback) was the last one recorded: a
/// version reaching several instances is one deploy.
fn record_deploy(history: &mut Vec<DeployRecord>, lane: &Lane, rollback: bool, at: Millis) {
    if history
        .last()
        .is_some_and(|last| last.lane == lane.id && last.rollback == rollback)
    {
        return;
    }
    history.push(DeployRecord {
        lane: lane.id,
        commit: lane.commit.clone(),
        fingerprint: lane.fingerprint.clone(),
        rollback,
        at,
    });
}
