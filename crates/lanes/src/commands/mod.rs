//! One file per command: each reads its arguments, calls the libraries and prints.

mod affected;
mod demo;
mod fingerprint;
mod graph;
mod init;
mod schema;
mod validate;

pub(crate) use affected::affected;
pub(crate) use demo::demo;
pub(crate) use fingerprint::fingerprint;
pub(crate) use graph::graph;
pub(crate) use init::init;
pub(crate) use schema::schema;
pub(crate) use validate::validate;
