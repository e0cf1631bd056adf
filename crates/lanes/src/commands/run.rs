//! `lanes run`: run the lanes of a commit until each is done, stopped or waiting for a person.

use std::path::Path;

use lanes_engine::{Event, World};
use lanes_git::{CommitId, Repo};
use lanes_manifest::Manifest;

use crate::cli::{RunArgs, StateArg};
use crate::dispatch::{Dispatcher, Progress, RunSummary, Scope, commit_text, now};
use crate::failure::Failure;
use crate::flow::{GitPath, Walk, WalkReport, Work};
use crate::ledger::{block_on, open, record};
use crate::output::Output;
use crate::workspace::{repository, required_manifest_at};

pub(crate) fn run(directory: &Path, args: &RunArgs, output: &Output) -> Result<(), Failure> {
    crate::service::follow_serving_parent();
    let repo = repository(directory)?;
    let commit = repo.resolve_commit(&args.rev)?;
    let manifest = required_manifest_at(&repo, commit, &args.rev)?;
    if manifest.stages().is_empty() {
        return Err(Failure::Refused {
            message: "lanes.yml has no stages, so there is nothing to run".to_owned(),
            hint: Some("describe the lane under `stages:` (see docs/manifest.md)".to_owned()),
        });
    }
    let walk = Walk {
        path: GitPath::new(&repo)?,
        state: &args.state,
        jobs: args.jobs.unwrap_or_else(crate::cli::default_jobs),
        json: args.json,
        until_merged: false,
        push: args.push,
        output,
    };
    let report = block_on(walk.walk(vec![Work::FollowThrough {
        commit,
        rev: args.rev.clone(),
        against: None,
    }]))?;
    print_report(&report, output);
    report.outcome()
}

/// One line per commit whose lanes ran, and what became of the changes.
pub(crate) fn print_report(report: &WalkReport, output: &Output) {
    for (commit, summary) in &report.runs {
        let total = summary.done + summary.waiting + summary.stopped + summary.needs_decision;
        if total == 0 {
            output.say(&format!(
                "{}: no component needs a lane: each one's version there already passed or is on its way (`lanes status {}` gives each its verdict)",
                commit.short(),
                commit.short()
            ));
            continue;
        }
        output.say(&format!(
            "{}: {} done, {} waiting, {} failed, {} need a decision",
            commit.short(),
            summary.done,
            summary.waiting,
            summary.stopped,
            summary.needs_decision
        ));
    }
    for (change, reason) in &report.evicted {
        output.say(&format!("change {change} left the queue: {reason}"));
    }
    if let Some((commit, _)) = report.runs.last() {
        output.hint(&format!(
            "{} shows every lane",
            output.command(&format!("status {}", commit.short()))
        ));
    }
}

/// How `drive` runs a commit's lanes.
pub(crate) struct DriveOptions<'a> {
    /// The revision as the user gave it (`LANES_REF`).
    pub(crate) rev: &'a str,
    pub(crate) state: &'a StateArg,
    pub(crate) jobs: usize,
    pub(crate) json: bool,
    /// No progress at all (`lanes demo` without `--verbose`).
    pub(crate) quiet: bool,
    pub(crate) scope: Scope,
}

/// Drives the lanes of `commit` with a dispatcher: claims the commit, recovers what a dead run
/// left, records the lanes `create` returns, runs, and records the end of the run.
pub(crate) async fn drive(
    repo: &Repo,
    commit: CommitId,
    manifest: Manifest,
    options: &DriveOptions<'_>,
    create: impl Fn(&World, &Manifest) -> Vec<Event>,
) -> Result<RunSummary, Failure> {
    let commit_id = commit.to_string();
    let (state, mut store) = open(repo, options.state).await?;
    store.focus(&commit_id).await.map_err(Failure::store)?;
    claim(&mut store, &commit_id).await?;
    let run = store
        .begin_run(&commit_id, std::process::id(), now())
        .await
        .map_err(Failure::store)?;
    let worktree = state.worktree(&commit_id);
    repo.ensure_worktree(&worktree, commit)?;
    crate::state_gc::touch(&worktree)?;
    let mut dispatcher = Dispatcher {
        repo: repo.clone(),
        store,
        manifest,
        commit: commit_id,
        state,
        worktree,
        jobs: options.jobs.max(1),
        progress: Progress::new(options.json, options.quiet),
        commit_text: commit_text(options.rev, &repo.commit_info(commit)?),
        scope: options.scope,
    };
    dispatcher.recover().await?;
    let manifest = dispatcher.manifest.clone();
    record(&mut dispatcher.store, |world| create(world, &manifest)).await?;
    // The versions of the lanes just created: whether they passed a stage before.
    dispatcher
        .store
        .focus(&dispatcher.commit)
        .await
        .map_err(Failure::store)?;
    let summary = dispatcher.run().await?;
    dispatcher
        .store
        .finish_run(run, now())
        .await
        .map_err(Failure::store)?;
    Ok(summary)
}

/// Refuses to drive a commit another live `lanes run` drives; finishes the records of dead ones
/// (their attempts are recovered by the dispatcher).
async fn claim(store: &mut lanes_store::Store, commit: &str) -> Result<(), Failure> {
    for run in store.unfinished_runs().await.map_err(Failure::store)? {
        if run.commit != commit {
            continue;
        }
        if run.pid != std::process::id() && crate::run_liveness::is_alive(&run) {
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
