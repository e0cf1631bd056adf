//! What a step is: the command line, where and with what it runs, and how long it may take.

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

/// One step of a lane, ready to run.
///
/// Untrusted context (branch names, component names, commit messages) reaches the step only
/// through [`env`](StepSpec::env): the command line is passed to `/bin/sh -c` as one argument and
/// nothing is ever spliced into it.
#[derive(Clone)]
pub struct StepSpec {
    /// The shell command line from the manifest, run as `/bin/sh -c <command>`.
    pub command: String,
    /// The directory the step runs in; it must exist.
    pub working_dir: PathBuf,
    /// Variables added to the runner's own environment (`LANES_COMPONENT` and the like).
    pub env: Vec<(String, String)>,
    /// Variables of the runner's own environment the step does not get (the credentials of
    /// whatever runs the runner); `env` may set them again.
    pub withheld: Vec<String>,
    /// How long the step may run before it is terminated; `None` for no limit.
    pub timeout: Option<Duration>,
    /// How long the step's process group has between SIGTERM and SIGKILL on timeout or cancel.
    pub grace: Duration,
    /// Values replaced by `***` wherever they appear in the step's output; empty ones are ignored.
    pub secrets: Vec<String>,
    /// The log file, created if missing and appended to; its directory must exist.
    pub log_path: PathBuf,
    /// Told the step's process id (which is also its process group id) as soon as it runs, so
    /// that a caller can record it and, should the runner die, end the group later.
    pub spawned: Option<tokio::sync::mpsc::UnboundedSender<u32>>,
}

impl StepSpec {
    /// The grace period [`StepSpec::new`] uses.
    pub const DEFAULT_GRACE: Duration = Duration::from_secs(10);

    /// A step running `command` in `working_dir`, logging to `log_path`, with no extra
    /// environment, no timeout, no secrets and the default grace period.
    pub fn new(
        command: impl Into<String>,
        working_dir: impl Into<PathBuf>,
        log_path: impl Into<PathBuf>,
    ) -> StepSpec {
        StepSpec {
            command: command.into(),
            working_dir: working_dir.into(),
            env: Vec::new(),
            withheld: Vec::new(),
            timeout: None,
            grace: StepSpec::DEFAULT_GRACE,
            secrets: Vec::new(),
            log_path: log_path.into(),
            spawned: None,
        }
    }
}

/// Leaves out the secrets and the environment's values, which may hold secrets too.
impl fmt::Debug for StepSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let env_names: Vec<&str> = self.env.iter().map(|(name, _)| name.as_str()).collect();
        f.debug_struct("StepSpec")
            .field("command", &self.command)
            .field("working_dir", &self.working_dir)
            .field("env_names", &env_names)
            .field("withheld", &self.withheld)
            .field("timeout", &self.timeout)
            .field("grace", &self.grace)
            .field(
                "secrets",
                &format_args!("<{} redacted>", self.secrets.len()),
            )
            .field("log_path", &self.log_path)
            .field("spawned", &self.spawned.is_some())
            .finish()
    }
}
