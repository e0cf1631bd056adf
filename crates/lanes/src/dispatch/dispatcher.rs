//! The dispatcher: the one owner of scheduling for a commit's lanes. It asks the engine what
//! comes next, records it in the ledger, starts attempts as tasks up to the job limit, and
//! selects over their reports, a timer (for queued lanes) and Ctrl-C. Attempts talk to it over
//! a channel only; it alone writes the ledger.

use std::collections::BTreeSet;
use std::time::Duration;

use lanes_engine::{
    AttemptPlan, Event, Idle, LaneId, Next, StageState, attempt_finished, deploy_finished,
    missing_fix, next_step, recover,
};
use lanes_manifest::Manifest;
use lanes_store::{Store, StoreError};
use tokio::signal::unix::{SignalKind, signal};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use crate::dispatch::Progress;
use crate::dispatch::attempt::{AttemptContext, Report, run_attempt};
use crate::failure::Failure;
use crate::state_dir::StateDir;

/// How the lanes of the commit stand when the dispatcher stops.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) struct RunSummary {
    pub(crate) done: usize,
    pub(crate) waiting: usize,
    pub(crate) stopped: usize,
    pub(crate) needs_decision: usize,
    /// Ctrl-C stopped the run; unfinished attempts were abandoned.
    pub(crate) interrupted: bool,
}

pub(crate) struct Dispatcher {
    pub(crate) repo: lanes_git::Repo,
    pub(crate) store: Store,
    pub(crate) manifest: Manifest,
    pub(crate) commit: String,
    pub(crate) state: StateDir,
    pub(crate) worktree: std::path::PathBuf,
    pub(crate) jobs: usize,
    pub(crate) progress: Progress,
    /// `LANES_REF` and the like, for every step.
    pub(crate) commit_text: Vec<(String, String)>,
    pub(crate) scope: Scope,
}

/// Which lanes of the commit the dispatcher drives, and how far.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Scope {
    /// Only this lane (`lanes promote`); every lane of the commit when `None`.
    pub(crate) only: Option<LaneId>,
    /// No stage after this one starts.
    pub(crate) last_stage: Option<usize>,
}

pub(crate) fn now() -> i64 {
    i64::try_from(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_millis()),
    )
    .unwrap_or(i64::MAX)
}

impl Dispatcher {
    /// Appends events decided on the current world. When another process appended first, the
    /// world is reloaded and `false` returned: the caller decides again.
    async fn try_append(&mut self, events: &[Event]) -> Result<bool, Failure> {
        match self.store.append(events).await {
            Ok(()) => {
                for event in events {
                    self.progress.event(event, self.store.world());
                }
                Ok(true)
            }
            Err(StoreError::Conflict { .. }) => {
                self.store.refresh().await.map_err(Failure::store)?;
                Ok(false)
            }
            Err(error) => Err(Failure::store(error)),
        }
    }

    /// Records the events `decide` derives from the current world, deciding again after a
    /// conflict.
    async fn record(
        &mut self,
        decide: impl Fn(&lanes_engine::World) -> Vec<Event>,
    ) -> Result<(), Failure> {
        loop {
            let events = decide(self.store.world());
            if events.is_empty() || self.try_append(&events).await? {
                return Ok(());
            }
        }
    }

    fn lanes(&self) -> Vec<LaneId> {
        let scope = self.scope;
        self.store
            .world()
            .lanes_of_commit(&self.commit)
            .filter(|lane| scope.only.is_none_or(|only| only == lane.id))
            .filter(|lane| {
                scope
                    .last_stage
                    .is_none_or(|last| lane.current_stage().is_none_or(|current| current <= last))
            })
            .map(|lane| lane.id)
            .collect()
    }

    /// Abandons attempts a dead run of this commit left behind: builds run again, deploys wait
    /// for a decision.
    pub(crate) async fn recover(&mut self) -> Result<(), Failure> {
        let lanes = self.lanes();
        let marks: Vec<String> = self
            .store
            .world()
            .running_tokens(&lanes)
            .into_iter()
            .map(|token| self.state.mark(token))
            .collect();
        end_orphans(&marks);
        let manifest = self.manifest.clone();
        self.record(|world| recover(world, &manifest, &lanes, now()))
            .await?;
        Ok(())
    }

    /// Drives the commit's lanes until each is done, stopped, or waiting for a person.
    pub(crate) async fn run(&mut self) -> Result<RunSummary, Failure> {
        let (sender, mut reports) = mpsc::unbounded_channel::<Report>();
        let cancel = CancellationToken::new();
        let mut running: BTreeSet<LaneId> = BTreeSet::new();
        let mut interrupted = false;
        let mut ticker = tokio::time::interval(Duration::from_millis(250));
        // Listening before any step starts: a Ctrl-C (or a TERM from a CI system) from then on
        // stops the steps cleanly instead of killing lanes and orphaning them.
        let mut interrupt = signal(SignalKind::interrupt())
            .map_err(|error| Failure::io("listen for Ctrl-C", error))?;
        let mut terminate = signal(SignalKind::terminate())
            .map_err(|error| Failure::io("listen for SIGTERM", error))?;
        // Only a finished attempt, a timer tick for queued lanes or the start can let a lane
        // move: step reports alone never do, so they do not cost a pass over the lanes.
        let mut need_advance = true;
        let mut queued = false;
        loop {
            if interrupted {
                queued = false;
            } else if need_advance {
                queued = self.advance(&mut running, &sender, &cancel).await?;
                need_advance = false;
            }
            if running.is_empty() && !queued {
                break;
            }
            tokio::select! {
                Some(report) = reports.recv() => {
                    // Group commit: every report waiting now goes into as few appends as can be.
                    let mut batch = vec![report];
                    while let Ok(more) = reports.try_recv() {
                        batch.push(more);
                    }
                    need_advance |= self.handle_batch(batch, &mut running).await?;
                }
                _ = ticker.tick(), if queued => {
                    need_advance = true;
                    self.store.refresh().await.map_err(Failure::store)?;
                }
                () = async { tokio::select! { _ = interrupt.recv() => (), _ = terminate.recv() => () } }, if !interrupted => {
                    interrupted = true;
                    self.progress.note("stopping: canceling running steps (Ctrl-C again does nothing; wait for the grace period)");
                    cancel.cancel();
                }
            }
        }
        if interrupted {
            self.recover().await?;
        }
        Ok(self.summary(interrupted))
    }

    /// Asks the engine about every idle lane until none moves; starts attempts while job slots
    /// are free. Returns whether some lane is queued behind a lock.
    async fn advance(
        &mut self,
        running: &mut BTreeSet<LaneId>,
        sender: &mpsc::UnboundedSender<Report>,
        cancel: &CancellationToken,
    ) -> Result<bool, Failure> {
        loop {
            let mut moved = false;
            let mut queued = false;
            for lane in self.lanes() {
                if running.contains(&lane) {
                    continue;
                }
                match next_step(self.store.world(), &self.manifest, lane, now()) {
                    Next::Record(events) => {
                        self.try_append(&events).await?;
                        moved = true;
                    }
                    Next::Start { plan, .. } if let Some(refusal) = self.refusal(&plan) => {
                        self.try_append(&[refusal]).await?;
                        moved = true;
                    }
                    Next::Start { events, plan } if running.len() < self.jobs => {
                        if self.try_append(&events).await? {
                            running.insert(lane);
                            let context = self.context(&plan.component);
                            tokio::spawn(run_attempt(
                                *plan,
                                context,
                                sender.clone(),
                                cancel.clone(),
                            ));
                        }
                        moved = true;
                    }
                    Next::Idle(Idle::Queued) => queued = true,
                    Next::Start { .. } | Next::Idle(_) => {}
                }
            }
            if !moved {
                return Ok(queued);
            }
        }
    }

    /// A deploy the flow refuses: the version lacks a hotfix deployed to that environment.
    fn refusal(&self, plan: &AttemptPlan) -> Option<Event> {
        plan.deploy.as_ref()?;
        let world = self.store.world();
        let lane = world.lane(plan.lane)?;
        let reason = missing_fix(world, &self.manifest, lane, plan.stage, |fix| {
            let resolve = |commit: &str| self.repo.resolve_commit(commit);
            resolve(fix)
                .and_then(|fix| self.repo.holds_change_of(resolve(&lane.commit)?, fix))
                .unwrap_or(false)
        })?;
        Some(Event::StageFinished {
            lane: plan.lane,
            stage: plan.stage,
            state: StageState::Failed,
            reason: Some(reason),
            flaky: false,
            at: now(),
        })
    }

    fn context(&self, component: &str) -> AttemptContext {
        AttemptContext {
            worktree: self.worktree.clone(),
            state: self.state.clone(),
            component_path: component_path(&self.manifest, component),
            secrets: secret_values(&self.manifest),
            commit_text: self.commit_text.clone(),
        }
    }

    /// Records the step reports of a batch in one append, then handles the others in order.
    /// Returns whether an attempt ended (so lanes may move).
    async fn handle_batch(
        &mut self,
        batch: Vec<Report>,
        running: &mut BTreeSet<LaneId>,
    ) -> Result<bool, Failure> {
        let mut steps = Vec::new();
        let mut others = Vec::new();
        for report in batch {
            match report {
                Report::Step(event) => steps.push(event),
                other => others.push(other),
            }
        }
        self.record(|_| steps.clone()).await?;
        let ended = !others.is_empty();
        for report in others {
            self.handle(report, running).await?;
        }
        Ok(ended)
    }

    async fn handle(
        &mut self,
        report: Report,
        running: &mut BTreeSet<LaneId>,
    ) -> Result<(), Failure> {
        let manifest = self.manifest.clone();
        match report {
            Report::Step(event) => self.record(|_| vec![event.clone()]).await?,
            Report::DeployFinished { lane, stage, token } => {
                self.record(|world| deploy_finished(world, &manifest, lane, stage, token, now()))
                    .await?;
            }
            Report::Finished {
                lane,
                stage,
                token,
                result,
            } => {
                self.record(|world| {
                    attempt_finished(world, &manifest, lane, stage, token, result.clone(), now())
                })
                .await?;
                running.remove(&lane);
            }
            Report::Abandoned { lane } => {
                running.remove(&lane);
            }
        }
        Ok(())
    }

    fn summary(&self, interrupted: bool) -> RunSummary {
        let mut summary = RunSummary {
            interrupted,
            ..RunSummary::default()
        };
        for lane in self.lanes() {
            match next_step(self.store.world(), &self.manifest, lane, now()) {
                Next::Idle(Idle::Done) => summary.done += 1,
                Next::Idle(Idle::Stopped) => summary.stopped += 1,
                Next::Idle(Idle::NeedsDecision) => summary.needs_decision += 1,
                _ => summary.waiting += 1,
            }
        }
        summary
    }
}

/// Ends the processes of attempts whose runner died: they would otherwise run on, unowned,
/// next to the attempts that replace them. They are found by the `LANES_TOKEN` every step
/// process inherits (the ledger may not have learnt their pids before the crash), and their
/// whole process groups are killed.
fn end_orphans(marks: &[String]) {
    if marks.is_empty() {
        return;
    }
    let marks: Vec<Vec<u8>> = marks
        .iter()
        .map(|mark| format!("LANES_TOKEN={mark}").into_bytes())
        .collect();
    let own_group = nix::unistd::getpgrp();
    let Ok(processes) = std::fs::read_dir("/proc") else {
        return;
    };
    for entry in processes.filter_map(Result::ok) {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|name| name.parse::<i32>().ok())
        else {
            continue;
        };
        // Unreadable (gone, or another user's): not ours.
        let Ok(environ) = std::fs::read(entry.path().join("environ")) else {
            continue;
        };
        if environ
            .split(|byte| *byte == 0)
            .any(|variable| marks.iter().any(|mark| variable == mark.as_slice()))
        {
            let pid = nix::unistd::Pid::from_raw(pid);
            if let Ok(group) = nix::unistd::getpgid(Some(pid))
                && group != own_group
            {
                let _ = nix::sys::signal::killpg(group, nix::sys::signal::Signal::SIGKILL);
            }
            let _ = nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGKILL);
        }
    }
}

/// The component's directory in the repository (`LANES_COMPONENT_PATH`): where its first glob
/// starts.
pub(crate) fn component_path(manifest: &Manifest, component: &str) -> String {
    manifest
        .find_component(component)
        .and_then(|id| {
            manifest
                .component(id)
                .paths
                .iter()
                .find(|p| !p.negated)
                .map(|p| p.literal_dir().to_owned())
        })
        .unwrap_or_default()
}

/// The values of the manifest's secrets from lanes' own environment; unset ones are left out.
pub(crate) fn secret_values(manifest: &Manifest) -> Vec<(String, String)> {
    manifest
        .secrets()
        .iter()
        .filter_map(|name| std::env::var(name).ok().map(|value| (name.clone(), value)))
        .collect()
}
