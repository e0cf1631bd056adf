//! A path glob of the manifest: its text, whether it excludes, and where it was written.

use serde::{Deserialize, Serialize};

use crate::SourceSpan;

/// One glob of `paths`, `shared` or `ignore`, matched against repository-relative paths.
///
/// `*` and `?` stay inside one path component, `**` crosses them, `{a,b}` and `[ab]` work as
/// in shells. A pattern is anchored at the repository root (`**/*.md` matches at any depth).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pattern {
    /// The glob, without the leading `!` of an exclude.
    pub glob: String,
    /// Whether the pattern was written `!glob`: it removes paths from the component.
    pub negated: bool,
    pub span: SourceSpan,
}

impl Pattern {
    /// The glob as written in the manifest (with its `!`).
    #[must_use]
    pub fn as_written(&self) -> String {
        if self.negated {
            format!("!{}", self.glob)
        } else {
            self.glob.clone()
        }
    }

    /// The directory every match lies in: the leading path components without glob syntax
    /// (`""` for the root). A literal file pattern yields its parent directory.
    #[must_use]
    pub fn literal_dir(&self) -> &str {
        let mut end = 0;
        for (index, component) in self.glob.split_inclusive('/').scan(0, |offset, part| {
            let start = *offset;
            *offset += part.len();
            Some((start, part))
        }) {
            if !component.ends_with('/') || component.contains(is_glob_syntax) {
                break;
            }
            end = index + component.len();
        }
        self.glob[..end].trim_end_matches('/')
    }

    /// The compiled glob. Costly: compile only the globs a path can reach.
    #[must_use]
    pub fn compile(&self) -> globset::GlobMatcher {
        parse_glob(&self.glob)
            .expect("the manifest validated every glob")
            .compile_matcher()
    }

    /// The directory this pattern matches wholly when it is `dir/**`; such patterns need no
    /// glob engine.
    #[must_use]
    pub fn whole_dir(&self) -> Option<&str> {
        let dir = self.glob.strip_suffix("/**")?;
        (!dir.contains(is_glob_syntax)).then_some(dir)
    }
}

/// Parses a glob the way every matcher of lanes reads it: `*` stays inside a path component.
pub(crate) fn parse_glob(glob: &str) -> Result<globset::Glob, globset::Error> {
    globset::GlobBuilder::new(glob)
        .literal_separator(true)
        .build()
}

fn is_glob_syntax(c: char) -> bool {
    matches!(c, '*' | '?' | '[' | ']' | '{' | '}' | '\\')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pattern(glob: &str) -> Pattern {
        Pattern {
            glob: glob.to_owned(),
            negated: false,
            span: (0, 0).into(),
        }
    }

    #[test]
    fn literal_dir_stops_at_the_first_glob_component() {
        assert_eq!(pattern("src/Fhir/**").literal_dir(), "src/Fhir");
        assert_eq!(pattern("src/Front*/x/**").literal_dir(), "src");
        assert_eq!(pattern("**/*.md").literal_dir(), "");
        assert_eq!(pattern("global.json").literal_dir(), "");
        assert_eq!(pattern("build/props/x.json").literal_dir(), "build/props");
    }

    #[test]
    fn whole_dir_only_for_plain_directories() {
        assert_eq!(pattern("src/Fhir/**").whole_dir(), Some("src/Fhir"));
        assert_eq!(pattern("src/*/**").whole_dir(), None);
        assert_eq!(pattern("src/Fhir/**/*.cs").whole_dir(), None);
    }
}
