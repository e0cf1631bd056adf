//! One file per command: each reads its arguments, calls the libraries and prints.

mod affected;
mod board;
mod decide;
mod demo;
mod fingerprint;
mod graph;
mod hotfix;
mod init;
mod logs;
mod promote;
mod rollback;
pub(crate) mod run;
mod schema;
mod status;
mod submit;
mod validate;

pub(crate) use affected::affected;
pub(crate) use board::board;
pub(crate) use decide::{approve, reject, retry};
pub(crate) use demo::demo;
pub(crate) use fingerprint::fingerprint;
pub(crate) use graph::graph;
pub(crate) use hotfix::hotfix;
pub(crate) use init::init;
pub(crate) use logs::logs;
pub(crate) use promote::promote;
pub(crate) use rollback::rollback;
pub(crate) use run::run;
pub(crate) use schema::schema;
pub(crate) use status::status;
pub(crate) use submit::submit;
pub(crate) use validate::validate;
