//! Which components own a path, whether it is shared or ignored.
//!
//! A repository may declare thousands of globs. Compiling them into one set is slow, and most
//! are `dir/**`, so patterns are bucketed by the literal directory they start with; a path
//! looks up each of its ancestor directories and tests only the patterns found there. Globs are
//! compiled on first use, so a run that touches ten directories compiles ten globs.

use std::collections::HashMap;
use std::sync::OnceLock;

use globset::GlobMatcher;
use lanes_manifest::{ComponentId, Manifest, Pattern};

/// Who a pattern belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Owner {
    Component(ComponentId),
    Shared,
    Ignore,
}

struct Entry<'m> {
    owner: Owner,
    pattern: &'m Pattern,
    compiled: OnceLock<GlobMatcher>,
}

impl Entry<'_> {
    fn matches(&self, path: &str) -> bool {
        if self.pattern.whole_dir().is_some() {
            // Found under one of the path's ancestors equal to the directory: inside it.
            return true;
        }
        self.compiled
            .get_or_init(|| self.pattern.compile())
            .is_match(path)
    }
}

/// What the manifest says about one path.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct PathOwners<'m> {
    /// The `ignore` pattern that matched; when set, nothing else counts.
    pub ignored: Option<&'m Pattern>,
    /// The `shared` pattern that matched: the path is an input of every component.
    pub shared: Option<&'m Pattern>,
    /// Components owning the path, each with the first of its patterns that matched, sorted.
    pub components: Vec<(ComponentId, &'m Pattern)>,
}

/// Answers [`PathOwners`] for paths, against one manifest.
pub struct PathMatcher<'m> {
    /// Hashed with foldhash: a fingerprint looks up about seven ancestor directories for each of
    /// 100,000 files, and the standard library's hasher made that 5% of the run. The keys come
    /// from the manifest, not from an attacker.
    buckets: HashMap<&'m str, Vec<Entry<'m>>, foldhash::fast::RandomState>,
    manifest: &'m Manifest,
}

impl<'m> PathMatcher<'m> {
    #[must_use]
    pub fn new(manifest: &'m Manifest) -> Self {
        let mut buckets: HashMap<&str, Vec<Entry>, _> =
            HashMap::with_hasher(foldhash::fast::RandomState::default());
        let mut add = |owner, pattern: &'m Pattern| {
            let dir = pattern.whole_dir().unwrap_or_else(|| pattern.literal_dir());
            buckets.entry(dir).or_default().push(Entry {
                owner,
                pattern,
                compiled: OnceLock::new(),
            });
        };
        for pattern in manifest.ignore() {
            add(Owner::Ignore, pattern);
        }
        for pattern in manifest.shared() {
            add(Owner::Shared, pattern);
        }
        for id in manifest.component_ids() {
            for pattern in &manifest.component(id).paths {
                add(Owner::Component(id), pattern);
            }
        }
        Self { buckets, manifest }
    }

    /// Classifies one repository-relative path. The manifest file itself and central files are
    /// never owned: their changes are judged by comparing definitions and entries.
    #[must_use]
    pub fn owners(&self, path: &str) -> PathOwners<'m> {
        let mut owners = PathOwners::default();
        if path == Manifest::FILE_NAME || self.manifest.central_file(path).is_some() {
            return owners;
        }
        let mut excluded: Vec<ComponentId> = Vec::new();
        for dir in ancestors(path) {
            let Some(entries) = self.buckets.get(dir) else {
                continue;
            };
            for entry in entries.iter().filter(|entry| entry.matches(path)) {
                match entry.owner {
                    Owner::Ignore => {
                        return PathOwners {
                            ignored: Some(entry.pattern),
                            ..PathOwners::default()
                        };
                    }
                    Owner::Shared => {
                        owners.shared.get_or_insert(entry.pattern);
                    }
                    Owner::Component(id) if entry.pattern.negated => excluded.push(id),
                    Owner::Component(id) => {
                        if !owners.components.iter().any(|(owner, _)| *owner == id) {
                            owners.components.push((id, entry.pattern));
                        }
                    }
                }
            }
        }
        owners.components.retain(|(id, _)| !excluded.contains(id));
        owners.components.sort_by_key(|(id, _)| *id);
        owners
    }
}

/// `""`, `a`, `a/b` for `a/b/c`: every directory containing the path, root first.
fn ancestors(path: &str) -> impl Iterator<Item = &str> {
    std::iter::once("").chain(path.match_indices('/').map(|(slash, _)| &path[..slash]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ancestors_run_from_the_root() {
        assert_eq!(ancestors("a/b/c").collect::<Vec<_>>(), ["", "a", "a/b"]);
        assert_eq!(ancestors("top").collect::<Vec<_>>(), [""]);
    }
}
