//! Reading a manifest from text or from a file.

use std::path::Path;

use crate::validate::{MAX_MANIFEST_BYTES, parse};
use crate::{Manifest, ManifestError, ManifestSource};

impl Manifest {
    /// Parses and validates manifest text; `name` is what diagnostics call the file.
    pub fn parse(name: &str, text: &str) -> Result<Manifest, ManifestError> {
        parse(ManifestSource::new(name, text))
    }

    /// Like [`Manifest::parse`], for bytes that may not be UTF-8 (a blob read from git).
    pub fn parse_bytes(name: &str, bytes: &[u8]) -> Result<Manifest, ManifestError> {
        let size = bytes.len() as u64;
        if size > MAX_MANIFEST_BYTES {
            return Err(ManifestError::TooLarge {
                name: name.to_owned(),
                size,
                limit: MAX_MANIFEST_BYTES,
            });
        }
        let text = std::str::from_utf8(bytes).map_err(|_| ManifestError::NotUtf8 {
            name: name.to_owned(),
        })?;
        Self::parse(name, text)
    }

    /// Reads and validates the manifest at `path`, refusing oversized files before reading them.
    pub fn load(path: &Path) -> Result<Manifest, ManifestError> {
        Self::load_named(path, &path.display().to_string())
    }

    /// Like [`Manifest::load`], calling the file `name` in diagnostics (a path relative to
    /// where the user is, say).
    pub fn load_named(path: &Path, name: &str) -> Result<Manifest, ManifestError> {
        let read_error = |source| ManifestError::Read {
            path: path.to_owned(),
            source,
        };
        let size = std::fs::metadata(path).map_err(read_error)?.len();
        let name = name.to_owned();
        if size > MAX_MANIFEST_BYTES {
            return Err(ManifestError::TooLarge {
                name,
                size,
                limit: MAX_MANIFEST_BYTES,
            });
        }
        let bytes = std::fs::read(path).map_err(read_error)?;
        Self::parse_bytes(&name, &bytes)
    }
}
