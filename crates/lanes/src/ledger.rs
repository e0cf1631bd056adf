//! Opening the ledger of a repository, and running async work from the synchronous commands.

use std::future::Future;

use lanes_git::Repo;
use lanes_store::Store;

use crate::cli::StateArg;
use crate::failure::Failure;
use crate::state_dir::StateDir;

/// Runs `work` on a tokio runtime: only commands that run steps or use the ledger need one.
pub(crate) fn block_on<T>(work: impl Future<Output = Result<T, Failure>>) -> Result<T, Failure> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|error| Failure::io("start the async runtime", error))?;
    runtime.block_on(work)
}

/// The state directory and the ledger in it, holding the world's working set: what reads a
/// commit outside it focuses on the commit first (`Store::focus`).
pub(crate) async fn open(repo: &Repo, state: &StateArg) -> Result<(StateDir, Store), Failure> {
    let dir = StateDir::locate(repo, state.state_dir.as_deref())?;
    let store = Store::open(&dir.ledger()).await.map_err(Failure::store)?;
    Ok((dir, store))
}

/// The state directory and the ledger in it, replayed whole: for the commands that read every
/// lane ever run.
pub(crate) async fn open_whole(
    repo: &Repo,
    state: &StateArg,
) -> Result<(StateDir, Store), Failure> {
    let dir = StateDir::locate(repo, state.state_dir.as_deref())?;
    let store = Store::open_whole(&dir.ledger())
        .await
        .map_err(Failure::store)?;
    Ok((dir, store))
}

/// Appends the events `decide` derives from the newest world, deciding again when another
/// process appended first. Returns what was appended.
pub(crate) async fn record(
    store: &mut Store,
    decide: impl Fn(&lanes_engine::World) -> Vec<lanes_engine::Event>,
) -> Result<Vec<lanes_engine::Event>, Failure> {
    loop {
        store.refresh().await.map_err(Failure::store)?;
        let events = decide(store.world());
        if events.is_empty() {
            return Ok(events);
        }
        match store.append(&events).await {
            Ok(()) => return Ok(events),
            Err(lanes_store::StoreError::Conflict { .. }) => {}
            Err(error) => return Err(Failure::store(error)),
        }
    }
}
