//! The board: components by environments, with the deployed version, the last known good
//! one, drift, versions marked bad and how far behind the default branch each is.

use askama::Template;
use axum::extract::State;
use axum::response::Response;
use serde_json::Value;

use crate::App;
use crate::api::{ApiError, board_json};
use crate::dashboard::page::{Chrome, SignedIn, render};

struct Cell {
    deployed: String,
    deployed_commit: String,
    lkg: String,
    drift: bool,
    bad: String,
    behind: String,
}

struct BoardRow {
    name: String,
    cells: Vec<Cell>,
}

/// A hotfix as the board lists it.
pub(crate) struct HotfixRow {
    component: String,
    branch: String,
    tag: String,
    deployed_to: String,
    forward_port: String,
}

#[derive(Template)]
#[template(path = "board.html")]
struct BoardPage {
    user: String,
    role: String,
    flash: Option<String>,
    flash_error: bool,
    environments: Vec<String>,
    rows: Vec<BoardRow>,
    hotfixes: Vec<HotfixRow>,
}

/// Every hotfix, newest first.
pub(crate) fn hotfix_rows(world: &lanes_engine::World) -> Vec<HotfixRow> {
    let mut rows: Vec<(i64, HotfixRow)> = world
        .flow()
        .hotfixes()
        .map(|hotfix| {
            (
                hotfix.cut_at,
                HotfixRow {
                    component: hotfix.component.clone(),
                    branch: hotfix.branch.clone(),
                    tag: hotfix.tag.clone(),
                    deployed_to: match (&hotfix.deployed_to[..], &hotfix.rolled_back_from[..]) {
                        ([], []) => "not deployed yet".to_owned(),
                        ([], gone) => format!("rolled back from {}", gone.join(", ")),
                        (running, []) => running.join(", "),
                        (running, gone) => format!(
                            "{}; rolled back from {}",
                            running.join(", "),
                            gone.join(", ")
                        ),
                    },
                    forward_port: match &hotfix.forward_port {
                        None => "not yet".to_owned(),
                        Some(lanes_engine::ForwardPort::Submitted { commit, .. }) => {
                            format!("submitted as {}", &commit[..7.min(commit.len())])
                        }
                        Some(lanes_engine::ForwardPort::Conflict { files }) => {
                            format!("conflicts in {}", files.join(", "))
                        }
                    },
                },
            )
        })
        .collect();
    rows.sort_by_key(|(at, _)| std::cmp::Reverse(*at));
    rows.into_iter().map(|(_, row)| row).collect()
}

fn short(version: &Value) -> String {
    version["commit"]
        .as_str()
        .map(|commit| commit[..7.min(commit.len())].to_owned())
        .unwrap_or_default()
}

fn cell(value: &Value) -> Cell {
    let behind = match value["behind"].as_u64() {
        Some(0) | None => String::new(),
        Some(1) => "1 commit behind".to_owned(),
        Some(count) => format!("{count} commits behind"),
    };
    Cell {
        deployed: short(&value["deployed"]),
        deployed_commit: value["deployed"]["commit"]
            .as_str()
            .unwrap_or_default()
            .to_owned(),
        lkg: short(&value["last_known_good"]),
        drift: value["drift"] == true,
        bad: value["deployed"]["bad"]
            .as_str()
            .unwrap_or_default()
            .to_owned(),
        behind,
    }
}

pub(crate) async fn board(
    State(app): State<App>,
    SignedIn(caller): SignedIn,
) -> Result<Response, ApiError> {
    let board = board_json(&app).await?;
    let environments: Vec<String> = board["environments"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|name| name.as_str().map(str::to_owned))
        .collect();
    let rows = board["components"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|component| BoardRow {
            name: component["name"].as_str().unwrap_or_default().to_owned(),
            cells: environments
                .iter()
                .map(|environment| cell(&component["environments"][environment]))
                .collect(),
        })
        .collect();
    let hotfixes = hotfix_rows(app.ledger().await?.world());
    let chrome = Chrome::of(&caller);
    Ok(render(&BoardPage {
        user: chrome.user,
        role: chrome.role,
        flash: None,
        flash_error: false,
        environments,
        rows,
        hotfixes,
    }))
}
