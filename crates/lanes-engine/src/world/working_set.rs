//! The working set of a world: which lanes it keeps when it retires the rest, how a retired
//! lane or commit is read back, and the snapshot a store keeps of it.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use super::{RecordedCommit, World};
use crate::{Event, Lane, LaneId, Role};

/// The version of the snapshot's shape: a snapshot of another version is not read (the
/// ledger is replayed instead), so a change to what the world folds needs a new number.
pub const SNAPSHOT_FORMAT: u32 = 1;

impl World {
    /// Holds `lane`, created by its `lane_created` event or read back from its events.
    pub(super) fn insert_lane(&mut self, lane: Lane) {
        let id = lane.id;
        self.next_lane = self.next_lane.max(id.0 + 1);
        self.by_commit
            .insert((lane.commit.clone(), lane.component.clone()), id);
        insert_sorted(
            self.by_version
                .entry((lane.component.clone(), lane.fingerprint.clone()))
                .or_default(),
            id,
        );
        insert_sorted(
            self.by_component.entry(lane.component.clone()).or_default(),
            id,
        );
        self.lanes.insert(id, lane);
    }

    /// Reads a retired lane back from its events, oldest first (the first is its
    /// `lane_created`): only the lane itself, since the world already holds what those events
    /// changed elsewhere. Returns `false`, holding nothing new, when the events do not start
    /// with a lane's creation or the lane is held already.
    pub fn restore_lane(&mut self, events: &[Event]) -> bool {
        let Some(mut lane) = events.first().and_then(Lane::created) else {
            return false;
        };
        if self.lanes.contains_key(&lane.id) {
            return false;
        }
        for event in &events[1..] {
            if event.lane() == Some(lane.id) {
                lane.fold(event);
            }
        }
        self.insert_lane(lane);
        true
    }

    /// Reads back what a commit's `commit_recorded` event recorded, when the world holds
    /// nothing of that commit.
    pub fn restore_commit(&mut self, event: &Event) {
        if let Event::CommitRecorded {
            commit,
            role,
            fingerprints,
            ..
        } = event
        {
            self.commits
                .entry(commit.clone())
                .or_insert_with(|| RecordedCommit {
                    role: *role,
                    fingerprints: fingerprints.clone(),
                });
        }
    }

    /// Keeps only the working set (see [`World`]) and returns how many lanes it let go.
    /// Decisions about the lanes it keeps come out the same as in the world replayed whole.
    pub fn retire(&mut self) -> usize {
        let keep = self.working_set();
        let before = self.lanes.len();
        self.lanes.retain(|id, _| keep.contains(id));
        self.index();
        let commits: BTreeSet<&str> = self.lanes.values().map(|l| l.commit.as_str()).collect();
        let kept: BTreeMap<String, RecordedCommit> = std::mem::take(&mut self.commits)
            .into_iter()
            .filter(|(commit, _)| commits.contains(commit.as_str()))
            .collect();
        self.commits = kept;
        before - self.lanes.len()
    }

    fn working_set(&self) -> BTreeSet<LaneId> {
        let mut keep: BTreeSet<LaneId> = self
            .lanes
            .values()
            .filter(|lane| !lane.has_ended())
            .map(|lane| lane.id)
            .collect();
        let mut newest: HashMap<(&str, Role, bool), &Lane> = HashMap::new();
        for lane in self.lanes.values() {
            for green in [false, true] {
                if green && !lane.is_done() {
                    continue;
                }
                newest
                    .entry((lane.component.as_str(), lane.role, green))
                    .and_modify(|held: &mut &Lane| {
                        if lane.is_newer_than(held) {
                            *held = lane;
                        }
                    })
                    .or_insert(lane);
            }
        }
        keep.extend(newest.values().map(|lane| lane.id));
        keep.extend(self.deployments.values().map(|deployment| deployment.lane));
        keep.extend(
            self.last_known_good
                .values()
                .filter_map(|history| history.last())
                .map(|deployment| deployment.lane),
        );
        keep.extend(self.locks.values().copied());
        for change in self.flow.changes().filter(|change| change.is_queued()) {
            if let Some(candidate) = &change.candidate {
                keep.extend(self.lanes_of_commit(&candidate.commit).map(|lane| lane.id));
            }
        }
        keep
    }

    /// Builds the lookups of the lanes held again.
    fn index(&mut self) {
        self.by_commit.clear();
        self.by_component.clear();
        self.by_version.clear();
        for lane in self.lanes.values() {
            self.by_commit
                .insert((lane.commit.clone(), lane.component.clone()), lane.id);
            self.by_version
                .entry((lane.component.clone(), lane.fingerprint.clone()))
                .or_default()
                .push(lane.id);
            self.by_component
                .entry(lane.component.clone())
                .or_default()
                .push(lane.id);
        }
    }

    /// The world as JSON, for a store to keep beside the events it folds (see
    /// [`SNAPSHOT_FORMAT`]).
    #[must_use]
    pub fn to_snapshot(&self) -> String {
        serde_json::to_string(self).expect("a world serializes to JSON")
    }

    /// The world a snapshot holds.
    pub fn from_snapshot(json: &str) -> Result<Self, serde_json::Error> {
        let mut world: Self = serde_json::from_str(json)?;
        world.index();
        Ok(world)
    }
}

/// Inserts `id` where it keeps `ids` in ascending order (lanes read back come late).
fn insert_sorted(ids: &mut Vec<LaneId>, id: LaneId) {
    match ids.last() {
        Some(last) if *last > id => {
            if let Err(at) = ids.binary_search(&id) {
                ids.insert(at, id);
            }
        }
        Some(last) if *last == id => {}
        _ => ids.push(id),
    }
}
