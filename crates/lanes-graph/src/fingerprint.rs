//! Fingerprints: a content hash of each component's inputs at one revision, from git object
//! ids alone (no file is read): its files' ids and modes, the shared files', its canonical
//! manifest definition and its dependencies' fingerprints.

use std::fmt;

use lanes_manifest::{ComponentId, Manifest};
use serde::Serialize;
use sha2::{Digest, Sha256};

use std::collections::BTreeMap;

use crate::{CentralInput, ComponentGraph, PathMatcher, TrackedFile};

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
    fingerprints_with(graph, files, &[])
}

/// [`fingerprints`], with what each component takes from each central file (one map per
/// central file, from [`crate::central_inputs`]): the entries it reads, not the whole file.
#[must_use]
pub fn fingerprints_with(
    graph: &ComponentGraph<'_>,
    files: &[TrackedFile<'_>],
    central: &[BTreeMap<ComponentId, CentralInput>],
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
    let own_files: Vec<_> = own
        .into_iter()
        .zip(manifest.component_ids())
        .map(|(mut hasher, id)| {
            // Only components reading a central file hash it, so others keep their fingerprints.
            let inputs: Vec<&CentralInput> = central
                .iter()
                .filter_map(|inputs| inputs.get(&id))
                .collect();
            if !inputs.is_empty() {
                hasher.update(b"central\0");
                for (file, input) in manifest.central().iter().zip(central) {
                    let Some(input) = input.get(&id) else {
                        continue;
                    };
                    hasher.update(file.path.as_bytes());
                    hasher.update(b"\0");
                    hasher.update(input.rest.as_bytes());
                    for (key, entry) in &input.entries {
                        hasher.update(b"\0");
                        hasher.update(key.as_bytes());
                        hasher.update(b"\0");
                        hasher.update(entry.canonical.as_bytes());
                    }
                }
            }
            hasher.finalize()
        })
        .collect();
    // A component's own inputs, without its dependencies: what dev-only dependencies, which
    // may form cycles, contribute.
    let own_hasher = |id: ComponentId| {
        let mut hasher = Sha256::new();
        own_prefix(
            &mut hasher,
            &global,
            manifest,
            id,
            &own_files[id.index()],
            &shared,
        );
        hasher
    };
    let own_inputs = |id: ComponentId| own_hasher(id).finalize();

    let mut result: Vec<Option<Fingerprint>> = vec![None; own_files.len()];
    for &id in graph.dependencies_first() {
        let mut hasher = own_hasher(id);
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
        if !manifest.component(id).dev_depends_on.is_empty() {
            hasher.update(b"dev\0");
            for reached in dev_closure(manifest, id) {
                hasher.update(manifest.component(reached).name.as_bytes());
                hasher.update(b"\0");
                hasher.update(own_inputs(reached));
            }
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

/// What a fingerprint starts with: the component's own inputs. Unchanged since the first
/// fingerprints, so components without dev-only dependencies keep theirs.
fn own_prefix(
    hasher: &mut Sha256,
    global: &str,
    manifest: &Manifest,
    id: ComponentId,
    files: &[u8],
    shared: &[u8],
) {
    hasher.update(b"lanes-fingerprint-v1\0");
    hasher.update(global.as_bytes());
    hasher.update(b"\0");
    hasher.update(manifest.component_definition(id).as_bytes());
    hasher.update(b"\0files\0");
    hasher.update(files);
    hasher.update(b"shared\0");
    hasher.update(shared);
}

/// Every component reached from `id`'s dev-only dependencies through any dependency, sorted.
fn dev_closure(manifest: &Manifest, id: ComponentId) -> Vec<ComponentId> {
    let mut seen = vec![false; manifest.components().len()];
    let mut work = manifest.component(id).dev_depends_on.clone();
    while let Some(next) = work.pop() {
        if std::mem::replace(&mut seen[next.index()], true) {
            continue;
        }
        let component = manifest.component(next);
        work.extend(component.depends_on.iter().chain(&component.dev_depends_on));
    }
    manifest
        .component_ids()
        .filter(|reached| seen[reached.index()])
        .collect()
}

fn hash_file(hasher: &mut Sha256, file: &TrackedFile<'_>) {
    hasher.update(file.path.as_bytes());
    hasher.update(b"\0");
    hasher.update(file.mode.to_be_bytes());
    hasher.update(file.id);
}
