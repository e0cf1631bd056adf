//! Hotfixes: `hotfix/<component>/<n>` cut from the commit tagged as deployed in production; the
//! lanes of a fix committed there walk the hotfix stages for that component only; once in
//! production the fix is cherry-picked onto the default branch and submitted to the queue.

use std::collections::BTreeMap;

use lanes_engine::{ChangeId, Event, ForwardPort, Hotfix, Role, StageState, instance_for};
use lanes_git::{CommitId, MergeOutcome};
use lanes_manifest::Manifest;
use lanes_store::Store;

use crate::change_detection::{affected_between, fingerprints_at};
use crate::dispatch::{LaneSetup, history_depth, now, plan_lanes};
use crate::failure::Failure;
use crate::flow::git_path::LANES_IDENTITY;
use crate::flow::{GitPath, Walk};
use crate::ledger::record;

/// A hotfix branch just cut.
pub(crate) struct Cut {
    pub(crate) branch: String,
    pub(crate) tag: String,
    pub(crate) base: CommitId,
}

/// Cuts `hotfix/<component>/<n>` from the commit production runs now (named by its tag; by the
/// commit when that version was deployed without one).
pub(crate) async fn cut_hotfix(
    path: &GitPath,
    manifest: &Manifest,
    store: &mut Store,
    component: &str,
) -> Result<Cut, Failure> {
    if manifest.find_component(component).is_none() {
        return Err(Failure::Refused {
            message: format!("no component `{component}` in lanes.yml"),
            hint: None,
        });
    }
    let production = manifest.production().ok_or_else(|| Failure::Refused {
        message: "no stage of lanes.yml deploys anywhere, so nothing is in production".to_owned(),
        hint: None,
    })?;
    store.refresh().await.map_err(Failure::store)?;
    let world = store.world();
    // What production runs now: after a rollback, the version deployed again, not the newest tag.
    let instance = instance_for(manifest, production, component);
    let deployed = world
        .deployment(production, &instance, component)
        .ok_or_else(|| Failure::Refused {
            message: format!("`{component}` has never been deployed to {production} by lanes"),
            hint: Some(format!(
                "a hotfix starts from the commit {production} runs, tagged lanes/{production}/{component}/<n>"
            )),
        })?;
    let tag = world
        .tags_of(production, component)
        .rev()
        .find(|tag| tag.commit == deployed.commit)
        .map_or_else(|| deployed.commit.clone(), |tag| tag.tag.clone());
    let base = path.repo.resolve_commit(&deployed.commit)?;
    let mut number = world
        .flow()
        .hotfixes()
        .filter(|hotfix| hotfix.component == component)
        .count() as u64
        + 1;
    let branch = loop {
        let branch = format!("hotfix/{component}/{number}");
        if path.tip(&branch)?.is_none()
            && path
                .repo
                .update_ref(&format!("refs/heads/{branch}"), base, None)?
        {
            break branch;
        }
        number += 1;
    };
    if let Some(remote) = &path.remote {
        path.repo
            .push(remote, base, &format!("refs/heads/{branch}"))?;
    }
    let event = Event::HotfixCut {
        component: component.to_owned(),
        number,
        branch: branch.clone(),
        tag: tag.clone(),
        base: base.to_string(),
        at: now(),
    };
    record(store, |_| vec![event.clone()]).await?;
    Ok(Cut { branch, tag, base })
}

impl Walk<'_> {
    /// The lanes `commit` gets: a hotfix's component only when the commit is the tip of a
    /// hotfix branch (recorded as the hotfix's), else every affected component, in the role
    /// the commit has (said on stderr).
    pub(crate) async fn lanes_of(
        &self,
        store: &mut Store,
        commit: CommitId,
        manifest: &Manifest,
        against: Option<CommitId>,
    ) -> Result<LaneSetup, Failure> {
        let repo = &self.path.repo;
        let Some(hotfix) = self.hotfix_at(store, commit)? else {
            let role = if store
                .world()
                .flow()
                .candidate_group(&commit.to_string())
                .is_some()
            {
                Role::Candidate
            } else {
                self.path.role_of(manifest, commit)?
            };
            self.say_role(manifest, commit, role);
            return plan_lanes(repo, manifest, commit, against, role);
        };
        let commit_id = commit.to_string();
        if store.world().flow().hotfix_of(&commit_id).is_none() {
            let event = Event::HotfixStarted {
                component: hotfix.component.clone(),
                number: hotfix.number,
                commit: commit_id,
                at: now(),
            };
            record(store, |_| vec![event.clone()]).await?;
            self.output.say(&format!(
                "{} is {}: a hotfix of {} walking {}",
                commit.short(),
                hotfix.branch,
                hotfix.component,
                manifest
                    .stages()
                    .iter()
                    .filter(|stage| manifest.hotfix_walks(&stage.name))
                    .map(|stage| stage.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
        let fingerprints: BTreeMap<String, String> = fingerprints_at(repo, manifest, commit)?
            .into_iter()
            .map(|print| (print.name, print.fingerprint.to_string()))
            .collect();
        let fingerprint = fingerprints
            .get(&hotfix.component)
            .cloned()
            .ok_or_else(|| Failure::Refused {
                message: format!(
                    "`{}` is not in lanes.yml at {}",
                    hotfix.component,
                    commit.short()
                ),
                hint: None,
            })?;
        Ok(LaneSetup {
            lanes: vec![(hotfix.component, fingerprint)],
            author: repo.commit_info(commit)?.author,
            role: Role::Hotfix,
            depth: history_depth(repo, commit)?,
            fingerprints,
            baseline_is_ledger: false,
        })
    }

    /// Says where `commit` is and so what its lanes walk.
    fn say_role(&self, manifest: &Manifest, commit: CommitId, role: Role) {
        let branches = manifest.branches();
        let message = match role {
            Role::Proposed => {
                let walks = manifest.proposed_stages();
                format!(
                    "{} is proposed (on neither {} nor a release or queue branch): it walks only {}",
                    commit.short(),
                    branches.default,
                    if walks.is_empty() {
                        "no stage".to_owned()
                    } else {
                        walks.join(", ")
                    }
                )
            }
            Role::Default => format!("{} is on {}", commit.short(), branches.default),
            Role::Release => format!(
                "{} is on {}",
                commit.short(),
                branches.release.as_deref().unwrap_or("the release branch")
            ),
            Role::Candidate => format!("{} is a candidate of the queue", commit.short()),
            Role::Hotfix => return,
        };
        self.output.say(&message);
    }

    /// The hotfix `commit` belongs to: recorded as one, or the tip of a hotfix branch (here
    /// or on the remote) past its cut.
    fn hotfix_at(&self, store: &Store, commit: CommitId) -> Result<Option<Hotfix>, Failure> {
        let flow = store.world().flow();
        if let Some(hotfix) = flow.hotfix_of(&commit.to_string()) {
            return Ok(Some(hotfix.clone()));
        }
        for hotfix in flow.hotfixes() {
            if hotfix.base == commit.to_string() {
                continue;
            }
            let local = self
                .path
                .repo
                .ref_target(&format!("refs/heads/{}", hotfix.branch))?;
            if local == Some(commit) || self.path.tip(&hotfix.branch)? == Some(commit) {
                return Ok(Some(hotfix.clone()));
            }
        }
        Ok(None)
    }

    /// Once a hotfix's lane passed production, cherry-picks its commits onto the default
    /// branch and submits them as a change; a conflict is recorded and reported.
    pub(crate) async fn forward_port(
        &self,
        store: &mut Store,
        manifest: &Manifest,
        commit: CommitId,
    ) -> Result<Option<ChangeId>, Failure> {
        let commit_id = commit.to_string();
        let world = store.world();
        let Some(hotfix) = world.flow().hotfix_of(&commit_id).cloned() else {
            return Ok(None);
        };
        let Some(production) = manifest.production() else {
            return Ok(None);
        };
        let in_production = world.lanes_of_commit(&commit_id).any(|lane| {
            lane.stages
                .iter()
                .zip(manifest.stages())
                .any(|(run, stage)| {
                    stage.environment.as_deref() == Some(production)
                        && run.state == StageState::Succeeded
                })
        });
        if hotfix.forward_port.is_some() || !in_production {
            return Ok(None);
        }
        let repo = &self.path.repo;
        let default = &manifest.branches().default;
        let tip = self.path.tip(default)?.ok_or_else(|| Failure::Refused {
            message: format!("the default branch `{default}` does not exist"),
            hint: None,
        })?;
        let picks = repo.git(&[
            "rev-list",
            "--reverse",
            "--end-of-options",
            &format!("{}..{commit_id}", hotfix.base),
        ])?;
        let mut onto = tip;
        for pick in picks.lines() {
            let pick = repo.resolve_commit(pick.trim())?;
            match repo.cherry_pick(onto, pick, LANES_IDENTITY)? {
                MergeOutcome::Clean(picked) => onto = picked,
                MergeOutcome::Conflict { files } => {
                    let event = Event::HotfixForwardPorted {
                        component: hotfix.component.clone(),
                        number: hotfix.number,
                        port: ForwardPort::Conflict {
                            files: files.clone(),
                        },
                        at: now(),
                    };
                    record(store, |_| vec![event.clone()]).await?;
                    self.output.say(&format!(
                        "{} cannot be forward-ported to {default}: {} conflicts in {}",
                        hotfix.branch,
                        pick.short(),
                        files.join(", ")
                    ));
                    self.output.hint(&format!(
                        "carry the fix over by hand and submit it; until then {default} cannot deploy {} to {production}",
                        hotfix.component
                    ));
                    return Ok(None);
                }
            }
        }
        let branch = format!("lanes/forward-port/{}/{}", hotfix.component, hotfix.number);
        let change = self
            .submit_forward_port(store, &hotfix, &branch, tip, onto)
            .await?;
        self.output.say(&format!(
            "{} forward-ported to {default} as {} on {branch}: submitted as change {change}",
            hotfix.branch,
            onto.short()
        ));
        Ok(Some(change))
    }

    /// Publishes the cherry-picked fix as `branch` and submits it as a change.
    async fn submit_forward_port(
        &self,
        store: &mut Store,
        hotfix: &Hotfix,
        branch: &str,
        tip: CommitId,
        onto: CommitId,
    ) -> Result<ChangeId, Failure> {
        let repo = &self.path.repo;
        self.path.publish(branch, onto)?;
        let manifest_at_tip = crate::workspace::required_manifest_at(repo, onto, branch)?;
        let (affected, _) = affected_between(repo, &manifest_at_tip, tip, tip, onto)?;
        let components: Vec<String> = affected.components.into_iter().map(|c| c.name).collect();
        let author = repo.commit_info(onto)?.author;
        let decide = |world: &lanes_engine::World| {
            let change = world.flow().next_change_id();
            vec![
                Event::ChangeSubmitted {
                    change,
                    branch: branch.to_owned(),
                    head: onto.to_string(),
                    author: author.clone(),
                    submitted_by: String::new(),
                    components: components.clone(),
                    batch: change,
                    at: now(),
                },
                Event::HotfixForwardPorted {
                    component: hotfix.component.clone(),
                    number: hotfix.number,
                    port: ForwardPort::Submitted {
                        commit: onto.to_string(),
                        change,
                    },
                    at: now(),
                },
            ]
        };
        let events = record(store, decide).await?;
        let Some(Event::ChangeSubmitted { change, .. }) = events.first() else {
            unreachable!("the first event submits the change");
        };
        Ok(*change)
    }
}
