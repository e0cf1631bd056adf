//! What a webhook asks of lanes once understood: run the lanes of a commit, or nothing.

/// What lanes makes of one delivery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Trigger {
    /// `push`, `pull_request.opened`, `git.pullrequest.merged`, ...
    pub event: String,
    /// The commit whose lanes to run; `None` when lanes does not act on the event.
    pub commit: Option<String>,
    /// The branch or tag it is about.
    pub ref_name: Option<String>,
    /// Why it runs, or why not.
    pub reason: String,
}

impl Trigger {
    pub(crate) fn run(event: String, commit: &str, ref_name: Option<String>, reason: &str) -> Self {
        Self {
            event,
            commit: Some(commit.to_owned()),
            ref_name,
            reason: reason.to_owned(),
        }
    }

    pub(crate) fn ignore(event: String, ref_name: Option<String>, reason: &str) -> Self {
        Self {
            event,
            commit: None,
            ref_name,
            reason: reason.to_owned(),
        }
    }
}

/// Why a push of a branch lanes pushed itself runs nothing.
pub(crate) const LANES_BRANCH: &str = "lanes pushed this branch; the submission that did runs it";

/// Whether the ref is one lanes pushes itself (`lanes/accept/...` intermediate branches): the
/// `lanes submit` that pushed it drives its lanes already.
pub(crate) fn is_lanes_branch(ref_name: Option<&str>) -> bool {
    ref_name.is_some_and(|name| name.starts_with("refs/heads/lanes/"))
}

/// The 40 zeros a host sends as the new commit of a deleted ref.
pub(crate) fn is_null_commit(id: &str) -> bool {
    id.is_empty() || id.bytes().all(|byte| byte == b'0')
}

/// A string field at a JSON pointer.
pub(crate) fn text<'a>(body: &'a serde_json::Value, pointer: &str) -> Option<&'a str> {
    body.pointer(pointer).and_then(serde_json::Value::as_str)
}

/// Where a delivery's commit's statuses go on its host, as the delivery says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct StatusPlace {
    pub(crate) repository: String,
    pub(crate) pull_request: Option<String>,
    pub(crate) web_url: Option<String>,
}
