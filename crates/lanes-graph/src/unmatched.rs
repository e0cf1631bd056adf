//! Globs that match no file: almost always a typo, so `lanes validate` warns about them.

use lanes_manifest::{Manifest, Pattern};

/// Every glob of the manifest (components, `shared`, `ignore`) that matches none of `paths`,
/// in the order they are written.
#[must_use]
pub fn unmatched_patterns<'m>(manifest: &'m Manifest, paths: &[&str]) -> Vec<&'m Pattern> {
    let mut sorted = paths.to_vec();
    sorted.sort_unstable();
    let mut unmatched: Vec<&Pattern> = manifest
        .shared()
        .iter()
        .chain(manifest.ignore())
        .chain(
            manifest
                .components()
                .iter()
                .flat_map(|component| &component.paths),
        )
        .filter(|pattern| !matches_any(pattern, &sorted))
        .collect();
    unmatched.sort_by_key(|pattern| pattern.span.offset());
    unmatched
}

/// Tests only the paths inside the pattern's literal directory.
fn matches_any(pattern: &Pattern, sorted: &[&str]) -> bool {
    let dir = pattern.whole_dir().unwrap_or_else(|| pattern.literal_dir());
    let prefix = if dir.is_empty() {
        String::new()
    } else {
        format!("{dir}/")
    };
    let start = sorted.partition_point(|path| *path < prefix.as_str());
    let mut inside = sorted[start..]
        .iter()
        .take_while(|path| path.starts_with(&prefix));
    if pattern.whole_dir().is_some() {
        return inside.next().is_some();
    }
    let matcher = pattern.compile();
    inside.any(|path| matcher.is_match(path))
}
