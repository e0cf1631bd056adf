//! `lanes submit`: put branches into the acceptance queue and walk them to the default branch
//! and on.

use std::path::Path;

use serde::Serialize;

use crate::cli::SubmitArgs;
use crate::commands::run::print_report;
use crate::failure::Failure;
use crate::flow::{GitPath, Walk, Work};
use crate::ledger::block_on;
use crate::output::Output;
use crate::workspace::repository;

#[derive(Serialize)]
struct Outcome {
    merged: Vec<u64>,
    evicted: Vec<Evicted>,
}

#[derive(Serialize)]
struct Evicted {
    change: u64,
    reason: String,
}

pub(crate) fn submit(directory: &Path, args: &SubmitArgs, output: &Output) -> Result<(), Failure> {
    let repo = repository(directory)?;
    let walk = Walk {
        path: GitPath::new(&repo)?,
        state: &args.state,
        jobs: args.jobs.unwrap_or_else(crate::cli::default_jobs),
        json: args.json,
        until_merged: args.until_merged,
        push: true,
        output,
    };
    let submitter = match &args.user {
        Some(user) => user.clone(),
        None => git_identity(&repo),
    };
    let report = block_on(async {
        let changes = walk.submit(&args.branches, &submitter).await?;
        walk.walk(vec![Work::Accept(changes)]).await
    })?;
    if args.json {
        let outcome = Outcome {
            merged: report.merged.iter().map(|change| change.0).collect(),
            evicted: report
                .evicted
                .iter()
                .map(|(change, reason)| Evicted {
                    change: change.0,
                    reason: reason.clone(),
                })
                .collect(),
        };
        output.data(&serde_json::to_string(&outcome).expect("serializable"));
    }
    print_report(&report, output);
    report.outcome()
}

/// `Name <email>` of whoever runs git here (`git var GIT_COMMITTER_IDENT`, without its date);
/// where git knows no one, the login name.
fn git_identity(repo: &lanes_git::Repo) -> String {
    if let Ok(ident) = repo.git(&["var", "GIT_COMMITTER_IDENT"]) {
        let ident = ident.trim();
        if let Some(end) = ident.rfind('>') {
            return ident[..=end].to_owned();
        }
    }
    std::env::var("USER")
        .or_else(|_| std::env::var("LOGNAME"))
        .unwrap_or_else(|_| "unknown".to_owned())
}
