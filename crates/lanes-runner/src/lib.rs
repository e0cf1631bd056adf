//! Runs one step of a lane as a child process, the way a CI runner must: in its own process
//! group, with a timeout and cancellation (SIGTERM, a grace period, SIGKILL), its output streamed
//! into a timestamped log with secrets masked, and no process or zombie left behind.

mod line_splitter;
mod log_line;
mod log_sink;
mod masker;
mod output_stream;
mod process_group;
mod reaper;
mod run_step;
mod runner_error;
mod step_outcome;
mod step_report;
mod step_spec;

pub use log_line::{LogLine, Stream};
pub use run_step::run_step;
pub use runner_error::RunnerError;
pub use step_outcome::StepOutcome;
pub use step_report::StepReport;
pub use step_spec::StepSpec;
