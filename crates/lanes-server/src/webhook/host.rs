//! The git hosts lanes takes webhooks from.

/// A git host that sends webhooks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Host {
    GitHub,
    GitLab,
    AzureDevOps,
}

impl Host {
    /// How the host is named in URLs (`/webhooks/<name>`) and in the ledger.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Host::GitHub => "github",
            Host::GitLab => "gitlab",
            Host::AzureDevOps => "azure-devops",
        }
    }
}
