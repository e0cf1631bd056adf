//! Serving the routes on a listening socket until told to stop.

use std::future::Future;

use tokio::net::TcpListener;

use crate::{App, ServerError, router};

/// Serves `app` on `listener` until `shutdown` completes; requests in flight are finished.
pub async fn serve(
    listener: TcpListener,
    app: App,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), ServerError> {
    let address = listener
        .local_addr()
        .map_or_else(|_| "the socket".to_owned(), |address| address.to_string());
    axum::serve(listener, router(app))
        .with_graceful_shutdown(shutdown)
        .await
        .map_err(|source| ServerError::Serve { address, source })
}
