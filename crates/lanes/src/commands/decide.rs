//! `lanes approve`, `lanes reject` and `lanes retry`: a person's decisions, recorded in the
//! ledger with who took them.

use std::path::Path;

use lanes_engine::{Decider, DecisionError, Event, GateTarget, World};
use lanes_git::Repo;
use lanes_manifest::Manifest;

use crate::change_parties::parties_of;
use crate::cli::{DecisionArgs, RejectArgs};
use crate::decider::proven_token;
use crate::dispatch::now;
use crate::failure::Failure;
use crate::ledger::{block_on, open};
use crate::output::Output;
use crate::workspace::{repository, required_manifest_at};

/// Which decision.
pub(crate) enum Decision<'a> {
    Approve,
    Reject { reason: &'a str },
    Retry,
}

pub(crate) fn approve(
    directory: &Path,
    args: &DecisionArgs,
    output: &Output,
) -> Result<(), Failure> {
    decide(directory, args, &Decision::Approve, output)
}

pub(crate) fn reject(directory: &Path, args: &RejectArgs, output: &Output) -> Result<(), Failure> {
    decide(
        directory,
        &args.decision,
        &Decision::Reject {
            reason: &args.reason,
        },
        output,
    )
}

pub(crate) fn retry(directory: &Path, args: &DecisionArgs, output: &Output) -> Result<(), Failure> {
    decide(directory, args, &Decision::Retry, output)
}

fn decide(
    directory: &Path,
    args: &DecisionArgs,
    decision: &Decision<'_>,
    output: &Output,
) -> Result<(), Failure> {
    let repo = repository(directory)?;
    let commit = args
        .commit
        .as_deref()
        .map(|rev| repo.resolve_commit(rev))
        .transpose()?
        .map(|id| id.to_string());
    let (lane_commit, events) = block_on(async {
        let (_, mut store) = open(&repo, &args.state).await?;
        if let Some(commit) = &commit {
            store.focus(commit).await.map_err(Failure::store)?;
        }
        let token = proven_token(&store, &args.user).await?;
        let decider = Decider {
            user: &args.user,
            token: token.as_deref(),
        };
        loop {
            let world = store.world();
            let (lane_commit, manifest) = lane_manifest(&repo, world, args, commit.as_deref())?;
            let target = GateTarget {
                component: &args.component,
                stage: &args.stage,
                commit: Some(&lane_commit),
            };
            let events = match decision {
                Decision::Approve => {
                    let parties = approval_parties(&repo, world, &manifest, args, &lane_commit)?;
                    lanes_engine::approve(world, &manifest, target, decider, &parties, now())
                }
                Decision::Reject { reason } => {
                    lanes_engine::reject(world, &manifest, target, decider, reason, now())
                }
                Decision::Retry => retry_events(
                    world,
                    &manifest,
                    &args.component,
                    &args.stage,
                    &lane_commit,
                    decider,
                ),
            }
            .map_err(refused)?;
            match store.append(&events).await {
                Ok(()) => return Ok((lane_commit, events)),
                Err(lanes_store::StoreError::Conflict { .. }) => {
                    store.refresh().await.map_err(Failure::store)?;
                }
                Err(error) => return Err(Failure::store(error)),
            }
        }
    })?;
    let short = &lane_commit[..7.min(lane_commit.len())];
    let what = match (decision, events.first()) {
        (Decision::Approve, _) => format!(
            "{} approved {} at {} for {short}",
            args.user, args.component, args.stage
        ),
        (Decision::Reject { .. }, _) => format!(
            "{} rejected {} at {} for {short}",
            args.user, args.component, args.stage
        ),
        (Decision::Retry, _) => format!(
            "the deploy of {} at {} for {short} will run again",
            args.component, args.stage
        ),
    };
    output.say(&what);
    if !matches!(decision, Decision::Reject { .. }) {
        output.hint(&format!(
            "{} continues the lane",
            output.command(&format!("run {short}"))
        ));
    }
    Ok(())
}

/// The commit of the lane meant (given, else the newest lane of the component that has the
/// stage), and the manifest that lane was created from.
fn lane_manifest(
    repo: &Repo,
    world: &World,
    args: &DecisionArgs,
    commit: Option<&str>,
) -> Result<(String, Manifest), Failure> {
    let lane = world
        .lanes()
        .rev()
        .filter(|lane| {
            lane.component == args.component && commit.is_none_or(|commit| lane.commit == commit)
        })
        .find(|lane| {
            lane.stages.iter().any(|stage| {
                stage.name == args.stage
                    && matches!(
                        stage.state,
                        lanes_engine::StageState::Pending
                            | lanes_engine::StageState::Waiting
                            | lanes_engine::StageState::Interrupted
                    )
            })
        })
        .ok_or_else(|| {
            refused(DecisionError::NothingWaiting {
                component: args.component.clone(),
                stage: args.stage.clone(),
            })
        })?;
    let id = repo.resolve_commit(&lane.commit)?;
    Ok((
        lane.commit.clone(),
        required_manifest_at(repo, id, &lane.commit)?,
    ))
}

fn retry_events(
    world: &World,
    manifest: &Manifest,
    component: &str,
    stage: &str,
    commit: &str,
    decider: Decider<'_>,
) -> Result<Vec<Event>, DecisionError> {
    let lane = world
        .lane_of(commit, component)
        .ok_or(DecisionError::UnknownLane)?;
    let index = manifest
        .stages()
        .iter()
        .position(|s| s.name == stage)
        .ok_or_else(|| DecisionError::UnknownStage {
            stage: stage.to_owned(),
        })?;
    lanes_engine::retry_interrupted(world, manifest, lane.id, index, decider, now())
}

/// The parties of the version waiting at the stage: who may not approve it.
fn approval_parties(
    repo: &Repo,
    world: &World,
    manifest: &Manifest,
    args: &DecisionArgs,
    commit: &str,
) -> Result<Vec<String>, Failure> {
    let Some(lane) = world.lane_of(commit, &args.component) else {
        return Ok(Vec::new());
    };
    let environment = manifest
        .stages()
        .iter()
        .find(|stage| stage.name == args.stage)
        .and_then(|stage| stage.environment.as_deref());
    parties_of(repo, world, manifest, lane, environment)
}

fn refused(error: DecisionError) -> Failure {
    Failure::Decision(error)
}
