//! The `lanes` binary end to end: real git repositories in temp directories, the real binary
//! as a child process.

mod harness;

mod affected;
mod approvals;
mod browser;
mod central;
mod fake_host;
mod faults;
mod fingerprint;
mod flow;
mod gc;
mod host_statuses;
mod init;
mod manifest_commands;
mod metrics;
mod oracle;
mod roles;
mod run;
mod serve;
mod serving;
mod verdicts;
mod webdriver;
