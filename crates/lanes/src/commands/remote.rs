//! The command line against a server (`--server URL`): the commands that read, decide, submit
//! or cut hotfixes go through the HTTP API with the token in `LANES_API_TOKEN`; who decides is
//! the token's holder.

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::Path;

use lanes_engine::escape_controls;
use lanes_server::{ApiClient, ClientError};
use serde_json::{Value, json};

use crate::cli::{Command, DecisionArgs, LogsArgs, MetricsArgs};
use crate::failure::Failure;
use crate::output::Output;
use crate::workspace::repository;

/// The API of one server, as one token's holder, with what the command line says after.
struct Client {
    api: ApiClient,
}

pub(crate) fn remote(
    server: &str,
    directory: &Path,
    command: &Command,
    output: &Output,
) -> Result<(), Failure> {
    let token = std::env::var("LANES_API_TOKEN").map_err(|_| Failure::Refused {
        message: "--server needs an API token in LANES_API_TOKEN".to_owned(),
        hint: Some("`lanes token add NAME --role ROLE` on the server makes one".to_owned()),
    })?;
    let client = Client {
        api: ApiClient::new(server, &token),
    };
    match command {
        Command::Status(args) => {
            let commit = commit_id(directory, &args.rev);
            let view = client.get(&format!("/commits/{commit}"))?;
            if args.json {
                output.data(&pretty(&view));
            } else {
                print_view(&view, output);
                print_unchanged(&view, output);
            }
        }
        Command::Board(args) => {
            let board = client.get("/board")?;
            if args.json {
                output.data(&pretty(&board));
            } else {
                print_board(&board, output);
            }
        }
        Command::Run(args) => {
            let commit = commit_id(directory, &args.rev);
            client.act("/run", &json!({ "commit": commit }), output)?;
        }
        Command::Approve(args) => client.decide("/approve", args, None, output)?,
        Command::Retry(args) => client.decide("/retry", args, None, output)?,
        Command::Reject(args) => {
            client.decide("/reject", &args.decision, Some(&args.reason), output)?;
        }
        Command::Submit(args) => {
            client.act(
                "/submit",
                &json!({ "branches": args.branches, "until_merged": args.until_merged }),
                output,
            )?;
        }
        Command::Hotfix(args) => {
            let answer = client.act("/hotfix", &json!({ "component": args.component }), output)?;
            if args.json {
                output.data(&answer["result"].to_string());
            } else if let Some(branch) = answer["result"]["branch"].as_str() {
                output.data(branch);
            }
        }
        Command::Promote(args) => {
            client.same_holder(&args.user)?;
            client.act(
                "/promote",
                &json!({ "component": args.component, "to": args.to }),
                output,
            )?;
        }
        Command::Rollback(args) => {
            client.same_holder(&args.user)?;
            client.act(
                "/rollback",
                &json!({ "component": args.component, "env": args.env, "reason": args.reason }),
                output,
            )?;
        }
        Command::Logs(args) => logs(&client, directory, args)?,
        Command::Audit(args) => {
            let decisions: Vec<lanes_engine::DecisionRecord> =
                serde_json::from_value(client.get("/audit")?).map_err(|error| {
                    Failure::Refused {
                        message: format!("the server's audit is not what lanes reads: {error}"),
                        hint: None,
                    }
                })?;
            crate::commands::audit::print(&decisions, args, output);
        }
        Command::Metrics(args) => metrics(&client, args, output)?,
        _ => {
            return Err(Failure::Refused {
                message: "this command works on a local repository, not through --server"
                    .to_owned(),
                hint: Some("leave out --server (and LANES_SERVER)".to_owned()),
            });
        }
    }
    Ok(())
}

/// `lanes metrics` through the API: the same JSON the local command computes.
fn metrics(client: &Client, args: &MetricsArgs, output: &Output) -> Result<(), Failure> {
    // Whole minutes: the window was parsed from a number and a unit.
    let mut path = format!("/metrics?since={}m", args.since.0 / 60_000);
    for (name, value) in [
        ("component", &args.component),
        ("environment", &args.environment),
    ] {
        if let Some(value) = value {
            let _ = write!(path, "&{name}={value}");
        }
    }
    let metrics: lanes_engine::DeliveryMetrics = serde_json::from_value(client.get(&path)?)
        .map_err(|error| Failure::Refused {
            message: format!("the server's metrics are not what lanes reads: {error}"),
            hint: None,
        })?;
    crate::commands::metrics::print(&metrics, args.json, output);
    Ok(())
}

/// `lanes logs` through the API: the text so far, or (`-f`) every line until the attempt ends.
fn logs(client: &Client, directory: &Path, args: &LogsArgs) -> Result<(), Failure> {
    let commit = commit_id(directory, &args.commit);
    let lanes = client.get(&format!(
        "/lanes?commit={commit}&component={}&limit=1",
        args.component
    ))?;
    let lane = lanes[0]["lane"].as_u64().ok_or_else(|| Failure::Refused {
        message: format!("no lane of `{}` for {commit}", args.component),
        hint: None,
    })?;
    let stage = match &args.stage {
        Some(stage) => stage.clone(),
        None => lanes[0]["stages"]
            .as_array()
            .into_iter()
            .flatten()
            .rev()
            .find(|stage| stage["attempts"].as_u64().unwrap_or(0) > 0)
            .and_then(|stage| stage["name"].as_str())
            .ok_or_else(|| Failure::Refused {
                message: format!("no stage of `{}` has run yet", args.component),
                hint: None,
            })?
            .to_owned(),
    };
    let mut path = format!("/lanes/{lane}/stages/{stage}/log");
    if args.follow {
        path.push_str("/stream");
    }
    if let Some(attempt) = args.attempt {
        let _ = write!(path, "?attempt={attempt}");
    }
    if args.follow {
        client.follow(&path)?;
    } else {
        // The server escapes them already; a server is not trusted with the terminal.
        let text = client.text(&path)?;
        let mut stdout = std::io::stdout().lock();
        let _ = stdout.write_all(escape_controls(&text).as_bytes());
    }
    Ok(())
}

/// A full commit id when the revision resolves here; else the text as given (the server
/// takes ids and prefixes).
fn commit_id(directory: &Path, rev: &str) -> String {
    repository(directory)
        .and_then(|repo| Ok(repo.resolve_commit(rev)?.to_string()))
        .unwrap_or_else(|_| rev.to_owned())
}

fn pretty(value: &Value) -> String {
    serde_json::to_string_pretty(value).expect("JSON values serialize")
}

/// A failed request as the command line reports it: a refusal by the rules exits 5.
fn failure(error: ClientError) -> Failure {
    match error {
        ClientError::Answer {
            status: 409,
            message,
        } => {
            eprintln!("error: {message}");
            Failure::Reported(5)
        }
        answer @ ClientError::Answer { .. } => Failure::Refused {
            message: answer.to_string(),
            hint: None,
        },
        other => Failure::Refused {
            message: format!("failed to {other}"),
            hint: None,
        },
    }
}

impl Client {
    fn text(&self, path: &str) -> Result<String, Failure> {
        self.api.text(path).map_err(failure)
    }

    fn get(&self, path: &str) -> Result<Value, Failure> {
        self.api.get(path).map_err(failure)
    }

    fn act(&self, path: &str, body: &Value, output: &Output) -> Result<Value, Failure> {
        let answer = self.api.post(path, body).map_err(failure)?;
        if let Some(message) = answer["message"].as_str() {
            output.say(message);
        }
        Ok(answer)
    }

    /// Refuses `--as` naming someone other than the token's holder: the server decides as
    /// the holder.
    fn same_holder(&self, user: &str) -> Result<(), Failure> {
        let holder = self.get("/whoami")?;
        let name = holder["name"].as_str().unwrap_or_default();
        if name == user {
            Ok(())
        } else {
            Err(Failure::Refused {
                message: format!("the server decides as the token's holder `{name}`, not `{user}`"),
                hint: Some(format!("pass --as {name}, or use {user}'s token")),
            })
        }
    }

    fn decide(
        &self,
        path: &str,
        args: &DecisionArgs,
        reason: Option<&str>,
        output: &Output,
    ) -> Result<(), Failure> {
        self.same_holder(&args.user)?;
        let mut body = json!({ "component": args.component, "stage": args.stage });
        if let Some(commit) = &args.commit {
            body["commit"] = json!(commit);
        }
        if let Some(reason) = reason {
            body["reason"] = json!(reason);
        }
        self.act(path, &body, output).map(drop)
    }

    /// Prints the lines of a live log until the attempt ends.
    fn follow(&self, path: &str) -> Result<(), Failure> {
        let mut stdout = std::io::stdout();
        self.api
            .follow(path, |line| {
                let written = writeln!(stdout, "{}", escape_controls(line)).is_ok();
                let _ = stdout.flush();
                written
            })
            .map_err(failure)
    }
}

/// The unified view as `lanes status` prints it, from its JSON.
fn print_view(view: &Value, output: &Output) {
    for lane in view["lanes"].as_array().into_iter().flatten() {
        let short = |value: &Value| {
            value
                .as_str()
                .unwrap_or_default()
                .chars()
                .take(7)
                .collect::<String>()
        };
        let summary = if lane["done"] == true {
            "done: in production".to_owned()
        } else if let Some(reason) = lane["rolled_back"].as_str() {
            reason.to_owned()
        } else if lane["red_since"].is_string() {
            format!(
                "{}: red since {}",
                lane["summary"].as_str().unwrap_or_default(),
                short(&lane["red_since"])
            )
        } else {
            lane["summary"].as_str().unwrap_or_default().to_owned()
        };
        let fingerprint = lane["fingerprint"].as_str().unwrap_or_default();
        output.data(&format!(
            "\n{}  version {}  {summary}",
            lane["component"].as_str().unwrap_or_default(),
            &fingerprint[..12.min(fingerprint.len())]
        ));
        for stage in lane["stages"].as_array().into_iter().flatten() {
            let duration = stage["duration_ms"]
                .as_i64()
                .map(crate::output::seconds)
                .unwrap_or_default();
            output.data(&format!(
                "  {:12}  {:<11} {:>7}  {}",
                stage["name"].as_str().unwrap_or_default(),
                stage["state"].as_str().unwrap_or_default(),
                duration,
                stage["reason"].as_str().unwrap_or_default()
            ));
        }
    }
}

/// The components without a lane at the commit, with the verdict of their version.
fn print_unchanged(view: &Value, output: &Output) {
    for unchanged in view["unchanged"].as_array().into_iter().flatten() {
        let verdict = unchanged["text"].as_str().unwrap_or_default();
        let fingerprint = unchanged["fingerprint"].as_str().unwrap_or_default();
        output.data(&format!(
            "\n{}  version {}  {verdict}",
            unchanged["component"].as_str().unwrap_or_default(),
            &fingerprint[..12.min(fingerprint.len())]
        ));
    }
}

/// The board as lines: component, environment, what is deployed, the last known good.
fn print_board(board: &Value, output: &Output) {
    let short = |value: &Value| {
        value["commit"].as_str().map_or_else(
            || "-".to_owned(),
            |commit| commit[..7.min(commit.len())].to_owned(),
        )
    };
    for component in board["components"].as_array().into_iter().flatten() {
        let name = component["name"].as_str().unwrap_or_default();
        for (environment, cell) in component["environments"].as_object().into_iter().flatten() {
            output.data(&format!(
                "{name:16} {environment:10} deployed {:8} lkg {:8}{}",
                short(&cell["deployed"]),
                short(&cell["last_known_good"]),
                if cell["drift"] == true { " drift" } else { "" }
            ));
        }
    }
}
