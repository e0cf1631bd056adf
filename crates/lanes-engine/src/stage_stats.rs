//! How long stages ran and were held, folded into fixed buckets as the events come: the
//! figures a monitoring system scrapes, which stay the same size however long the ledger is.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::{AttemptOutcome, Millis};

/// Upper bounds of the duration buckets, in seconds: a second to a week.
pub const DURATION_BUCKETS: [u64; 14] = [
    1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600, 7200, 21_600, 86_400, 604_800,
];

/// Observations of durations: how many fell at or under each bound of [`DURATION_BUCKETS`]
/// (cumulative), how many in all and their sum.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Buckets {
    pub at_most: [u64; DURATION_BUCKETS.len()],
    pub count: u64,
    pub sum_ms: Millis,
}

impl Buckets {
    fn observe(&mut self, millis: Millis) {
        let millis = millis.max(0);
        for (count, bound) in self.at_most.iter_mut().zip(DURATION_BUCKETS) {
            if millis.cast_unsigned() <= bound * 1000 {
                *count += 1;
            }
        }
        self.count += 1;
        self.sum_ms += millis;
    }
}

/// Every finished attempt's duration and every ended hold of a stage, by component and
/// stage (and, for attempts, result: `passed`, `failed` or `abandoned`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StageStats {
    #[serde(with = "crate::serde_pairs")]
    durations: BTreeMap<(String, String, String), Buckets>,
    #[serde(with = "crate::serde_pairs")]
    waits: BTreeMap<(String, String), Buckets>,
}

impl StageStats {
    pub(crate) fn attempt_finished(
        &mut self,
        component: &str,
        stage: &str,
        outcome: &AttemptOutcome,
        millis: Millis,
    ) {
        let result = match outcome {
            AttemptOutcome::Passed => "passed",
            AttemptOutcome::Failed { .. } => "failed",
            AttemptOutcome::Abandoned { .. } => "abandoned",
        };
        self.durations
            .entry((component.to_owned(), stage.to_owned(), result.to_owned()))
            .or_default()
            .observe(millis);
    }

    pub(crate) fn wait_ended(&mut self, component: &str, stage: &str, millis: Millis) {
        self.waits
            .entry((component.to_owned(), stage.to_owned()))
            .or_default()
            .observe(millis);
    }

    /// `(component, stage, result)` to the durations of finished attempts.
    pub fn durations(&self) -> impl Iterator<Item = (&str, &str, &str, &Buckets)> {
        self.durations
            .iter()
            .map(|((component, stage, result), buckets)| {
                (component.as_str(), stage.as_str(), result.as_str(), buckets)
            })
    }

    /// `(component, stage)` to how long stages were held before they ran.
    pub fn waits(&self) -> impl Iterator<Item = (&str, &str, &Buckets)> {
        self.waits
            .iter()
            .map(|((component, stage), buckets)| (component.as_str(), stage.as_str(), buckets))
    }
}
