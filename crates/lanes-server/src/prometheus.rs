//! `/metrics` in the Prometheus text exposition format (version 0.0.4), computed from the
//! ledger at each scrape: stage durations and holds as histograms, deploys and rollbacks,
//! attempts running and queued, webhook deliveries, statuses posted and the outbox backlog.
//! Labels are bounded: component, environment, stage and result, never a commit or a run id.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use lanes_engine::{AttemptOutcome, StageState, World};

/// Upper bounds of the duration buckets, in seconds: a second to a week.
const BUCKETS: [f64; 14] = [
    1.0, 5.0, 15.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1800.0, 3600.0, 7200.0, 21_600.0, 86_400.0,
    604_800.0,
];

/// What the ledger's tables beside the events say.
#[derive(Debug, Default)]
pub(crate) struct TableCounts {
    /// Webhook deliveries by result.
    pub(crate) deliveries: Vec<(String, i64)>,
    /// Statuses that left the outbox, by state.
    pub(crate) statuses: Vec<(String, i64)>,
    /// Statuses waiting in the outbox.
    pub(crate) backlog: i64,
}

/// Observations of one histogram, by label set.
#[derive(Default)]
struct Histogram {
    series: BTreeMap<Vec<(&'static str, String)>, Vec<f64>>,
}

impl Histogram {
    fn observe(&mut self, labels: Vec<(&'static str, String)>, seconds: f64) {
        self.series.entry(labels).or_default().push(seconds);
    }

    fn write(&self, out: &mut String, name: &str, help: &str) {
        let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} histogram");
        for (labels, values) in &self.series {
            for bound in BUCKETS {
                let count = values.iter().filter(|value| **value <= bound).count();
                let mut with_le = labels.clone();
                with_le.push(("le", bound.to_string()));
                let _ = writeln!(out, "{name}_bucket{} {count}", label_text(&with_le));
            }
            let mut with_le = labels.clone();
            with_le.push(("le", "+Inf".to_owned()));
            let _ = writeln!(
                out,
                "{name}_bucket{} {}",
                label_text(&with_le),
                values.len()
            );
            let sum: f64 = values.iter().sum();
            let _ = writeln!(out, "{name}_sum{} {sum}", label_text(labels));
            let _ = writeln!(out, "{name}_count{} {}", label_text(labels), values.len());
        }
    }
}

/// `{a="x",b="y"}`, values escaped as the format asks; nothing for no labels.
fn label_text(labels: &[(&'static str, String)]) -> String {
    if labels.is_empty() {
        return String::new();
    }
    let pairs: Vec<String> = labels
        .iter()
        .map(|(name, value)| {
            let value = value
                .replace('\\', "\\\\")
                .replace('"', "\\\"")
                .replace('\n', "\\n");
            format!("{name}=\"{value}\"")
        })
        .collect();
    format!("{{{}}}", pairs.join(","))
}

fn write_family(out: &mut String, name: &str, kind: &str, help: &str, series: &Series) {
    let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
    for (labels, value) in series {
        let _ = writeln!(out, "{name}{} {value}", label_text(labels));
    }
}

#[expect(
    clippy::cast_precision_loss,
    reason = "durations in milliseconds stay far below 2^52"
)]
fn seconds(millis: i64) -> f64 {
    millis.max(0) as f64 / 1000.0
}

type Series = BTreeMap<Vec<(&'static str, String)>, i64>;

/// What the lanes' stages say: durations, holds, attempts running and stages held.
#[derive(Default)]
struct StageSeries {
    durations: Histogram,
    waits: Histogram,
    running: Series,
    queued: Series,
}

fn stage_series(world: &World) -> StageSeries {
    let StageSeries {
        mut durations,
        mut waits,
        mut running,
        mut queued,
    } = StageSeries::default();
    for lane in world.lanes() {
        for run in &lane.stages {
            let labels = || {
                vec![
                    ("component", lane.component.clone()),
                    ("stage", run.name.clone()),
                ]
            };
            for attempt in &run.attempts {
                match (&attempt.outcome, attempt.finished_at) {
                    (Some(outcome), Some(finished)) => {
                        let result = match outcome {
                            AttemptOutcome::Passed => "passed",
                            AttemptOutcome::Failed { .. } => "failed",
                            AttemptOutcome::Abandoned { .. } => "abandoned",
                        };
                        let mut labels = labels();
                        labels.push(("result", result.to_owned()));
                        durations.observe(labels, seconds(finished - attempt.started_at));
                    }
                    _ => *running.entry(labels()).or_insert(0) += 1,
                }
            }
            for wait in &run.waits {
                if let Some(until) = wait.until {
                    waits.observe(labels(), seconds(until - wait.from));
                }
            }
            if run.state == StageState::Waiting {
                *queued.entry(labels()).or_insert(0) += 1;
            }
        }
    }
    StageSeries {
        durations,
        waits,
        running,
        queued,
    }
}

/// The whole exposition.
pub(crate) fn exposition(world: &World, tables: &TableCounts) -> String {
    let StageSeries {
        durations,
        waits,
        running,
        queued,
    } = stage_series(world);
    let mut deploys = BTreeMap::new();
    let mut rollbacks = BTreeMap::new();
    for (environment, component, history) in world.deploy_histories() {
        let labels = vec![
            ("component", component.to_owned()),
            ("environment", environment.to_owned()),
        ];
        let rolled = history.iter().filter(|record| record.rollback).count();
        let count = |n: usize| i64::try_from(n).unwrap_or(i64::MAX);
        deploys.insert(labels.clone(), count(history.len() - rolled));
        rollbacks.insert(labels, count(rolled));
    }
    let by_result = |rows: &[(String, i64)]| {
        rows.iter()
            .map(|(result, count)| (vec![("result", result.clone())], *count))
            .collect::<BTreeMap<_, _>>()
    };
    let mut out = String::new();
    durations.write(
        &mut out,
        "lanes_stage_duration_seconds",
        "How long finished attempts of a stage ran, by result (passed, failed, abandoned).",
    );
    waits.write(
        &mut out,
        "lanes_stage_wait_seconds",
        "How long stages were held before running: for the queue, a lock, an approval or a gate.",
    );
    write_family(
        &mut out,
        "lanes_attempts_running",
        "gauge",
        "Attempts running now.",
        &running,
    );
    write_family(
        &mut out,
        "lanes_attempts_queued",
        "gauge",
        "Stages held now, waiting for the queue, a lock, an approval or a gate.",
        &queued,
    );
    write_family(
        &mut out,
        "lanes_deploys_total",
        "counter",
        "Deploys of new versions to an environment.",
        &deploys,
    );
    write_family(
        &mut out,
        "lanes_rollbacks_total",
        "counter",
        "Rollbacks in an environment.",
        &rollbacks,
    );
    write_family(
        &mut out,
        "lanes_webhook_deliveries_total",
        "counter",
        "Webhook deliveries recorded, by result (ignored, pending, ran, failed).",
        &by_result(&tables.deliveries),
    );
    write_family(
        &mut out,
        "lanes_statuses_posted_total",
        "counter",
        "Statuses that left the outbox for a git host, by state (pending, success, failure, error).",
        &by_result(&tables.statuses),
    );
    write_family(
        &mut out,
        "lanes_status_outbox_backlog",
        "gauge",
        "Statuses waiting in the outbox to be posted.",
        &BTreeMap::from([(Vec::new(), tables.backlog)]),
    );
    out
}
