//! Azure DevOps service hooks: `git.push` and `git.pullrequest.created` / `updated` /
//! `merged`, told apart by `eventType` in the body.

use crate::webhook::trigger::{
    LANES_BRANCH, StatusPlace, Trigger, is_lanes_branch, is_null_commit, text,
};

/// What lanes makes of an Azure DevOps service hook with this body.
pub(crate) fn understand(body: &serde_json::Value) -> Trigger {
    let event = text(body, "/eventType").unwrap_or("unknown").to_owned();
    match event.as_str() {
        "git.push" => {
            let ref_name = text(body, "/resource/refUpdates/0/name").map(str::to_owned);
            let new = text(body, "/resource/refUpdates/0/newObjectId").unwrap_or_default();
            if is_null_commit(new) {
                Trigger::ignore(event, ref_name, "a deleted ref has nothing to run")
            } else if ref_name
                .as_deref()
                .is_some_and(|name| name.starts_with("refs/tags/"))
            {
                Trigger::ignore(
                    event,
                    ref_name,
                    "lanes makes tags; pushing one runs nothing",
                )
            } else if is_lanes_branch(ref_name.as_deref()) {
                Trigger::ignore(event, ref_name, LANES_BRANCH)
            } else {
                Trigger::run(event, new, ref_name, "a push to a branch")
            }
        }
        "git.pullrequest.created" | "git.pullrequest.updated" | "git.pullrequest.merged" => {
            pull_request(event, body)
        }
        _ => Trigger::ignore(event, None, "lanes does not act on this event"),
    }
}

fn pull_request(event: String, body: &serde_json::Value) -> Trigger {
    let source = text(body, "/resource/sourceRefName").map(str::to_owned);
    let target = text(body, "/resource/targetRefName").map(str::to_owned);
    let head = text(body, "/resource/lastMergeSourceCommit/commitId");
    let merge = text(body, "/resource/lastMergeCommit/commitId");
    // `merged` means the merge commit exists; an update of a completed pull request carries it too.
    let completed =
        event == "git.pullrequest.merged" || text(body, "/resource/status") == Some("completed");
    match (text(body, "/resource/status"), head, merge) {
        (_, _, Some(merge)) if completed => {
            Trigger::run(event, merge, target, "a pull request was merged")
        }
        (Some("active"), Some(head), _) => {
            Trigger::run(event, head, source, "a pull request's head changed")
        }
        _ => Trigger::ignore(
            event,
            source,
            "the pull request is neither active nor merged",
        ),
    }
}

/// The `organization/project/repository-id` and pull request id an Azure DevOps hook is
/// about: where its commit's statuses go (an active pull request's own statuses, else the
/// commit's). The organization is the first segment of the
/// repository's API address (`https://dev.azure.com/<organization>/...`).
pub(crate) fn status_place(body: &serde_json::Value) -> Option<StatusPlace> {
    let repository = body.pointer("/resource/repository")?;
    let id = text(repository, "/id")?;
    let project = text(repository, "/project/id").or_else(|| text(repository, "/project/name"))?;
    let url = text(repository, "/url")?;
    let path = url.split_once("://").map_or(url, |(_, rest)| rest);
    let organization = path.split('/').nth(1).filter(|part| !part.is_empty())?;
    let pull_request = body
        .pointer("/resource/pullRequestId")
        .and_then(serde_json::Value::as_u64)
        // A completed pull request's merge commit is reported on the commit itself.
        .filter(|_| {
            text(body, "/eventType").is_some_and(|event| event.starts_with("git.pullrequest."))
                && text(body, "/resource/status") == Some("active")
        })
        .map(|id| id.to_string());
    Some(StatusPlace {
        repository: format!("{organization}/{project}/{id}"),
        pull_request,
        web_url: text(repository, "/remoteUrl").map(str::to_owned),
    })
}
