//! How each host takes a status: the request (pure), and posting it.

use std::fmt::Write as _;
use std::time::Duration;

use base64::Engine as _;
use lanes_store::OutboxRow;

/// A host's API: where it is and the token lanes posts with.
#[derive(Clone)]
pub struct HostApi {
    /// GitHub `https://api.github.com` (Enterprise: `https://HOST/api/v3`), GitLab
    /// `https://gitlab.com/api/v4`, Azure DevOps `https://dev.azure.com` (Server: the
    /// collection's parent URL).
    pub base_url: String,
    pub token: String,
}

impl std::fmt::Debug for HostApi {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HostApi")
            .field("base_url", &self.base_url)
            .field("token", &"<set>")
            .finish()
    }
}

/// The hosts lanes posts statuses to; a host without a token gets none.
#[derive(Debug, Clone, Default)]
pub struct HostApis {
    pub github: Option<HostApi>,
    pub gitlab: Option<HostApi>,
    pub azure_devops: Option<HostApi>,
}

impl HostApis {
    /// The API of the host named as in the ledger (`github`, `gitlab`, `azure-devops`).
    #[must_use]
    pub fn of(&self, host: &str) -> Option<&HostApi> {
        match host {
            "github" => self.github.as_ref(),
            "gitlab" => self.gitlab.as_ref(),
            "azure-devops" => self.azure_devops.as_ref(),
            _ => None,
        }
    }
}

/// One request to a host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct HostRequest {
    pub(crate) url: String,
    pub(crate) headers: Vec<(&'static str, String)>,
    pub(crate) body: serde_json::Value,
}

/// What came of a post.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Posted {
    Taken,
    /// Try again later (429, 5xx, 401/403, no answer): not before `after` when the host said.
    Again {
        why: String,
        after: Option<Duration>,
    },
    /// The host refused this very request (400, 404, 422): sending it again changes nothing.
    Refused(String),
}

/// The request that posts `row` to its host, or why it cannot be made.
pub(crate) fn request_for(api: &HostApi, row: &OutboxRow) -> Result<HostRequest, String> {
    let base = api.base_url.trim_end_matches('/');
    let sha = segment(&row.target.commit);
    let status = &row.status;
    match row.target.host.as_str() {
        "github" => {
            let (owner, repo) = row
                .target
                .repository
                .split_once('/')
                .ok_or_else(|| format!("`{}` is no owner/repo", row.target.repository))?;
            Ok(HostRequest {
                url: format!(
                    "{base}/repos/{}/{}/statuses/{sha}",
                    segment(owner),
                    segment(repo)
                ),
                headers: vec![
                    ("Authorization", format!("Bearer {}", api.token)),
                    ("Accept", "application/vnd.github+json".to_owned()),
                    ("X-GitHub-Api-Version", "2022-11-28".to_owned()),
                ],
                body: serde_json::json!({
                    "state": status.state,
                    "target_url": status.target_url,
                    "description": status.description,
                    "context": status.context,
                }),
            })
        }
        "gitlab" => {
            let state = match status.state.as_str() {
                "success" => "success",
                "failure" => "failed",
                "error" => "canceled",
                _ => "running",
            };
            Ok(HostRequest {
                url: format!(
                    "{base}/projects/{}/statuses/{sha}",
                    segment(&row.target.repository)
                ),
                headers: vec![("PRIVATE-TOKEN", api.token.clone())],
                body: serde_json::json!({
                    "state": state,
                    "name": status.context,
                    "target_url": status.target_url,
                    "description": status.description,
                }),
            })
        }
        "azure-devops" => {
            let mut parts = row.target.repository.splitn(3, '/');
            let (Some(organization), Some(project), Some(repository)) =
                (parts.next(), parts.next(), parts.next())
            else {
                return Err(format!(
                    "`{}` is no organization/project/repository",
                    row.target.repository
                ));
            };
            let state = match status.state.as_str() {
                "success" => "succeeded",
                "failure" => "failed",
                "error" => "error",
                _ => "pending",
            };
            let context = match status.context.split_once('/') {
                Some((genre, name)) => serde_json::json!({"genre": genre, "name": name}),
                None => serde_json::json!({"name": status.context}),
            };
            let repository_url = format!(
                "{base}/{}/{}/_apis/git/repositories/{}",
                segment(organization),
                segment(project),
                segment(repository)
            );
            let url = match &row.target.pull_request {
                Some(pull_request) => format!(
                    "{repository_url}/pullRequests/{}/statuses?api-version=7.1",
                    segment(pull_request)
                ),
                None => format!("{repository_url}/commits/{sha}/statuses?api-version=7.1"),
            };
            let credential =
                base64::engine::general_purpose::STANDARD.encode(format!(":{}", api.token));
            Ok(HostRequest {
                url,
                headers: vec![("Authorization", format!("Basic {credential}"))],
                body: serde_json::json!({
                    "state": state,
                    "description": status.description,
                    "targetUrl": status.target_url,
                    "context": context,
                }),
            })
        }
        other => Err(format!("lanes posts no statuses to `{other}`")),
    }
}

/// Posts one request (blocking: run it off the async threads).
pub(crate) fn post(request: &HostRequest) -> Posted {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        // Short: a stopping server waits for a post under way.
        .timeout_global(Some(Duration::from_secs(10)))
        .user_agent(concat!("lanes/", env!("CARGO_PKG_VERSION")))
        .build()
        .into();
    let mut call = agent
        .post(&request.url)
        .header("Content-Type", "application/json");
    for (name, value) in &request.headers {
        call = call.header(*name, value);
    }
    let mut answer = match call.send(request.body.to_string().as_bytes()) {
        Ok(answer) => answer,
        Err(error) => {
            return Posted::Again {
                why: format!("no answer: {error}"),
                after: None,
            };
        }
    };
    let status = answer.status().as_u16();
    let retry_after = answer
        .headers()
        .get("retry-after")
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.trim().parse::<u64>().ok())
        .map(Duration::from_secs);
    let text = answer
        .body_mut()
        .with_config()
        .limit(4096)
        .read_to_string()
        .unwrap_or_default();
    let why = format!("{status}: {}", text.chars().take(300).collect::<String>());
    match status {
        200..=299 => Posted::Taken,
        // GitHub answers a spent rate limit with 403 and `Retry-After` or no remaining quota.
        401 | 403 | 408 | 429 | 500..=599 => Posted::Again {
            why,
            after: retry_after,
        },
        _ => Posted::Refused(why),
    }
}

/// A path segment, percent-encoded but for RFC 3986's unreserved characters.
fn segment(text: &str) -> String {
    let mut encoded = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            encoded.push(char::from(byte));
        } else {
            let _ = write!(encoded, "%{byte:02X}");
        }
    }
    encoded
}
