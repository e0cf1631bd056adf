//! What the server asks of the program it runs in: the `lanes` commands that act (approve,
//! promote, rollback, ...) and where logs are. The server knows HTTP; the backend knows git,
//! the state directory and the command line.

use std::future::Future;
use std::path::PathBuf;
use std::pin::Pin;

use lanes_engine::{LaneId, Millis, World};
use lanes_store::RunRecord;

/// The outcome of a `lanes` command the backend ran.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommandOutput {
    /// The exit status (see `lanes --help`): 0 done, 2 bad arguments, 5 refused, ...
    pub status: i32,
    pub stdout: String,
    pub stderr: String,
}

/// Which delivery metrics are asked for: a component (every one when `None`), an environment
/// (production when `None`) and a window.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MetricsRequest {
    pub component: Option<String>,
    pub environment: Option<String>,
    pub since: Millis,
    pub until: Millis,
}

/// A future of a command's outcome.
pub type CommandFuture = Pin<Box<dyn Future<Output = CommandOutput> + Send>>;

/// The program around the server.
pub trait Backend: Send + Sync + 'static {
    /// Runs `lanes` with these arguments (given as argv: never through a shell), proving who
    /// acts with `api_token`, the caller's API token, when there is one.
    fn command(&self, args: Vec<String>, api_token: Option<String>) -> CommandFuture;

    /// The log file of an attempt.
    fn log_path(&self, lane: LaneId, stage: &str, attempt: u32) -> PathBuf;

    /// The board (components by environments, as `lanes board --json`) of `world`. It may
    /// call git: the server calls it where blocking is allowed.
    fn board(&self, world: &World) -> Result<serde_json::Value, String>;

    /// Delivery metrics of `world` (as `lanes metrics --json`). It calls git: the server calls
    /// it where blocking is allowed.
    fn metrics(&self, world: &World, request: &MetricsRequest)
    -> Result<serde_json::Value, String>;

    /// Whether the process of a run the ledger holds unfinished still runs it: the views show
    /// what a dead run left running as abandoned.
    fn run_is_alive(&self, run: &RunRecord) -> bool;
}
