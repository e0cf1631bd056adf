//! What a component's version at a commit is known for when the commit has no lane of it: the
//! same version's lane elsewhere that passed or still walks. And since when a red version has
//! been red.

use crate::{Lane, Role, StageState, World};

/// Whether the lane stopped: a stage failed or was canceled.
fn stopped(lane: &Lane) -> bool {
    lane.stages
        .iter()
        .any(|run| matches!(run.state, StageState::Failed | StageState::Canceled))
}

/// The lane that stands for `component`'s version `fingerprint` at a commit of `role`: the
/// component's newest lane of that role (latest in history), when it carries that very version and did not stop.
/// `None` when the commit needs a lane of its own: the version is new, red, canceled, or
/// another version came since (a revert to an older version walks again, so that the newest
/// lane is the newest commit's).
#[must_use]
pub fn covering_lane<'w>(
    world: &'w World,
    component: &str,
    fingerprint: &str,
    role: Role,
) -> Option<&'w Lane> {
    world
        .lanes_of_component(component)
        .filter(|lane| lane.role == role)
        .max_by(|a, b| a.age_order(b))
        .filter(|lane| lane.fingerprint == fingerprint && !stopped(lane))
}

/// The verdict of `component`'s version at a commit of `role` without a lane of its own: the
/// newest lane of the same version and role, and how it stands — `passed` (it walked its
/// whole lane), `walking`, `red` (then the commit is the first that failed with the version)
/// or `canceled`.
#[must_use]
pub fn version_verdict<'w>(
    world: &'w World,
    component: &str,
    fingerprint: &str,
    role: Role,
) -> Option<(&'w str, &'static str)> {
    let newest = world
        .lanes_of_version(component, fingerprint)
        .rev()
        .find(|lane| lane.role == role)?;
    Some(if newest.is_done() {
        (newest.commit.as_str(), "passed")
    } else if let Some(first) = red_since(world, newest) {
        (first, "red")
    } else if newest
        .stages
        .iter()
        .any(|run| run.state == StageState::Failed)
    {
        (newest.commit.as_str(), "red")
    } else if stopped(newest) {
        (newest.commit.as_str(), "canceled")
    } else {
        (newest.commit.as_str(), "walking")
    })
}

/// For a lane that stopped red: the commit of the oldest lane of the same version that failed
/// too, when that is another commit (the version has been red since then).
#[must_use]
pub fn red_since<'w>(world: &'w World, lane: &Lane) -> Option<&'w str> {
    let failed = |candidate: &Lane| {
        candidate
            .stages
            .iter()
            .any(|run| run.state == StageState::Failed)
    };
    if !failed(lane) {
        return None;
    }
    world
        .lanes_of_version(&lane.component, &lane.fingerprint)
        .find(|candidate| failed(candidate))
        .map(|first| first.commit.as_str())
        .filter(|commit| *commit != lane.commit)
}
