//! The path of changes through git: the acceptance queue, release merges and hotfixes, as
//! folded from their events. Part of the [`World`](crate::World).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::{Candidate, Carried, Change, ChangeId, ChangeState, Event, Hotfix, Millis};

/// `commit` was merged into the release branch, which then pointed at `release_commit`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReleaseMerge {
    pub branch: String,
    pub release_commit: String,
    pub at: Millis,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Flow {
    #[serde(with = "crate::serde_pairs")]
    changes: BTreeMap<ChangeId, Change>,
    /// Every candidate commit ever built, with the group accepted on it.
    candidates: BTreeMap<String, Vec<ChangeId>>,
    release_merges: BTreeMap<String, ReleaseMerge>,
    /// `(component, number)` to the hotfix.
    #[serde(with = "crate::serde_pairs")]
    hotfixes: BTreeMap<(String, u64), Hotfix>,
    /// Commits whose lanes are a hotfix's.
    hotfix_commits: BTreeMap<String, (String, u64)>,
}

impl Flow {
    /// Folds in an event about changes, branches or hotfixes; `false` for other events.
    #[expect(
        clippy::too_many_lines,
        reason = "one arm per event reads best as one match"
    )]
    pub(crate) fn apply(&mut self, event: &Event) -> bool {
        match event {
            Event::ChangeSubmitted {
                change,
                branch,
                head,
                author,
                submitted_by,
                components,
                batch,
                at,
            } => {
                self.changes.insert(
                    *change,
                    Change {
                        id: *change,
                        branch: branch.clone(),
                        head: head.clone(),
                        author: author.clone(),
                        submitted_by: submitted_by.clone(),
                        components: components.clone(),
                        batch: *batch,
                        submitted_at: *at,
                        state: ChangeState::Queued,
                        candidate: None,
                        carried: None,
                    },
                );
            }
            Event::CandidateBuilt {
                group,
                commit,
                branch,
                base,
                includes,
                at,
            } => {
                let candidate = Candidate {
                    commit: commit.clone(),
                    branch: branch.clone(),
                    base: base.clone(),
                    includes: includes.clone(),
                    group: group.clone(),
                    at: *at,
                };
                for id in group {
                    if let Some(change) = self.changes.get_mut(id) {
                        change.candidate = Some(candidate.clone());
                    }
                }
                self.candidates.insert(commit.clone(), group.clone());
            }
            Event::CandidateCarried {
                group,
                from_candidate,
                to_commit,
                main_moved_by,
                ..
            } => {
                for id in group {
                    if let Some(change) = self.changes.get_mut(id) {
                        change.carried = Some(Carried {
                            from_candidate: from_candidate.clone(),
                            to_commit: to_commit.clone(),
                            main_moved_by: main_moved_by.clone(),
                        });
                    }
                }
            }
            Event::ChangeMerged { change, commit, at } => {
                if let Some(change) = self.changes.get_mut(change) {
                    change.state = ChangeState::Merged {
                        commit: commit.clone(),
                        at: *at,
                    };
                }
            }
            Event::ChangeEvicted { change, reason, at } => {
                if let Some(change) = self.changes.get_mut(change) {
                    change.state = ChangeState::Evicted {
                        reason: reason.clone(),
                        at: *at,
                    };
                }
            }
            Event::ReleaseMerged {
                commit,
                branch,
                release_commit,
                at,
            } => {
                self.release_merges.insert(
                    commit.clone(),
                    ReleaseMerge {
                        branch: branch.clone(),
                        release_commit: release_commit.clone(),
                        at: *at,
                    },
                );
            }
            Event::HotfixCut {
                component,
                number,
                branch,
                tag,
                base,
                at,
            } => {
                self.hotfixes.insert(
                    (component.clone(), *number),
                    Hotfix {
                        number: *number,
                        component: component.clone(),
                        branch: branch.clone(),
                        tag: tag.clone(),
                        base: base.clone(),
                        cut_at: *at,
                        commits: Vec::new(),
                        deployed_to: Vec::new(),
                        rolled_back_from: Vec::new(),
                        forward_port: None,
                    },
                );
            }
            Event::HotfixStarted {
                component,
                number,
                commit,
                ..
            } => {
                let key = (component.clone(), *number);
                if let Some(hotfix) = self.hotfixes.get_mut(&key) {
                    hotfix.commits.push(commit.clone());
                    self.hotfix_commits.insert(commit.clone(), key);
                }
            }
            Event::HotfixForwardPorted {
                component,
                number,
                port,
                ..
            } => {
                if let Some(hotfix) = self.hotfixes.get_mut(&(component.clone(), *number)) {
                    hotfix.forward_port = Some(port.clone());
                }
            }
            _ => return false,
        }
        true
    }

    /// A version of `commit` was deployed to `environment`: a hotfix's, if it is one.
    pub(crate) fn deployed(&mut self, commit: &str, environment: &str) {
        if let Some(key) = self.hotfix_commits.get(commit)
            && let Some(hotfix) = self.hotfixes.get_mut(key)
            && !hotfix.deployed_to.iter().any(|env| env == environment)
        {
            hotfix.deployed_to.push(environment.to_owned());
        }
    }

    /// A rollback deployed `commit`'s version of `component` to `environment` again: the
    /// component's hotfixes running there, unless that version is theirs, run there no more.
    pub(crate) fn rolled_back(&mut self, component: &str, environment: &str, commit: &str) {
        for hotfix in self.hotfixes.values_mut() {
            if hotfix.component == component
                && !hotfix.commits.iter().any(|fix| fix == commit)
                && hotfix.deployed_to.iter().any(|env| env == environment)
            {
                hotfix.deployed_to.retain(|env| env != environment);
                hotfix.rolled_back_from.push(environment.to_owned());
            }
        }
    }

    #[must_use]
    pub fn change(&self, id: ChangeId) -> Option<&Change> {
        self.changes.get(&id)
    }

    /// Every change, oldest first.
    #[must_use = "iterators are lazy"]
    pub fn changes(&self) -> impl DoubleEndedIterator<Item = &Change> {
        self.changes.values()
    }

    /// The id the next submitted change gets.
    #[must_use]
    pub fn next_change_id(&self) -> ChangeId {
        ChangeId(self.changes.keys().next_back().map_or(1, |last| last.0 + 1))
    }

    /// The group accepted on `commit`, if it is a candidate.
    #[must_use]
    pub fn candidate_group(&self, commit: &str) -> Option<&[ChangeId]> {
        self.candidates.get(commit).map(Vec::as_slice)
    }

    /// Changes touching `commit`: submitted with it as head, accepted on it, or merged as it.
    pub fn changes_at<'a>(&'a self, commit: &'a str) -> impl Iterator<Item = &'a Change> + 'a {
        self.changes.values().filter(move |change| {
            change.head == commit
                || change.candidate.as_ref().is_some_and(|c| c.commit == commit)
                || matches!(&change.state, ChangeState::Merged { commit: merged, .. } if merged == commit)
        })
    }

    #[must_use]
    pub fn release_merge(&self, commit: &str) -> Option<&ReleaseMerge> {
        self.release_merges.get(commit)
    }

    /// Every hotfix, by component and number.
    #[must_use = "iterators are lazy"]
    pub fn hotfixes(&self) -> impl Iterator<Item = &Hotfix> {
        self.hotfixes.values()
    }

    /// The hotfix whose lanes `commit`'s are.
    #[must_use]
    pub fn hotfix_of(&self, commit: &str) -> Option<&Hotfix> {
        self.hotfix_commits
            .get(commit)
            .and_then(|key| self.hotfixes.get(key))
    }
}
