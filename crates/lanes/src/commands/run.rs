//! `lanes run`: run the lanes of a commit until each is done, stopped or waiting for a person.

use std::path::Path;

use lanes_git::Repo;

use crate::cli::RunArgs;
use crate::dispatch::{Dispatcher, Progress, commit_text, now, plan_lanes};
use crate::failure::Failure;
use crate::ledger::{block_on, open};
use crate::output::Output;
use crate::workspace::{repository, required_manifest_at};

pub(crate) fn run(directory: &Path, args: &RunArgs, output: &Output) -> Result<(), Failure> {
    let repo = repository(directory)?;
    let commit = repo.resolve_commit(&args.rev)?;
    let manifest = required_manifest_at(&repo, commit, &args.rev)?;
    if manifest.stages().is_empty() {
        return Err(Failure::Refused {
            message: "lanes.yml has no stages, so there is nothing to run".to_owned(),
            hint: Some("describe the lane under `stages:` (see docs/manifest.md)".to_owned()),
        });
    }
    let setup = plan_lanes(&repo, &manifest, commit)?;
    let commit_id = commit.to_string();
    let summary = block_on(async {
        let (state, mut store) = open(&repo, &args.state).await?;
        claim(&mut store, &commit_id).await?;
        let run = store
            .begin_run(&commit_id, std::process::id(), now())
            .await
            .map_err(Failure::store)?;
        let worktree = state.worktree(&commit_id);
        repo_worktree(&repo, &worktree, commit)?;
        let mut dispatcher = Dispatcher {
            store,
            manifest,
            commit: commit_id.clone(),
            state,
            worktree,
            jobs: args.jobs.max(1),
            progress: Progress::new(args.json),
            commit_text: commit_text(&args.rev, &repo.commit_info(commit)?),
        };
        dispatcher.recover().await?;
        let creation = setup.events(
            dispatcher.store.world(),
            &dispatcher.manifest,
            &commit_id,
            now(),
        );
        if !creation.is_empty() {
            dispatcher
                .store
                .append(&creation)
                .await
                .map_err(Failure::store)?;
        }
        let summary = dispatcher.run().await?;
        dispatcher
            .store
            .finish_run(run, now())
            .await
            .map_err(Failure::store)?;
        Ok(summary)
    })?;
    if setup.lanes.is_empty() {
        output.say(&format!(
            "{} affects no component: nothing to run",
            commit.short()
        ));
        return Ok(());
    }
    output.say(&format!(
        "{}: {} done, {} waiting, {} failed, {} need a decision",
        commit.short(),
        summary.done,
        summary.waiting,
        summary.stopped,
        summary.needs_decision
    ));
    output.hint(&format!(
        "`lanes status {}` shows every lane",
        commit.short()
    ));
    if summary.interrupted {
        return Err(Failure::Reported(130));
    }
    if summary.stopped > 0 || summary.needs_decision > 0 {
        return Err(Failure::Reported(5));
    }
    Ok(())
}

fn repo_worktree(repo: &Repo, path: &Path, commit: lanes_git::CommitId) -> Result<(), Failure> {
    repo.ensure_worktree(path, commit)?;
    Ok(())
}

/// Refuses to drive a commit another live `lanes run` drives; finishes the records of dead ones
/// (their attempts are recovered by the dispatcher).
async fn claim(store: &mut lanes_store::Store, commit: &str) -> Result<(), Failure> {
    for run in store.unfinished_runs().await.map_err(Failure::store)? {
        if run.commit != commit {
            continue;
        }
        if run.pid != std::process::id() && Path::new(&format!("/proc/{}", run.pid)).exists() {
            return Err(Failure::Refused {
                message: format!(
                    "another `lanes run` (pid {}) is running the lanes of {}",
                    run.pid,
                    &commit[..7]
                ),
                hint: Some(
                    "wait for it, or stop it: its attempts are recovered when lanes runs again"
                        .to_owned(),
                ),
            });
        }
        store
            .finish_run(run.id, now())
            .await
            .map_err(Failure::store)?;
    }
    Ok(())
}
