//! The engine's state: every lane, deployment, last known good version, lock and approval, as
//! folded from the events. `apply` is the only way it changes.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::{
    Attempt, DecisionRecord, Event, Flow, Lane, LaneId, Millis, Role, StageRun, StageState,
    StepRecord,
};

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

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct World {
    lanes: BTreeMap<LaneId, Lane>,
    /// `(commit, component)` to its lane.
    by_commit: BTreeMap<(String, String), LaneId>,
    /// A component's lanes, oldest first.
    by_component: BTreeMap<String, Vec<LaneId>>,
    /// `(component, fingerprint)` to the lanes of that version, oldest first.
    by_version: BTreeMap<(String, String), Vec<LaneId>>,
    /// Commits whose lanes were set up: their role and every component's fingerprint there.
    commits: BTreeMap<String, RecordedCommit>,
    /// `(environment, instance, component)` to what is deployed there.
    deployments: BTreeMap<(String, String, String), Deployment>,
    /// `(environment, component)` to every version that became last known good, oldest first.
    last_known_good: BTreeMap<(String, String), Vec<Deployment>>,
    /// `(environment, component)` to the lane deploying there now.
    locks: BTreeMap<(String, String), LaneId>,
    approvals: Vec<ApprovalRecord>,
    /// Every person's decision, in the order taken.
    decisions: Vec<DecisionRecord>,
    /// `(component, fingerprint)` of versions marked bad, with the reason.
    bad: BTreeMap<(String, String), String>,
    tags: Vec<TagRecord>,
    flow: Flow,
    next_token: u64,
    /// `(environment, component)` to every deploy and rollback there, oldest first: one per
    /// lane and kind, however many instances it reached (absent in older snapshots).
    #[serde(default)]
    deploy_history: BTreeMap<(String, String), Vec<DeployRecord>>,
}

impl World {
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Folds one event in. Events about unknown lanes are ignored: they cannot happen when the
    /// events come from the engine.
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
        if let Event::LaneCreated {
            lane,
            commit,
            component,
            fingerprint,
            author,
            stages,
            role,
            depth,
            at,
        } = event
        {
            self.by_commit
                .insert((commit.clone(), component.clone()), *lane);
            self.by_version
                .entry((component.clone(), fingerprint.clone()))
                .or_default()
                .push(*lane);
            self.by_component
                .entry(component.clone())
                .or_default()
                .push(*lane);
            self.lanes.insert(
                *lane,
                Lane {
                    id: *lane,
                    commit: commit.clone(),
                    component: component.clone(),
                    fingerprint: fingerprint.clone(),
                    author: author.clone(),
                    role: *role,
                    depth: *depth,
                    created_at: *at,
                    stages: stages.iter().cloned().map(StageRun::new).collect(),
                },
            );
            return;
        }
        let Some(lane) = event.lane().and_then(|id| self.lanes.get_mut(&id)) else {
            return;
        };
        if let Some(record) = DecisionRecord::of(event, lane) {
            self.decisions.push(record);
        }
        match event {
            Event::LaneCreated { .. }
            | Event::CommitRecorded { .. }
            | Event::ChangeSubmitted { .. }
            | Event::CandidateBuilt { .. }
            | Event::CandidateCarried { .. }
            | Event::ChangeMerged { .. }
            | Event::ChangeEvicted { .. }
            | Event::ReleaseMerged { .. }
            | Event::HotfixCut { .. }
            | Event::HotfixStarted { .. }
            | Event::HotfixForwardPorted { .. } => unreachable!("handled above"),
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
            Event::LaneRoleChanged { role, .. } => {
                if lane.role == Role::Proposed {
                    for run in &mut lane.stages {
                        if run.state == StageState::Skipped {
                            *run = StageRun::new(run.name.clone());
                        }
                    }
                }
                lane.role = *role;
            }
            Event::StageUnchanged {
                stage,
                provenance,
                reason,
                at,
                ..
            } => {
                let run = &mut lane.stages[*stage];
                run.stop_waiting(*at);
                run.state = StageState::Unchanged;
                run.provenance = Some(provenance.clone());
                run.reason = Some(reason.clone());
                run.finished_at = Some(*at);
            }
            Event::StageWaiting {
                stage, reason, at, ..
            } => {
                let run = &mut lane.stages[*stage];
                run.wait(reason, *at);
                run.state = StageState::Waiting;
                run.reason = Some(reason.clone());
            }
            Event::AttemptStarted {
                stage,
                attempt,
                token,
                deploying,
                at,
                ..
            } => {
                let run = &mut lane.stages[*stage];
                run.stop_waiting(*at);
                run.state = StageState::Running;
                run.reason = None;
                run.started_at.get_or_insert(*at);
                run.attempts.push(Attempt {
                    number: *attempt,
                    token: *token,
                    deploying: *deploying,
                    outcome: None,
                    started_at: *at,
                    finished_at: None,
                    steps: Vec::new(),
                });
                self.next_token = self.next_token.max(token + 1);
            }
            Event::StepStarted {
                stage,
                attempt,
                step,
                command,
                pid,
                at,
                ..
            } => {
                if let Some(run) = lane.stages[*stage]
                    .attempts
                    .iter_mut()
                    .find(|a| a.number == *attempt)
                {
                    run.steps.truncate(*step);
                    run.steps.push(StepRecord {
                        command: command.clone(),
                        pid: *pid,
                        started_at: *at,
                        finished_at: None,
                        result: None,
                        passed: None,
                    });
                }
            }
            Event::StepFinished {
                stage,
                attempt,
                step,
                result,
                passed,
                at,
                ..
            } => {
                let record = lane.stages[*stage]
                    .attempts
                    .iter_mut()
                    .find(|a| a.number == *attempt)
                    .and_then(|run| run.steps.get_mut(*step));
                if let Some(record) = record {
                    record.finished_at = Some(*at);
                    record.result = Some(result.clone());
                    record.passed = Some(*passed);
                }
            }
            Event::Deployed {
                stage,
                attempt,
                environment,
                instance,
                at,
                ..
            } => {
                if let Some(run) = lane.stages[*stage]
                    .attempts
                    .iter_mut()
                    .find(|a| a.number == *attempt)
                {
                    run.deploying = false;
                }
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
            Event::AttemptFinished {
                stage,
                attempt,
                outcome,
                at,
                ..
            } => {
                if let Some(run) = lane.stages[*stage]
                    .attempts
                    .iter_mut()
                    .find(|a| a.number == *attempt)
                {
                    run.outcome = Some(outcome.clone());
                    run.finished_at = Some(*at);
                    run.deploying = false;
                }
            }
            Event::StageRetrying { stage, reason, .. } => {
                let run = &mut lane.stages[*stage];
                run.state = StageState::Pending;
                run.reason = Some(reason.clone());
            }
            Event::StageFinished {
                stage,
                state,
                reason,
                flaky,
                at,
                ..
            } => {
                let run = &mut lane.stages[*stage];
                run.stop_waiting(*at);
                run.state = *state;
                run.reason.clone_from(reason);
                run.flaky = *flaky;
                run.finished_at = Some(*at);
            }
            Event::StageInterrupted {
                stage, reason, at, ..
            } => {
                let run = &mut lane.stages[*stage];
                run.stop_waiting(*at);
                run.state = StageState::Interrupted;
                run.reason = Some(reason.clone());
                run.finished_at = Some(*at);
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
                let component = lane.component.clone();
                self.approvals.push(ApprovalRecord {
                    lane: *id,
                    stage: *stage,
                    component,
                    fingerprint: fingerprint.clone(),
                    user: user.clone(),
                    at: *at,
                });
            }
            Event::Rejected { .. } | Event::Promoted { .. } => {}
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
        }
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

    /// Every lane, oldest first.
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
        LaneId(self.lanes.keys().next_back().map_or(1, |last| last.0 + 1))
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
