//! `lanes logs`: the log of a stage of a lane, as its steps wrote it (secrets masked), its
//! control characters escaped: a step's output never drives the reader's terminal.

use std::io::Write as _;
use std::path::Path;

use lanes_engine::escape_controls;

use crate::cli::LogsArgs;
use crate::failure::Failure;
use crate::ledger::{block_on, open_whole};
use crate::output::Output;
use crate::workspace::repository;

pub(crate) fn logs(directory: &Path, args: &LogsArgs, output: &Output) -> Result<(), Failure> {
    let repo = repository(directory)?;
    let commit = repo.resolve_commit(&args.commit)?.to_string();
    let (path, lane_id, stage_index, attempt) = block_on(async {
        let (dir, store) = open_whole(&repo, &args.state).await?;
        let lane = store
            .world()
            .lane_of(&commit, &args.component)
            .ok_or_else(|| Failure::Refused {
                message: format!("no lane of `{}` for {}", args.component, &commit[..7]),
                hint: Some(format!(
                    "`lanes status {}` lists the lanes of that commit",
                    &commit[..7]
                )),
            })?;
        let stage = match &args.stage {
            Some(name) => lane
                .stages
                .iter()
                .find(|stage| &stage.name == name)
                .ok_or_else(|| Failure::Refused {
                    message: format!("the lane has no stage `{name}`"),
                    hint: None,
                })?,
            None => lane
                .stages
                .iter()
                .rev()
                .find(|stage| !stage.attempts.is_empty())
                .ok_or_else(|| Failure::Refused {
                    message: format!("no stage of `{}` has run yet", args.component),
                    hint: None,
                })?,
        };
        let attempt = args
            .attempt
            .or_else(|| stage.attempts.last().map(|attempt| attempt.number))
            .ok_or_else(|| Failure::Refused {
                message: format!("`{}` has not run yet", stage.name),
                hint: None,
            })?;
        let index = lane
            .stages
            .iter()
            .position(|run| run.name == stage.name)
            .expect("the stage is the lane's");
        Ok((
            dir.log(lane.id, &stage.name, attempt),
            lane.id,
            index,
            attempt,
        ))
    })?;
    if args.follow {
        return block_on(follow(&repo, args, &path, lane_id, stage_index, attempt));
    }
    let text = std::fs::read(&path).map_err(|error| match error.kind() {
        std::io::ErrorKind::NotFound => Failure::Refused {
            message: format!(
                "the log of attempt {attempt} of `{}` is gone: `lanes gc` removes the logs of lanes nothing keeps",
                args.component
            ),
            hint: Some("`retention.days` in lanes.yml sets how long they are kept".to_owned()),
        },
        _ => Failure::io(format!("read {}", path.display()), error),
    })?;
    let _ = output;
    let mut stdout = std::io::stdout().lock();
    let _ = stdout.write_all(shown(&text).as_bytes());
    Ok(())
}

/// How much of the log to print: whole lines only until the attempt ended, so that no
/// character is cut in two.
fn printable_end(text: &[u8], ended: bool) -> Option<usize> {
    if ended {
        return Some(text.len());
    }
    text.iter()
        .rposition(|byte| *byte == b'\n')
        .map(|at| at + 1)
}

/// Log bytes as the terminal gets them.
fn shown(bytes: &[u8]) -> String {
    escape_controls(&String::from_utf8_lossy(bytes)).into_owned()
}

/// Prints the log as the attempt writes it, until the attempt has ended and every line is out.
async fn follow(
    repo: &lanes_git::Repo,
    args: &LogsArgs,
    path: &Path,
    lane: lanes_engine::LaneId,
    stage: usize,
    attempt: u32,
) -> Result<(), Failure> {
    let (_, mut store) = open_whole(repo, &args.state).await?;
    let mut offset = 0;
    let mut stdout = std::io::stdout();
    loop {
        store.refresh().await.map_err(Failure::store)?;
        // Read after the ledger: whatever the attempt wrote before it ended is in the file.
        let ended = store
            .world()
            .lane(lane)
            .and_then(|lane| lane.stages.get(stage))
            .and_then(|run| run.attempts.iter().find(|a| a.number == attempt))
            .is_none_or(|found| found.finished_at.is_some());
        if let Ok(text) = std::fs::read(path)
            && let Some(end) = printable_end(&text, ended)
            && end > offset
        {
            if stdout
                .write_all(shown(&text[offset..end]).as_bytes())
                .is_err()
            {
                return Ok(());
            }
            let _ = stdout.flush();
            offset = end;
        }
        if ended {
            return Ok(());
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
}
