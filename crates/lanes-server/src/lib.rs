//! The HTTP side of lanes: webhooks from GitHub, GitLab and Azure DevOps recorded in the
//! ledger before they are acknowledged, a JSON API with token roles, live logs and events over
//! server-sent events, and the dashboard. Only this crate knows HTTP and HTML; the program
//! around it runs the lanes (see [`Backend`] and [`Notice`]); [`ApiClient`] is the client side
//! for `lanes --server`.

mod api;
mod api_client;
mod app;
mod backend;
mod clock;
mod dashboard;
mod health;
mod host_status;
mod notice;
mod problem;
mod prometheus;
mod router;
mod serve;
mod server_config;
mod server_error;
mod webhook;

pub use api::token_digest;
pub use api_client::{ApiClient, ClientError};
pub use app::App;
pub use backend::{Backend, CommandFuture, CommandOutput, MetricsRequest};
pub use clock::now;
pub use host_status::{HostApi, HostApis, StatusReporter, desired_statuses};
pub use notice::Notice;
pub use router::router;
pub use serve::serve;
pub use server_config::{ServerConfig, WebhookSecrets};
pub use server_error::ServerError;
pub use webhook::{Host, Trigger, github_signature_matches};
