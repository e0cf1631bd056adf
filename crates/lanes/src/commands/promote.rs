//! `lanes promote`: moves a component's newest version that is ready for an environment into
//! it now — its lane runs the stage that owns the environment, and no further. Gates still
//! hold: an approval gate waits for `lanes approve`.

use std::path::Path;

use lanes_engine::{Decider, Event, StageState, World, may_decide};

use crate::cli::PromoteArgs;
use crate::commands::run::{DriveOptions, drive};
use crate::decider::proven_token;
use crate::dispatch::Scope;
use crate::dispatch::now;
use crate::failure::Failure;
use crate::ledger::{block_on, open, record};
use crate::output::Output;
use crate::workspace::{repository, required_manifest_at};

pub(crate) fn promote(
    directory: &Path,
    args: &PromoteArgs,
    output: &Output,
) -> Result<(), Failure> {
    let repo = repository(directory)?;
    let (world, token) = block_on(async {
        let (_, store) = open(&repo, &args.state).await?;
        let token = proven_token(&store, &args.user).await?;
        Ok((store.world().clone(), token))
    })?;
    let decider = Decider {
        user: &args.user,
        token: token.as_deref(),
    };
    let head = repo.resolve_commit("HEAD")?;
    let stage_name = required_manifest_at(&repo, head, "HEAD")?
        .stages()
        .iter()
        .find(|stage| stage.environment.as_deref() == Some(args.to.as_str()))
        .map(|stage| stage.name.clone())
        .ok_or_else(|| {
            Failure::Decision(lanes_engine::DecisionError::NoStageDeploysTo {
                environment: args.to.clone(),
            })
        })?;
    let (commit, stage) = ready_lane(&world, &args.component, &stage_name, &args.to)?;
    let commit_id = repo.resolve_commit(&commit)?;
    let manifest = required_manifest_at(&repo, commit_id, &commit)?;
    may_decide(&manifest, &args.component, Some(&args.to), decider).map_err(Failure::Decision)?;
    let lane = world
        .lane_of(&commit, &args.component)
        .expect("the ready lane exists")
        .id;
    let promoted = Event::Promoted {
        lane,
        stage,
        environment: args.to.clone(),
        user: args.user.clone(),
        token: token.clone(),
        at: now(),
    };
    let options = DriveOptions {
        rev: &commit,
        state: &args.state,
        jobs: 1,
        json: false,
        quiet: output.is_quiet(),
        scope: Scope {
            only: Some(lane),
            last_stage: Some(stage),
        },
    };
    let world = block_on(async {
        let (_, mut store) = open(&repo, &args.state).await?;
        record(&mut store, |_| vec![promoted.clone()]).await?;
        drop(store);
        drive(&repo, commit_id, manifest, &options, |_, _| Vec::new()).await?;
        let (_, mut store) = open(&repo, &args.state).await?;
        store.focus(&commit).await.map_err(Failure::store)?;
        Ok(store.world().clone())
    })?;
    let lane = world
        .lane_of(&commit, &args.component)
        .expect("the lane promoted exists");
    let run = &lane.stages[stage];
    let short = &commit[..7.min(commit.len())];
    match run.state {
        StageState::Succeeded | StageState::Unchanged => {
            output.say(&format!(
                "promoted {} from {short} to {}",
                args.component, args.to
            ));
            Ok(())
        }
        StageState::Waiting | StageState::Pending => {
            output.say(&format!(
                "{} from {short} waits at `{}`: {}",
                args.component,
                run.name,
                run.reason.as_deref().unwrap_or("")
            ));
            output.hint(&format!(
                "`lanes approve {} {} --as <approver>`, then promote again",
                args.component, run.name
            ));
            Ok(())
        }
        other => Err(Failure::Refused {
            message: format!(
                "`{}` of {} from {short} is {}: {}",
                run.name,
                args.component,
                other.as_str(),
                run.reason.as_deref().unwrap_or("")
            ),
            hint: Some(format!(
                "`lanes logs {} {} --commit {short}` shows why",
                args.component, run.name
            )),
        }),
    }
}

/// The newest lane of `component` whose stages before `stage_name` (the stage owning
/// `environment`) are green and that has not run it yet: its commit and the stage's index.
fn ready_lane(
    world: &World,
    component: &str,
    stage_name: &str,
    environment: &str,
) -> Result<(String, usize), Failure> {
    world
        .lanes()
        .rev()
        .filter(|lane| lane.component == component && world.bad_reason(component, &lane.fingerprint).is_none())
        .find_map(|lane| {
            let stage = lane.current_stage()?;
            let run = &lane.stages[stage];
            (run.name == stage_name && matches!(run.state, StageState::Pending | StageState::Waiting))
                .then(|| (lane.commit.clone(), stage))
        })
        .ok_or_else(|| Failure::Refused {
            message: format!("no version of `{component}` is ready for {environment}"),
            hint: Some("a version is ready when it passed every stage before the one that deploys there; `lanes board` shows where versions are".to_owned()),
        })
}
