//! Central files: one file many components read an entry of (central package versions, a
//! lockfile), declared with its kind so that a change affects only the components whose entries
//! changed.

use serde::{Deserialize, Serialize};

/// A declared central file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CentralFile {
    /// Repository-relative path of the file.
    pub path: String,
    pub kind: CentralKind,
}

/// How lanes reads a central file, and which files of a component say what it takes from it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CentralKind {
    /// `Directory.Packages.props`: `<PackageVersion Include=".." Version=".."/>`, read by the
    /// .NET projects below its directory through their `<PackageReference>`s.
    NugetCentral,
    /// `Cargo.lock`: the resolved dependency graph of the Cargo workspace members below it.
    CargoLock,
    /// The root `Cargo.toml` of a Cargo workspace: its `[workspace.dependencies]`, read by the
    /// members below it through their `dep = { workspace = true }` entries.
    CargoWorkspace,
    /// `pnpm-lock.yaml`: the resolved dependency tree of each workspace package (importer).
    PnpmLock,
    /// `package-lock.json` (format 2 and 3): the resolved tree of each workspace package.
    NpmLock,
    /// `yarn.lock` of Yarn 2 and later: the resolved tree of each workspace package.
    YarnLock,
}

impl CentralKind {
    /// Whether a file named `name` tells what a component takes from a central file of this
    /// kind (a .NET project file, a `Cargo.toml`, a `package.json`).
    #[must_use]
    pub fn reads_through(self, name: &str) -> bool {
        match self {
            Self::NugetCentral => [".csproj", ".fsproj", ".vbproj"].iter().any(|extension| {
                name.len() > extension.len() && name.to_ascii_lowercase().ends_with(extension)
            }),
            Self::CargoLock | Self::CargoWorkspace => name == "Cargo.toml",
            Self::PnpmLock | Self::NpmLock | Self::YarnLock => name == "package.json",
        }
    }
}

impl CentralFile {
    /// The directory the file governs: files of components below it read it.
    #[must_use]
    pub fn dir(&self) -> &str {
        self.path.rsplit_once('/').map_or("", |(dir, _)| dir)
    }

    /// Whether `path` lies in the directory this file governs.
    #[must_use]
    pub fn governs(&self, path: &str) -> bool {
        let dir = self.dir();
        dir.is_empty()
            || path
                .strip_prefix(dir)
                .is_some_and(|rest| rest.starts_with('/'))
    }
}
