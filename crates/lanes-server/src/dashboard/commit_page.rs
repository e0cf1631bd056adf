//! The commit page: the unified view, every affected component's lane across the stages with
//! durations, waits and reasons, "done" once in production, and the approval buttons for
//! those allowed. Its lanes refresh themselves when the ledger's event stream says something
//! happened (and every 5 s).

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use std::collections::BTreeMap;

use lanes_engine::{Event, LaneId, Millis, StageState};
use lanes_store::Role;
use lanes_store::Store;
use serde::Deserialize;

use crate::api::ApiError;
use crate::api::{commit_view, find_commit};
use crate::dashboard::page::{Chrome, SignedIn, render};
use crate::host_status::{HostLink, host_links};
use crate::{App, now};

/// One stage as shown.
#[derive(Debug)]
pub(crate) struct StageCell {
    pub(crate) name: String,
    pub(crate) state: &'static str,
    pub(crate) reason: String,
    pub(crate) duration: String,
    pub(crate) attempts: usize,
    /// Waits for approval: approvers get buttons.
    pub(crate) approvable: bool,
}

/// One lane as shown.
#[derive(Debug)]
pub(crate) struct LaneRow {
    pub(crate) id: u64,
    pub(crate) component: String,
    pub(crate) version: String,
    pub(crate) summary: &'static str,
    pub(crate) done: bool,
    /// A proposed commit's lane: it walks no further until the commit reaches the default branch.
    pub(crate) proposed: bool,
    /// What the lane's verdict rests on beyond its stages: since when it is red, or, for a
    /// component without a lane at the commit, which commit's lane carries its version.
    pub(crate) note: String,
    pub(crate) stages: Vec<StageCell>,
}

#[derive(Template)]
#[template(path = "commit.html")]
struct CommitPage {
    user: String,
    role: String,
    flash: Option<String>,
    flash_error: bool,
    commit: String,
    short: String,
    /// What hotfix the commit belongs to, if any.
    hotfix: String,
    /// Its path through git: the changes it is part of, its merge into the release branch.
    path: Vec<String>,
    lanes: Vec<LaneRow>,
    decisions: Vec<String>,
    can_approve: bool,
    live: bool,
    /// The commit and its pull request on the hosts that delivered it.
    links: Vec<HostLink>,
}

#[derive(Template)]
#[template(path = "lanes.html")]
struct LanesFragment {
    commit: String,
    lanes: Vec<LaneRow>,
    decisions: Vec<String>,
    can_approve: bool,
    live: bool,
}

/// Who decided what about the commit's lanes, when, and how: one line per decision.
pub(crate) fn decision_lines(world: &lanes_engine::World, commit: &str) -> Vec<String> {
    world
        .decisions()
        .iter()
        .filter(|decision| decision.commit == commit)
        .map(|decision| {
            let what = decision.kind.past_tense();
            let place = decision
                .environment
                .as_ref()
                .or(decision.stage.as_ref())
                .map(|place| format!(" in {place}"))
                .unwrap_or_default();
            let via = decision.token.as_ref().map_or_else(
                || "on the command line".to_owned(),
                |token| format!("with the token {token}"),
            );
            let reason = decision
                .reason
                .as_ref()
                .map(|reason| format!(": {reason}"))
                .unwrap_or_default();
            let when = jiff::Timestamp::from_millisecond(decision.at)
                .map_or_else(|_| decision.at.to_string(), |time| time.to_string());
            format!(
                "{when} {} {what} {}{place}, {via}{reason}",
                decision.user, decision.component
            )
        })
        .collect()
}

/// Seconds as people read them.
pub(crate) fn duration(ms: i64) -> String {
    if ms < 60_000 {
        format!("{}.{}s", ms / 1000, (ms % 1000) / 100)
    } else {
        format!("{}m{:02}s", ms / 60_000, (ms % 60_000) / 1000)
    }
}

/// When each waiting stage of the commit's lanes began to wait, from their events.
async fn waiting_since(
    store: &Store,
    commit: &str,
) -> Result<BTreeMap<(u64, usize), Millis>, ApiError> {
    let mut since = BTreeMap::new();
    let waiting: Vec<LaneId> = store
        .world()
        .lanes_of_commit(commit)
        .filter(|lane| {
            lane.stages
                .iter()
                .any(|stage| stage.state == StageState::Waiting)
        })
        .map(|lane| lane.id)
        .collect();
    for lane in waiting {
        for stored in store.events_of_lane(lane).await? {
            if let Event::StageWaiting { stage, at, .. } = stored.event {
                since.entry((lane.0, stage)).or_insert(at);
            }
        }
    }
    Ok(since)
}

/// The lanes of the commit as the page shows them; a waiting stage shows how long it waits.
pub(crate) async fn lane_rows(
    app: &App,
    store: &mut Store,
    commit: &str,
) -> Result<Vec<LaneRow>, ApiError> {
    let at = now();
    let view = commit_view(app, store, commit, at).await?;
    let since = waiting_since(store, commit).await?;
    let world = store.world();
    let short = |commit: &str| commit[..7.min(commit.len())].to_owned();
    let unchanged: Vec<LaneRow> = view
        .unchanged
        .iter()
        .map(|unchanged| LaneRow {
            id: 0,
            component: unchanged.component.clone(),
            version: unchanged.fingerprint[..12.min(unchanged.fingerprint.len())].to_owned(),
            summary: unchanged.verdict,
            done: false,
            proposed: false,
            note: unchanged.text.clone(),
            stages: Vec::new(),
        })
        .collect();
    Ok(view
        .lanes
        .into_iter()
        .map(|lane| {
            let id = world
                .lane_of(commit, &lane.component)
                .map_or(0, |found| found.id.0);
            (id, lane)
        })
        .map(|(id, lane)| LaneRow {
            id,
            version: lane.fingerprint[..12.min(lane.fingerprint.len())].to_owned(),
            component: lane.component,
            summary: lane.summary,
            done: lane.done,
            proposed: lane.role == lanes_engine::Role::Proposed,
            note: match (&lane.rolled_back, &lane.red_since) {
                (Some(reason), _) => reason.clone(),
                (None, Some(since)) => format!("red since {}", short(since)),
                (None, None) => String::new(),
            },
            stages: lane
                .stages
                .into_iter()
                .enumerate()
                .map(|(index, stage)| StageCell {
                    approvable: stage.state == StageState::Waiting
                        && stage
                            .reason
                            .as_deref()
                            .is_some_and(|reason| reason.contains("approval")),
                    state: stage.state.as_str(),
                    reason: stage.reason.unwrap_or_default(),
                    duration: match since.get(&(id, index)) {
                        Some(start) if stage.state == StageState::Waiting => {
                            format!("for {}", duration((at - start).max(0)))
                        }
                        _ => stage.duration_ms.map(duration).unwrap_or_default(),
                    },
                    attempts: stage.attempts,
                    name: stage.name,
                })
                .collect(),
        })
        .chain(unchanged)
        .collect())
}

/// The commit's path through git, one line per step: each change in the acceptance queue whose
/// head, intermediate commit or merge it is, and its merge into the release branch.
fn git_path(world: &lanes_engine::World, commit: &str) -> Vec<String> {
    let short = |id: &str| id[..7.min(id.len())].to_owned();
    let mut lines: Vec<String> = world
        .flow()
        .changes_at(commit)
        .map(|change| {
            let state = match &change.state {
                lanes_engine::ChangeState::Queued => match &change.candidate {
                    Some(candidate) => format!(
                        "in the acceptance queue, accepted on {} ({})",
                        candidate.branch,
                        short(&candidate.commit)
                    ),
                    None => "in the acceptance queue".to_owned(),
                },
                lanes_engine::ChangeState::Merged { commit, .. } => match &change.carried {
                    Some(carried) => format!(
                        "merged into the default branch as {} ({})",
                        short(commit),
                        carried.provenance()
                    ),
                    None => format!("merged into the default branch as {}", short(commit)),
                },
                lanes_engine::ChangeState::Evicted { reason, .. } => {
                    format!("left the queue: {reason}")
                }
            };
            format!("change {} from {}: {state}", change.id, change.branch)
        })
        .collect();
    if let Some(merge) = world.flow().release_merge(commit) {
        lines.push(format!(
            "merged into {} as {}",
            merge.branch,
            short(&merge.release_commit)
        ));
    }
    lines
}

/// A message shown after an action (`?said=`, `?failed=`).
#[derive(Debug, Default, Deserialize)]
pub(crate) struct Said {
    said: Option<String>,
    failed: Option<String>,
}

pub(crate) async fn commit(
    State(app): State<App>,
    SignedIn(caller): SignedIn,
    Path(given): Path<String>,
    Query(said): Query<Said>,
) -> Result<Response, ApiError> {
    let mut store = app.ledger().await?;
    let commit = find_commit(&mut store, &given).await?;
    let chrome = Chrome::of(&caller);
    let links = app
        .host_statuses()
        .targets(&commit)
        .await
        .unwrap_or_default()
        .iter()
        .flat_map(host_links)
        .collect();
    let page = CommitPage {
        links,
        user: chrome.user,
        role: chrome.role,
        flash_error: said.failed.is_some(),
        flash: said.failed.or(said.said),
        short: commit[..7.min(commit.len())].to_owned(),
        hotfix: store
            .world()
            .flow()
            .hotfix_of(&commit)
            .map(|hotfix| {
                format!(
                    "hotfix {} of {}, cut from {}",
                    hotfix.branch, hotfix.component, hotfix.tag
                )
            })
            .unwrap_or_default(),
        path: git_path(store.world(), &commit),
        lanes: lane_rows(&app, &mut store, &commit).await?,
        decisions: decision_lines(store.world(), &commit),
        commit,
        can_approve: caller.0.role >= Role::Approver,
        live: true,
    };
    Ok(render(&page))
}

/// The lanes alone, for the page's refresh.
pub(crate) async fn lanes(
    State(app): State<App>,
    SignedIn(caller): SignedIn,
    Path(given): Path<String>,
) -> Result<Response, ApiError> {
    let mut store = app.ledger().await?;
    let commit = find_commit(&mut store, &given).await?;
    Ok(render(&LanesFragment {
        lanes: lane_rows(&app, &mut store, &commit).await?,
        decisions: decision_lines(store.world(), &commit),
        commit,
        can_approve: caller.0.role >= Role::Approver,
        live: true,
    }))
}
