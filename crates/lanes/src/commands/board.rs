//! `lanes board`: components by environments — what is deployed where, the last known good
//! version, and how far each is behind the default branch.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

use console::Style;
use lanes_engine::{ForwardPort, Hotfix, World, instance_for};
use lanes_git::Repo;
use serde::Serialize;

use crate::cli::BoardArgs;
use crate::component_pathspecs::component_pathspecs;
use crate::failure::Failure;
use crate::ledger::{block_on, open};
use crate::output::Output;
use crate::workspace::{repository, required_manifest_at};

#[derive(Serialize)]
pub(crate) struct Board {
    default_branch: String,
    environments: Vec<String>,
    components: Vec<ComponentRow>,
    /// Hotfixes in production whose fix has not reached the default branch yet.
    hotfixes_not_forward_ported: Vec<Hotfix>,
}

#[derive(Serialize)]
struct ComponentRow {
    name: String,
    environments: BTreeMap<String, Cell>,
}

#[derive(Serialize)]
struct Cell {
    deployed: Option<Version>,
    last_known_good: Option<Version>,
    /// Commits on the default branch since the deployed commit that touch the component: its
    /// files, its dependencies', the shared files or the manifest.
    behind: Option<usize>,
    /// The deployed version differs from the last known good one (a deploy in flight or failed).
    drift: bool,
}

#[derive(Serialize, Clone)]
struct Version {
    commit: String,
    fingerprint: String,
    bad: Option<String>,
}

pub(crate) fn board(directory: &Path, args: &BoardArgs, output: &Output) -> Result<(), Failure> {
    let repo = repository(directory)?;
    let world = block_on(async {
        let (_, store) = open(&repo, &args.state).await?;
        Ok(store.world().clone())
    })?;
    let board = board_of(&repo, &world)?;
    if args.json {
        output.json(&board);
    } else {
        print_board(&board, output);
    }
    Ok(())
}

/// The board of `world`, with the manifest at HEAD (`lanes serve` computes it from its own
/// reader of the ledger).
pub(crate) fn board_of(repo: &Repo, world: &World) -> Result<Board, Failure> {
    let head = repo.resolve_commit("HEAD")?;
    let manifest = required_manifest_at(repo, head, "HEAD")?;
    let default_branch = manifest.branches().default.clone();
    // The remote's branch when there is one (as last fetched): that is where lanes merges.
    let tip = repo
        .ref_target(&format!("refs/remotes/origin/{default_branch}"))?
        .or(repo.ref_target(&format!("refs/heads/{default_branch}"))?)
        .unwrap_or(head)
        .to_string();
    let environments: Vec<String> = manifest
        .stages()
        .iter()
        .filter_map(|stage| stage.environment.clone())
        .fold(Vec::new(), |mut list, env| {
            if !list.contains(&env) {
                list.push(env);
            }
            list
        });
    let mut behind_cache: BTreeMap<(String, String), Option<usize>> = BTreeMap::new();
    let components = manifest
        .components()
        .iter()
        .map(|component| {
            let cells = environments
                .iter()
                .map(|env| {
                    let instance = instance_for(&manifest, env, &component.name);
                    let version = |d: &lanes_engine::Deployment| Version {
                        commit: d.commit.clone(),
                        fingerprint: d.fingerprint.clone(),
                        bad: world
                            .bad_reason(&component.name, &d.fingerprint)
                            .map(str::to_owned),
                    };
                    let deployed = world
                        .deployment(env, &instance, &component.name)
                        .map(version);
                    let good = world.last_known_good(env, &component.name).map(version);
                    let behind = deployed.as_ref().and_then(|d| {
                        behind_cache
                            .entry((component.name.clone(), d.commit.clone()))
                            .or_insert_with(|| {
                                commits_touching(
                                    repo,
                                    &component_pathspecs(&manifest, component),
                                    &d.commit,
                                    &tip,
                                )
                            })
                            .to_owned()
                    });
                    let drift = match (&deployed, &good) {
                        (Some(d), Some(g)) => d.fingerprint != g.fingerprint,
                        (Some(_), None) => true,
                        _ => false,
                    };
                    (
                        env.clone(),
                        Cell {
                            deployed,
                            last_known_good: good,
                            behind,
                            drift,
                        },
                    )
                })
                .collect();
            ComponentRow {
                name: component.name.clone(),
                environments: cells,
            }
        })
        .collect();
    let hotfixes_not_forward_ported = manifest
        .production()
        .map(|production| {
            world
                .hotfixes_not_forward_ported(production)
                .cloned()
                .collect()
        })
        .unwrap_or_default();
    Ok(Board {
        default_branch,
        environments,
        components,
        hotfixes_not_forward_ported,
    })
}

/// How many commits from `from` (excluded) to `to` touch one of `pathspecs`.
fn commits_touching(repo: &Repo, pathspecs: &[String], from: &str, to: &str) -> Option<usize> {
    let range = format!("{from}..{to}");
    let mut args = vec!["rev-list", "--count", range.as_str(), "--"];
    args.extend(pathspecs.iter().map(String::as_str));
    repo.git(&args).ok()?.trim().parse().ok()
}

fn print_board(board: &Board, output: &Output) {
    let name_width = board
        .components
        .iter()
        .map(|c| c.name.len())
        .max()
        .unwrap_or(9)
        .max(9);
    let cell_width = 22;
    let mut header = format!("{:name_width$}", "component");
    for env in &board.environments {
        write!(header, "  {env:cell_width$}").expect("writing to a string");
    }
    output.data(&output.paint(&Style::new().bold(), header.trim_end()));
    for row in &board.components {
        let mut line = format!("{:name_width$}", row.name);
        for env in &board.environments {
            let text = match row
                .environments
                .get(env)
                .and_then(|cell| cell.deployed.as_ref().map(|d| (cell, d)))
            {
                None => "-".to_owned(),
                Some((cell, deployed)) => {
                    let mut text = deployed.commit.chars().take(7).collect::<String>();
                    match cell.behind {
                        Some(0) => text.push_str(" current"),
                        Some(n) => write!(text, " {n} behind").expect("writing to a string"),
                        None => {}
                    }
                    if deployed.bad.is_some() {
                        text.push_str(" BAD");
                    } else if cell.drift {
                        text.push_str(" drift");
                    }
                    text
                }
            };
            write!(line, "  {text:cell_width$}").expect("writing to a string");
        }
        output.data(line.trim_end());
    }
    for hotfix in &board.hotfixes_not_forward_ported {
        let state = match &hotfix.forward_port {
            None => "not forward-ported yet".to_owned(),
            Some(ForwardPort::Submitted { change, .. }) => {
                format!("forward-port queued as change {change}")
            }
            Some(ForwardPort::Conflict { files }) => {
                format!("forward-port conflicts in {}", files.join(", "))
            }
        };
        output.data(&format!(
            "{} is in production and not in {}: {state}",
            hotfix.branch, board.default_branch
        ));
    }
    output.say(&format!("behind = commits on {} since the deployed one that touch the component (its files, its dependencies', the shared ones, lanes.yml); drift = deployed differs from the last known good", board.default_branch));
}
