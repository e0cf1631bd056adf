//! Files that belong to no component and are neither shared nor ignored: a change to them
//! affects nothing, so `lanes validate` and `lanes init` list them, the lane's own scripts first.

use lanes_manifest::Manifest;

use crate::PathMatcher;

/// Tracked files no glob of the manifest covers.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct UnownedFiles<'p> {
    /// The lane's own scripts: files a command of the manifest names (`./deploy.sh`), and files
    /// in the directories and with the names pipelines keep them under (`ci/**`, `deploy*`).
    pub lane_scripts: Vec<&'p str>,
    /// Every other unowned file.
    pub others: Vec<&'p str>,
}

impl<'p> UnownedFiles<'p> {
    #[must_use]
    pub fn len(&self) -> usize {
        self.lane_scripts.len() + self.others.len()
    }

    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The lane's scripts, then the others.
    pub fn iter(&self) -> impl Iterator<Item = &'p str> + '_ {
        self.lane_scripts.iter().chain(&self.others).copied()
    }
}

/// The files of `paths` (sorted or not) that no component, `shared` or `ignore` glob covers.
/// `lanes.yml` itself never counts: its changes are judged by definitions.
#[must_use]
pub fn unowned_files<'p>(manifest: &Manifest, paths: &[&'p str]) -> UnownedFiles<'p> {
    let matcher = PathMatcher::new(manifest);
    let named = command_words(manifest);
    let mut unowned = UnownedFiles::default();
    for &path in paths {
        if path == Manifest::FILE_NAME || manifest.central_file(path).is_some() {
            continue;
        }
        let owners = matcher.owners(path);
        if owners.ignored.is_some() || owners.shared.is_some() || !owners.components.is_empty() {
            continue;
        }
        if named.iter().any(|word| word == path) || looks_like_lane_script(path) {
            unowned.lane_scripts.push(path);
        } else {
            unowned.others.push(path);
        }
    }
    unowned.lane_scripts.sort_unstable();
    unowned.others.sort_unstable();
    unowned
}

/// Every word of every command of the lane (stages and component overrides) that could be a
/// repository path: `./ci/test.sh --fast` names `ci/test.sh`.
fn command_words(manifest: &Manifest) -> Vec<String> {
    let stage_commands = manifest
        .stages()
        .iter()
        .flat_map(|stage| stage.run.iter().chain(&stage.deploy));
    let override_commands = manifest
        .components()
        .iter()
        .flat_map(|component| component.stage_overrides.values())
        .flat_map(|stage| stage.run.iter().flatten().chain(&stage.deploy));
    let mut words: Vec<String> = stage_commands
        .chain(override_commands)
        .flat_map(|command| {
            command
                .split(|c: char| c.is_whitespace() || ";&|()<>'\"`=".contains(c))
                .map(|word| word.trim_start_matches("./").to_owned())
                .filter(|word| !word.is_empty() && !word.starts_with(['-', '$']))
                .collect::<Vec<_>>()
        })
        .collect();
    words.sort_unstable();
    words.dedup();
    words
}

/// Where pipelines keep their scripts, by convention.
fn looks_like_lane_script(path: &str) -> bool {
    const DIRECTORIES: [&str; 4] = ["ci/", ".ci/", "scripts/", "deploy/"];
    let name = path.rsplit('/').next().unwrap_or(path);
    DIRECTORIES.iter().any(|dir| path.starts_with(dir)) || name.starts_with("deploy")
}
