//! `lanes queue drive`: move the queued changes whose `lanes submit` stopped.

use std::path::Path;

use crate::cli::{QueueCommand, QueueDriveArgs};
use crate::commands::run::print_report;
use crate::failure::Failure;
use crate::flow::{GitPath, Walk, Work};
use crate::ledger::block_on;
use crate::output::Output;
use crate::workspace::repository;

pub(crate) fn queue(
    directory: &Path,
    command: &QueueCommand,
    output: &Output,
) -> Result<(), Failure> {
    match command {
        QueueCommand::Drive(args) => drive(directory, args, output),
    }
}

fn drive(directory: &Path, args: &QueueDriveArgs, output: &Output) -> Result<(), Failure> {
    crate::service::follow_serving_parent();
    let repo = repository(directory)?;
    let walk = Walk {
        path: GitPath::new(&repo)?,
        state: &args.state,
        jobs: args.jobs.unwrap_or_else(crate::cli::default_jobs),
        json: false,
        until_merged: args.until_merged,
        push: true,
        output,
    };
    let report = block_on(async {
        let batches = walk.undriven(&args.changes).await?;
        if batches.is_empty() {
            output.say("no queued change is left without a lanes process driving it");
        }
        walk.walk(batches.into_iter().map(Work::Accept).collect())
            .await
    })?;
    print_report(&report, output);
    report.outcome()
}
