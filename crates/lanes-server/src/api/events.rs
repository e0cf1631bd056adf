//! The ledger's events as they are appended, over server-sent events: what the dashboard
//! listens to for live updates. A reconnecting client resumes after `Last-Event-ID`.

use std::convert::Infallible;
use std::time::Duration;

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::sse::{Event, KeepAlive, Sse};
use futures_util::Stream;
use lanes_store::Role;
use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;

use crate::App;
use crate::api::{ApiError, Caller};

/// How often the ledger is read for new events.
const TAIL_EVERY: Duration = Duration::from_millis(250);

pub(crate) async fn events(
    State(app): State<App>,
    caller: Caller,
    headers: HeaderMap,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, ApiError> {
    caller.require(Role::Viewer)?;
    let resume = headers
        .get("last-event-id")
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.parse::<i64>().ok());
    let mut after = match resume {
        Some(id) => id,
        None => app.ledger().await?.last_event_id(),
    };
    let (sender, receiver) = mpsc::channel::<Result<Event, Infallible>>(64);
    tokio::spawn(async move {
        loop {
            let page = match app.ledger().await {
                Ok(store) => store.events_after(after, 256).await.unwrap_or_default(),
                Err(_) => Vec::new(),
            };
            for stored in page {
                after = stored.id;
                let data = serde_json::json!({
                    "id": stored.id,
                    "kind": stored.event.kind(),
                    "lane": stored.event.lane().map(|lane| lane.0),
                    "event": stored.event,
                });
                let event = Event::default()
                    .id(stored.id.to_string())
                    .event("ledger")
                    .data(data.to_string());
                if sender.send(Ok(event)).await.is_err() {
                    return;
                }
            }
            if sender.is_closed() {
                return;
            }
            tokio::time::sleep(TAIL_EVERY).await;
        }
    });
    Ok(Sse::new(ReceiverStream::new(receiver)).keep_alive(KeepAlive::default()))
}
