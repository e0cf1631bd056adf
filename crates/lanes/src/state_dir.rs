//! Where lanes keeps its state for a repository: the ledger, artifacts, logs, working trees
//! and the directories that stand for environment instances. Inside the git directory by
//! default (`.git/lanes`), so nothing shows in the work tree.

use std::path::{Path, PathBuf};

use lanes_engine::{ChangeId, LaneId};
use lanes_git::Repo;

use crate::failure::Failure;

#[derive(Debug, Clone)]
pub(crate) struct StateDir {
    root: PathBuf,
}

impl StateDir {
    /// `explicit`, else `LANES_STATE_DIR`, else `<git dir>/lanes`.
    pub(crate) fn locate(repo: &Repo, explicit: Option<&Path>) -> Result<Self, Failure> {
        let root = match explicit {
            Some(path) => path.to_path_buf(),
            None => match std::env::var_os("LANES_STATE_DIR") {
                Some(path) => PathBuf::from(path),
                None => repo.git_dir().join("lanes"),
            },
        };
        std::fs::create_dir_all(&root)
            .map_err(|error| Failure::io(format!("create {}", root.display()), error))?;
        Ok(Self { root })
    }

    /// The state directory at `root`, as a parent process already located it.
    pub(crate) fn at(root: PathBuf) -> Self {
        Self { root }
    }

    /// What tells this state apart from any other lanes' on the machine (a nested lanes run by
    /// a step has its own).
    pub(crate) fn mark(&self, token: u64) -> String {
        format!("{}#{token}", self.root.display())
    }

    /// The directory itself.
    pub(crate) fn root(&self) -> &Path {
        &self.root
    }

    pub(crate) fn ledger(&self) -> PathBuf {
        self.root.join("ledger.db")
    }

    /// What a component's build writes and every later stage deploys: one per version.
    pub(crate) fn artifacts(&self, component: &str, fingerprint: &str) -> PathBuf {
        self.root
            .join("artifacts")
            .join(component)
            .join(fingerprint)
    }

    pub(crate) fn log(&self, lane: LaneId, stage: &str, attempt: u32) -> PathBuf {
        self.root
            .join("logs")
            .join(lane.0.to_string())
            .join(format!("{stage}-{attempt}.log"))
    }

    pub(crate) fn worktree(&self, commit: &str) -> PathBuf {
        self.root.join("worktrees").join(commit)
    }

    pub(crate) fn vector(&self, lane: LaneId, stage: &str, attempt: u32) -> PathBuf {
        self.root
            .join("vectors")
            .join(lane.0.to_string())
            .join(format!("{stage}-{attempt}.json"))
    }

    /// The file a process driving a queued change holds locked: a change whose file nobody
    /// holds has no live `lanes` process moving it.
    pub(crate) fn driver_lock(&self, change: ChangeId) -> PathBuf {
        self.root.join("queue").join(format!("{}.lock", change.0))
    }

    /// A directory a deploy step may use as the environment instance's place.
    pub(crate) fn environment(&self, environment: &str, instance: &str) -> PathBuf {
        self.root
            .join("environments")
            .join(environment)
            .join(instance)
    }
}
