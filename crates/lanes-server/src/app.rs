//! The state every handler shares: settings, the ledger, the backend and the channel to the
//! dispatcher loop.

use std::sync::Arc;

use lanes_engine::LaneId;
use lanes_store::{ApiTokens, Deliveries, HostStatuses, Store};
use tokio::sync::{Mutex, mpsc};

use crate::{Backend, Notice, ServerConfig};

/// The server's shared state. Cheap to clone.
#[derive(Clone)]
pub struct App {
    inner: Arc<Inner>,
}

struct Inner {
    config: ServerConfig,
    deliveries: Deliveries,
    host_statuses: HostStatuses,
    tokens: ApiTokens,
    /// The server's own reader of the ledger (the dispatcher has its own): refreshed before
    /// each read.
    ledger: Mutex<Store>,
    notices: mpsc::UnboundedSender<Notice>,
    backend: Arc<dyn Backend>,
}

impl App {
    /// A server over `store`, telling the dispatcher loop through `notices`.
    #[must_use]
    pub fn new(
        config: ServerConfig,
        store: Store,
        notices: mpsc::UnboundedSender<Notice>,
        backend: Arc<dyn Backend>,
    ) -> Self {
        Self {
            inner: Arc::new(Inner {
                config,
                deliveries: store.deliveries(),
                host_statuses: store.host_statuses(),
                tokens: store.api_tokens(),
                ledger: Mutex::new(store),
                notices,
                backend,
            }),
        }
    }

    pub(crate) fn config(&self) -> &ServerConfig {
        &self.inner.config
    }

    pub(crate) fn deliveries(&self) -> &Deliveries {
        &self.inner.deliveries
    }

    pub(crate) fn host_statuses(&self) -> &HostStatuses {
        &self.inner.host_statuses
    }

    pub(crate) fn tokens(&self) -> &ApiTokens {
        &self.inner.tokens
    }

    pub(crate) fn backend(&self) -> &dyn Backend {
        self.inner.backend.as_ref()
    }

    /// The ledger, read up to its newest event.
    pub(crate) async fn ledger(
        &self,
    ) -> Result<tokio::sync::MutexGuard<'_, Store>, lanes_store::StoreError> {
        let mut store = self.inner.ledger.lock().await;
        store.refresh_and_forget().await?;
        Ok(store)
    }

    /// The ledger, read up to its newest event, holding lane `lane` (read back when it was
    /// retired from the working set).
    pub(crate) async fn ledger_with_lane(
        &self,
        lane: LaneId,
    ) -> Result<tokio::sync::MutexGuard<'_, Store>, lanes_store::StoreError> {
        let mut store = self.ledger().await?;
        store.hold_lanes(&[lane]).await?;
        Ok(store)
    }

    /// Tells the dispatcher loop; a loop that has stopped (shutting down) is not told.
    pub(crate) fn notify(&self, notice: Notice) {
        let _ = self.inner.notices.send(notice);
    }
}
