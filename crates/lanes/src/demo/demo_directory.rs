//! Where `lanes demo` builds: a fresh temporary directory, removed when the demo ends unless
//! kept, or the user's own `--dir`, which always stays.

use std::path::{Path, PathBuf};

use tempfile::TempDir;

use crate::failure::Failure;

pub(crate) struct DemoDirectory {
    path: PathBuf,
    /// The temporary directory, removed when dropped (also when the demo fails).
    temporary: Option<TempDir>,
}

impl DemoDirectory {
    /// The directory asked for (absent or empty), else a fresh temporary one; `keep` keeps
    /// a temporary one after the demo.
    pub(crate) fn create(requested: Option<&Path>, keep: bool) -> Result<Self, Failure> {
        let Some(dir) = requested else {
            let temporary = tempfile::Builder::new()
                .prefix("lanes-demo-")
                .tempdir()
                .map_err(|error| Failure::io("create a temporary directory", error))?;
            let path = canonical(temporary.path())?;
            return Ok(Self {
                path,
                temporary: if keep {
                    let _kept = temporary.keep();
                    None
                } else {
                    Some(temporary)
                },
            });
        };
        let is_empty = match std::fs::read_dir(dir) {
            Ok(mut entries) => entries.next().is_none(),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => true,
            Err(error) => return Err(Failure::io(format!("read {}", dir.display()), error)),
        };
        if !is_empty {
            return Err(Failure::Refused {
                message: format!("{} is not empty", dir.display()),
                hint: Some(
                    "give --dir a new or empty directory; the demo never writes over files"
                        .to_owned(),
                ),
            });
        }
        std::fs::create_dir_all(dir)
            .map_err(|error| Failure::io(format!("create {}", dir.display()), error))?;
        Ok(Self {
            path: canonical(dir)?,
            temporary: None,
        })
    }

    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    /// Whether the directory stays after the demo.
    pub(crate) fn stays(&self) -> bool {
        self.temporary.is_none()
    }

    /// Removes the directory unless it stays.
    pub(crate) fn finish(self) -> Result<(), Failure> {
        match self.temporary {
            Some(temporary) => temporary
                .close()
                .map_err(|error| Failure::io(format!("remove {}", self.path.display()), error)),
            None => Ok(()),
        }
    }
}

/// An absolute path without symlinks: what hints name and `-C` is compared with.
fn canonical(dir: &Path) -> Result<PathBuf, Failure> {
    dir.canonicalize()
        .map_err(|error| Failure::io(format!("resolve {}", dir.display()), error))
}
