//! Who brought a change: everyone who authored or committed a commit it brings to a component,
//! and whoever submitted it to the acceptance queue. None of them may approve it unless the
//! environment allows self-approval.

use std::collections::BTreeSet;

use lanes_engine::{ChangeState, Lane, World};
use lanes_git::Repo;
use lanes_manifest::Manifest;

use crate::component_pathspecs::component_pathspecs;
use crate::failure::Failure;

/// How many commits are read at most: a first deploy of a component with a long history.
const MAX_COMMITS: usize = 10_000;

/// The parties (`Name <email>` of authors and committers; submitters as recorded) of the
/// version `lane` carries into `environment`: the commits touching the component's inputs
/// since the version deployed there now (all of them for a first deploy), and the
/// submitters of the queued changes merged as one of those commits or accepted on the lane's
/// own commit.
pub(crate) fn parties_of(
    repo: &Repo,
    world: &World,
    manifest: &Manifest,
    lane: &Lane,
    environment: Option<&str>,
) -> Result<Vec<String>, Failure> {
    let Some(id) = manifest.find_component(&lane.component) else {
        return Ok(vec![lane.author.clone()]);
    };
    let head = repo.resolve_commit(&lane.commit)?;
    let mut since = None;
    if let Some(deployed) =
        environment.and_then(|environment| world.last_known_good(environment, &lane.component))
        && deployed.commit != lane.commit
        && let Ok(deployed) = repo.resolve_commit(&deployed.commit)
        && repo.is_ancestor(deployed, head)?
    {
        since = Some(deployed);
    }
    let range = since.map_or_else(|| head.to_string(), |since| format!("{since}..{head}"));
    let max = format!("--max-count={MAX_COMMITS}");
    let mut args = vec![
        "log",
        "--full-history",
        "--format=%H%x1f%an <%ae>%x1f%cn <%ce>",
        max.as_str(),
        range.as_str(),
        "--",
    ];
    let pathspecs = component_pathspecs(manifest, manifest.component(id));
    args.extend(pathspecs.iter().map(String::as_str));
    let log = repo.git(&args)?;
    let mut commits = BTreeSet::new();
    let mut parties = BTreeSet::from([lane.author.clone()]);
    for line in log.lines() {
        let mut fields = line.split('\x1f');
        if let (Some(commit), Some(author), Some(committer)) =
            (fields.next(), fields.next(), fields.next())
        {
            commits.insert(commit.to_owned());
            parties.insert(author.to_owned());
            parties.insert(committer.to_owned());
        }
    }
    for change in world.flow().changes() {
        let brought = match &change.state {
            ChangeState::Merged { commit, .. } => commits.contains(commit),
            _ => false,
        } || change
            .candidate
            .as_ref()
            .is_some_and(|candidate| candidate.commit == lane.commit);
        if brought {
            parties.insert(change.author.clone());
            if !change.submitted_by.is_empty() {
                parties.insert(change.submitted_by.clone());
            }
        }
    }
    Ok(parties.into_iter().collect())
}
