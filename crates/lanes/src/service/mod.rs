//! `lanes serve` at work: the backend the server acts through, the loop that drives the lanes
//! of the commits the server is told about, the link of each driven run to its server, and the
//! hourly garbage collection of the state directory.

mod collector;
mod command_backend;
mod demo_serving;
mod driver;
mod parent_link;

pub(crate) use collector::{COLLECT_EVERY, collect_every};
pub(crate) use command_backend::CommandBackend;
pub(crate) use demo_serving::serve_demo;
pub(crate) use driver::{Driver, Stops, commits_to_resume};
pub(crate) use parent_link::{PARENT_VARIABLE, follow_serving_parent};
