//! Everything that can go wrong reading or writing a repository.

use std::fmt::Write as _;
use std::path::PathBuf;
use std::process::ExitStatus;

use crate::CommitId;

/// A failed git operation; messages read after "failed to ...".
///
/// Variants with a `source` leave it out of their message: report the whole chain (miette,
/// anyhow's `{:#}`) to show it.
#[derive(Debug, thiserror::Error)]
pub enum GitError {
    /// No repository at (or, for discovery, above) the path.
    #[error("open {}: not a git repository", path.display())]
    NotARepository {
        /// The directory that was searched from.
        path: PathBuf,
    },
    /// The repository exists but could not be opened.
    #[error("open the git repository at {}: {message}", path.display())]
    Open {
        /// The directory that was opened.
        path: PathBuf,
        /// What gix reported.
        message: String,
    },
    /// A revision that names nothing in this repository.
    #[error("resolve revision `{rev}`: {message}{}", shallow_revision_hint(rev, *shallow))]
    UnknownRevision {
        /// The revision as given.
        rev: String,
        /// What the lookup reported.
        message: String,
        /// The repository is a shallow clone, so the revision may exist upstream but not here.
        shallow: bool,
    },
    /// A revision that names a tree or blob instead of a commit.
    #[error("resolve revision `{rev}`: it names a {kind}, not a commit")]
    NotACommit {
        /// The revision as given.
        rev: String,
        /// The kind of object it names (`tree`, `blob`).
        kind: String,
    },
    /// Two commits without a common ancestor in the available history.
    #[error(
        "find a merge base of {} and {}: {}",
        a.short(),
        b.short(),
        no_merge_base_cause(*shallow)
    )]
    NoMergeBase {
        /// The first commit.
        a: CommitId,
        /// The second commit.
        b: CommitId,
        /// The repository is a shallow clone, so the base is likely just not fetched.
        shallow: bool,
    },
    /// `git` ran and exited unsuccessfully.
    #[error("run `git {}` in {}: {status}{}", display_args(args), dir.display(), display_stderr(stderr))]
    Command {
        /// The arguments after `git`.
        args: Vec<String>,
        /// The directory git ran in.
        dir: PathBuf,
        /// How git exited.
        status: ExitStatus,
        /// What git wrote to stderr (stdout when stderr was empty).
        stderr: String,
    },
    /// `git` could not be started or talked to.
    #[error("run `git {}` in {}", display_args(args), dir.display())]
    Spawn {
        /// The arguments after `git`.
        args: Vec<String>,
        /// The directory git was to run in.
        dir: PathBuf,
        /// Why spawning or piping failed.
        source: std::io::Error,
    },
    /// A file system operation failed.
    #[error("access {}", path.display())]
    Io {
        /// The path that was accessed.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// Reading objects or refs failed (a corrupt or incomplete object database).
    #[error("{context}: {message}")]
    Read {
        /// What was being read, e.g. "read the tree of commit abc1234".
        context: String,
        /// What gix reported.
        message: String,
    },
}

impl GitError {
    /// Wraps a gix error with what we were doing when it happened.
    pub(crate) fn read(context: impl Into<String>, error: &gix::Error) -> Self {
        GitError::Read {
            context: context.into(),
            message: gix_message(error),
        }
    }
}

/// The most specific cause in a gix error, as one lowercase message.
pub(crate) fn gix_message(error: &gix::Error) -> String {
    lowercase_first(&error.probable_cause().to_string())
}

/// Lowercases a leading capital unless it starts an acronym ("Could" but not "HEAD").
fn lowercase_first(text: &str) -> String {
    let mut chars = text.chars();
    match (chars.next(), chars.next()) {
        (Some(first), Some(second)) if first.is_uppercase() && !second.is_uppercase() => first
            .to_lowercase()
            .chain(text[first.len_utf8()..].chars())
            .collect(),
        _ => text.to_owned(),
    }
}

fn shallow_revision_hint(rev: &str, shallow: bool) -> String {
    if !shallow {
        return String::new();
    }
    let mut hint = " (this is a shallow clone, so the commit may not have been fetched: fetch the \
                    history with `git fetch --unshallow`"
        .to_owned();
    // Only a plain name or a full id can be fetched by itself; `main~3` and `abc1234` cannot.
    let abbreviated_id = rev.len() < 40 && rev.chars().all(|c| c.is_ascii_hexdigit());
    let plain =
        !rev.is_empty() && !abbreviated_id && !rev.contains(['~', '^', ':', '@', '{', '.', ' ']);
    if plain {
        let name = rev.strip_prefix("origin/").unwrap_or(rev);
        let _ = write!(
            hint,
            ", or just this revision with `git fetch origin {name}`"
        );
    }
    hint.push(')');
    hint
}

fn no_merge_base_cause(shallow: bool) -> &'static str {
    if shallow {
        "the base is missing from this shallow clone, whose history is incomplete; fetch the \
         history with `git fetch --unshallow` (or fetch the base branch)"
    } else {
        "the two commits share no history (unrelated histories)"
    }
}

fn display_args(args: &[String]) -> String {
    let mut out = String::new();
    for (index, arg) in args.iter().enumerate() {
        if index > 0 {
            out.push(' ');
        }
        let plain = !arg.is_empty()
            && arg
                .chars()
                .all(|c| c.is_alphanumeric() || "-_./=:@^~+,%".contains(c));
        if plain {
            out.push_str(arg);
        } else {
            let _ = write!(out, "{arg:?}");
        }
    }
    out
}

fn display_stderr(stderr: &str) -> String {
    let stderr = stderr.trim();
    if stderr.is_empty() {
        String::new()
    } else {
        format!(": {stderr}")
    }
}
