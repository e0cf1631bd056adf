//! What an event means for the one lane it is about: the part of folding that needs nothing
//! but the lane, so that a lane can be read back from its own events alone.

use crate::{Attempt, Event, Lane, Role, StageRun, StageState, StepRecord};

impl Lane {
    /// The lane a `lane_created` event creates; `None` for any other event.
    pub(crate) fn created(event: &Event) -> Option<Self> {
        let Event::LaneCreated {
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
        else {
            return None;
        };
        Some(Self {
            id: *lane,
            commit: commit.clone(),
            component: component.clone(),
            fingerprint: fingerprint.clone(),
            author: author.clone(),
            role: *role,
            depth: *depth,
            created_at: *at,
            stages: stages.iter().cloned().map(StageRun::new).collect(),
        })
    }

    /// Folds in an event about this lane (what it changes elsewhere, the world folds).
    #[expect(
        clippy::too_many_lines,
        reason = "one arm per event reads best as one match"
    )]
    pub(crate) fn fold(&mut self, event: &Event) {
        match event {
            Event::LaneRoleChanged { role, .. } => {
                if self.role == Role::Proposed {
                    for run in &mut self.stages {
                        if run.state == StageState::Skipped {
                            *run = StageRun::new(run.name.clone());
                        }
                    }
                }
                self.role = *role;
            }
            Event::StageUnchanged {
                stage,
                provenance,
                reason,
                at,
                ..
            } => {
                let run = &mut self.stages[*stage];
                run.stop_waiting(*at);
                run.state = StageState::Unchanged;
                run.provenance = Some(provenance.clone());
                run.reason = Some(reason.clone());
                run.finished_at = Some(*at);
            }
            Event::StageWaiting {
                stage, reason, at, ..
            } => {
                let run = &mut self.stages[*stage];
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
                let run = &mut self.stages[*stage];
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
                if let Some(run) = self.attempt_mut(*stage, *attempt) {
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
                let record = self
                    .attempt_mut(*stage, *attempt)
                    .and_then(|run| run.steps.get_mut(*step));
                if let Some(record) = record {
                    record.finished_at = Some(*at);
                    record.result = Some(result.clone());
                    record.passed = Some(*passed);
                }
            }
            Event::Deployed { stage, attempt, .. } => {
                if let Some(run) = self.attempt_mut(*stage, *attempt) {
                    run.deploying = false;
                }
            }
            Event::AttemptFinished {
                stage,
                attempt,
                outcome,
                at,
                ..
            } => {
                if let Some(run) = self.attempt_mut(*stage, *attempt) {
                    run.outcome = Some(outcome.clone());
                    run.finished_at = Some(*at);
                    run.deploying = false;
                }
            }
            Event::StageRetrying { stage, reason, .. } => {
                let run = &mut self.stages[*stage];
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
                let run = &mut self.stages[*stage];
                run.stop_waiting(*at);
                run.state = *state;
                run.reason.clone_from(reason);
                run.flaky = *flaky;
                run.finished_at = Some(*at);
            }
            Event::StageInterrupted {
                stage, reason, at, ..
            } => {
                let run = &mut self.stages[*stage];
                run.stop_waiting(*at);
                run.state = StageState::Interrupted;
                run.reason = Some(reason.clone());
                run.finished_at = Some(*at);
            }
            Event::LaneCreated { .. }
            | Event::CommitRecorded { .. }
            | Event::Tagged { .. }
            | Event::BecameLastKnownGood { .. }
            | Event::LockAcquired { .. }
            | Event::LockReleased { .. }
            | Event::Approved { .. }
            | Event::Rejected { .. }
            | Event::Promoted { .. }
            | Event::MarkedBad { .. }
            | Event::RolledBack { .. }
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

    /// Whether the lane will not move again on its own: it reached its end, or a stage failed
    /// or was canceled. (An interrupted deploy waits for a person: not ended.)
    #[must_use]
    pub fn has_ended(&self) -> bool {
        self.current_stage().is_none_or(|index| {
            matches!(
                self.stages[index].state,
                StageState::Failed | StageState::Canceled
            )
        })
    }

    fn attempt_mut(&mut self, stage: usize, number: u32) -> Option<&mut Attempt> {
        self.stages[stage]
            .attempts
            .iter_mut()
            .find(|attempt| attempt.number == number)
    }
}
