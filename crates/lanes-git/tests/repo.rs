//! `Repo` against real repositories made with the git command line in temporary directories.

use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};
use std::process::Command;

use lanes_git::{Change, ChangeKind, CommitId, GitError, Repo};
use tempfile::TempDir;

/// A temporary directory holding a repository at `repo/`, driven through the git command line
/// with an environment that ignores the machine's and user's git configuration.
struct Fixture {
    tmp: TempDir,
}

impl Fixture {
    fn new() -> Fixture {
        let fixture = Fixture {
            tmp: tempfile::tempdir().expect("create a temporary directory"),
        };
        fixture.git(&["init", "--quiet", "-b", "main", "repo"]);
        fixture.git_in("repo", &["config", "commit.gpgsign", "false"]);
        fixture
    }

    fn root(&self) -> &Path {
        self.tmp.path()
    }

    fn dir(&self) -> PathBuf {
        self.root().join("repo")
    }

    fn repo(&self) -> Repo {
        Repo::open(&self.dir()).expect("open the fixture repository")
    }

    /// Runs git in the temporary directory; panics with stderr on failure.
    fn git(&self, args: &[&str]) -> String {
        run_git(self.root(), self.root(), args)
    }

    /// Runs git in `dir`, relative to the temporary directory.
    fn git_in(&self, dir: &str, args: &[&str]) -> String {
        run_git(self.root(), &self.root().join(dir), args)
    }

    fn write(&self, path: &str, content: &str) -> &Fixture {
        let path = self.dir().join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, content).unwrap();
        self
    }

    fn remove(&self, path: &str) -> &Fixture {
        let path = self.dir().join(path);
        if path.is_dir() {
            std::fs::remove_dir_all(path).unwrap();
        } else {
            std::fs::remove_file(path).unwrap();
        }
        self
    }

    fn rename(&self, from: &str, to: &str) -> &Fixture {
        std::fs::rename(self.dir().join(from), self.dir().join(to)).unwrap();
        self
    }

    fn make_executable(&self, path: &str) -> &Fixture {
        let path = self.dir().join(path);
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
        self
    }

    fn symlink(&self, path: &str, target: &str) -> &Fixture {
        std::os::unix::fs::symlink(target, self.dir().join(path)).unwrap();
        self
    }

    /// Commits everything and returns the new commit's full id.
    fn commit(&self, message: &str) -> String {
        self.git_in("repo", &["add", "--all"]);
        self.git_in(
            "repo",
            &["commit", "--quiet", "--allow-empty", "-m", message],
        );
        self.git_in("repo", &["rev-parse", "HEAD"])
    }

    fn id(&self, rev: &str) -> CommitId {
        self.repo()
            .resolve_commit(rev)
            .expect("resolve the revision")
    }
}

fn run_git(home: &Path, dir: &Path, args: &[&str]) -> String {
    let output = Command::new("git")
        .args(args)
        .current_dir(dir)
        .env("HOME", home)
        .env("XDG_CONFIG_HOME", home)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env_remove("GIT_DIR")
        .env_remove("GIT_WORK_TREE")
        .env("GIT_AUTHOR_NAME", "Ada")
        .env("GIT_AUTHOR_EMAIL", "ada@example.invalid")
        .env("GIT_COMMITTER_NAME", "Ada")
        .env("GIT_COMMITTER_EMAIL", "ada@example.invalid")
        .output()
        .expect("run git");
    assert!(
        output.status.success(),
        "git {args:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout)
        .unwrap()
        .trim_end()
        .to_owned()
}

fn change(path: &str, kind: ChangeKind) -> Change {
    Change {
        path: path.to_owned(),
        kind,
    }
}

fn paths(changes: &[Change]) -> Vec<&str> {
    changes.iter().map(|change| change.path.as_str()).collect()
}

#[test]
fn resolves_branches_tags_short_ids_and_ancestry() {
    let f = Fixture::new();
    let first = f.write("a.txt", "1").commit("first");
    let second = f.write("a.txt", "2").commit("second");
    f.git_in("repo", &["tag", "-a", "v1", "-m", "annotated", &first]);
    f.git_in("repo", &["tag", "light", &first]);
    let repo = f.repo();

    assert_eq!(repo.resolve_commit("main").unwrap().to_string(), second);
    assert_eq!(repo.resolve_commit("HEAD").unwrap().to_string(), second);
    assert_eq!(repo.resolve_commit("v1").unwrap().to_string(), first);
    assert_eq!(repo.resolve_commit("light").unwrap().to_string(), first);
    assert_eq!(repo.resolve_commit(&first[..8]).unwrap().to_string(), first);
    assert_eq!(repo.resolve_commit("HEAD~1").unwrap().to_string(), first);
    assert_eq!(
        repo.resolve_commit("v1^{commit}").unwrap().to_string(),
        first
    );
}

#[test]
fn commit_id_displays_full_and_short_hex() {
    let f = Fixture::new();
    let id = f.write("a.txt", "1").commit("first");
    let commit = f.id("HEAD");
    assert_eq!(commit.to_string(), id);
    assert_eq!(commit.short(), id[..7]);
}

#[test]
fn unknown_revision_error_names_the_revision() {
    let f = Fixture::new();
    f.write("a.txt", "1").commit("first");
    let error = f.repo().resolve_commit("no-such-branch").unwrap_err();
    assert!(
        matches!(&error, GitError::UnknownRevision { rev, shallow: false, .. } if rev == "no-such-branch"),
        "{error:?}"
    );
    assert_eq!(
        error.to_string(),
        "resolve revision `no-such-branch`: no branch, tag or commit has that name"
    );
}

#[test]
fn missing_full_commit_id_is_an_unknown_revision() {
    let f = Fixture::new();
    f.write("a.txt", "1").commit("first");
    let missing = "0123456789abcdef0123456789abcdef01234567";
    let error = f.repo().resolve_commit(missing).unwrap_err();
    assert!(
        matches!(&error, GitError::UnknownRevision { rev, .. } if rev == missing),
        "{error:?}"
    );
}

#[test]
fn revision_naming_a_tree_is_not_a_commit() {
    let f = Fixture::new();
    f.write("a.txt", "1").commit("first");
    let error = f.repo().resolve_commit("HEAD^{tree}").unwrap_err();
    assert!(
        matches!(&error, GitError::NotACommit { kind, .. } if kind == "tree"),
        "{error:?}"
    );
    assert_eq!(
        error.to_string(),
        "resolve revision `HEAD^{tree}`: it names a tree, not a commit"
    );
}

#[test]
fn merge_base_is_the_fork_point() {
    let f = Fixture::new();
    f.write("a.txt", "1").commit("first");
    let fork = f.write("a.txt", "2").commit("fork point");
    f.git_in("repo", &["checkout", "--quiet", "-b", "feature"]);
    f.write("b.txt", "feature").commit("on feature");
    f.git_in("repo", &["checkout", "--quiet", "main"]);
    f.write("c.txt", "main").commit("on main");

    let repo = f.repo();
    let main = repo.resolve_commit("main").unwrap();
    let feature = repo.resolve_commit("feature").unwrap();
    assert_eq!(repo.merge_base(main, feature).unwrap().to_string(), fork);
    assert_eq!(repo.merge_base(feature, main).unwrap().to_string(), fork);
    let fork = repo.resolve_commit(&fork).unwrap();
    assert_eq!(repo.merge_base(fork, main).unwrap(), fork);
}

#[test]
fn unrelated_histories_share_no_merge_base() {
    let f = Fixture::new();
    f.write("a.txt", "1").commit("first");
    f.git_in("repo", &["checkout", "--quiet", "--orphan", "other"]);
    f.write("b.txt", "other").commit("unrelated root");

    let repo = f.repo();
    let (main, other) = (
        repo.resolve_commit("main").unwrap(),
        repo.resolve_commit("other").unwrap(),
    );
    let error = repo.merge_base(main, other).unwrap_err();
    assert!(
        matches!(error, GitError::NoMergeBase { shallow: false, .. }),
        "{error:?}"
    );
    assert_eq!(
        error.to_string(),
        format!(
            "find a merge base of {} and {}: the two commits share no history (unrelated histories)",
            main.short(),
            other.short()
        )
    );
}

#[test]
fn changes_lists_added_modified_and_deleted_files_sorted() {
    let f = Fixture::new();
    f.write("keep.txt", "same")
        .write("edit.txt", "before")
        .write("gone.txt", "bye")
        .write("src/deep/nested/file.rs", "fn a() {}");
    let from = f.commit("from");
    f.write("edit.txt", "after")
        .remove("gone.txt")
        .write("new.txt", "hello")
        .write("src/deep/nested/file.rs", "fn b() {}")
        .write("src/deep/other/added.rs", "x");
    let to = f.commit("to");

    let repo = f.repo();
    let changes = repo.changes(f.id(&from), f.id(&to)).unwrap();
    assert_eq!(
        changes,
        vec![
            change("edit.txt", ChangeKind::Modified),
            change("gone.txt", ChangeKind::Deleted),
            change("new.txt", ChangeKind::Added),
            change("src/deep/nested/file.rs", ChangeKind::Modified),
            change("src/deep/other/added.rs", ChangeKind::Added),
        ]
    );
    assert!(repo.changes(f.id(&to), f.id(&to)).unwrap().is_empty());
}

#[test]
fn changes_lists_a_rename_as_delete_and_add() {
    let f = Fixture::new();
    f.write("old/name.txt", "content that stays the same");
    let from = f.commit("from");
    std::fs::create_dir_all(f.dir().join("new")).unwrap();
    f.rename("old/name.txt", "new/name.txt");
    let to = f.commit("moved");

    let changes = f.repo().changes(f.id(&from), f.id(&to)).unwrap();
    assert_eq!(
        changes,
        vec![
            change("new/name.txt", ChangeKind::Added),
            change("old/name.txt", ChangeKind::Deleted),
        ]
    );
}

#[test]
fn changes_counts_a_mode_change_as_modified() {
    let f = Fixture::new();
    f.write("run.sh", "echo hi").write("link", "plain file");
    let from = f.commit("from");
    f.make_executable("run.sh")
        .remove("link")
        .symlink("link", "run.sh");
    let to = f.commit("chmod and symlink");

    let changes = f.repo().changes(f.id(&from), f.id(&to)).unwrap();
    assert_eq!(
        changes,
        vec![
            change("link", ChangeKind::Modified),
            change("run.sh", ChangeKind::Modified),
        ]
    );
}

#[test]
fn changes_handles_spaces_unicode_and_newlines_in_paths() {
    let f = Fixture::new();
    f.write("plain.txt", "x");
    let from = f.commit("from");
    f.write("dir with space/file name.txt", "a")
        .write("ünïcödé/日本.txt", "b")
        .write("odd/line\nbreak.txt", "c");
    let to = f.commit("odd names");

    let changes = f.repo().changes(f.id(&from), f.id(&to)).unwrap();
    assert_eq!(
        paths(&changes),
        vec![
            "dir with space/file name.txt",
            "odd/line\nbreak.txt",
            "ünïcödé/日本.txt"
        ]
    );
    assert!(changes.iter().all(|c| c.kind == ChangeKind::Added));
}

#[test]
fn changes_never_lists_directories() {
    let f = Fixture::new();
    f.write("a/b/c.txt", "1").write("thing", "a file");
    let from = f.commit("from");
    f.remove("a")
        .remove("thing")
        .write("thing/inside.txt", "now a directory");
    let to = f.commit("directory swap");

    let changes = f.repo().changes(f.id(&from), f.id(&to)).unwrap();
    assert_eq!(
        changes,
        vec![
            change("a/b/c.txt", ChangeKind::Deleted),
            change("thing", ChangeKind::Deleted),
            change("thing/inside.txt", ChangeKind::Added),
        ]
    );
    let back = f.repo().changes(f.id(&to), f.id(&from)).unwrap();
    assert_eq!(
        back,
        vec![
            change("a/b/c.txt", ChangeKind::Added),
            change("thing", ChangeKind::Added),
            change("thing/inside.txt", ChangeKind::Deleted),
        ]
    );
}

#[test]
fn changes_from_an_empty_root_commit() {
    let f = Fixture::new();
    let empty = f.commit("empty");
    let full = f.write("a.txt", "1").write("d/b.txt", "2").commit("files");

    let changes = f.repo().changes(f.id(&empty), f.id(&full)).unwrap();
    assert_eq!(paths(&changes), vec!["a.txt", "d/b.txt"]);
}

#[test]
fn changes_match_git_diff_no_renames() {
    let f = Fixture::new();
    for i in 0..30 {
        f.write(&format!("c{}/f{i}.txt", i % 4), &i.to_string());
    }
    let from = f.commit("from");
    for i in (0..30).step_by(3) {
        f.write(&format!("c{}/f{i}.txt", i % 4), "changed");
    }
    f.remove("c1").write("c9/new.txt", "new");
    let to = f.commit("to");

    let git = f.git_in(
        "repo",
        &["diff", "--no-renames", "--name-only", "-z", &from, &to],
    );
    let mut expected: Vec<&str> = git.split('\0').filter(|p| !p.is_empty()).collect();
    expected.sort_unstable();
    let changes = f.repo().changes(f.id(&from), f.id(&to)).unwrap();
    assert_eq!(paths(&changes), expected);
}

#[test]
fn file_at_reads_content_or_none() {
    let f = Fixture::new();
    f.write("dir/a.txt", "first").symlink("link", "dir/a.txt");
    let first = f.commit("first");
    f.write("dir/a.txt", "second");
    let second = f.commit("second");

    let repo = f.repo();
    assert_eq!(
        repo.file_at(f.id(&first), "dir/a.txt").unwrap(),
        Some(b"first".to_vec())
    );
    assert_eq!(
        repo.file_at(f.id(&second), "dir/a.txt").unwrap(),
        Some(b"second".to_vec())
    );
    assert_eq!(
        repo.file_at(f.id(&first), "link").unwrap(),
        Some(b"dir/a.txt".to_vec())
    );
    assert_eq!(repo.file_at(f.id(&first), "missing.txt").unwrap(), None);
    assert_eq!(repo.file_at(f.id(&first), "dir/a.txt/below").unwrap(), None);
    assert_eq!(repo.file_at(f.id(&first), "dir").unwrap(), None);
}

#[test]
fn entries_under_walks_only_the_given_directories() {
    let f = Fixture::new();
    f.write("src/Fhir/a.cs", "a")
        .write("src/Fhir/sub/b.cs", "b")
        .write("src/Fhirish/c.cs", "c")
        .write("src/Other/d.cs", "d")
        .write("global.json", "{}");
    let head = f.commit("tree");
    let repo = f.repo();
    let commit = f.id(&head);
    let under = |prefixes: &[&str]| -> Vec<String> {
        repo.entries_under(commit, prefixes)
            .unwrap()
            .into_iter()
            .map(|entry| entry.path)
            .collect()
    };

    assert_eq!(under(&["src/Fhir"]), ["src/Fhir/a.cs", "src/Fhir/sub/b.cs"]);
    assert_eq!(
        under(&["src/Fhir/"]),
        ["src/Fhir/a.cs", "src/Fhir/sub/b.cs"]
    );
    assert_eq!(
        under(&["src/Fhir/sub", "src", "src/Fhir"]),
        [
            "src/Fhir/a.cs",
            "src/Fhir/sub/b.cs",
            "src/Fhirish/c.cs",
            "src/Other/d.cs"
        ]
    );
    assert_eq!(
        under(&["src/Other", "global.json"]),
        ["global.json", "src/Other/d.cs"]
    );
    assert!(under(&["nope", "src/Fhir/missing", "global.json/x"]).is_empty());
    assert!(under(&[]).is_empty());
    assert_eq!(under(&[""]), repo.tracked_paths(commit).unwrap());
    assert_eq!(under(&["", "src"]).len(), 5);
}

#[test]
fn entries_under_matches_git_ls_tree() {
    let f = Fixture::new();
    f.write("b/x.txt", "x")
        .write("a.b", "dot sorts before slash")
        .write("a/y.txt", "y")
        .write("space dir/z z.txt", "z")
        .write("run.sh", "echo")
        .make_executable("run.sh")
        .symlink("link", "a/y.txt");
    let head = f.commit("tree");

    let expected = f.git_in("repo", &["ls-tree", "-r", "-z", &head]);
    let expected: Vec<String> = expected
        .split('\0')
        .filter(|line| !line.is_empty())
        .map(|line| line.replacen(" blob ", " ", 1))
        .collect();
    let actual: Vec<String> = f
        .repo()
        .entries_under(f.id(&head), &[""])
        .unwrap()
        .into_iter()
        .map(|entry| format!("{:06o} {}\t{}", entry.mode, entry.id, entry.path))
        .collect();
    assert_eq!(actual, expected);
}

#[test]
fn entry_ids_are_blob_ids() {
    let f = Fixture::new();
    let head = f.write("a.txt", "hello\n").commit("one");
    let entries = f.repo().entries_under(f.id(&head), &["a.txt"]).unwrap();
    assert_eq!(entries.len(), 1);
    let blob = f.git_in("repo", &["rev-parse", "HEAD:a.txt"]);
    assert_eq!(entries[0].id.to_string(), blob);
    assert_eq!(entries[0].id.as_bytes().len(), 20);
    assert_eq!(entries[0].mode, 0o100_644);
}

#[test]
fn tracked_paths_lists_every_file() {
    let f = Fixture::new();
    let head = f
        .write("z.txt", "z")
        .write("a/b/c.txt", "c")
        .write("odd\nname", "n")
        .commit("files");
    assert_eq!(
        f.repo().tracked_paths(f.id(&head)).unwrap(),
        ["a/b/c.txt", "odd\nname", "z.txt"]
    );
}

#[test]
fn shallow_clone_names_the_missing_history_and_the_fix() {
    let f = Fixture::new();
    let base = f.write("a.txt", "1").commit("base");
    f.write("a.txt", "2").commit("main 2");
    f.git_in("repo", &["checkout", "--quiet", "-b", "feature", &base]);
    f.write("b.txt", "feature").commit("feature");
    f.git_in("repo", &["checkout", "--quiet", "main"]);
    let url = format!("file://{}", f.dir().display());
    f.git(&[
        "clone", "--quiet", "--depth", "1", "--branch", "main", &url, "shallow",
    ]);
    f.git_in(
        "shallow",
        &[
            "fetch",
            "--quiet",
            "--depth",
            "1",
            "origin",
            "feature:feature",
        ],
    );

    let repo = Repo::open(&f.root().join("shallow")).unwrap();
    assert!(repo.is_shallow());
    assert!(!f.repo().is_shallow());

    let error = repo.resolve_commit(&base).unwrap_err();
    assert!(
        matches!(error, GitError::UnknownRevision { shallow: true, .. }),
        "{error:?}"
    );
    let message = error.to_string();
    assert!(message.contains("shallow clone"), "{message}");
    assert!(message.contains("git fetch --unshallow"), "{message}");
    assert!(
        message.contains(&format!("git fetch origin {base}")),
        "{message}"
    );

    let main = repo.resolve_commit("main").unwrap();
    let feature = repo.resolve_commit("feature").unwrap();
    let error = repo.merge_base(main, feature).unwrap_err();
    assert!(
        matches!(error, GitError::NoMergeBase { shallow: true, .. }),
        "{error:?}"
    );
    let message = error.to_string();
    assert!(
        message.contains("missing from this shallow clone"),
        "{message}"
    );
    assert!(message.contains("git fetch --unshallow"), "{message}");
}

#[test]
fn discover_finds_the_top_level_from_a_subdirectory() {
    let f = Fixture::new();
    f.write("deep/er/file.txt", "x").commit("one");
    let repo = Repo::discover(&f.dir().join("deep/er")).unwrap();
    let top = f.dir().canonicalize().unwrap();
    assert_eq!(repo.workdir().unwrap().canonicalize().unwrap(), top);
    assert!(!repo.is_shallow());
}

#[test]
fn open_requires_the_repository_root() {
    let f = Fixture::new();
    f.write("sub/file.txt", "x").commit("one");
    let error = Repo::open(&f.dir().join("sub")).unwrap_err();
    assert!(
        matches!(error, GitError::NotARepository { .. }),
        "{error:?}"
    );
}

#[test]
fn discover_outside_a_repository_fails() {
    let tmp = tempfile::tempdir().unwrap();
    let error = Repo::discover(tmp.path()).unwrap_err();
    assert!(
        matches!(&error, GitError::NotARepository { path } if path == tmp.path()),
        "{error:?}"
    );
    assert!(
        error.to_string().ends_with("not a git repository"),
        "{error}"
    );
}

#[test]
fn bare_repository_has_no_workdir() {
    let f = Fixture::new();
    f.write("a.txt", "1").commit("one");
    let url = format!("file://{}", f.dir().display());
    f.git(&["clone", "--quiet", "--bare", &url, "bare.git"]);
    let repo = Repo::open(&f.root().join("bare.git")).unwrap();
    assert_eq!(repo.workdir(), None);
    assert_eq!(
        repo.git(&["rev-parse", "--is-bare-repository"]).unwrap(),
        "true\n"
    );
}

#[test]
fn git_reports_failed_commands_with_args_status_and_stderr() {
    let f = Fixture::new();
    f.write("a.txt", "1").commit("one");
    let repo = f.repo();
    assert_eq!(
        repo.git(&["rev-parse", "--abbrev-ref", "HEAD"]).unwrap(),
        "main\n"
    );

    let error = repo.git(&["rev-parse", "--verify", "nope"]).unwrap_err();
    let GitError::Command {
        args,
        status,
        stderr,
        ..
    } = &error
    else {
        panic!("expected a command error, got {error:?}");
    };
    assert_eq!(args, &["rev-parse", "--verify", "nope"]);
    assert_eq!(status.code(), Some(128));
    assert!(stderr.contains("fatal"), "{stderr}");
    assert!(
        error
            .to_string()
            .starts_with("run `git rev-parse --verify nope` in "),
        "{error}"
    );
}

#[test]
fn init_creates_a_repository_on_the_given_branch() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("new repo");
    let repo = Repo::init(&dir, "trunk").unwrap();
    assert!(repo.workdir().is_some());
    assert_eq!(
        repo.git(&["symbolic-ref", "HEAD"]).unwrap(),
        "refs/heads/trunk\n"
    );
}

#[test]
fn commit_all_stages_everything_and_returns_head() {
    let f = Fixture::new();
    f.write("a.txt", "1").commit("one");
    f.write("a.txt", "2")
        .write("new dir/b.txt", "b")
        .remove("a.txt");
    let repo = f.repo();
    let message = "subject with \"quotes\" and $HOME\n\nbody `not a shell`";
    let head = repo
        .commit_all(message, Some(("Grace Hopper", "grace@example.invalid")))
        .unwrap();

    assert_eq!(head, repo.resolve_commit("HEAD").unwrap());
    let identity = f.git_in("repo", &["log", "-1", "--format=%an <%ae>|%cn <%ce>"]);
    assert_eq!(
        identity,
        "Grace Hopper <grace@example.invalid>|Grace Hopper <grace@example.invalid>"
    );
    assert_eq!(f.git_in("repo", &["log", "-1", "--format=%B"]), message);
    assert_eq!(f.git_in("repo", &["status", "--porcelain"]), "");
    assert_eq!(repo.tracked_paths(head).unwrap(), ["new dir/b.txt"]);
}

#[test]
fn commit_all_with_nothing_to_commit_fails() {
    let f = Fixture::new();
    f.write("a.txt", "1").commit("one");
    let error = f
        .repo()
        .commit_all("nothing", Some(("Ada", "ada@example.invalid")))
        .unwrap_err();
    assert!(
        matches!(&error, GitError::Command { stderr, .. } if stderr.contains("nothing to commit")),
        "{error:?}"
    );
}

#[test]
fn repo_can_move_to_another_thread() {
    fn assert_send<T: Send + Clone>() {}
    assert_send::<Repo>();
}

#[test]
fn submodule_commits_are_entries_and_changes() {
    let f = Fixture::new();
    let from = f.write("a.txt", "1").commit("one");
    let gitlink = format!("160000,{from},vendor/lib");
    f.git_in("repo", &["update-index", "--add", "--cacheinfo", &gitlink]);
    f.git_in("repo", &["commit", "--quiet", "-m", "add a submodule"]);
    let to = f.git_in("repo", &["rev-parse", "HEAD"]);

    let repo = f.repo();
    let changes = repo.changes(f.id(&from), f.id(&to)).unwrap();
    assert_eq!(changes, vec![change("vendor/lib", ChangeKind::Added)]);
    let entries = repo.entries_under(f.id(&to), &["vendor"]).unwrap();
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0].mode, 0o160_000);
    assert_eq!(entries[0].id.to_string(), from);
    assert_eq!(repo.file_at(f.id(&to), "vendor/lib").unwrap(), None);
}

#[test]
fn commit_info_reads_author_subject_and_parents() {
    let f = Fixture::new();
    let first = f.write("a.txt", "1").commit("first");
    let second = f.write("a.txt", "2").commit("second: $(not run)\n\nbody");
    let info = f.repo().commit_info(f.id("HEAD")).unwrap();
    assert_eq!(info.id.to_string(), second);
    assert_eq!(info.author, "Ada <ada@example.invalid>");
    assert_eq!(info.subject, "second: $(not run)");
    assert_eq!(info.parents, [f.id(&first)]);
    assert!(
        f.repo()
            .commit_info(f.id(&first))
            .unwrap()
            .parents
            .is_empty()
    );
}

#[test]
fn ensure_worktree_checks_out_the_exact_commit_outside_the_checkout() {
    let f = Fixture::new();
    let first = f.write("a.txt", "1").commit("first");
    f.write("a.txt", "2").commit("second");
    let repo = f.repo();
    let tree = f.root().join("trees").join("one");
    repo.ensure_worktree(&tree, f.id(&first)).unwrap();
    assert_eq!(std::fs::read_to_string(tree.join("a.txt")).unwrap(), "1");
    // Again: nothing to do; then another commit in the same place.
    repo.ensure_worktree(&tree, f.id(&first)).unwrap();
    repo.ensure_worktree(&tree, f.id("HEAD")).unwrap();
    assert_eq!(std::fs::read_to_string(tree.join("a.txt")).unwrap(), "2");
    assert_eq!(std::fs::read_to_string(f.dir().join("a.txt")).unwrap(), "2");
    assert_eq!(f.git_in("repo", &["status", "--porcelain"]), "");
}

#[test]
fn a_fix_cherry_picked_by_hand_is_held_like_one_merged() {
    let fixture = Fixture::new();
    fixture
        .write("api/main.c", "1\n")
        .write("web/app.js", "1\n");
    fixture.commit("start");
    fixture.git_in("repo", &["checkout", "--quiet", "-b", "hotfix"]);
    fixture.write("api/main.c", "1 fixed\n");
    let fix = fixture.commit("fix api");
    fixture.git_in("repo", &["checkout", "--quiet", "main"]);
    fixture.write("web/app.js", "2\n");
    let without = fixture.commit("web: unrelated");
    fixture.git_in("repo", &["cherry-pick", "-x", &fix]);
    let picked = fixture.git_in("repo", &["rev-parse", "HEAD"]);
    fixture.write("api/other.c", "other\n");
    let later = fixture.commit("api: another change after the pick");

    let repo = fixture.repo();
    let id = |rev: &str| repo.resolve_commit(rev).unwrap();
    assert!(repo.holds_change_of(id(&fix), id(&fix)).unwrap());
    assert!(!repo.holds_change_of(id(&without), id(&fix)).unwrap());
    assert!(repo.holds_change_of(id(&picked), id(&fix)).unwrap());
    assert!(repo.holds_change_of(id(&later), id(&fix)).unwrap());
}
