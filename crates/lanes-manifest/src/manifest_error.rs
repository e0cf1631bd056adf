//! Why a manifest could not be loaded.

use std::path::PathBuf;

use crate::Diagnostic;

#[derive(Debug, thiserror::Error)]
pub enum ManifestError {
    #[error("failed to read {}", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{name} is {size} bytes, more than the {limit} bytes a manifest may have")]
    TooLarge { name: String, size: u64, limit: u64 },
    #[error("{name} is not valid UTF-8")]
    NotUtf8 { name: String },
    #[error("{name} is invalid: {}", summary(.diagnostics))]
    Invalid {
        name: String,
        diagnostics: Vec<Diagnostic>,
    },
}

fn summary(diagnostics: &[Diagnostic]) -> String {
    match diagnostics {
        [only] => only.message.clone(),
        _ => format!("{} problems", diagnostics.len()),
    }
}
