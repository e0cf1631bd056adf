//! Merges and cherry-picks computed by `git merge-tree`, without a work tree: several changes
//! can be merged at once, and nothing is ever left half-merged on disk.

use crate::{CommitId, GitError, Repo};

/// Who lanes writes commits as: `(name, email)`.
pub type Identity<'a> = (&'a str, &'a str);

/// How a merge or cherry-pick came out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MergeOutcome {
    /// The result: a new commit, `other` itself (a fast-forward), or `base` when it already
    /// held `other`.
    Clean(CommitId),
    /// The two sides change the same lines of these files.
    Conflict { files: Vec<String> },
}

impl Repo {
    /// Merges `other` into `base`. With `fast_forward`, `other` itself is the result when it
    /// descends from `base`; otherwise (or without it) a merge commit with `base` as first
    /// parent. `base` is the result when it already holds `other`.
    pub fn merge(
        &self,
        base: CommitId,
        other: CommitId,
        fast_forward: bool,
        message: &str,
        identity: Identity<'_>,
    ) -> Result<MergeOutcome, GitError> {
        if self.is_ancestor(other, base)? {
            return Ok(MergeOutcome::Clean(base));
        }
        if fast_forward && self.is_ancestor(base, other)? {
            return Ok(MergeOutcome::Clean(other));
        }
        let tree = match self.merged_tree(None, base, other)? {
            Ok(tree) => tree,
            Err(files) => return Ok(MergeOutcome::Conflict { files }),
        };
        let commit = self.commit_tree(
            &tree,
            &[base, other],
            message,
            &identity_env(identity, identity, None),
        )?;
        Ok(MergeOutcome::Clean(commit))
    }

    /// Applies the change `commit` made (against its first parent) on top of `onto`, as a new
    /// commit keeping its author and message, noting where it came from.
    pub fn cherry_pick(
        &self,
        onto: CommitId,
        commit: CommitId,
        committer: Identity<'_>,
    ) -> Result<MergeOutcome, GitError> {
        let parent = self.commit_info(commit)?.parents.first().copied();
        let tree = match self.merged_tree(parent, onto, commit)? {
            Ok(tree) => tree,
            Err(files) => return Ok(MergeOutcome::Conflict { files }),
        };
        let described = self.git(&[
            "show",
            "--no-patch",
            "--format=%an%x00%ae%x00%aI%x00%B",
            &commit.to_string(),
        ])?;
        let mut parts = described.splitn(4, '\0');
        let (name, email, date, message) = (
            parts.next().unwrap_or_default(),
            parts.next().unwrap_or_default(),
            parts.next().unwrap_or_default(),
            parts.next().unwrap_or_default(),
        );
        let message = format!(
            "{}\n\n(cherry picked from commit {commit})\n",
            message.trim_end()
        );
        let env = identity_env((name, email), committer, Some(date));
        let picked = self.commit_tree(&tree, &[onto], &message, &env)?;
        Ok(MergeOutcome::Clean(picked))
    }

    /// The tree of merging `theirs` into `ours` (from `base`, else their merge base), or the
    /// conflicting files.
    fn merged_tree(
        &self,
        base: Option<CommitId>,
        ours: CommitId,
        theirs: CommitId,
    ) -> Result<Result<String, Vec<String>>, GitError> {
        let base_arg = base.map(|base| format!("--merge-base={base}"));
        let mut args = vec![
            "merge-tree",
            "--write-tree",
            "--name-only",
            "--no-messages",
            "-z",
        ];
        if let Some(base_arg) = &base_arg {
            args.push(base_arg);
        }
        let (ours, theirs) = (ours.to_string(), theirs.to_string());
        args.extend([ours.as_str(), theirs.as_str()]);
        let merged = self.git_unchecked(&args, &[])?;
        let mut fields = merged.stdout.split('\0').filter(|field| !field.is_empty());
        let tree = fields.next().unwrap_or_default().to_owned();
        match merged.code {
            Some(0) => Ok(Ok(tree)),
            Some(1) => {
                let mut files: Vec<String> = fields.map(str::to_owned).collect();
                files.dedup();
                Ok(Err(files))
            }
            _ => Err(merged.failure),
        }
    }

    fn commit_tree(
        &self,
        tree: &str,
        parents: &[CommitId],
        message: &str,
        env: &[(&str, &str)],
    ) -> Result<CommitId, GitError> {
        let parents: Vec<String> = parents.iter().map(ToString::to_string).collect();
        let mut args = vec!["commit-tree", tree];
        for parent in &parents {
            args.extend(["-p", parent.as_str()]);
        }
        // The message goes through stdin: it may hold anything a person wrote.
        args.extend(["-F", "-"]);
        let id = self.git_with(&args, env, Some(message.as_bytes()))?;
        self.resolve_commit(id.trim())
    }
}

fn identity_env<'a>(
    author: Identity<'a>,
    committer: Identity<'a>,
    author_date: Option<&'a str>,
) -> Vec<(&'static str, &'a str)> {
    let mut env = vec![
        ("GIT_AUTHOR_NAME", author.0),
        ("GIT_AUTHOR_EMAIL", author.1),
        ("GIT_COMMITTER_NAME", committer.0),
        ("GIT_COMMITTER_EMAIL", committer.1),
    ];
    if let Some(date) = author_date {
        env.push(("GIT_AUTHOR_DATE", date));
    }
    env
}
