//! How long the state directory keeps worktrees, artifacts and logs that nothing else holds.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Retention {
    /// What was touched fewer days ago than this is kept; at least 1.
    pub days: u32,
}

impl Retention {
    pub const DEFAULT_DAYS: u32 = 14;

    /// The window in milliseconds.
    #[must_use]
    pub fn millis(self) -> i64 {
        i64::from(self.days) * 24 * 60 * 60 * 1000
    }
}

impl Default for Retention {
    fn default() -> Self {
        Self {
            days: Self::DEFAULT_DAYS,
        }
    }
}
