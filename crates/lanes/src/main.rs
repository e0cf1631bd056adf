//! The `lanes` binary: parses the command line, wires the libraries together and turns
//! outcomes into exit statuses. Data goes to stdout, everything else to stderr.

mod change_detection;
mod change_parties;
mod cli;
mod commands;
mod component_pathspecs;
mod decider;
mod delivery_changes;
mod demo;
mod dispatch;
mod exit;
mod failure;
mod flow;
mod init;
mod ledger;
mod manifest_cache;
mod output;
mod run_liveness;
mod service;
mod state_dir;
mod state_gc;
mod workspace;

use std::process::ExitCode;

use clap::Parser as _;

use crate::cli::{Cli, Command};
use crate::failure::Failure;
use crate::output::Output;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let output = Output::new(cli.color);
    output.install_report_handler();
    match run(cli, &output) {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => failure.report(&output),
    }
}

fn run(cli: Cli, output: &Output) -> Result<(), Failure> {
    let directory = match cli.directory {
        Some(directory) => directory,
        None => std::env::current_dir()
            .map_err(|source| Failure::io("read the current directory", source))?,
    };
    if let Some(server) = &cli.server {
        return commands::remote(server, &directory, &cli.command, output);
    }
    match cli.command {
        Command::Init(args) => commands::init(&directory, &args, output),
        Command::Validate(args) => commands::validate(&directory, &args, output),
        Command::Schema => commands::schema(),
        Command::Graph(args) => commands::graph(&directory, &args, output),
        Command::Affected(args) => commands::affected(&directory, &args, output),
        Command::Fingerprint(args) => commands::fingerprint(&directory, &args, output),
        Command::Run(args) => commands::run(&directory, &args, output),
        Command::Status(args) => commands::status(&directory, &args, output),
        Command::Board(args) => commands::board(&directory, &args, output),
        Command::Approve(args) => commands::approve(&directory, &args, output),
        Command::Reject(args) => commands::reject(&directory, &args, output),
        Command::Retry(args) => commands::retry(&directory, &args, output),
        Command::Submit(args) => commands::submit(&directory, &args, output),
        Command::Queue(command) => commands::queue(&directory, &command, output),
        Command::Hotfix(args) => commands::hotfix(&directory, &args, output),
        Command::Logs(args) => commands::logs(&directory, &args, output),
        Command::Promote(args) => commands::promote(&directory, &args, output),
        Command::Rollback(args) => commands::rollback(&directory, &args, output),
        Command::Demo(args) => commands::demo(&args, output),
        Command::Serve(args) => commands::serve(&directory, &args, output),
        Command::Token(args) => commands::token(&directory, &args, output),
        Command::Audit(args) => commands::audit(&directory, &args, output),
        Command::Metrics(args) => commands::metrics(&directory, &args, output),
        Command::Gc(args) => commands::gc(&directory, &args, output),
    }
}
