//! `lanes audit`: every decision people took (approve, reject, retry, promote, rollback), who
//! took it, when, about which version in which environment, and under which token.

use std::path::Path;

use lanes_engine::DecisionRecord;
use serde::Serialize;

use crate::cli::AuditArgs;
use crate::failure::Failure;
use crate::ledger::{block_on, open_whole};
use crate::output::{Output, escaped};
use crate::workspace::repository;

/// A decision as `lanes audit --json` prints it: the ledger's record and its time as RFC 3339.
#[derive(Serialize)]
struct AuditEntry<'a> {
    #[serde(flatten)]
    decision: &'a DecisionRecord,
    time: String,
}

pub(crate) fn audit(directory: &Path, args: &AuditArgs, output: &Output) -> Result<(), Failure> {
    let repo = repository(directory)?;
    let decisions = block_on(async {
        let (_, store) = open_whole(&repo, &args.state).await?;
        Ok(store.world().decisions().to_vec())
    })?;
    print(&decisions, args, output);
    Ok(())
}

/// The decisions `args` asks for, as JSON or one line each.
pub(crate) fn print(decisions: &[DecisionRecord], args: &AuditArgs, output: &Output) {
    let chosen: Vec<&DecisionRecord> = decisions
        .iter()
        .filter(|decision| {
            args.component
                .as_ref()
                .is_none_or(|component| decision.component == *component)
                && args
                    .environment
                    .as_ref()
                    .is_none_or(|environment| decision.environment.as_ref() == Some(environment))
        })
        .collect();
    if args.json {
        let entries: Vec<AuditEntry<'_>> = chosen
            .iter()
            .map(|decision| AuditEntry {
                decision,
                time: time_text(decision.at),
            })
            .collect();
        output.data(&serde_json::to_string_pretty(&entries).expect("serializable"));
        return;
    }
    if chosen.is_empty() {
        output.say("no decisions recorded");
    }
    for decision in chosen {
        output.data(&line(decision));
    }
}

/// One decision on one line: when, who, what, about what, how.
fn line(decision: &DecisionRecord) -> String {
    let kind = decision.kind.past_tense();
    let place = match (&decision.environment, &decision.stage) {
        (Some(environment), _) => format!(" in {}", escaped(environment)),
        (None, Some(stage)) => format!(" at {}", escaped(stage)),
        (None, None) => String::new(),
    };
    let via = decision.token.as_ref().map_or_else(
        || "on the command line".to_owned(),
        |token| format!("with the token `{}`", escaped(token)),
    );
    let reason = decision
        .reason
        .as_ref()
        .map(|reason| format!(": {}", escaped(reason)))
        .unwrap_or_default();
    format!(
        "{}  {} {kind} {} {}{place} {via}{reason}",
        time_text(decision.at),
        escaped(&decision.user),
        escaped(&decision.component),
        &decision.commit[..decision.commit.len().min(7)],
    )
}

fn time_text(at: i64) -> String {
    jiff::Timestamp::from_millisecond(at).map_or_else(|_| at.to_string(), |time| time.to_string())
}
