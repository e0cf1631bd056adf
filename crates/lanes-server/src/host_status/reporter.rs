//! The reporter: queues a commit's statuses when they change, and the sender that posts the
//! outbox in order per commit and target, with backoff, across restarts.

use std::collections::BTreeSet;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use lanes_engine::Millis;
use lanes_store::{HostStatuses, Store, StoreError};
use tokio::sync::{Mutex, Notify};

use crate::host_status::host_api::{Posted, post, request_for};
use crate::host_status::{HostApis, desired_statuses};
use crate::now;

/// The first wait after a failed post; it doubles with every failure, up to [`MAX_BACKOFF`].
const FIRST_BACKOFF: Duration = Duration::from_millis(500);
const MAX_BACKOFF: Duration = Duration::from_mins(5);
/// How long a host's `Retry-After` is honoured at most.
const MAX_RETRY_AFTER: Duration = Duration::from_hours(1);
/// How often the sender looks at the outbox when nothing wakes it.
const IDLE: Duration = Duration::from_secs(30);

/// Reports commits' verdicts to the hosts their deliveries came from.
pub struct StatusReporter {
    /// The reporter's own reader of the ledger.
    ledger: Mutex<Store>,
    statuses: HostStatuses,
    apis: HostApis,
    /// This server's address as the hosts' users reach it: statuses link to its commit pages.
    public_url: String,
    wake: Notify,
}

impl StatusReporter {
    #[must_use]
    pub fn new(store: Store, apis: HostApis, public_url: &str) -> Arc<Self> {
        Arc::new(Self {
            statuses: store.host_statuses(),
            ledger: Mutex::new(store),
            apis,
            public_url: public_url.trim_end_matches('/').to_owned(),
            wake: Notify::new(),
        })
    }

    /// Queues the commit's statuses that changed since last queued, for every host repository
    /// its deliveries named whose host has a token; returns how many were queued.
    pub async fn report(&self, commit: &str) -> Result<usize, StoreError> {
        let targets: Vec<_> = self
            .statuses
            .targets(commit)
            .await?
            .into_iter()
            .filter(|target| self.apis.of(&target.host).is_some())
            .collect();
        if targets.is_empty() {
            return Ok(0);
        }
        let desired = {
            let mut ledger = self.ledger.lock().await;
            ledger.refresh_and_forget().await?;
            ledger.focus(commit).await?;
            let world = ledger.world();
            let view = world.commit_view(commit, now());
            let recorded: Vec<String> = world
                .recorded_commit(commit)
                .map(|recorded| recorded.fingerprints.keys().cloned().collect())
                .unwrap_or_default();
            desired_statuses(
                &view,
                &recorded,
                &format!("{}/commits/{commit}", self.public_url),
            )
        };
        let mut queued = 0;
        for target in &targets {
            queued += self.statuses.queue_changes(target, &desired, now()).await?;
        }
        if queued > 0 {
            self.wake.notify_one();
        }
        Ok(queued)
    }

    /// Posts the outbox until `stop` resolves: the oldest unsent status of each commit and
    /// target first, the next only once the host took it; a failed post waits (the host's
    /// `Retry-After`, else a doubling backoff) while other commits' go on. Statuses left at a
    /// stop are sent at the next start.
    pub async fn send(self: Arc<Self>, stop: impl Future<Output = ()> + Send) {
        tokio::pin!(stop);
        if let Err(error) = self.statuses.retry_now().await {
            eprintln!("lanes serve: failed to {error}");
        }
        loop {
            let wait = match self.send_ready().await {
                Ok(Some(wait)) if wait.is_zero() => continue,
                Ok(Some(wait)) => wait.min(IDLE),
                Ok(None) => IDLE,
                Err(error) => {
                    eprintln!("lanes serve: failed to {error}");
                    Duration::from_secs(1)
                }
            };
            tokio::select! {
                () = self.wake.notified() => {}
                () = tokio::time::sleep(wait) => {}
                () = &mut stop => return,
            }
        }
    }

    /// Posts the head of every commit's queue that is due; how long until the next is due
    /// (zero when one was taken, so that the next in line goes at once).
    async fn send_ready(&self) -> Result<Option<Duration>, StoreError> {
        let rows = self.statuses.unsent().await?;
        let start = now();
        let mut heads = BTreeSet::new();
        let mut next: Option<Millis> = None;
        let mut moved = false;
        for row in rows {
            let key = (
                row.target.commit.clone(),
                row.target.host.clone(),
                row.target.repository.clone(),
            );
            if !heads.insert(key) {
                continue;
            }
            // A host whose token is gone keeps its statuses for a start that has one.
            let Some(api) = self.apis.of(&row.target.host) else {
                continue;
            };
            if row.next_attempt_at > start {
                next = Some(next.map_or(row.next_attempt_at, |n| n.min(row.next_attempt_at)));
                continue;
            }
            let posted = match request_for(api, &row) {
                Err(why) => Posted::Refused(why),
                Ok(request) => tokio::task::spawn_blocking(move || post(&request))
                    .await
                    .unwrap_or_else(|error| Posted::Again {
                        why: format!("the post panicked: {error}"),
                        after: None,
                    }),
            };
            match posted {
                Posted::Taken => {
                    self.statuses.mark_sent(row.id, now()).await?;
                    moved = true;
                }
                Posted::Refused(why) => {
                    eprintln!(
                        "lanes serve: {} refused the status {} of {}: {why}",
                        row.target.host, row.status.context, row.target.commit
                    );
                    self.statuses.mark_refused(row.id, &why, now()).await?;
                    moved = true;
                }
                Posted::Again { why, after } => {
                    let wait = after
                        .map_or_else(|| backoff(row.attempts), |after| after.min(MAX_RETRY_AFTER));
                    let at = now() + Millis::try_from(wait.as_millis()).unwrap_or(Millis::MAX);
                    self.statuses.mark_failed(row.id, &why, at).await?;
                    next = Some(next.map_or(at, |n| n.min(at)));
                }
            }
        }
        if moved {
            return Ok(Some(Duration::ZERO));
        }
        Ok(next.map(|at| Duration::from_millis(u64::try_from(at - now()).unwrap_or_default())))
    }
}

/// The wait after `attempts` failed posts.
fn backoff(attempts: i64) -> Duration {
    let doublings = u32::try_from(attempts.clamp(0, 20)).unwrap_or(20);
    FIRST_BACKOFF
        .saturating_mul(2u32.saturating_pow(doublings))
        .min(MAX_BACKOFF)
}
