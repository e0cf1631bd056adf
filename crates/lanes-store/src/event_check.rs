//! What makes an event unfit for the ledger: it names a lane or stage that does not exist, or
//! creates a lane that does. `World::apply` ignores the first and panics on the second; the
//! ledger refuses both, so that replaying it always gives the world its writers saw.

use std::collections::BTreeMap;

use lanes_engine::{Event, LaneId, World};

/// Checks a batch of events in order against the world they would follow, without applying
/// them: it remembers the lanes the batch creates.
#[derive(Debug)]
pub(crate) struct EventCheck<'w> {
    world: &'w World,
    /// Lanes created earlier in the batch, with their number of stages.
    created: BTreeMap<LaneId, usize>,
    /// `(commit, component)` of those lanes.
    created_keys: BTreeMap<(String, String), LaneId>,
}

impl<'w> EventCheck<'w> {
    pub(crate) fn new(world: &'w World) -> Self {
        Self {
            world,
            created: BTreeMap::new(),
            created_keys: BTreeMap::new(),
        }
    }

    /// Why `event` cannot follow the world and the events checked before it, if it cannot.
    pub(crate) fn check(&mut self, event: &Event) -> Result<(), String> {
        let Some(id) = event.lane() else {
            return Ok(());
        };
        if let Event::LaneCreated {
            commit,
            component,
            stages,
            ..
        } = event
        {
            if self.stage_count(id).is_some() {
                return Err(format!("creates lane {}, which already exists", id.0));
            }
            let key = (commit.clone(), component.clone());
            let existing = self
                .world
                .lane_of(commit, component)
                .map(|lane| lane.id)
                .or_else(|| self.created_keys.get(&key).copied());
            if let Some(existing) = existing {
                return Err(format!(
                    "creates a second lane of {component} at {commit} (lane {} is its lane)",
                    existing.0
                ));
            }
            self.created.insert(id, stages.len());
            self.created_keys.insert(key, id);
            return Ok(());
        }
        let Some(count) = self.stage_count(id) else {
            return Err(format!("is about lane {}, which does not exist", id.0));
        };
        match stage_of(event) {
            Some(stage) if stage >= count => Err(format!(
                "is about stage {stage} of lane {}, which has {count} stages",
                id.0
            )),
            _ => Ok(()),
        }
    }

    fn stage_count(&self, id: LaneId) -> Option<usize> {
        self.world
            .lane(id)
            .map(|lane| lane.stages.len())
            .or_else(|| self.created.get(&id).copied())
    }
}

/// The stage the event is about, for events about one stage.
fn stage_of(event: &Event) -> Option<usize> {
    match event {
        Event::StageUnchanged { stage, .. }
        | Event::StageWaiting { stage, .. }
        | Event::AttemptStarted { stage, .. }
        | Event::StepStarted { stage, .. }
        | Event::StepFinished { stage, .. }
        | Event::Deployed { stage, .. }
        | Event::AttemptFinished { stage, .. }
        | Event::StageRetrying { stage, .. }
        | Event::StageFinished { stage, .. }
        | Event::StageInterrupted { stage, .. }
        | Event::Approved { stage, .. }
        | Event::Promoted { stage, .. }
        | Event::Rejected { stage, .. } => Some(*stage),
        Event::LaneCreated { .. }
        | Event::LaneRoleChanged { .. }
        | Event::CommitRecorded { .. }
        | Event::BecameLastKnownGood { .. }
        | Event::LockAcquired { .. }
        | Event::LockReleased { .. }
        | Event::MarkedBad { .. }
        | Event::RolledBack { .. }
        | Event::Tagged { .. }
        | Event::ChangeSubmitted { .. }
        | Event::CandidateBuilt { .. }
        | Event::CandidateCarried { .. }
        | Event::ChangeMerged { .. }
        | Event::ChangeEvicted { .. }
        | Event::ReleaseMerged { .. }
        | Event::HotfixCut { .. }
        | Event::HotfixStarted { .. }
        | Event::HotfixForwardPorted { .. } => None,
    }
}
