//! `lanes rollback`: the environment's current version of a component is marked bad (never
//! promoted again) and the previous last known good version is deployed again, from the
//! artifact its build kept.

use std::path::Path;

use lanes_engine::{AttemptPlan, AttemptResult, Decider, may_decide, plan_rollback};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use crate::cli::RollbackArgs;
use crate::decider::proven_token;
use crate::dispatch::{
    AttemptContext, Report, commit_text, component_path, now, run_attempt, secret_values,
};
use crate::failure::Failure;
use crate::ledger::{block_on, open_whole};
use crate::output::Output;
use crate::workspace::{repository, required_manifest_at};

pub(crate) fn rollback(
    directory: &Path,
    args: &RollbackArgs,
    output: &Output,
) -> Result<(), Failure> {
    let repo = repository(directory)?;
    let head = repo.resolve_commit("HEAD")?;
    let described = block_on(async {
        let (dir, mut store) = open_whole(&repo, &args.state).await?;
        // The target's own manifest says how it deploys.
        let current = required_manifest_at(&repo, head, "HEAD")?;
        let token = proven_token(&store, &args.user).await?;
        let decider = Decider {
            user: &args.user,
            token: token.as_deref(),
        };
        may_decide(&current, &args.component, Some(&args.env), decider)
            .map_err(Failure::Decision)?;
        let first = plan_rollback(store.world(), &current, &args.component, &args.env)
            .map_err(Failure::Decision)?;
        let target_commit = repo.resolve_commit(&first.target.commit)?;
        let manifest = required_manifest_at(&repo, target_commit, &first.target.commit)?;
        let plan = plan_rollback(store.world(), &manifest, &args.component, &args.env)
            .map_err(Failure::Decision)?;
        store
            .append(&[plan.mark_bad(decider, &args.reason, now())])
            .await
            .map_err(Failure::store)?;
        output.say(&format!("rolling back {}", plan.describe()));

        let worktree = dir.worktree(&plan.target.commit);
        repo.ensure_worktree(&worktree, target_commit)?;
        crate::state_gc::touch(&worktree)?;
        let stage = manifest
            .stages()
            .iter()
            .position(|s| s.name == plan.stage_name)
            .unwrap_or_default();
        let attempt = AttemptPlan {
            lane: plan.target_lane(),
            stage,
            stage_name: plan.stage_name.clone(),
            // Attempt 0 of the target's lane: the rollback's deploy, logged on its own.
            attempt: 0,
            token: 0,
            component: plan.component.clone(),
            commit: plan.target.commit.clone(),
            fingerprint: plan.target.fingerprint.clone(),
            environment: Some((
                plan.deploy.environment.clone(),
                plan.deploy.instance.clone(),
            )),
            deploy: Some(plan.deploy.clone()),
            steps: Vec::new(),
            builds_version: false,
            timeout_seconds: manifest.stages().get(stage).and_then(|s| s.timeout_seconds),
        };
        let context = AttemptContext {
            worktree,
            state: dir.clone(),
            component_path: component_path(&manifest, &plan.component),
            secrets: secret_values(&manifest),
            commit_text: commit_text(&plan.target.commit, &repo.commit_info(target_commit)?),
        };
        let (sender, mut reports) = mpsc::unbounded_channel();
        tokio::spawn(run_attempt(
            attempt,
            context,
            sender,
            CancellationToken::new(),
        ));
        let mut outcome = None;
        while let Some(report) = reports.recv().await {
            if let Report::Finished { result, .. } = report {
                outcome = Some(result);
            }
        }
        match outcome {
            Some(AttemptResult::Passed) => {
                store
                    .append(&[plan.rolled_back(decider, now())])
                    .await
                    .map_err(Failure::store)?;
                Ok(plan.describe())
            }
            Some(AttemptResult::Failed { detail, .. }) => Err(Failure::Refused {
                message: format!("the rollback's deploy failed: {detail}"),
                hint: Some(format!(
                    "`lanes logs {} {}` shows its log (attempt 0)",
                    plan.component, plan.stage_name
                )),
            }),
            None => Err(Failure::Refused {
                message: "the rollback's deploy was interrupted".to_owned(),
                hint: None,
            }),
        }
    })?;
    output.say(&format!("rolled back {described}"));
    Ok(())
}
