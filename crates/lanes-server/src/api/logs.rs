//! Logs of attempts: the text so far, and a live stream of its lines (server-sent events)
//! that ends when the attempt has ended and every line was sent. Both carry the text with its
//! control characters escaped (`lanes_engine::escape_controls`): whoever shows it, on a
//! terminal or in a page, shows what the step printed, never what it would make a terminal do.

use std::convert::Infallible;
use std::time::Duration;

use axum::extract::{Path, Query, State};
use axum::response::IntoResponse;
use axum::response::sse::{Event, KeepAlive, Sse};
use futures_util::Stream;
use lanes_engine::{LaneId, World, escape_controls};
use lanes_store::Role;
use serde::Deserialize;
use tokio::io::{AsyncReadExt as _, AsyncSeekExt as _};
use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;

use crate::App;
use crate::api::{ApiError, Caller};

/// How often a followed log is read again.
const FOLLOW_EVERY: Duration = Duration::from_millis(200);

#[derive(Debug, Default, Deserialize)]
pub(crate) struct AttemptQuery {
    pub(crate) attempt: Option<u32>,
}

/// The attempt meant: the one asked for, else the stage's last; with whether it has ended.
fn attempt_of(
    world: &World,
    lane: u64,
    stage: &str,
    attempt: Option<u32>,
) -> Result<(u32, bool), ApiError> {
    let lane = world
        .lane(LaneId(lane))
        .ok_or_else(|| ApiError::NotFound(format!("no lane {lane}")))?;
    let stage_run = lane
        .stages
        .iter()
        .find(|run| run.name == stage)
        .ok_or_else(|| ApiError::NotFound(format!("the lane has no stage `{stage}`")))?;
    let found = match attempt {
        Some(number) => stage_run.attempts.iter().find(|a| a.number == number),
        None => stage_run.attempts.last(),
    }
    .ok_or_else(|| ApiError::NotFound(format!("`{stage}` has no such attempt yet")))?;
    Ok((found.number, found.finished_at.is_some()))
}

/// The log text of an attempt so far, its control characters escaped.
pub(crate) async fn log_text(
    app: &App,
    lane: u64,
    stage: &str,
    attempt: Option<u32>,
) -> Result<(u32, String), ApiError> {
    let (number, _) = {
        let store = app.ledger_with_lane(LaneId(lane)).await?;
        attempt_of(store.world(), lane, stage, attempt)?
    };
    let path = app.backend().log_path(LaneId(lane), stage, number);
    let text = match tokio::fs::read(&path).await {
        Ok(bytes) => escape_controls(&String::from_utf8_lossy(&bytes)).into_owned(),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(error) => {
            return Err(ApiError::Internal(format!(
                "failed to read {}: {error}",
                path.display()
            )));
        }
    };
    Ok((number, text))
}

pub(crate) async fn log(
    State(app): State<App>,
    caller: Caller,
    Path((lane, stage)): Path<(u64, String)>,
    Query(query): Query<AttemptQuery>,
) -> Result<impl IntoResponse, ApiError> {
    caller.require(Role::Viewer)?;
    let (_, text) = log_text(&app, lane, &stage, query.attempt).await?;
    Ok(([("content-type", "text/plain; charset=utf-8")], text))
}

pub(crate) async fn log_stream(
    State(app): State<App>,
    caller: Caller,
    Path((lane, stage)): Path<(u64, String)>,
    Query(query): Query<AttemptQuery>,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, ApiError> {
    caller.require(Role::Viewer)?;
    stream_log(app, lane, stage, query.attempt).await
}

/// A `line` event of one line of the log. Escaped, a carriage return cannot split it either
/// (server-sent events end a data line at one).
fn line_event(line: &[u8]) -> Event {
    Event::default()
        .event("line")
        .data(escape_controls(&String::from_utf8_lossy(line)))
}

/// A stream of the log's lines (`line` events), then an `end` event once the attempt ended.
pub(crate) async fn stream_log(
    app: App,
    lane: u64,
    stage: String,
    attempt: Option<u32>,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, ApiError> {
    let (number, _) = {
        let store = app.ledger_with_lane(LaneId(lane)).await?;
        attempt_of(store.world(), lane, &stage, attempt)?
    };
    let path = app.backend().log_path(LaneId(lane), &stage, number);
    let (sender, receiver) = mpsc::channel::<Result<Event, Infallible>>(64);
    tokio::spawn(async move {
        let mut offset = 0_u64;
        let mut partial = Vec::new();
        loop {
            // Whether the attempt had ended is read before the file: lines written before the
            // end are then all in the file.
            let ended = match app.ledger_with_lane(LaneId(lane)).await {
                Ok(store) => attempt_of(store.world(), lane, &stage, Some(number))
                    .map_or(true, |(_, ended)| ended),
                Err(_) => true,
            };
            let mut fresh = Vec::new();
            if let Ok(mut file) = tokio::fs::File::open(&path).await
                && file.seek(std::io::SeekFrom::Start(offset)).await.is_ok()
                && file.read_to_end(&mut fresh).await.is_ok()
            {
                offset += fresh.len() as u64;
            }
            partial.extend_from_slice(&fresh);
            while let Some(end) = partial.iter().position(|byte| *byte == b'\n') {
                let bytes: Vec<u8> = partial.drain(..=end).collect();
                if sender
                    .send(Ok(line_event(&bytes[..bytes.len() - 1])))
                    .await
                    .is_err()
                {
                    return;
                }
            }
            if ended {
                if !partial.is_empty() {
                    let _ = sender.send(Ok(line_event(&partial))).await;
                }
                let _ = sender
                    .send(Ok(Event::default().event("end").data("the attempt ended")))
                    .await;
                return;
            }
            tokio::time::sleep(FOLLOW_EVERY).await;
        }
    });
    Ok(Sse::new(ReceiverStream::new(receiver)).keep_alive(KeepAlive::default()))
}
