//! Delivery metrics of a component in an environment over a window, from the ledger: deployment
//! frequency, change lead time (with where the time went), change fail rate, failed deployment
//! recovery time and deployment rework rate, each with its DORA performance level.
//!
//! Pure: the commits each deploy brought (and when they were made) come from the caller, who
//! asks git for the commits between two consecutive deploys ([`deploys_to_explain`]).
#![expect(
    clippy::cast_precision_loss,
    reason = "counts and spans in milliseconds stay far below 2^52"
)]

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::{DeployRecord, Lane, Millis, World};

const HOUR: Millis = 3_600_000;
const DAY: Millis = 24 * HOUR;
const WEEK: Millis = 7 * DAY;
const MONTH: Millis = 30 * DAY;

/// What to measure: one environment, one component or all, from `since` until `until`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MetricsQuery {
    pub environment: String,
    pub component: Option<String>,
    pub since: Millis,
    pub until: Millis,
}

/// A commit a deploy brought to the environment, and when it was committed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChangeCommit {
    pub commit: String,
    pub at: Millis,
}

/// A deploy whose changes the caller must find: the commits reachable from `commit` and not
/// from `previous`, the commit of the deploy before it (`None` for the first deploy lanes
/// knows of, whose changes the caller chooses: `lanes` counts the deploy's own commit).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeployToExplain {
    pub component: String,
    pub commit: String,
    pub previous: Option<String>,
}

/// A duration as people read it, in its two largest units: `3d 4h`, `2h 5m`, `4m 10s`, `12s`,
/// `450ms`.
#[must_use]
pub fn duration_text(millis: Millis) -> String {
    let seconds = millis / 1000;
    let (days, hours, minutes) = (seconds / 86_400, seconds / 3600 % 24, seconds / 60 % 60);
    if days > 0 {
        format!("{days}d {hours}h")
    } else if hours > 0 {
        format!("{hours}h {minutes}m")
    } else if minutes > 0 {
        format!("{minutes}m {}s", seconds % 60)
    } else if seconds > 0 {
        format!("{seconds}s")
    } else {
        format!("{}ms", millis.max(0))
    }
}

/// A window back from now as people write it: a positive number and a unit, `m`inutes,
/// `h`ours, `d`ays or `w`eeks (`30d`, `12h`); in milliseconds.
///
/// # Errors
///
/// The text is not a positive number followed by one of those units.
pub fn parse_window(text: &str) -> Result<Millis, String> {
    let expected =
        || format!("expected a number and a unit (m, h, d or w), like 30d or 12h, not `{text}`");
    let unit = text.chars().last().ok_or_else(expected)?;
    let minutes: Millis = match unit {
        'm' => 1,
        'h' => 60,
        'd' => 24 * 60,
        'w' => 7 * 24 * 60,
        _ => return Err(expected()),
    };
    let count: Millis = text[..text.len() - 1].parse().map_err(|_| expected())?;
    if count <= 0 {
        return Err(expected());
    }
    count.checked_mul(minutes * 60_000).ok_or_else(expected)
}

/// The changes of each deploy, by component and deploy commit.
pub type DeployChanges = BTreeMap<(String, String), Vec<ChangeCommit>>;

/// DORA's four performance levels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    Elite,
    High,
    Medium,
    Low,
}

impl Level {
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Elite => "elite",
            Self::High => "high",
            Self::Medium => "medium",
            Self::Low => "low",
        }
    }

    /// Deploys per day: elite on demand (at least daily), high between daily and weekly,
    /// medium between weekly and monthly, low less often (2023 Accelerate State of DevOps).
    #[must_use]
    pub fn of_frequency(deploys: usize, window: Millis) -> Self {
        let every = window.max(1) as f64 / deploys.max(1) as f64;
        if deploys == 0 {
            Self::Low
        } else if every <= DAY as f64 {
            Self::Elite
        } else if every <= WEEK as f64 {
            Self::High
        } else if every <= MONTH as f64 {
            Self::Medium
        } else {
            Self::Low
        }
    }

    /// Lead time: elite under a day, high under a week, medium under a month, low beyond.
    #[must_use]
    pub fn of_lead_time(lead: Millis) -> Self {
        if lead < DAY {
            Self::Elite
        } else if lead < WEEK {
            Self::High
        } else if lead < MONTH {
            Self::Medium
        } else {
            Self::Low
        }
    }

    /// Change failure rate: elite 5 % or less, high 10 %, medium 15 %, low above.
    #[must_use]
    pub fn of_fail_rate(rate: f64) -> Self {
        if rate <= 0.05 {
            Self::Elite
        } else if rate <= 0.10 {
            Self::High
        } else if rate <= 0.15 {
            Self::Medium
        } else {
            Self::Low
        }
    }

    /// Failed deployment recovery time: elite under an hour, high under a day, medium under a
    /// week, low beyond.
    #[must_use]
    pub fn of_recovery(recovery: Millis) -> Self {
        if recovery < HOUR {
            Self::Elite
        } else if recovery < DAY {
            Self::High
        } else if recovery < WEEK {
            Self::Medium
        } else {
            Self::Low
        }
    }
}

/// Where a change's lead time went, in milliseconds; the parts add up to the lead time.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimeBreakdown {
    /// From the commit until lanes created the lane that deployed it (review, pushing).
    pub before_lane: Millis,
    /// Attempts of the lane's stages running.
    pub working: Millis,
    /// Held for lanes' acceptance queue or a host's merge queue.
    pub waiting_queue: Millis,
    /// Held behind another version deploying to, or queued for, an environment.
    pub waiting_lock: Millis,
    /// Held for an approval.
    pub waiting_approval: Millis,
    /// Held by another gate (the merge into the release branch).
    pub waiting_gate: Millis,
    /// In the lane and neither running nor held: between stages, or between retries.
    pub between: Millis,
}

impl TimeBreakdown {
    fn add(&mut self, other: &Self) {
        self.before_lane += other.before_lane;
        self.working += other.working;
        self.waiting_queue += other.waiting_queue;
        self.waiting_lock += other.waiting_lock;
        self.waiting_approval += other.waiting_approval;
        self.waiting_gate += other.waiting_gate;
        self.between += other.between;
    }

    fn divided(&self, count: i64) -> Self {
        let count = count.max(1);
        Self {
            before_lane: self.before_lane / count,
            working: self.working / count,
            waiting_queue: self.waiting_queue / count,
            waiting_lock: self.waiting_lock / count,
            waiting_approval: self.waiting_approval / count,
            waiting_gate: self.waiting_gate / count,
            between: self.between / count,
        }
    }

    /// All the time spent held.
    #[must_use]
    pub fn waiting(&self) -> Millis {
        self.waiting_queue + self.waiting_lock + self.waiting_approval + self.waiting_gate
    }
}

/// Why a deploy counts as failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Failure {
    RolledBack,
    MarkedBad,
    Hotfixed,
}

/// One deploy (or rollback) in the window.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeployMetrics {
    pub commit: String,
    pub at: Millis,
    pub rollback: bool,
    /// A hotfix's version, or a rollback: work redone for production.
    pub rework: bool,
    /// Why it failed, if it did (a rollback never counts as failed itself).
    pub failures: Vec<Failure>,
    /// From the deploy to the next good one, for a failed deploy that recovered.
    pub recovery: Option<Millis>,
    /// The commits it brought, and each one's lead time.
    pub changes: usize,
    pub median_lead_time: Option<Millis>,
    /// The lane's part of the lead time, the same for each of its changes; `before_lane` is
    /// averaged over them.
    pub breakdown: TimeBreakdown,
}

/// A number and its DORA level.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Rated<T> {
    pub value: T,
    pub level: Level,
}

/// A component's metrics in the environment over the window.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ComponentMetrics {
    pub component: String,
    /// Deploys of new versions (rollbacks not counted).
    pub deploys: usize,
    pub rollbacks: usize,
    /// Deploys per day.
    pub deployment_frequency: Rated<f64>,
    /// Median over every change deployed in the window; `None` without changes.
    pub lead_time: Option<Rated<Millis>>,
    /// The mean of each part over every change deployed in the window.
    pub lead_time_breakdown: TimeBreakdown,
    pub changes: usize,
    /// Failed deploys over deploys; `None` without deploys.
    pub change_fail_rate: Option<Rated<f64>>,
    pub failed_deploys: usize,
    /// Median over failed deploys that recovered; `None` when none did.
    pub recovery_time: Option<Rated<Millis>>,
    /// Failed deploys with no good deploy after them yet.
    pub unrecovered: usize,
    /// Rework deploys (hotfixes and rollbacks) over all deploys and rollbacks; `None` without
    /// any. DORA gives it no levels yet.
    pub rework_rate: Option<f64>,
    pub deployments: Vec<DeployMetrics>,
}

/// Every measured component of one environment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeliveryMetrics {
    pub environment: String,
    pub since: Millis,
    pub until: Millis,
    pub components: Vec<ComponentMetrics>,
}

/// The components measured: the query's, or every one with a lane.
fn components(world: &World, query: &MetricsQuery) -> Vec<String> {
    if let Some(component) = &query.component {
        return vec![component.clone()];
    }
    let mut names: Vec<String> = world.lanes().map(|lane| lane.component.clone()).collect();
    names.sort_unstable();
    names.dedup();
    names
}

/// The deploys in the window whose changes the caller must find with git.
#[must_use]
pub fn deploys_to_explain(world: &World, query: &MetricsQuery) -> Vec<DeployToExplain> {
    let mut asks = Vec::new();
    for component in components(world, query) {
        let history = world.deploy_history(&query.environment, &component);
        let mut previous: Option<&str> = None;
        for record in history {
            if record.rollback {
                continue;
            }
            if in_window(record.at, query) && previous != Some(record.commit.as_str()) {
                asks.push(DeployToExplain {
                    component: component.clone(),
                    commit: record.commit.clone(),
                    previous: previous.map(str::to_owned),
                });
            }
            previous = Some(&record.commit);
        }
    }
    asks
}

fn in_window(at: Millis, query: &MetricsQuery) -> bool {
    at >= query.since && at <= query.until
}

/// The metrics of every component the query names, given the changes of each deploy.
#[must_use]
pub fn delivery_metrics(
    world: &World,
    query: &MetricsQuery,
    changes: &DeployChanges,
) -> DeliveryMetrics {
    DeliveryMetrics {
        environment: query.environment.clone(),
        since: query.since,
        until: query.until,
        components: components(world, query)
            .into_iter()
            .map(|component| component_metrics(world, query, &component, changes))
            .collect(),
    }
}

#[expect(
    clippy::too_many_lines,
    reason = "one pass over the history computes every number"
)]
fn component_metrics(
    world: &World,
    query: &MetricsQuery,
    component: &str,
    changes: &DeployChanges,
) -> ComponentMetrics {
    let environment = query.environment.as_str();
    let history = world.deploy_history(environment, component);
    let mut deployments = Vec::new();
    let mut leads = Vec::new();
    let mut total = TimeBreakdown::default();
    let mut recoveries = Vec::new();
    let mut unrecovered = 0;
    for (index, record) in history.iter().enumerate() {
        if !in_window(record.at, query) {
            continue;
        }
        let failures = if record.rollback {
            Vec::new()
        } else {
            failures(world, component, history, index)
        };
        let recovery = if failures.is_empty() {
            None
        } else {
            let next = (index + 1..history.len())
                .find(|&later| is_good(world, environment, component, history, later))
                .map(|later| &history[later]);
            if next.is_none() {
                unrecovered += 1;
            }
            next.map(|later| later.at - record.at)
        };
        recoveries.extend(recovery);
        let lane = world.lane(record.lane);
        let brought = if record.rollback {
            &[][..]
        } else {
            changes
                .get(&(component.to_owned(), record.commit.clone()))
                .map_or(&[][..], Vec::as_slice)
        };
        let lane_part = lane
            .map(|lane| lane_breakdown(lane, record.at))
            .unwrap_or_default();
        let mut own_leads: Vec<Millis> = Vec::new();
        let mut before_lane = 0;
        for change in brought {
            own_leads.push((record.at - change.at).max(0));
            let created = lane.map_or(record.at, |lane| lane.created_at);
            let before = (created - change.at).max(0);
            before_lane += before;
            let mut part = lane_part;
            part.before_lane = before;
            total.add(&part);
        }
        leads.extend(&own_leads);
        let count = i64::try_from(brought.len()).unwrap_or(i64::MAX);
        deployments.push(DeployMetrics {
            commit: record.commit.clone(),
            at: record.at,
            rollback: record.rollback,
            rework: record.rollback || world.flow().hotfix_of(&record.commit).is_some(),
            failures,
            recovery,
            changes: brought.len(),
            median_lead_time: median(&mut own_leads),
            breakdown: TimeBreakdown {
                before_lane: before_lane / count.max(1),
                ..lane_part
            },
        });
    }
    let deploys = deployments.iter().filter(|d| !d.rollback).count();
    let rollbacks = deployments.len() - deploys;
    let failed_deploys = deployments
        .iter()
        .filter(|d| !d.failures.is_empty())
        .count();
    let rework = deployments.iter().filter(|d| d.rework).count();
    let window = query.until - query.since;
    let days = window.max(1) as f64 / DAY as f64;
    let change_count = leads.len();
    ComponentMetrics {
        component: component.to_owned(),
        deploys,
        rollbacks,
        deployment_frequency: Rated {
            value: deploys as f64 / days,
            level: Level::of_frequency(deploys, window),
        },
        lead_time: median(&mut leads).map(|value| Rated {
            value,
            level: Level::of_lead_time(value),
        }),
        lead_time_breakdown: total.divided(i64::try_from(change_count).unwrap_or(i64::MAX)),
        changes: change_count,
        change_fail_rate: (deploys > 0).then(|| {
            let value = failed_deploys as f64 / deploys as f64;
            Rated {
                value,
                level: Level::of_fail_rate(value),
            }
        }),
        failed_deploys,
        recovery_time: median(&mut recoveries).map(|value| Rated {
            value,
            level: Level::of_recovery(value),
        }),
        unrecovered,
        rework_rate: (!deployments.is_empty()).then(|| rework as f64 / deployments.len() as f64),
        deployments,
    }
}

/// Why the deploy at `index` failed: a rollback before the next deploy, its version marked bad,
/// or a hotfix cut from it.
fn failures(
    world: &World,
    component: &str,
    history: &[DeployRecord],
    index: usize,
) -> Vec<Failure> {
    let record = &history[index];
    let mut failures = Vec::new();
    if history.get(index + 1).is_some_and(|next| next.rollback) {
        failures.push(Failure::RolledBack);
    }
    if world.bad_reason(component, &record.fingerprint).is_some() {
        failures.push(Failure::MarkedBad);
    }
    if world
        .flow()
        .hotfixes()
        .any(|hotfix| hotfix.component == component && hotfix.base == record.commit)
    {
        failures.push(Failure::Hotfixed);
    }
    failures
}

/// Whether a deploy brought the environment back to good: a rollback, or a version that
/// became its last known good there and did not fail itself.
fn is_good(
    world: &World,
    environment: &str,
    component: &str,
    history: &[DeployRecord],
    index: usize,
) -> bool {
    let record = &history[index];
    if record.rollback {
        return true;
    }
    world
        .lkg_history(environment, component)
        .iter()
        .any(|good| good.lane == record.lane)
        && failures(world, component, history, index).is_empty()
}

/// Where the lane's time went from its creation until `deployed`: attempts running, holds by
/// kind, and the rest.
fn lane_breakdown(lane: &Lane, deployed: Millis) -> TimeBreakdown {
    let clamp = |from: Millis, until: Option<Millis>| {
        let until = until.unwrap_or(deployed).min(deployed);
        (until - from.min(until)).max(0)
    };
    let mut part = TimeBreakdown::default();
    for run in &lane.stages {
        for attempt in &run.attempts {
            part.working += clamp(attempt.started_at, attempt.finished_at);
        }
        for wait in &run.waits {
            let held = clamp(wait.from, wait.until);
            match wait_kind(&wait.reason) {
                WaitKind::Queue => part.waiting_queue += held,
                WaitKind::Lock => part.waiting_lock += held,
                WaitKind::Approval => part.waiting_approval += held,
                WaitKind::Gate => part.waiting_gate += held,
            }
        }
    }
    let span = (deployed - lane.created_at).max(0);
    part.between = (span - part.working - part.waiting()).max(0);
    part
}

enum WaitKind {
    Queue,
    Lock,
    Approval,
    Gate,
}

/// What a hold's reason (as `next_step` words it) waited for.
fn wait_kind(reason: &str) -> WaitKind {
    if reason.starts_with("waiting for approval") {
        WaitKind::Approval
    } else if reason.starts_with("queued for ") || reason.contains(" is deploying ") {
        WaitKind::Lock
    } else if reason.starts_with("waiting for change ") || reason.contains("merge queue") {
        WaitKind::Queue
    } else {
        WaitKind::Gate
    }
}

fn median(values: &mut [Millis]) -> Option<Millis> {
    if values.is_empty() {
        return None;
    }
    values.sort_unstable();
    let middle = values.len() / 2;
    Some(if values.len().is_multiple_of(2) {
        i64::midpoint(values[middle - 1], values[middle])
    } else {
        values[middle]
    })
}
