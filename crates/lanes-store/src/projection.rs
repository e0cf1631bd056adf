//! The projection tables: what a batch of events changed, read from the world the events made
//! (so that `World::apply` stays the one definition of what an event means), and written in
//! the transaction that appends the events.

use std::collections::{BTreeMap, BTreeSet};

use lanes_engine::{
    ApprovalRecord, Attempt, AttemptOutcome, Deployment, Event, LaneId, Millis, StageState, World,
};
use sqlx::SqliteConnection;

use crate::flow_projection::FlowProjection;

/// The rows a batch of events changes.
#[derive(Debug, Default)]
pub(crate) struct Projection {
    new_lanes: Vec<LaneId>,
    stages: BTreeSet<(LaneId, usize)>,
    attempts: BTreeSet<(LaneId, usize, u32)>,
    /// `(environment, instance, component)` to what it holds after the batch.
    deployments: BTreeMap<(String, String, String), Deployment>,
    last_known_good: Vec<LastKnownGoodRow>,
    /// `(environment, component)` to its holder and since when, or `None` once released.
    locks: BTreeMap<(String, String), Option<(LaneId, Millis)>>,
    /// With the position of their `approved` event in the batch.
    approvals: Vec<(usize, ApprovalRecord)>,
    versions: Vec<VersionRow>,
    /// `(lane, user, reason, at)` of versions marked bad.
    bad: Vec<(LaneId, String, String, Millis)>,
    flow: FlowProjection,
}

#[derive(Debug)]
struct LastKnownGoodRow {
    environment: String,
    component: String,
    /// 1 for the first version that became last known good there.
    sequence: usize,
    deployment: Deployment,
}

#[derive(Debug)]
struct VersionRow {
    component: String,
    fingerprint: String,
    lane: LaneId,
    commit: String,
    at: Millis,
}

impl Projection {
    /// Notes what `event`, the `index`th of the batch, changed; `world` has just applied it.
    #[expect(
        clippy::too_many_lines,
        reason = "one arm per event reads best as one match"
    )]
    pub(crate) fn record(&mut self, world: &World, index: usize, event: &Event) {
        self.flow.record(world, event);
        let Some(id) = event.lane() else {
            return;
        };
        match event {
            Event::LaneCreated { stages, .. } => {
                self.new_lanes.push(id);
                self.stages
                    .extend((0..stages.len()).map(|stage| (id, stage)));
            }
            Event::LaneRoleChanged { .. } => {
                if let Some(lane) = world.lane(id) {
                    self.stages
                        .extend((0..lane.stages.len()).map(|stage| (id, stage)));
                }
            }
            Event::StageUnchanged { stage, .. }
            | Event::StageWaiting { stage, .. }
            | Event::StageRetrying { stage, .. }
            | Event::StageInterrupted { stage, .. } => {
                self.stages.insert((id, *stage));
            }
            Event::StageFinished { stage, .. } => {
                self.stages.insert((id, *stage));
                self.record_version(world, id, *stage);
            }
            Event::AttemptStarted { stage, attempt, .. } => {
                self.stages.insert((id, *stage));
                self.attempts.insert((id, *stage, *attempt));
            }
            Event::StepStarted { stage, attempt, .. }
            | Event::StepFinished { stage, attempt, .. }
            | Event::AttemptFinished { stage, attempt, .. } => {
                self.attempts.insert((id, *stage, *attempt));
            }
            Event::Deployed {
                stage,
                attempt,
                environment,
                instance,
                ..
            } => {
                self.attempts.insert((id, *stage, *attempt));
                let Some(lane) = world.lane(id) else { return };
                self.record_deployment(world, environment, instance, &lane.component);
            }
            Event::BecameLastKnownGood {
                environment,
                component,
                ..
            } => self.record_last_known_good(world, environment, component),
            Event::LockAcquired {
                environment,
                component,
                at,
                ..
            } => {
                if let Some(holder) = world.lock_holder(environment, component) {
                    let key = (environment.clone(), component.clone());
                    self.locks.insert(key, Some((holder, *at)));
                }
            }
            Event::LockReleased {
                environment,
                component,
                ..
            } => {
                if world.lock_holder(environment, component).is_none() {
                    self.locks
                        .insert((environment.clone(), component.clone()), None);
                }
            }
            Event::Approved {
                stage,
                fingerprint,
                user,
                at,
                ..
            } => {
                let Some(lane) = world.lane(id) else { return };
                let record = ApprovalRecord {
                    lane: id,
                    stage: *stage,
                    component: lane.component.clone(),
                    fingerprint: fingerprint.clone(),
                    user: user.clone(),
                    at: *at,
                };
                self.approvals.push((index, record));
            }
            Event::MarkedBad {
                user, reason, at, ..
            } => {
                self.bad.push((id, user.clone(), reason.clone(), *at));
            }
            Event::RolledBack {
                environment,
                instance,
                ..
            } => {
                let Some(lane) = world.lane(id) else { return };
                self.record_deployment(world, environment, instance, &lane.component);
                self.record_last_known_good(world, environment, &lane.component);
            }
            // A rejection's stage end comes as its own `stage_finished`; the path through git is
            // written by the flow projection.
            Event::Rejected { .. }
            | Event::Promoted { .. }
            | Event::CommitRecorded { .. }
            | Event::Tagged { .. }
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

    /// What an environment instance holds now.
    fn record_deployment(
        &mut self,
        world: &World,
        environment: &str,
        instance: &str,
        component: &str,
    ) {
        if let Some(deployment) = world.deployment(environment, instance, component) {
            let key = (
                environment.to_owned(),
                instance.to_owned(),
                component.to_owned(),
            );
            self.deployments.insert(key, deployment.clone());
        }
    }

    /// The newest last known good version of a component in an environment.
    fn record_last_known_good(&mut self, world: &World, environment: &str, component: &str) {
        let history = world.lkg_history(environment, component);
        if let Some(deployment) = history.last() {
            self.last_known_good.push(LastKnownGoodRow {
                environment: environment.to_owned(),
                component: component.to_owned(),
                sequence: history.len(),
                deployment: deployment.clone(),
            });
        }
    }

    /// A lane's first stage passing builds its version.
    fn record_version(&mut self, world: &World, id: LaneId, stage: usize) {
        let Some(lane) = world.lane(id) else { return };
        let run = &lane.stages[stage];
        if stage == 0 && run.state == StageState::Succeeded {
            self.versions.push(VersionRow {
                component: lane.component.clone(),
                fingerprint: lane.fingerprint.clone(),
                lane: id,
                commit: lane.commit.clone(),
                at: run.finished_at.unwrap_or(lane.created_at),
            });
        }
    }

    /// Writes the rows of the batch's new lanes: they come before the events that name them.
    pub(crate) async fn write_lanes(
        &self,
        conn: &mut SqliteConnection,
        world: &World,
    ) -> Result<(), sqlx::Error> {
        for id in &self.new_lanes {
            let Some(lane) = world.lane(*id) else {
                continue;
            };
            sqlx::query(
                "INSERT INTO lanes (id, commit_id, component, fingerprint, author, created_at) \
                 VALUES (?, ?, ?, ?, ?, ?)",
            )
            .bind(lane_key(*id))
            .bind(&lane.commit)
            .bind(&lane.component)
            .bind(&lane.fingerprint)
            .bind(&lane.author)
            .bind(lane.created_at)
            .execute(&mut *conn)
            .await?;
        }
        Ok(())
    }

    /// Writes every other changed row; `event_ids` are the ids the batch's events got.
    pub(crate) async fn write_rest(
        &self,
        conn: &mut SqliteConnection,
        world: &World,
        event_ids: &[i64],
    ) -> Result<(), sqlx::Error> {
        self.write_stages(conn, world).await?;
        self.write_attempts(conn, world).await?;
        self.flow.write(conn, world).await?;
        for ((environment, instance, component), deployment) in &self.deployments {
            sqlx::query(
                "INSERT INTO deployments \
                 (environment, instance, component, lane, commit_id, fingerprint, at) \
                 VALUES (?, ?, ?, ?, ?, ?, ?) \
                 ON CONFLICT (environment, instance, component) DO UPDATE SET \
                 lane = excluded.lane, commit_id = excluded.commit_id, \
                 fingerprint = excluded.fingerprint, at = excluded.at",
            )
            .bind(environment)
            .bind(instance)
            .bind(component)
            .bind(lane_key(deployment.lane))
            .bind(&deployment.commit)
            .bind(&deployment.fingerprint)
            .bind(deployment.at)
            .execute(&mut *conn)
            .await?;
        }
        for row in &self.last_known_good {
            let deployment = &row.deployment;
            sqlx::query(
                "INSERT INTO last_known_good \
                 (environment, component, sequence, lane, commit_id, fingerprint, at) \
                 VALUES (?, ?, ?, ?, ?, ?, ?)",
            )
            .bind(&row.environment)
            .bind(&row.component)
            .bind(index_key(row.sequence))
            .bind(lane_key(deployment.lane))
            .bind(&deployment.commit)
            .bind(&deployment.fingerprint)
            .bind(deployment.at)
            .execute(&mut *conn)
            .await?;
        }
        self.write_locks(conn).await?;
        for (index, approval) in &self.approvals {
            sqlx::query(
                "INSERT INTO approvals \
                 (event, lane, stage, component, fingerprint, approver, at) \
                 VALUES (?, ?, ?, ?, ?, ?, ?)",
            )
            .bind(event_ids[*index])
            .bind(lane_key(approval.lane))
            .bind(index_key(approval.stage))
            .bind(&approval.component)
            .bind(&approval.fingerprint)
            .bind(&approval.user)
            .bind(approval.at)
            .execute(&mut *conn)
            .await?;
        }
        for (lane, user, reason, at) in &self.bad {
            let Some(carrier) = world.lane(*lane) else {
                continue;
            };
            sqlx::query(
                "INSERT INTO bad_versions (component, fingerprint, lane, reason, marked_by, at) \
                 VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (component, fingerprint) DO NOTHING",
            )
            .bind(&carrier.component)
            .bind(&carrier.fingerprint)
            .bind(lane_key(*lane))
            .bind(reason)
            .bind(user)
            .bind(at)
            .execute(&mut *conn)
            .await?;
        }
        for version in &self.versions {
            sqlx::query(
                "INSERT INTO versions \
                 (component, fingerprint, built_by_lane, built_by_commit, built_at) \
                 VALUES (?, ?, ?, ?, ?) \
                 ON CONFLICT (component, fingerprint) DO NOTHING",
            )
            .bind(&version.component)
            .bind(&version.fingerprint)
            .bind(lane_key(version.lane))
            .bind(&version.commit)
            .bind(version.at)
            .execute(&mut *conn)
            .await?;
        }
        Ok(())
    }

    async fn write_stages(
        &self,
        conn: &mut SqliteConnection,
        world: &World,
    ) -> Result<(), sqlx::Error> {
        for (id, stage) in &self.stages {
            let Some(run) = world.lane(*id).and_then(|lane| lane.stages.get(*stage)) else {
                continue;
            };
            sqlx::query(
                "INSERT INTO stage_runs \
                 (lane, stage, name, state, reason, provenance, flaky, started_at, finished_at) \
                 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) \
                 ON CONFLICT (lane, stage) DO UPDATE SET \
                 name = excluded.name, state = excluded.state, reason = excluded.reason, \
                 provenance = excluded.provenance, flaky = excluded.flaky, \
                 started_at = excluded.started_at, finished_at = excluded.finished_at",
            )
            .bind(lane_key(*id))
            .bind(index_key(*stage))
            .bind(&run.name)
            .bind(run.state.as_str())
            .bind(&run.reason)
            .bind(&run.provenance)
            .bind(run.flaky)
            .bind(run.started_at)
            .bind(run.finished_at)
            .execute(&mut *conn)
            .await?;
        }
        Ok(())
    }

    async fn write_attempts(
        &self,
        conn: &mut SqliteConnection,
        world: &World,
    ) -> Result<(), sqlx::Error> {
        for (id, stage, number) in &self.attempts {
            let attempt = world
                .lane(*id)
                .and_then(|lane| lane.stages.get(*stage))
                .and_then(|run| run.attempts.iter().find(|a| a.number == *number));
            let Some(attempt) = attempt else {
                continue;
            };
            write_attempt(conn, *id, *stage, attempt).await?;
        }
        Ok(())
    }

    async fn write_locks(&self, conn: &mut SqliteConnection) -> Result<(), sqlx::Error> {
        for ((environment, component), holder) in &self.locks {
            match holder {
                Some((lane, since)) => {
                    sqlx::query(
                        "INSERT INTO locks (environment, component, lane, acquired_at) \
                         VALUES (?, ?, ?, ?) \
                         ON CONFLICT (environment, component) DO UPDATE SET \
                         lane = excluded.lane, acquired_at = excluded.acquired_at",
                    )
                    .bind(environment)
                    .bind(component)
                    .bind(lane_key(*lane))
                    .bind(since)
                    .execute(&mut *conn)
                    .await?;
                }
                None => {
                    sqlx::query("DELETE FROM locks WHERE environment = ? AND component = ?")
                        .bind(environment)
                        .bind(component)
                        .execute(&mut *conn)
                        .await?;
                }
            }
        }
        Ok(())
    }
}

/// Writes one attempt's row and its steps' rows.
async fn write_attempt(
    conn: &mut SqliteConnection,
    id: LaneId,
    stage: usize,
    attempt: &Attempt,
) -> Result<(), sqlx::Error> {
    let outcome = attempt
        .outcome
        .as_ref()
        .map(|outcome| serde_json::to_string(outcome).expect("an outcome serializes to JSON"));
    sqlx::query(
        "INSERT INTO attempts \
         (lane, stage, number, token, deploying, outcome_kind, outcome, started_at, finished_at) \
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) \
         ON CONFLICT (lane, stage, number) DO UPDATE SET \
         token = excluded.token, deploying = excluded.deploying, \
         outcome_kind = excluded.outcome_kind, outcome = excluded.outcome, \
         started_at = excluded.started_at, finished_at = excluded.finished_at",
    )
    .bind(lane_key(id))
    .bind(index_key(stage))
    .bind(attempt.number)
    .bind(attempt.token.cast_signed())
    .bind(attempt.deploying)
    .bind(attempt.outcome.as_ref().map(outcome_kind))
    .bind(outcome)
    .bind(attempt.started_at)
    .bind(attempt.finished_at)
    .execute(&mut *conn)
    .await?;
    // A step started again replaces it and every step after it.
    sqlx::query("DELETE FROM steps WHERE lane = ? AND stage = ? AND attempt = ? AND step >= ?")
        .bind(lane_key(id))
        .bind(index_key(stage))
        .bind(attempt.number)
        .bind(index_key(attempt.steps.len()))
        .execute(&mut *conn)
        .await?;
    for (step, record) in attempt.steps.iter().enumerate() {
        sqlx::query(
            "INSERT INTO steps \
             (lane, stage, attempt, step, command, started_at, finished_at, result, passed) \
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) \
             ON CONFLICT (lane, stage, attempt, step) DO UPDATE SET \
             command = excluded.command, started_at = excluded.started_at, \
             finished_at = excluded.finished_at, result = excluded.result, \
             passed = excluded.passed",
        )
        .bind(lane_key(id))
        .bind(index_key(stage))
        .bind(attempt.number)
        .bind(index_key(step))
        .bind(&record.command)
        .bind(record.started_at)
        .bind(record.finished_at)
        .bind(&record.result)
        .bind(record.passed)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// The `kind` of an outcome, as in its JSON.
fn outcome_kind(outcome: &AttemptOutcome) -> &'static str {
    match outcome {
        AttemptOutcome::Passed => "passed",
        AttemptOutcome::Failed { .. } => "failed",
        AttemptOutcome::Abandoned { .. } => "abandoned",
    }
}

/// A lane id as the database stores it (a signed 64-bit integer; ids never come near the sign bit).
pub(crate) fn lane_key(id: LaneId) -> i64 {
    id.0.cast_signed()
}

/// A stage number, step number or sequence as the database stores it.
fn index_key(index: usize) -> i64 {
    i64::try_from(index).expect("positions fit in 64 bits")
}
