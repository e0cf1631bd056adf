//! GitHub's webhooks: `push`, `pull_request`, `merge_group` and `ping`, told apart by the
//! `X-GitHub-Event` header.

use crate::webhook::trigger::{
    LANES_BRANCH, StatusPlace, Trigger, is_lanes_branch, is_null_commit, text,
};

/// What lanes makes of a GitHub event named `kind` with this body.
pub(crate) fn understand(kind: &str, body: &serde_json::Value) -> Trigger {
    let action = text(body, "/action");
    let event = match action {
        Some(action) => format!("{kind}.{action}"),
        None => kind.to_owned(),
    };
    match kind {
        "ping" => Trigger::ignore(event, None, "the hook works: GitHub says hello"),
        "push" => push(event, body),
        "pull_request" => pull_request(event, action.unwrap_or_default(), body),
        "merge_group" => match (action, text(body, "/merge_group/head_sha")) {
            (Some("checks_requested"), Some(sha)) => Trigger::run(
                event,
                sha,
                text(body, "/merge_group/head_ref").map(str::to_owned),
                "a merge queue group asks for checks",
            ),
            _ => Trigger::ignore(event, None, "lanes acts only on checks requested"),
        },
        _ => Trigger::ignore(event, None, "lanes does not act on this event"),
    }
}

fn push(event: String, body: &serde_json::Value) -> Trigger {
    let ref_name = text(body, "/ref").map(str::to_owned);
    let after = text(body, "/after").unwrap_or_default();
    if body
        .pointer("/deleted")
        .and_then(serde_json::Value::as_bool)
        == Some(true)
        || is_null_commit(after)
    {
        return Trigger::ignore(event, ref_name, "a deleted ref has nothing to run");
    }
    if ref_name
        .as_deref()
        .is_some_and(|name| name.starts_with("refs/tags/"))
    {
        return Trigger::ignore(
            event,
            ref_name,
            "lanes makes tags; pushing one runs nothing",
        );
    }
    if is_lanes_branch(ref_name.as_deref()) {
        return Trigger::ignore(event, ref_name, LANES_BRANCH);
    }
    Trigger::run(event, after, ref_name, "a push to a branch")
}

fn pull_request(event: String, action: &str, body: &serde_json::Value) -> Trigger {
    let head = text(body, "/pull_request/head/sha");
    let ref_name = text(body, "/pull_request/head/ref").map(str::to_owned);
    match (action, head) {
        ("opened" | "synchronize" | "reopened", Some(head)) => {
            Trigger::run(event, head, ref_name, "a pull request's head changed")
        }
        ("closed", _) => {
            let merged = body
                .pointer("/pull_request/merged")
                .and_then(serde_json::Value::as_bool)
                == Some(true);
            match text(body, "/pull_request/merge_commit_sha") {
                Some(merge) if merged => Trigger::run(
                    event,
                    merge,
                    text(body, "/pull_request/base/ref").map(str::to_owned),
                    "a pull request was merged",
                ),
                _ => Trigger::ignore(event, ref_name, "closed without merging"),
            }
        }
        _ => Trigger::ignore(event, ref_name, "this action changes no code"),
    }
}

/// The repository (`owner/repo`), pull request number and web address a GitHub delivery is
/// about: where its commit's statuses go.
pub(crate) fn status_place(body: &serde_json::Value) -> Option<StatusPlace> {
    Some(StatusPlace {
        repository: text(body, "/repository/full_name")?.to_owned(),
        pull_request: body
            .pointer("/pull_request/number")
            .and_then(serde_json::Value::as_u64)
            .map(|number| number.to_string()),
        web_url: text(body, "/repository/html_url").map(str::to_owned),
    })
}
