//! One attempt at one stage, run as child processes: the deploy (with the version vector in
//! `LANES_VECTOR`) and then the stage's steps, each through the runner, reporting every step to
//! the dispatcher over a channel.

use std::path::{Path, PathBuf};

use lanes_engine::{AttemptPlan, AttemptResult, Event, LaneId};
use lanes_runner::{StepOutcome, StepSpec, run_step};
use tokio::sync::mpsc::UnboundedSender;
use tokio_util::sync::CancellationToken;

use crate::dispatch::now;
use crate::state_dir::StateDir;

/// What an attempt tells the dispatcher.
#[derive(Debug)]
pub(crate) enum Report {
    /// A step started or finished: an `Event::StepStarted` or `Event::StepFinished`, stamped
    /// when it happened. The dispatcher records these as they come, in batches.
    Step(Event),
    DeployFinished {
        lane: LaneId,
        stage: usize,
        token: u64,
    },
    Finished {
        lane: LaneId,
        stage: usize,
        token: u64,
        result: AttemptResult,
    },
    /// Canceled (lanes is stopping): the attempt is abandoned, like after a crash.
    Abandoned { lane: LaneId },
}

/// Everything an attempt needs besides its plan.
#[derive(Debug, Clone)]
pub(crate) struct AttemptContext {
    pub(crate) worktree: PathBuf,
    pub(crate) state: StateDir,
    /// The component's directory in the repository (`LANES_COMPONENT_PATH`).
    pub(crate) component_path: String,
    /// The manifest's secrets that are set: name and value, passed to steps and masked.
    pub(crate) secrets: Vec<(String, String)>,
    /// What people wrote about the commit (`LANES_REF`, `LANES_COMMIT_SUBJECT`,
    /// `LANES_AUTHOR`): untrusted text, so only ever an environment variable.
    pub(crate) commit_text: Vec<(String, String)>,
}

/// The untrusted text about a commit that steps may read: the revision as given (a branch
/// name, say), the subject of its message and its author.
pub(crate) fn commit_text(rev: &str, info: &lanes_git::CommitInfo) -> Vec<(String, String)> {
    vec![
        ("LANES_REF".to_owned(), rev.to_owned()),
        ("LANES_COMMIT_SUBJECT".to_owned(), info.subject.clone()),
        ("LANES_AUTHOR".to_owned(), info.author.clone()),
    ]
}

pub(crate) async fn run_attempt(
    plan: AttemptPlan,
    context: AttemptContext,
    reports: UnboundedSender<Report>,
    cancel: CancellationToken,
) {
    let (lane, stage, token) = (plan.lane, plan.stage, plan.token);
    let report = match attempt(&plan, &context, &reports, &cancel).await {
        Ok(()) => Report::Finished {
            lane,
            stage,
            token,
            result: AttemptResult::Passed,
        },
        Err(End::Failed(result)) => Report::Finished {
            lane,
            stage,
            token,
            result,
        },
        Err(End::Canceled) => Report::Abandoned { lane },
    };
    let _ = reports.send(report);
}

/// Why an attempt ended early.
enum End {
    Failed(AttemptResult),
    Canceled,
}

fn failed(step: usize, deploy: bool, detail: String) -> End {
    End::Failed(AttemptResult::Failed {
        step,
        deploy,
        detail,
    })
}

/// The deploy, then the steps, each reported; stops at the first that does not pass.
async fn attempt(
    plan: &AttemptPlan,
    context: &AttemptContext,
    reports: &UnboundedSender<Report>,
    cancel: &CancellationToken,
) -> Result<(), End> {
    let deploying = plan.deploy.is_some();
    let env = environment(plan, context).map_err(|detail| failed(0, deploying, detail))?;
    let log = context.state.log(plan.lane, &plan.stage_name, plan.attempt);
    if let Some(parent) = log.parent() {
        create_dir(parent).map_err(|detail| failed(0, deploying, detail))?;
    }
    let deploy = plan
        .deploy
        .iter()
        .map(|deploy| (deploy.command.clone(), true));
    let steps = plan.steps.iter().map(|command| (command.clone(), false));
    for (step, (command, is_deploy)) in deploy.chain(steps).enumerate() {
        let mut spec = StepSpec::new(command.clone(), &context.worktree, &log);
        spec.withheld = lanes_own_variables();
        spec.env.clone_from(&env);
        spec.env.extend(context.commit_text.iter().cloned());
        spec.env.extend(context.secrets.iter().cloned());
        spec.secrets = context
            .secrets
            .iter()
            .map(|(_, value)| value.clone())
            .collect();
        spec.timeout = plan.timeout_seconds.map(std::time::Duration::from_secs);
        let outcome = run_one(spec, plan, step, reports, cancel)
            .await
            .map_err(|detail| failed(step, is_deploy, detail))?;
        let passed = outcome.is_success();
        let (lane, stage, attempt) = (plan.lane, plan.stage, plan.attempt);
        let _ = reports.send(Report::Step(Event::StepFinished {
            lane,
            stage,
            attempt,
            step,
            result: describe(outcome),
            passed,
            at: now(),
        }));
        if outcome == StepOutcome::Canceled {
            return Err(End::Canceled);
        }
        if !passed {
            let what = if is_deploy { "the deploy" } else { "step" };
            return Err(failed(
                step,
                is_deploy,
                format!("{what} `{command}` {outcome}"),
            ));
        }
        if is_deploy {
            let _ = reports.send(Report::DeployFinished {
                lane,
                stage,
                token: plan.token,
            });
        }
    }
    Ok(())
}

/// Runs one step, reporting its start with the process id as soon as it runs (recorded first,
/// so that a crash of lanes leaves behind what to end). An error is a step that could not run.
async fn run_one(
    mut spec: StepSpec,
    plan: &AttemptPlan,
    step: usize,
    reports: &UnboundedSender<Report>,
    cancel: &CancellationToken,
) -> Result<StepOutcome, String> {
    let command = spec.command.clone();
    let (spawned, mut pid) = tokio::sync::mpsc::unbounded_channel();
    spec.spawned = Some(spawned);
    let step_cancel = cancel.clone();
    let running = tokio::spawn(async move { run_step(&spec, step_cancel, None).await });
    // Nothing comes when the step cannot start.
    let pid = pid.recv().await;
    let (lane, stage, attempt) = (plan.lane, plan.stage, plan.attempt);
    let _ = reports.send(Report::Step(Event::StepStarted {
        lane,
        stage,
        attempt,
        step,
        command: command.clone(),
        pid,
        at: now(),
    }));
    let error = match running.await {
        Ok(Ok(report)) => return Ok(report.outcome),
        Ok(Err(error)) => format!(
            "`{command}` could not run: {}",
            crate::failure::chain(&error)
        ),
        Err(join) => format!("`{command}` lost its runner: {join}"),
    };
    let _ = reports.send(Report::Step(Event::StepFinished {
        lane,
        stage,
        attempt,
        step,
        result: "not started".into(),
        passed: false,
        at: now(),
    }));
    Err(error)
}

/// How a step ended, in the ledger's words.
fn describe(outcome: StepOutcome) -> String {
    match outcome {
        StepOutcome::Succeeded => "exit 0".to_owned(),
        StepOutcome::Failed {
            exit_code: Some(code),
            ..
        } => format!("exit {code}"),
        StepOutcome::Failed {
            signal: Some(signal),
            ..
        } => format!("signal {signal}"),
        StepOutcome::Failed { .. } => "failed".to_owned(),
        StepOutcome::TimedOut => "timed out".to_owned(),
        StepOutcome::Canceled => "canceled".to_owned(),
    }
}

/// The step's context, only ever as environment variables and files.
fn environment(
    plan: &AttemptPlan,
    context: &AttemptContext,
) -> Result<Vec<(String, String)>, String> {
    let artifacts = context.state.artifacts(&plan.component, &plan.fingerprint);
    create_dir(&artifacts)?;
    let mut env = vec![
        ("LANES_COMPONENT".to_owned(), plan.component.clone()),
        (
            "LANES_COMPONENT_PATH".to_owned(),
            context.component_path.clone(),
        ),
        ("LANES_STAGE".to_owned(), plan.stage_name.clone()),
        ("LANES_COMMIT".to_owned(), plan.commit.clone()),
        ("LANES_VERSION".to_owned(), plan.fingerprint.clone()),
        ("LANES_ATTEMPT".to_owned(), plan.attempt.to_string()),
        // Marks every process of the attempt, so that after a crash they can be found and ended.
        ("LANES_TOKEN".to_owned(), context.state.mark(plan.token)),
        (
            "LANES_ARTIFACTS".to_owned(),
            artifacts.display().to_string(),
        ),
    ];
    if let Some((environment, instance)) = &plan.environment {
        let place = context.state.environment(environment, instance);
        create_dir(&place)?;
        env.extend([
            ("LANES_ENVIRONMENT".to_owned(), environment.clone()),
            ("LANES_INSTANCE".to_owned(), instance.clone()),
            ("LANES_PLACE".to_owned(), place.display().to_string()),
        ]);
    }
    if let Some(deploy) = &plan.deploy {
        let vector = context
            .state
            .vector(plan.lane, &plan.stage_name, plan.attempt);
        if let Some(parent) = vector.parent() {
            create_dir(parent)?;
        }
        let text = serde_json::to_string_pretty(&deploy.vector).expect("a vector serializes");
        std::fs::write(&vector, text)
            .map_err(|error| format!("failed to write {}: {error}", vector.display()))?;
        env.push(("LANES_VECTOR".to_owned(), vector.display().to_string()));
    }
    Ok(env)
}

fn create_dir(path: &Path) -> Result<(), String> {
    std::fs::create_dir_all(path)
        .map_err(|error| format!("failed to create {}: {error}", path.display()))
}

/// The `LANES_*` variables of lanes' own environment: API tokens and webhook credentials among
/// them. A step gets only the `LANES_*` variables lanes sets for it, never these.
fn lanes_own_variables() -> Vec<String> {
    std::env::vars_os()
        .filter_map(|(name, _)| name.into_string().ok())
        .filter(|name| name.starts_with("LANES_"))
        .collect()
}
