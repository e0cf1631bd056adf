//! Times `Repo` reads against the git command line on a large repository.
//!
//! ```text
//! cargo build --release -p lanes-git --example diff_timing
//! hyperfine -N 'target/release/examples/diff_timing diff /tmp/bench100k base head' \
//!              'git -C /tmp/bench100k diff --name-only -z base head'
//! ```
//!
//! Modes print what the matching git command prints, NUL-separated, so both do the same work:
//! `diff REPO FROM TO` (like `git diff --no-renames --name-only -z FROM TO`), `diff-merge-base
//! REPO FROM TO` (like `git diff --name-only -z FROM...TO`), `ls REPO REV [PREFIX...]` (like
//! `git ls-tree -r REV`), `paths REPO REV` (like `git ls-tree -r --name-only REV`).

use std::io::{BufWriter, Write as _};
use std::path::Path;
use std::process::ExitCode;

use lanes_git::Repo;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

fn run(args: &[String]) -> Result<(), String> {
    let usage = "usage: diff_timing (diff|diff-merge-base|ls|paths) REPO REV [REV|PREFIX...]";
    let [mode, repo, rev, rest @ ..] = args else {
        return Err(usage.to_owned());
    };
    let repo = Repo::open(Path::new(repo)).map_err(|e| e.to_string())?;
    let rev = repo.resolve_commit(rev).map_err(|e| e.to_string())?;
    let mut out = BufWriter::new(std::io::stdout().lock());
    match mode.as_str() {
        "diff" | "diff-merge-base" => {
            let to = rest.first().ok_or(usage)?;
            let to = repo.resolve_commit(to).map_err(|e| e.to_string())?;
            let from = if mode == "diff" {
                rev
            } else {
                repo.merge_base(rev, to).map_err(|e| e.to_string())?
            };
            for change in repo.changes(from, to).map_err(|e| e.to_string())? {
                write!(out, "{}\0", change.path).map_err(|e| e.to_string())?;
            }
        }
        "ls" => {
            let prefixes: Vec<&str> = if rest.is_empty() {
                vec![""]
            } else {
                rest.iter().map(String::as_str).collect()
            };
            for entry in repo
                .entries_under(rev, &prefixes)
                .map_err(|e| e.to_string())?
            {
                writeln!(out, "{:o} {}\t{}", entry.mode, entry.id, entry.path)
                    .map_err(|e| e.to_string())?;
            }
        }
        "paths" => {
            for path in repo.tracked_paths(rev).map_err(|e| e.to_string())? {
                writeln!(out, "{path}").map_err(|e| e.to_string())?;
            }
        }
        _ => return Err(usage.to_owned()),
    }
    out.flush().map_err(|e| e.to_string())
}
