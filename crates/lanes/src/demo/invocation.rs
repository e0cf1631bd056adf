//! How the user can start this lanes from where they are: `lanes` when their `PATH` finds this
//! same executable, else its path, shell-quoted; with `-C DIR` for another directory.

use std::path::{Path, PathBuf};

use crate::output::escaped;

/// The words that start this executable from the user's shell.
pub(crate) fn lanes_invocation() -> String {
    let Ok(exe) = std::env::current_exe() else {
        return "lanes".to_owned();
    };
    let exe = exe.canonicalize().unwrap_or(exe);
    if found_on_path("lanes").is_some_and(|found| found == exe) {
        "lanes".to_owned()
    } else {
        shell_quoted(&exe.to_string_lossy())
    }
}

/// `lanes` run in `dir` from the current directory: `-C DIR` unless that is where the user is.
pub(crate) fn lanes_in(lanes: &str, dir: &Path) -> String {
    let here = std::env::current_dir().and_then(std::fs::canonicalize).ok();
    if here.as_deref() == Some(dir) {
        lanes.to_owned()
    } else {
        format!("{lanes} -C {}", shell_quoted(&dir.to_string_lossy()))
    }
}

/// The executable the shell runs for `name`: the first on the `PATH`, symlinks resolved.
fn found_on_path(name: &str) -> Option<PathBuf> {
    use std::os::unix::fs::PermissionsExt as _;
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|candidate| {
            std::fs::metadata(candidate)
                .is_ok_and(|meta| meta.is_file() && meta.permissions().mode() & 0o111 != 0)
        })
        .and_then(|found| found.canonicalize().ok())
}

/// A word the shell reads back as `text`. Control characters are escaped instead: they must
/// not reach the terminal, and such a path is no command to copy anyway.
pub(crate) fn shell_quoted(text: &str) -> String {
    if text.chars().any(char::is_control) {
        return escaped(text);
    }
    let plain = |c: char| c.is_ascii_alphanumeric() || "/._-+,:@%=".contains(c);
    if !text.is_empty() && text.chars().all(plain) {
        text.to_owned()
    } else {
        format!("'{}'", text.replace('\'', r"'\''"))
    }
}
