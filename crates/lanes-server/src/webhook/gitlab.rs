//! GitLab's webhooks: push, tag push and merge request hooks, told apart by `object_kind`.

use crate::webhook::trigger::{
    LANES_BRANCH, StatusPlace, Trigger, is_lanes_branch, is_null_commit, text,
};

/// What lanes makes of a GitLab hook with this body.
pub(crate) fn understand(body: &serde_json::Value) -> Trigger {
    let kind = text(body, "/object_kind").unwrap_or("unknown");
    let ref_name = text(body, "/ref").map(str::to_owned);
    match kind {
        "push" => {
            let after = text(body, "/checkout_sha")
                .or_else(|| text(body, "/after"))
                .unwrap_or_default();
            if is_null_commit(after) {
                Trigger::ignore(
                    kind.to_owned(),
                    ref_name,
                    "a deleted branch has nothing to run",
                )
            } else if is_lanes_branch(ref_name.as_deref()) {
                Trigger::ignore(kind.to_owned(), ref_name, LANES_BRANCH)
            } else {
                Trigger::run(kind.to_owned(), after, ref_name, "a push to a branch")
            }
        }
        "tag_push" => Trigger::ignore(
            kind.to_owned(),
            ref_name,
            "lanes makes tags; pushing one runs nothing",
        ),
        "merge_request" => merge_request(body),
        _ => Trigger::ignore(
            kind.to_owned(),
            ref_name,
            "lanes does not act on this event",
        ),
    }
}

fn merge_request(body: &serde_json::Value) -> Trigger {
    let action = text(body, "/object_attributes/action").unwrap_or_default();
    let event = format!("merge_request.{action}");
    let source = text(body, "/object_attributes/source_branch").map(str::to_owned);
    let head = text(body, "/object_attributes/last_commit/id");
    match (action, head) {
        ("open" | "reopen", Some(head)) => {
            Trigger::run(event, head, source, "a merge request was opened")
        }
        // An update without `oldrev` changed the title, labels or the like: no new code.
        ("update", Some(head)) if body.pointer("/object_attributes/oldrev").is_some() => {
            Trigger::run(event, head, source, "a merge request got new commits")
        }
        ("merge", _) => match text(body, "/object_attributes/merge_commit_sha") {
            Some(merge) => Trigger::run(
                event,
                merge,
                text(body, "/object_attributes/target_branch").map(str::to_owned),
                "a merge request was merged",
            ),
            None => Trigger::ignore(event, source, "the merge names no merge commit"),
        },
        _ => Trigger::ignore(event, source, "this action changes no code"),
    }
}

/// The project id, merge request iid and web address a GitLab hook is about: where its
/// commit's statuses go.
pub(crate) fn status_place(body: &serde_json::Value) -> Option<StatusPlace> {
    let merge_request = text(body, "/object_kind") == Some("merge_request");
    Some(StatusPlace {
        repository: body
            .pointer("/project/id")
            .and_then(serde_json::Value::as_u64)?
            .to_string(),
        pull_request: body
            .pointer("/object_attributes/iid")
            .and_then(serde_json::Value::as_u64)
            .filter(|_| merge_request)
            .map(|iid| iid.to_string()),
        web_url: text(body, "/project/web_url").map(str::to_owned),
    })
}
