//! How a server is set up: the webhook secrets of each host and the limits on what it reads.

use std::time::Duration;

use crate::ServerError;

/// The server's settings.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    pub webhooks: WebhookSecrets,
    /// The largest webhook body accepted, in bytes; a larger one gets 413.
    pub body_limit: usize,
    /// How long a sender may take to send a webhook body; a slower one gets 408.
    pub body_timeout: Duration,
    /// How long a connection may take to send a request's headers, counted from its opening or
    /// from its last answer: a connection that stalls or idles longer is closed.
    pub header_timeout: Duration,
    /// How many connections are served at once; more wait in the listen backlog until one
    /// closes.
    pub max_connections: usize,
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            webhooks: WebhookSecrets::default(),
            // GitHub caps payloads at 25 MB; real pushes are far smaller.
            body_limit: 5 * 1024 * 1024,
            body_timeout: Duration::from_secs(10),
            // Hosts and browsers send their headers at once; a browser keeps an idle connection
            // open for longer, and opens another when this one was closed.
            header_timeout: Duration::from_secs(10),
            // Well under the usual limit of 1024 open files, which the ledger's connections,
            // logs and children share.
            max_connections: 512,
        }
    }
}

/// The credentials each git host signs or authenticates with; `None` turns that host's
/// endpoint off.
#[derive(Clone, Default)]
pub struct WebhookSecrets {
    /// The secret GitHub signs bodies with (`X-Hub-Signature-256`).
    pub github: Option<String>,
    /// The secret token GitLab sends (`X-Gitlab-Token`).
    pub gitlab: Option<String>,
    /// The user and password of Azure DevOps' basic authentication.
    pub azure_devops: Option<(String, String)>,
}

impl std::fmt::Debug for WebhookSecrets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebhookSecrets")
            .field("github", &self.github.as_ref().map(|_| "<set>"))
            .field("gitlab", &self.gitlab.as_ref().map(|_| "<set>"))
            .field("azure_devops", &self.azure_devops.as_ref().map(|_| "<set>"))
            .finish()
    }
}

impl WebhookSecrets {
    /// Refuses empty secrets: an empty key would let anyone sign.
    pub fn check(&self) -> Result<(), ServerError> {
        let empty = [
            ("github", self.github.as_ref().is_some_and(String::is_empty)),
            ("gitlab", self.gitlab.as_ref().is_some_and(String::is_empty)),
            (
                "azure-devops",
                self.azure_devops
                    .as_ref()
                    .is_some_and(|(user, password)| user.is_empty() || password.is_empty()),
            ),
        ];
        match empty.into_iter().find(|(_, empty)| *empty) {
            Some((host, _)) => Err(ServerError::EmptySecret {
                host: host.to_owned(),
            }),
            None => Ok(()),
        }
    }
}
