//! The work list of the path through git: changes to accept and merged or pushed commits whose
//! lanes to follow through to the end. Accepting a change yields its merged commit to follow;
//! following a hotfix through yields its forward-port to accept.

use std::collections::VecDeque;

use lanes_engine::ChangeId;
use lanes_git::CommitId;

use crate::cli::StateArg;
use crate::dispatch::RunSummary;
use crate::failure::Failure;
use crate::flow::GitPath;
use crate::output::Output;

/// One piece of work.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Work {
    /// Accept these changes (one, or a batch) and merge them.
    Accept(Vec<ChangeId>),
    /// Run the lanes of `commit` to their end, doing what passed stages ask (release merge,
    /// tags, forward-ports). `rev` is how the commit was named (`LANES_REF`).
    FollowThrough {
        commit: CommitId,
        rev: String,
        /// Lanes are created for what changed against this commit (default: first parent).
        against: Option<CommitId>,
    },
}

/// Everything a walk needs.
pub(crate) struct Walk<'a> {
    pub(crate) path: GitPath,
    pub(crate) state: &'a StateArg,
    pub(crate) jobs: usize,
    pub(crate) json: bool,
    /// Stop once the changes merged: do not run the stages after acceptance.
    pub(crate) until_merged: bool,
    /// Whether what passed stages ask for (release merges, tags, forward-ports) may be pushed
    /// to `origin`; without a remote they are always done in the repository itself.
    pub(crate) push: bool,
    pub(crate) output: &'a Output,
}

/// How a walk ended.
#[derive(Debug, Default)]
pub(crate) struct WalkReport {
    pub(crate) merged: Vec<ChangeId>,
    pub(crate) evicted: Vec<(ChangeId, String)>,
    /// The lanes of each commit followed through, as they stood at the end.
    pub(crate) runs: Vec<(CommitId, RunSummary)>,
}

impl WalkReport {
    /// Exit status 5 when a change was evicted or a lane failed or needs a decision.
    pub(crate) fn failed(&self) -> bool {
        !self.evicted.is_empty()
            || self
                .runs
                .iter()
                .any(|(_, run)| run.stopped > 0 || run.needs_decision > 0)
    }

    pub(crate) fn interrupted(&self) -> bool {
        self.runs.iter().any(|(_, run)| run.interrupted)
    }

    /// The exit status the walk ends with: 130 when interrupted, 5 when it failed.
    pub(crate) fn outcome(&self) -> Result<(), Failure> {
        if self.interrupted() {
            return Err(Failure::Reported(130));
        }
        if self.failed() {
            return Err(Failure::Reported(5));
        }
        Ok(())
    }
}

impl Walk<'_> {
    pub(crate) async fn walk(&self, first: Vec<Work>) -> Result<WalkReport, Failure> {
        let mut work: VecDeque<Work> = first.into();
        let mut report = WalkReport::default();
        while let Some(next) = work.pop_front() {
            match next {
                Work::Accept(batch) => {
                    let accepted = self.accept(batch).await?;
                    report.evicted.extend(accepted.evicted);
                    for (change, commit, rev) in accepted.merged {
                        report.merged.push(change);
                        let follow = Work::FollowThrough {
                            commit,
                            rev,
                            against: None,
                        };
                        if !self.until_merged && !work.contains(&follow) {
                            work.push_back(follow);
                        }
                    }
                }
                Work::FollowThrough {
                    commit,
                    rev,
                    against,
                } => {
                    let (summary, submitted) = self.follow_through(commit, &rev, against).await?;
                    let interrupted = summary.interrupted;
                    report.runs.push((commit, summary));
                    if interrupted {
                        break;
                    }
                    if !submitted.is_empty() {
                        work.push_back(Work::Accept(submitted));
                    }
                }
            }
        }
        Ok(report)
    }
}
