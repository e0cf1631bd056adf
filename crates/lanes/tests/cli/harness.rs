//! A fresh git repository per test and a fluent way to run `lanes` in it.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use tempfile::TempDir;

/// Environment that makes git independent of the machine's configuration.
fn isolated_git(command: &mut Command, home: &Path) {
    command
        .env("HOME", home)
        .env("XDG_CONFIG_HOME", home)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_AUTHOR_NAME", "Test")
        .env("GIT_AUTHOR_EMAIL", "test@example.com")
        .env("GIT_COMMITTER_NAME", "Test")
        .env("GIT_COMMITTER_EMAIL", "test@example.com")
        .env("NO_COLOR", "1");
}

pub(crate) struct TestRepo {
    temp: TempDir,
    root: PathBuf,
}

impl TestRepo {
    /// An empty repository on branch `main`.
    pub(crate) fn new() -> Self {
        let temp = TempDir::new().expect("temp dir");
        let root = temp.path().join("repo");
        std::fs::create_dir(&root).expect("create repo dir");
        let repo = Self { temp, root };
        repo.git(&["init", "-q", "-b", "main"]);
        repo
    }

    /// A repository with `lanes.yml` committed on `main`.
    pub(crate) fn with_manifest(manifest: &str) -> Self {
        let repo = Self::new();
        repo.write("lanes.yml", manifest);
        repo.commit("add lanes.yml");
        repo
    }

    pub(crate) fn path(&self) -> &Path {
        &self.root
    }

    /// A directory beside the repository, for clones.
    pub(crate) fn sibling(&self, name: &str) -> PathBuf {
        self.temp.path().join(name)
    }

    pub(crate) fn write(&self, path: &str, contents: &str) -> &Self {
        let target = self.root.join(path);
        std::fs::create_dir_all(target.parent().unwrap()).unwrap();
        std::fs::write(target, contents).unwrap();
        self
    }

    pub(crate) fn remove(&self, path: &str) -> &Self {
        std::fs::remove_file(self.root.join(path)).unwrap();
        self
    }

    pub(crate) fn rename(&self, from: &str, to: &str) -> &Self {
        let target = self.root.join(to);
        std::fs::create_dir_all(target.parent().unwrap()).unwrap();
        std::fs::rename(self.root.join(from), target).unwrap();
        self
    }

    /// Commits everything; returns the new commit id.
    pub(crate) fn commit(&self, message: &str) -> String {
        self.git(&["add", "-A"]);
        self.git(&["commit", "-q", "--allow-empty", "-m", message]);
        self.git(&["rev-parse", "HEAD"]).trim().to_owned()
    }

    /// Commits everything as `author` and `committer` (`Name <email>`); returns the commit id.
    pub(crate) fn commit_as(&self, message: &str, author: &str, committer: &str) -> String {
        let split = |ident: &str| {
            let (name, email) = ident.split_once(" <").expect("Name <email>");
            (name.to_owned(), email.trim_end_matches('>').to_owned())
        };
        let (author_name, author_email) = split(author);
        let (committer_name, committer_email) = split(committer);
        self.git(&["add", "-A"]);
        let mut command = Command::new("git");
        command.current_dir(&self.root);
        isolated_git(&mut command, self.temp.path());
        let output = command
            .args(["commit", "-q", "--allow-empty", "-m", message])
            .env("GIT_AUTHOR_NAME", author_name)
            .env("GIT_AUTHOR_EMAIL", author_email)
            .env("GIT_COMMITTER_NAME", committer_name)
            .env("GIT_COMMITTER_EMAIL", committer_email)
            .output()
            .expect("git runs");
        assert!(
            output.status.success(),
            "git commit failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        self.git(&["rev-parse", "HEAD"]).trim().to_owned()
    }

    pub(crate) fn git(&self, args: &[&str]) -> String {
        git_in(&self.root, self.temp.path(), args)
    }

    pub(crate) fn git_home(&self) -> &Path {
        self.temp.path()
    }

    pub(crate) fn lanes(&self, args: &[&str]) -> Run {
        lanes_in(&self.root, args)
    }

    /// Starts `lanes` in the background; `finish` waits for it.
    pub(crate) fn spawn_lanes(&self, args: &[&str]) -> Running {
        self.spawn_lanes_with(args, &[])
    }

    /// Starts `lanes` in the background with extra environment variables (its steps inherit
    /// them).
    pub(crate) fn spawn_lanes_with(&self, args: &[&str], env: &[(&str, &str)]) -> Running {
        let mut command = Command::new(env!("CARGO_BIN_EXE_lanes"));
        command
            .current_dir(&self.root)
            .args(args)
            .envs(env.iter().copied())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped());
        isolated_git(&mut command, &self.root);
        Running {
            args: args.iter().map(ToString::to_string).collect(),
            child: command.spawn().expect("lanes starts"),
        }
    }
}

/// A `lanes` running in the background.
pub(crate) struct Running {
    args: Vec<String>,
    child: std::process::Child,
}

impl Running {
    pub(crate) fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Its stdout's lines as they are written (`finish` then has no stdout).
    pub(crate) fn stdout_lines(&mut self) -> impl Iterator<Item = String> + use<> {
        use std::io::BufRead as _;
        let stdout = self.child.stdout.take().expect("stdout not taken yet");
        std::io::BufReader::new(stdout).lines().map(Result::unwrap)
    }

    pub(crate) fn finish(self) -> Run {
        Run {
            args: self.args,
            output: self.child.wait_with_output().expect("lanes ends"),
        }
    }
}

/// Polls until `done` holds; panics after a minute, naming `what` it waited for.
pub(crate) fn wait_until(what: &str, mut done: impl FnMut() -> bool) {
    let start = std::time::Instant::now();
    while !done() {
        assert!(
            start.elapsed() < std::time::Duration::from_mins(1),
            "timed out waiting until {what}"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

pub(crate) fn git_in(dir: &Path, home: &Path, args: &[&str]) -> String {
    let mut command = Command::new("git");
    command.current_dir(dir).args(args);
    isolated_git(&mut command, home);
    let output = command.output().expect("git runs");
    assert!(
        output.status.success(),
        "git {args:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).expect("utf-8")
}

pub(crate) fn lanes_in(dir: &Path, args: &[&str]) -> Run {
    lanes_in_with(dir, args, &[])
}

/// `lanes_in` with extra environment variables (`PATH`, `TMPDIR`).
pub(crate) fn lanes_in_with(dir: &Path, args: &[&str], env: &[(&str, &std::ffi::OsStr)]) -> Run {
    let mut command = Command::new(env!("CARGO_BIN_EXE_lanes"));
    command
        .current_dir(dir)
        .args(args)
        .envs(env.iter().copied());
    isolated_git(&mut command, dir);
    Run {
        args: args.iter().map(ToString::to_string).collect(),
        output: command.output().expect("lanes runs"),
    }
}

/// A finished `lanes` run.
pub(crate) struct Run {
    args: Vec<String>,
    output: Output,
}

impl Run {
    pub(crate) fn stdout(&self) -> String {
        String::from_utf8_lossy(&self.output.stdout).into_owned()
    }

    pub(crate) fn stderr(&self) -> String {
        String::from_utf8_lossy(&self.output.stderr).into_owned()
    }

    pub(crate) fn code(&self) -> i32 {
        self.output.status.code().expect("exited")
    }

    /// Asserts success and returns the run.
    #[track_caller]
    pub(crate) fn success(self) -> Self {
        assert_eq!(
            self.code(),
            0,
            "lanes {:?} failed:\n{}",
            self.args,
            self.stderr()
        );
        self
    }

    /// Asserts the exit status and returns the run.
    #[track_caller]
    pub(crate) fn failure(self, code: i32) -> Self {
        assert_eq!(
            self.code(),
            code,
            "lanes {:?}: stdout:\n{}\nstderr:\n{}",
            self.args,
            self.stdout(),
            self.stderr()
        );
        self
    }

    /// Asserts that stderr contains `text`.
    #[track_caller]
    pub(crate) fn stderr_has(&self, text: &str) -> &Self {
        assert!(
            self.stderr().contains(text),
            "{text:?} missing from stderr:\n{}",
            self.stderr()
        );
        self
    }

    pub(crate) fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout())
            .unwrap_or_else(|error| panic!("not JSON ({error}):\n{}", self.stdout()))
    }

    /// Stdout lines.
    pub(crate) fn lines(&self) -> Vec<String> {
        self.stdout().lines().map(str::to_owned).collect()
    }
}

/// Names of `lanes affected --json`'s components.
pub(crate) fn affected_names(json: &serde_json::Value) -> Vec<String> {
    json["components"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap().to_owned())
        .collect()
}

/// `lanes fingerprint --json`'s answer as a map: component name to fingerprint.
pub(crate) fn fingerprints_of(run: &Run) -> std::collections::BTreeMap<String, String> {
    run.json()["components"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["name"].as_str().unwrap().to_owned(),
                c["fingerprint"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}
