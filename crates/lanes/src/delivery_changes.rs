//! The changes each production deploy brought, from git: the commits touching the component's
//! inputs between two consecutive deploys, with their commit times. What the pure
//! `lanes_engine::delivery_metrics` needs and cannot read itself.

use lanes_engine::{
    ChangeCommit, DeliveryMetrics, DeployChanges, MetricsQuery, World, delivery_metrics,
    deploys_to_explain,
};
use lanes_git::Repo;

use crate::component_pathspecs::component_pathspecs;
use crate::failure::Failure;
use crate::workspace::manifest_at;

/// How many commits one deploy brings at most: a deploy after a long pause.
const MAX_COMMITS: usize = 10_000;

/// The query's metrics, the changes of each deploy read from `repo`.
pub(crate) fn measure(
    repo: &Repo,
    world: &World,
    query: &MetricsQuery,
) -> Result<DeliveryMetrics, Failure> {
    let mut changes = DeployChanges::new();
    for ask in deploys_to_explain(world, query) {
        let commits = match &ask.previous {
            Some(previous) => between(repo, &ask.component, previous, &ask.commit)?,
            None => Vec::new(),
        };
        // A first deploy, or a deploy whose range names no commit of the component (the same
        // inputs reached from elsewhere), brought its own commit.
        let commits = if commits.is_empty() {
            commit_time(repo, &ask.commit)?.into_iter().collect()
        } else {
            commits
        };
        changes.insert((ask.component, ask.commit), commits);
    }
    Ok(delivery_metrics(world, query, &changes))
}

/// The commits reachable from `commit` and not from `previous` that touch `component`'s
/// inputs (as the manifest at `commit` defines them), newest first.
fn between(
    repo: &Repo,
    component: &str,
    previous: &str,
    commit: &str,
) -> Result<Vec<ChangeCommit>, Failure> {
    let Ok(head) = repo.resolve_commit(commit) else {
        return Ok(Vec::new());
    };
    if repo.resolve_commit(previous).is_err() {
        return Ok(Vec::new());
    }
    let range = format!("{previous}..{commit}");
    let max = format!("--max-count={MAX_COMMITS}");
    let mut args = vec!["log", "--format=%H %ct", max.as_str(), range.as_str(), "--"];
    let manifest = manifest_at(repo, head)?;
    let pathspecs = manifest
        .as_ref()
        .and_then(|manifest| {
            let id = manifest.find_component(component)?;
            Some(component_pathspecs(manifest, manifest.component(id)))
        })
        .unwrap_or_default();
    args.extend(pathspecs.iter().map(String::as_str));
    Ok(parse_log(&repo.git(&args)?))
}

fn commit_time(repo: &Repo, commit: &str) -> Result<Option<ChangeCommit>, Failure> {
    if repo.resolve_commit(commit).is_err() {
        return Ok(None);
    }
    let log = repo.git(&["log", "-1", "--format=%H %ct", commit])?;
    Ok(parse_log(&log).into_iter().next())
}

/// `<commit> <seconds>` lines.
fn parse_log(log: &str) -> Vec<ChangeCommit> {
    log.lines()
        .filter_map(|line| {
            let (commit, seconds) = line.split_once(' ')?;
            let seconds: i64 = seconds.trim().parse().ok()?;
            Some(ChangeCommit {
                commit: commit.to_owned(),
                at: seconds * 1000,
            })
        })
        .collect()
}
