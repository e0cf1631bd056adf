//! The server end to end over a real socket: webhooks of every host with the published
//! payloads, the ledger they are recorded in, the API's tokens and roles.

mod api;
mod connections;
mod desired_statuses;
mod harness;
mod observability;
mod webhooks;
