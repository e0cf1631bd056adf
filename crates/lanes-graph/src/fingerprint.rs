//! Fingerprints: a content hash of each component's inputs at one revision, from git object
//! ids alone (no file is read): its files' ids and modes, the shared files', its canonical
//! manifest definition and its dependencies' fingerprints.

use std::fmt;

use lanes_manifest::{ComponentId, Manifest};
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::{ComponentGraph, PathMatcher, TrackedFile};

/// A component's fingerprint: same fingerprint, same component, nothing to rebuild.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Fingerprint([u8; 32]);

impl fmt::Display for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for byte in self.0 {
            write!(f, "{byte:02x}")?;
        }
        Ok(())
    }
}

impl Serialize for Fingerprint {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

/// A component's fingerprint and how many files went into it.
#[derive(Debug, Clone, Serialize)]
pub struct ComponentFingerprint {
    pub name: String,
    pub fingerprint: Fingerprint,
    /// Files of the component itself (shared files not counted).
    pub files: usize,
}

/// The directories whose files can be inputs of some component: the walk needs no others.
#[must_use]
pub fn input_directories(manifest: &Manifest) -> Vec<&str> {
    let mut dirs: Vec<&str> = manifest
        .shared()
        .iter()
        .chain(
            manifest
                .components()
                .iter()
                .flat_map(|component| &component.paths),
        )
        .filter(|pattern| !pattern.negated)
        .map(lanes_manifest::Pattern::literal_dir)
        .collect();
    dirs.sort_unstable();
    dirs.dedup();
    dirs
}

/// Fingerprints of every component, sorted by name. `files` are the tree's files under
/// [`input_directories`] (more do no harm), sorted by path.
#[must_use]
pub fn fingerprints(
    graph: &ComponentGraph<'_>,
    files: &[TrackedFile<'_>],
) -> Vec<ComponentFingerprint> {
    let manifest = graph.manifest();
    let matcher = PathMatcher::new(manifest);
    let mut own: Vec<Sha256> = manifest.component_ids().map(|_| Sha256::new()).collect();
    let mut counts = vec![0usize; own.len()];
    let mut shared = Sha256::new();
    for file in files {
        let owners = matcher.owners(file.path);
        if owners.ignored.is_some() {
            continue;
        }
        if owners.shared.is_some() {
            hash_file(&mut shared, file);
        }
        for (id, _) in owners.components {
            hash_file(&mut own[id.index()], file);
            counts[id.index()] += 1;
        }
    }
    let shared = shared.finalize();
    let global = manifest.global_definition();

    let mut result: Vec<Option<Fingerprint>> = vec![None; own.len()];
    for &id in graph.dependencies_first() {
        let mut hasher = Sha256::new();
        hasher.update(b"lanes-fingerprint-v1\0");
        hasher.update(global.as_bytes());
        hasher.update(b"\0");
        hasher.update(manifest.component_definition(id).as_bytes());
        hasher.update(b"\0files\0");
        hasher.update(std::mem::take(&mut own[id.index()]).finalize());
        hasher.update(b"shared\0");
        hasher.update(shared);
        hasher.update(b"dependencies\0");
        for dependency in &manifest.component(id).depends_on {
            hasher.update(manifest.component(*dependency).name.as_bytes());
            hasher.update(b"\0");
            hasher.update(
                result[dependency.index()]
                    .expect("dependencies come first")
                    .0,
            );
        }
        result[id.index()] = Some(Fingerprint(hasher.finalize().into()));
    }
    manifest
        .component_ids()
        .map(|id: ComponentId| ComponentFingerprint {
            name: manifest.component(id).name.clone(),
            fingerprint: result[id.index()].expect("every component was visited"),
            files: counts[id.index()],
        })
        .collect()
}

fn hash_file(hasher: &mut Sha256, file: &TrackedFile<'_>) {
    hasher.update(file.path.as_bytes());
    hasher.update(b"\0");
    hasher.update(file.mode.to_be_bytes());
    hasher.update(file.id);
}
