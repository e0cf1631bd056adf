//! Which lanes a commit gets. A queue candidate: one per component it affects compared with the
//! commit it was built on. Any other commit: one per component whose version there no lane of
//! the same role passed or walks yet — the ledger is the baseline, so a change is never
//! skipped because the commit lanes were asked about is not the one that made it, and a red
//! version is walked again until it is green. Each lane carries the component's fingerprint
//! and the role of the commit.

use std::collections::BTreeMap;

use lanes_engine::{Event, Role, World, covering_lane};
use lanes_git::{CommitId, Repo};
use lanes_manifest::Manifest;

use crate::change_detection::{affected_between, fingerprints_at};
use crate::failure::Failure;

/// The lanes a commit should have, before they are recorded.
pub(crate) struct LaneSetup {
    /// `(component, fingerprint)` of the components that may need a lane, sorted by name: every
    /// component when the ledger is the baseline, else those changed against the base.
    pub(crate) lanes: Vec<(String, String)>,
    pub(crate) author: String,
    /// Where the commit is: what its lanes walk.
    pub(crate) role: Role,
    /// How many commits the commit's history holds: "newer" is later in history.
    pub(crate) depth: u64,
    /// Every component's fingerprint at the commit, by name, for the ledger.
    pub(crate) fingerprints: BTreeMap<String, String>,
    /// Whether `lanes` lists every component, and a lane is created only for a version the
    /// ledger does not cover yet (see `covering_lane`); else `lanes` lists what changed
    /// against an explicit base.
    pub(crate) baseline_is_ledger: bool,
}

/// The lanes of `commit`, in `role`: for the components it changes against `against`, or, without
/// one, for every component whose version the ledger does not cover yet.
pub(crate) fn plan_lanes(
    repo: &Repo,
    manifest: &Manifest,
    commit: CommitId,
    against: Option<CommitId>,
    role: Role,
) -> Result<LaneSetup, Failure> {
    let info = repo.commit_info(commit)?;
    let affected: Option<Vec<String>> = match against {
        Some(base) => {
            let (result, _) = affected_between(repo, manifest, base, base, commit)?;
            Some(
                result
                    .components
                    .into_iter()
                    .map(|component| component.name)
                    .collect(),
            )
        }
        None => None,
    };
    let fingerprints: BTreeMap<String, String> = fingerprints_at(repo, manifest, commit)?
        .into_iter()
        .map(|print| (print.name, print.fingerprint.to_string()))
        .collect();
    let lanes = fingerprints
        .iter()
        .filter(|(name, _)| affected.as_ref().is_none_or(|names| names.contains(name)))
        .map(|(name, print)| (name.clone(), print.clone()))
        .collect();
    Ok(LaneSetup {
        lanes,
        author: info.author,
        role,
        depth: history_depth(repo, commit)?,
        fingerprints,
        baseline_is_ledger: affected.is_none(),
    })
}

/// How many commits `commit`'s history holds, itself included.
pub(crate) fn history_depth(repo: &Repo, commit: CommitId) -> Result<u64, Failure> {
    let count = repo.git(&["rev-list", "--count", &commit.to_string()])?;
    count.trim().parse().map_err(|_| Failure::Refused {
        message: format!("git rev-list --count {} printed {count:?}", commit.short()),
        hint: None,
    })
}

impl LaneSetup {
    /// Events recording the commit's fingerprints, creating the lanes the world does not have
    /// yet, and moving the proposed lanes it has of a commit that reached a shared branch since
    /// into their new role.
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
        // Recorded again when the commit's role changed: its verdicts follow the new role.
        if world
            .recorded_commit(commit)
            .is_none_or(|recorded| recorded.role != self.role)
        {
            events.push(Event::CommitRecorded {
                commit: commit.to_owned(),
                role: self.role,
                fingerprints: self.fingerprints.clone(),
                at: now,
            });
        }
        for (component, fingerprint) in &self.lanes {
            if let Some(lane) = world.lane_of(commit, component) {
                // A proposed commit reached a shared branch, or a host's merge queue merged
                // its candidate (lanes' own candidates are followed through the queue).
                let moved_on = (lane.role == Role::Proposed && self.role != Role::Proposed)
                    || (lane.role == Role::Candidate
                        && matches!(self.role, Role::Default | Role::Release)
                        && world.flow().candidate_group(commit).is_none());
                if moved_on {
                    events.push(Event::LaneRoleChanged {
                        lane: lane.id,
                        role: self.role,
                        at: now,
                    });
                }
                continue;
            }
            if self.baseline_is_ledger
                && covering_lane(world, component, fingerprint, self.role).is_some()
            {
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
                depth: self.depth,
                at: now,
            });
            next = lanes_engine::LaneId(next.0 + 1);
        }
        events
    }
}
