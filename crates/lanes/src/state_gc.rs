//! Garbage collection of the state directory, for `lanes gc` and `lanes serve`: finds the
//! worktrees, artifacts, logs and vectors on disk, asks the engine which the retention policy
//! keeps (`lanes_engine::retention`), and removes the others.
//!
//! Safe beside running lanes: the files are listed before the ledger is read, so whatever a
//! lane set up after the listing is either absent from it or in the ledger; a run that has
//! not finished keeps its commit's worktree (its run record comes before its worktree); and
//! each item is looked at again just before it goes, so one touched meanwhile stays.

use std::path::{Path, PathBuf};
use std::time::SystemTime;

use lanes_engine::{FoundItem, Judged, KeepReason, LaneId, Millis, StateItem, retention};
use lanes_git::Repo;
use lanes_manifest::Manifest;
use lanes_store::Store;
use serde::Serialize;

use crate::failure::Failure;
use crate::state_dir::StateDir;

/// One item of the state directory and what became of it.
#[derive(Debug, Serialize)]
pub(crate) struct GcEntry {
    /// Relative to the state directory.
    pub(crate) path: String,
    #[serde(flatten)]
    pub(crate) item: StateItem,
    /// Disk use, in bytes.
    pub(crate) bytes: u64,
    /// Why it is kept; empty for what was removed.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub(crate) kept: Vec<KeepReason>,
}

/// What one collection did (or, in a dry run, would do).
#[derive(Debug, Serialize)]
pub(crate) struct GcReport {
    pub(crate) dry_run: bool,
    pub(crate) retention_days: u32,
    pub(crate) removed: Vec<GcEntry>,
    pub(crate) kept: Vec<GcEntry>,
    pub(crate) bytes_freed: u64,
    pub(crate) bytes_kept: u64,
    /// Items that could not be removed, with why.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub(crate) failed: Vec<(String, String)>,
}

/// Lists, judges and (unless `dry_run`) removes.
pub(crate) async fn collect(
    repo: &Repo,
    state: &StateDir,
    manifest: &Manifest,
    dry_run: bool,
    now: Millis,
) -> Result<GcReport, Failure> {
    let found = scan(state.root())?;
    let store = Store::open(&state.ledger()).await.map_err(Failure::store)?;
    let running: Vec<String> = store
        .unfinished_runs()
        .await
        .map_err(Failure::store)?
        .into_iter()
        .filter(|run| Path::new(&format!("/proc/{}", run.pid)).exists())
        .map(|run| run.commit)
        .collect();
    let items: Vec<FoundItem> = found.iter().map(|(item, _)| item.clone()).collect();
    let judged = retention(store.world(), manifest, &running, &items, now);
    drop(store);
    let since = now.saturating_sub(manifest.retention().millis());
    let mut report = GcReport {
        dry_run,
        retention_days: manifest.retention().days,
        removed: Vec::new(),
        kept: Vec::new(),
        bytes_freed: 0,
        bytes_kept: 0,
        failed: Vec::new(),
    };
    for (Judged { item, mut kept }, (_, path)) in judged.into_iter().zip(found) {
        let bytes = disk_use(&path);
        let relative = path
            .strip_prefix(state.root())
            .unwrap_or(&path)
            .display()
            .to_string();
        // Touched since it was listed: a run took it up again.
        if kept.is_empty() && modified(&path).is_some_and(|at| at >= since) {
            kept.push(KeepReason::Recent);
        }
        if !kept.is_empty() {
            report.bytes_kept += bytes;
            report.kept.push(GcEntry {
                path: relative,
                item,
                bytes,
                kept,
            });
            continue;
        }
        if !dry_run && let Err(error) = remove(repo, &item, &path) {
            report.failed.push((relative, error));
            continue;
        }
        report.bytes_freed += bytes;
        report.removed.push(GcEntry {
            path: relative,
            item,
            bytes,
            kept,
        });
    }
    if !dry_run {
        remove_empty_component_dirs(&state.root().join("artifacts"));
    }
    Ok(report)
}

/// Every item of the state directory's layout (see `StateDir`), with when it was last
/// touched. What lanes did not put there is left alone, and so are the ledger, the
/// environment places (one per instance: bounded) and the queue's lock files.
fn scan(root: &Path) -> Result<Vec<(FoundItem, PathBuf)>, Failure> {
    let mut found = Vec::new();
    let mut push = |item: StateItem, path: PathBuf| {
        if let Some(modified) = modified(&path) {
            found.push((FoundItem { item, modified }, path));
        }
    };
    for (component, component_dir) in subdirectories(&root.join("artifacts"))? {
        for (fingerprint, path) in subdirectories(&component_dir)? {
            push(
                StateItem::Artifacts {
                    component: component.clone(),
                    fingerprint,
                },
                path,
            );
        }
    }
    for (name, path) in subdirectories(&root.join("logs"))? {
        if let Ok(lane) = name.parse() {
            push(StateItem::Logs { lane: LaneId(lane) }, path);
        }
    }
    for (name, path) in subdirectories(&root.join("vectors"))? {
        if let Ok(lane) = name.parse() {
            push(StateItem::Vectors { lane: LaneId(lane) }, path);
        }
    }
    for (commit, path) in subdirectories(&root.join("worktrees"))? {
        push(StateItem::Worktree { commit }, path);
    }
    Ok(found)
}

/// The directories in `dir` by name, sorted; none when `dir` does not exist.
fn subdirectories(dir: &Path) -> Result<Vec<(String, PathBuf)>, Failure> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(error) => return Err(Failure::io(format!("read {}", dir.display()), error)),
    };
    let mut found: Vec<(String, PathBuf)> = entries
        .filter_map(Result::ok)
        .filter(|entry| entry.file_type().is_ok_and(|kind| kind.is_dir()))
        .filter_map(|entry| Some((entry.file_name().into_string().ok()?, entry.path())))
        .collect();
    found.sort();
    Ok(found)
}

/// When a directory was last touched: the newest modification time of it and of what it
/// holds directly (a log appended to, a file an attempt wrote into the artifacts). `None`
/// when it is gone.
fn modified(dir: &Path) -> Option<Millis> {
    let millis = |time: SystemTime| {
        time.duration_since(SystemTime::UNIX_EPOCH)
            .ok()
            .and_then(|since| Millis::try_from(since.as_millis()).ok())
            .unwrap_or_default()
    };
    let own = millis(std::fs::symlink_metadata(dir).ok()?.modified().ok()?);
    let children = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .filter_map(Result::ok)
        .filter_map(|entry| entry.metadata().ok()?.modified().ok())
        .map(millis);
    Some(children.fold(own, Millis::max))
}

/// The disk space a directory tree takes, in bytes (blocks allocated, not lengths).
fn disk_use(path: &Path) -> u64 {
    use std::os::unix::fs::MetadataExt as _;
    let Ok(metadata) = std::fs::symlink_metadata(path) else {
        return 0;
    };
    let own = metadata.blocks() * 512;
    if !metadata.is_dir() {
        return own;
    }
    own + std::fs::read_dir(path)
        .into_iter()
        .flatten()
        .filter_map(Result::ok)
        .map(|entry| disk_use(&entry.path()))
        .sum::<u64>()
}

/// Removes one item: a worktree through git, so its administrative data goes too (or as a
/// plain directory when git does not know it as a worktree).
fn remove(repo: &Repo, item: &StateItem, path: &Path) -> Result<(), String> {
    if matches!(item, StateItem::Worktree { .. }) && repo.remove_worktree(path).is_ok() {
        return Ok(());
    }
    match std::fs::remove_dir_all(path) {
        Err(error) if error.kind() != std::io::ErrorKind::NotFound => {
            Err(format!("failed to remove {}: {error}", path.display()))
        }
        _ => Ok(()),
    }
}

/// Removes the component directories under `artifacts` that no version is left in.
fn remove_empty_component_dirs(artifacts: &Path) {
    for (_, dir) in subdirectories(artifacts).unwrap_or_default() {
        // Fails, as it should, on a directory that still holds something.
        let _ = std::fs::remove_dir(dir);
    }
}

/// Marks `dir` as used now, so that a collection that listed it before sees it touched.
pub(crate) fn touch(dir: &Path) -> Result<(), Failure> {
    std::fs::File::open(dir)
        .and_then(|file| file.set_modified(SystemTime::now()))
        .map_err(|error| Failure::io(format!("touch {}", dir.display()), error))
}
