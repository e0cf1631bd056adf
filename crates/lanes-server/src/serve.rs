//! Serving the routes on a listening socket until told to stop. HTTP/1.1 through hyper, with
//! the bounds that keep clients who stall from holding the server: a connection that has not
//! sent a request's headers within the header timeout (a request line half sent, nothing at
//! all, or nothing more after its last answer) is closed, and at most `max_connections` are
//! served at once (the others wait in the listen backlog until one closes).

use std::future::Future;
use std::pin::pin;
use std::sync::Arc;
use std::time::Duration;

use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::{Semaphore, watch};

use crate::{App, ServerError, router};

/// How long accepting waits after the system refused a connection (out of file descriptors).
const ACCEPT_PAUSE: Duration = Duration::from_millis(100);

/// Serves `app` on `listener` until `shutdown` completes; requests in flight are finished.
pub async fn serve(
    listener: TcpListener,
    app: App,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), ServerError> {
    let header_timeout = app.config().header_timeout;
    let slots = Arc::new(Semaphore::new(app.config().max_connections.max(1)));
    let service = TowerToHyperService::new(router(app));
    // Each connection holds a receiver: the sender sees them all dropped once every
    // connection has ended.
    let (stop, stopping) = watch::channel(false);
    let mut shutdown = pin!(shutdown);
    loop {
        let slot = tokio::select! {
            () = &mut shutdown => break,
            slot = Arc::clone(&slots).acquire_owned() => slot.expect("the semaphore is never closed"),
        };
        let stream = tokio::select! {
            () = &mut shutdown => break,
            accepted = listener.accept() => {
                let Ok((stream, _)) = accepted else {
                    tokio::time::sleep(ACCEPT_PAUSE).await;
                    continue;
                };
                stream
            }
        };
        let service = service.clone();
        let mut stopping = stopping.clone();
        tokio::spawn(async move {
            let _slot = slot;
            let mut connection = pin!(
                http1::Builder::new()
                    .timer(TokioTimer::new())
                    .header_read_timeout(header_timeout)
                    .serve_connection(TokioIo::new(stream), service)
            );
            tokio::select! {
                _ = connection.as_mut() => return,
                _ = stopping.wait_for(|stop| *stop) => connection.as_mut().graceful_shutdown(),
            }
            let _ = connection.await;
        });
    }
    drop(stopping);
    let _ = stop.send(true);
    stop.closed().await;
    Ok(())
}
