//! Which lanes a commit gets: one per component it affects compared with its first parent
//! (every component for a root commit) or with the commit it was built on, each carrying the
//! component's fingerprint and the role of the commit.

use lanes_engine::{Event, Role, World};
use lanes_git::{CommitId, Repo};
use lanes_manifest::Manifest;

use crate::change_detection::{affected_between, fingerprints_at};
use crate::failure::Failure;

/// The lanes a commit should have, before they are recorded.
pub(crate) struct LaneSetup {
    /// `(component, fingerprint)` of every affected component, sorted by name.
    pub(crate) lanes: Vec<(String, String)>,
    pub(crate) author: String,
    /// Where the commit is: what its lanes walk.
    pub(crate) role: Role,
}

/// The lanes of `commit`, in `role`: for the components it changes against `against` (default:
/// its first parent).
pub(crate) fn plan_lanes(
    repo: &Repo,
    manifest: &Manifest,
    commit: CommitId,
    against: Option<CommitId>,
    role: Role,
) -> Result<LaneSetup, Failure> {
    let info = repo.commit_info(commit)?;
    let affected: Vec<String> = match against.or_else(|| info.parents.first().copied()) {
        Some(parent) => {
            let (result, _) = affected_between(repo, manifest, parent, parent, commit)?;
            result
                .components
                .into_iter()
                .map(|component| component.name)
                .collect()
        }
        None => manifest
            .components()
            .iter()
            .map(|component| component.name.clone())
            .collect(),
    };
    let prints = fingerprints_at(repo, manifest, commit)?;
    let lanes = prints
        .into_iter()
        .filter(|print| affected.contains(&print.name))
        .map(|print| (print.name, print.fingerprint.to_string()))
        .collect();
    Ok(LaneSetup {
        lanes,
        author: info.author,
        role,
    })
}

impl LaneSetup {
    /// Events creating the lanes the world does not have yet, and moving the proposed lanes it
    /// has of a commit that reached a shared branch since into their new role.
    pub(crate) fn events(
        &self,
        world: &World,
        manifest: &Manifest,
        commit: &str,
        now: i64,
    ) -> Vec<Event> {
        let stages: Vec<String> = manifest
            .stages()
            .iter()
            .map(|stage| stage.name.clone())
            .collect();
        let mut next = world.next_lane_id();
        let mut events = Vec::new();
        for (component, fingerprint) in &self.lanes {
            if let Some(lane) = world.lane_of(commit, component) {
                if lane.role == Role::Proposed && self.role != Role::Proposed {
                    events.push(Event::LaneRoleChanged {
                        lane: lane.id,
                        role: self.role,
                        at: now,
                    });
                }
                continue;
            }
            events.push(Event::LaneCreated {
                lane: next,
                commit: commit.to_owned(),
                component: component.clone(),
                fingerprint: fingerprint.clone(),
                author: self.author.clone(),
                stages: stages.clone(),
                role: self.role,
                at: now,
            });
            next = lanes_engine::LaneId(next.0 + 1);
        }
        events
    }
}
