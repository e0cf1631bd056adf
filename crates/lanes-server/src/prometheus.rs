//! `/metrics` in the Prometheus text exposition format (version 0.0.4), computed from the
//! ledger at each scrape: stage durations and holds as histograms, deploys and rollbacks,
//! attempts running and queued, webhook deliveries, statuses posted and the outbox backlog.
//! Labels are bounded: component, environment, stage and result, never a commit or a run id.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use lanes_engine::{Buckets, DURATION_BUCKETS, StageState, World};

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

/// Writes one histogram family, one series per label set.
fn write_histogram<'a>(
    out: &mut String,
    name: &str,
    help: &str,
    series: impl Iterator<Item = (Vec<(&'static str, String)>, &'a Buckets)>,
) {
    let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} histogram");
    for (labels, buckets) in series {
        for (bound, count) in DURATION_BUCKETS.iter().zip(buckets.at_most) {
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
            buckets.count
        );
        let _ = writeln!(
            out,
            "{name}_sum{} {}",
            label_text(&labels),
            seconds(buckets.sum_ms)
        );
        let _ = writeln!(out, "{name}_count{} {}", label_text(&labels), buckets.count);
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

/// Attempts running and stages held now, in the lanes that have not ended.
#[derive(Default)]
struct StageSeries {
    running: Series,
    queued: Series,
}

fn stage_series(world: &World) -> StageSeries {
    let mut series = StageSeries::default();
    for lane in world.lanes().filter(|lane| !lane.has_ended()) {
        for run in &lane.stages {
            let labels = || {
                vec![
                    ("component", lane.component.clone()),
                    ("stage", run.name.clone()),
                ]
            };
            let running = run
                .attempts
                .iter()
                .filter(|attempt| attempt.outcome.is_none())
                .count();
            if running > 0 {
                *series.running.entry(labels()).or_insert(0) +=
                    i64::try_from(running).unwrap_or(i64::MAX);
            }
            if run.state == StageState::Waiting {
                *series.queued.entry(labels()).or_insert(0) += 1;
            }
        }
    }
    series
}

/// The whole exposition.
pub(crate) fn exposition(world: &World, tables: &TableCounts) -> String {
    let StageSeries { running, queued } = stage_series(world);
    let stats = world.stage_stats();
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
    write_histogram(
        &mut out,
        "lanes_stage_duration_seconds",
        "How long finished attempts of a stage ran, by result (passed, failed, abandoned).",
        stats
            .durations()
            .map(|(component, stage, result, buckets)| {
                let labels = vec![
                    ("component", component.to_owned()),
                    ("stage", stage.to_owned()),
                    ("result", result.to_owned()),
                ];
                (labels, buckets)
            }),
    );
    write_histogram(
        &mut out,
        "lanes_stage_wait_seconds",
        "How long stages were held before running: for the queue, a lock, an approval or a gate.",
        stats.waits().map(|(component, stage, buckets)| {
            let labels = vec![
                ("component", component.to_owned()),
                ("stage", stage.to_owned()),
            ];
            (labels, buckets)
        }),
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
