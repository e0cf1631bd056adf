//! Validated manifests kept by the blob id of their `lanes.yml`: parsing and validating YAML
//! is most of what `lanes affected` costs on a large repository, and a manifest's blob rarely
//! changes. Best effort: a cache that cannot be read or written is simply not used.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use lanes_git::{ObjectId, Repo};
use lanes_manifest::Manifest;

/// Where the manifest with this blob id is kept; the lanes version is part of the name, so a
/// new lanes never reads what an older one wrote.
pub(crate) fn path(repo: &Repo, blob: ObjectId) -> PathBuf {
    let state = std::env::var_os("LANES_STATE_DIR")
        .map_or_else(|| repo.git_dir().join("lanes"), PathBuf::from);
    state.join("cache").join(format!(
        "manifest-{}-{blob}.json",
        env!("CARGO_PKG_VERSION")
    ))
}

pub(crate) fn read(path: &Path) -> Option<Manifest> {
    let bytes = std::fs::read(path).ok()?;
    serde_json::from_slice(&bytes).ok()
}

/// Writes atomically (a temporary file renamed into place), so readers never see half a file.
pub(crate) fn write(path: &Path, manifest: &Manifest) {
    // A read-only repository or a full disk only costs the next run a parse: errors are dropped.
    let _: Option<_> = (|| {
        let dir = path.parent()?;
        std::fs::create_dir_all(dir).ok()?;
        let bytes = serde_json::to_vec(manifest).ok()?;
        let mut file = tempfile::NamedTempFile::new_in(dir).ok()?;
        file.write_all(&bytes).ok()?;
        file.persist(path).ok()
    })();
}
