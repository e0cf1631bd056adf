//! People's decisions: who takes one and how they proved it (`Decider`), whether they may
//! (`may_decide`), and the record every decision leaves (`DecisionRecord`, what the commit page,
//! the API and `lanes audit` show).

use lanes_manifest::{Decisions, Manifest};
use serde::{Deserialize, Serialize};

use crate::{DecisionError, Event, Lane, LaneId, Millis};

/// Who takes a decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Decider<'a> {
    /// The deciding user: an approver's name.
    pub user: &'a str,
    /// The name of the API token the decision came with, checked by the caller (the server, or
    /// the command line given `LANES_TOKEN`); `None` for a local `--as`.
    pub token: Option<&'a str>,
}

impl<'a> Decider<'a> {
    /// A decision taken on the local command line, with `--as` alone.
    #[must_use]
    pub fn local(user: &'a str) -> Self {
        Self { user, token: None }
    }

    pub(crate) fn token(&self) -> Option<String> {
        self.token.map(str::to_owned)
    }
}

/// Refuses `decider` unless they are one of the component's approvers: approving, rejecting,
/// retrying an interrupted deploy, promoting and rolling back are decisions of theirs alone; and
/// unless they hold a token when `environment` takes decisions through the server only.
pub fn may_decide(
    manifest: &Manifest,
    component: &str,
    environment: Option<&str>,
    decider: Decider<'_>,
) -> Result<(), DecisionError> {
    let id = manifest
        .find_component(component)
        .ok_or_else(|| DecisionError::UnknownComponent {
            component: component.to_owned(),
        })?;
    let approvers = &manifest.component(id).approvers;
    if !approvers.iter().any(|approver| approver == decider.user) {
        return Err(DecisionError::NotAnApprover {
            user: decider.user.to_owned(),
            component: component.to_owned(),
            approvers: approvers.join(", "),
        });
    }
    let through_server = environment
        .and_then(|name| manifest.environment(name))
        .is_some_and(|env| env.decisions == Decisions::Server);
    if through_server && decider.token.is_none() {
        return Err(DecisionError::ServerOnly {
            environment: environment.unwrap_or_default().to_owned(),
        });
    }
    Ok(())
}

/// Whether `user` is `party`: someone who authored, committed or submitted a change, written
/// `Name <email>` (matched by the email alone, against `user`'s addresses in the manifest's
/// `identities`) or as a bare user name (a submitter known by their token: matched exactly).
#[must_use]
pub fn is_party(emails: &[String], user: &str, party: &str) -> bool {
    match party
        .rsplit_once('<')
        .and_then(|(_, rest)| rest.strip_suffix('>'))
    {
        Some(email) => {
            let email = email.trim().to_lowercase();
            emails.contains(&email)
        }
        None => party.trim() == user,
    }
}

/// What kind of decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DecisionKind {
    Approve,
    Reject,
    Retry,
    Promote,
    /// A version marked bad by a rollback.
    MarkBad,
    /// An earlier version deployed again by a rollback.
    Rollback,
}

impl DecisionKind {
    /// What the decider did, as people say it: "approved", "rolled back to".
    #[must_use]
    pub fn past_tense(self) -> &'static str {
        match self {
            Self::Approve => "approved",
            Self::Reject => "rejected",
            Self::Retry => "retried",
            Self::Promote => "promoted",
            Self::MarkBad => "marked bad",
            Self::Rollback => "rolled back to",
        }
    }
}

/// One decision, as the ledger recorded it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DecisionRecord {
    pub kind: DecisionKind,
    pub user: String,
    /// The API token it came with; `None` from the local command line.
    pub token: Option<String>,
    pub lane: LaneId,
    pub component: String,
    pub commit: String,
    /// The version decided about.
    pub fingerprint: String,
    pub environment: Option<String>,
    pub stage: Option<String>,
    pub reason: Option<String>,
    pub at: Millis,
}

impl DecisionRecord {
    /// The record `event` leaves about `lane`, for the events that are decisions.
    pub(crate) fn of(event: &Event, lane: &Lane) -> Option<Self> {
        let stage_name = |stage: &usize| lane.stages.get(*stage).map(|run| run.name.clone());
        let record = |kind, user: &String, token: &Option<String>| Self {
            kind,
            user: user.clone(),
            token: token.clone(),
            lane: lane.id,
            component: lane.component.clone(),
            commit: lane.commit.clone(),
            fingerprint: lane.fingerprint.clone(),
            environment: None,
            stage: None,
            reason: None,
            at: 0,
        };
        Some(match event {
            Event::Approved {
                stage,
                fingerprint,
                user,
                environment,
                token,
                at,
                ..
            } => Self {
                fingerprint: fingerprint.clone(),
                environment: environment.clone(),
                stage: stage_name(stage),
                at: *at,
                ..record(DecisionKind::Approve, user, token)
            },
            Event::Rejected {
                stage,
                user,
                reason,
                environment,
                token,
                at,
                ..
            } => Self {
                environment: environment.clone(),
                stage: stage_name(stage),
                reason: Some(reason.clone()),
                at: *at,
                ..record(DecisionKind::Reject, user, token)
            },
            Event::StageRetrying {
                stage,
                user: Some(user),
                environment,
                token,
                at,
                ..
            } => Self {
                environment: environment.clone(),
                stage: stage_name(stage),
                at: *at,
                ..record(DecisionKind::Retry, user, token)
            },
            Event::Promoted {
                stage,
                environment,
                user,
                token,
                at,
                ..
            } => Self {
                environment: Some(environment.clone()),
                stage: stage_name(stage),
                at: *at,
                ..record(DecisionKind::Promote, user, token)
            },
            Event::MarkedBad {
                user,
                reason,
                token,
                at,
                ..
            } => Self {
                reason: Some(reason.clone()),
                at: *at,
                ..record(DecisionKind::MarkBad, user, token)
            },
            Event::RolledBack {
                environment,
                user,
                token,
                at,
                ..
            } => Self {
                environment: Some(environment.clone()),
                at: *at,
                ..record(DecisionKind::Rollback, user, token)
            },
            _ => return None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::is_party;

    #[test]
    fn a_party_is_matched_by_the_whole_email_never_by_a_name_or_a_local_part() {
        let alice = vec!["alice@example.com".to_owned()];
        assert!(is_party(&alice, "alice", "Alice A. <Alice@Example.com>"));
        assert!(!is_party(&alice, "alice", "alice <bob@example.com>"));
        assert!(!is_party(&alice, "alice", "Bob <alice@other.example>"));
        assert!(!is_party(&[], "bob", "alice <bob@example.com>"));
    }

    #[test]
    fn a_submitter_known_by_a_token_is_matched_by_the_exact_name() {
        assert!(is_party(&[], "alice", "alice"));
        assert!(!is_party(&[], "alice", "Alice"));
        assert!(!is_party(&[], "alice", "alice2"));
    }
}
