//! `lanes metrics`: delivery metrics per component in one environment over a window, with
//! DORA's performance levels.

use std::path::Path;

use lanes_engine::{
    ComponentMetrics, DeliveryMetrics, Level, MetricsQuery, Millis, Rated, World, duration_text,
};
use lanes_git::Repo;
use lanes_server::MetricsRequest;

use crate::cli::MetricsArgs;
use crate::delivery_changes::measure;
use crate::dispatch::now;
use crate::failure::Failure;
use crate::ledger::{block_on, open};
use crate::output::{Output, escaped};
use crate::workspace::{manifest_at, repository};

/// Where the levels come from, printed under the numbers.
pub(crate) const LEVELS_SOURCE: &str =
    "levels: DORA, 2023 Accelerate State of DevOps Report (docs/metrics.md)";

pub(crate) fn metrics(
    directory: &Path,
    args: &MetricsArgs,
    output: &Output,
) -> Result<(), Failure> {
    let repo = repository(directory)?;
    let until = now();
    let metrics = block_on(async {
        let (_, mut store) = open(&repo, &args.state).await?;
        store.hold_deployed_lanes().await.map_err(Failure::store)?;
        metrics_of(
            &repo,
            store.world(),
            &MetricsRequest {
                component: args.component.clone(),
                environment: args.environment.clone(),
                since: until - args.since.0,
                until,
            },
        )
    })?;
    print(&metrics, args.json, output);
    Ok(())
}

/// The metrics `request` asks for: in production unless it names an environment.
pub(crate) fn metrics_of(
    repo: &Repo,
    world: &World,
    request: &MetricsRequest,
) -> Result<DeliveryMetrics, Failure> {
    let environment = match &request.environment {
        Some(environment) => environment.clone(),
        None => production(repo)?,
    };
    if let Some(component) = &request.component
        && world.lanes_of_component(component).next().is_none()
    {
        return Err(Failure::Refused {
            message: format!("no lane of `{}` recorded", escaped(component)),
            hint: Some(
                "`lanes metrics` without --component lists every component with a lane".to_owned(),
            ),
        });
    }
    let query = MetricsQuery {
        environment,
        component: request.component.clone(),
        since: request.since,
        until: request.until,
    };
    measure(repo, world, &query)
}

/// The environment of the last stage that deploys, as the manifest at `HEAD` says.
fn production(repo: &Repo) -> Result<String, Failure> {
    let head = repo.resolve_commit("HEAD")?;
    manifest_at(repo, head)?
        .and_then(|manifest| manifest.production().map(str::to_owned))
        .ok_or_else(|| Failure::Refused {
            message: "no stage of lanes.yml at HEAD deploys to an environment".to_owned(),
            hint: Some("name one with --environment".to_owned()),
        })
}

pub(crate) fn print(metrics: &DeliveryMetrics, json: bool, output: &Output) {
    if json {
        output.data(&serde_json::to_string_pretty(metrics).expect("serializable"));
        return;
    }
    output.data(&format!(
        "{}, {} to {}",
        escaped(&metrics.environment),
        time_text(metrics.since),
        time_text(metrics.until)
    ));
    if metrics.components.is_empty() {
        output.say("no lanes recorded");
    }
    for component in &metrics.components {
        output.data("");
        for line in lines(component) {
            output.data(&line);
        }
    }
    output.data("");
    output.data(LEVELS_SOURCE);
}

/// A component's numbers, one per line, each with its level.
fn lines(metrics: &ComponentMetrics) -> Vec<String> {
    let row = |name: &str, value: String, level: Option<Level>| {
        let level = level.map_or("", Level::as_str);
        format!("  {name:<22}{value:<44}{level}")
            .trim_end()
            .to_owned()
    };
    let mut lines = vec![escaped(&metrics.component)];
    let frequency = &metrics.deployment_frequency;
    lines.push(row(
        "deployment frequency",
        format!(
            "{:.2}/day ({} deploys, {} rollbacks)",
            frequency.value, metrics.deploys, metrics.rollbacks
        ),
        Some(frequency.level),
    ));
    let parts = &metrics.lead_time_breakdown;
    match &metrics.lead_time {
        Some(Rated { value, level }) => {
            lines.push(row(
                "lead time",
                format!(
                    "{} median, {} changes",
                    duration_text(*value),
                    metrics.changes
                ),
                Some(*level),
            ));
            lines.push(format!(
                "    mean: {} before the lane, {} working, {} waiting (queue {}, lock {}, approval {}, gate {}), {} between stages",
                duration_text(parts.before_lane),
                duration_text(parts.working),
                duration_text(parts.waiting()),
                duration_text(parts.waiting_queue),
                duration_text(parts.waiting_lock),
                duration_text(parts.waiting_approval),
                duration_text(parts.waiting_gate),
                duration_text(parts.between),
            ));
        }
        None => lines.push(row("lead time", "no changes deployed".to_owned(), None)),
    }
    lines.push(match &metrics.change_fail_rate {
        Some(Rated { value, level }) => row(
            "change fail rate",
            format!(
                "{:.0}% ({} of {} deploys)",
                value * 100.0,
                metrics.failed_deploys,
                metrics.deploys
            ),
            Some(*level),
        ),
        None => row("change fail rate", "no deploys".to_owned(), None),
    });
    lines.push(match &metrics.recovery_time {
        Some(Rated { value, level }) => row(
            "recovery time",
            format!(
                "{} median, {} unrecovered",
                duration_text(*value),
                metrics.unrecovered
            ),
            Some(*level),
        ),
        None => row(
            "recovery time",
            format!("no recovery, {} unrecovered", metrics.unrecovered),
            None,
        ),
    });
    lines.push(row(
        "rework rate",
        metrics.rework_rate.map_or_else(
            || "no deploys".to_owned(),
            |rate| format!("{:.0}%", rate * 100.0),
        ),
        None,
    ));
    lines
}

fn time_text(at: Millis) -> String {
    jiff::Timestamp::from_millisecond(at).map_or_else(
        |_| at.to_string(),
        |time| time.strftime("%Y-%m-%d %H:%M UTC").to_string(),
    )
}
