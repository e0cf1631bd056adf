//! Who drives a queued change: the process holding its lock file (`flock`, released by the
//! operating system when the process dies). A change whose lock nobody holds was left by a
//! `lanes submit` that died; the next submit waiting behind it, or `lanes queue drive`, takes it
//! over.

use std::fs::{File, OpenOptions, TryLockError};

use lanes_engine::ChangeId;

use crate::failure::Failure;
use crate::state_dir::StateDir;

/// The right to drive some changes, for as long as it lives.
#[derive(Debug, Default)]
pub(crate) struct Driving {
    _locks: Vec<File>,
}

impl Driving {
    /// Takes the locks of all of `changes`, or none: `None` when another process holds one.
    pub(crate) fn try_take(dir: &StateDir, changes: &[ChangeId]) -> Result<Option<Self>, Failure> {
        let mut locks = Vec::new();
        for &change in changes {
            let path = dir.driver_lock(change);
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent)
                    .map_err(|error| Failure::io(format!("create {}", parent.display()), error))?;
            }
            let file = OpenOptions::new()
                .create(true)
                .truncate(false)
                .write(true)
                .open(&path)
                .map_err(|error| Failure::io(format!("open {}", path.display()), error))?;
            match file.try_lock() {
                Ok(()) => locks.push(file),
                Err(TryLockError::WouldBlock) => return Ok(None),
                Err(TryLockError::Error(error)) => {
                    return Err(Failure::io(format!("lock {}", path.display()), error));
                }
            }
        }
        Ok(Some(Self { _locks: locks }))
    }

    /// Whether a live process drives `change` now.
    pub(crate) fn is_driven(dir: &StateDir, change: ChangeId) -> Result<bool, Failure> {
        Ok(Self::try_take(dir, &[change])?.is_none())
    }
}
