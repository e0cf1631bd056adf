//! Rollback: the environment's current version of a component is marked bad and the previous
//! last known good version, whose artifact was kept, is deployed again.

use lanes_manifest::Manifest;

use crate::next_step::{instance_for, short};
use crate::{
    Decider, DecisionError, DeployPlan, Deployment, Event, LaneId, Millis, VectorEntry,
    VersionVector, World,
};

/// What a rollback does: mark `bad` and deploy `target` again with `deploy`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RollbackPlan {
    pub component: String,
    /// The stage that owns the environment: its deploy command deploys the target.
    pub stage_name: String,
    pub bad: Deployment,
    pub target: Deployment,
    pub deploy: DeployPlan,
}

/// Plans the rollback of `component` in `environment` to its previous good version.
pub fn plan_rollback(
    world: &World,
    manifest: &Manifest,
    component: &str,
    environment: &str,
) -> Result<RollbackPlan, DecisionError> {
    let id = manifest
        .find_component(component)
        .ok_or_else(|| DecisionError::UnknownComponent {
            component: component.to_owned(),
        })?;
    let stage = manifest
        .stages()
        .iter()
        .find(|stage| stage.environment.as_deref() == Some(environment))
        .ok_or_else(|| DecisionError::NoStageDeploysTo {
            environment: environment.to_owned(),
        })?;
    let history = world.lkg_history(environment, component);
    let bad = history
        .last()
        .cloned()
        .ok_or_else(|| DecisionError::NothingDeployed {
            component: component.to_owned(),
            environment: environment.to_owned(),
        })?;
    let target = history
        .iter()
        .rev()
        .find(|d| {
            d.fingerprint != bad.fingerprint
                && world.bad_reason(component, &d.fingerprint).is_none()
        })
        .cloned()
        .ok_or_else(|| DecisionError::NoEarlierVersion {
            component: component.to_owned(),
            environment: environment.to_owned(),
        })?;
    let overrides = manifest.component(id).stage_overrides.get(&stage.name);
    let command = overrides
        .and_then(|o| o.deploy.clone())
        .or_else(|| stage.deploy.clone())
        .unwrap_or_default();
    let instance = instance_for(manifest, environment, component);
    let mut components = std::collections::BTreeMap::new();
    for other in manifest.components() {
        let entry = if other.name == component {
            Some(VectorEntry {
                commit: target.commit.clone(),
                fingerprint: target.fingerprint.clone(),
                candidate: true,
            })
        } else {
            world
                .deployment(environment, &instance, &other.name)
                .or_else(|| world.last_known_good(environment, &other.name))
                .map(|d| VectorEntry {
                    commit: d.commit.clone(),
                    fingerprint: d.fingerprint.clone(),
                    candidate: false,
                })
        };
        if let Some(entry) = entry {
            components.insert(other.name.clone(), entry);
        }
    }
    let vector = VersionVector {
        environment: environment.to_owned(),
        instance: instance.clone(),
        components,
    };
    Ok(RollbackPlan {
        component: component.to_owned(),
        stage_name: stage.name.clone(),
        bad,
        target,
        deploy: DeployPlan {
            environment: environment.to_owned(),
            instance,
            command,
            vector,
        },
    })
}

impl RollbackPlan {
    /// Marks the current version bad; recorded before the deploy runs.
    #[must_use]
    pub fn mark_bad(&self, decider: Decider<'_>, reason: &str, now: Millis) -> Event {
        let user = decider.user;
        let reason = format!(
            "rolled back from {} by {user}: {reason}",
            self.deploy.environment
        );
        Event::MarkedBad {
            lane: self.bad.lane,
            user: user.to_owned(),
            reason,
            token: decider.token(),
            at: now,
        }
    }

    /// The target is deployed again; recorded once its deploy passed.
    #[must_use]
    pub fn rolled_back(&self, decider: Decider<'_>, now: Millis) -> Event {
        Event::RolledBack {
            lane: self.target.lane,
            environment: self.deploy.environment.clone(),
            instance: self.deploy.instance.clone(),
            user: decider.user.to_owned(),
            token: decider.token(),
            at: now,
        }
    }

    /// The lane that built the target version (its artifacts are deployed again).
    #[must_use]
    pub fn target_lane(&self) -> LaneId {
        self.target.lane
    }

    /// One line for people: what goes, what comes back.
    #[must_use]
    pub fn describe(&self) -> String {
        format!(
            "{} in {}: {} (from {}) replaced by {} (from {})",
            self.component,
            self.deploy.environment,
            &self.bad.fingerprint[..12.min(self.bad.fingerprint.len())],
            short(&self.bad.commit),
            &self.target.fingerprint[..12.min(self.target.fingerprint.len())],
            short(&self.target.commit)
        )
    }
}
