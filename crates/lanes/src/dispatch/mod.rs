//! Running the lanes of a commit: creating them, the dispatcher loop that owns scheduling, the
//! attempts it runs as child processes, and the progress it shows.

mod attempt;
mod dispatcher;
mod lane_setup;
mod progress;

pub(crate) use attempt::{AttemptContext, Report, commit_text, run_attempt};
pub(crate) use dispatcher::{Dispatcher, RunSummary, Scope, component_path, now, secret_values};
pub(crate) use lane_setup::{LaneSetup, history_depth, plan_lanes};
pub(crate) use progress::Progress;
