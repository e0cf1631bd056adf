//! A problem found in a manifest, pointing at the text that causes it.

use std::fmt;
use std::sync::Arc;

use miette::{LabeledSpan, NamedSource, SourceCode, SourceSpan};
use serde::{Deserialize, Serialize};

/// How bad a diagnostic is: errors make the manifest unusable, warnings do not.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
}

/// The text a diagnostic points into: the file's name and its contents.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(from = "StoredSource", into = "StoredSource")]
pub struct ManifestSource {
    name: String,
    text: Arc<str>,
    /// Byte offset where each line after the first starts (just past each `\n`).
    line_starts: Arc<[usize]>,
}

/// How a source is stored: its line index is rebuilt when read.
#[derive(Serialize, Deserialize)]
struct StoredSource {
    name: String,
    text: String,
}

impl From<StoredSource> for ManifestSource {
    fn from(stored: StoredSource) -> Self {
        ManifestSource::new(stored.name, stored.text)
    }
}

impl From<ManifestSource> for StoredSource {
    fn from(source: ManifestSource) -> Self {
        StoredSource {
            name: source.name,
            text: source.text.to_string(),
        }
    }
}

impl ManifestSource {
    #[must_use]
    pub fn new(name: impl Into<String>, text: impl Into<Arc<str>>) -> Self {
        let text: Arc<str> = text.into();
        let line_starts = text
            .match_indices('\n')
            .map(|(newline, _)| newline + 1)
            .collect();
        Self {
            name: name.into(),
            text,
            line_starts,
        }
    }

    /// The file name shown in diagnostics.
    #[must_use]
    pub fn name(&self) -> &str {
        &self.name
    }

    #[must_use]
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The 1-based line and column (in characters) of a byte offset.
    #[must_use]
    pub fn line_column(&self, offset: usize) -> (usize, usize) {
        let before = &self.text[..floor_char_boundary(&self.text, offset)];
        let line_start = before.rfind('\n').map_or(0, |newline| newline + 1);
        let line = before.matches('\n').count() + 1;
        (line, before[line_start..].chars().count() + 1)
    }

    /// The byte offset of a 1-based line and column (in characters), clamped to the text.
    #[must_use]
    pub fn offset(&self, line: usize, column: usize) -> usize {
        let line_start = if line <= 1 {
            0
        } else {
            self.line_starts
                .get(line - 2)
                .copied()
                .unwrap_or(self.text.len())
        };
        let rest = &self.text[line_start..];
        line_start
            + rest
                .char_indices()
                .nth(column.saturating_sub(1))
                .map_or(rest.len(), |(offset, _)| offset)
    }
}

fn floor_char_boundary(text: &str, offset: usize) -> usize {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}

/// One problem in a manifest: a message that reads after "failed to load lanes.yml: ", the
/// span it is about, a label under the caret and a hint saying how to fix it.
#[derive(Debug, Clone)]
pub struct Diagnostic {
    pub severity: Severity,
    pub message: String,
    pub span: Option<SourceSpan>,
    pub label: Option<String>,
    pub help: Option<String>,
    source: NamedSource<Arc<str>>,
    location: Option<(usize, usize)>,
}

impl Diagnostic {
    pub(crate) fn error(source: &ManifestSource, message: impl Into<String>) -> Self {
        Self {
            severity: Severity::Error,
            message: message.into(),
            span: None,
            label: None,
            help: None,
            source: NamedSource::new(&source.name, Arc::clone(&source.text)),
            location: None,
        }
    }

    /// A warning: the manifest is usable but probably not what its author meant.
    #[must_use]
    pub fn warning(source: &ManifestSource, message: impl Into<String>) -> Self {
        Self {
            severity: Severity::Warning,
            ..Self::error(source, message)
        }
    }

    /// Points the diagnostic at `span` of `source`, with `label` under the caret.
    #[must_use]
    pub fn at(
        mut self,
        source: &ManifestSource,
        span: SourceSpan,
        label: impl Into<String>,
    ) -> Self {
        self.span = Some(span);
        self.label = Some(label.into());
        self.location = Some(source.line_column(span.offset()));
        self
    }

    #[must_use]
    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// The file the diagnostic is about.
    #[must_use]
    pub fn file(&self) -> &str {
        self.source.name()
    }

    /// 1-based line and column, when the diagnostic points at text.
    #[must_use]
    pub fn line_column(&self) -> Option<(usize, usize)> {
        self.location
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Diagnostic {}

impl miette::Diagnostic for Diagnostic {
    fn severity(&self) -> Option<miette::Severity> {
        Some(match self.severity {
            Severity::Error => miette::Severity::Error,
            Severity::Warning => miette::Severity::Warning,
        })
    }

    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.help
            .as_ref()
            .map(|help| Box::new(help) as Box<dyn fmt::Display>)
    }

    fn source_code(&self) -> Option<&dyn SourceCode> {
        Some(&self.source)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        let span = self.span?;
        Some(Box::new(std::iter::once(
            LabeledSpan::new_primary_with_span(self.label.clone(), span),
        )))
    }
}

/// The JSON form of a diagnostic, for `--json` output.
#[derive(Debug, Serialize)]
pub struct DiagnosticRecord<'a> {
    pub severity: Severity,
    pub file: &'a str,
    pub line: Option<usize>,
    pub column: Option<usize>,
    pub message: &'a str,
    pub label: Option<&'a str>,
    pub help: Option<&'a str>,
}

impl<'a> From<&'a Diagnostic> for DiagnosticRecord<'a> {
    fn from(diagnostic: &'a Diagnostic) -> Self {
        let (line, column) = diagnostic.line_column().unzip();
        Self {
            severity: diagnostic.severity,
            file: diagnostic.file(),
            line,
            column,
            message: &diagnostic.message,
            label: diagnostic.label.as_deref(),
            help: diagnostic.help.as_deref(),
        }
    }
}
