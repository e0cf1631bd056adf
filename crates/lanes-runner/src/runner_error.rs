//! Everything that can keep the runner from running a step or recording its log.

use std::path::PathBuf;

/// A step that could not be run or logged; messages read after "failed to ...".
///
/// How the step itself ended (non-zero exit, signal, timeout) is a
/// [`StepOutcome`](crate::StepOutcome), not an error. Variants with a `source` leave it out of
/// their message: report the whole chain to show it.
#[derive(Debug, thiserror::Error)]
pub enum RunnerError {
    /// The log file could not be created or opened for appending.
    #[error("open the step log {}", path.display())]
    OpenLog {
        /// The log file.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// Writing to the log failed while the step ran; the step's process group was killed.
    #[error("write the step log {}", path.display())]
    WriteLog {
        /// The log file.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// The working directory is missing or not a directory.
    #[error("use {} as the step's working directory", path.display())]
    WorkingDir {
        /// The working directory.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// The shell could not be started.
    #[error("start `/bin/sh -c` in {}", working_dir.display())]
    Spawn {
        /// The working directory.
        working_dir: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// The step's exit or output could not be watched (no tokio runtime with I/O enabled).
    #[error("watch the step's processes and output")]
    Watch {
        /// The underlying error.
        source: std::io::Error,
    },
    /// The secrets are too large to search for.
    #[error("prepare masking of {count} secrets")]
    Secrets {
        /// How many secrets were given.
        count: usize,
        /// What aho-corasick reported.
        source: aho_corasick::BuildError,
    },
}
