//! `lanes serve`'s garbage collection of the state directory: the same as `lanes gc`, once at
//! start and then every `COLLECT_EVERY`, by the retention policy of lanes.yml at HEAD.

use std::time::Duration;

use lanes_git::Repo;
use tokio_util::sync::CancellationToken;

use crate::dispatch::now;
use crate::state_dir::StateDir;
use crate::state_gc::collect;
use crate::workspace::manifest_at;

pub(crate) const COLLECT_EVERY: Duration = Duration::from_hours(1);

/// Collects until `stop`. A collection that fails is reported and tried again next time.
pub(crate) async fn collect_every(
    repo: Repo,
    state: StateDir,
    every: Duration,
    stop: CancellationToken,
) {
    let mut tick = tokio::time::interval(every);
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            () = stop.cancelled() => return,
        }
        let (repo, state) = (repo.clone(), state.clone());
        // Listing and removing files blocks: on a thread of its own, not the server's.
        let round = tokio::task::spawn_blocking(move || {
            let manifest = repo
                .resolve_commit("HEAD")
                .ok()
                .and_then(|head| manifest_at(&repo, head).ok().flatten())?;
            let handle = tokio::runtime::Handle::current();
            Some(handle.block_on(collect(&repo, &state, &manifest, false, now())))
        })
        .await;
        match round {
            Ok(Some(Ok(report))) if !report.removed.is_empty() || !report.failed.is_empty() => {
                eprintln!(
                    "lanes serve: gc removed {} items ({} bytes), kept {}{}",
                    report.removed.len(),
                    report.bytes_freed,
                    report.kept.len(),
                    if report.failed.is_empty() {
                        String::new()
                    } else {
                        format!("; {} could not be removed", report.failed.len())
                    }
                );
            }
            Ok(Some(Err(error))) => {
                eprintln!("lanes serve: gc failed: {}", crate::failure::chain(&error));
            }
            _ => {}
        }
    }
}
