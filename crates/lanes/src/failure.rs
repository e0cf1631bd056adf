//! Why a command failed, and the exit status that says so (see `EXIT_STATUS_HELP`).

use std::process::ExitCode;

use lanes_git::GitError;
use lanes_manifest::ManifestError;

use crate::output::Output;

#[derive(Debug, thiserror::Error)]
pub(crate) enum Failure {
    #[error(transparent)]
    Manifest(#[from] ManifestError),
    #[error("no {file} at {at}")]
    NoManifest {
        file: String,
        at: String,
        hint: String,
    },
    #[error(transparent)]
    Git(#[from] GitError),
    #[error("failed to {action}")]
    Io {
        action: String,
        #[source]
        source: std::io::Error,
    },
    #[error("failed to use the ledger: {0}")]
    Store(#[source] lanes_store::StoreError),
    /// A person's decision the rules refuse (approve, reject, retry).
    #[error("{0}")]
    Decision(lanes_engine::DecisionError),
    /// Something the user asked for that cannot be done; the message says why.
    #[error("{message}")]
    Refused {
        message: String,
        hint: Option<String>,
    },
    /// The problem was already reported in full (diagnostics, JSON); only the status remains.
    #[error("already reported")]
    Reported(u8),
}

/// An error and its causes on one line: `x: because y`.
pub(crate) fn chain(error: &dyn std::error::Error) -> String {
    let mut message = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        message.push_str(": ");
        message.push_str(&cause.to_string());
        source = cause.source();
    }
    message
}

impl Failure {
    pub(crate) fn store(error: lanes_store::StoreError) -> Self {
        Self::Store(error)
    }

    pub(crate) fn io(action: impl Into<String>, source: std::io::Error) -> Self {
        Self::Io {
            action: action.into(),
            source,
        }
    }

    fn exit_status(&self) -> u8 {
        match self {
            Self::Manifest(_) | Self::NoManifest { .. } => 3,
            Self::Git(error) if crate::workspace::is_revision_problem(error) => 4,
            Self::Decision(_) => 5,
            Self::Io { .. } | Self::Refused { .. } | Self::Git(_) | Self::Store(_) => 1,
            Self::Reported(status) => *status,
        }
    }

    pub(crate) fn report(self, output: &Output) -> ExitCode {
        let status = self.exit_status();
        match &self {
            Self::Reported(_) => {}
            Self::Manifest(ManifestError::Invalid { diagnostics, name }) => {
                output.diagnostics(diagnostics);
                output.error(&format!("{name} is invalid"), None);
            }
            Self::NoManifest { hint, .. }
            | Self::Refused {
                hint: Some(hint), ..
            } => {
                output.error(&self.to_string(), Some(hint));
            }
            Self::Git(error) => output.error(&format!("failed to {}", chain(error)), None),
            other => output.error(&chain(other), None),
        }
        ExitCode::from(status)
    }
}
