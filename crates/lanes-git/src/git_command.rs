//! Writes through the `git` command line, so users' hooks, credentials and config apply.

use std::io::Write as _;
use std::path::Path;
use std::process::{Command, Stdio};

use crate::{CommitId, GitError, Repo};

impl Repo {
    /// Runs `git` with `args` in the work tree (the git directory if bare) and returns its
    /// stdout, lossily decoded.
    pub fn git(&self, args: &[&str]) -> Result<String, GitError> {
        run(self.command_dir(), args, &[], None)
    }

    /// Runs `git` with `args` and extra environment; a non-zero exit is not an error but
    /// returned, with stdout and stderr, for the caller to read.
    pub(crate) fn git_unchecked(
        &self,
        args: &[&str],
        env: &[(&str, &str)],
    ) -> Result<Unchecked, GitError> {
        let dir = self.command_dir();
        let output = Command::new("git")
            .args(args)
            .current_dir(dir)
            .envs(env.iter().copied())
            .stdin(Stdio::null())
            .output()
            .map_err(|source| GitError::Spawn {
                args: owned(args),
                dir: dir.to_path_buf(),
                source,
            })?;
        Ok(Unchecked {
            success: output.status.success(),
            code: output.status.code(),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
            failure: GitError::Command {
                args: owned(args),
                dir: dir.to_path_buf(),
                status: output.status,
                stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
            },
        })
    }

    /// Runs `git` with `args`, extra environment and `stdin`; a non-zero exit is an error.
    pub(crate) fn git_with(
        &self,
        args: &[&str],
        env: &[(&str, &str)],
        stdin: Option<&[u8]>,
    ) -> Result<String, GitError> {
        run(self.command_dir(), args, env, stdin)
    }

    /// Creates a repository in `dir` (made if missing) whose first branch is `default_branch`.
    pub fn init(dir: &Path, default_branch: &str) -> Result<Repo, GitError> {
        std::fs::create_dir_all(dir).map_err(|source| GitError::Io {
            path: dir.to_path_buf(),
            source,
        })?;
        run(dir, &["init", "--quiet", "-b", default_branch], &[], None)?;
        Repo::open(dir)
    }

    /// Stages every change in the work tree and commits it with `message`; `author` (name,
    /// email) sets both author and committer. An empty commit is an error. Returns the new
    /// `HEAD`.
    pub fn commit_all(
        &self,
        message: &str,
        author: Option<(&str, &str)>,
    ) -> Result<CommitId, GitError> {
        let dir = self.command_dir();
        run(dir, &["add", "--all"], &[], None)?;
        let identity: Vec<(&str, &str)> = match author {
            Some((name, email)) => vec![
                ("GIT_AUTHOR_NAME", name),
                ("GIT_AUTHOR_EMAIL", email),
                ("GIT_COMMITTER_NAME", name),
                ("GIT_COMMITTER_EMAIL", email),
            ],
            None => Vec::new(),
        };
        // The message goes through stdin: argv caps one argument at 128 KiB on Linux.
        run(
            dir,
            &["commit", "--quiet", "--file=-"],
            &identity,
            Some(message.as_bytes()),
        )?;
        self.resolve_commit("HEAD")
    }
}

/// What a `git` call that may fail said.
pub(crate) struct Unchecked {
    pub(crate) success: bool,
    pub(crate) code: Option<i32>,
    pub(crate) stdout: String,
    pub(crate) stderr: String,
    /// The error to report when the failure is not one the caller expects.
    pub(crate) failure: GitError,
}

/// Runs `git args` in `dir` with extra `env`, feeding `stdin`; non-zero exit is an error.
fn run(
    dir: &Path,
    args: &[&str],
    env: &[(&str, &str)],
    stdin: Option<&[u8]>,
) -> Result<String, GitError> {
    let spawn_error = |source| GitError::Spawn {
        args: owned(args),
        dir: dir.to_path_buf(),
        source,
    };
    let mut child = Command::new("git")
        .args(args)
        .current_dir(dir)
        .envs(env.iter().copied())
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(spawn_error)?;
    if let Some(input) = stdin {
        // Dropping the handle at the end of this block closes git's stdin.
        let mut pipe = child.stdin.take().expect("stdin was piped");
        pipe.write_all(input).map_err(spawn_error)?;
    }
    let output = child.wait_with_output().map_err(spawn_error)?;
    if output.status.success() {
        Ok(String::from_utf8_lossy(&output.stdout).into_owned())
    } else {
        Err(GitError::Command {
            args: owned(args),
            dir: dir.to_path_buf(),
            status: output.status,
            // Some failures, like "nothing to commit", are explained on stdout only.
            stderr: String::from_utf8_lossy(if output.stderr.trim_ascii().is_empty() {
                &output.stdout
            } else {
                &output.stderr
            })
            .into_owned(),
        })
    }
}

fn owned(args: &[&str]) -> Vec<String> {
    args.iter().map(|&arg| arg.to_owned()).collect()
}
