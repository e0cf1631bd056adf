//! Where a commit and its pull request are on the host, for the commit page.

use lanes_store::StatusTarget;

/// A link to the host: what it shows, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct HostLink {
    pub(crate) label: String,
    pub(crate) url: String,
}

/// The commit on its host, and the pull (merge) request it was delivered for.
pub(crate) fn host_links(target: &StatusTarget) -> Vec<HostLink> {
    let web = target
        .web_url
        .as_deref()
        .filter(|url| url.starts_with("https://") || url.starts_with("http://"))
        .map(|url| url.trim_end_matches('/').to_owned())
        .or_else(|| {
            (target.host == "github").then(|| format!("https://github.com/{}", target.repository))
        });
    let Some(web) = web else {
        return Vec::new();
    };
    let (host, commit_path, pull_path, pull_word) = match target.host.as_str() {
        "github" => ("GitHub", "commit", "pull", "pull request"),
        "gitlab" => ("GitLab", "-/commit", "-/merge_requests", "merge request"),
        _ => ("Azure DevOps", "commit", "pullrequest", "pull request"),
    };
    let mut links = vec![HostLink {
        label: format!("the commit on {host}"),
        url: format!("{web}/{commit_path}/{}", target.commit),
    }];
    if let Some(number) = &target.pull_request
        && number.bytes().all(|byte| byte.is_ascii_digit())
    {
        let sign = if target.host == "gitlab" { "!" } else { "#" };
        links.push(HostLink {
            label: format!("{pull_word} {sign}{number} on {host}"),
            url: format!("{web}/{pull_path}/{number}"),
        });
    }
    links
}
